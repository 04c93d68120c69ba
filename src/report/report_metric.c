/* Metric values: the code behind the metric table's reader kinds
 * (config/metric.c says which metric reads what, docs/report.md tells
 * readers). rp_run_metric finds the row of a metric for the flow's worker
 * and dispatches on its reader; rp_case_metric combines the runs of a case
 * as the row says. Also the results columns of report.md per flow kind, and
 * the formatting of values in their units. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util/util.h"

const char *const rp_counters_of_interest[] = {
	"TcpActiveOpens",	   "TcpPassiveOpens",	       "TcpAttemptFails",
	"TcpEstabResets",	   "TcpRetransSegs",	       "TcpOutRsts",
	"TcpExtSyncookiesSent",	   "TcpExtSyncookiesRecv",     "TcpExtSyncookiesFailed",
	"TcpExtListenOverflows",   "TcpExtListenDrops",	       "TcpExtTCPReqQFullDoCookies",
	"TcpExtTCPReqQFullDrop",   "TcpExtTCPTimeouts",	       "TcpExtTCPLostRetransmit",
	"TcpExtTCPSackRecovery",   "TcpExtTCPFastRetrans",     "TcpExtTW",
	"TcpExtTWRecycled",	   "TcpExtTCPTimeWaitOverflow", "TcpExtTCPAbortOnTimeout",
	"TcpExtDelayedACKs",	   "UdpInDatagrams",	       "UdpRcvbufErrors",
	NULL,
};

/* The results columns of report.md: a choice of presentation (the metrics
 * that matter per kind of flow, in reading order), not knowledge of the
 * metrics; tests/unit/report.c checks that each is in the metric table for
 * its worker. */
static const char *const t_bulk[] = { "goodput", "retrans", NULL };
static const char *const t_rr[] = { "p50", "p99", "rps", "hps", "success", "errors", NULL };
/* stream mode: the worst stream's p99 beside the overall one */
static const char *const t_rr_streams[] = { "p50",	"p99",	   "stream_p99_max", "rps",
					    "success", "errors", NULL };
/* a connection per request: its handshake is part of what is measured */
static const char *const t_rr_conn[] = { "p50",	    "p99",    "rps",	     "success",
					 "errors",  "connect_p50", "connect_p99", NULL };
/* tb-web (a protocol stack): time to first byte and the handshake first */
static const char *const t_web[] = { "ttfb_p50", "p50", "p99", "rps", "success", "errors", NULL };
static const char *const t_web_streams[] = { "ttfb_p50", "p50",	 "p99",	   "stream_p99_max",
					     "rps",	 "success", "errors", NULL };
static const char *const t_web_conn[] = { "ttfb_p50", "handshake_p50", "p50",	 "p99",
					  "rps",      "success",       "errors", "resumed", NULL };
/* HTTP/3: the QUIC stack's own RTT and loss figures too */
static const char *const t_web_quic[] = { "ttfb_p50", "handshake_p50", "p50",	  "p99",
					  "stream_p99_max", "success", "errors", "quic_srtt",
					  "quic_lost", "quic_retransmitted", NULL };
static const char *const t_churn[] = { "connects", "hps", "success", "eaddrnotavail", NULL };
static const char *const t_syn[] = { "sent", "pps", NULL };
static const char *const t_udp[] = { "goodput", "loss", "lost", "gaps", "owd_p50", "owd_p99", "skipped", NULL };
static const char *const t_idle[] = { "held", "connect_p99", "errors", NULL };

static const char *const *web_table(const struct tb_flow *f)
{
	if (f->http == TB_HTTP_3)
		return t_web_quic;
	if (f->conn == TB_CONN_PER_REQUEST)
		return t_web_conn;
	return config_flow_has(f, "streams") ? t_web_streams : t_web;
}

const char *const *rp_worker_table(const struct tb_flow *f)
{
	switch (f->worker) {
	case TB_WORKER_BULK:
		return t_bulk;
	case TB_WORKER_RR:
		if (config_flow_web(f))
			return web_table(f);
		if (f->conn == TB_CONN_POOL && config_flow_has(f, "streams"))
			return t_rr_streams;
		return f->conn == TB_CONN_PER_REQUEST ? t_rr_conn : t_rr;
	case TB_WORKER_CHURN:
		return t_churn;
	case TB_WORKER_SYNFLOOD:
		return t_syn;
	case TB_WORKER_UDP:
		return t_udp;
	case TB_WORKER_IDLE:
		return t_idle;
	}
	return t_syn;
}

