/* tb-rr: request/response client for tb-server --mode rr. Closed loop (each
 * of --concurrency slots sends the next request when the last is answered)
 * or open loop at --rate (latency counted from the intended send time, so a
 * slow server cannot hide behind fewer requests). Connections per request or
 * from a keep-alive pool; Nagle on or off; one write or a split header/body. */
#include "common.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static struct wk_sockopts so;
static const char *opt_cc;
static bool opt_nodelay;
static uint64_t opt_request = 64, opt_response = 64, opt_conc = 1, opt_pool, opt_timeout = 5000000;
static uint64_t opt_streams; /* 0: no stream mode */
static double opt_rate;
static int opt_conn = 1, opt_write, opt_close;
static const char *const conn_modes[] = { "per-request", "pool", NULL };
static const char *const write_modes[] = { "single", "split", NULL };
static const char *const closers[] = { "client", "server", NULL };

static struct wk_opt opts[] = {
	{ "cc", WK_STRING, &opt_cc, "NAME  congestion control (TCP_CONGESTION)" },
	{ "nodelay", WK_FLAG, &opt_nodelay, "set TCP_NODELAY (Nagle off)" },
	{ "sndbuf", WK_SIZE, &so.sndbuf, "SIZE  SO_SNDBUF", NULL, 0, 1u << 30 },
	{ "rcvbuf", WK_SIZE, &so.rcvbuf, "SIZE  SO_RCVBUF", NULL, 0, 1u << 30 },
	{ "request", WK_SIZE, &opt_request, "SIZE  request size incl. the 16-byte header (default 64)", NULL, WK_RR_HDR, 1u << 30 },
	{ "response", WK_SIZE, &opt_response, "SIZE  response size (default 64)", NULL, 0, 1u << 30 },
	{ "concurrency", WK_COUNT, &opt_conc, "N     requests in flight at most (default 1)", NULL, 1, 100000 },
	{ "rate", WK_REAL, &opt_rate, "R     requests per second, open loop (default 0: closed loop)" },
	{ "conn", WK_CHOICE, &opt_conn, "MODE  a connection per request, or a keep-alive pool (default pool)", conn_modes },
	{ "pool", WK_COUNT, &opt_pool, "N     pool size (default: --concurrency)", NULL, 1, 100000 },
	{ "streams", WK_COUNT, &opt_streams, "N     independent request streams multiplexed on each pool connection", NULL, 1, 1024 },
	{ "write", WK_CHOICE, &opt_write, "HOW   request as one write, or header and body as two (default single)", write_modes },
	{ "close", WK_CHOICE, &opt_close, "WHO   per-request: who closes first, so who holds TIME-WAIT (default client)", closers },
	{ "timeout", WK_TIME, &opt_timeout, "TIME  connect and request timeout (default 5s)", NULL, 1000, 0 },
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

enum cstate { C_FREE, C_DEAD, C_CONNECTING, C_IDLE, C_SENDING, C_RECEIVING, C_CLOSING };

struct rconn {
	int fd;
	/* stream mode: requests queued on this connection, oldest first; the
	 * server answers in order, so the head owns the next response bytes */
	struct mreq *q;
	uint64_t q_head, q_tail, q_unsent;
	enum cstate state;
	bool busy;           /* carries a request */
	uint32_t events;     /* current epoll interest */
	uint64_t t_req, t_conn, t_limit;
	size_t sent;
	uint64_t resp_left;
	struct rconn *next_free;
};

static int ep = -1;
static struct rconn *conns;
static size_t n_conns;
static struct rconn *free_pool;  /* pool: idle connected conns */
static struct rconn *free_slots; /* per-request: unused slots */
static unsigned char *reqbuf;
static unsigned char rbuf[256 * 1024];
static uint64_t outstanding, limit_out;
static uint64_t t_start, t_end, hold_until, last_iv;

/* Open loop: intended start times waiting for a connection. */
#define PEND_CAP (1u << 20)
static uint64_t *pend;
static uint64_t pend_head, pend_tail, generated, dropped, pend_max;

static struct {
	uint64_t requests, handshakes, early_eof;
	struct wk_hist lat, conn;
	struct wk_errs errs;
} tot, iv;

static void set_events(struct rconn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (c->events == ev)
		return;
	if (epoll_ctl(ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) == 0)
		c->events = ev;
}

static void count_err(int err)
{
	wk_errs_add(&tot.errs, err);
	wk_errs_add(&iv.errs, err);
}

static void release(struct rconn *c)
{
	if (c->busy) {
		c->busy = false;
		outstanding--;
	}
}

static void drop_conn(struct rconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->events = 0;
	release(c);
	if (opt_conn == 1) {
		c->state = C_DEAD; /* reconnected by the ticker */
	} else {
		c->state = C_FREE;
		c->next_free = free_slots;
		free_slots = c;
	}
}

static void fail(struct rconn *c, int err)
{
	if (err > 0)
		count_err(err);
	drop_conn(c);
}

static void start_send(struct rconn *c);
static void mux_connected(struct rconn *c);
static void mux_drop(struct rconn *c, int err);
static void mux_event(struct rconn *c, uint32_t ev);

/* Open a connection; a request (busy) is sent as soon as it is up. */
static void open_conn(struct rconn *c)
{
	const char *what;
	int fd = wk_tcp_socket(&so, &what), rc;

	c->events = 0;
	c->t_conn = wk_now_us();
	c->t_limit = c->t_conn + opt_timeout;
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
	c->state = C_CONNECTING;
	set_events(c, EPOLLOUT);
}

static void connected(struct rconn *c)
{
	uint64_t us = wk_now_us() - c->t_conn;

	tot.handshakes++;
	iv.handshakes++;
	wk_hist_add(&tot.conn, us);
	wk_hist_add(&iv.conn, us);
	if (opt_streams) {
		mux_connected(c);
	} else if (c->busy) {
		start_send(c);
	} else {
		c->state = C_IDLE;
		set_events(c, EPOLLIN | EPOLLRDHUP);
		c->next_free = free_pool;
		free_pool = c;
	}
}

static void complete(struct rconn *c)
{
	uint64_t now = wk_now_us(), lat = now - c->t_req;

	if (c->t_req >= t_start && now <= t_end) {
		tot.requests++;
		iv.requests++;
		wk_hist_add(&tot.lat, lat);
		wk_hist_add(&iv.lat, lat);
	}
	release(c);
	if (opt_conn == 1) {
		c->state = C_IDLE;
		set_events(c, EPOLLIN | EPOLLRDHUP);
		c->next_free = free_pool;
		free_pool = c;
	} else if (opt_close == 1) {
		/* The server closes first: wait for its FIN, then close. */
		c->state = C_CLOSING;
		c->t_limit = now + opt_timeout;
		set_events(c, EPOLLIN | EPOLLRDHUP);
	} else {
		drop_conn(c); /* the slot is free for the next request */
	}
}

static void do_send(struct rconn *c)
{
	while (c->sent < opt_request) {
		/* split: the 16-byte header and the body are two writes, the
		 * second held by Nagle until the first is acknowledged. */
		size_t n = (opt_write == 1 && c->sent < WK_RR_HDR) ? WK_RR_HDR - c->sent
								  : opt_request - c->sent;
		ssize_t w = wk_send_some(c->fd, reqbuf + c->sent, n);

		if (w == -EAGAIN) {
			set_events(c, EPOLLOUT);
			return;
		}
		if (w < 0) {
			fail(c, (int)-w);
			return;
		}
		c->sent += (size_t)w;
	}
	c->state = C_RECEIVING;
	if (!c->resp_left) {
		complete(c);
		return;
	}
	set_events(c, EPOLLIN | EPOLLRDHUP);
}

static void start_send(struct rconn *c)
{
	c->state = C_SENDING;
	c->sent = 0;
	c->resp_left = opt_response;
	c->t_limit = wk_now_us() + opt_timeout;
	do_send(c);
}

static void do_recv(struct rconn *c)
{
	for (;;) {
		ssize_t r = wk_recv_some(c->fd, rbuf, sizeof(rbuf));

		if (r == -EAGAIN)
			return;
		if (r < 0) {
			fail(c, (int)-r);
			return;
		}
		if (r == 0) {
			if (c->state == C_CLOSING) {
				drop_conn(c); /* the server's FIN came first: the slot is free */
			} else {
				/* The server closed before (or instead of) answering. */
				tot.early_eof++;
				iv.early_eof++;
				drop_conn(c);
			}
			return;
		}
		if (c->state != C_RECEIVING || (uint64_t)r > c->resp_left) {
			fail(c, EPROTO);
			return;
		}
		c->resp_left -= (uint64_t)r;
		if (!c->resp_left) {
			complete(c);
			return;
		}
		if ((size_t)r < sizeof(rbuf))
			return; /* drained: epoll reports the rest */
	}
}

static void conn_event(void *p, uint32_t ev)
{
	struct rconn *c = p;

	if (opt_streams && c->state == C_IDLE) {
		mux_event(c, ev);
		return;
	}
	switch (c->state) {
	case C_CONNECTING: {
		/* Writable without an error flag means connected: no SO_ERROR call. */
		int err = (ev & (EPOLLERR | EPOLLHUP)) ? wk_sock_error(c->fd) : 0;

		if (err || (ev & (EPOLLERR | EPOLLHUP)))
			fail(c, err ? err : ECONNRESET);
		else if (ev & EPOLLOUT)
			connected(c);
		break;
	}
	case C_SENDING:
		do_send(c);
		break;
	case C_IDLE:
	case C_RECEIVING:
	case C_CLOSING:
		do_recv(c);
		break;
	case C_FREE:
	case C_DEAD:
		break;
	}
}

/* ---- stream mode (--streams N): N independent request streams share each
 * pool connection, as HTTP/2 streams share one TCP connection. Each stream
 * has its own schedule and latency histogram; its requests go out as soon as
 * they are due, whatever else is in flight on the connection. The server
 * answers in order, so the responses come back in the order of the queue:
 * one lost segment holds every later response on that connection. ---- */

#define MQ_CAP 4096u

struct mreq {
	uint32_t stream;
	uint64_t t_req;
};

struct rstream {
	struct rconn *c;
	bool busy;             /* closed loop: a request is in flight */
	uint64_t next_k;       /* open loop: index of the next scheduled request */
	uint64_t requests;
	struct wk_hist lat;
};

static struct rstream *streams;
static size_t n_streams;

static void mux_enqueue(struct rstream *s, uint64_t t_req)
{
	struct rconn *c = s->c;

	if (c->q_tail - c->q_head >= MQ_CAP) {
		dropped++;
		return;
	}
	c->q[c->q_tail++ % MQ_CAP] = (struct mreq){ .stream = (uint32_t)(s - streams), .t_req = t_req };
	c->q_unsent++;
	s->busy = true;
}

static void mux_send(struct rconn *c)
{
	while (c->q_unsent) {
		ssize_t w = wk_send_some(c->fd, reqbuf + c->sent, opt_request - c->sent);

		if (w == -EAGAIN)
			break;
		if (w < 0) {
			mux_drop(c, (int)-w);
			return;
		}
		c->sent += (size_t)w;
		if (c->sent == opt_request) {
			c->sent = 0;
			c->q_unsent--;
		}
	}
	set_events(c, EPOLLIN | EPOLLRDHUP | (c->q_unsent ? EPOLLOUT : 0));
}

static void mux_connected(struct rconn *c)
{
	c->state = C_IDLE;
	c->sent = 0;
	c->resp_left = opt_response;
	set_events(c, EPOLLIN | EPOLLRDHUP);
	mux_send(c);
}

/* Every request queued on @c failed with @err (0: the server closed). */
static void mux_fail_queue(struct rconn *c, int err)
{
	for (uint64_t i = c->q_head; i < c->q_tail; i++) {
		streams[c->q[i % MQ_CAP].stream].busy = false;
		if (err > 0) {
			count_err(err);
		} else {
			tot.early_eof++;
			iv.early_eof++;
		}
	}
	c->q_head = c->q_tail = c->q_unsent = 0;
}

/* The connection broke or timed out: every request on it failed. Closed-loop
 * streams start again on the new connection. */
static void mux_drop(struct rconn *c, int err)
{
	mux_fail_queue(c, err);
	drop_conn(c);
}

static void mux_complete(struct rconn *c)
{
	struct mreq *m = &c->q[c->q_head++ % MQ_CAP];
	struct rstream *s = &streams[m->stream];
	uint64_t now = wk_now_us(), lat = now - m->t_req;

	s->busy = false;
	if (m->t_req >= t_start && now <= t_end) {
		tot.requests++;
		iv.requests++;
		s->requests++;
		wk_hist_add(&tot.lat, lat);
		wk_hist_add(&iv.lat, lat);
		wk_hist_add(&s->lat, lat);
	}
	c->resp_left = opt_response;
}

static void mux_event(struct rconn *c, uint32_t ev)
{
	if (ev & EPOLLOUT)
		mux_send(c);
	if (c->state != C_IDLE || !(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t r = wk_recv_some(c->fd, rbuf, sizeof(rbuf));
		uint64_t n;

		if (r == -EAGAIN)
			return;
		if (r <= 0) {
			mux_drop(c, (int)-r);
			return;
		}
		for (n = (uint64_t)r; n;) {
			uint64_t take = n < c->resp_left ? n : c->resp_left;

			if (c->q_tail - c->q_head <= c->q_unsent) {
				mux_drop(c, EPROTO); /* bytes nobody asked for */
				return;
			}
			c->resp_left -= take;
			n -= take;
			if (!c->resp_left)
				mux_complete(c);
		}
		if ((size_t)r < sizeof(rbuf))
			return;
	}
}

/* Closed loop: every idle stream sends its next request. Open loop: each
 * stream's share of --rate on its own schedule, staggered across streams. */
static void mux_dispatch(uint64_t now)
{
	if (wk_stop)
		return;
	for (size_t i = 0; i < n_streams; i++) {
		struct rstream *s = &streams[i];

		if (opt_rate <= 0) {
			if (!s->busy && s->c->state != C_FREE)
				mux_enqueue(s, now);
			continue;
		}
		for (;;) {
			double per = (double)n_streams / opt_rate * 1e6;
			uint64_t due = t_start + (uint64_t)(((double)s->next_k + (double)i / (double)n_streams) * per);

			if (due > now || due >= t_end)
				break;
			mux_enqueue(s, due);
			s->next_k++;
		}
	}
	for (size_t i = 0; i < n_conns; i++)
		if (conns[i].state == C_IDLE && conns[i].q_unsent)
			mux_send(&conns[i]);
}

/* Timeouts: the oldest request of a connection waited too long. */
static void mux_tick(uint64_t now)
{
	for (size_t i = 0; i < n_conns; i++) {
		struct rconn *c = &conns[i];

		if (c->q_head == c->q_tail || now <= c->q[c->q_head % MQ_CAP].t_req + opt_timeout)
			continue;
		if (c->state == C_IDLE)
			mux_drop(c, ETIMEDOUT);
		else
			mux_fail_queue(c, ETIMEDOUT); /* still (re)connecting: nothing was sent */
	}
}

static int mux_init(void)
{
	n_streams = n_conns * opt_streams;
	streams = calloc(n_streams, sizeof(*streams));
	if (!streams)
		return -ENOMEM;
	for (size_t i = 0; i < n_conns; i++)
		if (!(conns[i].q = calloc(MQ_CAP, sizeof(struct mreq))))
			return -ENOMEM;
	for (size_t i = 0; i < n_streams; i++)
		streams[i].c = &conns[i / opt_streams];
	return 0;
}

/* Per-stream results and the spread of the per-stream p99. */
static void mux_result(json_t *res)
{
	json_t *a = json_array();
	uint64_t *p99 = calloc(n_streams + 1, sizeof(*p99));
	size_t n = 0;

	for (size_t i = 0; i < n_streams; i++) {
		struct rstream *s = &streams[i];

		json_array_append_new(a, json_pack("{sI sI sI so}", "stream", (json_int_t)i, "conn",
						   (json_int_t)(s->c - conns), "requests",
						   (json_int_t)s->requests, "latency_us",
						   wk_hist_summary(&s->lat)));
		if (p99 && s->lat.count) {
			uint64_t v = wk_hist_pct(&s->lat, 99);
			size_t j = n++;

			/* insertion sort: a few hundred streams at most */
			for (; j > 0 && p99[j - 1] > v; j--)
				p99[j] = p99[j - 1];
			p99[j] = v;
		}
	}
	for (size_t i = 0; i < n_conns; i++)
		outstanding += conns[i].q_tail - conns[i].q_head;
	json_object_set_new(res, "outstanding_at_end", json_integer((json_int_t)outstanding));
	json_object_set_new(res, "streams", json_integer((json_int_t)opt_streams));
	json_object_set_new(res, "stream_count", json_integer((json_int_t)n_streams));
	json_object_set_new(res, "per_stream", a);
	json_object_set_new(res, "stream_p99_us",
			    n ? json_pack("{sI sI sI sI}", "count", (json_int_t)n, "min", (json_int_t)p99[0],
					  "median", (json_int_t)p99[n / 2], "max", (json_int_t)p99[n - 1])
			      : json_pack("{sI}", "count", (json_int_t)0));
	free(p99);
}

/* Start as many requests as the limits allow. */
static void dispatch(void)
{
	uint64_t now = wk_now_us();

	while (outstanding < limit_out && !wk_stop && now >= hold_until) {
		struct rconn *c;
		uint64_t t_req = now;

		if (opt_rate > 0) {
			if (pend_head == pend_tail)
				return;
			t_req = pend[pend_head % PEND_CAP];
		}
		if (opt_conn == 1) {
			/* Entries of conns that died while idle are stale: skip them. */
			while ((c = free_pool) && (c->state != C_IDLE || c->busy))
				free_pool = c->next_free;
			if (!c)
				return;
			free_pool = c->next_free;
		} else {
			c = free_slots;
			if (!c)
				return;
			free_slots = c->next_free;
		}
		if (opt_rate > 0)
			pend_head++;
		c->busy = true;
		c->t_req = t_req;
		outstanding++;
		if (opt_conn == 1)
			start_send(c);
		else
			open_conn(c);
	}
}

static void tick(uint64_t now)
{
	static uint64_t last_scan;

	if (opt_rate > 0 && !opt_streams && now < t_end) {
		uint64_t due = (uint64_t)((double)(now - t_start) * opt_rate / 1e6) + 1;

		for (; generated < due; generated++) {
			if (pend_tail - pend_head >= PEND_CAP) {
				dropped++;
				continue;
			}
			pend[pend_tail++ % PEND_CAP] = t_start + (uint64_t)((double)generated * 1e6 / opt_rate);
		}
		if (pend_tail - pend_head > pend_max)
			pend_max = pend_tail - pend_head;
	}
	if (now < last_scan + 1000)
		return;
	last_scan = now;
	if (opt_streams)
		mux_tick(now);
	for (size_t i = 0; i < n_conns; i++) {
		struct rconn *c = &conns[i];

		if (c->state == C_DEAD && now >= hold_until) {
			open_conn(c);
		} else if (c->state != C_FREE && c->state != C_IDLE && c->state != C_DEAD &&
			   now > c->t_limit) {
			fail(c, ETIMEDOUT);
		}
	}
}

static json_t *summary(typeof(tot) *s, double secs, bool full)
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
	wk_series(summary(&iv, (double)(now - last_iv) / 1e6, false));
	memset(&iv, 0, sizeof(iv));
	last_iv = now;
}

/* Each turn of the loop: start what the limits allow. */
static void start_due(void)
{
	if (opt_streams)
		mux_dispatch(wk_now_us());
	else
		dispatch();
}

int main(int argc, char **argv)
{
	struct wk_rr_hdr h = { 0 };
	struct wk_loop loop = { .before = start_due, .event = conn_event };
	json_t *res;

	wk_init(&prog, argc, argv);
	so.cc = opt_cc;
	so.nodelay = opt_nodelay;
	if (opt_write == 1 && opt_request <= WK_RR_HDR) {
		wk_msg("--write split needs --request larger than the %d-byte header", WK_RR_HDR);
		return WK_EXIT_USAGE;
	}
	if (opt_rate < 0 || opt_rate > 1e7) {
		wk_msg("--rate: must be between 0 and 1e7 requests per second");
		return WK_EXIT_USAGE;
	}
	if (opt_streams && (opt_conn != 1 || opt_write == 1)) {
		wk_msg("--streams needs --conn pool and --write single");
		return WK_EXIT_USAGE;
	}
	if (!opt_pool)
		opt_pool = opt_conc;
	if (opt_conn == 1 && opt_pool < opt_conc)
		wk_msg("note: --pool %llu caps the requests in flight below --concurrency %llu",
		       (unsigned long long)opt_pool, (unsigned long long)opt_conc);
	n_conns = opt_conn == 1 ? opt_pool : opt_conc;
	limit_out = opt_conn == 1 && opt_pool < opt_conc ? opt_pool : opt_conc;
	conns = calloc(n_conns, sizeof(*conns));
	reqbuf = calloc(1, opt_request);
	pend = opt_rate > 0 && !opt_streams ? malloc(PEND_CAP * sizeof(*pend)) : NULL;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || !reqbuf || (opt_rate > 0 && !opt_streams && !pend) || ep < 0 ||
	    (opt_streams && mux_init())) {
		wk_msg("out of memory or epoll_create1 failed");
		return WK_EXIT_FAIL;
	}
	h.req_len = (uint32_t)opt_request;
	h.resp_len = (uint32_t)opt_response;
	h.flags = (opt_conn == 0 && opt_close == 1) ? WK_RR_F_CLOSE : 0;
	wk_rr_encode(&h, reqbuf);

