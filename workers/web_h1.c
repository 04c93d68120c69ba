/* tb-web's one-request-at-a-time protocols over TCP or TLS: HTTP/1.1
 * keep-alive (GET /N, or POST /N with a --request byte body; the server
 * answers 200 with Content-Length: N) and --http none, tb-rr's 16-byte
 * header protocol (workers/common.h wk_rr_hdr). Client and server. */
#include "web_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_MAX 8192
#define CHUNK (256 * 1024)

/* The request of every exchange of the flow: built once. */
static unsigned char *build_request(size_t *len)
{
	unsigned char *b;

	if (web_o.http == WEB_HTTP_NONE) {
		struct wk_rr_hdr h = { .req_len = (uint32_t)web_o.request, .resp_len = (uint32_t)web_o.response };

		*len = (size_t)web_o.request;
		b = calloc(1, *len);
		if (b)
			wk_rr_encode(&h, b);
		return b;
	}
	b = calloc(1, 256 + (size_t)web_o.request);
	if (!b)
		return NULL;
	if (web_o.request)
		*len = (size_t)sprintf((char *)b, "POST /%llu HTTP/1.1\r\nHost: %s\r\nContent-Length: %llu\r\n\r\n",
				       (unsigned long long)web_o.response, TB_TLS_NAME,
				       (unsigned long long)web_o.request) + (size_t)web_o.request;
	else
		*len = (size_t)sprintf((char *)b, "GET /%llu HTTP/1.1\r\nHost: %s\r\n\r\n",
				       (unsigned long long)web_o.response, TB_TLS_NAME);
	return b;
}

/* The body length an HTTP/1.1 response header announces: -1 if it is not
 * a 200 with a Content-Length. */
static long long resp_length(const char *h, size_t len)
{
	const char *cl;

	if (len < 12 || strncmp(h, "HTTP/1.1 200", 12))
		return -1;
	cl = strcasestr(h, "\r\ncontent-length:");
	return cl && cl < h + len ? strtoll(cl + 17, NULL, 10) : -1;
}

struct exch {
	struct web_io *io;
	struct web_slot *s;
	unsigned char *rbuf;
	uint64_t t_from;
	const char *what;
};

/* Read one response: 0 or -errno (e->what set). */
static int read_response(struct exch *e)
{
	uint64_t left = web_o.http == WEB_HTTP_NONE ? web_o.response : UINT64_MAX;
	size_t have = 0;
	bool first = true;

	e->what = "read";
	while (left) {
		ssize_t n = web_io_read(e->io, e->rbuf + have, WEB_RBUF - have);
		unsigned char *end;

		if (n <= 0)
			return n ? (int)n : -ECONNRESET;
		if (first)
			web_ev_first_byte(e->s, e->s->first_stream, e->t_from, wk_now_us());
		first = false;
		if (left != UINT64_MAX) {
			if ((uint64_t)n > left)
				return -EPROTO;
			left -= (uint64_t)n;
			continue;
		}
		have += (size_t)n;
		e->rbuf[have] = 0;
		end = memmem(e->rbuf, have, "\r\n\r\n", 4);
		if (!end) {
			if (have >= HDR_MAX)
				return -EPROTO;
			continue;
		}
		{
			long long body = resp_length((char *)e->rbuf, (size_t)(end - e->rbuf));
			size_t got = have - (size_t)(end + 4 - e->rbuf);

			e->what = "HTTP/1.1 response";
			if (body < 0 || (uint64_t)body < got)
				return -EPROTO;
			left = (uint64_t)body - got;
			e->what = "read";
		}
	}
	return 0;
}

/* One exchange on @io (opened first when it is closed). 0 or -errno. */
static int exchange(struct exch *e, bool *open, const unsigned char *req, size_t len)
{
	bool first = !*open;
	int rc;

	if (first) {
		rc = web_io_connect(e->io, e->s, &e->what);
		if (rc)
			return rc;
		*open = true;
		e->t_from = e->io->t_start;
	}
	e->io->deadline = wk_now_us() + web_o.timeout;
	if (first)
		rc = web_io_start(e->io, req, len, &e->what);
	else if ((rc = web_io_write(e->io, req, len)))
		e->what = "write";
	return rc ? rc : read_response(e);
}

void web_h1_client(struct web_slot *s)
{
	struct web_io io = { .fd = -1 };
	struct exch e = { .io = &io, .s = s };
	size_t len = 0;
	unsigned char *req = build_request(&len);
	bool open = false;

	e.rbuf = malloc(WEB_RBUF + 1);
	while (req && e.rbuf && !web_stopping()) {
		uint64_t t;
		int rc;

		if (!web_next(s, s->first_stream, wk_now_us(), &t)) {
			if (!t || !web_sleep_until(t))
				break;
			continue;
		}
		e.t_from = t;
		rc = exchange(&e, &open, req, len);
		if (rc == -ECANCELED)
			break;
		if (rc)
			web_ev_error(s, -rc, e.what);
		else
			web_ev_done(s, s->first_stream, t, wk_now_us());
		if (rc || web_o.conn == WEB_PER_REQUEST) {
			web_io_close(&io);
			open = false;
		}
		if (rc) /* a refused connect comes back at once: do not spin */
			web_sleep_until(wk_now_us() + 1000);
	}
	web_io_close(&io);
	free(req);
	free(e.rbuf);
}

