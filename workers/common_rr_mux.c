/* What tb-rr's connection handling and its stream mode share (see rr.h). */
#include "rr.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

struct rr_opts rr_o = { .request = 64, .response = 64, .timeout = 5000000, .conn = 1 };
struct rr_run rr_state = { .ep = -1 };

void rr_set_events(struct rr_conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (c->events == ev)
		return;
	if (epoll_ctl(rr_state.ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) == 0)
		c->events = ev;
}

void rr_count_err(int err)
{
	wk_errs_add(&rr_state.tot.errs, err);
	wk_errs_add(&rr_state.iv.errs, err);
}

void rr_release(struct rr_conn *c)
{
	if (c->busy) {
		c->busy = false;
		rr_state.outstanding--;
	}
}

void rr_drop_conn(struct rr_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->events = 0;
	rr_release(c);
	if (rr_o.conn == 1) {
		c->state = RR_DEAD; /* reconnected by the ticker */
	} else {
		c->state = RR_FREE;
		c->next_free = rr_state.free_slots;
		rr_state.free_slots = c;
	}
}

/* ---- stream mode (--streams N): N independent request streams share each
 * pool connection, as HTTP/2 streams share one TCP connection. Each stream
 * has its own schedule and latency histogram; its requests go out as soon as
 * they are due, whatever else is in flight on the connection. The server
 * answers in order, so the responses come back in the order of the queue:
 * one lost segment holds every later response on that connection. ---- */

#define MQ_CAP 4096u

struct rr_mreq {
	uint32_t stream;
	uint64_t t_req;
};

struct rr_stream {
	struct rr_conn *c;
	bool busy;             /* closed loop: a request is in flight */
	uint64_t next_k;       /* open loop: index of the next scheduled request */
	uint64_t requests;
	struct wk_hist lat;
};

static struct rr_stream *streams;
static size_t n_streams;

static void mux_enqueue(struct rr_stream *s, uint64_t t_req)
{
	struct rr_conn *c = s->c;

	if (c->q_tail - c->q_head >= MQ_CAP) {
		rr_state.dropped++;
		return;
	}
	c->q[c->q_tail++ % MQ_CAP] = (struct rr_mreq){ .stream = (uint32_t)(s - streams), .t_req = t_req };
	c->q_unsent++;
	s->busy = true;
}

/* Every request queued on @c failed with @err (0: the server closed). */
static void mux_fail_queue(struct rr_conn *c, int err)
{
	for (uint64_t i = c->q_head; i < c->q_tail; i++) {
		streams[c->q[i % MQ_CAP].stream].busy = false;
		if (err > 0) {
			rr_count_err(err);
		} else {
			rr_state.tot.early_eof++;
			rr_state.iv.early_eof++;
		}
	}
	c->q_head = c->q_tail = c->q_unsent = 0;
}

/* The connection broke or timed out: every request on it failed. Closed-loop
 * streams start again on the new connection. */
static void mux_drop(struct rr_conn *c, int err)
{
	mux_fail_queue(c, err);
	rr_drop_conn(c);
}

static void mux_send(struct rr_conn *c)
{
	while (c->q_unsent) {
		ssize_t w = wk_send_some(c->fd, rr_state.reqbuf + c->sent, rr_o.request - c->sent);

		if (w == -EAGAIN)
			break;
		if (w < 0) {
			mux_drop(c, (int)-w);
			return;
		}
		c->sent += (size_t)w;
		if (c->sent == rr_o.request) {
			c->sent = 0;
			c->q_unsent--;
		}
	}
	rr_set_events(c, EPOLLIN | EPOLLRDHUP | (c->q_unsent ? EPOLLOUT : 0));
}

void rr_mux_connected(struct rr_conn *c)
{
	c->state = RR_IDLE;
	c->sent = 0;
	c->resp_left = rr_o.response;
	rr_set_events(c, EPOLLIN | EPOLLRDHUP);
	mux_send(c);
}

static void mux_complete(struct rr_conn *c)
{
	struct rr_mreq *m = &c->q[c->q_head++ % MQ_CAP];
	struct rr_stream *s = &streams[m->stream];
	uint64_t now = wk_now_us(), lat = now - m->t_req;

	s->busy = false;
	if (m->t_req >= rr_state.t_start && now <= rr_state.t_end) {
		rr_state.tot.requests++;
		rr_state.iv.requests++;
		s->requests++;
		wk_hist_add(&rr_state.tot.lat, lat);
		wk_hist_add(&rr_state.iv.lat, lat);
		wk_hist_add(&s->lat, lat);
	}
	c->resp_left = rr_o.response;
}