	t_start = last_iv = wk_now_us();
	t_end = t_start + wk.duration_us;
	for (size_t i = 0; i < n_conns; i++) {
		conns[i].fd = -1;
		if (opt_conn == 1) {
			open_conn(&conns[i]);
		} else {
			conns[i].next_free = free_slots;
			free_slots = &conns[i];
		}
	}
	/* Housekeeping (timeouts, reconnects, the end) every 10 ms; in open loop
	 * a second timer fires at each intended arrival (at most every 100 us),
	 * so requests leave on schedule without waking a closed loop needlessly
	 * (wakeups are dear in the one-CPU UML guest). */
	loop.ep = ep;
	loop.end_us = t_end;
	wk_loop_timer(&loop, 10000, 10000, true, tick);
	if (opt_rate > 0) {
		uint64_t period = (uint64_t)(1e6 / opt_rate);

		wk_loop_timer(&loop, period < 100 ? 100 : period, period < 100 ? 100 : period, true, tick);
	}
	wk_loop_timer(&loop, wk.interval_us, wk.interval_us, false, interval);
	wk_loop_run(&loop);
	{
		uint64_t now = wk_now_us();
		double secs = (double)((now < t_end ? now : t_end) - t_start) / 1e6;

		res = summary(&tot, secs, true);
		json_object_set_new(res, "seconds", json_real(secs));
		json_object_set_new(res, "conn", json_string(conn_modes[opt_conn]));
		json_object_set_new(res, "concurrency", json_integer((json_int_t)opt_conc));
		json_object_set_new(res, "rate", json_real(opt_rate));
		json_object_set_new(res, "outstanding_at_end", json_integer((json_int_t)outstanding));
		if (opt_rate > 0) {
			json_object_set_new(res, "queued_max", json_integer((json_int_t)pend_max));
			json_object_set_new(res, "dropped", json_integer((json_int_t)dropped));
		}
		json_object_set_new(res, "histogram", wk_hist_buckets(&tot.lat));
		if (opt_streams)
			mux_result(res);
	}
	for (size_t i = 0; i < n_conns; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	return wk_finish(res, true);
}
