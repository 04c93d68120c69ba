/* Queue statistics of a run: every qdisc the testbed installed, read from
 * runs/<run>/qdisc.json ({"node": [{dev, kind, handle, packets, drops,
 * overlimits, backlog, qlen, options, xstats}]}, written at the end of each
 * run), summarised per case over the complete repeats. The evidence of a
 * bufferbloat or AQM experiment: how much a queue dropped, how full it was
 * left, and what fq_codel did (drop_overlimit, ecn_mark, new_flow_count). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util/util.h"

static const char *const q_fields[] = { "packets", "bytes", "drops", "overlimits", "requeues",
					"backlog", "qlen", NULL };
/* extended statistics worth a column, per kind (the rest stay in qdisc.json) */
static const char *const x_fields[] = { "maxpacket",	  "drop_overlimit", "ecn_mark",
					"new_flow_count", "ce_mark",	    "drop_overmemory",
					"dropping",	  "flows_plimit",   "throttled_flows",
					NULL };

/* qdisc.json of each usable run of case @k, NULL where absent. */
static json_t **load_case(const struct report *rp, size_t k, size_t *n)
{
	const struct rp_case *cs = &rp->cases[k];
	json_t **v = xcalloc(cs->n_runs + 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; i < cs->n_runs; i++) {
		const struct rp_run *r = &rp->runs[cs->runs[i]];
		char *p;

		if (!r->usable)
			continue;
		p = rp_path(rp, "%s/qdisc.json", r->dir);
		v[(*n)++] = json_load_file(p, 0, NULL);
		free(p);
	}
	return v;
}

static void free_case(json_t **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(v[i]);
	free(v);
}

/* One qdisc: the node it is on, its device and its handle. */
struct qid {
	const char *node, *dev, *handle;
};

/* The identity of qdisc @q of @node's dump; false when it names no device
 * or handle (such an entry is not summarised). */
static bool qid_of(const char *node, json_t *q, struct qid *id)
{
	id->node = node;
	id->dev = json_string_value(json_object_get(q, "dev"));
	id->handle = json_string_value(json_object_get(q, "handle"));
	return id->dev && id->handle;
}

/* The qdisc object for @id in one run's dump. */
static json_t *find_q(json_t *dump, const struct qid *id)
{
	json_t *arr = json_object_get(dump, id->node), *q;
	size_t i;

	json_array_foreach(arr, i, q) {
		struct qid o;

		if (qid_of(id->node, q, &o) && !strcmp(o.dev, id->dev) &&
		    !strcmp(o.handle, id->handle))
			return q;
	}
	return NULL;
}

/* Statistics of @field (under @sub: "xstats", or NULL for the top level) of
 * qdisc @id over the runs. */
static void q_stats(json_t **runs, size_t n, const struct qid *id, const char *sub,
		    const char *field, struct stats *st)
{
	double *vals = xcalloc(n + 1, sizeof(*vals));
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *q = find_q(runs[i], id), *x;

		if (sub)
			q = json_object_get(q, sub);
		x = json_object_get(q, field);
		if (json_is_number(x))
			vals[m++] = json_number_value(x);
	}
	stats_compute(vals, m, st);
	free(vals);
}

/* The first run with a dump: it names the qdiscs of the case. */
static json_t *first_dump(json_t **runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (json_is_object(runs[i]))
			return runs[i];
	return NULL;
}

/* Qdisc @id (@q of the case's first dump) over the runs @runs of a case:
 * what it is, and the statistics of its counters and extended statistics. */