void rr_mux_event(struct rr_conn *c, uint32_t ev)
{
	if (ev & EPOLLOUT)
		mux_send(c);
	if (c->state != RR_IDLE || !(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t r = wk_recv_some(c->fd, rr_state.rbuf, RR_RBUF);
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
		if ((size_t)r < RR_RBUF)
			return;
	}
}

/* Closed loop: every idle stream sends its next request. Open loop: each
 * stream's share of --rate on its own schedule, staggered across streams. */
void rr_mux_dispatch(uint64_t now)
{
	if (wk_stop)
		return;
	for (size_t i = 0; i < n_streams; i++) {
		struct rr_stream *s = &streams[i];

		if (rr_o.rate <= 0) {
			if (!s->busy && s->c->state != RR_FREE)
				mux_enqueue(s, now);
			continue;
		}
		for (;;) {
			double per = (double)n_streams / rr_o.rate * 1e6;
			uint64_t due = rr_state.t_start + (uint64_t)(((double)s->next_k + (double)i / (double)n_streams) * per);

			if (due > now || due >= rr_state.t_end)
				break;
			mux_enqueue(s, due);
			s->next_k++;
		}
	}
	for (size_t i = 0; i < rr_state.n_conns; i++)
		if (rr_state.conns[i].state == RR_IDLE && rr_state.conns[i].q_unsent)
			mux_send(&rr_state.conns[i]);
}

/* Timeouts: the oldest request of a connection waited too long. */
void rr_mux_tick(uint64_t now)
{
	for (size_t i = 0; i < rr_state.n_conns; i++) {
		struct rr_conn *c = &rr_state.conns[i];

		if (c->q_head == c->q_tail || now <= c->q[c->q_head % MQ_CAP].t_req + rr_o.timeout)
			continue;
		if (c->state == RR_IDLE)
			mux_drop(c, ETIMEDOUT);
		else
			mux_fail_queue(c, ETIMEDOUT); /* still (re)connecting: nothing was sent */
	}
}

int rr_mux_init(void)
{
	n_streams = rr_state.n_conns * rr_o.streams;
	streams = calloc(n_streams, sizeof(*streams));
	if (!streams)
		return -ENOMEM;
	for (size_t i = 0; i < rr_state.n_conns; i++)
		if (!(rr_state.conns[i].q = calloc(MQ_CAP, sizeof(struct rr_mreq))))
			return -ENOMEM;
	for (size_t i = 0; i < n_streams; i++)
		streams[i].c = &rr_state.conns[i / rr_o.streams];
	return 0;
}

/* Per-stream results and the spread of the per-stream p99. */
void rr_mux_result(json_t *res)
{
	json_t *a = json_array();
	uint64_t *p99 = calloc(n_streams + 1, sizeof(*p99));
	size_t n = 0;

	for (size_t i = 0; i < n_streams; i++) {
		struct rr_stream *s = &streams[i];

		json_array_append_new(a, json_pack("{sI sI sI so}", "stream", (json_int_t)i, "conn",
						   (json_int_t)(s->c - rr_state.conns), "requests",
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
	for (size_t i = 0; i < rr_state.n_conns; i++)
		rr_state.outstanding += rr_state.conns[i].q_tail - rr_state.conns[i].q_head;
	json_object_set_new(res, "outstanding_at_end", json_integer((json_int_t)rr_state.outstanding));
	json_object_set_new(res, "streams", json_integer((json_int_t)rr_o.streams));
	json_object_set_new(res, "stream_count", json_integer((json_int_t)n_streams));
	json_object_set_new(res, "per_stream", a);
	json_object_set_new(res, "stream_p99_us",
			    n ? json_pack("{sI sI sI sI}", "count", (json_int_t)n, "min", (json_int_t)p99[0],
					  "median", (json_int_t)p99[n / 2], "max", (json_int_t)p99[n - 1])
			      : json_pack("{sI}", "count", (json_int_t)0));
	free(p99);
}

