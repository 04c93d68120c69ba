/* tb-rr: request/response client for tb-server --mode rr. Closed loop (each
 * of --concurrency slots sends the next request when the last is answered)
 * or open loop at --rate (latency counted from the intended send time, so a
 * slow server cannot hide behind fewer requests). Connections per request or
 * from a keep-alive pool; Nagle on or off; one write or a split header/body. */
#include "rr.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static struct wk_sockopts so;
static const char *opt_cc;
static bool opt_nodelay;
static uint64_t opt_conc = 1, opt_pool;
static int opt_write, opt_close;
static const char *const conn_modes[] = { "per-request", "pool", NULL };
static const char *const write_modes[] = { "single", "split", NULL };
static const char *const closers[] = { "client", "server", NULL };

static struct wk_opt opts[] = {
	{ "cc", WK_STRING, &opt_cc, "NAME  congestion control (TCP_CONGESTION)" },
	{ "nodelay", WK_FLAG, &opt_nodelay, "set TCP_NODELAY (Nagle off)" },
	{ "sndbuf", WK_SIZE, &so.sndbuf, "SIZE  SO_SNDBUF", NULL, 0, 1u << 30 },
	{ "rcvbuf", WK_SIZE, &so.rcvbuf, "SIZE  SO_RCVBUF", NULL, 0, 1u << 30 },
	{ "request", WK_SIZE, &rr_o.request, "SIZE  request size incl. the 16-byte header (default 64)", NULL, WK_RR_HDR, 1u << 30 },
	{ "response", WK_SIZE, &rr_o.response, "SIZE  response size (default 64)", NULL, 0, 1u << 30 },
	{ "concurrency", WK_COUNT, &opt_conc, "N     requests in flight at most (default 1)", NULL, 1, 100000 },
	{ "rate", WK_REAL, &rr_o.rate, "R     requests per second, open loop (default 0: closed loop)" },
	{ "conn", WK_CHOICE, &rr_o.conn, "MODE  a connection per request, or a keep-alive pool (default pool)", conn_modes },
	{ "pool", WK_COUNT, &opt_pool, "N     pool size (default: --concurrency)", NULL, 1, 100000 },
	{ "streams", WK_COUNT, &rr_o.streams, "N     independent request streams multiplexed on each pool connection", NULL, 1, 1024 },
	{ "write", WK_CHOICE, &opt_write, "HOW   request as one write, or header and body as two (default single)", write_modes },
	{ "close", WK_CHOICE, &opt_close, "WHO   per-request: who closes first, so who holds TIME-WAIT (default client)", closers },
	{ "timeout", WK_TIME, &rr_o.timeout, "TIME  connect and request timeout (default 5s)", NULL, 1000, 0 },
	{ NULL },
};

static const struct wk_prog prog = {
	.name = "tb-rr",
	.summary = "Request/response load against tb-server --mode rr; latency histogram.",
	.details = "Latency runs from the request's start (its intended time in open loop) to\n"
		   "the last response byte and includes the connect in per-request mode.\n"
		   "Result: requests, rps, handshakes, handshakes_per_s, latency_us{p50,p90,p99,\n"
		   "p999,max,mean}, connect_us{...}, errors{ERRNO: n}, histogram.",
	.opts = opts,
	.default_duration_us = 10000000,
	.host_required = true,
};

static struct rr_conn *free_pool; /* pool: idle connected conns */
static uint64_t limit_out, hold_until, last_iv;

/* Open loop: intended start times waiting for a connection. */
#define PEND_CAP (1u << 20)
static uint64_t *pend;
static uint64_t pend_head, pend_tail, generated, pend_max;

static void fail(struct rr_conn *c, int err)
{
	if (err > 0)
		rr_count_err(err);
	rr_drop_conn(c);
}

static void start_send(struct rr_conn *c);

