/* tb-web's HTTP/2 with nghttp2, client and server, over TLS (ALPN h2) or
 * cleartext with prior knowledge (--tls no). The client keeps up to
 * --streams requests in flight on a connection, one per stream of its
 * schedule. Both sides advertise 1 GiB stream and connection windows, so
 * HTTP/2 flow control never holds a response back: what is measured is the
 * network and the stacks, not the window updates. */
#include "web_int.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW (1 << 30)

static int settings(nghttp2_session *ss)
{
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 4096 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, WINDOW },
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
	};

	if (nghttp2_submit_settings(ss, NGHTTP2_FLAG_NONE, iv, 3))
		return -EPROTO;
	return nghttp2_session_set_local_window_size(ss, NGHTTP2_FLAG_NONE, 0, WINDOW) ? -EPROTO : 0;
}

/* A body of zeros of the length in *source. */
static ssize_t zeros_read(nghttp2_session *ss, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
			  nghttp2_data_source *src, void *ud)
{
	uint64_t *left = src->ptr;
	size_t n = *left < len ? (size_t)*left : len;

	(void)ss, (void)id, (void)ud;
	memset(buf, 0, n);
	*left -= n;
	if (!*left)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* ---- client ---- */

struct h2stream {
	bool busy, fb;
	uint64_t t_req, t_from, body_left;
};

struct h2c {
	struct web_slot *s;
	struct web_io io;
	nghttp2_session *ss;
	struct h2stream *st;
	unsigned active, done;
	bool started, ended;
	unsigned char *out;
	size_t out_len, out_cap;
};

static int cli_frame(nghttp2_session *ss, const nghttp2_frame *f, void *ud)
{
	struct h2c *c = ud;
	struct h2stream *st = nghttp2_session_get_stream_user_data(ss, f->hd.stream_id);

	if (st && !st->fb && (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA)) {
		st->fb = true;
		web_ev_first_byte(c->s, (unsigned)(st - c->st) + c->s->first_stream, st->t_from, wk_now_us());
	}
	return 0;
}

static int cli_chunk(nghttp2_session *ss, uint8_t flags, int32_t id, const uint8_t *d, size_t len, void *ud)
{
	struct h2c *c = ud;
	struct h2stream *st = nghttp2_session_get_stream_user_data(ss, id);

	(void)flags, (void)d, (void)len;
	if (st && !st->fb) {
		st->fb = true;
		web_ev_first_byte(c->s, (unsigned)(st - c->st) + c->s->first_stream, st->t_from, wk_now_us());
	}
	return 0;
}

static int cli_close(nghttp2_session *ss, int32_t id, uint32_t err, void *ud)
{
	struct h2c *c = ud;
	struct h2stream *st = nghttp2_session_get_stream_user_data(ss, id);
	unsigned k;

	if (!st || !st->busy)
		return 0;
	k = (unsigned)(st - c->st) + c->s->first_stream;
	if (err)
		web_ev_error(c->s, EPROTO, "HTTP/2 stream reset");
	else
		web_ev_done(c->s, k, st->t_req, wk_now_us());
	st->busy = false;
	c->active--;
	c->done++;
	return 0;
}

static int submit(struct h2c *c, unsigned i, uint64_t t_req)
{
	char path[32], cl[32];
	struct h2stream *st = &c->st[i];
	bool post = web_o.request > 0;
	nghttp2_nv nv[] = {
		{ (uint8_t *)":method", (uint8_t *)(post ? "POST" : "GET"), 7, post ? 4 : 3, 0 },
		{ (uint8_t *)":scheme", (uint8_t *)(web_o.tls ? "https" : "http"), 7, web_o.tls ? 5 : 4, 0 },
		{ (uint8_t *)":authority", (uint8_t *)TB_TLS_NAME, 10, strlen(TB_TLS_NAME), 0 },
		{ (uint8_t *)":path", (uint8_t *)path, 5, 0, 0 },
		{ (uint8_t *)"content-length", (uint8_t *)cl, 14, 0, 0 },
	};
	nghttp2_data_provider prd = { .source.ptr = &st->body_left, .read_callback = zeros_read };

	nv[3].valuelen = (size_t)snprintf(path, sizeof(path), "/%llu", (unsigned long long)web_o.response);
	nv[4].valuelen = (size_t)snprintf(cl, sizeof(cl), "%llu", (unsigned long long)web_o.request);
	st->busy = true;
	st->fb = false;
	st->t_req = t_req;
	st->t_from = c->started ? t_req : 0; /* 0: set when the connect starts */
	st->body_left = web_o.request;
	if (nghttp2_submit_request(c->ss, NULL, nv, post ? 5 : 4, post ? &prd : NULL, st) < 0) {
		st->busy = false;
		return -EPROTO;
	}
	c->active++;
	return 0;
}

/* Start the requests that are due; the earliest later one into *next. */
static int dispatch(struct h2c *c, uint64_t *next)
{
	uint64_t now = wk_now_us();

	*next = UINT64_MAX;
	for (unsigned i = 0; i < c->s->n_streams; i++) {
		uint64_t t;

		if (c->st[i].busy)
			continue;
		if (web_o.conn == WEB_PER_REQUEST && (c->active || c->done))
			break;
		if (web_next(c->s, c->s->first_stream + i, now, &t)) {
			if (submit(c, i, t))
				return -EPROTO;
		} else if (!t) {
			c->ended = true;
		} else if (t < *next) {
			*next = t;
		}
	}
	return 0;
}

static int out_add(struct h2c *c, const uint8_t *d, size_t n)
{
	if (c->out_len + n > c->out_cap) {
		size_t cap = (c->out_len + n) * 2;
		unsigned char *p = realloc(c->out, cap);

		if (!p)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, d, n);
	c->out_len += n;
	return 0;
}

/* Write what c->out holds; the first flight opens the connection. */
static int cli_send(struct h2c *c, const char **what)
{
	int rc = 0;

	if (!c->out_len)
		return 0;
	c->io.deadline = wk_now_us() + web_o.timeout;
	if (!c->started) {
		c->started = true;
		rc = web_io_start(&c->io, c->out, c->out_len, what);
	} else if ((rc = web_io_write(&c->io, c->out, c->out_len))) {
		*what = "write";
	}
	c->out_len = 0;
	return rc;
}

/* Send what nghttp2 has queued, in writes of up to 256 kB. */
static int cli_flush(struct h2c *c, const char **what)
{
	const uint8_t *d;
	ssize_t n;
	int rc = 0;

	while (!rc && (n = nghttp2_session_mem_send(c->ss, &d)) > 0) {
		if (!(rc = out_add(c, d, (size_t)n)) && c->out_len >= 256 * 1024)
			rc = cli_send(c, what);
	}
	if (!rc && n < 0) {
		*what = "nghttp2_session_mem_send";
		rc = -EPROTO;
	}
	return rc ? rc : cli_send(c, what);
}

static int cli_open(struct h2c *c, const char **what)
{
	int rc = web_io_connect(&c->io, c->s, what);

	for (unsigned i = 0; i < c->s->n_streams; i++)
		if (c->st[i].busy && !c->st[i].t_from)
			c->st[i].t_from = c->io.t_start;
	return rc;
}

/* Wait for the next due request or response bytes, and feed those. */
static int cli_wait(struct h2c *c, uint64_t next, unsigned char *buf, const char **what)
{
	ssize_t n;
	int rc;

	if (!c->started)
		return web_sleep_until(next) ? 0 : -ECANCELED;
	c->io.deadline = c->active ? c->io.deadline : UINT64_MAX;
	rc = web_io_poll(&c->io, next);
	*what = "read";
	if (rc <= 0)
		return rc;
	n = web_io_read(&c->io, buf, WEB_RBUF);
	if (n <= 0)
		return n ? (int)n : -ECONNRESET;
	c->io.deadline = wk_now_us() + web_o.timeout; /* progress */
	*what = "nghttp2_session_mem_recv";
	return nghttp2_session_mem_recv(c->ss, buf, (size_t)n) < 0 ? -EPROTO : 0;
}

/* One connection's life: 0 when it ended normally, or -errno. */
static int cli_conn(struct h2c *c, unsigned char *buf, const char **what)
{
	int rc = 0;

	while (!rc && !web_stopping()) {
		uint64_t next;

		if ((rc = dispatch(c, &next)))
			break;
		if (!c->active && (c->ended || (web_o.conn == WEB_PER_REQUEST && c->done)))
			return 0;
		if (c->active && c->io.fd < 0 && (rc = cli_open(c, what)))
			break;
		if (c->io.fd >= 0 && (rc = cli_flush(c, what)))
			break;
		rc = cli_wait(c, next, buf, what);
	}
	return rc;
}

static void cli_fail(struct h2c *c, int rc, const char *what)
{
	/* every request in flight on the connection fails with it */
	for (unsigned i = 0; i < c->s->n_streams; i++)
		if (c->st[i].busy) {
			c->st[i].busy = false;
			if (rc != -ECANCELED)
				web_ev_error(c->s, -rc, what);
		}
}

static nghttp2_session_callbacks *client_callbacks(void)
{
	nghttp2_session_callbacks *cb;

	if (nghttp2_session_callbacks_new(&cb))
		return NULL;
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, cli_frame);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, cli_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, cli_close);
	return cb;
}

