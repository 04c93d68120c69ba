/* Expectations: each metric is the median over the complete repeats of the
 * case its selectors pick. A swept dimension that some metric of the
 * expectation leaves unselected is iterated (for those metrics), and the
 * expectation must hold at every combination; a missing number makes the
 * combination "not held (no data)" with the reason. A metric written
 * base(METRIC) (testbed compare --fail-if) is read from rp->base, in its
 * case with the same sweep values and its flow, node or process of the same
 * name. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util/util.h"

struct mlist {
	const struct tb_expr **m;
	size_t n, cap;
};

static void collect(const struct tb_expr *e, struct mlist *l)
{
	if (!e)
		return;
	if (e->kind == TB_EX_METRIC) {
		l->m = tb_grow(l->m, &l->cap, l->n, sizeof(*l->m));
		l->m[l->n++] = e;
		return;
	}
	collect(e->lhs, l);
	collect(e->rhs, l);
	for (size_t i = 0; i < e->n_args; i++)
		collect(e->args[i], l);
}

static int prec(const struct tb_expr *e)
{
	if (e->kind != TB_EX_BINOP)
		return 3;
	return e->op == '+' || e->op == '-' ? 1 : 2;
}

/* jain(a, b, case=x) as written: its arguments are goodput() of each flow,
 * with the call's selectors. */
static void jain_text(const struct tb_config *c, const struct tb_expr *e, FILE *f)
{
	fputs("jain(", f);
	for (size_t i = 0; i < e->n_args; i++)
		fprintf(f, "%s%s", i ? ", " : "", e->args[i]->subject);
	for (size_t i = 0; e->n_args && i < e->args[0]->n_sel; i++) {
		const struct tb_sweep *s = &c->sweeps[e->args[0]->sel[i].sweep];

		fprintf(f, ", %s=%s", s->short_name ? s->short_name : s->key,
			s->values[e->args[0]->sel[i].value]);
	}
	fputc(')', f);
}

static void text(const struct tb_config *c, const struct tb_expr *e, FILE *f);

/* fn(arg, ...) */
static void call_text(const struct tb_config *c, const struct tb_expr *e, FILE *f)
{
	if (!strcmp(e->name, "jain")) {
		jain_text(c, e, f);
		return;
	}
	fprintf(f, "%s(", e->name);
	for (size_t i = 0; i < e->n_args; i++) {
		if (i)
			fputs(", ", f);
		text(c, e->args[i], f);
	}
	fputc(')', f);
}

static void text(const struct tb_config *c, const struct tb_expr *e, FILE *f)
{
	if (!e)
		return;
	switch (e->kind) {
	case TB_EX_NUM:
		fprintf(f, "%.6g", e->num);
		break;
	case TB_EX_METRIC:
		fprintf(f, "%s%s(%s%s%s", e->base ? "base(" : "", e->name, e->subject ? e->subject : "",
			e->key ? ", " : "", e->key ? e->key : "");
		for (size_t i = 0; i < e->n_sel; i++) {
			const struct tb_sweep *s = &c->sweeps[e->sel[i].sweep];

			fprintf(f, ", %s=%s", s->short_name ? s->short_name : s->key,
				s->values[e->sel[i].value]);
		}
		fputs(e->base ? "))" : ")", f);
		break;
	case TB_EX_CALL:
		call_text(c, e, f);
		break;
	case TB_EX_BINOP: {
		bool pl = prec(e->lhs) < prec(e), pr = prec(e->rhs) < prec(e) ||
						   (prec(e->rhs) == prec(e) && (e->op == '-' || e->op == '/'));

		fputs(pl ? "(" : "", f);
		text(c, e->lhs, f);
		fprintf(f, "%s %c ", pl ? ")" : "", e->op);
		fputs(pr ? "(" : "", f);
		text(c, e->rhs, f);
		fputs(pr ? ")" : "", f);
		break;
	}
	case TB_EX_NEG:
		fputc('-', f);
		if (prec(e->lhs) < 3)
			fputc('(', f);
		text(c, e->lhs, f);
		if (prec(e->lhs) < 3)
			fputc(')', f);
		break;
	}
}