static json_t *qdisc_json(json_t **runs, size_t n, const struct qid *id, json_t *q)
{
	json_t *o, *so = json_object(), *xo = json_object(), *xs, *xv;
	const char *xk;
	struct stats st;

	o = json_pack("{s:s, s:s, s:O?, s:s, s:O?}", "node", id->node, "dev", id->dev, "kind",
		      json_object_get(q, "kind"), "handle", id->handle, "parent",
		      json_object_get(q, "parent"));
	for (int f = 0; q_fields[f]; f++) {
		q_stats(runs, n, id, NULL, q_fields[f], &st);
		if (st.n)
			json_object_set_new(so, q_fields[f], rp_stats_json(&st));
	}
	xs = json_object_get(q, "xstats");
	json_object_foreach(xs, xk, xv) {
		q_stats(runs, n, id, "xstats", xk, &st);
		if (st.n)
			json_object_set_new(xo, xk, rp_stats_json(&st));
	}
	json_object_set_new(o, "stats", so);
	json_object_set_new(o, "xstats", xo);
	return o;
}

json_t *rp_qdisc_json(const struct report *rp, size_t k)
{
	size_t n;
	json_t **runs = load_case(rp, k, &n), *dump = first_dump(runs, n), *out = NULL, *arr, *q;
	const char *node;
	size_t i;

	if (!dump)
		goto done;
	out = json_array();
	json_object_foreach(dump, node, arr) {
		json_array_foreach(arr, i, q) {
			struct qid id;

			if (qid_of(node, q, &id))
				json_array_append_new(out, qdisc_json(runs, n, &id, q));
		}
	}
done:
	free_case(runs, n);
	return out;
}

/* "1,234" or "1,234 (1,100–1,300)" for counts. */
static void qcell(struct rp_tab *t, const struct stats *st)
{
	char m[48], a[48], b[48];

	if (!st->n) {
		rp_tab_cell(t, "—");
		return;
	}
	rp_fmt(st->median, TB_UNIT_COUNT, m, sizeof(m));
	if (st->n > 1 && st->min != st->max)
		rp_tab_cell(t, "%s (%s–%s)", m, rp_fmt(st->min, TB_UNIT_COUNT, a, sizeof(a)),
			    rp_fmt(st->max, TB_UNIT_COUNT, b, sizeof(b)));
	else
		rp_tab_cell(t, "%s", m);
}

/* Whether qdisc @id dropped, went over its limit or has extended
 * statistics in some run of some case: the rest (a delay line that only
 * delayed, an ACK path's shaper that never filled) are left out of the
 * table, not of summary.json. */
static bool eventful(const struct report *rp, const struct qid *id)
{
	bool yes = false;

	for (size_t k = 0; k < rp->n_cases && !yes; k++) {
		size_t n;
		json_t **runs = load_case(rp, k, &n);

		for (size_t i = 0; i < n && !yes; i++) {
			json_t *q = find_q(runs[i], id);

			yes = json_object_size(json_object_get(q, "xstats")) > 0 ||
			      json_number_value(json_object_get(q, "drops")) > 0 ||
			      json_number_value(json_object_get(q, "overlimits")) > 0;
		}
		free_case(runs, n);
	}
	return yes;
}

/* The section's heading, what its columns mean, and the table's header. */
static void queues_head(struct rp_tab *t)
{
	static const char *const cols[] = { "#",	 "case",	    "node",	"dev",
					    "qdisc",	 "packets",	    "drops",	"drop %",
					    "overlimits", "backlog (bytes)", "extended" };

	rp_tab_title(t, 3, "Queues");
	rp_tab_para(t, false, "The qdiscs the testbed installed, from each run's `qdisc.json` at its "
			      "end, medians over the repeats (range when they differ). `drop %%` is "
			      "drops / (packets + drops): on a netem qdisc, its random loss plus any "
			      "overflow of its children (a child's drops count in its parent too); "
			      "`backlog` is what was still queued when the run ended. fq\\_codel's "
			      "`drop_overlimit` counts drops because its limit was reached (not AQM "
			      "drops), `new_flow_count` flows that became active.");
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++)
		rp_tab_col(t, i >= 5 && i <= 9, "%s", cols[i]);
}

/* The "extended" cell: the medians of the extended statistics worth a
 * column (x_fields) that qdisc @id has (@xs, of the case's first dump). */
