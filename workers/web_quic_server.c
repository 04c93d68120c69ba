/* The HTTP/3 server: one thread, one bound UDP socket, every QUIC
 * connection in a small table found by the packet's destination CID (a new
 * Initial makes a connection: ngtcp2_accept). Answers GET /N with N zero
 * bytes (status 200, content-length N). Session tickets are sent after each
 * handshake; 0-RTT is accepted (max early data 0xffffffff, RFC 9001 4.6.1). */
#include "web_quic.h"
#include "util/tls_cert.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct srv_stream {
	uint64_t left;      /* response bytes still to hand to nghttp3 */
	uint64_t in;        /* request body bytes */
	char clen[24];      /* content-length value */
	struct srv_stream *next, **pprev; /* the connection's open streams */
};

struct srv_conn {
	struct wq_conn c;   /* first: the callbacks' user data */
	bool dead;
	struct srv_stream *streams; /* freed with the connection if still open */
};

/* CID -> connection: a chained hash table (CIDs are random) */
#define SRV_BUCKETS 4096
struct srv_route {
	struct srv_route *next;
	struct srv_conn *sc;
	ngtcp2_cid cid;
};

static struct {
	struct srv_route *routes[SRV_BUCKETS];
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t ticket_key;
	gnutls_anti_replay_t anti_replay;
	struct srv_conn **conns;
	size_t n, cap;
	int fd;
	struct sockaddr_storage local;
	socklen_t local_len;
} srv;

static struct web_quic_server_stats srv_st;

static void count(uint64_t *v)
{
	__atomic_add_fetch(v, 1, __ATOMIC_RELAXED);
}

void web_quic_server_counters(struct web_quic_server_stats *out)
{
	out->handshakes = __atomic_load_n(&srv_st.handshakes, __ATOMIC_RELAXED);
	out->resumed = __atomic_load_n(&srv_st.resumed, __ATOMIC_RELAXED);
	out->early_accepted = __atomic_load_n(&srv_st.early_accepted, __ATOMIC_RELAXED);
	out->requests = __atomic_load_n(&srv_st.requests, __ATOMIC_RELAXED);
}

/* ---- HTTP/3 ---- */

static nghttp3_ssize read_body(nghttp3_conn *h3, int64_t sid, nghttp3_vec *vec, size_t veccnt,
			       uint32_t *pflags, void *ud, void *sud)
{
	struct srv_stream *st = sud;

	(void)h3, (void)sid, (void)ud;
	return wq_zero_body(vec, veccnt, &st->left, pflags);
}

static int h3_begin_headers(nghttp3_conn *h3, int64_t sid, void *ud, void *sud)
{
	struct srv_conn *sc = ud;
	struct srv_stream *st = calloc(1, sizeof *st);

	(void)sud;
	if (!st)
		return NGHTTP3_ERR_NOMEM;
	st->next = sc->streams;
	if (st->next)
		st->next->pprev = &st->next;
	st->pprev = &sc->streams;
	sc->streams = st;
	nghttp3_conn_set_stream_user_data(h3, sid, st);
	return 0;
}

/* :path "/N": the response size N (anything else: 0 bytes) */
static int h3_recv_header(nghttp3_conn *h3, int64_t sid, int32_t token, nghttp3_rcbuf *name,
			  nghttp3_rcbuf *value, uint8_t flags, void *ud, void *sud)
{
	struct srv_stream *st = sud;
	nghttp3_vec v = nghttp3_rcbuf_get_buf(value);
	char buf[24];

	(void)h3, (void)sid, (void)name, (void)flags, (void)ud;
	if (!st || token != NGHTTP3_QPACK_TOKEN__PATH || v.len < 2 || v.len >= sizeof buf)
		return 0;
	memcpy(buf, v.base + 1, v.len - 1);
	buf[v.len - 1] = 0;
	st->left = strtoull(buf, NULL, 10);
	return 0;
}

static int h3_recv_data(nghttp3_conn *h3, int64_t sid, const uint8_t *data, size_t n,
			void *ud, void *sud)
{
	struct srv_stream *st = sud;

	(void)h3, (void)data;
	if (st)
		st->in += n;
	wq_consume(ud, sid, n);
	return 0;
}