static const char *num3(double v, char *buf, size_t len, const char *unit)
{
	double a = fabs(v);

	snprintf(buf, len, a >= 100 || a == 0 ? "%.0f%s" : a >= 10 ? "%.1f%s" : "%.2f%s", v, unit);
	return buf;
}

static const char *const unit_names[] = { [TB_UNIT_COUNT] = "count", [TB_UNIT_RATE] = "rate",
					  [TB_UNIT_TIME] = "time",   [TB_UNIT_PCT] = "percent",
					  [TB_UNIT_PER_S] = "per_s" };

const char *rp_unit_name(enum tb_unit u)
{
	return (size_t)u < ARRAY_SIZE(unit_names) ? unit_names[u] : "count";
}

enum tb_unit rp_unit_named(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(unit_names); i++)
		if (!strcmp(unit_names[i], name))
			return (enum tb_unit)i;
	return TB_UNIT_COUNT;
}

const char *rp_fmt(double v, enum tb_unit u, char *buf, size_t len)
{
	double a = fabs(v);

	if (isnan(v)) {
		snprintf(buf, len, "n/a");
		return buf;
	}
	switch (u) {
	case TB_UNIT_RATE:
		if (a >= 1e9)
			return num3(v / 1e9, buf, len, " Gbit/s");
		if (a >= 1e6)
			return num3(v / 1e6, buf, len, " Mbit/s");
		if (a >= 1e3)
			return num3(v / 1e3, buf, len, " kbit/s");
		return num3(v, buf, len, " bit/s");
	case TB_UNIT_TIME:
		if (a >= 1 || a == 0)
			return num3(v, buf, len, " s");
		if (a >= 1e-3)
			return num3(v * 1e3, buf, len, " ms");
		return num3(v * 1e6, buf, len, " us");
	case TB_UNIT_PCT:
		return num3(v, buf, len, "%");
	case TB_UNIT_PER_S:
		return num3(v, buf, len, "/s");
	case TB_UNIT_COUNT:
		if (v == floor(v) && a >= 10000 && a < 1e15) {
			/* thousands separated: 159,000 */
			char d[32], *o = buf;
			int n = snprintf(d, sizeof(d), "%.0f", a);

			if (v < 0 && len > 1)
				*o++ = '-';
			for (int i = 0; i < n && (size_t)(o - buf) + 2 < len; i++) {
				if (i && (n - i) % 3 == 0)
					*o++ = ',';
				*o++ = d[i];
			}
			*o = 0;
		} else if (v == floor(v) && a < 1e15)
			snprintf(buf, len, "%.0f", v);
		else
			snprintf(buf, len, "%.4g", v);
		return buf;
	}
	return buf;
}

void rp_state_key(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in && n + 1 < len; in++)
		if (*in != '-' && *in != '_')
			out[n++] = (char)toupper((unsigned char)*in);
	out[n] = 0;
}

/* A number at a dotted path of @o ("latency_us.p99"). */
static bool jnum(json_t *o, const char *path, double *v)
{
	char key[64];
	const char *p = path, *dot;

	while (o && (dot = strchr(p, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - p), p);
		o = json_object_get(o, key);
		p = dot + 1;
	}
	o = o ? json_object_get(o, p) : NULL;
	if (!json_is_number(o))
		return false;
	*v = json_number_value(o);
	return true;
}

static double sum_obj(json_t *o)
{
	const char *k;
	json_t *v;
	double s = 0;

	json_object_foreach(o, k, v)
		if (json_is_number(v))
			s += json_number_value(v);
	return s;
}


/* Where one value is read: the run, the flow (or node) and the file of the
 * metric's row. */
struct src {
	const struct report *rp;
	const struct rp_run *r;
	int flow, node;
	const struct tb_flow *fl; /* NULL for a node metric */
	const char *what;         /* a node metric's counter or state */
	json_t *j;                /* the row's file; NULL when absent or none */
	char cf[512], sf[512];    /* the client's and the server's file names */
	const char *file;         /* the row's file name: cf or sf */
	char *why;
	size_t whylen;
};

