/* The HTTP/3 client of one slot: a connected UDP socket, an ngtcp2 client
 * connection (GnuTLS), an nghttp3 session; GET /N requests on the slot's
 * streams (pool: up to n_streams at once on one connection; per-request:
 * one request per connection, then CONNECTION_CLOSE). With --resume the
 * TLS session and the server's transport parameters of an earlier
 * connection are reused; with --resume early the request goes as 0-RTT. */
#include "web_quic.h"
#include "util/tls_cert.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli_req {
	int64_t sid;        /* -1: not submitted (yet, or again after a 0-RTT rejection) */
	bool active;        /* taken from web_next, not finished */
	bool over;          /* web_next: nothing more on this stream */
	bool first;         /* the connection's first request: ttfb from the connect */
	bool fb, bad;       /* first byte seen; status not 200 */
	uint64_t t_req, t_sub; /* us: the intended start; when taken */
	uint64_t got, body_left;
};

struct cli {
	struct wq_conn c;   /* first: ngtcp2's and nghttp3's user data */
	struct web_slot *s;
	unsigned n, rr;
	struct cli_req *req;
	uint64_t t_start;   /* us, the connection attempt */
	bool hs_done, early, done, any, failed;
	unsigned started;   /* requests started on this connection */
};

static gnutls_certificate_credentials_t cli_cred;
static int cli_cred_err;
static pthread_once_t cli_cred_once = PTHREAD_ONCE_INIT;

static void cli_cred_init(void)
{
	int rv = gnutls_certificate_allocate_credentials(&cli_cred);

	if (rv >= 0 && web_o.ca)
		rv = gnutls_certificate_set_x509_trust_file(cli_cred, web_o.ca, GNUTLS_X509_FMT_PEM);
	cli_cred_err = rv < 0 ? rv : web_o.ca ? 0 : GNUTLS_E_NO_CERTIFICATE_FOUND;
}

static unsigned req_idx(struct cli *k, const struct cli_req *r)
{
	return (unsigned)(r - k->req);
}

/* ---- finishing requests ---- */

static void req_end(struct cli *k, struct cli_req *r, int err, const char *what)
{
	if (!r->active)
		return;
	r->active = false;
	r->sid = -1;
	if (err)
		web_ev_error(k->s, err, what);
	else {
		web_ev_bytes(k->s, r->got, web_o.request);
		web_ev_done(k->s, k->s->first_stream + req_idx(k, r), r->t_req, wk_now_us());
	}
}

/* The connection is lost: every request on it fails (or the connection
 * itself when none was on it). */
static void cli_fail(struct cli *k, int err, const char *what)
{
	bool any = false;

	for (unsigned i = 0; i < k->n; i++)
		if (k->req[i].active) {
			req_end(k, &k->req[i], err, what);
			any = true;
		}
	if (!any)
		web_ev_error(k->s, err, what);
	k->done = k->failed = true;
}

/* ---- HTTP/3 ---- */

static int h3_begin_headers(nghttp3_conn *h3, int64_t sid, void *ud, void *sud)
{
	struct cli *k = ud;
	struct cli_req *r = sud;

	(void)h3;
	if (r && r->sid == sid && !r->fb) {
		r->fb = true;
		web_ev_first_byte(k->s, k->s->first_stream + req_idx(k, r),
				  r->first ? k->t_start : r->t_req, wk_now_us());
	}
	return 0;
}

static int h3_recv_header(nghttp3_conn *h3, int64_t sid, int32_t token, nghttp3_rcbuf *name,
			  nghttp3_rcbuf *value, uint8_t flags, void *ud, void *sud)
{
	struct cli_req *r = sud;
	nghttp3_vec v = nghttp3_rcbuf_get_buf(value);

	(void)h3, (void)name, (void)flags, (void)ud;
	if (r && r->sid == sid && token == NGHTTP3_QPACK_TOKEN__STATUS && (v.len != 3 || memcmp(v.base, "200", 3)))
		r->bad = true;
	return 0;
}

static int h3_recv_data(nghttp3_conn *h3, int64_t sid, const uint8_t *data, size_t n,
			void *ud, void *sud)
{
	struct cli_req *r = sud;

	(void)h3, (void)data;
	if (r && r->sid == sid)
		r->got += n;
	wq_consume(ud, sid, n);
	return 0;
}

