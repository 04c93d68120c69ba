/* Metric values: which field of which file each metric name reads, per
 * worker (the mapping is documented in docs/report.md), and their units. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util/util.h"

const char *const rp_states[] = { "ESTAB",     "SYN_SENT", "SYN_RECV",   "FIN_WAIT1",
				  "FIN_WAIT2", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK",
				  "CLOSING",   "LISTEN",    "CLOSE",      NULL };

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

static const char *const m_bulk[] = { "goodput", "bytes", "retrans", "server_rss", "server_vm",
				      "server_threads", NULL };
static const char *const m_rr[] = { "p50",	   "p90",	  "p99",	 "p999",
				    "max",	   "mean",	  "rps",	 "requests",
				    "handshakes",  "hps",	  "errors",	 "eaddrnotavail",
				    "econnrefused", "etimedout",  "econnreset",	 "success",
				    "connect_p50", "connect_p99", "connect_max", "retrans",
				    "stream_p99_max", "server_rss", "server_vm", "server_threads",
				    NULL };
static const char *const m_churn[] = { "handshakes",  "hps",	      "connects",    "errors",
				       "eaddrnotavail", "econnrefused", "etimedout",  "econnreset",
				       "success",     "connect_p50",  "connect_p99", "connect_max",
				       "first_failure", "retrans",    "server_rss",  "server_vm",
				       "server_threads", NULL };
static const char *const m_syn[] = { "sent", "pps", "skipped", NULL };
static const char *const m_udp[] = { "goodput", "bytes",      "sent",	 "skipped", "received", "lost", "loss",
				     "gaps",	  "reordered", "duplicated", "owd_p50", "owd_p99",
				     "retrans",	  "server_rss", "server_vm", "server_threads", NULL };
static const char *const m_idle[] = { "held",	       "connects",    "handshakes",  "p50",
				      "p99",	       "max",	      "mean",	     "errors",
				      "eaddrnotavail", "econnrefused", "etimedout",  "econnreset",
				      "success",       "connect_p50", "connect_p99", "connect_max",
				      "retrans",       "server_rss",  "server_vm",   "server_threads",
				      "dropped",       "notice",      NULL };

const char *const *rp_worker_metrics(enum tb_worker w)
{
	switch (w) {
	case TB_WORKER_BULK:
		return m_bulk;
	case TB_WORKER_RR:
		return m_rr;
	case TB_WORKER_CHURN:
		return m_churn;
	case TB_WORKER_SYNFLOOD:
		return m_syn;
	case TB_WORKER_UDP:
		return m_udp;
	case TB_WORKER_IDLE:
		return m_idle;
	}
	return m_syn;
}

static const char *const t_bulk[] = { "goodput", "retrans", NULL };
static const char *const t_rr[] = { "p50", "p99", "rps", "hps", "success", "errors", NULL };
/* stream mode: the worst stream's p99 beside the overall one */
static const char *const t_rr_streams[] = { "p50",	"p99",	   "stream_p99_max", "rps",
					    "success", "errors", NULL };
/* a connection per request: its handshake is part of what is measured */
static const char *const t_rr_conn[] = { "p50",	    "p99",    "rps",	     "success",
					 "errors",  "connect_p50", "connect_p99", NULL };
static const char *const t_churn[] = { "connects", "hps", "success", "eaddrnotavail", NULL };
static const char *const t_syn[] = { "sent", "pps", NULL };
static const char *const t_udp[] = { "goodput", "loss", "lost", "gaps", "owd_p50", "owd_p99", "skipped", NULL };
static const char *const t_idle[] = { "held", "connect_p99", "errors", NULL };