static int miss(const struct src *s, const char *fmt, ...) TB_PRINTF(2, 3);

/* Say why @s has no value; -ENOENT. */
static int miss(const struct src *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, s->whylen, fmt, ap);
	va_end(ap);
	return -ENOENT;
}

/* The number at @path of @j (file @file). */
static int field(const struct src *s, json_t *j, const char *file, const char *path, double *v)
{
	const char *err = json_string_value(json_object_get(j, "error"));

	if (jnum(j, path, v))
		return 0;
	if (err && *err)
		return miss(s, "%s: no %s (the worker failed: %s)", file, path, err);
	return miss(s, "%s: no %s", file, path);
}

static int rd_field(const struct src *s, const struct tb_metric *m, double *v)
{
	if (m->none && json_is_null(json_object_get(s->j, m->key)))
		return miss(s, "%s: %s", s->file, m->none);
	return field(s, s->j, s->file, m->key, v);
}

/* A histogram summary field in seconds; missing when nothing was measured. */
static int rd_hist(const struct src *s, const struct tb_metric *m, double *v)
{
	double cnt;
	char path[64];

	snprintf(path, sizeof(path), "%s.count", m->key);
	if (jnum(s->j, path, &cnt) && cnt == 0)
		return miss(s, "%s: %s: nothing measured (count 0)", s->file, m->key);
	snprintf(path, sizeof(path), "%s.%s", m->key, m->arg);
	if (!jnum(s->j, path, v))
		return miss(s, "%s: no %s", s->file, path);
	*v /= 1e6;
	return 0;
}

static int rd_rate(const struct src *s, const struct tb_metric *m, double *v)
{
	json_t *cj = s->r->client[s->flow];
	double bytes, secs;

	if (field(s, s->j, s->file, m->key, &bytes))
		return -ENOENT;
	if (!jnum(s->j, "seconds", &secs) && !(cj && jnum(cj, "seconds", &secs)))
		return miss(s, "%s: no seconds (and %s has none)", s->file, s->cf);
	if (secs <= 0)
		return miss(s, "%s: seconds is 0", s->file);
	*v = bytes * 8 / secs;
	return 0;
}

/* The errno -> count object `key`. */
static json_t *errs(const struct src *s, const char *key)
{
	json_t *o = json_object_get(s->j, key);

	if (!json_is_object(o))
		miss(s, "%s: no %s object", s->file, key);
	return json_is_object(o) ? o : NULL;
}

static int rd_errors(const struct src *s, const struct tb_metric *m, double *v)
{
	json_t *o = errs(s, m->key);

	if (!o)
		return -ENOENT;
	*v = sum_obj(o);
	return 0;
}

static int rd_errno(const struct src *s, const struct tb_metric *m, double *v)
{
	json_t *o = errs(s, m->key), *n;

	if (!o)
		return -ENOENT;
	n = json_object_get(o, m->arg);
	*v = json_is_number(n) ? json_number_value(n) : 0;
	return 0;
}

/* 100 x @done / @tried */
static int pct(const struct src *s, double done, double tried, double *v)
{
	if (tried <= 0)
		return miss(s, "%s: no attempt was made", s->file);
	*v = 100 * done / tried;
	return 0;
}

static int rd_ratio(const struct src *s, const struct tb_metric *m, double *v)
{
	double a, b;

	if (field(s, s->j, s->file, m->key, &a) || field(s, s->j, s->file, m->arg, &b))
		return -ENOENT;
	return pct(s, a, b, v);
}

/* Requests completed of those started; open loop (a rate): of those the
 * schedule asked for, including those still queued behind a stalled connect
 * when the run ended. */
static int rd_success_rr(const struct src *s, const struct tb_metric *m, double *v)
{
	json_t *e = json_object_get(s->j, m->arg);
	double done, tried, rate = 0, secs = 0;

	if (field(s, s->j, s->file, m->key, &done))
		return -ENOENT;
	tried = done + (json_is_object(e) ? sum_obj(e) : 0);
	jnum(s->j, "rate", &rate);
	jnum(s->j, "seconds", &secs);
	if (rate > 0 && secs > 0 && rate * secs > tried)
		tried = floor(rate * secs);
	return pct(s, done, tried, v);
}

