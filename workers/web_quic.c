/* HTTP/3 over QUIC, the part both roles share: ngtcp2 settings and
 * callbacks, the GnuTLS session setup (TLS 1.3, ALPN h3, keylog), the
 * datagram read/write loop between ngtcp2, nghttp3 and the UDP socket, and
 * the per-connection counters (see web_quic.h for what they count). */
#include "web_quic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

static const char tls_priority[] =
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:%DISABLE_TLS13_COMPAT_MODE";

ngtcp2_cc_algo wq_cc_algo(void)
{
	switch ((enum web_quic_cc)web_o.quic_cc) {
	case WEB_QCC_CUBIC:
		return NGTCP2_CC_ALGO_CUBIC;
	case WEB_QCC_BBR:
		return NGTCP2_CC_ALGO_BBR2;
	case WEB_QCC_RENO:
		return NGTCP2_CC_ALGO_RENO;
	}
	return NGTCP2_CC_ALGO_CUBIC;
}

void wq_rand(void *dst, size_t len)
{
	(void)gnutls_rnd(GNUTLS_RND_RANDOM, dst, len);
}

void wq_cid_rand(ngtcp2_cid *cid, size_t len)
{
	cid->datalen = len;
	wq_rand(cid->data, len);
}

static void hex(char *dst, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sprintf(dst + 2 * i, "%02x", p[i]);
}

/* ngtcp2's qlog writer: counts lost packets, and writes --qlog's file. */
static void qlog_write(void *user_data, uint32_t flags, const void *data, size_t len)
{
	struct wq_conn *c = user_data;

	if (memmem(data, len, "\"recovery:packet_lost\"", 22))
		c->lost++;
	if (c->qlog) {
		fwrite(data, 1, len, c->qlog);
		if (flags & NGTCP2_QLOG_WRITE_FLAG_FIN)
			fflush(c->qlog);
	}
}

static void qlog_open(struct wq_conn *c, const ngtcp2_cid *odcid)
{
	char id[2 * NGTCP2_MAX_CIDLEN + 1], path[4096];

	hex(id, odcid->data, odcid->datalen);
	if (mkdir(web_o.qlog, 0755) < 0 && errno != EEXIST)
		wk_msg("qlog %s: %s", web_o.qlog, strerror(errno));
	snprintf(path, sizeof path, "%s/%s-%s.sqlog", web_o.qlog, c->server ? "server" : "client", id);
	c->qlog = fopen(path, "w");
	if (!c->qlog)
		wk_msg("qlog %s: %s", path, strerror(errno));
}

void wq_settings(struct wq_conn *c, ngtcp2_settings *st, const ngtcp2_cid *odcid)
{
	ngtcp2_settings_default(st);
	st->initial_ts = wk_now_ns();
	st->cc_algo = wq_cc_algo();
	st->qlog.odcid = *odcid;
	st->qlog.write = qlog_write;
	st->max_window = 64u << 20;
	st->max_stream_window = 16u << 20;
	if (web_o.qlog && !c->qlog)
		qlog_open(c, odcid);
}

void wq_params(ngtcp2_transport_params *p, bool server)
{
	ngtcp2_transport_params_default(p);
	p->initial_max_data = 16u << 20;
	p->initial_max_stream_data_bidi_local = 4u << 20;
	p->initial_max_stream_data_bidi_remote = 4u << 20;
	p->initial_max_stream_data_uni = 1u << 20;
	p->initial_max_streams_uni = 3;
	p->initial_max_streams_bidi = server ? 1024 : 0; /* --streams allows 1024 */
	p->max_idle_timeout = 30 * NGTCP2_SECONDS;
}

/* ---- keylog: NSS key log lines, one write() each (O_APPEND) ---- */