/* ---- the server side ---- */

struct h1srv {
	struct web_io *io;
	unsigned char buf[HDR_MAX + 1];
	size_t have;
	uint64_t skip, resp;
	bool in_body, close;
	unsigned char out[CHUNK];
};

/* The answer: header and the first of the body in one write (two small
 * writes would meet Nagle and the delayed ACK), then the rest. */
static int respond(struct h1srv *c)
{
	unsigned char *out = c->out;
	uint64_t left = c->resp;
	size_t n = 0;
	int rc;

	c->io->deadline = wk_now_us() + web_o.timeout;
	/* a request's "Connection: close" is echoed (RFC 9112 9.6): a client
	 * such as h2load otherwise sends its next request on this connection */
	if (web_o.http == WEB_HTTP_11)
		n = (size_t)snprintf((char *)out, 128, "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n%s\r\n",
				     (unsigned long long)c->resp, c->close ? "Connection: close\r\n" : "");
	do {
		size_t take = left < CHUNK - n ? (size_t)left : CHUNK - n;

		memset(out + n, 0, take);
		rc = web_io_write(c->io, out, n + take);
		left -= take;
		n = 0;
	} while (!rc && left);
	c->io->deadline = UINT64_MAX;
	if (!rc)
		web_ev_done(NULL, 0, 0, 0);
	return rc;
}

/* A request header is at the start of c->buf: parse and consume it.
 * 1 parsed, 0 incomplete, -EPROTO bad. */
static int parse_header(struct h1srv *c)
{
	size_t used;

	if (web_o.http == WEB_HTTP_NONE) {
		struct wk_rr_hdr h;

		if (c->have < WK_RR_HDR)
			return 0;
		if (wk_rr_decode(c->buf, &h) || h.req_len < WK_RR_HDR)
			return -EPROTO;
		c->skip = h.req_len - WK_RR_HDR;
		c->resp = (h.flags & WK_RR_F_DEFAULT) ? web_o.response : h.resp_len;
		c->close = h.flags & WK_RR_F_CLOSE;
		used = WK_RR_HDR;
	} else {
		unsigned char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
		char *sp, *cl;
		long long n;

		if (!end)
			return c->have >= HDR_MAX ? -EPROTO : 0;
		*end = 0;
		sp = strchr((char *)c->buf, ' ');
		n = sp ? web_path_size(sp + 1, strcspn(sp + 1, " ")) : -1;
		if (n < 0)
			return -EPROTO;
		cl = strcasestr((char *)c->buf, "\r\ncontent-length:");
		c->skip = cl ? strtoull(cl + 17, NULL, 10) : 0;
		c->resp = (uint64_t)n;
		c->close = strcasestr((char *)c->buf, "\r\nconnection: close") != NULL;
		used = (size_t)(end + 4 - c->buf);
	}
	memmove(c->buf, c->buf + used, c->have - used);
	c->have -= used;
	c->in_body = true;
	return 1;
}

/* Consume what c->buf holds: 0, 1 to close, or -errno. */
static int srv_input(struct h1srv *c)
{
	for (;;) {
		int rc;

		if (!c->in_body && (rc = parse_header(c)) <= 0)
			return rc;
		if (c->skip) {
			size_t take = c->skip < c->have ? (size_t)c->skip : c->have;

			memmove(c->buf, c->buf + take, c->have - take);
			c->have -= take;
			c->skip -= take;
			if (c->skip)
				return 0;
		}
		c->in_body = false;
		if ((rc = respond(c)))
			return rc;
		if (c->close)
			return 1;
	}
}

void web_h1_serve(struct web_io *io)
{
	struct h1srv *c = calloc(1, sizeof(*c));

	if (!c)
		return;
	c->io = io;
	io->deadline = UINT64_MAX;
	for (;;) {
		ssize_t n = web_io_read(io, c->buf + c->have, HDR_MAX - c->have);
		int rc;

		if (n <= 0) {
			if (n < 0 && n != -ECANCELED)
				web_ev_error(NULL, (int)-n, "server read");
			break;
		}
		c->have += (size_t)n;
		rc = srv_input(c);
		if (rc < 0 && rc != -ECANCELED)
			web_ev_error(NULL, -rc, rc == -EPROTO ? "server: bad request" : "server write");
		if (rc)
			break;
	}
	free(c);
}