static int rd_retrans(const struct src *s, const struct tb_metric *m, double *v)
{
	const struct rp_run *r = s->r;
	json_t *cj = r->client[s->flow];
	int from = s->fl->from;

	*v = r->retrans_csv[s->flow];
	if (!isnan(*v) || (cj && jnum(cj, m->key, v)))
		return 0;
	if (from >= 0 && r->counters[from] && jnum(r->counters[from], m->arg, v))
		return 0;
	return miss(s, "%s: no sampler rows for flow %s and no %s counter", r->dir, s->fl->name,
		    m->arg);
}

/* idle: from the first [event] that takes a link down to the first held
 * connection the worker found dead (the worker's clock starts at the flow's
 * start) */
static int rd_notice(const struct src *s, const struct tb_metric *m, double *v)
{
	const struct tb_config *c = s->rp->c;
	json_t *x = json_object_get(s->j, m->key);

	for (size_t i = 0; i < c->n_events; i++) {
		if (c->events[i].action != TB_EVENT_DOWN)
			continue;
		if (!json_is_number(x))
			return miss(s, "%s: %s", s->file, m->none);
		*v = json_number_value(x) + s->fl->start_us / 1e6 - c->events[i].at_us / 1e6;
		return 0;
	}
	return miss(s, "%s(): no [event] takes a link down", m->name);
}

static int rd_counter(const struct src *s, double *v)
{
	const char *nn = s->rp->c->nodes[s->node].name;
	json_t *o = s->r->counters[s->node];

	if (!o)
		return miss(s, "%s/counters/%s.json absent", s->r->dir, nn);
	if (!jnum(o, s->what, v))
		return miss(s, "%s/counters/%s.json has no counter %s", s->r->dir, nn, s->what);
	return 0;
}

static int rd_peak(const struct src *s, double *v)
{
	const char *nn = s->rp->c->nodes[s->node].name, *k;
	char a[32], b[32];
	json_t *x;

	if (!s->r->peaks[s->node])
		return miss(s, "%s/sockets/%s-states.csv absent or empty", s->r->dir, nn);
	rp_state_key(s->what, a, sizeof(a));
	json_object_foreach(s->r->peaks[s->node], k, x) {
		rp_state_key(k, b, sizeof(b));
		if (!strcmp(a, b) && json_is_number(x)) {
			*v = json_number_value(x);
			return 0;
		}
	}
	return miss(s, "%s/sockets/%s-states.csv has no column %s", s->r->dir, nn, s->what);
}

/* cfg(KEY): the key of the run's case */
static int rd_config(const struct src *s, double *v)
{
	enum tb_unit u;

	if (config_get(rp_case_cfg(s->rp, (size_t)s->r->kase), s->what, v, &u, s->why, s->whylen))
		return -ENOENT;
	return 0;
}

static int read_value(const struct src *s, const struct tb_metric *m, double *v)
{
	switch (m->read) {
	case TB_READ_FIELD:
		return rd_field(s, m, v);
	case TB_READ_HIST:
		return rd_hist(s, m, v);
	case TB_READ_RATE:
		return rd_rate(s, m, v);
	case TB_READ_ERRORS:
		return rd_errors(s, m, v);
	case TB_READ_ERRNO:
		return rd_errno(s, m, v);
	case TB_READ_RATIO:
		return rd_ratio(s, m, v);
	case TB_READ_SUCCESS_RR:
		return rd_success_rr(s, m, v);
	case TB_READ_RETRANS:
		return rd_retrans(s, m, v);
	case TB_READ_NOTICE:
		return rd_notice(s, m, v);
	case TB_READ_COUNTER:
		return rd_counter(s, v);
	case TB_READ_PEAK:
		return rd_peak(s, v);
	case TB_READ_UDPSOCK:
		return rp_udp_value(s->rp, s->r, s->flow, m->key, v, s->why, s->whylen);
	case TB_READ_VALUE:
		return rp_proc_value(s->r, s->node, &s->rp->c->processes[s->node], s->what, v,
				     s->why, s->whylen);
	case TB_READ_CONFIG:
		return rd_config(s, v);
	}
	return miss(s, "%s: unknown reader", m->name);
}