char *rp_expr_text(const struct tb_config *c, const struct tb_expr *e)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	text(c, e, f);
	fclose(f);
	return s;
}

static bool has_measure(const struct tb_expr *e)
{
	if (!e)
		return false;
	if (e->kind == TB_EX_METRIC || (e->kind == TB_EX_CALL && !strcmp(e->name, "mathis")))
		return true;
	if (has_measure(e->lhs) || has_measure(e->rhs))
		return true;
	for (size_t i = 0; i < e->n_args; i++)
		if (has_measure(e->args[i]))
			return true;
	return false;
}

struct ectx {
	const struct mlist *ml;
	const struct rp_combo *cb;
};

static double eval(const struct ectx *x, const struct tb_expr *e);

/* Jain's fairness index (sum x)^2 / (n sum x^2) of the arguments; NaN when
 * one is missing or every one is 0. */
static double jain(const struct ectx *x, const struct tb_expr *e)
{
	double sum = 0, sq = 0;

	for (size_t i = 0; i < e->n_args; i++) {
		double v = eval(x, e->args[i]);

		sum += v;
		sq += v * v;
	}
	return e->n_args && sq > 0 ? sum * sum / ((double)e->n_args * sq) : NAN;
}

static double eval(const struct ectx *x, const struct tb_expr *e)
{
	switch (e->kind) {
	case TB_EX_NUM:
		return e->num;
	case TB_EX_METRIC:
		for (size_t i = 0; i < x->ml->n; i++)
			if (x->ml->m[i] == e)
				return x->cb->terms[i].st.median;
		return NAN;
	case TB_EX_NEG:
		return -eval(x, e->lhs);
	case TB_EX_BINOP: {
		double a = eval(x, e->lhs), b = eval(x, e->rhs);

		switch (e->op) {
		case '+':
			return a + b;
		case '-':
			return a - b;
		case '*':
			return a * b;
		case '/':
			return b == 0 ? NAN : a / b;
		}
		return NAN;
	}
	case TB_EX_CALL: {
		double a = e->n_args > 0 ? eval(x, e->args[0]) : NAN;
		double b = e->n_args > 1 ? eval(x, e->args[1]) : NAN;
		double p = e->n_args > 2 ? eval(x, e->args[2]) : NAN;

		if (!strcmp(e->name, "jain"))
			return jain(x, e);
		if (!strcmp(e->name, "mathis"))
			return b > 0 && p > 0 ? a * 8 / b * 1.22 / sqrt(p / 100) : NAN;
		if (!strcmp(e->name, "min"))
			return fmin(a, b);
		if (!strcmp(e->name, "max"))
			return fmax(a, b);
		if (!strcmp(e->name, "abs"))
			return fabs(a);
		return NAN;
	}
	}
	return NAN;
}

static bool compare(double a, enum tb_cmp cmp, double b)
{
	switch (cmp) {
	case TB_CMP_LT:
		return a < b;
	case TB_CMP_LE:
		return a <= b;
	case TB_CMP_GT:
		return a > b;
	case TB_CMP_GE:
		return a >= b;
	case TB_CMP_EQ:
		return a == b;
	case TB_CMP_NE:
		return a != b;
	}
	return false;
}

/* Whether @m is a cfg(): the case's configuration, not a measurement. */
static bool is_cfg(const struct tb_expr *m)
{
	const struct tb_metric *md = metric_find(m->name, -1);

	return md && md->subject == TB_MS_CONFIG;
}

/* Whether @m is a cfg() of a key every case sets alike (cfg(experiment.duration)):
 * it reads the same whatever the sweeps, so it iterates none of them. */
static bool cfg_constant(const struct report *rp, const struct tb_expr *m)
{
	char why[RP_WHY];
	enum tb_unit u;
	double v, v0 = 0;

	if (!is_cfg(m))
		return false;
	for (size_t k = 0; k < rp->n_cases; k++) {
		if (config_get(rp_case_cfg(rp, k), m->subject, &v, &u, why, sizeof(why)) ||
		    (k && v != v0))
			return false;
		v0 = v;
	}
	return true;
}

