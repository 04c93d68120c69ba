/* report_write(): load a run output directory, evaluate the expectations and
 * write summary.json, report.md, report.html and the plots. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_int.h"
#include "util/util.h"

const char *rp_cmp_op(enum tb_cmp c)
{
	static const char *const ops[] = { [TB_CMP_LT] = "<",  [TB_CMP_LE] = "<=", [TB_CMP_GT] = ">",
					   [TB_CMP_GE] = ">=", [TB_CMP_EQ] = "==", [TB_CMP_NE] = "!=" };

	return (unsigned)c < ARRAY_SIZE(ops) ? ops[c] : "?";
}

/* "NAME: goodput(bulk) > 5 * goodput(bulk, cc=cubic): 40.1 Mbit/s > 17.5 Mbit/s is false
 * at loss=1% (1 of 3 combinations missed)" */
static char *failed_line(const struct rp_expect *re)
{
	const struct rp_combo *cb = NULL;
	size_t n_bad = 0;
	const char *text = re->e->text ? re->e->text : "";
	char *s;
	char a[48], b[48], *where, *count;

	if (re->why_not)
		return xasprintf("%s: %s: not held, %s", re->e->name, text, re->why_not);
	for (size_t j = 0; j < re->n_combos; j++)
		if (!re->combos[j].held) {
			if (!cb)
				cb = &re->combos[j];
			n_bad++;
		}
	if (!cb)
		return xasprintf("%s: held", re->e->name);
	where = *cb->where ? xasprintf(" at %s", cb->where) : xstrdup("");
	count = re->n_combos > 1 ? xasprintf(" (%zu of %zu combinations missed)", n_bad, re->n_combos) :
				   xstrdup("");
	if (cb->nodata)
		s = xasprintf("%s: %s: not held%s, %s", re->e->name, text, where, cb->reason);
	else
		s = xasprintf("%s: %s: %s %s %s is false%s%s%s%s", re->e->name, text,
			      rp_fmt(cb->lhs, re->lhs_unit, a, sizeof(a)),
			      rp_cmp_op(re->e->cmp), rp_fmt(cb->rhs, re->rhs_unit, b, sizeof(b)), where,
			      cb->reason ? " (" : "", cb->reason ? cb->reason : "", cb->reason ? ")" : "");
	if (*count) {
		char *t = xasprintf("%s%s", s, count);

		free(s);
		s = t;
	}
	free(where);
	free(count);
	return s;
}

int report_write(const struct tb_config *c, const char *outdir, struct report_outcome *out)
{
	struct report rp = { .c = c, .outdir = xstrdup(outdir) };
	int rc, rc2;

	if (out)
		memset(out, 0, sizeof(*out));
	rc = rp_load(&rp);
	if (rc)
		goto done;
	rp_evaluate(&rp);
	rp_plots(&rp);
	rc = rp_write_summary(&rp);
	rc2 = rp_write_markdown(&rp);
	if (!rc)
		rc = rc2;
	rc2 = rp_write_html(&rp);
	if (!rc)
		rc = rc2;
	if (out) {
		out->n_expect = rp.n_ex;
		out->n_runs = rp.n_runs;
		out->n_complete = rp.n_usable;
		out->plots = rp.gnuplot;
		out->n_stalled = rp.stalls.n_stalled;
		out->stall_worst_ms = rp.stalls.worst_ms;
		out->n_guest_stalled = rp.guest.n_stalled;
		out->guest_worst_ms = rp.guest.worst_ms;
		out->guest_cpu_busiest = rp.guest.cpu_busiest;
		out->guest_host_cpu_busiest = rp.guest.host_cpu_busiest;
		out->report_path = rp_path(&rp, "report.md");
		out->failed = xcalloc(rp.n_ex + 1, sizeof(char *));
		for (size_t i = 0; i < rp.n_ex; i++) {
			if (rp.ex[i].held)
				out->n_held++;
			else
				out->failed[out->n_failed++] = failed_line(&rp.ex[i]);
		}
		out->all_held = out->n_failed == 0;
	}
done:
	rp_free(&rp);
	return rc;
}

void report_stall_warn(const struct report_outcome *o)
{
	if (o->n_stalled)
		tb_warn("the host stalled for up to %.0f ms in %zu of %zu runs (its clock check woke "
			"that late): latency or loss of that size may be the host's; see \"Host "
			"stalls\" in report.md",
			o->stall_worst_ms, o->n_stalled, o->n_runs);
	if (o->n_guest_stalled)
		tb_warn("the UML guest fell behind by up to %.0f ms in %zu of %zu runs while the host "
			"ran on time (busiest second: %.0f%% busy by its own count, %.0f%% of the "
			"host CPU running it): the guest, not the emulated network, limited those "
			"runs; see \"Guest stalls\" in report.md",
			o->guest_worst_ms, o->n_guest_stalled, o->n_runs, o->guest_cpu_busiest,
			o->guest_host_cpu_busiest);
}

void report_outcome_free(struct report_outcome *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n_failed; i++)
		free(o->failed[i]);
	free(o->failed);
	free(o->report_path);
	memset(o, 0, sizeof(*o));
}
