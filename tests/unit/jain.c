/* Unit tests of jain(FLOW, FLOW, ...): Jain's fairness index of the flows'
 * goodput. Parsing (the selectors apply to every flow; unknown flows, a
 * flow without goodput, one flow, a flow named twice are errors at their
 * column) and the verdicts over a fixture run directory with known numbers
 * (two cases: equal shares, and 3:1). No root. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "report/report.h"
#include "report/report_int.h"
#include "fixture.h"
#include "tap.h"

static const char head[] = "[experiment]\nname = jtest\nduration = 10s\n"
			   "[node c1]\n[node s1]\n[link c1-s1]\n"
			   "[flow a]\nworker = bulk\nfrom = c1\nto = s1\n"
			   "[flow b]\nworker = bulk\nfrom = c1\nto = s1\n"
			   "[flow c]\nworker = bulk\nfrom = c1\nto = s1\nstart = 2s\n"
			   "[flow probe]\nworker = rr\nfrom = c1\nto = s1\n"
			   "[case equal]\nflow.a.cc = cubic\n"
			   "[case skewed]\nflow.a.cc = bbr\n"
			   "[expect]\n";

static char root[64];

/* The diagnostics of loading head + @expect, as one string ("" when clean). */
static char *check(const char *expect)
{
	char *text = xasprintf("%s%s\n", head, expect), *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load_buffer("j.conf", text, strlen(text), &d);

	diag_print(&d, f);
	fclose(f);
	config_free(c);
	diag_free(&d);
	free(text);
	return out;
}

static void test_parse(void)
{
	static const struct {
		const char *expect, *want, *what;
	} bad[] = {
		{ "x = jain(a, bb) > 0.9", "j.conf:29:13: error: expect x: jain(): unknown flow \"bb\"",
		  "an unknown flow, at its column" },
		{ "x = jain(a) > 0.9", "jain() takes at least 2 flows", "one flow" },
		{ "x = jain(a, probe) > 0.9", "flow probe (worker rr) has no goodput",
		  "a flow without goodput (rr)" },
		{ "x = jain(a, a) > 0.9", "flow a is named twice", "a flow named twice" },
		{ "x = jain(a, b, case=nope) > 0.9", "\"nope\" is not a value of the sweep case",
		  "a selector with a value the sweep lacks" },
		{ "x = jain(a, b > 0.9", "expected \")\" to close jain(", "an unclosed call" },
		{ "x = jain(, a) > 0.9", "jain() takes flow names", "an empty argument" },
	};
	char *s;

	s = check("x = jain(a, b, c, case=equal) > 0.9\ny = jain(case=skewed, a, b) < 1");
	tap_ok(!*s, "jain(a, b, c, case=equal) and a selector first parse (%s)", s);
	free(s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = check(bad[i].expect);
		tap_ok(strstr(s, bad[i].want) != NULL, "refused: %s", bad[i].what);
		if (!strstr(s, bad[i].want))
			tap_diag("got: %s", s);
		free(s);
	}
}

/* Case 1: a, b, c at 10 Mbit/s each; case 2: a at 30, b at 10, c at 10. */
static void fixture(const char *out)
{
	static const double gp[2][3] = { { 10e6, 10e6, 10e6 }, { 30e6, 10e6, 10e6 } };
	static const char *const flows[] = { "a", "b", "c" };

	fixture_write(out, "manifest.json",
		      "{\"experiment\": \"jtest\", \"repeat\": 1, \"runs\": [{\"dir\": "
		      "\"runs/c1-r1\", \"case\": 0, \"repeat\": 0}, {\"dir\": \"runs/c2-r1\", "
		      "\"case\": 1, \"repeat\": 0}]}\n");
	for (int k = 0; k < 2; k++) {
		char *dir = xasprintf("%s/runs/c%d-r1", out, k + 1);

		fixture_write(dir, "run.json", "{\"status\": \"complete\"}\n");
		for (int i = 0; i < 3; i++) {
			char rel[64];

			snprintf(rel, sizeof(rel), "flows/%s.json", flows[i]);
			fixture_write(dir, rel,
				      "{\"worker\": \"bulk\", \"goodput_bps\": %.1f, \"seconds\": 10}\n",
				      gp[k][i]);
			snprintf(rel, sizeof(rel), "flows/%s.series.jsonl", flows[i]);
			fixture_write(dir, rel,
				      "{\"t\": 1.0, \"goodput_bps\": %.1f}\n"
				      "{\"t\": 2.0, \"goodput_bps\": %.1f}\n",
				      gp[k][i], gp[k][i]);
		}
		free(dir);
	}
}