static int h3_end_stream(nghttp3_conn *h3, int64_t sid, void *ud, void *sud)
{
	struct srv_stream *st = sud;
	nghttp3_data_reader dr = { read_body };
	nghttp3_nv nv[2] = {
		{ (uint8_t *)":status", (uint8_t *)"200", 7, 3, NGHTTP3_NV_FLAG_NONE },
		{ (uint8_t *)"content-length", NULL, 14, 0, NGHTTP3_NV_FLAG_NONE },
	};

	(void)ud;
	if (!st)
		return 0;
	count(&srv_st.requests);
	web_ev_done(NULL, 0, 0, 0);
	web_ev_bytes(NULL, st->in, st->left);
	snprintf(st->clen, sizeof st->clen, "%" PRIu64, st->left);
	nv[1].value = (uint8_t *)st->clen;
	nv[1].valuelen = strlen(st->clen);
	if (nghttp3_conn_submit_response(h3, sid, nv, 2, st->left ? &dr : NULL) != 0)
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	return 0;
}

static void stream_free(struct srv_stream *st)
{
	*st->pprev = st->next;
	if (st->next)
		st->next->pprev = st->pprev;
	free(st);
}

static int h3_stream_close(nghttp3_conn *h3, int64_t sid, uint64_t code, void *ud, void *sud)
{
	(void)h3, (void)sid, (void)code, (void)ud;
	if (sud)
		stream_free(sud);
	return 0;
}

static int h3_setup(struct wq_conn *c)
{
	nghttp3_callbacks cb;
	nghttp3_settings st;
	int rv;

	if (c->h3)
		return 0;
	wq_h3_callbacks(&cb);
	cb.begin_headers = h3_begin_headers;
	cb.recv_header = h3_recv_header;
	cb.recv_data = h3_recv_data;
	cb.end_stream = h3_end_stream;
	cb.stream_close = h3_stream_close;
	nghttp3_settings_default(&st);
	rv = nghttp3_conn_server_new(&c->h3, &cb, &st, NULL, c);
	if (rv != 0)
		return rv;
	nghttp3_conn_set_max_client_streams_bidi(c->h3,
		ngtcp2_conn_get_local_transport_params(c->qc)->initial_max_streams_bidi);
	return wq_h3_bind(c);
}

/* ---- ngtcp2 callbacks of the server ---- */

static int recv_tx_key(ngtcp2_conn *qc, ngtcp2_crypto_level level, void *ud)
{
	(void)qc;
	if (level != NGTCP2_CRYPTO_LEVEL_APPLICATION)
		return 0;
	return h3_setup(ud) ? NGTCP2_ERR_CALLBACK_FAILURE : 0;
}

static int handshake_completed(ngtcp2_conn *qc, void *ud)
{
	struct wq_conn *c = ud;
	unsigned fl = 0;

	(void)qc;
	count(&srv_st.handshakes);
	if (gnutls_session_is_resumed(c->tls)) {
		count(&srv_st.resumed);
		fl |= WEB_HS_RESUMED;
	}
	if (gnutls_session_get_flags(c->tls) & GNUTLS_SFLAGS_EARLY_DATA) {
		count(&srv_st.early_accepted);
		fl |= WEB_HS_EARLY;
	}
	web_ev_handshake(NULL, c->t_start, wk_now_us(), fl);
	web_ev_tls(NULL, gnutls_protocol_get_name(gnutls_protocol_get_version(c->tls)), "h3");
	if (gnutls_session_ticket_send(c->tls, 1, 0) != 0)
		wk_msg("gnutls_session_ticket_send failed");
	return 0;
}

static int extend_max_remote_bidi(ngtcp2_conn *qc, uint64_t max, void *ud)
{
	struct wq_conn *c = ud;

	(void)qc;
	if (c->h3)
		nghttp3_conn_set_max_client_streams_bidi(c->h3, max);
	return 0;
}

/* ---- connections ---- */

static int anti_replay_add(void *ptr, time_t exp, const gnutls_datum_t *key, const gnutls_datum_t *data)
{
	/* no replay database: every ClientHello counts as fresh (a testbed
	 * measures 0-RTT, it does not defend it) */
	(void)ptr, (void)exp, (void)key, (void)data;
	return 0;
}

static int srv_tls_new(struct wq_conn *c)
{
	int rv = gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_ENABLE_EARLY_DATA |
			     GNUTLS_NO_AUTO_SEND_TICKET | GNUTLS_NO_END_OF_EARLY_DATA);

	if (rv < 0)
		return rv;
	if ((rv = wq_tls_setup(c)) < 0 ||
	    (rv = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, srv.cred)) < 0 ||
	    (rv = gnutls_session_ticket_enable_server(c->tls, &srv.ticket_key)) < 0)
		return rv;
	if (ngtcp2_crypto_gnutls_configure_server_session(c->tls) != 0)
		return GNUTLS_E_INTERNAL_ERROR;
	gnutls_anti_replay_enable(c->tls, srv.anti_replay);
	gnutls_record_set_max_early_data_size(c->tls, 0xffffffffu);
	ngtcp2_conn_set_tls_native_handle(c->qc, c->tls);
	return 0;
}

