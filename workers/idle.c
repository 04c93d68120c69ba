/* tb-idle: hold --count TCP connections open and idle (optionally with a
 * heartbeat), and measure how long a connect() takes while they are held. */
#include "common.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

static struct wk_sockopts so;
static const char *opt_cc;
static bool opt_nodelay;
static uint64_t opt_count = 100, opt_conc = 64, opt_timeout = 5000000, opt_hb, opt_probe = 1000000;
static uint64_t opt_ka_idle, opt_ka_intvl, opt_ka_cnt;
static double opt_rate;
static const char *const reconnects[] = { "fixed", "backoff", "backoff_jitter", NULL };
enum { RC_FIXED, RC_BACKOFF, RC_JITTER };
static int opt_reconnect;
static uint64_t opt_rc_base = 10000, opt_rc_cap = 10000000;

static struct wk_opt opts[] = {
	{ "count", WK_COUNT, &opt_count, "N     connections to hold (default 100)", NULL, 1, 10000000 },
	{ "rate", WK_REAL, &opt_rate, "R     connections opened per second until all are first held (default 0: as fast as --concurrency allows)" },
	{ "concurrency", WK_COUNT, &opt_conc, "N     connects in progress at once (default 64)", NULL, 1, 100000 },
	{ "interval-heartbeat", WK_TIME, &opt_hb, "TIME  every held connection sends a 16-byte request this often (default: never)" },
	{ "probe-interval", WK_TIME, &opt_probe, "TIME  time between probe connects while holding (default 1s)", NULL, 1000, 0 },
	{ "timeout", WK_TIME, &opt_timeout, "TIME  connect and heartbeat timeout (default 5s)", NULL, 1000, 0 },
	{ "keepalive-idle", WK_TIME, &opt_ka_idle, "TIME  TCP keep-alive on held connections: first probe after this much silence (whole seconds; default: no keep-alive)", NULL, 1000000, 32767000000ull },
	{ "keepalive-interval", WK_TIME, &opt_ka_intvl, "TIME  keep-alive probe interval (whole seconds; default: the kernel's, 75s)", NULL, 1000000, 32767000000ull },
	{ "keepalive-count", WK_COUNT, &opt_ka_cnt, "N     unanswered probes before the connection is dropped (default: the kernel's, 9)", NULL, 1, 127 },
	{ "reconnect", WK_CHOICE, &opt_reconnect, "POLICY  delay before a lost or failed connection is opened again: fixed (--reconnect-base), backoff (base x 2^n after n failures in a row, at most --reconnect-cap), backoff_jitter (uniform in 0 .. that: full jitter) (default fixed)", reconnects },
	{ "reconnect-base", WK_TIME, &opt_rc_base, "TIME  the fixed delay, and the backoff's first step (default 10ms)", NULL, 1000, 0 },
	{ "reconnect-cap", WK_TIME, &opt_rc_cap, "TIME  the backoff's ceiling (default 10s)", NULL, 1000, 0 },
	{ "cc", WK_STRING, &opt_cc, "NAME  congestion control (TCP_CONGESTION)" },
	{ "nodelay", WK_FLAG, &opt_nodelay, "set TCP_NODELAY" },
	{ "sndbuf", WK_SIZE, &so.sndbuf, "SIZE  SO_SNDBUF", NULL, 0, 1u << 30 },
	{ "rcvbuf", WK_SIZE, &so.rcvbuf, "SIZE  SO_RCVBUF", NULL, 0, 1u << 30 },
	{ NULL },
};

static const struct wk_prog prog = {
	.name = "tb-idle",
	.summary = "Hold many idle connections to tb-server --mode rr; time connects meanwhile.",
	.details = "Failed connects and lost connections are opened again after the --reconnect\n"
		   "delay until --count are held. Once all are held, a probe connection is opened\n"
		   "and closed every --probe-interval.\n"
		   "Result: held, count, connect_us{...}, probes, probe_connect_us{...},\n"
		   "heartbeats, heartbeat_us{...}, dropped, errors{ERRNO: n}, all_held_s,\n"
		   "first_drop_s, last_drop_s (when held connections were found dead), attempts,\n"
		   "reconnect_99_s (from the first drop after all were held to 99% held again).",
	.opts = opts,
	.default_duration_us = 10000000,
	.host_required = true,
};

enum { I_FREE, I_CONNECTING, I_HELD, I_HB };

struct iconn {
	int fd, state;
	bool probe;
	uint64_t t0, next_hb, retry_at;
	unsigned got;
	unsigned fails; /* failed connects and drops since it was last held */
};

static int ep = -1;
static struct iconn *cs, probe = { .fd = -1, .probe = true };
static uint64_t held, connecting, opened, dropped, probes, heartbeats, made, due, attempts;
static double all_held_s = -1, first_drop_s = -1, last_drop_s = -1;
static double storm_s = -1, reconnect_99_s = -1; /* the first drop after all were held */
static unsigned rnd_state;
static struct wk_hist h_conn, h_probe, h_hb;
static struct wk_errs errs;
static unsigned char hbreq[WK_RR_HDR];

