/* Internals of tb-web shared between its files (web.h is the contract with
 * the QUIC half; this header is the TCP half's plumbing): the connection
 * I/O layer over TCP and TLS (web_io.c, web_tls.c), the per-protocol entry
 * points (web_h1.c, web_h2.c), the server (web_srv.c) and the statistics
 * (web_stats.c). Only files named workers/web*.c include it. */
#ifndef TB_WORKER_WEB_INT_H
#define TB_WORKER_WEB_INT_H

#include "web.h"

#include <gnutls/gnutls.h>

#include "util/tls_cert.h"

/* One TCP connection, cleartext or TLS, driven by one thread with
 * non-blocking sockets and poll(): every wait ends at io->deadline
 * (-ETIMEDOUT) or when the run stops (-ECANCELED). */
struct web_io {
	int fd;
	gnutls_session_t tls;     /* NULL: cleartext */
	struct web_slot *s;       /* client: the slot; server: NULL */
	uint64_t t_start;         /* the connect attempt began */
	uint64_t deadline;        /* of the current operation; UINT64_MAX: none */
	bool deferred;            /* TFO: connect deferred until the first write */
	bool up;                  /* TCP established (seen) */
	bool ticket_taken;        /* client: this connection's ticket went to web_ticket_put */
	bool resuming;            /* client: a ticket was offered */
	unsigned char *early;     /* server: early data received, read first */
	size_t early_len, early_off;
	uint64_t bytes_in, bytes_out;
	int sys_err;              /* errno of the last failed send/recv under TLS */
	bool corked;              /* TCP_CORK: the last handshake flight and the first request leave together */
	unsigned char *syn;       /* TFO + TLS: the first flight, held so that it leaves whole on the SYN */
	size_t syn_len;
};

/* ---- web_io.c ---- */
/** Client: socket, TFO, connect (waits unless TFO defers it), TLS session
 * set up. 0 or -errno (*what names the failing step). */
int web_io_connect(struct web_io *io, struct web_slot *s, const char **what);
/** Client: send the first flight @buf (on the SYN with TFO, as early data
 * with --resume early when a ticket allows it), complete the handshake
 * (reported with web_ev_handshake), then send what is left. 0 or -errno. */
int web_io_start(struct web_io *io, const void *buf, size_t len, const char **what);
/** Read up to @len bytes, waiting: bytes, 0 at EOF, -errno. */
ssize_t web_io_read(struct web_io *io, void *buf, size_t len);
/** Write all of @len bytes, waiting. 0 or -errno. */
int web_io_write(struct web_io *io, const void *buf, size_t len);
/** Wait until @fd is readable (1), @until passes (0), or -errno (deadline,
 * stop). Bytes buffered in TLS count as readable. */
int web_io_poll(struct web_io *io, uint64_t until);
/** Wait for @events on io->fd until io->deadline. 0 or -errno. */
int web_io_wait(struct web_io *io, short events);
/** Close and free everything (safe on a closed io). */
void web_io_close(struct web_io *io);
/** The TCP_INFO options say data rode on the SYN (TCPI_OPT_SYN_DATA). */
bool web_io_syn_data(int fd);
/** TCP_CORK on or off (off sends what is held). */
void web_io_cork(struct web_io *io, bool on);
/** The TCP connection is known to be up: report connect_us once (client). */
void web_io_up(struct web_io *io);
/** Sleep until @t (sliced, so a stop is seen). False when stopping. */
bool web_sleep_until(uint64_t t);
/** --tfo: make sure net.ipv4.tcp_fastopen has bit @need; the old and new
 * values go to *@old and *@now (-1 when unreadable). 0 or -errno. */
int web_tfo_sysctl(int need, int *old, int *now);

/* ---- web_tls.c ---- */
/** Global TLS state for the role (credentials, ticket key, anti-replay,
 * key log). 0, or -1 after wk_fail. */
int web_tls_init(void);
void web_tls_cleanup(void);
/** Server: make --cert/--key when either is missing. 0, or -1 after wk_fail. */
int web_tls_cert(void);
/** Client session on io->fd (resumption ticket offered when there is one). */
int web_tls_client(struct web_io *io, const char **what);
/** Client handshake, with @buf's first bytes as early data when allowed;
 * *@sent_early says how many of them the server accepted. Reports
 * web_ev_handshake. 0 or -errno. */
int web_tls_client_handshake(struct web_io *io, const void *buf, size_t len, size_t *sent_early,
			     const char **what);
/** Server session and handshake on accepted io->fd; early data kept in
 * io->early. 0 or -errno. */
int web_tls_server(struct web_io *io, const char **what);
/** A TLS record read/write step: bytes, or GnuTLS code mapped to -errno
 * (-EAGAIN: wait for io->fd, see web_tls_dir). */
ssize_t web_tls_recv(struct web_io *io, void *buf, size_t len);
ssize_t web_tls_send(struct web_io *io, const void *buf, size_t len);
/** The poll events the last interrupted TLS call waits for. */
short web_tls_dir(struct web_io *io);
/** After a read: keep a newly arrived session ticket (client). */
void web_tls_take_ticket(struct web_io *io);

/* ---- protocols (web_h1.c, web_h2.c) ---- */
/** Client slot loops: run until the run is over. */
void web_h1_client(struct web_slot *s);
void web_h2_client(struct web_slot *s);
/** Serve one accepted connection (TLS handshake done) until EOF. */
void web_h1_serve(struct web_io *io);
void web_h2_serve(struct web_io *io);

/* ---- web_srv.c ---- */
/** The server role: listen, announce, serve until stopped; the result. */
json_t *web_srv_run(void);

/* ---- web_stats.c ---- */
/** Start the schedule: @n_streams streams in all, @per on each slot, from
 * now for --duration. */
int web_stats_init(unsigned n_streams, unsigned per);
/** Client: TCP connect from @t_start to @t_done (connect_us). */
void web_ev_connect(struct web_slot *s, uint64_t t_start, uint64_t t_done);
/** The negotiated TLS version and ALPN ("" when none) of a connection. */
void web_ev_tls(struct web_slot *s, const char *version, const char *alpn);
/** Bytes moved by a server connection (s NULL) or a client slot. */
void web_ev_bytes(struct web_slot *s, uint64_t in, uint64_t out);
/** Main thread: series lines until the run is over. */
void web_stats_wait(void);
/** Client result fields into @res. */
void web_stats_client_result(json_t *res);
/** Server result fields into @res. */
void web_stats_server_result(json_t *res);
/** The request path for a response of @n bytes, "/N"; parse it back (-1 bad). */
long long web_path_size(const char *path, size_t len);

#define WEB_RBUF (64 * 1024)

#endif
