/* The processes of a run directory ([process NAME]): each run's
 * processes/NAME/status.json, the numbers of its standard output (the last
 * match of each metric.NAME, the output itself as JSON with output = json),
 * value(P, KEY) read from them, and report.md's Processes section. */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util/jsonfile.h"
#include "util/util.h"

#define STDOUT_MAX (16u << 20) /* what is read of a process's output */

/* The number in the capture group of the last match of @re in @text. */
static bool last_match(const char *re_text, const char *text, double *v)
{
	regmatch_t m[2];
	regex_t re;
	bool found = false;

	if (regcomp(&re, re_text, REG_EXTENDED | REG_NEWLINE))
		return false;
	for (const char *p = text; *p && regexec(&re, p, 2, m, p == text ? 0 : REG_NOTBOL) == 0;) {
		char num[64], *end;
		double d;

		if (m[1].rm_so >= 0) {
			snprintf(num, sizeof(num), "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
				 p + m[1].rm_so);
			d = strtod(num, &end);
			if (end != num) {
				*v = d;
				found = true;
			}
		}
		p += m[0].rm_eo > 0 ? m[0].rm_eo : 1;
	}
	regfree(&re);
	return found;
}

static json_t *read_json(const char *text)
{
	return json_loads(text, JSON_DECODE_ANY, NULL);
}

/* How each output kind (enum tb_poutput) becomes value()s; NULL: only its
 * metric.NAMEs. */
static json_t *(*const output_readers[TB_POUT_N])(const char *text) = {
	[TB_POUT_TEXT] = NULL,
	[TB_POUT_JSON] = read_json,
	[TB_POUT_H2LOAD] = rp_h2load_parse,
};

/* Process @p's numbers in run @dir: { "metric": {NAME: n}, "json": its
 * output read by its kind's reader }. */
static json_t *load_values(const struct report *rp, const char *dir, const struct tb_process *p)
{
	char *path = rp_path(rp, "%s/processes/%s/stdout", dir, p->name);
	char *text = tb_file_read(path, STDOUT_MAX, NULL);
	json_t *o = json_object(), *m = json_object();
	double v;

	for (size_t i = 0; text && i < p->n_metrics; i++)
		if (last_match(p->metrics[i].value, text, &v))
			json_object_set_new(m, p->metrics[i].name, json_real(v));
	json_object_set_new(o, "metric", m);
	if (text && output_readers[p->output])
		json_object_set_new(o, "json", output_readers[p->output](text));
	free(text);
	free(path);
	return o;
}

void rp_load_processes(const struct report *rp, struct rp_run *r)
{
	const struct tb_config *c = rp->c;

	r->proc = xcalloc(c->n_processes + 1, sizeof(*r->proc));
	r->proc_values = xcalloc(c->n_processes + 1, sizeof(*r->proc_values));
	for (size_t i = 0; i < c->n_processes; i++) {
		char *p = rp_path(rp, "%s/processes/%s/status.json", r->dir, c->processes[i].name);

		r->proc[i] = json_load_file(p, 0, NULL);
		free(p);
		r->proc_values[i] = load_values(rp, r->dir, &c->processes[i]);
	}
}

void rp_free_processes(const struct report *rp, struct rp_run *r)
{
	for (size_t i = 0; r->proc && i < rp->c->n_processes; i++) {
		json_decref(r->proc[i]);
		json_decref(r->proc_values[i]);
	}
	free(r->proc);
	free(r->proc_values);
}

/* The value at dotted @path of @o: object keys, array elements by index. */
static json_t *at_path(json_t *o, const char *path)
{
	char key[256];

	while (o && *path) {
		size_t n = strcspn(path, ".");
		char *end;
		unsigned long i;

		snprintf(key, sizeof(key), "%.*s", (int)(n < sizeof(key) ? n : sizeof(key) - 1), path);
		i = strtoul(key, &end, 10);
		o = json_is_array(o) && *key && !*end ? json_array_get(o, i)
						       : json_object_get(o, key);
		path += n + (path[n] == '.');
	}
	return o;
}

