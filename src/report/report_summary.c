/* summary.json: the machine-readable result a CI job gates on. Every field
 * is documented in docs/report.md. Numbers are in SI base units (bit/s,
 * seconds, percent for success/loss); undefined statistics are null. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_int.h"
#include "obs/sampler.h"
#include "util/jsonfile.h"
#include "util/util.h"

/* Stats of a JSON-object-valued field (errors by errno, where the metric
 * table's "errors" reads them) over the usable runs: one entry per key
 * seen, a run without the key counting 0. */
static json_t *errno_stats(const struct report *rp, const struct rp_case *cs, int flow)
{
	const struct tb_metric *m = metric_find("errors", (int)rp->c->flows[flow].worker);
	const char *key = m ? m->key : "errors";
	json_t *keys = json_object(), *out = json_object(), *x;
	double *vals = xcalloc(cs->n_runs + 1, sizeof(*vals));
	const char *k;

	for (size_t i = 0; i < cs->n_runs; i++) {
		const struct rp_run *r = &rp->runs[cs->runs[i]];
		json_t *o = r->usable && r->client[flow] ? json_object_get(r->client[flow], key) : NULL;
		const char *ek;
		json_t *ev;

		json_object_foreach(o, ek, ev)
			json_object_set_new(keys, ek, json_true());
	}
	json_object_foreach(keys, k, x) {
		size_t n = 0;
		struct stats st;

		for (size_t i = 0; i < cs->n_runs; i++) {
			const struct rp_run *r = &rp->runs[cs->runs[i]];
			json_t *o = r->usable && r->client[flow] ? json_object_get(r->client[flow], key) :
								    NULL;

			if (!json_is_object(o))
				continue;
			vals[n++] = json_is_number(json_object_get(o, k)) ?
					    json_number_value(json_object_get(o, k)) :
					    0;
		}
		stats_compute(vals, n, &st);
		json_object_set_new(out, k, rp_stats_json(&st));
	}
	json_decref(keys);
	free(vals);
	return out;
}

static void add_ref_counters(const struct tb_expr *e, int node, json_t *names)
{
	if (!e)
		return;
	if (e->kind == TB_EX_METRIC && !strcmp(e->name, "counter") && e->node == node &&
	    e->subject && strchr(e->subject, '.'))
		json_object_set_new(names, strchr(e->subject, '.') + 1, json_true());
	add_ref_counters(e->lhs, node, names);
	add_ref_counters(e->rhs, node, names);
	for (size_t i = 0; i < e->n_args; i++)
		add_ref_counters(e->args[i], node, names);
}