static int srv_quic_new(struct wq_conn *c, const ngtcp2_pkt_hd *hd)
{
	ngtcp2_path path = {
		{ (ngtcp2_sockaddr *)&c->local, c->local_len },
		{ (ngtcp2_sockaddr *)&c->remote, c->remote_len },
		NULL,
	};
	ngtcp2_callbacks cb;
	ngtcp2_settings st;
	ngtcp2_transport_params tp;

	wq_callbacks(&cb);
	cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
	cb.recv_tx_key = recv_tx_key;
	cb.handshake_completed = handshake_completed;
	cb.extend_max_remote_streams_bidi = extend_max_remote_bidi;
	wq_settings(c, &st, &hd->dcid);
	wq_params(&tp, true);
	tp.original_dcid = hd->dcid;
	c->cids[0] = hd->dcid;
	wq_cid_rand(&c->cids[1], WQ_SCID_LEN);
	c->n_cids = 2;
	return ngtcp2_conn_server_new(&c->qc, &hd->scid, &c->cids[1], &path, hd->version,
				      &cb, &st, &tp, NULL, c);
}

static struct srv_route **bucket(const uint8_t *cid, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ cid[i]) * 16777619u;
	return &srv.routes[h % SRV_BUCKETS];
}

/* wq_conn.cid_changed: keep the routes equal to each connection's cids[] */
static void route(struct wq_conn *c, const ngtcp2_cid *cid, bool added)
{
	struct srv_route **pp = bucket(cid->data, cid->datalen), *r;

	if (added) {
		if (!(r = malloc(sizeof *r)))
			return; /* that CID does not route; the others do */
		*r = (struct srv_route){ *pp, (struct srv_conn *)c, *cid };
		*pp = r;
		return;
	}
	for (; (r = *pp); pp = &r->next)
		if (r->sc == (struct srv_conn *)c && ngtcp2_cid_eq(&r->cid, cid)) {
			*pp = r->next;
			free(r);
			return;
		}
}

static void unroute(struct srv_conn *sc)
{
	for (unsigned i = 0; i < sc->c.n_cids; i++)
		route(&sc->c, &sc->c.cids[i], false);
}

static struct srv_conn *srv_find(const uint8_t *dcid, size_t len)
{
	for (struct srv_route *r = *bucket(dcid, len); r; r = r->next)
		if (r->cid.datalen == len && !memcmp(r->cid.data, dcid, len))
			return r->sc;
	return NULL;
}

static struct srv_conn *srv_conn_new(const ngtcp2_pkt_hd *hd, const struct sockaddr_storage *from,
				     socklen_t fromlen)
{
	struct srv_conn *sc;

	if (srv.n == srv.cap) {
		size_t cap = srv.cap ? 2 * srv.cap : 64;
		void *p = realloc(srv.conns, cap * sizeof *srv.conns);

		if (!p)
			return NULL;
		srv.conns = p;
		srv.cap = cap;
	}
	if (!(sc = calloc(1, sizeof *sc)))
		return NULL;
	sc->c.server = true;
	sc->c.t_start = wk_now_us();
	sc->c.fd = srv.fd;
	sc->c.local = srv.local;
	sc->c.local_len = srv.local_len;
	sc->c.remote = *from;
	sc->c.remote_len = fromlen;
	if (srv_quic_new(&sc->c, hd) == 0) {
		sc->c.cid_changed = route;
		route(&sc->c, &sc->c.cids[0], true);
		route(&sc->c, &sc->c.cids[1], true);
	}
	if (!sc->c.qc || srv_tls_new(&sc->c) != 0) {
		unroute(sc);
		wq_free(&sc->c);
		free(sc);
		return NULL;
	}
	srv.conns[srv.n++] = sc;
	return sc;
}

/* A connection's ngtcp2 call failed with @rv: close (or just drop) it. */
static void srv_fail(struct srv_conn *sc, int rv)
{
	sc->dead = true;
	if (rv == NGTCP2_ERR_DRAINING || rv == NGTCP2_ERR_DROP_CONN || rv == NGTCP2_ERR_IDLE_CLOSE)
		return;
	wq_set_error(&sc->c, rv);
	wq_send_close(&sc->c);
}

static void srv_sweep(void)
{
	for (size_t i = 0; i < srv.n;) {
		struct srv_conn *sc = srv.conns[i];

		if (!sc->dead) {
			i++;
			continue;
		}
		unroute(sc);
		wq_free(&sc->c);
		while (sc->streams)
			stream_free(sc->streams);
		free(sc);
		srv.conns[i] = srv.conns[--srv.n];
	}
}