/* The row of @name for @flow's worker (node metrics: whatever the flow). */
static const struct tb_metric *row(const struct report *rp, const char *name, int flow)
{
	bool ok = flow >= 0 && (size_t)flow < rp->c->n_flows;

	return metric_find(name, ok ? (int)rp->c->flows[flow].worker : -1);
}

/* The flow's (or node's) side of @s: its files, or whether the subject exists. */
static int locate(struct src *s, const struct tb_metric *m)
{
	const struct tb_config *c = s->rp->c;

	if (m->subject == TB_MS_PROCESS) {
		if (s->node < 0 || (size_t)s->node >= c->n_processes)
			return miss(s, "%s(): no process", m->name);
		snprintf(s->cf, sizeof(s->cf), "%s/processes/%s/status.json", s->r->dir,
			 c->processes[s->node].name);
		s->file = s->cf;
		s->j = s->r->proc ? s->r->proc[s->node] : NULL;
		if (!s->j)
			return miss(s, "%s absent", s->file);
		return 0;
	}
	if (m->subject == TB_MS_CONFIG)
		return s->what ? 0 : miss(s, "cfg(): no key");
	if (m->subject != TB_MS_FLOW) {
		if (s->node < 0 || (size_t)s->node >= c->n_nodes || !s->what)
			return miss(s, "%s(): no node", m->name);
		return 0;
	}
	if (s->flow < 0 || (size_t)s->flow >= c->n_flows)
		return miss(s, "%s(): no flow", m->name);
	s->fl = &c->flows[s->flow];
	snprintf(s->cf, sizeof(s->cf), "%s/flows/%s.json", s->r->dir, s->fl->name);
	snprintf(s->sf, sizeof(s->sf), "%s/flows/%s.server.json", s->r->dir, s->fl->name);
	s->j = m->file == TB_MF_SERVER ? s->r->server[s->flow] : s->r->client[s->flow];
	s->file = m->file == TB_MF_SERVER ? s->sf : s->cf;
	if (m->file != TB_MF_NONE && !s->j)
		return miss(s, "%s absent", s->file);
	return 0;
}

int rp_run_metric(const struct report *rp, const struct rp_run *r, const char *name, int flow,
		  int node, const char *what, double *v, char *why, size_t whylen)
{
	struct src s = { .rp = rp, .r = r, .flow = flow, .node = node, .what = what,
			 .why = why, .whylen = whylen };
	const struct tb_metric *m = row(rp, name, flow);

	*v = NAN;
	if (!m)
		return miss(&s, "%s is not a metric of flow %s", name,
			    flow >= 0 && (size_t)flow < rp->c->n_flows ? rp->c->flows[flow].name : "?");
	if (locate(&s, m))
		return -ENOENT;
	return read_value(&s, m, v);
}

/* The number of a case from the values of its runs, as the row says. */
static void aggregate(const struct tb_metric *m, const double *vals, size_t n, struct stats *st)
{
	switch (m ? m->agg : TB_AGG_STATS) {
	case TB_AGG_STATS:
		stats_compute(vals, n, st);
		return;
	}
}

void rp_case_metric(const struct report *rp, size_t k, const char *name, int flow, int node,
		    const char *what, struct stats *st, char *why, size_t whylen)
{
	const struct rp_case *cs = &rp->cases[k];
	double *vals = xcalloc(cs->n_runs + 1, sizeof(*vals));
	size_t n = 0;

	why[0] = 0;
	for (size_t i = 0; i < cs->n_runs; i++) {
		const struct rp_run *r = &rp->runs[cs->runs[i]];
		char w[RP_WHY];

		if (!r->usable)
			continue;
		if (rp_run_metric(rp, r, name, flow, node, what, &vals[n], w, sizeof(w)) == 0)
			n++;
		else if (!why[0])
			snprintf(why, whylen, "%s", w);
	}
	if (!cs->n_usable)
		snprintf(why, whylen, "no complete run of case %zu (%s)", k + 1, cs->label);
	aggregate(row(rp, name, flow), vals, n, st);
	free(vals);
}
