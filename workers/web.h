/* tb-web: the request/response worker over real protocol stacks. One binary,
 * two roles: the client (default) and the server (--serve). TLS 1.2/1.3 over
 * TCP with GnuTLS (web_tls.c), TCP Fast Open, HTTP/1.1 (web_h1.c), HTTP/2
 * with nghttp2 (web_h2.c), HTTP/3 over QUIC with ngtcp2 + nghttp3
 * (web_quic.c). web.c owns the options, the client's connection threads,
 * the request schedule, the statistics and the result; the protocol files
 * drive one connection each and report what happened through web_ev_*.
 *
 * Threads: the client runs one thread per connection slot (--concurrency
 * slots with --conn per-request, --pool connections with --conn pool); each
 * thread owns its sockets and protocol state and calls only the functions
 * below, which are thread-safe. The server runs one thread per accepted TCP
 * connection, and one thread for the QUIC socket (all QUIC connections).
 *
 * Times are CLOCK_MONOTONIC microseconds (wk_now_us()). Only files named
 * workers/web*.c are linked into tb-web, and only into it. */
#ifndef TB_WORKER_WEB_H
#define TB_WORKER_WEB_H

#include "common.h"

#include <pthread.h>

enum web_tls { WEB_TLS_NO, WEB_TLS_12, WEB_TLS_13 };
enum web_resume { WEB_RESUME_NO, WEB_RESUME_TICKET, WEB_RESUME_EARLY };
enum web_http { WEB_HTTP_NONE, WEB_HTTP_11, WEB_HTTP_2, WEB_HTTP_3 };
enum web_quic_cc { WEB_QCC_CUBIC, WEB_QCC_BBR, WEB_QCC_RENO };
enum web_conn_mode { WEB_PER_REQUEST, WEB_POOL };

/* The options (web.c parses them; the names are the long options). */
struct web_opts {
	bool serve;               /* --serve: the server role */
	int tls;                  /* --tls no|1.2|1.3 (enum web_tls) */
	int resume;               /* --resume no|ticket|early */
	bool tfo;                 /* --tfo */
	bool no_tickets;          /* --no-tickets (server, TLS over TCP): issue no tickets, resume nothing */
	int http;                 /* --http none|1.1|2|3 */
	int quic_cc;              /* --quic-cc cubic|bbr|reno */
	const char *cert, *key;   /* --cert/--key (server) PEM files; created when absent */
	const char *ca;           /* --ca (client): the certificate to trust (the server's) */
	const char *keylog;       /* --keylog FILE: NSS key log lines appended (SSLKEYLOGFILE format) */
	const char *qlog;         /* --qlog DIR: one ngtcp2 qlog file per QUIC connection */
	uint64_t request;         /* --request SIZE: request body bytes (http none: incl. the 16-byte rr header) */
	uint64_t response;        /* --response SIZE: response body bytes */
	uint64_t concurrency;     /* --concurrency N: per-request slots (threads) */
	uint64_t pool;            /* --pool N: pool connections (threads) */
	uint64_t streams;         /* --streams N: concurrent requests per pool connection (h2, h3; h1: 1) */
	double rate;              /* --rate R: requests/s for the whole flow, open loop; 0: closed loop */
	int conn;                 /* --conn per-request|pool (enum web_conn_mode) */
	uint64_t timeout;         /* --timeout: connect, handshake and request timeout */
	struct wk_sockopts so;    /* --cc --nodelay --sndbuf --rcvbuf (TCP) */
	uint64_t backlog;         /* --backlog (server) */
	const char *ready;        /* --ready FILE (server): written once listening */
	const char *requests;     /* --requests FILE (client): a CSV line per completed request */
};
extern struct web_opts web_o;

/* A TLS/QUIC session kept for resumption: the latest one a connection of
 * this flow received (web_ticket_put), handed to the next (web_ticket_get).
 * For QUIC, @tp holds the server's transport parameters needed for 0-RTT. */
struct web_ticket {
	unsigned char *data, *tp;
	size_t len, tp_len;
};

/* One connection slot of the client: one thread. */
struct web_slot {
	unsigned id;              /* 0.. */
	pthread_t thread;
	/* the schedule: the stream ids this slot serves are
	 * [first_stream, first_stream + n_streams) */
	unsigned first_stream, n_streams;
	/* the slot's own statistics, merged into the totals by web.c */
	struct web_stats *st;
};

