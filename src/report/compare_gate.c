/* testbed compare --fail-if: each expression is an expectation evaluated on
 * NEW by report_eval.c (medians, selectors, iteration over the swept values
 * no metric selects), its base(METRIC) terms read from BASE. It fires when
 * it holds at some combination; it is undecided when a number is missing
 * (a gate does not pass on data it could not read). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "report_int.h"
#include "util/util.h"

/* "19.1 Mbit/s < 77.0 Mbit/s at cc=bbr" for combination @cb of @re. */
static char *combo_line(const struct rp_expect *re, const struct rp_combo *cb)
{
	char a[48], b[48];

	return xasprintf("%s %s %s%s%s", rp_fmt(cb->lhs, re->lhs_unit, a, sizeof(a)),
			 rp_cmp_op(re->e->cmp), rp_fmt(cb->rhs, re->rhs_unit, b, sizeof(b)),
			 *cb->where ? " at " : "", cb->where);
}

/* "; "-joined lines of the combinations of @re that held (@held), or of
 * those that did not and have a reason (@why) or not. */
static char *combo_lines(const struct rp_expect *re, bool held, bool why)
{
	char *msg = xstrdup(""), *t, *line;

	for (size_t j = 0; j < re->n_combos; j++) {
		const struct rp_combo *cb = &re->combos[j];

		if (cb->held != held || (!held && (cb->reason != NULL) != why))
			continue;
		line = cb->reason ? xstrdup(cb->reason) : combo_line(re, cb);
		t = xasprintf("%s%s%s", msg, *msg ? "; " : "", line);
		free(msg);
		free(line);
		msg = t;
	}
	return msg;
}

/* What people read: where it holds, what could not be decided, or the
 * numbers that show it does not hold. */
static char *gate_message(const struct rp_expect *re, bool fired, bool undecided)
{
	char *a, *b, *msg;

	if (re->why_not)
		return xasprintf("cannot be decided: %s", re->why_not);
	a = combo_lines(re, fired, false);
	b = combo_lines(re, false, true);
	if (fired && undecided)
		msg = xasprintf("holds: %s; cannot be decided: %s", a, b);
	else if (fired)
		msg = xasprintf("holds: %s", a);
	else if (undecided)
		msg = xasprintf("cannot be decided: %s", b);
	else
		msg = xasprintf("does not hold: %s", a);
	free(a);
	free(b);
	return msg;
}

/* The verdict of @re as JSON. */
static json_t *gate_json(const struct report *rp, const struct rp_expect *re)
{
	bool fired = false, undecided = re->why_not != NULL;
	char *msg;
	json_t *o;

	for (size_t j = 0; j < re->n_combos; j++) {
		fired |= re->combos[j].held;
		undecided |= !re->combos[j].held && re->combos[j].reason;
	}
	msg = gate_message(re, fired, undecided);
	o = json_pack("{s:s, s:b, s:b, s:s, s:o}", "expression", re->e->text, "fired", fired,
		      "undecided", undecided && !fired, "message", msg, "expectation",
		      rp_expect_json(rp, re));
	free(msg);
	return o;
}

/* Both runs loaded; @rn reads base() from @rb. */
static int load_pair(struct report *rb, struct report *rn)
{
	int rc = rp_load(rb);

	if (!rc)
		rc = rp_load(rn);
	rn->base = rb;
	return rc;
}

int compare_gate(json_t *cmp, const struct compare_input *b, const struct tb_config *bc,
		 const struct compare_input *n, const struct tb_config *nc,
		 const struct tb_expect *ex, size_t n_ex)
{
	struct report rb = { .c = bc }, rn = { .c = nc };
	json_t *out = json_array();
	size_t fired = 0;
	int rc;

	if (!b->dir || !n->dir) {
		tb_err("compare: --fail-if reads the runs: give run directories, not a summary.json "
		       "without its manifest.json");
		json_decref(out);
		return -EINVAL;
	}
	rb.outdir = xstrdup(b->dir);
	rn.outdir = xstrdup(n->dir);
	rc = load_pair(&rb, &rn);
	if (!rc) {
		rn.n_ex = n_ex;
		rn.ex = xcalloc(n_ex + 1, sizeof(*rn.ex));
		for (size_t i = 0; i < n_ex; i++) {
			json_t *g;

			rp_eval_expect(&rn, &ex[i], &rn.ex[i]);
			g = gate_json(&rn, &rn.ex[i]);
			fired += json_is_true(json_object_get(g, "fired")) ||
				 json_is_true(json_object_get(g, "undecided"));
			json_array_append_new(out, g);
		}
	}
	json_object_set_new(cmp, "fail_if", out);
	json_object_set_new(cmp, "fail_if_failed", json_integer((json_int_t)fired));
	rp_free(&rn);
	rp_free(&rb);
	return rc;
}