static int keylog(gnutls_session_t s, const char *label, const gnutls_datum_t *secret)
{
	gnutls_datum_t crand, srand;
	char line[512];
	int fd;

	if (!web_o.keylog || secret->size > 64)
		return 0;
	gnutls_session_get_random(s, &crand, &srand);
	size_t n = (size_t)snprintf(line, sizeof line, "%s ", label);
	hex(line + n, crand.data, crand.size);
	n += 2 * crand.size;
	line[n++] = ' ';
	hex(line + n, secret->data, secret->size);
	n += 2 * secret->size;
	line[n++] = '\n';
	fd = open(web_o.keylog, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, line, n) != (ssize_t)n)
			wk_msg("keylog %s: %s", web_o.keylog, strerror(errno));
		close(fd);
	}
	return 0;
}

static ngtcp2_conn *conn_of_ref(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct wq_conn *)ref->user_data)->qc;
}

int wq_tls_setup(struct wq_conn *c)
{
	static const gnutls_datum_t alpn = { (unsigned char *)"h3", 2 };
	int rv = gnutls_priority_set_direct(c->tls, tls_priority, NULL);

	if (rv < 0)
		return rv;
	rv = gnutls_alpn_set_protocols(c->tls, &alpn, 1, GNUTLS_ALPN_MANDATORY);
	if (rv < 0)
		return rv;
	c->ref.get_conn = conn_of_ref;
	c->ref.user_data = c;
	gnutls_session_set_ptr(c->tls, &c->ref);
	gnutls_session_set_keylog_function(c->tls, keylog);
	return 0;
}

/* ---- ngtcp2 callbacks shared by both sides ---- */

static int get_new_cid(ngtcp2_conn *qc, ngtcp2_cid *cid, uint8_t *token, size_t cidlen, void *ud)
{
	struct wq_conn *c = ud;

	(void)qc;
	wq_cid_rand(cid, cidlen);
	wq_rand(token, NGTCP2_STATELESS_RESET_TOKENLEN);
	if (c->n_cids < WQ_MAX_CIDS) {
		c->cids[c->n_cids++] = *cid;
		if (c->cid_changed)
			c->cid_changed(c, cid, true);
	}
	return 0;
}

static int remove_cid(ngtcp2_conn *qc, const ngtcp2_cid *cid, void *ud)
{
	struct wq_conn *c = ud;

	(void)qc;
	for (unsigned i = 0; i < c->n_cids; i++)
		if (ngtcp2_cid_eq(&c->cids[i], cid)) {
			if (c->cid_changed)
				c->cid_changed(c, cid, false);
			c->cids[i] = c->cids[--c->n_cids];
			break;
		}
	return 0;
}

static void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	(void)ctx;
	wq_rand(dest, len);
}