/* Open a connection; a request (busy) is sent as soon as it is up. */
static void open_conn(struct rr_conn *c)
{
	const char *what;
	int fd = wk_tcp_socket(&so, &what), rc;

	c->events = 0;
	c->t_conn = wk_now_us();
	c->t_limit = c->t_conn + rr_o.timeout;
	if (fd < 0) {
		c->fd = -1;
		if (fd == -ENOENT && opt_cc) {
			wk_set_exit(WK_EXIT_ENV);
			wk_fail("--cc %s: not available in this kernel", opt_cc);
		}
		fail(c, -fd);
		return;
	}
	c->fd = fd;
	rc = wk_connect_start(fd);
	if (rc && rc != -EINPROGRESS) {
		/* EADDRNOTAVAIL and friends come back at once: back off a tick. */
		hold_until = wk_now_us() + 1000;
		fail(c, -rc);
		return;
	}
	c->state = RR_CONNECTING;
	rr_set_events(c, EPOLLOUT);
}

static void connected(struct rr_conn *c)
{
	uint64_t us = wk_now_us() - c->t_conn;

	rr_state.tot.handshakes++;
	rr_state.iv.handshakes++;
	wk_hist_add(&rr_state.tot.conn, us);
	wk_hist_add(&rr_state.iv.conn, us);
	if (rr_o.streams) {
		rr_mux_connected(c);
	} else if (c->busy) {
		start_send(c);
	} else {
		c->state = RR_IDLE;
		rr_set_events(c, EPOLLIN | EPOLLRDHUP);
		c->next_free = free_pool;
		free_pool = c;
	}
}

static void complete(struct rr_conn *c)
{
	uint64_t now = wk_now_us(), lat = now - c->t_req;

	if (c->t_req >= rr_state.t_start && now <= rr_state.t_end) {
		rr_state.tot.requests++;
		rr_state.iv.requests++;
		wk_hist_add(&rr_state.tot.lat, lat);
		wk_hist_add(&rr_state.iv.lat, lat);
	}
	rr_release(c);
	if (rr_o.conn == 1) {
		c->state = RR_IDLE;
		rr_set_events(c, EPOLLIN | EPOLLRDHUP);
		c->next_free = free_pool;
		free_pool = c;
	} else if (opt_close == 1) {
		/* The server closes first: wait for its FIN, then close. */
		c->state = RR_CLOSING;
		c->t_limit = now + rr_o.timeout;
		rr_set_events(c, EPOLLIN | EPOLLRDHUP);
	} else {
		rr_drop_conn(c); /* the slot is free for the next request */
	}
}

static void do_send(struct rr_conn *c)
{
	while (c->sent < rr_o.request) {
		/* split: the 16-byte header and the body are two writes, the
		 * second held by Nagle until the first is acknowledged. */
		size_t n = (opt_write == 1 && c->sent < WK_RR_HDR) ? WK_RR_HDR - c->sent
								  : rr_o.request - c->sent;
		ssize_t w = wk_send_some(c->fd, rr_state.reqbuf + c->sent, n);

		if (w == -EAGAIN) {
			rr_set_events(c, EPOLLOUT);
			return;
		}
		if (w < 0) {
			fail(c, (int)-w);
			return;
		}
		c->sent += (size_t)w;
	}
	c->state = RR_RECEIVING;
	if (!c->resp_left) {
		complete(c);
		return;
	}
	rr_set_events(c, EPOLLIN | EPOLLRDHUP);
}

static void start_send(struct rr_conn *c)
{
	c->state = RR_SENDING;
	c->sent = 0;
	c->resp_left = rr_o.response;
	c->t_limit = wk_now_us() + rr_o.timeout;
	do_send(c);
}