void web_h2_client(struct web_slot *s)
{
	nghttp2_session_callbacks *cb = client_callbacks();
	struct h2c c = { .s = s, .io.fd = -1 };
	unsigned char *buf = malloc(WEB_RBUF);

	c.st = calloc(s->n_streams, sizeof(*c.st));
	while (cb && buf && c.st && !web_stopping() && !c.ended) {
		const char *what = "nghttp2_session_client_new";
		int rc = nghttp2_session_client_new(&c.ss, cb, &c) ? -ENOMEM : settings(c.ss);

		c.io.fd = -1;
		c.active = c.done = 0;
		c.started = false;
		if (!rc)
			rc = cli_conn(&c, buf, &what);
		if (rc)
			cli_fail(&c, rc, what);
		nghttp2_session_del(c.ss);
		web_io_close(&c.io);
		if (rc == -ECANCELED)
			break;
		if (rc) /* a refused connect comes back at once: do not spin */
			web_sleep_until(wk_now_us() + 1000);
	}
	if (cb)
		nghttp2_session_callbacks_del(cb);
	free(c.out);
	free(c.st);
	free(buf);
}

/* ---- server ---- */

struct h2sreq {
	long long size;
	uint64_t left;
};

static int srv_begin(nghttp2_session *ss, const nghttp2_frame *f, void *ud)
{
	struct h2sreq *r;

	(void)ud;
	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	r->size = -1;
	nghttp2_session_set_stream_user_data(ss, f->hd.stream_id, r);
	return 0;
}