static void srv_datagram(uint8_t *pkt, size_t len, const struct sockaddr_storage *from, socklen_t fromlen)
{
	ngtcp2_version_cid vc;
	struct srv_conn *sc;
	int rv;

	if (ngtcp2_pkt_decode_version_cid(&vc, pkt, len, WQ_SCID_LEN) != 0)
		return;
	sc = srv_find(vc.dcid, vc.dcidlen);
	if (!sc) {
		ngtcp2_pkt_hd hd;

		if (ngtcp2_accept(&hd, pkt, len) != 0 || !(sc = srv_conn_new(&hd, from, fromlen)))
			return;
	}
	if (sc->dead)
		return;
	rv = wq_read(&sc->c, pkt, len);
	if (rv != 0)
		srv_fail(sc, rv);
}

/* ---- the loop ---- */

static void srv_read_all(void)
{
	uint8_t buf[65536];

	for (int i = 0; i < 256; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof from;
		ssize_t n = recvfrom(srv.fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		srv_datagram(buf, (size_t)n, &from, fromlen);
	}
}

/* Expired timers, then everything there is to send; returns the next expiry. */
static uint64_t srv_service(void)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < srv.n; i++) {
		struct srv_conn *sc = srv.conns[i];
		int rv = 0;

		if (!sc->dead && ngtcp2_conn_get_expiry(sc->c.qc) <= wk_now_ns())
			rv = ngtcp2_conn_handle_expiry(sc->c.qc, wk_now_ns());
		if (!sc->dead && !rv)
			rv = wq_write(&sc->c);
		if (rv)
			srv_fail(sc, rv);
		if (!sc->dead && ngtcp2_conn_get_expiry(sc->c.qc) < next)
			next = ngtcp2_conn_get_expiry(sc->c.qc);
	}
	srv_sweep();
	return next;
}

static int srv_init(int fd)
{
	char err[256];
	int rv;

	if (!web_o.cert || !web_o.key) {
		wk_set_exit(WK_EXIT_USAGE);
		wk_fail("--serve --http 3 needs --cert and --key (created when absent)");
		return -1;
	}
	/* web_srv.c makes them before --ready; this covers any other caller */
	if ((access(web_o.cert, R_OK) || access(web_o.key, R_OK)) &&
	    tb_tls_cert_make(web_o.cert, web_o.key, err, sizeof err)) {
		wk_set_exit(WK_EXIT_ENV);
		wk_fail("--cert %s --key %s: %s", web_o.cert, web_o.key, err);
		return -1;
	}
	srv.fd = fd;
	srv.local_len = sizeof srv.local;
	if (getsockname(fd, (struct sockaddr *)&srv.local, &srv.local_len) < 0)
		return -errno;
	if ((rv = gnutls_certificate_allocate_credentials(&srv.cred)) < 0 ||
	    (rv = gnutls_certificate_set_x509_key_file(srv.cred, web_o.cert, web_o.key, GNUTLS_X509_FMT_PEM)) < 0 ||
	    (rv = gnutls_session_ticket_key_generate(&srv.ticket_key)) < 0 ||
	    (rv = gnutls_anti_replay_init(&srv.anti_replay)) < 0) {
		wk_fail("QUIC server: %s", gnutls_strerror(rv));
		return -1;
	}
	gnutls_anti_replay_set_add_function(srv.anti_replay, anti_replay_add);
	return 0;
}

void web_quic_server(int fd)
{
	if (srv_init(fd) != 0)
		return;
	while (!wk_stop) {
		uint64_t next = srv_service(), now = wk_now_ns();
		uint64_t wait = next <= now ? 0 : next - now;
		struct timespec ts;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (wait > 100000000)
			wait = 100000000; /* look at wk_stop every 100 ms */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)wait;
		if (ppoll(&p, 1, &ts, NULL) > 0)
			srv_read_all();
	}
	for (size_t i = 0; i < srv.n; i++) {
		ngtcp2_connection_close_error_set_application_error(&srv.conns[i]->c.ccerr,
			NGHTTP3_H3_NO_ERROR, NULL, 0);
		wq_send_close(&srv.conns[i]->c);
		srv.conns[i]->dead = true;
	}
	srv_sweep();
	free(srv.conns);
	gnutls_anti_replay_deinit(srv.anti_replay);
	gnutls_free(srv.ticket_key.data);
	gnutls_certificate_free_credentials(srv.cred);
}
