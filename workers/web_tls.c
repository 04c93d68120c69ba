/* tb-web's TLS with GnuTLS over one TCP connection (struct web_io): TLS 1.2
 * or 1.3 pinned by the priority string, the per-run certificate, ALPN,
 * session tickets and TLS 1.3 early data (0-RTT) with an anti-replay
 * context, and an NSS key log (SSLKEYLOGFILE format) for tshark. */
#include "web_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>


#define EARLY_MAX 16384 /* the server's max_early_data_size */

static gnutls_certificate_credentials_t cred;
static gnutls_priority_t prio;
static gnutls_datum_t ticket_key;
static gnutls_anti_replay_t anti_replay;
static FILE *keylog_f;
static pthread_mutex_t keylog_mu = PTHREAD_MUTEX_INITIALIZER;
static __thread char errbuf[200];

/* ---- the anti-replay store: the ClientHellos seen, by hash. Full at half
 * its slots, it starts over (a replay older than that window would pass:
 * acceptable in a testbed, where nobody replays). ---- */
#define AR_SLOTS (1u << 16)
static uint64_t ar_set[AR_SLOTS];
static unsigned ar_used;
static pthread_mutex_t ar_mu = PTHREAD_MUTEX_INITIALIZER;

static int ar_add(void *ptr, time_t exp, const gnutls_datum_t *key, const gnutls_datum_t *data)
{
	uint64_t h = 1469598103934665603ull;
	int rc = 0;

	(void)ptr, (void)exp, (void)data;
	for (unsigned i = 0; i < key->size; i++)
		h = (h ^ key->data[i]) * 1099511628211ull;
	h |= 1; /* 0 marks a free slot */
	pthread_mutex_lock(&ar_mu);
	if (ar_used >= AR_SLOTS / 2) {
		memset(ar_set, 0, sizeof(ar_set));
		ar_used = 0;
	}
	for (unsigned i = (unsigned)h & (AR_SLOTS - 1);; i = (i + 1) & (AR_SLOTS - 1)) {
		if (ar_set[i] == h) {
			rc = GNUTLS_E_DB_ENTRY_EXISTS;
			break;
		}
		if (!ar_set[i]) {
			ar_set[i] = h;
			ar_used++;
			break;
		}
	}
	pthread_mutex_unlock(&ar_mu);
	return rc;
}