static void ep_ctl(struct iconn *c, int op, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	epoll_ctl(ep, op, c->fd, &e);
}

/* The --reconnect delay after @c's n-th failure in a row (n from 0):
 * base; base x 2^n up to the cap; or uniform in [0, that] (full jitter,
 * Brooker 2015). */
static uint64_t retry_delay(struct iconn *c)
{
	uint64_t d = opt_rc_base;

	if (opt_reconnect == RC_FIXED)
		return d;
	for (unsigned n = c->fails; n && d < opt_rc_cap; n--)
		d *= 2;
	if (d > opt_rc_cap)
		d = opt_rc_cap;
	if (opt_reconnect == RC_JITTER)
		d = (uint64_t)((double)rand_r(&rnd_state) / ((double)RAND_MAX + 1) * (double)(d + 1));
	return d;
}

/* A held connection dropped: the herd's clock starts at the first drop
 * after all were held. */
static void note_drop(uint64_t now)
{
	held--;
	dropped++;
	last_drop_s = (double)(now - wk_t0) / 1e6;
	if (first_drop_s < 0)
		first_drop_s = last_drop_s;
	if (all_held_s >= 0 && storm_s < 0)
		storm_s = last_drop_s;
}

static void drop(struct iconn *c, int err, uint64_t now)
{
	if (err)
		wk_errs_add(&errs, err);
	if (c->state == I_CONNECTING && !c->probe)
		connecting--;
	if ((c->state == I_HELD || c->state == I_HB) && !c->probe)
		note_drop(now);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = I_FREE;
	c->retry_at = now + retry_delay(c);
	c->fails++;
}

/* Keep-alive on a held connection: the only way a reader that never sends
 * learns that its peer vanished without a FIN (the options take seconds). */
static void keepalive(int fd)
{
	int on = 1, idle = (int)(opt_ka_idle / 1000000), intvl = (int)(opt_ka_intvl / 1000000),
	    cnt = (int)opt_ka_cnt;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) ||
	    (intvl && setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl))) ||
	    (cnt && setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt))))
		wk_fail("setsockopt keep-alive: %s", strerror(errno));
}

static void start(struct iconn *c, uint64_t now)
{
	const char *what;
	int rc;

	c->t0 = now;
	c->fd = wk_tcp_socket(&so, &what);
	if (c->fd < 0) {
		if (c->fd == -ENOENT && opt_cc) {
			wk_set_exit(WK_EXIT_ENV);
			wk_fail("--cc %s: not available in this kernel", opt_cc);
		}
		rc = c->fd;
		c->fd = -1;
		c->state = I_FREE;
		drop(c, -rc, now);
		return;
	}
	c->state = I_CONNECTING;
	if (!c->probe) {
		connecting++;
		attempts++;
	}
	rc = wk_connect_start(c->fd);
	if (rc && rc != -EINPROGRESS) {
		drop(c, -rc, now);
		return;
	}
	ep_ctl(c, EPOLL_CTL_ADD, EPOLLOUT);
}

static void on_event(struct iconn *c, uint64_t now)
{
	if (c->state == I_CONNECTING) {
		int err = wk_sock_error(c->fd);

		if (err) {
			drop(c, err, now);
			return;
		}
		if (c->probe) {
			probes++;
			wk_hist_add(&h_probe, now - c->t0);
			close(c->fd);
			c->fd = -1;
			c->state = I_FREE;
			return;
		}
		connecting--;
		held++;
		opened++;
		c->fails = 0;
		if (storm_s >= 0 && reconnect_99_s < 0 && held * 100 >= opt_count * 99)
			reconnect_99_s = (double)(now - wk_t0) / 1e6 - storm_s;
		if (opt_ka_idle)
			keepalive(c->fd);
		wk_hist_add(&h_conn, now - c->t0);
		c->state = I_HELD;
		c->next_hb = opt_hb ? now + opt_hb : UINT64_MAX;
		ep_ctl(c, EPOLL_CTL_MOD, EPOLLIN | EPOLLRDHUP);
		if (held == opt_count && all_held_s < 0)
			all_held_s = wk_elapsed_s();
		return;
	}
	/* Held: data only as a heartbeat answer; EOF means the server let go. */
	for (;;) {
		char b[64];
		ssize_t r = wk_recv_some(c->fd, b, sizeof(b));

		if (r == -EAGAIN)
			return;
		if (r <= 0) {
			drop(c, (int)-r, now);
			return;
		}
		if (c->state != I_HB) {
			drop(c, EPROTO, now);
			return;
		}
		c->got += (unsigned)r;
		if (c->got >= WK_RR_HDR) {
			heartbeats++;
			wk_hist_add(&h_hb, now - c->t0);
			c->state = I_HELD;
		}
	}
}