static int h3_end_stream(nghttp3_conn *h3, int64_t sid, void *ud, void *sud)
{
	struct cli_req *r = sud;

	(void)h3;
	if (!r || r->sid != sid)
		return 0;
	if (r->bad)
		req_end(ud, r, EPROTO, "HTTP/3: response status not 200");
	else if (r->got != web_o.response)
		req_end(ud, r, EPROTO, "HTTP/3: response body of the wrong size");
	else
		req_end(ud, r, 0, NULL);
	return 0;
}

static int h3_stream_close(nghttp3_conn *h3, int64_t sid, uint64_t code, void *ud, void *sud)
{
	struct cli_req *r = sud;

	(void)h3, (void)code;
	if (r && r->active && r->sid == sid)
		req_end(ud, r, EPROTO, "HTTP/3: stream closed before the response ended");
	return 0;
}

static int cli_h3_setup(struct cli *k)
{
	nghttp3_callbacks cb;
	nghttp3_settings st;
	int rv;

	wq_h3_callbacks(&cb);
	cb.begin_headers = h3_begin_headers;
	cb.recv_header = h3_recv_header;
	cb.recv_data = h3_recv_data;
	cb.end_stream = h3_end_stream;
	cb.stream_close = h3_stream_close;
	nghttp3_settings_default(&st);
	rv = nghttp3_conn_client_new(&k->c.h3, &cb, &st, NULL, k);
	return rv ? rv : wq_h3_bind(&k->c);
}

static nghttp3_ssize read_body(nghttp3_conn *h3, int64_t sid, nghttp3_vec *vec, size_t veccnt,
			       uint32_t *pflags, void *ud, void *sud)
{
	struct cli_req *r = sud;

	(void)h3, (void)sid, (void)ud;
	return wq_zero_body(vec, veccnt, &r->body_left, pflags);
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP3_NV_FLAG_NONE }

/* Put request @r on a new stream: GET /N (POST with a body with --request). */
static int req_submit(struct cli *k, struct cli_req *r)
{
	char path[32];
	nghttp3_data_reader dr = { read_body };
	int64_t sid;
	int rv;

	snprintf(path, sizeof path, "/%" PRIu64, web_o.response);
	nghttp3_nv nv[] = {
		NV(":method", web_o.request ? "POST" : "GET"), NV(":scheme", "https"),
		NV(":authority", TB_TLS_NAME), NV(":path", path),
	};
	rv = ngtcp2_conn_open_bidi_stream(k->c.qc, &sid, NULL);
	if (rv)
		return rv;
	r->got = 0;
	r->fb = r->bad = false;
	r->body_left = web_o.request;
	rv = nghttp3_conn_submit_request(k->c.h3, sid, nv, 4, web_o.request ? &dr : NULL, r);
	if (rv == 0)
		r->sid = sid;
	return rv;
}

/* ---- ngtcp2 callbacks of the client ---- */