/* Flags of a completed handshake (web_ev_handshake). */
enum {
	WEB_HS_RESUMED = 1u << 0,  /* a PSK / session ticket was accepted */
	WEB_HS_EARLY = 1u << 1,    /* early data (0-RTT) was accepted by the server */
	WEB_HS_TFO = 1u << 2,      /* data rode on the SYN (tcp_info TCPI_OPT_SYN_DATA) */
	WEB_HS_EARLY_REJECTED = 1u << 3, /* early data was sent and rejected: resent after the handshake */
};

/* ---- the request schedule (web.c) ---- */

/**
 * When may stream @stream of @s start its next request? Returns true and
 * sets *@t_req to the request's intended start time when one is due at or
 * before @now (closed loop: now; open loop: its scheduled time, which may
 * be in the past: latency counts from it). Returns false when none is due;
 * then *@t_req is the time the next one will be due (0: the run is over,
 * start nothing more). A true return consumes the request: the caller must
 * finish it with web_ev_done or web_ev_error.
 */
bool web_next(struct web_slot *s, unsigned stream, uint64_t now, uint64_t *t_req);
/** True once the run should stop (duration over, signal, deadline). */
bool web_stopping(void);

/* ---- what the protocol code reports (web.c counts it) ----
 * @stream is the flow-wide stream id (s->first_stream + i; an index local to
 * the slot, 0..n_streams-1, is accepted too). The TCP server reports with
 * @s NULL (web_ev_handshake, web_ev_done, web_ev_error count for its
 * result). */

/** A connect attempt started at @t_start completed its handshake (TCP, TLS or
 * QUIC: the last one the connection needs before a request's bytes can be
 * answered) at @t_done, with WEB_HS_* @flags. */
void web_ev_handshake(struct web_slot *s, uint64_t t_start, uint64_t t_done, unsigned flags);
/** The first byte of a response arrived at @t_fb; @t_from is the start of the
 * connection attempt for the first request of a new connection, else the
 * request's start (the ttfb). */
void web_ev_first_byte(struct web_slot *s, unsigned stream, uint64_t t_from, uint64_t t_fb);
/** A request started at @t_req (its intended time) got its whole response at @t_done. */
void web_ev_done(struct web_slot *s, unsigned stream, uint64_t t_req, uint64_t t_done);
/** A request or connection failed with @err (errno, positive; ETIMEDOUT for
 * timeouts, EPROTO for a TLS/HTTP/QUIC protocol error). @what is a short
 * text for the first error's message ("gnutls_handshake: ..."). */
void web_ev_error(struct web_slot *s, int err, const char *what);

/** Resumption state of the flow, shared between slots (thread-safe copies). */
void web_ticket_put(const struct web_ticket *t);
/** Copy of the latest ticket into @t (free with web_ticket_free); false if none yet. */
bool web_ticket_get(struct web_ticket *t);
void web_ticket_free(struct web_ticket *t);

/* ---- QUIC (web_quic.c) ---- */

/* QUIC counters of one connection, added to the flow's totals by web.c. */
struct web_quic_stats {
	uint64_t pkts_sent, pkts_recv, pkts_lost, pkts_retransmitted;
	uint64_t srtt_us, min_rtt_us, cwnd; /* at the end of the connection */
};
/** Add a connection's QUIC counters to the flow's (thread-safe). */
void web_ev_quic(struct web_slot *s, const struct web_quic_stats *q);

/**
 * The client side of one slot over HTTP/3: until web_stopping(), open a QUIC
 * connection to wk.addr (resuming from web_ticket_get when --resume is set,
 * sending the first request as 0-RTT with --resume early), run requests on
 * it through web_next/web_ev_* (pool: up to --streams at once on one
 * connection, reconnecting if it dies; per-request: one request, then
 * close and start over). Returns when the run is over.
 */
void web_quic_client(struct web_slot *s);
/** The server side: serve HTTP/3 on UDP socket @fd (bound) until wk_stop. */
void web_quic_server(int fd);

/* ---- QUIC server counters (web_quic_server.c) ---- */

/* What the HTTP/3 server saw since it started: completed handshakes, of
 * which resumed (a session ticket accepted) and with 0-RTT accepted, and
 * requests answered (a whole request read and its response submitted). */
struct web_quic_server_stats {
	uint64_t handshakes, resumed, early_accepted, requests;
};
/** The QUIC server's counters so far (thread-safe). The server also reports
 * each handshake and request through web_ev_handshake/web_ev_done with a
 * NULL slot (web_stats.c's server convention), so a result built from those
 * already has them: use one or the other, not both. */
void web_quic_server_counters(struct web_quic_server_stats *out);

#endif