/* "goodput(bulk, cc=bbr, loss=1%)": @m in case @k, with every sweep's value
 * unless @plain (a cfg() that no case changes). */
static char *term_text(const struct report *rp, const struct tb_expr *m, size_t k, bool plain)
{
	const struct tb_config *c = rp->c;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	fprintf(f, "%s%s(%s%s%s", m->base ? "base(" : "", m->name, m->subject ? m->subject : "",
		m->key ? ", " : "", m->key ? m->key : "");
	for (size_t i = 0; i < c->n_sweeps && !plain; i++)
		fprintf(f, ", %s=%s", c->sweeps[i].short_name ? c->sweeps[i].short_name : c->sweeps[i].key,
			c->sweeps[i].values[rp->cases[k].idx[i]]);
	fputs(m->base ? "))" : ")", f);
	fclose(f);
	return s;
}

/* What a metric reads of its subject: the name after "NODE." of a
 * counter()/peak(), value()'s KEY, cfg()'s whole key path. */
static const char *node_what(const struct tb_expr *m)
{
	const char *dot = m->subject ? strchr(m->subject, '.') : NULL;

	if (m->key)
		return m->key; /* value(P, KEY) */
	if (is_cfg(m))
		return m->subject;
	return dot ? dot + 1 : NULL;
}

/* The combination's "cc=bbr, loss=1%" as text (cb->where) and as JSON. */
static void combo_where(const struct tb_config *c, const int *combo, const bool *iter,
			struct rp_combo *cb)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	cb->where_obj = json_object();
	for (size_t i = 0; i < c->n_sweeps; i++) {
		if (!iter[i])
			continue;
		const char *name = c->sweeps[i].short_name ? c->sweeps[i].short_name : c->sweeps[i].key;

		fprintf(f, "%s%s=%s", ftell(f) ? ", " : "", name, c->sweeps[i].values[combo[i]]);
		json_object_set_new(cb->where_obj, name, json_string(c->sweeps[i].values[combo[i]]));
	}
	fclose(f);
	cb->where = s;
}

/* The case of rp->base with case @k's sweep values; -1 when it has none. */
static long base_case(const struct report *rp, size_t k)
{
	const struct tb_config *c = rp->c, *bc = rp->base->c;

	if (bc->n_sweeps != c->n_sweeps)
		return -1;
	for (size_t b = 0; b < rp->base->n_cases; b++) {
		bool same = true;

		for (size_t s = 0; s < bc->n_sweeps && same; s++) {
			const char *v = bc->sweeps[s].values[rp->base->cases[b].idx[s]];
			size_t i = 0;

			while (i < c->n_sweeps && strcmp(c->sweeps[i].key, bc->sweeps[s].key))
				i++;
			same = i < c->n_sweeps && !strcmp(c->sweeps[i].values[rp->cases[k].idx[i]], v);
		}
		if (same)
			return (long)b;
	}
	return -1;
}

/* base(@m) in case @k: the statistics of rp->base's case, flow, node or
 * process of the same name. */
static void base_metric(const struct report *rp, const struct tb_expr *m, size_t k,
			struct rp_term *tm)
{
	const struct report *b = rp->base;
	const struct tb_metric *md = metric_find(m->name, -1);
	int flow = -1, node = -1;
	const char *name = NULL;
	long bk = b ? base_case(rp, k) : -1;