static int hs_completed(ngtcp2_conn *qc, void *ud)
{
	struct cli *k = ud;
	unsigned fl = 0;

	k->hs_done = true;
	if (gnutls_session_is_resumed(k->c.tls))
		fl |= WEB_HS_RESUMED;
	if (k->early && (gnutls_session_get_flags(k->c.tls) & GNUTLS_SFLAGS_EARLY_DATA))
		fl |= WEB_HS_EARLY;
	else if (k->early) {
		fl |= WEB_HS_EARLY_REJECTED;
		if (ngtcp2_conn_early_data_rejected(qc) != 0)
			return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	web_ev_handshake(k->s, k->t_start, wk_now_us(), fl);
	web_ev_tls(k->s, gnutls_protocol_get_name(gnutls_protocol_get_version(k->c.tls)), "h3");
	if (!k->c.h3 && cli_h3_setup(k) != 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	return 0;
}

/* 0-RTT rejected: ngtcp2 forgot the streams; the requests go again in 1-RTT */
static int early_rejected(ngtcp2_conn *qc, void *ud)
{
	struct cli *k = ud;

	(void)qc;
	nghttp3_conn_del(k->c.h3);
	k->c.h3 = NULL;
	for (unsigned i = 0; i < k->n; i++)
		k->req[i].sid = -1;
	return 0;
}

/* A NewSessionTicket: keep the session and the server's transport
 * parameters for the next connection. */
static int ticket_hook(gnutls_session_t tls, unsigned type, unsigned when, unsigned incoming,
		       const gnutls_datum_t *msg)
{
	ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(tls);
	struct wq_conn *c = ref->user_data;
	gnutls_datum_t d;
	uint8_t tp[512];
	ngtcp2_ssize n;

	(void)when, (void)incoming, (void)msg;
	if (type != GNUTLS_HANDSHAKE_NEW_SESSION_TICKET || gnutls_session_get_data2(tls, &d) < 0)
		return 0;
	n = ngtcp2_encode_transport_params(tp, sizeof tp, NGTCP2_TRANSPORT_PARAMS_TYPE_ENCRYPTED_EXTENSIONS,
					   ngtcp2_conn_get_remote_transport_params(c->qc));
	if (n > 0) {
		struct web_ticket t = { d.data, tp, d.size, (size_t)n };

		web_ticket_put(&t);
	}
	gnutls_free(d.data);
	return 0;
}

/* ---- opening a connection ---- */

static int cli_socket(struct cli *k)
{
	int fd = socket(wk.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	k->c.fd = fd;
	if (fd < 0)
		return -errno;
	memcpy(&k->c.remote, &wk.addr, wk.addrlen);
	k->c.remote_len = wk.addrlen;
	k->c.local_len = sizeof k->c.local;
	if (connect(fd, (struct sockaddr *)&wk.addr, wk.addrlen) < 0 ||
	    getsockname(fd, (struct sockaddr *)&k->c.local, &k->c.local_len) < 0)
		return -errno;
	return 0;
}

static int cli_quic_new(struct cli *k)
{
	ngtcp2_path path = {
		{ (ngtcp2_sockaddr *)&k->c.local, k->c.local_len },
		{ (ngtcp2_sockaddr *)&k->c.remote, k->c.remote_len },
		NULL,
	};
	ngtcp2_callbacks cb;
	ngtcp2_settings st;
	ngtcp2_transport_params tp;
	ngtcp2_cid dcid, scid;
	int rv;

	wq_callbacks(&cb);
	cb.client_initial = ngtcp2_crypto_client_initial_cb;
	cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
	cb.handshake_completed = hs_completed;
	cb.early_data_rejected = early_rejected;
	wq_cid_rand(&dcid, WQ_SCID_LEN);
	wq_cid_rand(&scid, WQ_SCID_LEN);
	wq_settings(&k->c, &st, &dcid);
	st.handshake_timeout = web_o.timeout * 1000;
	wq_params(&tp, false);
	rv = ngtcp2_conn_client_new(&k->c.qc, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1,
				    &cb, &st, &tp, NULL, k);
	/* an idle pool connection stays up (the idle timeout is 30 s) */
	if (rv == 0 && web_o.conn == WEB_POOL)
		ngtcp2_conn_set_keep_alive_timeout(k->c.qc, 10 * NGTCP2_SECONDS);
	return rv;
}

/* With --resume early and the server's transport parameters: 0-RTT. */
static int cli_early(struct cli *k, const struct web_ticket *t)
{
	ngtcp2_transport_params tp;

	if (web_o.resume != WEB_RESUME_EARLY || !t->tp_len ||
	    ngtcp2_decode_transport_params(&tp, NGTCP2_TRANSPORT_PARAMS_TYPE_ENCRYPTED_EXTENSIONS,
					   t->tp, t->tp_len) != 0)
		return 0;
	ngtcp2_conn_set_early_remote_transport_params(k->c.qc, &tp);
	k->early = true;
	return cli_h3_setup(k);
}

static int cli_tls_new(struct cli *k)
{
	struct web_ticket t = { 0 };
	unsigned fl = GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA;
	int rv;

	/* offer early data only with --resume early (GnuTLS asks for it
	 * whenever the ticket allows it and the flag is set) */
	if (web_o.resume == WEB_RESUME_EARLY)
		fl |= GNUTLS_ENABLE_EARLY_DATA;
	rv = gnutls_init(&k->c.tls, fl);

	if (rv < 0 || (rv = wq_tls_setup(&k->c)) < 0 ||
	    (rv = gnutls_credentials_set(k->c.tls, GNUTLS_CRD_CERTIFICATE, cli_cred)) < 0 ||
	    (rv = gnutls_server_name_set(k->c.tls, GNUTLS_NAME_DNS, TB_TLS_NAME, strlen(TB_TLS_NAME))) < 0)
		return rv;
	gnutls_session_set_verify_cert(k->c.tls, TB_TLS_NAME, 0);
	gnutls_handshake_set_hook_function(k->c.tls, GNUTLS_HANDSHAKE_NEW_SESSION_TICKET,
					   GNUTLS_HOOK_POST, ticket_hook);
	if (ngtcp2_crypto_gnutls_configure_client_session(k->c.tls) != 0)
		return GNUTLS_E_INTERNAL_ERROR;
	ngtcp2_conn_set_tls_native_handle(k->c.qc, k->c.tls);
	if (web_o.resume != WEB_RESUME_NO && web_ticket_get(&t)) {
		rv = gnutls_session_set_data(k->c.tls, t.data, t.len);
		if (rv == 0 && cli_early(k, &t) != 0)
			rv = GNUTLS_E_INTERNAL_ERROR;
		web_ticket_free(&t);
	}
	return rv < 0 ? rv : 0;
}

/* A new connection (the previous one's state is freed). 0 or fails the
 * connection (cli_fail) and returns -1. */
static int cli_open(struct cli *k)
{
	int rv;

	memset(&k->c, 0, sizeof k->c);
	k->c.fd = -1;
	k->t_start = wk_now_us();
	k->hs_done = k->early = k->done = k->failed = false;
	if ((rv = cli_socket(k)) < 0) {
		cli_fail(k, -rv, "QUIC socket");
		return -1;
	}
	if ((rv = cli_quic_new(k)) != 0) {
		cli_fail(k, ENOMEM, "ngtcp2_conn_client_new");
		return -1;
	}
	if ((rv = cli_tls_new(k)) != 0) {
		cli_fail(k, EPROTO, gnutls_strerror(rv));
		return -1;
	}
	return 0;
}

/* Counters, CONNECTION_CLOSE (unless @closed), and free. */
static void cli_close(struct cli *k, bool closed)
{
	struct web_quic_stats q;

	if (!closed && k->c.qc) {
		/* what is pending first: the ACKs, and the client Finished when
		 * the response came as 0.5-RTT data with the server's flight */
		wq_write(&k->c);
		ngtcp2_connection_close_error_set_application_error(&k->c.ccerr, NGHTTP3_H3_NO_ERROR, NULL, 0);
		wq_send_close(&k->c);
	}
	wq_stats(&k->c, &q);
	if (k->c.qc)
		web_ev_quic(k->s, &q);
	wq_free(&k->c);
	if (k->c.fd >= 0)
		close(k->c.fd);
	k->c.fd = -1;
}

/* ---- running a connection ---- */

static bool all_over(const struct cli *k)
{
	for (unsigned i = 0; i < k->n; i++)
		if (!k->req[i].over)
			return false;
	return true;
}

static bool any_active(const struct cli *k)
{
	for (unsigned i = 0; i < k->n; i++)
		if (k->req[i].active)
			return true;
	return false;
}

/* Take the requests web_next says are due (per-request: one per
 * connection). Returns when the next one is due (us; UINT64_MAX: none). */
static uint64_t cli_take(struct cli *k, uint64_t now)
{
	uint64_t wake = UINT64_MAX, t;

	for (unsigned j = 0; j < k->n; j++) {
		unsigned i = (k->rr + j) % k->n;
		struct cli_req *r = &k->req[i];

		if (r->active || r->over || web_stopping())
			continue;
		if (web_o.conn == WEB_PER_REQUEST && k->started)
			break;
		if (web_next(k->s, k->s->first_stream + i, now, &t)) {
			*r = (struct cli_req){ .sid = -1, .active = true, .first = !k->any, .t_req = t, .t_sub = now };
			k->any = true;
			k->started++;
			k->rr = i + 1;
		} else if (t == 0)
			r->over = true;
		else if (t < wake)
			wake = t;
	}
	return wake;
}

/* Submit the taken requests that have no stream yet. */
static void cli_submit(struct cli *k)
{
	for (unsigned i = 0; i < k->n && k->c.h3; i++) {
		struct cli_req *r = &k->req[i];
		int rv;

		if (!r->active || r->sid >= 0)
			continue;
		rv = req_submit(k, r);
		if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED)
			break; /* when the server allows more streams */
		if (rv)
			req_end(k, r, EPROTO, "HTTP/3: submitting the request failed");
	}
}

/* Requests past --timeout fail (their streams reset); after the run's end
 * the ones in flight get at most a second. Returns the next deadline (us). */
static uint64_t cli_timeouts(struct cli *k, uint64_t now)
{
	uint64_t to = web_o.timeout, wake = UINT64_MAX;

	if (web_stopping() && to > 1000000)
		to = 1000000;
	for (unsigned i = 0; i < k->n; i++) {
		struct cli_req *r = &k->req[i];

		if (!r->active)
			continue;
		if (now < r->t_sub + to) {
			wake = r->t_sub + to < wake ? r->t_sub + to : wake;
			continue;
		}
		if (r->sid >= 0)
			ngtcp2_conn_shutdown_stream(k->c.qc, r->sid, NGHTTP3_H3_REQUEST_CANCELLED);
		req_end(k, r, ETIMEDOUT, "HTTP/3: request timeout");
	}
	return wake;
}

/* One turn: take, submit, time out; decides whether the connection is done.
 * Returns the next time (us) a turn is needed. */
static uint64_t cli_tick(struct cli *k)
{
	uint64_t now = wk_now_us(), wake = UINT64_MAX, w;

	if (k->c.h3 && (k->hs_done || k->early))
		wake = cli_take(k, now);
	cli_submit(k);
	w = cli_timeouts(k, now);
	if (w < wake)
		wake = w;
	if (any_active(k))
		return wake;
	if (web_o.conn == WEB_PER_REQUEST ? k->started > 0 : web_stopping() || all_over(k))
		k->done = true;
	return wake;
}

/* Datagrams in, then ngtcp2's timer. 0, an ngtcp2 error (< 0) or errno (> 0). */
static int cli_input(struct cli *k)
{
	uint8_t buf[65536];

	for (int i = 0; i < 256; i++) {
		ssize_t n = recv(k->c.fd, buf, sizeof buf, MSG_DONTWAIT);
		int rv;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return errno;
		if ((rv = wq_read(&k->c, buf, (size_t)n)) != 0)
			return rv;
	}
	if (ngtcp2_conn_get_expiry(k->c.qc) <= wk_now_ns())
		return ngtcp2_conn_handle_expiry(k->c.qc, wk_now_ns());
	return 0;
}

/* The connection failed with @rv (cli_input's codes): report and close. */
static void cli_error(struct cli *k, int rv)
{
	char what[128];

	if (rv > 0) {
		snprintf(what, sizeof what, "QUIC socket: %s", strerror(rv));
		cli_fail(k, rv, what);
		return;
	}
	snprintf(what, sizeof what, "QUIC: %s%s", ngtcp2_strerror(rv),
		 rv == NGTCP2_ERR_CRYPTO ? " (TLS handshake)" : "");
	if (rv == NGTCP2_ERR_IDLE_CLOSE || rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT)
		cli_fail(k, ETIMEDOUT, what);
	else
		cli_fail(k, rv == NGTCP2_ERR_DRAINING ? ECONNRESET : EPROTO, what);
	wq_set_error(&k->c, rv);
	wq_send_close(&k->c);
}

static void cli_wait(struct cli *k, uint64_t wake_us)
{
	uint64_t now = wk_now_ns(), until = ngtcp2_conn_get_expiry(k->c.qc);
	struct pollfd p = { .fd = k->c.fd, .events = POLLIN };
	struct timespec ts;

	if (wake_us < until / 1000)
		until = wake_us * 1000;
	if (until > now + 100000000)
		until = now + 100000000; /* look at web_stopping() every 100 ms */
	until = until > now ? until - now : 0;
	ts.tv_sec = (time_t)(until / 1000000000);
	ts.tv_nsec = (long)(until % 1000000000);
	ppoll(&p, 1, &ts, NULL);
}

/* One connection, from the connect to the close. */
static void cli_conn(struct cli *k)
{
	int rv = 0;

	if (cli_open(k) == 0)
		while (!k->done) {
			uint64_t wake = cli_tick(k);

			if (k->done)
				break;
			if ((rv = wq_write(&k->c)) != 0)
				break;
			cli_wait(k, wake);
			if ((rv = cli_input(k)) != 0)
				break;
		}
	if (rv)
		cli_error(k, rv);
	cli_close(k, k->failed);
	k->started = 0;
	k->any = false;
}

void web_quic_client(struct web_slot *s)
{
	struct cli k = { .s = s, .n = s->n_streams ? s->n_streams : 1 };

	pthread_once(&cli_cred_once, cli_cred_init);
	if (cli_cred_err) {
		wk_fail("QUIC client: the certificate to trust (--ca): %s", gnutls_strerror(cli_cred_err));
		return;
	}
	if (!(k.req = calloc(k.n, sizeof *k.req))) {
		wk_fail("QUIC client: out of memory");
		return;
	}
	while (!web_stopping() && !all_over(&k)) {
		uint64_t wake = cli_take(&k, wk_now_us()), now = wk_now_us();

		if (web_o.conn == WEB_PER_REQUEST && !k.started) {
			if (wake > now)
				usleep((useconds_t)(wake - now < 100000 ? wake - now : 100000));
			continue;
		}
		cli_conn(&k);
		if (k.failed)
			usleep(10000); /* not in a tight loop against a dead server */
	}
	free(k.req);
}
