/* tb-web's schedule and statistics: web_next, the web_ev_* events, the
 * flow's resumption ticket, the --series lines and the result's counters.
 * One lock guards it all: events are per request, not per byte. */
#include "web_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct web_stats {
	uint64_t requests, handshakes, resumed, early_accepted, early_rejected, tfo;
	uint64_t bytes_in, bytes_out;
	struct wk_hist lat, conn, ttfb, hs;
	struct wk_errs errs;
};

struct web_stream {
	uint64_t next_j;     /* open loop: index of its next request */
	uint64_t requests;
	struct wk_hist lat;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct web_stats tot, iv;
static struct web_stream *streams;
static unsigned n_streams, per_slot = 1;
static uint64_t t_start, t_end, last_iv;
static struct web_quic_stats quic;
static uint64_t quic_conns;
static char tls_version[32], alpn[32];
static struct web_ticket ticket;

/* --requests: each completed request's times (seconds from the start), its
 * stream and connection slot, for per-stream timelines (a loss that holds
 * every stream of an HTTP/2 connection shows as completions of several
 * streams at one instant). At most REQ_LOG_MAX lines. */
#define REQ_LOG_MAX 1000000
static FILE *req_f;
static uint64_t req_lines;

static int req_log_open(void)
{
	if (!web_o.requests || web_o.serve)
		return 0;
	req_f = fopen(web_o.requests, "we");
	if (!req_f)
		return -errno;
	fputs("t_req_s,t_done_s,stream,conn\n", req_f);
	return 0;
}

/* Under mu. */
static void req_log(const struct web_slot *s, unsigned stream, uint64_t t_req, uint64_t t_done)
{
	if (!req_f || req_lines >= REQ_LOG_MAX)
		return;
	fprintf(req_f, "%.6f,%.6f,%u,%u\n", (double)(t_req - t_start) / 1e6,
		(double)(t_done - t_start) / 1e6, stream, s->id);
	req_lines++;
}

int web_stats_init(unsigned n, unsigned per)
{
	int rc = req_log_open();

	if (rc)
		return rc;
	n_streams = n;
	per_slot = per ? per : 1;
	streams = calloc(n ? n : 1, sizeof(*streams));
	if (!streams)
		return -ENOMEM;
	t_start = last_iv = wk_now_us();
	t_end = wk.duration_us ? t_start + wk.duration_us : UINT64_MAX;
	return 0;
}

bool web_stopping(void)
{
	return wk_stop || wk_now_us() >= t_end;
}

/* The flow-wide index of @stream: the slot's own ids are accepted, and so
 * is an index local to the slot (0..n_streams-1); the two ranges only
 * overlap for slot 0, where they agree. */
static unsigned gstream(const struct web_slot *s, unsigned stream)
{
	if (stream >= s->first_stream && stream < s->first_stream + s->n_streams)
		return stream;
	return s->first_stream + (stream < s->n_streams ? stream : 0);
}

bool web_next(struct web_slot *s, unsigned stream, uint64_t now, uint64_t *t_req)
{
	unsigned g = gstream(s, stream);
	struct web_stream *st = &streams[g < n_streams ? g : 0];
	uint64_t t;

	if (web_stopping()) {
		*t_req = 0;
		return false;
	}
	if (web_o.rate <= 0) {
		*t_req = now;
		return true;
	}
	/* Stream g of S takes the requests g, g + S, g + 2S, ... of the flow's
	 * schedule at --rate: evenly interleaved, each on its own clock. */
	t = t_start + (uint64_t)((double)(st->next_j * n_streams + g) * 1e6 / web_o.rate);
	if (t >= t_end) {
		*t_req = 0;
		return false;
	}
	*t_req = t;
	if (t > now)
		return false;
	st->next_j++;
	return true;
}

static void both(void (*fn)(struct web_stats *st, const void *arg), const void *arg)
{
	pthread_mutex_lock(&mu);
	fn(&tot, arg);
	fn(&iv, arg);
	pthread_mutex_unlock(&mu);
}

struct hs_ev { uint64_t us; unsigned flags; };

static void add_hs(struct web_stats *st, const void *arg)
{
	const struct hs_ev *e = arg;

	st->handshakes++;
	wk_hist_add(&st->hs, e->us);
	st->resumed += !!(e->flags & WEB_HS_RESUMED);
	st->early_accepted += !!(e->flags & WEB_HS_EARLY);
	st->early_rejected += !!(e->flags & WEB_HS_EARLY_REJECTED);
	st->tfo += !!(e->flags & WEB_HS_TFO);
}

void web_ev_handshake(struct web_slot *s, uint64_t t0, uint64_t t1, unsigned flags)
{
	struct hs_ev e = { t1 > t0 ? t1 - t0 : 0, flags };

	(void)s;
	both(add_hs, &e);
}

static void add_conn(struct web_stats *st, const void *arg)
{
	wk_hist_add(&st->conn, *(const uint64_t *)arg);
}

void web_ev_connect(struct web_slot *s, uint64_t t0, uint64_t t1)
{
	uint64_t us = t1 > t0 ? t1 - t0 : 0;

	(void)s;
	both(add_conn, &us);
}

static void add_ttfb(struct web_stats *st, const void *arg)
{
	wk_hist_add(&st->ttfb, *(const uint64_t *)arg);
}

void web_ev_first_byte(struct web_slot *s, unsigned stream, uint64_t t_from, uint64_t t_fb)
{
	uint64_t us = t_fb > t_from ? t_fb - t_from : 0;

	(void)s;
	(void)stream;
	if (t_from >= t_start && t_fb <= t_end)
		both(add_ttfb, &us);
}

static void add_done(struct web_stats *st, const void *arg)
{
	st->requests++;
	if (arg)
		wk_hist_add(&st->lat, *(const uint64_t *)arg);
}

void web_ev_done(struct web_slot *s, unsigned stream, uint64_t t_req, uint64_t t_done)
{
	uint64_t us = t_done > t_req ? t_done - t_req : 0;
	struct web_stream *st;
	unsigned g;

	if (!s) { /* the server */
		both(add_done, NULL);
		return;
	}
	if (t_req < t_start || t_done > t_end)
		return; /* outside the measured window, as tb-rr */
	g = gstream(s, stream);
	st = &streams[g < n_streams ? g : 0];
	pthread_mutex_lock(&mu);
	st->requests++;
	wk_hist_add(&st->lat, us);
	req_log(s, g, t_req, t_done);
	pthread_mutex_unlock(&mu);
	both(add_done, &us);
}

static char first_error[200];

static void add_err(struct web_stats *st, const void *arg)
{
	wk_errs_add(&st->errs, *(const int *)arg);
}

void web_ev_error(struct web_slot *s, int err, const char *what)
{
	(void)s;
	if (err <= 0)
		err = EPROTO;
	pthread_mutex_lock(&mu);
	if (!first_error[0] && what) {
		snprintf(first_error, sizeof(first_error), "%s", what);
		wk_msg("first error: %s (%s)", what, wk_errname(err));
	}
	pthread_mutex_unlock(&mu);
	both(add_err, &err);
}

static void add_bytes(struct web_stats *st, const void *arg)
{
	const uint64_t *b = arg;

	st->bytes_in += b[0];
	st->bytes_out += b[1];
}

void web_ev_bytes(struct web_slot *s, uint64_t in, uint64_t out)
{
	uint64_t b[2] = { in, out };

	(void)s;
	both(add_bytes, b);
}

void web_ev_tls(struct web_slot *s, const char *version, const char *proto)
{
	(void)s;
	pthread_mutex_lock(&mu);
	snprintf(tls_version, sizeof(tls_version), "%s", version ? version : "");
	snprintf(alpn, sizeof(alpn), "%s", proto ? proto : "");
	pthread_mutex_unlock(&mu);
}

void web_ev_quic(struct web_slot *s, const struct web_quic_stats *q)
{
	(void)s;
	pthread_mutex_lock(&mu);
	quic.pkts_sent += q->pkts_sent;
	quic.pkts_recv += q->pkts_recv;
	quic.pkts_lost += q->pkts_lost;
	quic.pkts_retransmitted += q->pkts_retransmitted;
	quic.srtt_us = q->srtt_us;
	quic.min_rtt_us = q->min_rtt_us;
	quic.cwnd = q->cwnd;
	quic_conns++;
	pthread_mutex_unlock(&mu);
}

/* ---- the flow's resumption ticket ---- */

static bool dup_datum(unsigned char **dst, const unsigned char *src, size_t len)
{
	*dst = NULL;
	if (!src || !len)
		return true;
	*dst = malloc(len);
	if (*dst)
		memcpy(*dst, src, len);
	return *dst != NULL;
}

void web_ticket_put(const struct web_ticket *t)
{
	struct web_ticket n = { .len = t->len, .tp_len = t->tp_len };

	if (!dup_datum(&n.data, t->data, t->len) || !dup_datum(&n.tp, t->tp, t->tp_len)) {
		web_ticket_free(&n);
		return;
	}
	pthread_mutex_lock(&mu);
	web_ticket_free(&ticket);
	ticket = n;
	pthread_mutex_unlock(&mu);
}

bool web_ticket_get(struct web_ticket *t)
{
	bool ok;

	memset(t, 0, sizeof(*t));
	pthread_mutex_lock(&mu);
	ok = ticket.data && dup_datum(&t->data, ticket.data, ticket.len) &&
	     dup_datum(&t->tp, ticket.tp, ticket.tp_len);
	if (ok) {
		t->len = ticket.len;
		t->tp_len = ticket.tp_len;
	}
	pthread_mutex_unlock(&mu);
	if (!ok)
		web_ticket_free(t);
	return ok;
}

void web_ticket_free(struct web_ticket *t)
{
	free(t->data);
	free(t->tp);
	memset(t, 0, sizeof(*t));
}

/* ---- series and result ---- */

static json_t *counts(const struct web_stats *st, double secs)
{
	json_t *o = json_object();

	json_object_set_new(o, "requests", json_integer((json_int_t)st->requests));
	json_object_set_new(o, "rps", json_real(secs > 0 ? (double)st->requests / secs : 0));
	json_object_set_new(o, "handshakes", json_integer((json_int_t)st->handshakes));
	json_object_set_new(o, "handshakes_per_s", json_real(secs > 0 ? (double)st->handshakes / secs : 0));
	json_object_set_new(o, "resumed", json_integer((json_int_t)st->resumed));
	json_object_set_new(o, "early_accepted", json_integer((json_int_t)st->early_accepted));
	json_object_set_new(o, "early_rejected", json_integer((json_int_t)st->early_rejected));
	json_object_set_new(o, "errors", wk_errs_json(&st->errs));
	return o;
}

static void interval(uint64_t now)
{
	json_t *l;

	pthread_mutex_lock(&mu);
	l = counts(&iv, (double)(now - last_iv) / 1e6);
	json_object_set_new(l, "p50_us", json_integer((json_int_t)wk_hist_pct(&iv.lat, 50)));
	json_object_set_new(l, "p99_us", json_integer((json_int_t)wk_hist_pct(&iv.lat, 99)));
	memset(&iv, 0, sizeof(iv));
	pthread_mutex_unlock(&mu);
	last_iv = now;
	wk_series(l);
}

void web_stats_wait(void)
{
	uint64_t next = last_iv + wk.interval_us;

	while (!web_stopping()) {
		uint64_t now = wk_now_us(), until = next < t_end ? next : t_end;

		if (now >= next) {
			interval(now);
			next += wk.interval_us;
			continue;
		}
		if (until - now > 50000)
			until = now + 50000;
		web_sleep_until(until);
	}
	if (!wk_stop)
		wk_request_stop(WK_STOP_DONE);
}

static json_t *stream_result(json_t *res)
{
	json_t *a = json_array();
	uint64_t *p99 = calloc(n_streams + 1, sizeof(*p99));
	size_t n = 0;

	for (unsigned i = 0; i < n_streams; i++) {
		struct web_stream *s = &streams[i];

		json_array_append_new(a, json_pack("{sI sI sI so}", "stream", (json_int_t)i, "conn",
						   (json_int_t)(i / per_slot), "requests", (json_int_t)s->requests,
						   "latency_us", wk_hist_summary(&s->lat)));
		if (p99 && s->lat.count) {
			uint64_t v = wk_hist_pct(&s->lat, 99);
			size_t j = n++;

			for (; j > 0 && p99[j - 1] > v; j--)
				p99[j] = p99[j - 1];
			p99[j] = v;
		}
	}
	json_object_set_new(res, "stream_count", json_integer((json_int_t)n_streams));
	json_object_set_new(res, "per_stream", a);
	json_object_set_new(res, "stream_p99_us",
			    n ? json_pack("{sI sI sI sI}", "count", (json_int_t)n, "min", (json_int_t)p99[0],
					  "median", (json_int_t)p99[n / 2], "max", (json_int_t)p99[n - 1])
			      : json_pack("{sI}", "count", (json_int_t)0));
	free(p99);
	return res;
}

void web_stats_client_result(json_t *res)
{
	uint64_t now = wk_now_us();
	double secs = (double)((now < t_end ? now : t_end) - t_start) / 1e6;
	json_t *c;

	pthread_mutex_lock(&mu);
	c = counts(&tot, secs);
	json_object_update(res, c);
	json_decref(c);
	json_object_set_new(res, "seconds", json_real(secs));
	json_object_set_new(res, "tfo_syn_data", json_integer((json_int_t)tot.tfo));
	json_object_set_new(res, "latency_us", wk_hist_summary(&tot.lat));
	json_object_set_new(res, "connect_us", wk_hist_summary(&tot.conn));
	json_object_set_new(res, "ttfb_us", wk_hist_summary(&tot.ttfb));
	json_object_set_new(res, "handshake_us", wk_hist_summary(&tot.hs));
	json_object_set_new(res, "tls_version", json_string(tls_version));
	json_object_set_new(res, "alpn", json_string(alpn));
	json_object_set_new(res, "histogram", wk_hist_buckets(&tot.lat));
	if (web_o.http == WEB_HTTP_3)
		json_object_set_new(res, "quic", json_pack("{sI sI sI sI sI sI sI sI}",
			"connections", (json_int_t)quic_conns, "pkts_sent", (json_int_t)quic.pkts_sent,
			"pkts_recv", (json_int_t)quic.pkts_recv, "pkts_lost", (json_int_t)quic.pkts_lost,
			"pkts_retransmitted", (json_int_t)quic.pkts_retransmitted,
			"srtt_us", (json_int_t)quic.srtt_us, "min_rtt_us", (json_int_t)quic.min_rtt_us,
			"cwnd", (json_int_t)quic.cwnd));
	stream_result(res);
	if (req_f && fclose(req_f))
		wk_msg("--requests %s: %s", web_o.requests, strerror(errno));
	req_f = NULL;
	pthread_mutex_unlock(&mu);
}

void web_stats_server_result(json_t *res)
{
	json_t *c;

	pthread_mutex_lock(&mu);
	c = counts(&tot, 0);
	json_object_del(c, "rps");
	json_object_del(c, "handshakes_per_s");
	json_object_update(res, c);
	json_decref(c);
	json_object_set_new(res, "bytes_in", json_integer((json_int_t)tot.bytes_in));
	json_object_set_new(res, "bytes_out", json_integer((json_int_t)tot.bytes_out));
	json_object_set_new(res, "bytes", json_integer((json_int_t)(tot.bytes_in + tot.bytes_out)));
	json_object_set_new(res, "tfo_syn_data", json_integer((json_int_t)tot.tfo));
	json_object_set_new(res, "tls_version", json_string(tls_version));
	json_object_set_new(res, "alpn", json_string(alpn));
	pthread_mutex_unlock(&mu);
}

long long web_path_size(const char *p, size_t len)
{
	long long v = 0;

	if (len < 2 || p[0] != '/')
		return -1;
	for (size_t i = 1; i < len; i++) {
		if (p[i] < '0' || p[i] > '9' || v > (1LL << 40))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}