static json_t *node_json(const struct report *rp, size_t k, int node)
{
	const struct tb_config *c = rp->c;
	json_t *o = json_object(), *peaks = json_object(), *ctr = json_object(), *names = json_object();
	char why[RP_WHY];
	struct stats st;
	const char *name;
	json_t *x;

	for (int s = 0; metric_states[s]; s++) {
		rp_case_metric(rp, k, "peak", -1, node, metric_states[s], &st, why, sizeof(why));
		if (st.n)
			json_object_set_new(peaks, metric_states[s], rp_stats_json(&st));
	}
	for (int i = 0; rp_counters_of_interest[i]; i++)
		json_object_set_new(names, rp_counters_of_interest[i], json_false());
	for (size_t i = 0; i < c->n_expects; i++) {
		add_ref_counters(c->expects[i].lhs, node, names);
		add_ref_counters(c->expects[i].rhs, node, names);
	}
	json_object_foreach(names, name, x) {
		bool ref = json_is_true(x);

		rp_case_metric(rp, k, "counter", -1, node, name, &st, why, sizeof(why));
		if (st.n && (ref || st.max != 0 || st.min != 0))
			json_object_set_new(ctr, name, rp_stats_json(&st));
		else if (ref && !st.n)
			json_object_set_new(ctr, name, json_null());
	}
	json_decref(names);
	if (json_object_size(peaks))
		json_object_set_new(o, "peaks", peaks);
	else
		json_decref(peaks);
	if (json_object_size(ctr))
		json_object_set_new(o, "counters", ctr);
	else
		json_decref(ctr);
	if (!json_object_size(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Every metric of the table that the flow's worker produces and that had a
 * value in case @k (and the Mathis prediction of a bulk flow on a lossy
 * path). */
static json_t *flow_metrics(const struct report *rp, size_t k, int flow)
{
	const struct tb_flow *fl = &rp_case_cfg(rp, k)->flows[flow];
	json_t *mo = json_object();
	char why[RP_WHY];
	struct stats st;

	for (const struct tb_metric *m = metric_table; m->name; m++) {
		if (!metric_of(m, fl->worker))
			continue;
		rp_case_metric(rp, k, m->name, flow, -1, NULL, &st, why, sizeof(why));
		if (st.n)
			json_object_set_new(mo, m->name, rp_stats_json(&st));
	}
	if (rp_flow_mathis(rp, flow)) {
		rp_case_mathis(rp, k, flow, &st, why, sizeof(why));
		if (st.n)
			json_object_set_new(mo, "mathis", rp_stats_json(&st));
	}
	return mo;
}

static json_t *case_json(const struct report *rp, size_t k)
{
	const struct tb_config *c = rp->c;
	const struct rp_case *cs = &rp->cases[k];
	json_t *o = json_object(), *params = json_object(), *flows = json_object(),
	       *nodes = json_object(), *runs = json_array();

	json_object_set_new(o, "index", json_integer((json_int_t)k));
	json_object_set_new(o, "label", json_string(cs->label));
	for (size_t s = 0; s < c->n_sweeps; s++)
		json_object_set_new(params, c->sweeps[s].key,
				    json_string(c->sweeps[s].values[cs->idx[s]]));
	json_object_set_new(o, "params", params);
	json_object_set_new(o, "note", cs->note ? json_string(cs->note) : json_null());
	json_object_set_new(o, "runs_total", json_integer((json_int_t)cs->n_runs));
	json_object_set_new(o, "runs_complete", json_integer((json_int_t)cs->n_usable));
	for (size_t i = 0; i < cs->n_runs; i++) {
		const struct rp_run *r = &rp->runs[cs->runs[i]];

		json_array_append_new(runs, json_pack("{s:s, s:i, s:s, s:o}", "dir", r->dir, "repeat",
						      r->repeat, "status", r->status, "error",
						      r->error ? json_string(r->error) : json_null()));
	}
	json_object_set_new(o, "runs", runs);
	for (size_t f = 0; f < c->n_flows; f++) {
		const struct tb_flow *fl = &rp_case_cfg(rp, k)->flows[f];
		json_t *fo = json_object();

		json_object_set_new(fo, "worker", json_string(config_worker_name(fl->worker)));
		json_object_set_new(fo, "enabled", json_boolean(fl->enabled));
		json_object_set_new(fo, "metrics", fl->enabled ? flow_metrics(rp, k, (int)f) :
								 json_object());
		if (fl->enabled && fl->worker != TB_WORKER_BULK)
			json_object_set_new(fo, "errors", errno_stats(rp, cs, (int)f));
		json_object_set_new(flows, fl->name, fo);
	}
	json_object_set_new(o, "flows", flows);
	for (size_t n = 0; n < c->n_nodes; n++) {
		json_t *no = node_json(rp, k, (int)n);

		if (no)
			json_object_set_new(nodes, c->nodes[n].name, no);
	}
	json_object_set_new(o, "nodes", nodes);
	if (c->n_processes)
		json_object_set_new(o, "processes", rp_proc_json(rp, k));
	json_object_set_new(o, "qdiscs", rp_qdisc_json(rp, k) ?: json_null());
	return o;
}

json_t *rp_expect_json(const struct report *rp, const struct rp_expect *re)
{
	const struct tb_config *c = rp->c;
	json_t *o = json_object(), *combos = json_array();
	char *lt = rp_expr_text(c, re->e->lhs), *rt = rp_expr_text(c, re->e->rhs);

	json_object_set_new(o, "name", json_string(re->e->name));
	json_object_set_new(o, "text", json_string(re->e->text ? re->e->text : ""));
	json_object_set_new(o, "lhs", json_string(lt));
	json_object_set_new(o, "rhs", json_string(rt));
	json_object_set_new(o, "line", json_integer(re->e->loc.line));
	free(lt);
	free(rt);
	for (size_t j = 0; j < re->n_combos; j++) {
		const struct rp_combo *cb = &re->combos[j];
		json_t *co = json_object(), *terms = json_array();

		json_object_set_new(co, "where", json_incref(cb->where_obj));
		json_object_set_new(co, "lhs", rp_json_real(cb->lhs));
		json_object_set_new(co, "rhs", rp_json_real(cb->rhs));
		json_object_set_new(co, "held", json_boolean(cb->held));
		json_object_set_new(co, "no_data", json_boolean(cb->nodata));
		json_object_set_new(co, "reason", cb->reason ? json_string(cb->reason) : json_null());
		for (size_t t = 0; t < cb->n_terms; t++) {
			const struct rp_term *tm = &cb->terms[t];
			json_t *to = json_object();

			json_object_set_new(to, "metric", json_string(tm->text));
			json_object_set_new(to, "case", json_integer((json_int_t)tm->kase));
			json_object_set_new(to, "value", rp_json_real(tm->st.median));
			json_object_set_new(to, "unit", json_string(rp_unit_name(tm->unit)));
			if (tm->configured)
				json_object_set_new(to, "configured", json_true());
			json_object_set_new(to, "stats", rp_stats_json(&tm->st));
			if (!tm->st.n)
				json_object_set_new(to, "missing", json_string(tm->why));
			json_array_append_new(terms, to);
		}
		json_object_set_new(co, "metrics", terms);
		json_array_append_new(combos, co);
	}
	json_object_set_new(o, "combinations", combos);
	json_object_set_new(o, "held", json_boolean(re->held));
	json_object_set_new(o, "why_not", re->why_not ? json_string(re->why_not) : json_null());
	return o;
}

/* host_stalls / guest_stalls of summary.json */
static json_t *stalls_json(const struct rp_stalls *s)
{
	return json_pack("{s:i, s:I, s:I, s:o, s:o, s:o}", "threshold_ms",
			 (int)(SAMPLER_STALL_NS / 1000000u), "runs_measured", (json_int_t)s->n_measured,
			 "runs_stalled", (json_int_t)s->n_stalled, "late_max_ms", rp_json_real(s->worst_ms),
			 "cpu_busiest_pct", rp_json_real(s->cpu_busiest), "host_cpu_busiest_pct",
			 rp_json_real(s->host_cpu_busiest));
}

/* What was run: the experiment, its file, seed, kernel and repeat count (the
 * manifest's, where it recorded them), and by which testbed. */
static void experiment_json(json_t *o, const struct report *rp)
{
	const struct tb_config *c = rp->c;
	json_t *m = rp->manifest, *x;

	json_object_set_new(o, "experiment", json_string(c->exp.name));
	json_object_set_new(o, "description",
			    c->exp.description ? json_string(c->exp.description) : json_null());
	json_object_set_new(o, "file", json_string(c->path ? c->path : ""));
	json_object_set_new(o, "seed", json_integer((json_int_t)c->exp.seed));
	if ((x = json_object_get(m, "seed")))
		json_object_set(o, "seed", x);
	json_object_set_new(o, "kernel",
			    (x = json_object_get(m, "kernel")) ? json_incref(x) : json_null());
	json_object_set_new(o, "repeat", (x = json_object_get(m, "repeat")) ?
						 json_incref(x) :
						 json_integer(c->exp.repeat));
	json_object_set_new(o, "generated_by", json_string("testbed " TB_VERSION));
}

/* Each sweep: its key, short name and values. */
static json_t *sweeps_json(const struct tb_config *c)
{
	json_t *sweeps = json_array();

	for (size_t s = 0; s < c->n_sweeps; s++) {
		json_t *v = json_array();

		for (size_t i = 0; i < c->sweeps[s].n_values; i++)
			json_array_append_new(v, json_string(c->sweeps[s].values[i]));
		json_array_append_new(sweeps, json_pack("{s:s, s:s, s:o}", "key", c->sweeps[s].key,
							"name",
							c->sweeps[s].short_name ? c->sweeps[s].short_name :
										  c->sweeps[s].key,
							"values", v));
	}
	return sweeps;
}

/* One run: where it is, its case and status, and who stalled in it. */
static json_t *run_json(const struct rp_run *r)
{
	return json_pack("{s:s, s:i, s:i, s:i, s:s, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:o}", "dir",
			 r->dir, "case", r->kase, "repeat", r->repeat, "order", r->order, "status",
			 r->status, "error", r->error ? json_string(r->error) : json_null(),
			 "late_max_ms", rp_json_real(r->late_max_ms), "stalls", (json_int_t)r->stalls,
			 "host_late_max_ms", rp_json_real(r->host_late_ms), "guest_late_max_ms",
			 rp_json_real(r->guest_late_ms), "cpu_busy_pct", rp_json_real(r->cpu_busy),
			 "cpu_busiest_pct", rp_json_real(r->cpu_busiest), "host_cpu_busiest_pct",
			 rp_json_real(r->host_cpu_busiest));
}

/* The runs: the host's stalls over them (and the guest's, of a UML run), how
 * many completed, then each run. */
static void runs_json(json_t *o, const struct report *rp)
{
	json_t *runs = json_array();

	for (size_t i = 0; i < rp->n_runs; i++)
		json_array_append_new(runs, run_json(&rp->runs[i]));
	json_object_set_new(o, "host_stalls", stalls_json(&rp->stalls));
	if (rp->n_guest_runs)
		json_object_set_new(o, "guest_stalls", stalls_json(&rp->guest));
	json_object_set_new(o, "runs_total", json_integer((json_int_t)rp->n_runs));
	json_object_set_new(o, "runs_complete", json_integer((json_int_t)rp->n_usable));
	json_object_set_new(o, "runs", runs);
}

/* Every case: its parameters, runs and statistics. */
static json_t *cases_json(const struct report *rp)
{
	json_t *cases = json_array();

	for (size_t k = 0; k < rp->n_cases; k++)
		json_array_append_new(cases, case_json(rp, k));
	return cases;
}

/* Every expectation, how many held and whether all did. */
static void expectations_json(json_t *o, const struct report *rp)
{
	json_t *exps = json_array();
	size_t held = 0;

	for (size_t i = 0; i < rp->n_ex; i++) {
		json_array_append_new(exps, rp_expect_json(rp, &rp->ex[i]));
		held += rp->ex[i].held;
	}
	json_object_set_new(o, "expectations", exps);
	json_object_set_new(o, "expectations_total", json_integer((json_int_t)rp->n_ex));
	json_object_set_new(o, "expectations_held", json_integer((json_int_t)held));
	json_object_set_new(o, "all_held", json_boolean(held == rp->n_ex));
}

/* The rendered plots, and why there are none (or fewer) when so. */
static void plots_json(json_t *o, const struct report *rp)
{
	json_t *plots = json_array();

	for (size_t i = 0; i < rp->n_plots; i++)
		json_array_append_new(plots, json_string(rp->plots[i]));
	json_object_set_new(o, "plots", plots);
	json_object_set_new(o, "plots_note", rp->plot_note ? json_string(rp->plot_note) : json_null());
}

int rp_write_summary(struct report *rp)
{
	json_t *o = json_object();
	char *path = rp_path(rp, "summary.json");
	int rc;

	experiment_json(o, rp);
	json_object_set_new(o, "sweeps", sweeps_json(rp->c));
	runs_json(o, rp);
	json_object_set_new(o, "cases", cases_json(rp));
	expectations_json(o, rp);
	plots_json(o, rp);
	rc = tb_json_write(o, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	if (rc)
		tb_err("report: cannot write %s: %s", path, strerror(-rc));
	json_decref(o);
	free(path);
	return rc;
}