int rp_proc_value(const struct rp_run *r, int proc, const struct tb_process *p, const char *key,
		  double *v, char *why, size_t len)
{
	json_t *vals = r->proc_values ? r->proc_values[proc] : NULL, *x;
	const char *name = strncmp(key, "metric.", 7) ? key : key + 7;

	for (size_t i = 0; i < p->n_metrics; i++)
		if (!strcmp(p->metrics[i].name, name)) {
			x = json_object_get(json_object_get(vals, "metric"), name);
			if (json_is_number(x)) {
				*v = json_number_value(x);
				return 0;
			}
			snprintf(why, len, "%s/processes/%s/stdout: no match of metric.%s", r->dir,
				 p->name, name);
			return -ENOENT;
		}
	x = json_object_get(vals, "json");
	if (!x) {
		snprintf(why, len, "%s/processes/%s/stdout is not %s", r->dir, p->name,
			 p->output == TB_POUT_H2LOAD ? "h2load's summary" : "JSON");
		return -ENOENT;
	}
	x = at_path(x, key);
	if (!json_is_number(x)) {
		snprintf(why, len, "%s/processes/%s/stdout: no number at %s", r->dir, p->name, key);
		return -ENOENT;
	}
	*v = json_number_value(x);
	return 0;
}

/* --- report.md ------------------------------------------------------------- */

/* How process @proc ended in the runs of case @k: each way ("exit 0",
 * "timed out", ...) once in @seen, how many runs in @count; how many ways. */
static size_t count_states(const struct report *rp, size_t k, size_t proc, char seen[8][48],
			   int count[8])
{
	const struct rp_case *cs = &rp->cases[k];
	size_t n = 0;

	for (size_t i = 0; i < cs->n_runs; i++) {
		json_t *st = rp->runs[cs->runs[i]].proc ? rp->runs[cs->runs[i]].proc[proc] : NULL;
		const char *s = json_string_value(json_object_get(st, "state"));
		char text[48];
		size_t j;

		if (json_is_integer(json_object_get(st, "exit")) && s && !strcmp(s, "exited"))
			snprintf(text, sizeof(text), "exit %lld",
				 (long long)json_integer_value(json_object_get(st, "exit")));
		else
			snprintf(text, sizeof(text), "%s", s ? s : "no record");
		for (j = 0; j < n && strcmp(seen[j], text); j++)
			;
		if (j == n && n < 8)
			snprintf(seen[n++], sizeof(seen[0]), "%s", text);
		if (j < 8)
			count[j]++;
	}
	return n;
}

/* "exit 0 ×5, timed out ×1" */
static void states_cell(FILE *f, const struct report *rp, size_t k, size_t proc)
{
	char seen[8][48];
	int count[8] = { 0 };
	size_t n = count_states(rp, k, proc, seen, count);

	for (size_t j = 0; j < n; j++)
		fprintf(f, "%s%s ×%d", j ? ", " : "", seen[j], count[j]);
	if (!n)
		fputs("—", f);
}

struct keys {
	const char *v[16];
	size_t n;
};

/* The value() keys of process @proc in @e, each once (metric.X is X). */
static void expr_keys(const struct tb_expr *e, int proc, struct keys *k)
{
	if (!e)
		return;
	if (e->kind == TB_EX_METRIC && e->node == proc && e->key) {
		const char *key = strncmp(e->key, "metric.", 7) ? e->key : e->key + 7;
		bool dup = false;

		for (size_t j = 0; j < k->n; j++)
			dup |= !strcmp(k->v[j], key);
		if (!dup && k->n < 16)
			k->v[k->n++] = key;
	}
	expr_keys(e->lhs, proc, k);
	expr_keys(e->rhs, proc, k);
	for (size_t i = 0; i < e->n_args; i++)
		expr_keys(e->args[i], proc, k);
}

/* Process @proc's metric.NAMEs, then the value() keys expectations read. */
static void value_keys(const struct tb_config *c, size_t proc, struct keys *k)
{
	const struct tb_process *p = &c->processes[proc];

	k->n = 0;
	for (size_t i = 0; i < p->n_metrics && k->n < 16; i++)
		k->v[k->n++] = p->metrics[i].name;
	for (size_t i = 0; i < c->n_expects; i++) {
		expr_keys(c->expects[i].lhs, (int)proc, k);
		expr_keys(c->expects[i].rhs, (int)proc, k);
	}
}

/* "name = 3; other = —": the medians of the values process @proc's
 * metric.NAMEs and the expectations read, in case @k. */