static int recv_stream_data(ngtcp2_conn *qc, uint32_t flags, int64_t sid, uint64_t off,
			    const uint8_t *data, size_t len, void *ud, void *sud)
{
	struct wq_conn *c = ud;
	nghttp3_ssize n;

	(void)off, (void)sud;
	if (!c->h3)
		return 0;
	n = nghttp3_conn_read_stream(c->h3, sid, data, len, flags & NGTCP2_STREAM_DATA_FLAG_FIN);
	if (n < 0) {
		ngtcp2_connection_close_error_set_application_error(&c->ccerr,
			nghttp3_err_infer_quic_app_error_code((int)n), NULL, 0);
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	ngtcp2_conn_extend_max_stream_offset(qc, sid, (uint64_t)n);
	ngtcp2_conn_extend_max_offset(qc, (uint64_t)n);
	return 0;
}

static int acked_stream_data(ngtcp2_conn *qc, int64_t sid, uint64_t off, uint64_t len,
			     void *ud, void *sud)
{
	struct wq_conn *c = ud;

	(void)qc, (void)off, (void)sud;
	if (c->h3 && nghttp3_conn_add_ack_offset(c->h3, sid, len) != 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	return 0;
}

static int stream_close(ngtcp2_conn *qc, uint32_t flags, int64_t sid, uint64_t code,
			void *ud, void *sud)
{
	struct wq_conn *c = ud;

	(void)sud;
	if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET))
		code = NGHTTP3_H3_NO_ERROR;
	if (c->h3) {
		int rv = nghttp3_conn_close_stream(c->h3, sid, code);

		if (rv != 0 && rv != NGHTTP3_ERR_STREAM_NOT_FOUND)
			return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	if (c->server && !ngtcp2_conn_is_local_stream(qc, sid) && ngtcp2_is_bidi_stream(sid))
		ngtcp2_conn_extend_max_streams_bidi(qc, 1);
	return 0;
}

static int stream_reset(ngtcp2_conn *qc, int64_t sid, uint64_t size, uint64_t code,
			void *ud, void *sud)
{
	struct wq_conn *c = ud;

	(void)qc, (void)size, (void)code, (void)sud;
	if (c->h3 && nghttp3_conn_shutdown_stream_read(c->h3, sid) != 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	return 0;
}

static int stream_stop_sending(ngtcp2_conn *qc, int64_t sid, uint64_t code, void *ud, void *sud)
{
	return stream_reset(qc, sid, 0, code, ud, sud);
}

static int extend_max_stream_data(ngtcp2_conn *qc, int64_t sid, uint64_t max, void *ud, void *sud)
{
	struct wq_conn *c = ud;

	(void)qc, (void)max, (void)sud;
	if (c->h3 && nghttp3_conn_unblock_stream(c->h3, sid) != 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	return 0;
}

void wq_callbacks(ngtcp2_callbacks *cb)
{
	memset(cb, 0, sizeof *cb);
	cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
	cb->encrypt = ngtcp2_crypto_encrypt_cb;
	cb->decrypt = ngtcp2_crypto_decrypt_cb;
	cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
	cb->update_key = ngtcp2_crypto_update_key_cb;
	cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
	cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
	cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
	cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
	cb->rand = rand_cb;
	cb->get_new_connection_id = get_new_cid;
	cb->remove_connection_id = remove_cid;
	cb->recv_stream_data = recv_stream_data;
	cb->acked_stream_data_offset = acked_stream_data;
	cb->stream_close = stream_close;
	cb->stream_reset = stream_reset;
	cb->stream_stop_sending = stream_stop_sending;
	cb->extend_max_stream_data = extend_max_stream_data;
}

/* ---- nghttp3 callbacks shared by both sides ---- */

void wq_consume(struct wq_conn *c, int64_t sid, size_t n)
{
	ngtcp2_conn_extend_max_stream_offset(c->qc, sid, n);
	ngtcp2_conn_extend_max_offset(c->qc, n);
}

static int h3_consume(nghttp3_conn *h3, int64_t sid, size_t n, void *ud, void *sud)
{
	(void)h3, (void)sud;
	wq_consume(ud, sid, n);
	return 0;
}

static int h3_recv_data(nghttp3_conn *h3, int64_t sid, const uint8_t *data, size_t n,
			void *ud, void *sud)
{
	(void)data;
	return h3_consume(h3, sid, n, ud, sud);
}

static int h3_stop_sending(nghttp3_conn *h3, int64_t sid, uint64_t code, void *ud, void *sud)
{
	struct wq_conn *c = ud;

	(void)h3, (void)sud;
	if (ngtcp2_conn_shutdown_stream_read(c->qc, sid, code) != 0)
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	return 0;
}

static int h3_reset_stream(nghttp3_conn *h3, int64_t sid, uint64_t code, void *ud, void *sud)
{
	struct wq_conn *c = ud;

	(void)h3, (void)sud;
	if (ngtcp2_conn_shutdown_stream_write(c->qc, sid, code) != 0)
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	return 0;
}

void wq_h3_callbacks(nghttp3_callbacks *cb)
{
	memset(cb, 0, sizeof *cb);
	cb->deferred_consume = h3_consume;
	cb->recv_data = h3_recv_data;
	cb->stop_sending = h3_stop_sending;
	cb->reset_stream = h3_reset_stream;
}

int wq_h3_bind(struct wq_conn *c)
{
	int64_t ctrl, enc, dec;
	int rv;

	if ((rv = ngtcp2_conn_open_uni_stream(c->qc, &ctrl, NULL)) != 0 ||
	    (rv = ngtcp2_conn_open_uni_stream(c->qc, &enc, NULL)) != 0 ||
	    (rv = ngtcp2_conn_open_uni_stream(c->qc, &dec, NULL)) != 0)
		return rv;
	if ((rv = nghttp3_conn_bind_control_stream(c->h3, ctrl)) != 0)
		return rv;
	return nghttp3_conn_bind_qpack_streams(c->h3, enc, dec);
}

/* ---- datagrams ---- */

int wq_read(struct wq_conn *c, const uint8_t *pkt, size_t len)
{
	ngtcp2_path path = {
		{ (ngtcp2_sockaddr *)&c->local, c->local_len },
		{ (ngtcp2_sockaddr *)&c->remote, c->remote_len },
		NULL,
	};
	ngtcp2_pkt_info pi = { 0 };

	c->recv++;
	return ngtcp2_conn_read_pkt(c->qc, &path, &pi, pkt, len, wk_now_ns());
}

static void send_dgram(struct wq_conn *c, const uint8_t *buf, size_t len)
{
	ssize_t n;

	do
		n = sendto(c->fd, buf, len, MSG_DONTWAIT, c->server ? (struct sockaddr *)&c->remote : NULL,
			   c->server ? c->remote_len : 0);
	while (n < 0 && errno == EINTR);
	/* a full socket buffer drops the datagram: QUIC's loss recovery resends */
	if (n >= 0)
		c->sent++;
}

/* The h3 stream data ngtcp2 took (@n bytes of @sid, < 0: none). */
static int h3_wrote(struct wq_conn *c, int64_t sid, ngtcp2_ssize n)
{
	if (n < 0 || !c->h3)
		return 0;
	return nghttp3_conn_add_write_offset(c->h3, sid, (size_t)n);
}

/* One packet: stream data nghttp3 offers, or whatever ngtcp2 has. Returns
 * the datagram's length (0: nothing more to send) or an error. */
static ngtcp2_ssize write_one(struct wq_conn *c, uint8_t *buf, size_t max, uint64_t ts)
{
	for (;;) {
		nghttp3_vec v[16];
		nghttp3_ssize nv = 0;
		int64_t sid = -1;
		int fin = 0, rv;
		ngtcp2_ssize n, took = -1;
		ngtcp2_pkt_info pi;

		if (c->h3 && ngtcp2_conn_get_max_data_left(c->qc)) {
			nv = nghttp3_conn_writev_stream(c->h3, &sid, &fin, v, 16);
			if (nv < 0) {
				ngtcp2_connection_close_error_set_application_error(&c->ccerr,
					nghttp3_err_infer_quic_app_error_code((int)nv), NULL, 0);
				return NGTCP2_ERR_CALLBACK_FAILURE;
			}
		}
		n = ngtcp2_conn_writev_stream(c->qc, NULL, &pi, buf, max, &took,
					      NGTCP2_WRITE_STREAM_FLAG_MORE | (fin ? NGTCP2_WRITE_STREAM_FLAG_FIN : 0),
					      sid, (const ngtcp2_vec *)v, (size_t)nv, ts);
		if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
			nghttp3_conn_block_stream(c->h3, sid);
			continue;
		}
		if (n == NGTCP2_ERR_STREAM_SHUT_WR) {
			nghttp3_conn_shutdown_stream_write(c->h3, sid);
			continue;
		}
		if ((rv = h3_wrote(c, sid, took)) != 0) {
			ngtcp2_connection_close_error_set_application_error(&c->ccerr,
				nghttp3_err_infer_quic_app_error_code(rv), NULL, 0);
			return NGTCP2_ERR_CALLBACK_FAILURE;
		}
		if (n != NGTCP2_ERR_WRITE_MORE)
			return n;
	}
}

int wq_write(struct wq_conn *c)
{
	uint8_t buf[WQ_PKT_MAX];
	uint64_t ts = wk_now_ns();
	size_t max = ngtcp2_conn_get_max_tx_udp_payload_size(c->qc);
	size_t quantum = ngtcp2_conn_get_send_quantum(c->qc) / max + 1;

	if (max > sizeof buf)
		max = sizeof buf;
	if (ngtcp2_conn_is_in_closing_period(c->qc) || ngtcp2_conn_is_in_draining_period(c->qc))
		return 0;
	for (size_t i = 0; i < quantum; i++) {
		ngtcp2_ssize n = write_one(c, buf, max, ts);

		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		send_dgram(c, buf, (size_t)n);
	}
	/* No pacing before the handshake is complete: ngtcp2 0.12 paces the
	 * first flight at cwnd / initial_rtt (333 ms), which held the client's
	 * Finished (and the first request) back by ~22 ms on a 1 ms path. */
	if (ngtcp2_conn_get_handshake_completed(c->qc))
		ngtcp2_conn_update_pkt_tx_time(c->qc, ts);
	return 0;
}

void wq_set_error(struct wq_conn *c, int rv)
{
	if (c->ccerr.error_code || c->ccerr.type != NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT)
		return;
	if (rv == NGTCP2_ERR_CRYPTO)
		ngtcp2_connection_close_error_set_transport_error_tls_alert(&c->ccerr,
			ngtcp2_conn_get_tls_alert(c->qc), NULL, 0);
	else
		ngtcp2_connection_close_error_set_transport_error_liberr(&c->ccerr, rv, NULL, 0);
}

void wq_send_close(struct wq_conn *c)
{
	uint8_t buf[WQ_PKT_MAX];
	ngtcp2_pkt_info pi;
	ngtcp2_ssize n;

	if (!c->qc || ngtcp2_conn_is_in_closing_period(c->qc) ||
	    ngtcp2_conn_is_in_draining_period(c->qc))
		return;
	n = ngtcp2_conn_write_connection_close(c->qc, NULL, &pi, buf, sizeof buf, &c->ccerr, wk_now_ns());
	if (n > 0)
		send_dgram(c, buf, (size_t)n);
}

void wq_stats(struct wq_conn *c, struct web_quic_stats *q)
{
	ngtcp2_conn_stat cs;

	memset(q, 0, sizeof *q);
	q->pkts_sent = c->sent;
	q->pkts_recv = c->recv;
	q->pkts_lost = c->lost;
	q->pkts_retransmitted = c->lost;
	if (!c->qc)
		return;
	ngtcp2_conn_get_conn_stat(c->qc, &cs);
	q->srtt_us = cs.smoothed_rtt / 1000;
	q->min_rtt_us = cs.min_rtt == UINT64_MAX ? 0 : cs.min_rtt / 1000;
	q->cwnd = cs.cwnd;
}

void wq_free(struct wq_conn *c)
{
	if (c->h3)
		nghttp3_conn_del(c->h3);
	if (c->qc)
		ngtcp2_conn_del(c->qc);
	if (c->tls)
		gnutls_deinit(c->tls);
	if (c->qlog)
		fclose(c->qlog);
	c->h3 = NULL;
	c->qc = NULL;
	c->tls = NULL;
	c->qlog = NULL;
}

nghttp3_ssize wq_zero_body(nghttp3_vec *vec, size_t veccnt, uint64_t *left, uint32_t *pflags)
{
	static const uint8_t zeros[16384];
	size_t n = 0;

	for (; n < veccnt && *left; n++) {
		size_t k = *left < sizeof zeros ? (size_t)*left : sizeof zeros;

		vec[n].base = (uint8_t *)zeros;
		vec[n].len = k;
		*left -= k;
	}
	if (!*left)
		*pflags |= NGHTTP3_DATA_FLAG_EOF;
	return (nghttp3_ssize)n;
}
