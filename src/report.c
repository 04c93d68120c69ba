/* report_write(): load a run output directory, evaluate the expectations and
 * write summary.json, report.md and the plots; and `testbed report OUTDIR`,
 * which does the same again for an existing output directory. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report_int.h"
#include "util.h"

static const char *cmp_op(enum tb_cmp c)
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
			      cmp_op(re->e->cmp), rp_fmt(cb->rhs, re->rhs_unit, b, sizeof(b)), where,
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

static void report_usage(FILE *f)
{
	fprintf(f, "Usage: testbed report OUTDIR [--file EXPERIMENT.conf]\n\n"
		   "Regenerate summary.json, report.md and plots/ of the output directory of a\n"
		   "`testbed run`, re-evaluating the expectations. The experiment file is the one\n"
		   "named in OUTDIR/manifest.json unless --file is given. Needs no root.\n\n"
		   "Exit status: 0 every expectation held, 1 one did not (or the report could not\n"
		   "be written), 2 bad usage or a bad experiment file.\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = { { "file", required_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *file = NULL, *outdir;
	char *mpath = NULL, *from_manifest = NULL;
	struct tb_diag d = { 0 };
	struct tb_config *c = NULL;
	struct report_outcome o = { 0 };
	int ch, ret = TB_EXIT_USAGE;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'h':
			report_usage(stdout);
			return TB_EXIT_OK;
		default:
			report_usage(stderr);
			return TB_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		report_usage(stderr);
		return TB_EXIT_USAGE;
	}
	outdir = argv[optind];
	if (!file) {
		json_error_t je;
		json_t *m;

		mpath = xasprintf("%s/manifest.json", outdir);
		m = json_load_file(mpath, 0, &je);
		if (!m) {
			tb_err("report: %s: %s (give the experiment with --file)", mpath, je.text);
			goto out;
		}
		if (json_string_value(json_object_get(m, "file")))
			from_manifest = xstrdup(json_string_value(json_object_get(m, "file")));
		json_decref(m);
		if (!from_manifest) {
			tb_err("report: %s names no experiment \"file\" (give it with --file)", mpath);
			goto out;
		}
		file = from_manifest;
	}
	c = config_load(file, &d);
	diag_print(&d, stderr);
	if (!c || diag_errors(&d)) {
		tb_err("report: %s: cannot use this experiment file", file);
		goto out;
	}
	if (report_write(c, outdir, &o) < 0) {
		ret = TB_EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < o.n_failed; i++)
		tb_err("expectation not held: %s", o.failed[i]);
	report_stall_warn(&o);
	if (o.n_complete < o.n_runs)
		tb_warn("%zu of %zu runs did not complete; the statistics leave them out",
			o.n_runs - o.n_complete, o.n_runs);
	printf("%zu of %zu expectations held\n%s\n", o.n_held, o.n_expect, o.report_path);
	ret = o.all_held ? TB_EXIT_OK : TB_EXIT_FAIL;
out:
	report_outcome_free(&o);
	config_free(c);
	diag_free(&d);
	free(mpath);
	free(from_manifest);
	return ret;
}
