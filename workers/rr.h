/* Internals of tb-rr shared between rr_state.c (options, per-request and pool
 * connections, the open-loop queue, the result) and common_rr_mux.c (the
 * connection bookkeeping both use, and stream mode, --streams). The common_
 * files are linked into every worker by the Makefile; only tb-rr calls these. */
#ifndef TB_WORKER_RR_H
#define TB_WORKER_RR_H

#include "common.h"

enum rr_cstate { RR_FREE, RR_DEAD, RR_CONNECTING, RR_IDLE, RR_SENDING, RR_RECEIVING, RR_CLOSING };

/* A pool connection, or a per-request slot. */
struct rr_conn {
	int fd;
	/* stream mode: requests queued on this connection, oldest first; the
	 * server answers in order, so the head owns the next response bytes */
	struct rr_mreq *q;
	uint64_t q_head, q_tail, q_unsent;
	enum rr_cstate state;
	bool busy;           /* carries a request */
	uint32_t events;     /* current epoll interest */
	uint64_t t_req, t_conn, t_limit;
	size_t sent;
	uint64_t resp_left;
	struct rr_conn *next_free;
};

/* The options both halves read (the rest are rr_state.c's own). */
struct rr_opts {
	uint64_t request, response, timeout;
	uint64_t streams; /* 0: no stream mode */
	double rate;      /* requests per second; 0: closed loop */
	int conn;         /* 0: a connection per request, 1: keep-alive pool */
};

struct rr_stats {
	uint64_t requests, handshakes, early_eof;
	struct wk_hist lat, conn;
	struct wk_errs errs;
};

#define RR_RBUF (256 * 1024)

struct rr_run {
	int ep;
	struct rr_conn *conns;
	size_t n_conns;
	struct rr_conn *free_slots; /* per-request: unused slots */
	unsigned char *reqbuf;      /* the request, header included */
	unsigned char *rbuf;        /* RR_RBUF bytes that responses are read into */
	uint64_t outstanding;       /* requests in flight */
	uint64_t dropped;           /* open loop: requests that found their queue full */
	uint64_t t_start, t_end;
	struct rr_stats tot, iv;    /* the whole run; the current --interval */
};

extern struct rr_opts rr_o;
extern struct rr_run rr_state;

/** Set the epoll interest of @c to @ev (adds it to the set the first time). */
void rr_set_events(struct rr_conn *c, uint32_t ev);
/** Count a failed request or connect with error number @err. */
void rr_count_err(int err);
/** @c no longer carries a request. */
void rr_release(struct rr_conn *c);
/** Close @c: a pool connection waits for the ticker to reconnect it, a
 * per-request slot goes back to rr_state.free_slots. */
void rr_drop_conn(struct rr_conn *c);

/* Stream mode. */
/** Allocate the streams and the per-connection queues: 0 or -ENOMEM. */
int rr_mux_init(void);
/** @c connected: send what its streams queued meanwhile. */
void rr_mux_connected(struct rr_conn *c);
/** An epoll event on connected @c. */
void rr_mux_event(struct rr_conn *c, uint32_t ev);
/** Queue and send every request that is due at @now. */
void rr_mux_dispatch(uint64_t now);
/** Time out connections whose oldest request waited longer than --timeout. */
void rr_mux_tick(uint64_t now);
/** Add the per-stream results to @res. */
void rr_mux_result(json_t *res);

#endif