	memset(&tm->st, 0, sizeof(tm->st));
	if (bk < 0) {
		snprintf(tm->why, sizeof(tm->why), "%s", b ? "the base run has no such case" :
								"no base run to read");
		return;
	}
	if (is_cfg(m)) {
		rp_case_metric(b, (size_t)bk, m->name, -1, -1, m->subject, &tm->st, tm->why,
			       sizeof(tm->why));
		return;
	}
	if (m->flow >= 0)
		flow = config_flow(b->c, name = rp->c->flows[m->flow].name);
	else if (md && md->subject == TB_MS_PROCESS)
		node = config_process(b->c, name = rp->c->processes[m->node].name);
	else if (m->node >= 0)
		node = config_node(b->c, name = rp->c->nodes[m->node].name);
	if (flow < 0 && node < 0) {
		snprintf(tm->why, sizeof(tm->why), "the base run has no %s", name ? name : "subject");
		return;
	}
	rp_case_metric(b, (size_t)bk, m->name, flow, node, node_what(m), &tm->st, tm->why,
		       sizeof(tm->why));
}

void rp_term_value(FILE *f, const struct rp_term *tm)
{
	char a[48], b[48];

	if (!tm->st.n) {
		fprintf(f, "no data: %s", tm->why);
		return;
	}
	fputs(rp_fmt(tm->st.median, tm->unit, a, sizeof(a)), f);
	if (tm->configured) {
		fputs(" (configured)", f);
		return;
	}
	fprintf(f, " (median of %zu", tm->st.n);
	if (tm->st.n > 1)
		fprintf(f, ", %s – %s", rp_fmt(tm->st.min, tm->unit, a, sizeof(a)),
			rp_fmt(tm->st.max, tm->unit, b, sizeof(b)));
	fputc(')', f);
}

bool rp_term_repeated(const struct rp_combo *cb, size_t t)
{
	for (size_t i = 0; i < t; i++)
		if (!strcmp(cb->terms[i].text, cb->terms[t].text))
			return true;
	return false;
}

/* Each measure's values in the case @combo and its selectors name (cb->terms). */
static void combo_terms(struct report *rp, const struct mlist *ml, const int *combo,
			struct rp_combo *cb)
{
	const struct tb_config *c = rp->c;
	int *idx = xcalloc(c->n_sweeps + 1, sizeof(int));

	cb->terms = xcalloc(ml->n + 1, sizeof(*cb->terms));
	cb->n_terms = ml->n;
	for (size_t t = 0; t < ml->n; t++) {
		const struct tb_expr *m = ml->m[t];
		struct rp_term *tm = &cb->terms[t];

		for (size_t i = 0; i < c->n_sweeps; i++)
			idx[i] = combo[i];
		for (size_t i = 0; i < m->n_sel; i++)
			idx[m->sel[i].sweep] = m->sel[i].value;
		tm->kase = rp_case_index(c, idx);
		tm->text = term_text(rp, m, tm->kase, cfg_constant(rp, m));
		tm->unit = m->unit;
		tm->configured = is_cfg(m);
		if (m->base)
			base_metric(rp, m, tm->kase, tm);
		else
			rp_case_metric(rp, tm->kase, m->name, m->flow, m->node, node_what(m), &tm->st,
				       tm->why, sizeof(tm->why));
		if (!tm->st.n && !cb->nodata) {
			cb->nodata = true;
			cb->reason = xasprintf("no data for %s: %s", tm->text, tm->why);
		}
	}
	free(idx);
}

static void eval_combo(struct report *rp, const struct tb_expect *e, const struct mlist *ml,
		       const int *combo, const bool *iter, struct rp_combo *cb)
{
	struct ectx x = { ml, cb };

	combo_where(rp->c, combo, iter, cb);
	combo_terms(rp, ml, combo, cb);
	cb->lhs = eval(&x, e->lhs);
	cb->rhs = eval(&x, e->rhs);
	if (cb->nodata)
		cb->held = false;
	else if (isnan(cb->lhs) || isnan(cb->rhs)) {
		cb->held = false;
		cb->reason = xstrdup("a side is undefined (division by zero, mathis() of 0, or jain() "
				     "of flows that all moved nothing)");
	} else {
		cb->held = compare(cb->lhs, e->cmp, cb->rhs);
	}
}

/* An expectation is not held over no case at all (sweeps that make none),
 * nor over an experiment that did not complete (interrupted: its numbers
 * are those of the runs that happened to finish). */