static const struct rp_expect *find(const struct report *rp, const char *name)
{
	for (size_t i = 0; i < rp->n_ex; i++)
		if (!strcmp(rp->ex[i].e->name, name))
			return &rp->ex[i];
	return NULL;
}

/* Each case's bulk flows on one plot, on the run's time axis: c (start
 * 2 s) at 3 and 4 s. */
static void test_share_plot(struct report *rp, const char *out)
{
	char *p = xasprintf("%s/plots/goodput_c2.dat", out), *dat, *gp;

	setenv("TESTBED_GNUPLOT", "/nonexistent", 1);
	rp_plots(rp);
	dat = fixture_slurp(p);
	free(p);
	p = xasprintf("%s/plots/plots.gp", out);
	gp = fixture_slurp(p);
	tap_ok(strstr(dat, "1.000000 30") && strstr(dat, "3.000000 10") &&
		       strstr(dat, "4.000000 10"),
	       "goodput_c2.dat: a, b and c, c shifted by its start");
	tap_ok(strstr(gp, "goodput_c1.svg") && strstr(gp, "title \"c\""),
	       "plots.gp draws goodput_c1.svg with a line per flow");
	free(dat);
	free(gp);
	free(p);
}

static void test_eval(void)
{
	static const char ex[] = "equal = jain(a, b, c, case=equal) > 0.999\n"
				 "skewed = jain(a, b, c, case=skewed) < 0.8\n"
				 "each = jain(a, b) > 0.9\n"
				 "pair = jain(b, c) == 1\n";
	char *text = xasprintf("%s%s", head, ex), *out = xasprintf("%s/out", root);
	struct tb_config *c = fixture_config("j.conf", text, strlen(text));
	struct report r = { 0 }, *rp = &r;
	const struct rp_expect *e;

	fixture(out);
	r.c = c;
	r.outdir = xstrdup(out);
	if (rp_load(rp))
		tap_bail("rp_load %s", out);
	rp_evaluate(rp);
	e = find(rp, "equal");
	tap_ok(e && e->held && fabs(e->combos[0].lhs - 1) < 1e-9,
	       "equal shares: J = 1 (%.4f)", e ? e->combos[0].lhs : NAN);
	/* (30+10+10)^2 / (3 (900+100+100)) = 2500/3300 */
	e = find(rp, "skewed");
	tap_ok(e && e->held && fabs(e->combos[0].lhs - 2500.0 / 3300) < 1e-9,
	       "30:10:10 gives 2500/3300 = 0.7576 (%.4f)", e ? e->combos[0].lhs : NAN);
	/* iterated over case: J(10, 10) = 1 holds, J(30, 10) = 0.8 does not */
	e = find(rp, "each");
	tap_ok(e && !e->held && e->n_combos == 2 && e->combos[0].held && !e->combos[1].held &&
		       fabs(e->combos[1].lhs - 0.8) < 1e-9,
	       "unselected: evaluated per case, 30:10 gives 0.8 and fails (%.4f)",
	       e && e->n_combos > 1 ? e->combos[1].lhs : NAN);
	e = find(rp, "pair");
	tap_ok(e && e->held, "jain(b, c) == 1 in both cases");
	{
		char *t = rp_expr_text(c, c->expects[0].lhs);

		tap_ok(!strcmp(t, "jain(a, b, c, case=equal)"), "written back as given (%s)", t);
		free(t);
	}
	test_share_plot(rp, out);
	rp_free(rp);
	config_free(c);
	free(text);
	free(out);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/tb-jain-XXXXXX");
	if (!mkdtemp(root))
		tap_bail("mkdtemp: %s", strerror(errno));
	test_parse();
	test_eval();
	fixture_remove(root);
	return tap_done();
}