static void do_recv(struct rr_conn *c)
{
	for (;;) {
		ssize_t r = wk_recv_some(c->fd, rr_state.rbuf, RR_RBUF);

		if (r == -EAGAIN)
			return;
		if (r < 0) {
			fail(c, (int)-r);
			return;
		}
		if (r == 0) {
			if (c->state == RR_CLOSING) {
				rr_drop_conn(c); /* the server's FIN came first: the slot is free */
			} else {
				/* The server closed before (or instead of) answering. */
				rr_state.tot.early_eof++;
				rr_state.iv.early_eof++;
				rr_drop_conn(c);
			}
			return;
		}
		if (c->state != RR_RECEIVING || (uint64_t)r > c->resp_left) {
			fail(c, EPROTO);
			return;
		}
		c->resp_left -= (uint64_t)r;
		if (!c->resp_left) {
			complete(c);
			return;
		}
		if ((size_t)r < RR_RBUF)
			return; /* drained: epoll reports the rest */
	}
}

static void conn_event(void *p, uint32_t ev)
{
	struct rr_conn *c = p;

	if (rr_o.streams && c->state == RR_IDLE) {
		rr_mux_event(c, ev);
		return;
	}
	switch (c->state) {
	case RR_CONNECTING: {
		/* Writable without an error flag means connected: no SO_ERROR call. */
		int err = (ev & (EPOLLERR | EPOLLHUP)) ? wk_sock_error(c->fd) : 0;

		if (err || (ev & (EPOLLERR | EPOLLHUP)))
			fail(c, err ? err : ECONNRESET);
		else if (ev & EPOLLOUT)
			connected(c);
		break;
	}
	case RR_SENDING:
		do_send(c);
		break;
	case RR_IDLE:
	case RR_RECEIVING:
	case RR_CLOSING:
		do_recv(c);
		break;
	case RR_FREE:
	case RR_DEAD:
		break;
	}
}

/* Start as many requests as the limits allow. */
static void dispatch(void)
{
	uint64_t now = wk_now_us();

	while (rr_state.outstanding < limit_out && !wk_stop && now >= hold_until) {
		struct rr_conn *c;
		uint64_t t_req = now;

		if (rr_o.rate > 0) {
			if (pend_head == pend_tail)
				return;
			t_req = pend[pend_head % PEND_CAP];
		}
		if (rr_o.conn == 1) {
			/* Entries of conns that died while idle are stale: skip them. */
			while ((c = free_pool) && (c->state != RR_IDLE || c->busy))
				free_pool = c->next_free;
			if (!c)
				return;
			free_pool = c->next_free;
		} else {
			c = rr_state.free_slots;
			if (!c)
				return;
			rr_state.free_slots = c->next_free;
		}
		if (rr_o.rate > 0)
			pend_head++;
		c->busy = true;
		c->t_req = t_req;
		rr_state.outstanding++;
		if (rr_o.conn == 1)
			start_send(c);
		else
			open_conn(c);
	}
}

static void tick(uint64_t now)
{
	static uint64_t last_scan;

	if (rr_o.rate > 0 && !rr_o.streams && now < rr_state.t_end) {
		uint64_t due = (uint64_t)((double)(now - rr_state.t_start) * rr_o.rate / 1e6) + 1;

		for (; generated < due; generated++) {
			if (pend_tail - pend_head >= PEND_CAP) {
				rr_state.dropped++;
				continue;
			}
			pend[pend_tail++ % PEND_CAP] = rr_state.t_start + (uint64_t)((double)generated * 1e6 / rr_o.rate);
		}
		if (pend_tail - pend_head > pend_max)
			pend_max = pend_tail - pend_head;
	}
	if (now < last_scan + 1000)
		return;
	last_scan = now;
	if (rr_o.streams)
		rr_mux_tick(now);
	for (size_t i = 0; i < rr_state.n_conns; i++) {
		struct rr_conn *c = &rr_state.conns[i];

		if (c->state == RR_DEAD && now >= hold_until) {
			open_conn(c);
		} else if (c->state != RR_FREE && c->state != RR_IDLE && c->state != RR_DEAD &&
			   now > c->t_limit) {
			fail(c, ETIMEDOUT);
		}
	}
}