static void overrule(const struct report *rp, struct rp_expect *re)
{
	json_t *m = rp->manifest, *done = json_object_get(m, "complete");
	const char *why = json_string_value(json_object_get(m, "interrupted"));

	if (!why && json_is_true(json_object_get(json_object_get(m, "merged"), "partial")))
		why = "a partial merge: runs in no shard";
	if (!re->n_combos)
		re->why_not = xstrdup("no case to evaluate it at");
	else if (json_is_false(done))
		re->why_not = xasprintf("the experiment did not complete (%s; %zu of %zu runs "
					"complete)",
					why ? why : "stopped early", rp->n_usable, rp->n_runs);
	if (re->why_not)
		re->held = false;
}

/* The units @e's two sides read in: a side of no unit (a constant, or a
 * product such as limit x frame / rate) in the other side's, which it is
 * compared with. */
static void side_units(struct rp_expect *re, const struct tb_expect *e)
{
	re->lhs_unit = config_expr_unit(e->lhs);
	re->rhs_unit = config_expr_unit(e->rhs);
	if (re->rhs_unit == TB_UNIT_COUNT || !has_measure(e->rhs))
		re->rhs_unit = re->lhs_unit;
	if (re->lhs_unit == TB_UNIT_COUNT || !has_measure(e->lhs))
		re->lhs_unit = re->rhs_unit;
}

/* @iter: the sweeps some measure of @ml leaves unselected (a constant cfg()
 * aside); returns their combinations. */
static size_t iterated_sweeps(const struct report *rp, const struct mlist *ml, bool *iter)
{
	const struct tb_config *c = rp->c;
	size_t n = 1;

	for (size_t s = 0; s < c->n_sweeps; s++) {
		for (size_t t = 0; t < ml->n && !iter[s]; t++) {
			bool sel = false;

			if (cfg_constant(rp, ml->m[t]))
				continue;
			for (size_t k = 0; k < ml->m[t]->n_sel; k++)
				sel |= ml->m[t]->sel[k].sweep == (int)s;
			iter[s] = !sel;
		}
		if (iter[s])
			n *= c->sweeps[s].n_values;
	}
	return n;
}

/* @re judged at each of its n_combos combinations; held when it holds at every one. */
static void eval_combos(struct report *rp, struct rp_expect *re, const struct mlist *ml,
			int *combo, const bool *iter)
{
	const struct tb_config *c = rp->c;
	size_t n = re->n_combos;

	re->combos = xcalloc(n, sizeof(*re->combos));
	re->held = true;
	for (size_t j = 0; j < n; j++) {
		size_t r = j;

		/* mixed radix over the iterated sweeps, first sweep slowest */
		for (size_t s = c->n_sweeps; s-- > 0;) {
			if (!iter[s])
				continue;
			combo[s] = (int)(r % c->sweeps[s].n_values);
			r /= c->sweeps[s].n_values;
		}
		eval_combo(rp, re->e, ml, combo, iter, &re->combos[j]);
		re->held &= re->combos[j].held;
	}
}

void rp_eval_expect(struct report *rp, const struct tb_expect *e, struct rp_expect *re)
{
	const struct tb_config *c = rp->c;
	struct mlist ml = { 0 };
	bool *iter = xcalloc(c->n_sweeps + 1, sizeof(bool));
	int *combo = xcalloc(c->n_sweeps + 1, sizeof(int));

	re->e = e;
	side_units(re, e);
	collect(e->lhs, &ml);
	collect(e->rhs, &ml);
	re->n_combos = iterated_sweeps(rp, &ml, iter);
	eval_combos(rp, re, &ml, combo, iter);
	overrule(rp, re);
	free(ml.m);
	free(iter);
	free(combo);
}

void rp_evaluate(struct report *rp)
{
	rp->n_ex = rp->c->n_expects;
	rp->ex = xcalloc(rp->n_ex + 1, sizeof(*rp->ex));
	for (size_t i = 0; i < rp->c->n_expects; i++)
		rp_eval_expect(rp, &rp->c->expects[i], &rp->ex[i]);
}