const char *const *rp_worker_table(const struct tb_flow *f)
{
	switch (f->worker) {
	case TB_WORKER_BULK:
		return t_bulk;
	case TB_WORKER_RR:
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

enum rp_unit rp_metric_unit(const char *n)
{
	/* the units are the expectation language's (expect.c's metric table) */
	_Static_assert((int)RP_RATE == (int)TB_UNIT_RATE && (int)RP_TIME == (int)TB_UNIT_TIME &&
			       (int)RP_PCT == (int)TB_UNIT_PCT && (int)RP_PER_S == (int)TB_UNIT_PER_S,
		       "enum rp_unit follows enum tb_unit");
	return (enum rp_unit)expect_metric_unit(n);
}

static const char *num3(double v, char *buf, size_t len, const char *unit)
{
	double a = fabs(v);

	snprintf(buf, len, a >= 100 || a == 0 ? "%.0f%s" : a >= 10 ? "%.1f%s" : "%.2f%s", v, unit);
	return buf;
}

const char *rp_fmt(double v, enum rp_unit u, char *buf, size_t len)
{
	double a = fabs(v);

	if (isnan(v)) {
		snprintf(buf, len, "n/a");
		return buf;
	}
	switch (u) {
	case RP_RATE:
		if (a >= 1e9)
			return num3(v / 1e9, buf, len, " Gbit/s");
		if (a >= 1e6)
			return num3(v / 1e6, buf, len, " Mbit/s");
		if (a >= 1e3)
			return num3(v / 1e3, buf, len, " kbit/s");
		return num3(v, buf, len, " bit/s");
	case RP_TIME:
		if (a >= 1 || a == 0)
			return num3(v, buf, len, " s");
		if (a >= 1e-3)
			return num3(v * 1e3, buf, len, " ms");
		return num3(v * 1e6, buf, len, " us");
	case RP_PCT:
		return num3(v, buf, len, "%");
	case RP_PER_S:
		return num3(v, buf, len, "/s");
	case RP_COUNT:
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

#define MISS(...)                                                                                  \
	do {                                                                                       \
		snprintf(why, whylen, __VA_ARGS__);                                                \
		return -ENOENT;                                                                    \
	} while (0)

/* A histogram summary field in seconds; missing when nothing was measured. */
static int hist_s(json_t *j, const char *hist, const char *field, double *v, char *why,
		  size_t whylen, const char *file)
{
	double cnt;
	char path[64];

	snprintf(path, sizeof(path), "%s.count", hist);
	if (jnum(j, path, &cnt) && cnt == 0)
		MISS("%s: %s: nothing measured (count 0)", file, hist);
	snprintf(path, sizeof(path), "%s.%s", hist, field);
	if (!jnum(j, path, v))
		MISS("%s: no %s", file, path);
	*v /= 1e6;
	return 0;
}

static int field(json_t *j, const char *path, double *v, char *why, size_t whylen,
		 const char *file)
{
	const char *err = json_string_value(json_object_get(j, "error"));

	if (jnum(j, path, v))
		return 0;
	if (err && *err)
		MISS("%s: no %s (the worker failed: %s)", file, path, err);
	MISS("%s: no %s", file, path);
}

static int node_metric(const struct report *rp, const struct rp_run *r, const char *name, int node,
		       const char *what, double *v, char *why, size_t whylen)
{
	const char *nn = rp->c->nodes[node].name;

	if (!strcmp(name, "counter")) {
		if (!r->counters[node])
			MISS("%s/counters/%s.json absent", r->dir, nn);
		if (!jnum(r->counters[node], what, v))
			MISS("%s/counters/%s.json has no counter %s", r->dir, nn, what);
		return 0;
	}
	if (!r->peaks[node])
		MISS("%s/sockets/%s-states.csv absent or empty", r->dir, nn);
	{
		char a[32], b[32];
		const char *k;
		json_t *x;

		rp_state_key(what, a, sizeof(a));
		json_object_foreach(r->peaks[node], k, x) {
			rp_state_key(k, b, sizeof(b));
			if (!strcmp(a, b) && json_is_number(x)) {
				*v = json_number_value(x);
				return 0;
			}
		}
	}
	MISS("%s/sockets/%s-states.csv has no column %s", r->dir, nn, what);
}

int rp_run_metric(const struct report *rp, const struct rp_run *r, const char *name, int flow,
		  int node, const char *what, double *v, char *why, size_t whylen)
{
	const struct tb_config *c = rp->c;
	const struct tb_flow *fl;
	json_t *cj, *sj;
	char cf[512], sf[512];
	double a, b;

	*v = NAN;
	if (!strcmp(name, "counter") || !strcmp(name, "peak")) {
		if (node < 0 || (size_t)node >= c->n_nodes || !what)
			MISS("%s(): no node", name);
		return node_metric(rp, r, name, node, what, v, why, whylen);
	}
	if (flow < 0 || (size_t)flow >= c->n_flows)
		MISS("%s(): no flow", name);
	fl = &c->flows[flow];
	cj = r->client[flow];
	sj = r->server[flow];
	snprintf(cf, sizeof(cf), "%s/flows/%s.json", r->dir, fl->name);
	snprintf(sf, sizeof(sf), "%s/flows/%s.server.json", r->dir, fl->name);

	if (!strcmp(name, "retrans")) {
		if (!isnan(r->retrans_csv[flow])) {
			*v = r->retrans_csv[flow];
			return 0;
		}
		if (cj && jnum(cj, "retransmits", v))
			return 0;
		if (fl->from >= 0 && r->counters[fl->from] &&
		    jnum(r->counters[fl->from], "TcpRetransSegs", v))
			return 0;
		MISS("%s: no sampler rows for flow %s and no TcpRetransSegs counter", r->dir, fl->name);
	}
	/* the udp receiver's numbers are in the server's file */
	if (fl->worker == TB_WORKER_UDP &&
	    (!strcmp(name, "goodput") || !strcmp(name, "bytes") || !strcmp(name, "received") ||
	     !strcmp(name, "lost") || !strcmp(name, "loss") || !strcmp(name, "reordered") ||
	     !strcmp(name, "gaps") ||
	     !strcmp(name, "duplicated") || !strncmp(name, "owd_", 4))) {
		if (!sj)
			MISS("%s absent", sf);
		if (!strcmp(name, "goodput")) {
			if (field(sj, "bytes", &a, why, whylen, sf))
				return -ENOENT;
			if (!jnum(sj, "seconds", &b) && !(cj && jnum(cj, "seconds", &b)))
				MISS("%s: no seconds (and %s has none)", sf, cf);
			if (b <= 0)
				MISS("%s: seconds is 0", sf);
			*v = a * 8 / b;
			return 0;
		}
		if (!strcmp(name, "loss"))
			return field(sj, "loss_pct", v, why, whylen, sf);
		if (!strcmp(name, "owd_p50"))
			return hist_s(sj, "owd_us", "p50", v, why, whylen, sf);
		if (!strcmp(name, "owd_p99"))
			return hist_s(sj, "owd_us", "p99", v, why, whylen, sf);
		return field(sj, name, v, why, whylen, sf);
	}
	/* the server's own footprint (a flow that shares another flow's
	 * listener has no server file of its own) */
	if (!strncmp(name, "server_", 7)) {
		if (!sj)
			MISS("%s absent", sf);
		if (!strcmp(name, "server_rss"))
			return field(sj, "rss_peak_bytes", v, why, whylen, sf);
		if (!strcmp(name, "server_vm"))
			return field(sj, "vm_peak_bytes", v, why, whylen, sf);
		return field(sj, "threads_max", v, why, whylen, sf);
	}
	if (!cj)
		MISS("%s absent", cf);
	if (!strcmp(name, "stream_p99_max"))
		return hist_s(cj, "stream_p99_us", "max", v, why, whylen, cf);
	if (!strcmp(name, "goodput"))
		return field(cj, "goodput_bps", v, why, whylen, cf);
	if (!strcmp(name, "p50") || !strcmp(name, "p90") || !strcmp(name, "p99") ||
	    !strcmp(name, "p999") || !strcmp(name, "max") || !strcmp(name, "mean"))
		return hist_s(cj, fl->worker == TB_WORKER_IDLE ? "heartbeat_us" : "latency_us", name,
			      v, why, whylen, cf);
	if (!strncmp(name, "connect_", 8))
		return hist_s(cj, "connect_us", name + 8, v, why, whylen, cf);
	if (!strcmp(name, "handshakes") || !strcmp(name, "connects")) {
		if (fl->worker == TB_WORKER_CHURN)
			return field(cj, "connects", v, why, whylen, cf);
		if (fl->worker == TB_WORKER_IDLE)
			return field(cj, "opened", v, why, whylen, cf);
		return field(cj, "handshakes", v, why, whylen, cf);
	}
	if (!strcmp(name, "hps"))
		return field(cj, fl->worker == TB_WORKER_CHURN ? "rate" : "handshakes_per_s", v, why,
			     whylen, cf);
	if (!strcmp(name, "first_failure")) {
		json_t *x = json_object_get(cj, "first_failure_s");

		if (json_is_null(x))
			MISS("%s: no connect failed during the run", cf);
		return field(cj, "first_failure_s", v, why, whylen, cf);
	}
	{
		json_t *errs = json_object_get(cj, fl->worker == TB_WORKER_CHURN ? "failures" : "errors");

		if (!strcmp(name, "errors")) {
			if (!json_is_object(errs))
				MISS("%s: no errors object", cf);
			*v = sum_obj(errs);
			return 0;
		}
		if (!strcmp(name, "eaddrnotavail") || !strcmp(name, "econnrefused") ||
		    !strcmp(name, "etimedout") || !strcmp(name, "econnreset")) {
			char up[32];
			size_t i;

			if (!json_is_object(errs))
				MISS("%s: no errors object", cf);
			for (i = 0; name[i] && i + 1 < sizeof(up); i++)
				up[i] = (char)toupper((unsigned char)name[i]);
			up[i] = 0;
			*v = json_is_number(json_object_get(errs, up)) ?
				     json_number_value(json_object_get(errs, up)) :
				     0;
			return 0;
		}
		if (!strcmp(name, "success")) {
			if (fl->worker == TB_WORKER_CHURN) {
				if (field(cj, "connects", &a, why, whylen, cf) ||
				    field(cj, "attempts", &b, why, whylen, cf))
					return -ENOENT;
			} else if (fl->worker == TB_WORKER_IDLE) {
				if (field(cj, "held", &a, why, whylen, cf) ||
				    field(cj, "count", &b, why, whylen, cf))
					return -ENOENT;
			} else {
				double rate = 0, secs = 0;

				if (field(cj, "requests", &a, why, whylen, cf))
					return -ENOENT;
				b = a + (json_is_object(errs) ? sum_obj(errs) : 0);
				/* open loop: every request the schedule asked for is an
				 * attempt, including those still queued behind a stalled
				 * connect when the run ended */
				if (json_is_number(json_object_get(cj, "rate")) &&
				    json_is_number(json_object_get(cj, "seconds"))) {
					rate = json_number_value(json_object_get(cj, "rate"));
					secs = json_number_value(json_object_get(cj, "seconds"));
				}
				if (rate > 0 && secs > 0 && rate * secs > b)
					b = floor(rate * secs);
			}
			if (b <= 0)
				MISS("%s: no attempt was made", cf);
			*v = 100 * a / b;
			return 0;
		}
	}
	/* idle: from the first [event] that takes a link down to the first held
	 * connection the worker found dead (the worker's clock starts at the
	 * flow's start) */
	if (!strcmp(name, "notice")) {
		const struct tb_event *ev = NULL;
		json_t *x = json_object_get(cj, "first_drop_s");

		for (size_t i = 0; i < c->n_events && !ev; i++)
			if (c->events[i].action == TB_EVENT_DOWN)
				ev = &c->events[i];
		if (!ev)
			MISS("notice(): no [event] takes a link down");
		if (!cj)
			MISS("%s absent", cf);
		if (!json_is_number(x))
			MISS("%s: no held connection was found dead during the run", cf);
		*v = json_number_value(x) + fl->start_us / 1e6 - ev->at_us / 1e6;
		return 0;
	}
	/* rps requests sent pps held dropped: the worker's own field */
	return field(cj, name, v, why, whylen, cf);
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
	stats_compute(vals, n, st);
	free(vals);
}