static int srv_header(nghttp2_session *ss, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
		      const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
	struct h2sreq *r = nghttp2_session_get_stream_user_data(ss, f->hd.stream_id);

	(void)flags, (void)ud;
	if (r && nlen == 5 && !memcmp(name, ":path", 5))
		r->size = web_path_size((const char *)value, vlen);
	return 0;
}

static int srv_frame(nghttp2_session *ss, const nghttp2_frame *f, void *ud)
{
	struct h2sreq *r = nghttp2_session_get_stream_user_data(ss, f->hd.stream_id);
	char cl[32];
	nghttp2_nv nv[] = {
		{ (uint8_t *)":status", (uint8_t *)"200", 7, 3, 0 },
		{ (uint8_t *)"content-length", (uint8_t *)cl, 14, 0, 0 },
	};
	nghttp2_data_provider prd = { .read_callback = zeros_read };

	(void)ud;
	if (!r || !(f->hd.flags & NGHTTP2_FLAG_END_STREAM) ||
	    (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA))
		return 0;
	if (r->size < 0)
		return nghttp2_submit_rst_stream(ss, NGHTTP2_FLAG_NONE, f->hd.stream_id, NGHTTP2_PROTOCOL_ERROR);
	r->left = (uint64_t)r->size;
	prd.source.ptr = &r->left;
	nv[1].valuelen = (size_t)snprintf(cl, sizeof(cl), "%lld", r->size);
	return nghttp2_submit_response(ss, f->hd.stream_id, nv, 2, r->size ? &prd : NULL);
}