/* ---- key log: "LABEL CLIENT_RANDOM SECRET", hex, one line per secret ---- */
static void hex(FILE *f, const unsigned char *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static int keylog(gnutls_session_t s, const char *label, const gnutls_datum_t *secret)
{
	gnutls_datum_t crand, srand;

	gnutls_session_get_random(s, &crand, &srand);
	pthread_mutex_lock(&keylog_mu);
	fprintf(keylog_f, "%s ", label);
	hex(keylog_f, crand.data, crand.size);
	fputc(' ', keylog_f);
	hex(keylog_f, secret->data, secret->size);
	fputc('\n', keylog_f);
	fflush(keylog_f);
	pthread_mutex_unlock(&keylog_mu);
	return 0;
}

static int init_fail(const char *what, int rc)
{
	wk_set_exit(WK_EXIT_ENV);
	wk_fail("%s: %s", what, rc ? gnutls_strerror(rc) : strerror(errno));
	return -1;
}

int web_tls_cert(void)
{
	char err[256];

	if (!web_o.cert || !web_o.key) {
		wk_set_exit(WK_EXIT_USAGE);
		wk_fail("--serve with --tls or --http 3 needs --cert and --key (created when absent)");
		return -1;
	}
	if ((access(web_o.cert, R_OK) || access(web_o.key, R_OK)) &&
	    tb_tls_cert_make(web_o.cert, web_o.key, err, sizeof(err))) {
		wk_set_exit(WK_EXIT_ENV);
		wk_fail("--cert %s --key %s: %s", web_o.cert, web_o.key, err);
		return -1;
	}
	return 0;
}

static int init_server_side(void)
{
	int rc;

	if (web_tls_cert())
		return -1;
	rc = gnutls_certificate_set_x509_key_file(cred, web_o.cert, web_o.key, GNUTLS_X509_FMT_PEM);
	if (rc < 0)
		return init_fail("--cert/--key", rc);
	if ((rc = gnutls_session_ticket_key_generate(&ticket_key)) < 0)
		return init_fail("gnutls_session_ticket_key_generate", rc);
	if ((rc = gnutls_anti_replay_init(&anti_replay)) < 0)
		return init_fail("gnutls_anti_replay_init", rc);
	gnutls_anti_replay_set_add_function(anti_replay, ar_add);
	return 0;
}

int web_tls_init(void)
{
	const char *p = web_o.tls == WEB_TLS_12 ? "NORMAL:-VERS-ALL:+VERS-TLS1.2" : "NORMAL:-VERS-ALL:+VERS-TLS1.3";
	int rc;

	if (web_o.http == WEB_HTTP_3) /* web_quic*.c has its own; the files first */
		return web_o.serve ? web_tls_cert() : 0;
	if (web_o.tls == WEB_TLS_NO)
		return 0;
	if ((rc = gnutls_global_init()) < 0 || (rc = gnutls_certificate_allocate_credentials(&cred)) < 0)
		return init_fail("gnutls init", rc);
	if ((rc = gnutls_priority_init(&prio, p, NULL)) < 0)
		return init_fail("gnutls_priority_init", rc);
	if (web_o.keylog && !(keylog_f = fopen(web_o.keylog, "a")))
		return init_fail(web_o.keylog, 0);
	if (web_o.serve)
		return init_server_side();
	if (!web_o.ca) {
		wk_set_exit(WK_EXIT_USAGE);
		wk_fail("--tls needs --ca FILE (the server's certificate) on the client");
		return -1;
	}
	rc = gnutls_certificate_set_x509_trust_file(cred, web_o.ca, GNUTLS_X509_FMT_PEM);
	if (rc <= 0)
		return init_fail(web_o.ca, rc ? rc : GNUTLS_E_NO_CERTIFICATE_FOUND);
	return 0;
}

void web_tls_cleanup(void)
{
	if (keylog_f)
		fclose(keylog_f);
	keylog_f = NULL;
	if (anti_replay)
		gnutls_anti_replay_deinit(anti_replay);
	anti_replay = NULL;
	if (ticket_key.data)
		gnutls_free(ticket_key.data);
	ticket_key.data = NULL;
	if (prio)
		gnutls_priority_deinit(prio);
	prio = NULL;
	if (cred)
		gnutls_certificate_free_credentials(cred);
	cred = NULL;
}

/* ---- transport: our own push/pull, so a TFO socket that is still
 * connecting (EINPROGRESS) reads as "try again" ---- */

/* TFO with TLS: GnuTLS pushes the ClientHello and the early data record by
 * record; only the first send of a deferred connect rides on the SYN, and a
 * second one before the SYN-ACK fails (EAGAIN) and leaves a round trip
 * later. So the first flight is kept here and sent in one piece
 * (syn_flush) when GnuTLS first reads (pull). */
static bool syn_hold(const struct web_io *io)
{
	return io->deferred && !io->up;
}

static ssize_t syn_keep(struct web_io *io, const void *buf, size_t len)
{
	unsigned char *p = realloc(io->syn, io->syn_len + len);

	if (!p) {
		gnutls_transport_set_errno(io->tls, ENOMEM);
		return -1;
	}
	memcpy(p + io->syn_len, buf, len);
	io->syn = p;
	io->syn_len += len;
	return (ssize_t)len;
}

/* Send the kept first flight (the SYN's data): 0 or -errno. */
static int syn_flush(struct web_io *io)
{
	size_t off = 0;

	io->deferred = false; /* what follows goes out as usual */
	while (off < io->syn_len) {
		ssize_t n = send(io->fd, io->syn + off, io->syn_len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINPROGRESS && errno != EINTR)
			return -errno;
		if (n < 0 && web_io_wait(io, POLLOUT))
			return -ETIMEDOUT;
		off += n > 0 ? (size_t)n : 0;
	}
	io->syn_len = 0;
	return 0;
}

static ssize_t push(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
	struct web_io *io = ptr;
	ssize_t n;

	if (syn_hold(io))
		return syn_keep(io, buf, len);
	n = send(io->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0) {
		int e = errno == EINPROGRESS || errno == EINTR ? EAGAIN : errno;

		io->sys_err = e;
		gnutls_transport_set_errno(io->tls, e);
	}
	return n;
}

/* A whole flight in one sendmsg: records pushed one by one would meet
 * Nagle and the peer's delayed ACK in the middle of the handshake. */
static ssize_t vec_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct web_io *io = ptr;
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	ssize_t n = 0, kept = 0;

	for (int i = 0; syn_hold(io) && i < iovcnt; i++) {
		if ((n = syn_keep(io, iov[i].iov_base, iov[i].iov_len)) < 0)
			return n;
		kept += n;
	}
	if (syn_hold(io))
		return kept;
	n = sendmsg(io->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0) {
		int e = errno == EINPROGRESS || errno == EINTR ? EAGAIN : errno;

		io->sys_err = e;
		gnutls_transport_set_errno(io->tls, e);
	}
	return n;
}