static json_t *summary(struct rr_stats *s, double secs, bool full)
{
	json_t *o = json_object();
	json_t *errs = wk_errs_json(&s->errs);

	if (s->early_eof)
		json_object_set_new(errs, "EOF", json_integer((json_int_t)s->early_eof));
	json_object_set_new(o, "requests", json_integer((json_int_t)s->requests));
	json_object_set_new(o, "rps", json_real(secs > 0 ? (double)s->requests / secs : 0));
	json_object_set_new(o, "handshakes", json_integer((json_int_t)s->handshakes));
	json_object_set_new(o, "handshakes_per_s", json_real(secs > 0 ? (double)s->handshakes / secs : 0));
	if (full) {
		json_object_set_new(o, "latency_us", wk_hist_summary(&s->lat));
		json_object_set_new(o, "connect_us", wk_hist_summary(&s->conn));
	} else {
		json_object_set_new(o, "p50_us", json_integer((json_int_t)wk_hist_pct(&s->lat, 50)));
		json_object_set_new(o, "p99_us", json_integer((json_int_t)wk_hist_pct(&s->lat, 99)));
	}
	json_object_set_new(o, "errors", errs);
	return o;
}

static void interval(uint64_t now)
{
	wk_series(summary(&rr_state.iv, (double)(now - last_iv) / 1e6, false));
	memset(&rr_state.iv, 0, sizeof(rr_state.iv));
	last_iv = now;
}

/* Each turn of the loop: start what the limits allow. */
static void start_due(void)
{
	if (rr_o.streams)
		rr_mux_dispatch(wk_now_us());
	else
		dispatch();
}

/* The combinations of options that cannot work; -1 (said) for one. */
static int check_options(void)
{
	if (opt_write == 1 && rr_o.request <= WK_RR_HDR) {
		wk_msg("--write split needs --request larger than the %d-byte header", WK_RR_HDR);
		return -1;
	}
	if (rr_o.rate < 0 || rr_o.rate > 1e7) {
		wk_msg("--rate: must be between 0 and 1e7 requests per second");
		return -1;
	}
	if (rr_o.streams && (rr_o.conn != 1 || opt_write == 1)) {
		wk_msg("--streams needs --conn pool and --write single");
		return -1;
	}
	return 0;
}

/* How many connections (or slots) there are, and how many requests may be
 * in flight; a note when the pool caps them below --concurrency. */
static void size_conns(void)
{
	if (!opt_pool)
		opt_pool = opt_conc;
	if (rr_o.conn == 1 && opt_pool < opt_conc)
		wk_msg("note: --pool %llu caps the requests in flight below --concurrency %llu",
		       (unsigned long long)opt_pool, (unsigned long long)opt_conc);
	rr_state.n_conns = rr_o.conn == 1 ? opt_pool : opt_conc;
	limit_out = rr_o.conn == 1 && opt_pool < opt_conc ? opt_pool : opt_conc;
}

/* The connections, buffers, open-loop queue and epoll set; -1 when any of
 * them could not be had. */
static int alloc_state(void)
{
	rr_state.conns = calloc(rr_state.n_conns, sizeof(*rr_state.conns));
	rr_state.reqbuf = calloc(1, rr_o.request);
	rr_state.rbuf = malloc(RR_RBUF);
	pend = rr_o.rate > 0 && !rr_o.streams ? malloc(PEND_CAP * sizeof(*pend)) : NULL;
	rr_state.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!rr_state.conns || !rr_state.reqbuf || !rr_state.rbuf || (rr_o.rate > 0 && !rr_o.streams && !pend) ||
	    rr_state.ep < 0 || (rr_o.streams && rr_mux_init()))
		return -1;
	return 0;
}