static void values_cell(FILE *f, const struct report *rp, size_t k, size_t proc)
{
	struct keys k_;
	char why[RP_WHY];
	struct stats st;

	value_keys(rp->c, proc, &k_);
	for (size_t i = 0; i < k_.n; i++) {
		rp_case_metric(rp, k, "value", -1, (int)proc, k_.v[i], &st, why, sizeof(why));
		fprintf(f, "%s%s = ", i ? "; " : "", k_.v[i]);
		if (st.n) {
			char m[48];

			fputs(rp_fmt(st.median, TB_UNIT_COUNT, m, sizeof(m)), f);
		} else {
			fputs("—", f);
		}
	}
	if (!k_.n)
		fputs("—", f);
}

/* A cell written by @fn. */
static void fn_cell(struct rp_tab *t, const struct report *rp, size_t k, size_t proc,
		    void (*fn)(FILE *, const struct report *, size_t, size_t))
{
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		abort();
	fn(m, rp, k, proc);
	fclose(m);
	rp_tab_cell(t, "%s", s);
	free(s);
}

static void proc_row(struct rp_tab *t, const struct report *rp, size_t k, size_t proc)
{
	const struct rp_case *cs = &rp->cases[k];
	char why[RP_WHY];
	struct stats st;

	rp_tab_case_cells(t, rp, k);
	rp_tab_cell(t, "%s", rp->c->processes[proc].name);
	rp_tab_cell(t, "%zu/%zu", cs->n_usable, cs->n_runs);
	fn_cell(t, rp, k, proc, states_cell);
	rp_case_metric(rp, k, "runtime", -1, (int)proc, NULL, &st, why, sizeof(why));
	rp_tab_stats(t, &st, TB_UNIT_TIME);
	fn_cell(t, rp, k, proc, values_cell);
}

/* summary.json's processes of case @k: how they ended, and the statistics
 * of exit(), runtime() and each value(). */
json_t *rp_proc_json(const struct report *rp, size_t k)
{
	const struct tb_config *c = rp->c;
	json_t *o = json_object();

	for (size_t p = 0; p < c->n_processes; p++) {
		json_t *po = json_object(), *ended = json_object(), *vals = json_object();
		char seen[8][48], why[RP_WHY];
		int count[8] = { 0 };
		size_t n = count_states(rp, k, p, seen, count);
		struct stats st;
		struct keys ks;

		for (size_t j = 0; j < n; j++)
			json_object_set_new(ended, seen[j], json_integer(count[j]));
		json_object_set_new(po, "node", json_string(c->nodes[c->processes[p].node].name));
		json_object_set_new(po, "ended", ended);
		for (const char *const *m = (const char *const[]){ "exit", "runtime", NULL }; *m; m++) {
			rp_case_metric(rp, k, *m, -1, (int)p, NULL, &st, why, sizeof(why));
			json_object_set_new(po, *m, st.n ? rp_stats_json(&st) : json_null());
		}
		value_keys(c, p, &ks);
		for (size_t i = 0; i < ks.n; i++) {
			rp_case_metric(rp, k, "value", -1, (int)p, ks.v[i], &st, why, sizeof(why));
			json_object_set_new(vals, ks.v[i], st.n ? rp_stats_json(&st) : json_null());
		}
		json_object_set_new(po, "values", vals);
		json_object_set_new(o, c->processes[p].name, po);
	}
	return o;
}

void rp_proc_tab(const struct report *rp, struct rp_tab *t)
{
	const struct tb_config *c = rp->c;
	static const char *const cols[] = { "process", "runs", "ended", "runtime", "values" };

	if (!c->n_processes)
		return;
	rp_tab_title(t, 2, "Processes");
	rp_tab_para(t, false, "Each process's end in every run of the case (×: how many runs), its "
			      "run time (median over the complete runs, range when they differ) and "
			      "the numbers read from its output (medians). Its output, status and "
			      "peak memory are in `runs/c<CASE>-r<REPEAT>/processes/NAME/`.");
	rp_tab_col(t, false, "#");
	rp_tab_sweep_cols(t, c);
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++)
		rp_tab_col(t, !strcmp(cols[i], "runtime"), "%s", cols[i]);
	for (size_t k = 0; k < rp->n_cases; k++)
		for (size_t p = 0; p < c->n_processes; p++)
			proc_row(t, rp, k, p);
}
