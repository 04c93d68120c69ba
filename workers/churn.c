/* tb-churn: open and close TCP connections as fast as asked, to pile up
 * TIME-WAIT and run out of ephemeral ports. Reports the connect rate reached
 * and when and how often connect() failed, by errno. */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static struct wk_sockopts so;
static const char *opt_cc;
static bool opt_nodelay;
static uint64_t opt_conc = 16, opt_timeout = 5000000;
static double opt_rate;
static int opt_close;
static const char *const closers[] = { "client", "server", NULL };

static struct wk_opt opts[] = {
	{ "cc", WK_STRING, &opt_cc, "NAME  congestion control (TCP_CONGESTION)" },
	{ "nodelay", WK_FLAG, &opt_nodelay, "set TCP_NODELAY" },
	{ "sndbuf", WK_SIZE, &so.sndbuf, "SIZE  SO_SNDBUF", NULL, 0, 1u << 30 },
	{ "rcvbuf", WK_SIZE, &so.rcvbuf, "SIZE  SO_RCVBUF", NULL, 0, 1u << 30 },
	{ "rate", WK_REAL, &opt_rate, "R     new connections per second (default 0: as fast as --concurrency allows)" },
	{ "concurrency", WK_COUNT, &opt_conc, "N     connections being opened or closed at once (default 16)", NULL, 1, 100000 },
	{ "close", WK_CHOICE, &opt_close, "WHO   who closes first, so who holds TIME-WAIT (default client)", closers },
	{ "timeout", WK_TIME, &opt_timeout, "TIME  connect timeout (default 5s)", NULL, 1000, 0 },
	{ NULL },
};

static const struct wk_prog prog = {
	.name = "tb-churn",
	.summary = "Connection churn against tb-server --mode rr: connect, close, repeat.",
	.details = "--close client: close right after the handshake (the client holds TIME-WAIT).\n"
		   "--close server: send a 16-byte request asking the server to close, wait for\n"
		   "its FIN, then close (the server holds TIME-WAIT).\n"
		   "Open loop (--rate): each due attempt is made once, failures included. Closed\n"
		   "loop: after a connect() that fails at once (EADDRNOTAVAIL) the worker waits\n"
		   "1 ms before trying again.\n"
		   "Result: connects, attempts, rate, first_failure_s, failures{ERRNO: n}, connect_us.",
	.opts = opts,
	.default_duration_us = 10000000,
	.host_required = true,
};

enum { S_FREE, S_CONNECTING, S_CLOSING };

struct slot {
	int fd, state;
	uint64_t t0;
	struct slot *next;
};

static int ep = -1;
static struct slot *slots, *free_slots;
static uint64_t busy, t_start, t_end, hold_until, due_total, made, last_iv;
static double first_failure = -1;
static unsigned char closereq[WK_RR_HDR];
static struct {
	uint64_t connects, attempts;
	struct wk_errs fail;
	struct wk_hist conn;
} tot, iv;

static void put_slot(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->state = S_FREE;
	s->next = free_slots;
	free_slots = s;
	busy--;
}

static void failed(struct slot *s, int err)
{
	wk_errs_add(&tot.fail, err);
	wk_errs_add(&iv.fail, err);
	if (first_failure < 0)
		first_failure = wk_elapsed_s();
	put_slot(s);
}

static void attempt(void)
{
	struct slot *s = free_slots;
	const char *what;
	int fd, rc;

	free_slots = s->next;
	busy++;
	tot.attempts++;
	iv.attempts++;
	s->t0 = wk_now_us();
	s->fd = -1;
	fd = wk_tcp_socket(&so, &what);
	if (fd < 0) {
		if (fd == -ENOENT && opt_cc) {
			wk_set_exit(WK_EXIT_ENV);
			wk_fail("--cc %s: not available in this kernel", opt_cc);
		}
		hold_until = s->t0 + 1000;
		failed(s, -fd);
		return;
	}
	s->fd = fd;
	rc = wk_connect_start(fd);
	if (rc && rc != -EINPROGRESS) {
		hold_until = s->t0 + 1000;
		failed(s, -rc);
		return;
	}
	s->state = S_CONNECTING;
	struct epoll_event e = { .events = EPOLLOUT, .data.ptr = s };

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static void slot_event(void *p, uint32_t events)
{
	struct slot *s = p;

	(void)events;
	if (s->state == S_CONNECTING) {
		int err = wk_sock_error(s->fd);
		uint64_t us = wk_now_us() - s->t0;

		if (err) {
			failed(s, err);
			return;
		}
		tot.connects++;
		iv.connects++;
		wk_hist_add(&tot.conn, us);
		wk_hist_add(&iv.conn, us);
		if (opt_close == 0 || send(s->fd, closereq, WK_RR_HDR, MSG_DONTWAIT | MSG_NOSIGNAL) != WK_RR_HDR) {
			put_slot(s);
			return;
		}
		s->state = S_CLOSING;
		s->t0 = wk_now_us();
		struct epoll_event e = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = s };

		epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &e);
		return;
	}
	if (s->state == S_CLOSING) {
		char b[64];
		ssize_t r = wk_recv_some(s->fd, b, sizeof(b));

		if (r > 0 || r == -EAGAIN)
			return;
		put_slot(s); /* FIN (or an error) from the server: our close comes second */
	}
}