static ssize_t pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct web_io *io = ptr;
	int rc = io->syn_len ? syn_flush(io) : 0; /* GnuTLS waits for the server: the SYN leaves */
	ssize_t n = rc ? (errno = -rc, -1) : recv(io->fd, buf, len, MSG_DONTWAIT);

	if (n < 0) {
		int e = errno == EINTR ? EAGAIN : errno;

		io->sys_err = e;
		gnutls_transport_set_errno(io->tls, e);
	} else if (n > 0) {
		web_io_up(io);
	}
	return n;
}

static int session_new(struct web_io *io, unsigned flags, const char **what)
{
	static const char *const alpn[] = { [WEB_HTTP_11] = "http/1.1", [WEB_HTTP_2] = "h2" };
	int rc;

	*what = "gnutls_init";
	if ((rc = gnutls_init(&io->tls, flags | GNUTLS_NONBLOCK)) < 0) {
		io->tls = NULL;
		return -ENOMEM;
	}
	if ((rc = gnutls_priority_set(io->tls, prio)) < 0 ||
	    (rc = gnutls_credentials_set(io->tls, GNUTLS_CRD_CERTIFICATE, cred)) < 0)
		return -EPROTO;
	if (web_o.http == WEB_HTTP_11 || web_o.http == WEB_HTTP_2) {
		gnutls_datum_t d = { (unsigned char *)alpn[web_o.http], (unsigned)strlen(alpn[web_o.http]) };

		if ((rc = gnutls_alpn_set_protocols(io->tls, &d, 1, 0)) < 0)
			return -EPROTO;
	}
	if (keylog_f)
		gnutls_session_set_keylog_function(io->tls, keylog);
	gnutls_transport_set_ptr(io->tls, io);
	gnutls_transport_set_push_function(io->tls, push);
	gnutls_transport_set_vec_push_function(io->tls, vec_push);
	gnutls_transport_set_pull_function(io->tls, pull);
	return 0;
}

int web_tls_client(struct web_io *io, const char **what)
{
	unsigned flags = GNUTLS_CLIENT | (web_o.resume == WEB_RESUME_NO ? GNUTLS_NO_TICKETS : 0);
	struct web_ticket t;
	int rc = session_new(io, flags, what);

	if (rc)
		return rc;
	gnutls_server_name_set(io->tls, GNUTLS_NAME_DNS, TB_TLS_NAME, strlen(TB_TLS_NAME));
	gnutls_session_set_verify_cert(io->tls, TB_TLS_NAME, 0);
	if (web_o.resume != WEB_RESUME_NO && web_ticket_get(&t)) {
		io->resuming = gnutls_session_set_data(io->tls, t.data, t.len) == 0;
		web_ticket_free(&t);
	}
	return 0;
}

/* Run the handshake to its end: 0, or -errno with *what set. */
static int handshake(struct web_io *io, const char **what)
{
	for (;;) {
		int rc = gnutls_handshake(io->tls);

		if (rc == 0)
			return 0;
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			short dir = web_tls_dir(io);


			if (dir == POLLIN && io->corked) { /* send the flight, keep corking */
				web_io_cork(io, false);
				web_io_cork(io, true);
			}
			rc = web_io_wait(io, dir);
			if (rc) {
				*what = "TLS handshake";
				return rc;
			}
			continue;
		}
		if (!gnutls_error_is_fatal(rc))
			continue;
		snprintf(errbuf, sizeof(errbuf), "gnutls_handshake: %s", gnutls_strerror(rc));
		*what = errbuf;
		return rc == GNUTLS_E_PUSH_ERROR || rc == GNUTLS_E_PULL_ERROR ? -(io->sys_err ? io->sys_err : EIO)
									      : -EPROTO;
	}
}

static void report_tls(struct web_io *io)
{
	gnutls_datum_t a = { NULL, 0 };
	char proto[32] = "";

	if (gnutls_alpn_get_selected_protocol(io->tls, &a) == 0 && a.size < sizeof(proto)) {
		memcpy(proto, a.data, a.size);
		proto[a.size] = 0;
	}
	web_ev_tls(io->s, gnutls_protocol_get_name(gnutls_protocol_get_version(io->tls)), proto);
}