static void tick(uint64_t now)
{
	uint64_t start_budget = opt_conc > connecting ? opt_conc - connecting : 0;

	if (opt_rate > 0)
		due = (uint64_t)((double)(now - wk_t0) * opt_rate / 1e6) + 1;
	for (uint64_t i = 0; i < opt_count; i++) {
		struct iconn *c = &cs[i];

		/* --rate paces the first opening; reconnects follow --reconnect alone */
		if (c->state == I_FREE && start_budget && now >= c->retry_at &&
		    (opt_rate <= 0 || made < due || all_held_s >= 0)) {
			made++;
			start_budget--;
			start(c, now);
		} else if (c->state == I_CONNECTING && now > c->t0 + opt_timeout) {
			drop(c, ETIMEDOUT, now);
		} else if (c->state == I_HELD && now >= c->next_hb) {
			c->next_hb = now + opt_hb;
			c->t0 = now;
			c->got = 0;
			if (send(c->fd, hbreq, WK_RR_HDR, MSG_DONTWAIT | MSG_NOSIGNAL) != WK_RR_HDR)
				drop(c, errno, now);
			else
				c->state = I_HB;
		} else if (c->state == I_HB && now > c->t0 + opt_timeout) {
			drop(c, ETIMEDOUT, now);
		}
	}
	if (probe.state == I_CONNECTING && now > probe.t0 + opt_timeout)
		drop(&probe, ETIMEDOUT, now);
}

static void probe_tick(uint64_t now)
{
	if (held == opt_count && probe.state == I_FREE)
		start(&probe, now);
}

static void interval(uint64_t now)
{
	(void)now;
	wk_series(json_pack("{sI sI sI sI}", "held", (json_int_t)held, "connecting", (json_int_t)connecting,
			    "failed", (json_int_t)errs.total, "dropped", (json_int_t)dropped));
}

static void conn_ready(void *p, uint32_t events)
{
	(void)events;
	on_event(p, wk_now_us());
}

int main(int argc, char **argv)
{
	struct wk_rr_hdr h = { .req_len = WK_RR_HDR, .resp_len = WK_RR_HDR };
	struct wk_loop loop = { .event = conn_ready };
	json_t *res;

	wk_init(&prog, argc, argv);
	so.cc = opt_cc;
	so.nodelay = opt_nodelay;
	wk_rr_encode(&h, hbreq);
	rnd_state = (unsigned)getpid() ^ (unsigned)wk_now_us();
	{
		struct rlimit rl;

		/* wk_init raised the soft limit to the hard one; say so if that
		 * still cannot hold every connection (they would fail with EMFILE). */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    opt_count + 16 > rl.rlim_cur)
			wk_msg("warning: --count %llu needs more file descriptors than the limit %llu "
			       "(raise it with ulimit -Hn); the rest will fail with EMFILE",
			       (unsigned long long)opt_count, (unsigned long long)rl.rlim_cur);
	}
	cs = calloc(opt_count, sizeof(*cs));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cs || ep < 0) {
		wk_msg("out of memory or epoll_create1 failed");
		return WK_EXIT_FAIL;
	}
	for (uint64_t i = 0; i < opt_count; i++)
		cs[i].fd = -1;
	loop.ep = ep;
	loop.end_us = wk_t0 + wk.duration_us;
	wk_loop_timer(&loop, 1, 10000, true, tick);
	wk_loop_timer(&loop, opt_probe, opt_probe, false, probe_tick);
	wk_loop_timer(&loop, wk.interval_us, wk.interval_us, false, interval);
	wk_loop_run(&loop);
	res = json_object();
	json_object_set_new(res, "held", json_integer((json_int_t)held));
	json_object_set_new(res, "count", json_integer((json_int_t)opt_count));
	json_object_set_new(res, "opened", json_integer((json_int_t)opened));
	json_object_set_new(res, "all_held_s", all_held_s < 0 ? json_null() : json_real(all_held_s));
	json_object_set_new(res, "connect_us", wk_hist_summary(&h_conn));
	json_object_set_new(res, "probes", json_integer((json_int_t)probes));
	json_object_set_new(res, "probe_connect_us", wk_hist_summary(&h_probe));
	json_object_set_new(res, "heartbeats", json_integer((json_int_t)heartbeats));
	json_object_set_new(res, "heartbeat_us", wk_hist_summary(&h_hb));
	json_object_set_new(res, "dropped", json_integer((json_int_t)dropped));
	json_object_set_new(res, "first_drop_s", first_drop_s < 0 ? json_null() : json_real(first_drop_s));
	json_object_set_new(res, "last_drop_s", last_drop_s < 0 ? json_null() : json_real(last_drop_s));
	json_object_set_new(res, "errors", wk_errs_json(&errs));
	json_object_set_new(res, "attempts", json_integer((json_int_t)attempts));
	json_object_set_new(res, "reconnect_99_s", reconnect_99_s < 0 ? json_null() : json_real(reconnect_99_s));
	for (uint64_t i = 0; i < opt_count; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	return wk_finish(res, true);
}