static void xstats_cell(struct rp_tab *t, json_t **runs, size_t n, const struct qid *id, json_t *xs)
{
	bool first = true;
	struct stats st;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	for (int x = 0; x_fields[x]; x++) {
		char m[48];

		if (!json_object_get(xs, x_fields[x]))
			continue;
		q_stats(runs, n, id, "xstats", x_fields[x], &st);
		if (!st.n)
			continue;
		fprintf(f, "%s%s %s", first ? "" : ", ", x_fields[x],
			rp_fmt(st.median, TB_UNIT_COUNT, m, sizeof(m)));
		first = false;
	}
	fclose(f);
	rp_tab_cell(t, "%s", s);
	free(s);
}

/* The row of qdisc @id (@q of the first dump) in case @k, over its runs. */
static void qdisc_row(struct rp_tab *t, const struct report *rp, size_t k, json_t **runs, size_t n,
		      const struct qid *id, json_t *q)
{
	const char *kind = json_string_value(json_object_get(q, "kind"));
	struct stats sp, sd, st;

	rp_tab_cell(t, "%zu", k + 1);
	rp_tab_cell(t, "%s", rp->cases[k].label);
	rp_tab_cell(t, "%s", id->node);
	rp_tab_cell(t, "%s", id->dev);
	rp_tab_cell(t, "%s %s", kind ? kind : "?", id->handle);
	q_stats(runs, n, id, NULL, "packets", &sp);
	q_stats(runs, n, id, NULL, "drops", &sd);
	qcell(t, &sp);
	qcell(t, &sd);
	if (sp.n && sd.n && sp.median + sd.median > 0)
		rp_tab_cell(t, "%.3g%%", 100 * sd.median / (sp.median + sd.median));
	else
		rp_tab_cell(t, "—");
	q_stats(runs, n, id, NULL, "overlimits", &st);
	qcell(t, &st);
	q_stats(runs, n, id, NULL, "backlog", &st);
	qcell(t, &st);
	xstats_cell(t, runs, n, id, json_object_get(q, "xstats"));
}

/* The rows of case @k: a row per eventful qdisc of its first dump @dump;
 * the others are counted in @quiet (in the first case only, so that each
 * counts once). */
static void case_rows(struct rp_tab *t, const struct report *rp, size_t k, json_t **runs, size_t n,
		      json_t *dump, size_t *quiet)
{
	const char *node;
	json_t *arr, *q;
	size_t i;

	json_object_foreach(dump, node, arr) {
		json_array_foreach(arr, i, q) {
			struct qid id;

			if (!qid_of(node, q, &id))
				continue;
			if (eventful(rp, &id))
				qdisc_row(t, rp, k, runs, n, &id, q);
			else
				*quiet += k == 0;
		}
	}
}

/* How many qdiscs the table leaves out, and where they are. */
static void quiet_note(struct rp_tab *t, size_t quiet)
{
	rp_tab_para(t, true,
		    "%zu qdisc%s that never dropped, never went over %s limit and %s no extended "
		    "statistics %s left out (`summary.json` has %s).",
		    quiet, quiet == 1 ? "" : "s", quiet == 1 ? "its" : "their",
		    quiet == 1 ? "has" : "have", quiet == 1 ? "is" : "are", quiet == 1 ? "it" : "them");
}

void rp_qdisc_tab(const struct report *rp, struct rp_tab *t)
{
	bool any = false;
	size_t quiet = 0;

	for (size_t k = 0; k < rp->n_cases; k++) {
		size_t n;
		json_t **runs = load_case(rp, k, &n), *dump = first_dump(runs, n);

		if (dump && !any) {
			queues_head(t);
			any = true;
		}
		if (dump)
			case_rows(t, rp, k, runs, n, dump, &quiet);
		free_case(runs, n);
	}
	if (any && quiet)
		quiet_note(t, quiet);
}