int web_tls_client_handshake(struct web_io *io, const void *buf, size_t len, size_t *sent_early,
			     const char **what)
{
	size_t early = 0;
	unsigned flags = 0;
	int rc;

	*sent_early = 0;
	if (web_o.resume == WEB_RESUME_EARLY && web_o.tls == WEB_TLS_13 && io->resuming && len) {
		size_t max = gnutls_record_get_max_early_data_size(io->tls), want = len < max ? len : max;
		ssize_t n = want ? gnutls_record_send_early_data(io->tls, buf, want) : -1;

		/* GnuTLS 3.7 queues it all for the ClientHello flight and says 0 */
		early = n > 0 ? (size_t)n : n == 0 ? want : 0;
	}
	if ((rc = handshake(io, what)))
		return rc;
	if (gnutls_session_is_resumed(io->tls))
		flags |= WEB_HS_RESUMED;
	if (early && (gnutls_session_get_flags(io->tls) & GNUTLS_SFLAGS_EARLY_DATA)) {
		flags |= WEB_HS_EARLY;
		*sent_early = early;
	} else if (early) {
		flags |= WEB_HS_EARLY_REJECTED; /* the caller sends it all again */
	}
	if (web_io_syn_data(io->fd))
		flags |= WEB_HS_TFO;
	web_io_up(io);
	web_ev_handshake(io->s, io->t_start, wk_now_us(), flags);
	report_tls(io);
	web_tls_take_ticket(io);
	return 0;
}

void web_tls_take_ticket(struct web_io *io)
{
	gnutls_datum_t d = { NULL, 0 };
	struct web_ticket t = { 0 };

	if (!io->tls || !io->s || io->ticket_taken || web_o.resume == WEB_RESUME_NO)
		return;
	/* TLS 1.3 tickets come after the handshake (the flag says one came);
	 * TLS 1.2 resumption data is there once the handshake is done */
	if (web_o.tls == WEB_TLS_13 && !(gnutls_session_get_flags(io->tls) & GNUTLS_SFLAGS_SESSION_TICKET))
		return;
	if (gnutls_session_get_data2(io->tls, &d) < 0)
		return;
	t.data = d.data;
	t.len = d.size;
	web_ticket_put(&t);
	gnutls_free(d.data);
	io->ticket_taken = true;
}

/* The server kept early data: move it to io->early, read before the rest. */
static int take_early(struct web_io *io)
{
	size_t cap = EARLY_MAX;

	io->early = malloc(cap);
	if (!io->early)
		return -ENOMEM;
	for (;;) {
		ssize_t n = gnutls_record_recv_early_data(io->tls, io->early + io->early_len, cap - io->early_len);

		if (n <= 0 || (io->early_len += (size_t)n) == cap)
			return 0;
	}
}

int web_tls_server(struct web_io *io, const char **what)
{
	unsigned flags = 0;
	int rc = session_new(io, GNUTLS_SERVER | (web_o.no_tickets ? GNUTLS_NO_TICKETS : GNUTLS_ENABLE_EARLY_DATA), what);

	if (rc)
		return rc;
	if (!web_o.no_tickets) {
		gnutls_session_ticket_enable_server(io->tls, &ticket_key);
		gnutls_record_set_max_early_data_size(io->tls, EARLY_MAX);
		gnutls_anti_replay_enable(io->tls, anti_replay);
	}
	if ((rc = handshake(io, what)))
		return rc;
	if (gnutls_session_is_resumed(io->tls))
		flags |= WEB_HS_RESUMED;
	if (gnutls_session_get_flags(io->tls) & GNUTLS_SFLAGS_EARLY_DATA) {
		flags |= WEB_HS_EARLY;
		if ((rc = take_early(io)))
			return rc;
	}
	if (web_io_syn_data(io->fd))
		flags |= WEB_HS_TFO;
	web_ev_handshake(NULL, io->t_start, wk_now_us(), flags);
	report_tls(io);
	return 0;
}

static ssize_t map_err(struct web_io *io, ssize_t rc)
{
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	if (rc == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	if (rc == GNUTLS_E_PUSH_ERROR || rc == GNUTLS_E_PULL_ERROR)
		return -(io->sys_err ? io->sys_err : EIO);
	if (!gnutls_error_is_fatal((int)rc))
		return -EAGAIN;
	return -EPROTO;
}

ssize_t web_tls_recv(struct web_io *io, void *buf, size_t len)
{
	ssize_t n = gnutls_record_recv(io->tls, buf, len);

	return n >= 0 ? n : map_err(io, n);
}

ssize_t web_tls_send(struct web_io *io, const void *buf, size_t len)
{
	ssize_t n = gnutls_record_send(io->tls, buf, len);

	return n >= 0 ? n : map_err(io, n);
}

short web_tls_dir(struct web_io *io)
{
	return gnutls_record_get_direction(io->tls) ? POLLOUT : POLLIN;
}