/* The request's header: its sizes, and whether the server closes first. */
static void encode_request(void)
{
	struct wk_rr_hdr h = { 0 };

	h.req_len = (uint32_t)rr_o.request;
	h.resp_len = (uint32_t)rr_o.response;
	h.flags = (rr_o.conn == 0 && opt_close == 1) ? WK_RR_F_CLOSE : 0;
	wk_rr_encode(&h, rr_state.reqbuf);
}

/* The run starts now: open the pool, or free every per-request slot. */
static void start_conns(void)
{
	rr_state.t_start = last_iv = wk_now_us();
	rr_state.t_end = rr_state.t_start + wk.duration_us;
	for (size_t i = 0; i < rr_state.n_conns; i++) {
		rr_state.conns[i].fd = -1;
		if (rr_o.conn == 1) {
			open_conn(&rr_state.conns[i]);
		} else {
			rr_state.conns[i].next_free = rr_state.free_slots;
			rr_state.free_slots = &rr_state.conns[i];
		}
	}
}

/* Requests and responses until the end of the run. */
static void transfer(void)
{
	struct wk_loop loop = { .before = start_due, .event = conn_event };

	/* Housekeeping (timeouts, reconnects, the end) every 10 ms; in open loop
	 * a second timer fires at each intended arrival (at most every 100 us),
	 * so requests leave on schedule without waking a closed loop needlessly
	 * (wakeups are dear in the one-CPU UML guest). */
	loop.ep = rr_state.ep;
	loop.end_us = rr_state.t_end;
	/* The schedule starts at t_start, before the pool's connections were
	 * opened: the timers keep its phase, or every request would wait for
	 * the time those took (3 ms in a slow guest) and count it as latency. */
	loop.t0_us = rr_state.t_start;
	wk_loop_timer(&loop, 10000, 10000, true, tick);
	if (rr_o.rate > 0) {
		uint64_t period = (uint64_t)(1e6 / rr_o.rate);

		wk_loop_timer(&loop, period < 100 ? 100 : period, period < 100 ? 100 : period, true, tick);
	}
	wk_loop_timer(&loop, wk.interval_us, wk.interval_us, false, interval);
	wk_loop_run(&loop);
}

static json_t *write_result(void)
{
	uint64_t now = wk_now_us();
	double secs = (double)((now < rr_state.t_end ? now : rr_state.t_end) - rr_state.t_start) / 1e6;
	json_t *res = summary(&rr_state.tot, secs, true);

	json_object_set_new(res, "seconds", json_real(secs));
	json_object_set_new(res, "conn", json_string(conn_modes[rr_o.conn]));
	json_object_set_new(res, "concurrency", json_integer((json_int_t)opt_conc));
	json_object_set_new(res, "rate", json_real(rr_o.rate));
	json_object_set_new(res, "outstanding_at_end", json_integer((json_int_t)rr_state.outstanding));
	if (rr_o.rate > 0) {
		json_object_set_new(res, "queued_max", json_integer((json_int_t)pend_max));
		json_object_set_new(res, "dropped", json_integer((json_int_t)rr_state.dropped));
	}
	json_object_set_new(res, "histogram", wk_hist_buckets(&rr_state.tot.lat));
	if (rr_o.streams)
		rr_mux_result(res);
	return res;
}

static void close_conns(void)
{
	for (size_t i = 0; i < rr_state.n_conns; i++)
		if (rr_state.conns[i].fd >= 0)
			close(rr_state.conns[i].fd);
}

int main(int argc, char **argv)
{
	json_t *res;

	wk_init(&prog, argc, argv);
	so.cc = opt_cc;
	so.nodelay = opt_nodelay;
	if (check_options() < 0)
		return WK_EXIT_USAGE;
	size_conns();
	if (alloc_state() < 0) {
		wk_msg("out of memory or epoll_create1 failed");
		return WK_EXIT_FAIL;
	}
	encode_request();
	start_conns();
	transfer();
	res = write_result();
	close_conns();
	return wk_finish(res, true);
}