static void launch(void)
{
	uint64_t now = wk_now_us();

	while (free_slots && !wk_stop && now >= hold_until && now < t_end) {
		if (opt_rate > 0) {
			if (made >= due_total)
				return;
			made++;
		}
		attempt();
	}
}

static json_t *summary(typeof(tot) *s, double secs, bool full)
{
	json_t *o = json_pack("{sI sI sf so}", "connects", (json_int_t)s->connects, "attempts",
			      (json_int_t)s->attempts, "rate", secs > 0 ? (double)s->connects / secs : 0.0,
			      "failures", wk_errs_json(&s->fail));

	json_object_set_new(o, "failed", json_integer((json_int_t)s->fail.total));
	if (full)
		json_object_set_new(o, "connect_us", wk_hist_summary(&s->conn));
	return o;
}

/* Every period: the open-loop schedule and the connect timeouts. */
static void tick(uint64_t now)
{
	if (opt_rate > 0)
		due_total = (uint64_t)((double)(now - t_start) * opt_rate / 1e6) + 1;
	for (uint64_t k = 0; k < opt_conc; k++)
		if (slots[k].state != S_FREE && now > slots[k].t0 + opt_timeout) {
			epoll_ctl(ep, EPOLL_CTL_DEL, slots[k].fd, NULL);
			failed(&slots[k], ETIMEDOUT);
		}
}

static void interval(uint64_t now)
{
	wk_series(summary(&iv, (double)(now - last_iv) / 1e6, false));
	memset(&iv, 0, sizeof(iv));
	last_iv = now;
}

int main(int argc, char **argv)
{
	struct wk_rr_hdr h = { .flags = WK_RR_F_CLOSE, .req_len = WK_RR_HDR, .resp_len = 0 };
	struct wk_loop loop = { .before = launch, .event = slot_event };
	uint64_t period;
	json_t *res;

	wk_init(&prog, argc, argv);
	so.cc = opt_cc;
	so.nodelay = opt_nodelay;
	if (opt_rate < 0 || opt_rate > 1e6) {
		wk_msg("--rate: must be between 0 and 1e6 connections per second");
		return WK_EXIT_USAGE;
	}
	wk_rr_encode(&h, closereq);
	slots = calloc(opt_conc, sizeof(*slots));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!slots || ep < 0) {
		wk_msg("out of memory or epoll_create1 failed");
		return WK_EXIT_FAIL;
	}
	for (uint64_t i = 0; i < opt_conc; i++) {
		slots[i].fd = -1;
		slots[i].next = free_slots;
		free_slots = &slots[i];
	}
	busy = 0;
	period = opt_rate > 1000 ? (uint64_t)(1e6 / opt_rate) : 1000;
	if (period < 100)
		period = 100;
	t_start = last_iv = wk_now_us();
	t_end = t_start + wk.duration_us;
	loop.ep = ep;
	loop.end_us = t_end;
	loop.t0_us = t_start; /* the timers keep the schedule's phase */
	wk_loop_timer(&loop, period, period, true, tick);
	wk_loop_timer(&loop, wk.interval_us, wk.interval_us, false, interval);
	wk_loop_run(&loop);
	{
		uint64_t now = wk_now_us();
		double secs = (double)((now < t_end ? now : t_end) - t_start) / 1e6;

		res = summary(&tot, secs, true);
		json_object_set_new(res, "seconds", json_real(secs));
		json_object_set_new(res, "first_failure_s", first_failure < 0 ? json_null() : json_real(first_failure));
		json_object_set_new(res, "close", json_string(closers[opt_close]));
		json_object_set_new(res, "target_rate", json_real(opt_rate));
		json_object_set_new(res, "concurrency", json_integer((json_int_t)opt_conc));
	}
	for (uint64_t k = 0; k < opt_conc; k++)
		if (slots[k].fd >= 0)
			close(slots[k].fd);
	return wk_finish(res, true);
}
