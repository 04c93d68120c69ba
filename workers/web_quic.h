/* Internal to workers/web_quic*.c: what the HTTP/3 client
 * (web_quic_client.c) and server (web_quic_server.c) share (web_quic.c).
 * One struct wq_conn is one QUIC connection: its ngtcp2 connection, its
 * GnuTLS session (QUIC handshake through ngtcp2_crypto_gnutls), its nghttp3
 * session and its counters. ngtcp2 and nghttp3 times are CLOCK_MONOTONIC
 * nanoseconds (wk_now_ns()); web_ev_* times stay in microseconds.
 *
 * Counters: pkts_sent/pkts_recv count UDP datagrams (a datagram may carry
 * coalesced Initial+Handshake packets during the handshake). pkts_lost counts
 * ngtcp2's "recovery:packet_lost" qlog events (ngtcp2 0.12 has no loss
 * counter; the qlog writer is always installed for this, and writes a file
 * only with --qlog). ngtcp2 never resends a packet: it puts a lost packet's
 * frames into new packets, so pkts_retransmitted is the number of packets
 * declared lost whose frames went out again, that is pkts_lost. */
#ifndef TB_WORKER_WEB_QUIC_H
#define TB_WORKER_WEB_QUIC_H

#include "web.h"
#include "web_int.h" /* web_ev_tls, web_ev_bytes */

#include <gnutls/gnutls.h>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <stdio.h>

#define WQ_SCID_LEN 18
#define WQ_MAX_CIDS 16      /* CIDs tracked per connection */
#define WQ_PKT_MAX 1500     /* the largest datagram we build */

struct wq_conn {
	ngtcp2_crypto_conn_ref ref; /* gnutls_session_get_ptr() points here */
	ngtcp2_conn *qc;
	nghttp3_conn *h3;
	gnutls_session_t tls;
	int fd;
	bool server;
	uint64_t t_start;           /* us: the first packet (server), the connect (client) */
	struct sockaddr_storage local, remote;
	socklen_t local_len, remote_len;
	FILE *qlog;
	uint64_t sent, recv, lost;
	ngtcp2_connection_close_error ccerr; /* what CONNECTION_CLOSE says */
	/* server: the CIDs that route to this connection (the client's first
	 * DCID, our SCID and those handed out later) */
	ngtcp2_cid cids[WQ_MAX_CIDS];
	unsigned n_cids;
	/* server: told of each CID ngtcp2 adds to or removes from cids[] */
	void (*cid_changed)(struct wq_conn *c, const ngtcp2_cid *cid, bool added);
};

/** The options' congestion control as ngtcp2's. */
ngtcp2_cc_algo wq_cc_algo(void);
/** Settings of a new connection: cc, the loss-counting qlog writer (and the
 * qlog file of --qlog, named after @odcid), the initial timestamp. */
void wq_settings(struct wq_conn *c, ngtcp2_settings *st, const ngtcp2_cid *odcid);
/** Our transport parameters (flow control windows, stream limits, idle timeout). */
void wq_params(ngtcp2_transport_params *p, bool server);
/** The callbacks both sides use: crypto, stream data into nghttp3, acks. */
void wq_callbacks(ngtcp2_callbacks *cb);
/** Give @n bytes of stream @sid's flow control window back to the peer. */
void wq_consume(struct wq_conn *c, int64_t sid, size_t n);
/** The nghttp3 callbacks both sides use (flow control, resets). */
void wq_h3_callbacks(nghttp3_callbacks *cb);
/** Random bytes (gnutls_rnd), a random CID of @len. */
void wq_rand(void *dst, size_t len);
void wq_cid_rand(ngtcp2_cid *cid, size_t len);

/** TLS settings both sides use on @c->tls: TLS 1.3 only, ALPN h3, the
 * keylog, the conn ref for ngtcp2_crypto. 0 or a GnuTLS error. */
int wq_tls_setup(struct wq_conn *c);
/** nghttp3's read_data for a body of *@left zero bytes: fills @vec from one
 * shared block of zeros, counts down *@left, sets EOF at the end. Both the
 * client's request bodies and the server's responses are such bodies. */
nghttp3_ssize wq_zero_body(nghttp3_vec *vec, size_t veccnt, uint64_t *left, uint32_t *pflags);
/** Open the control and QPACK streams of @c->h3 (just created). 0 or an error. */
int wq_h3_bind(struct wq_conn *c);

/** Feed one received datagram to ngtcp2. 0 or an ngtcp2 error. */
int wq_read(struct wq_conn *c, const uint8_t *pkt, size_t len);
/** Write everything ngtcp2/nghttp3 have to send now (one pacing quantum).
 * 0 or a negative ngtcp2/nghttp3 error. */
int wq_write(struct wq_conn *c);
/** Remember why the connection dies (ngtcp2 error @rv) for CONNECTION_CLOSE. */
void wq_set_error(struct wq_conn *c, int rv);
/** Send CONNECTION_CLOSE (with c->ccerr) unless closing or draining already. */
void wq_send_close(struct wq_conn *c);
/** Counters of the connection now (web.h's struct). */
void wq_stats(struct wq_conn *c, struct web_quic_stats *q);
/** Free ngtcp2, nghttp3, GnuTLS state and the qlog file (not the fd). */
void wq_free(struct wq_conn *c);

#endif