static int srv_close(nghttp2_session *ss, int32_t id, uint32_t err, void *ud)
{
	struct h2sreq *r = nghttp2_session_get_stream_user_data(ss, id);

	(void)ud;
	if (r && !err && r->size >= 0 && !r->left)
		web_ev_done(NULL, 0, 0, 0);
	free(r);
	return 0;
}

/* Send what nghttp2 has queued, gathered into writes of up to WEB_RBUF
 * (HEADERS and DATA as two writes would meet Nagle and the delayed ACK). */
static int srv_flush(nghttp2_session *ss, struct web_io *io, unsigned char *out)
{
	const uint8_t *d;
	ssize_t n;
	size_t len = 0;
	int rc = 0;

	io->deadline = wk_now_us() + web_o.timeout;
	while (!rc && (n = nghttp2_session_mem_send(ss, &d)) > 0) {
		if (len + (size_t)n > WEB_RBUF) {
			rc = web_io_write(io, out, len);
			len = 0;
		}
		if (!rc && (size_t)n > WEB_RBUF) {
			rc = web_io_write(io, d, (size_t)n);
			continue;
		}
		memcpy(out + len, d, (size_t)n);
		len += (size_t)n;
	}
	if (!rc && len)
		rc = web_io_write(io, out, len);
	io->deadline = UINT64_MAX;
	return rc;
}

static int srv_loop(nghttp2_session *ss, struct web_io *io, unsigned char *buf)
{
	unsigned char *out = buf + WEB_RBUF;
	int rc = srv_flush(ss, io, out);

	while (!rc && (nghttp2_session_want_read(ss) || nghttp2_session_want_write(ss))) {
		ssize_t n = web_io_read(io, buf, WEB_RBUF);

		if (n <= 0)
			return (int)n;
		if (nghttp2_session_mem_recv(ss, buf, (size_t)n) < 0)
			return -EPROTO;
		rc = srv_flush(ss, io, out);
	}
	return rc;
}

void web_h2_serve(struct web_io *io)
{
	nghttp2_session_callbacks *cb;
	nghttp2_session *ss = NULL;
	unsigned char *buf = malloc(2 * WEB_RBUF); /* input, then output */
	int rc = -ENOMEM;

	if (buf && !nghttp2_session_callbacks_new(&cb)) {
		nghttp2_session_callbacks_set_on_begin_headers_callback(cb, srv_begin);
		nghttp2_session_callbacks_set_on_header_callback(cb, srv_header);
		nghttp2_session_callbacks_set_on_frame_recv_callback(cb, srv_frame);
		nghttp2_session_callbacks_set_on_stream_close_callback(cb, srv_close);
		if (!nghttp2_session_server_new(&ss, cb, NULL) && !(rc = settings(ss)))
			rc = srv_loop(ss, io, buf);
		nghttp2_session_del(ss);
		nghttp2_session_callbacks_del(cb);
	}
	if (rc < 0 && rc != -ECANCELED && rc != -ECONNRESET)
		web_ev_error(NULL, -rc, "HTTP/2 server");
	free(buf);
}
