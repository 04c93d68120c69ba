/* Unit tests of the report: fixture run directories with known numbers
 * (2 cases x 3 repeats, one repeat incomplete) -> summary.json statistics,
 * expectation verdicts (held, not held, no data, iteration over an
 * unselected sweep, mathis()), report.md rows and verdict lines, plots with
 * and without gnuplot. No root. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include "cli/cli.h"
#include "config/config.h"
#include "config/metric.h"
#include "report/junit.h"
#include "report/report.h"
#include "report/report_int.h"
#include "util/jsonfile.h"
#include "util/stats.h"
#include "fixture.h"
#include "tap.h"

static const char conf[] = "[experiment]\n"
			   "name = rtest\n"
			   "duration = 10s\n"
			   "repeat = 3\n"
			   "seed = 7\n"
			   "[node c1]\n[node s1]\n[link c1-s1]\n"
			   "[flow bulk]\nworker = bulk\nfrom = c1\nto = s1\n"
			   "[flow rr]\nworker = rr\nfrom = c1\nto = s1\n"
			   "[sweep]\nflow.bulk.cc = cubic, bbr\n"
			   "[expect]\n"
			   "bbr_wins = goodput(bulk, cc=bbr) > 5 * goodput(bulk, cc=cubic)\n"
			   "rr_fast = p99(rr) < 50ms\n"
			   "cookies = counter(s1.TcpExtSyncookiesSent, cc=bbr) > 0\n"
			   "near_mathis = goodput(bulk, cc=cubic) < 3 * mathis(1448, 40ms, 1%)\n"
			   "tw = peak(c1.TIME_WAIT, cc=cubic) >= 10\n";

static char root[64];

static bool near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

/* Per run: goodput (bit/s), rr p99 (us), TIME-WAIT peak, rr errors. */
struct fx {
	double goodput;
	int p99_us;
	int tw_peak;
	const char *status;
	int etimedout;
};

static const struct fx fixtures[2][3] = {
	{ { 3e6, 20000, 12, "complete", 0 },
	  { 4e6, 30000, 15, "complete", 2 },
	  { 2e6, 25000, 9, "complete", 0 } },
	{ { 90e6, 60000, 1, "complete", 0 },
	  { 95e6, 70000, 2, "complete", 0 },
	  { 1e6, 1, 0, "incomplete", 0 } }, /* numbers that must not count */
};

/* Run @r of case @k (0-based), with the numbers of fixtures[k][r], in @d. */
static void build_run(const char *d, int k, int r)
{
	const struct fx *x = &fixtures[k][r];

	fixture_write(d, "run.json",
		      "{\"case\": %d, \"repeat\": %d, \"order\": 0, \"params\": {}, \"status\": "
		      "\"%s\", \"error\": %s, \"elapsed_s\": 10.2, \"sampler\": {\"c1\": "
		      "{\"late_max_ms\": %.1f, \"stalls\": %d}, \"s1\": {\"late_max_ms\": 1.5, "
		      "\"stalls\": 0}}}\n",
		      k, r, x->status,
		      strcmp(x->status, "complete") ? "\"interrupted by SIGINT\"" : "null",
		      /* the host stalled once, in c2-r2 */
		      k == 1 && r == 1 ? 412.3 : 3.2, k == 1 && r == 1 ? 2 : 0);
	fixture_write(d, "flows/bulk.json",
		      "{\"worker\": \"bulk\", \"complete\": true, \"error\": null, \"bytes\": %.0f, "
		      "\"seconds\": 10.0, \"goodput_bps\": %.1f, \"retransmits\": %d}\n",
		      x->goodput * 10 / 8, x->goodput, 10 * (r + 1));
	fixture_write(d, "flows/bulk.series.jsonl",
		      "{\"t\": 1.0, \"goodput_bps\": %.1f, \"cwnd\": 10}\n"
		      "{\"t\": 2.0, \"goodput_bps\": %.1f, \"cwnd\": 20}\n"
		      "{\"t\": 3.0, \"goodput_bps\": %.1f, \"cwnd\": 30}\n",
		      x->goodput * 0.9, x->goodput, x->goodput * 1.1);
	fixture_write(d, "flows/rr.json",
		      "{\"worker\": \"rr\", \"complete\": true, \"error\": null, \"requests\": 98, "
		      "\"rps\": 9.8, \"handshakes\": 98, \"handshakes_per_s\": 9.8, "
		      "\"latency_us\": {\"count\": 98, \"min\": 900, \"p50\": %d, \"p90\": %d, "
		      "\"p99\": %d, \"p999\": %d, \"max\": %d, \"mean\": %d.5}, "
		      "\"connect_us\": {\"count\": 98, \"min\": 50, \"p50\": 100, \"p90\": 150, "
		      "\"p99\": 200, \"p999\": 250, \"max\": 300, \"mean\": 110.0}, "
		      "\"errors\": {%s}}\n",
		      x->p99_us / 2, x->p99_us - 1, x->p99_us, x->p99_us + 1, x->p99_us + 2,
		      x->p99_us / 3, x->etimedout ? "\"ETIMEDOUT\": 2" : "");
	fixture_write(d, "sockets/c1-states.csv",
		      "t_s,ESTAB,SYN-SENT,SYN-RECV,FIN-WAIT-1,FIN-WAIT-2,TIME-WAIT,CLOSE-WAIT,"
		      "LAST-ACK,CLOSING,LISTEN,total\n"
		      "0.0,1,0,0,0,0,3,0,0,0,0,4\n"
		      "0.1,1,0,0,0,0,%d,0,0,0,0,9\n"
		      "0.2,1,0,0,0,0,2,0,0,0,0,3\n",
		      x->tw_peak);
	if (k == 0)
		fixture_write(d, "counters/s1.json",
			      "{\"TcpExtSyncookiesSent\": 0, \"TcpRetransSegs\": 5}\n");
	if (k == 0 && r == 0)
		fixture_write(d, "sockets/c1-tcp.csv",
			      "t_s,node,flow,cookie,state,snd_cwnd,total_retrans\n"
			      "0.1,c1,bulk,11,ESTAB,10,5\n"
			      "0.1,c1,bulk,12,ESTAB,10,3\n"
			      "0.2,c1,bulk,11,ESTAB,14,7\n"
			      "0.2,c1,rr,13,ESTAB,10,100\n");
}

static void build_fixture(const char *out)
{
	char runs[2048] = "";

	for (int k = 0; k < 2; k++)
		for (int r = 0; r < 3; r++) {
			char d[256];

			snprintf(d, sizeof(d), "%s/runs/c%d-r%d", out, k + 1, r + 1);
			snprintf(runs + strlen(runs), sizeof(runs) - strlen(runs),
				 "%s{\"dir\": \"runs/c%d-r%d\", \"case\": %d, \"repeat\": %d, \"order\": %d}",
				 *runs ? ", " : "", k + 1, r + 1, k, r, (r * 2 + k + 1) % 6);
			build_run(d, k, r);
		}
	fixture_write(out, "manifest.json",
		      "{\"experiment\": \"rtest\", \"file\": \"mem.conf\", \"seed\": 7, \"kernel\": {\"tier\": "
		      "\"host\", \"release\": \"6.18.0-test\"}, \"repeat\": 3, \"runs\": [%s]}\n",
		      runs);
}

/* Metric @m of flow @flow in case @k of summary.json, when it has a median */
static json_t *metric(json_t *sum, int k, const char *flow, const char *m)
{
	json_t *c = json_array_get(json_object_get(sum, "cases"), (size_t)k);
	json_t *o = json_object_get(
		json_object_get(json_object_get(json_object_get(c, "flows"), flow), "metrics"), m);

	return json_object_get(o, "median") ? o : NULL;
}

static double jd(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* @m (from metric()) has this median, min, max and number of runs */
static bool spread_is(json_t *m, double median, double min, double max, double n)
{
	return m && jd(m, "median") == median && jd(m, "min") == min && jd(m, "max") == max &&
	       jd(m, "n") == n;
}

/* @m's 95% confidence interval is @mid -/+ @half, each end within @tol */
static bool ci_is(json_t *m, double mid, double half, double tol)
{
	return m && near(jd(m, "ci95_low"), mid - half, tol) &&
	       near(jd(m, "ci95_high"), mid + half, tol);
}

static void test_stats(void)
{
	double v[] = { 3, 1, 2, 10 };
	struct stats st;

	tap_ok(stats_median(v, 3) == 2 && stats_median(v, 4) == 2.5 && isnan(stats_median(v, 0)),
	       "median of odd/even/empty");
	stats_compute(v, 1, &st);
	tap_ok(st.n == 1 && st.median == 3 && isnan(st.ci95_low), "one value: no interval");
	stats_compute((double[]){ 2, 4, 3 }, 3, &st);
	tap_diag("mean %g sd %g ci [%g, %g]", st.mean, st.sd, st.ci95_low, st.ci95_high);
	/* hand: mean 3, sd 1, t(0.975, 2) = 4.303, half = 4.303 / sqrt(3) = 2.48434 */
	tap_ok(near(st.ci95_low, 3 - 2.48434, 1e-4) && near(st.ci95_high, 3 + 2.48434, 1e-4),
	       "95%% CI of {2,3,4} is 3 -/+ 2.48434");
	tap_ok(near(stats_t975(200), 1.9719, 1e-3), "t(0.975, 200) ~ 1.972 (%.4f)", stats_t975(200));
}

/* The outcome report_write gives: runs, expectations, the two that fail and why. */
static void check_outcome(const struct report_outcome *o)
{
	tap_is_int((long long)o->n_runs, 6, "6 runs found");
	tap_is_int((long long)o->n_complete, 5, "5 complete (one incomplete)");
	tap_is_int((long long)o->n_expect, 5, "5 expectations");
	tap_is_int((long long)o->n_held, 3, "3 held");
	tap_ok(!o->all_held && o->n_failed == 2, "2 failed, not all held");
	for (size_t i = 0; i < o->n_failed; i++)
		tap_diag("failed: %s", o->failed[i]);
	tap_ok(o->n_failed == 2 && strstr(o->failed[0], "rr_fast") && strstr(o->failed[0], "cc=bbr") &&
		       strstr(o->failed[0], "65.0 ms < 50.0 ms is false") &&
		       strstr(o->failed[0], "p99(rr) < 50ms"),
	       "rr_fast fails at cc=bbr with 65.0 ms < 50.0 ms named");
	tap_ok(o->n_failed == 2 && strstr(o->failed[1], "cookies") && strstr(o->failed[1], "no data") &&
		       strstr(o->failed[1], "counters/s1.json absent"),
	       "cookies: no data, with the missing file named");
}

/* summary.json's statistics over the complete runs. */
static void check_metrics(json_t *sum)
{
	json_t *m;

	m = metric(sum, 0, "bulk", "goodput");
	tap_ok(spread_is(m, 3e6, 2e6, 4e6, 3), "cubic goodput: median 3e6, min 2e6, max 4e6, n 3");
	tap_ok(ci_is(m, 3e6, 2484338.6, 1),
	       "cubic goodput CI: 3e6 -/+ 4.303 * 1e6 / sqrt(3) (got %.1f..%.1f)", jd(m, "ci95_low"),
	       jd(m, "ci95_high"));
	m = metric(sum, 1, "bulk", "goodput");
	/* the incomplete third repeat (1e6) is left out: {90e6, 95e6} */
	tap_ok(spread_is(m, 92.5e6, 90e6, 95e6, 2),
	       "bbr goodput over the 2 complete repeats: median 92.5e6");
	/* sd = 3.5355e6, t(1) = 12.706: half = 12.706 * 2.5e6 = 31.765e6 */
	tap_ok(ci_is(m, 92.5e6, 31.765e6, 10), "bbr goodput CI with t(1) = 12.706");
	m = metric(sum, 0, "rr", "p99");
	tap_ok(m && near(jd(m, "median"), 0.025, 1e-12), "rr p99 in seconds: 0.025");
	m = metric(sum, 0, "rr", "success");
	/* runs: 98/98, 98/100, 98/98 -> median 100 */
	tap_ok(m && jd(m, "median") == 100 && near(jd(m, "min"), 98, 1e-9),
	       "rr success: requests / (requests + errors), min 98%%");
	m = json_object_get(json_object_get(json_object_get(json_object_get(json_object_get(json_array_get(json_object_get(sum, "cases"), 0), "flows"), "rr"), "errors"), "ETIMEDOUT"), "max");
	tap_ok(json_is_number(m) && json_number_value(m) == 2, "errors by errno: ETIMEDOUT max 2");
	m = metric(sum, 0, "bulk", "retrans");
	/* run 1 from the sampler CSV: 7 + 3 = 10 (rr's socket excluded);
	 * runs 2, 3 from the worker: 20, 30 */
	tap_ok(m && jd(m, "min") == 10 && jd(m, "median") == 20 && jd(m, "max") == 30,
	       "retrans: sampler's last total_retrans per socket summed, else the worker's");
	m = json_object_get(json_object_get(json_object_get(json_object_get(json_object_get(json_array_get(json_object_get(sum, "cases"), 0), "nodes"), "c1"), "peaks"), "TIME_WAIT"), "median");
	tap_ok(json_is_number(m) && json_number_value(m) == 12, "TIME_WAIT peak median 12");
}

/* summary.json's expectations: per combination, mathis(), no data. */
static void check_expectations(json_t *sum)
{
	json_t *ex = json_object_get(sum, "expectations");
	json_t *e = json_array_get(ex, 1), *cb = json_object_get(e, "combinations");

	tap_ok(json_is_array(ex) && json_array_size(ex) == 5, "5 expectations in summary");
	tap_ok(json_array_size(cb) == 2 &&
		       json_is_true(json_object_get(json_array_get(cb, 0), "held")) &&
		       json_is_false(json_object_get(json_array_get(cb, 1), "held")) &&
		       !strcmp(json_string_value(json_object_get(
				       json_object_get(json_array_get(cb, 1), "where"), "cc")),
			       "bbr") &&
		       near(jd(json_array_get(cb, 1), "lhs"), 0.065, 1e-12) &&
		       near(jd(json_array_get(cb, 1), "rhs"), 0.05, 1e-12),
	       "rr_fast iterated over cc: cubic held, bbr 0.065 < 0.05 not held");
	e = json_array_get(ex, 3);
	cb = json_array_get(json_object_get(e, "combinations"), 0);
	/* 3 * 1448 * 8 / 0.04 * 1.22 / sqrt(0.01) = 10,599,360 */
	tap_ok(json_is_true(json_object_get(e, "held")) && near(jd(cb, "rhs"), 10599360, 1e-3) &&
		       jd(cb, "lhs") == 3e6,
	       "mathis(1448, 40ms, 1%%) x 3 = 10,599,360 bit/s (%.1f)", jd(cb, "rhs"));
	e = json_array_get(ex, 2);
	cb = json_array_get(json_object_get(e, "combinations"), 0);
	tap_ok(json_is_false(json_object_get(e, "held")) &&
		       json_is_true(json_object_get(cb, "no_data")) &&
		       json_is_null(json_object_get(cb, "lhs")),
	       "missing counter: not held, no_data, lhs null");
	tap_ok(json_is_false(json_object_get(sum, "all_held")) &&
		       jd(sum, "expectations_held") == 3,
	       "all_held false, expectations_held 3");
}

static void check_summary(const char *out, const struct report_outcome *o)
{
	char path[256];
	json_error_t je;
	json_t *sum;

	snprintf(path, sizeof(path), "%s/summary.json", out);
	sum = json_load_file(path, 0, &je);
	tap_ok(sum != NULL, "summary.json parses (%s)", sum ? "ok" : je.text);
	check_metrics(sum);
	check_expectations(sum);
	tap_ok(o->n_stalled == 1 && o->stall_worst_ms > 412.2 && o->stall_worst_ms < 412.4,
	       "one run with a host stall, 412.3 ms (%zu, %.1f)", o->n_stalled, o->stall_worst_ms);
	tap_ok(json_integer_value(json_object_get(json_object_get(sum, "host_stalls"), "runs_stalled")) == 1 &&
		       json_integer_value(json_object_get(json_object_get(sum, "host_stalls"),
							  "runs_measured")) == 6,
	       "summary.json host_stalls: 1 of 6 runs measured");
	json_decref(sum);
}

/* The plots, when gnuplot is installed (three skips when it is not). */
static void check_plots(const char *out, const char *md, const struct report_outcome *o)
{
	char path[256];

	if (access("/usr/bin/gnuplot", X_OK) == 0) {
		struct stat sb;

		snprintf(path, sizeof(path), "%s/plots/bulk_throughput.svg", out);
		if (stat(path, &sb) < 0)
			sb.st_size = -1;
		tap_ok(sb.st_size > 1000 && o->plots,
		       "gnuplot rendered plots/bulk_throughput.svg (%lld bytes)",
		       (long long)sb.st_size);
		tap_ok(strstr(md, "![") && strstr(md, "plots/bulk_throughput.svg"),
		       "report.md links the plot");
		snprintf(path, sizeof(path), "%s/plots/bulk_cwnd.svg", out);
		if (stat(path, &sb) < 0)
			sb.st_size = -1;
		tap_ok(sb.st_size > 1000, "cwnd plot from the sampler CSV (%lld bytes)",
		       (long long)sb.st_size);
	} else {
		tap_skip("gnuplot not installed");
		tap_skip("gnuplot not installed");
		tap_skip("gnuplot not installed");
	}
}

static void check_report_md(const char *out, const struct report_outcome *o)
{
	char path[256], *md;

	snprintf(path, sizeof(path), "%s/report.md", out);
	md = fixture_slurp(path);
	tap_ok(strstr(md, "| 1 | cubic | 3/3 | 3.00 Mbit/s (2.00–4.00) |") != NULL,
	       "report.md: cubic row with median and range");
	tap_ok(strstr(md, "| 2 | bbr | 2/3 | 92.5 Mbit/s (90.0–95.0) |") != NULL,
	       "report.md: bbr row over 2 of 3 runs");
	tap_ok(strstr(md, "- **HELD** `bbr_wins`") && strstr(md, "- **NOT HELD** `rr_fast`") &&
		       strstr(md, "- **HELD** `near_mathis`") && strstr(md, "not held (no data)"),
	       "report.md: HELD / NOT HELD lines");
	tap_ok(strstr(md, "92.5 Mbit/s > 15.0 Mbit/s") != NULL, "report.md: both sides' numbers");
	tap_ok(md && strstr(md, "| Host stalls | **1 of 6 runs**") && strstr(md, "runs/c2-r2 412 ms"),
	       "report.md: the Host stalls row names the run and its 412 ms");
	tap_ok(strstr(md, "## Network\n\nNo link is shaped") != NULL,
	       "report.md: Network says when no link is shaped");
	tap_ok(strstr(md, "host, Linux 6.18.0-test") && strstr(md, "| Seed | 7 |") &&
		       strstr(md, "runs/c2-r3") && strstr(md, "interrupted by SIGINT"),
	       "report.md: kernel, seed, and the incomplete run with its reason");
	check_plots(out, md, o);
	free(md);
}

/* Without gnuplot: the report says so and keeps its tables. */
static void check_without_gnuplot(const struct tb_config *c, const char *out)
{
	struct report_outcome o;
	char path[256], *md;
	int rc;

	setenv("TESTBED_GNUPLOT", "/nonexistent/gnuplot", 1);
	rc = report_write(c, out, &o);
	unsetenv("TESTBED_GNUPLOT");
	snprintf(path, sizeof(path), "%s/report.md", out);
	md = fixture_slurp(path);
	tap_ok(rc == 0 && !o.plots && strstr(md, "gnuplot is not installed") &&
		       strstr(md, "| 1 | cubic | 3/3 |"),
	       "without gnuplot: a note, and the table is still there");
	free(md);
	report_outcome_free(&o);
}

/* 2 cases x 3 repeats (one incomplete) -> report_write's outcome,
 * summary.json, report.md and the plots. */
static void test_fixture(void)
{
	struct tb_config *c = fixture_config("mem.conf", conf, sizeof(conf) - 1);
	struct report_outcome o;
	char out[128];
	int rc;

	snprintf(out, sizeof(out), "%s/out", root);
	build_fixture(out);
	rc = report_write(c, out, &o);
	tap_ok(rc == 0, "report_write returns 0 (%d)", rc);
	check_outcome(&o);
	check_summary(out, &o);
	check_report_md(out, &o);
	report_outcome_free(&o);
	check_without_gnuplot(c, out);
	config_free(c);
}

/* Run cmd_report with stdout and stderr silenced; its exit code. */
static int quiet_report(int argc, char **argv)
{
	int o1 = dup(1), o2 = dup(2), null = open("/dev/null", O_WRONLY), rc;

	fflush(stdout);
	dup2(null, 1);
	dup2(null, 2);
	rc = cmd_report(argc, argv);
	fflush(stdout);
	dup2(o1, 1);
	dup2(o2, 2);
	close(o1);
	close(o2);
	close(null);
	return rc;
}

static void test_cli(void)
{
	char out[128], file[128], mpath[256];
	char *a1[] = { "report", out, "--file", file, NULL };
	char *a2[] = { "report", NULL };
	char *a3[] = { "report", out, NULL };
	char *sum;
	FILE *f;

	snprintf(out, sizeof(out), "%s/out", root);
	snprintf(file, sizeof(file), "%s/t.conf", root);
	snprintf(mpath, sizeof(mpath), "%s/summary.json", out);
	f = fopen(file, "w");
	fputs(conf, f);
	fclose(f);
	unlink(mpath);
	tap_is_int(quiet_report(4, a1), 1, "testbed report OUT --file F: exit 1 (2 expectations missed)");
	sum = fixture_slurp(mpath);
	tap_ok(strstr(sum, "\"all_held\": false") != NULL, "testbed report rewrote summary.json");
	free(sum);
	tap_is_int(quiet_report(1, a2), 2, "testbed report without OUTDIR: exit 2");
	/* the manifest names mem.conf, which does not exist here */
	tap_is_int(quiet_report(2, a3), 2, "experiment file of the manifest missing: exit 2");
}

/* A numeric sweep spanning decades: metric-vs-parameter plot on a log axis;
 * and a run directory without a manifest. */
static void test_numeric_sweep(void)
{
	static const char conf2[] = "[experiment]\nname = sweep\nduration = 5s\n"
				    "[node c1]\n[node s1]\n[link c1-s1]\n"
				    "[flow rr]\nworker = rr\nfrom = c1\nto = s1\n"
				    "[sweep]\nflow.rr.rate = 1, 10, 100\n"
				    "[expect]\nfast = p50(rr) < 10ms\n";
	struct tb_config *c = fixture_config("mem2.conf", conf2, sizeof(conf2) - 1);
	struct report_outcome o;
	char out[128], path[256], *gp, *md;
	int rc;

	snprintf(out, sizeof(out), "%s/out2", root);
	for (int k = 0; k < 3; k++) {
		char dir[256];

		snprintf(dir, sizeof(dir), "%s/runs/c%d-r1", out, k + 1);
		fixture_write(dir, "run.json", "{\"status\": \"complete\"}\n");
		if (k != 2)
			fixture_write(dir, "flows/rr.json",
				      "{\"requests\": 10, \"latency_us\": {\"count\": 10, \"p50\": %d}}\n",
				      1000 * (k + 1));
	}
	rc = report_write(c, out, &o);
	tap_ok(rc == 0 && o.n_runs == 3, "no manifest: the run directories are found (%zu)",
	       o.n_runs);
	tap_ok(o.n_failed == 1 && strstr(o.failed[0], "rate=100") &&
		       strstr(o.failed[0], "flows/rr.json absent"),
	       "iterated over rate: the case without a result file fails with no data");
	if (o.n_failed)
		tap_diag("%s", o.failed[0]);
	snprintf(path, sizeof(path), "%s/plots/plots.gp", out);
	gp = fixture_slurp(path);
	tap_ok(strstr(gp, "set logscale x") && strstr(gp, "rr_p50_vs_rate.dat"),
	       "p50 against rate (1..100) on a log x axis");
	snprintf(path, sizeof(path), "%s/report.md", out);
	md = fixture_slurp(path);
	tap_ok(strstr(md, "| 3 | 100 | 1/1 | — |") != NULL, "missing numbers show as a dash");
	free(md);
	free(gp);
	report_outcome_free(&o);
	config_free(c);
}

/* cfg() follows the case: a reader swept over three rates is judged against
 * each; the one that read half its rate is the one that fails. */
static void test_cfg_per_case(void)
{
	static const char conf3[] = "[experiment]\nname = reader\nduration = 5s\n"
				    "[node c1]\n[node s1]\n[link c1-s1]\n"
				    "[flow bulk]\nworker = bulk\nfrom = c1\nto = s1\n"
				    "[sweep]\nflow.bulk.server.read_rate = 40kbit, 80kbit, 160kbit\n"
				    "[expect]\nreads = abs(server_goodput(bulk) - "
				    "cfg(flow.bulk.server.read_rate)) < 0.05 * "
				    "cfg(flow.bulk.server.read_rate)\n"
				    "bits = server_goodput(bulk, read_rate=40kbit) * "
				    "cfg(experiment.duration) > 1e5\n";
	static const int read[] = { 40100, 79500, 80000 };
	json_t *sum, *ex, *cb;
	struct tb_config *c = fixture_config("mem3.conf", conf3, sizeof(conf3) - 1);
	struct report_outcome o;
	char out[128], path[256], *md;

	snprintf(out, sizeof(out), "%s/out7", root);
	for (int k = 0; k < 3; k++) {
		char dir[256];

		snprintf(dir, sizeof(dir), "%s/runs/c%d-r1", out, k + 1);
		fixture_write(dir, "run.json", "{\"status\": \"complete\"}\n");
		fixture_write(dir, "flows/bulk.server.json", "{\"goodput_bps\": %d}\n", read[k]);
	}
	report_write(c, out, &o);
	tap_ok(o.n_failed == 1 && strstr(o.failed[0], "read_rate=160kbit"),
	       "judged against each case's own rate: only the 160 kbit/s case fails (%zu)",
	       o.n_failed);
	if (o.n_failed)
		tap_diag("%s", o.failed[0]);
	snprintf(path, sizeof(path), "%s/report.md", out);
	md = fixture_slurp(path);
	tap_ok(md && strstr(md, "`cfg(flow.bulk.server.read_rate, read_rate=80kbit)` = 80.0 kbit/s "
				"(configured)"),
	       "report.md shows the configured rate of the case, once");
	free(md);
	snprintf(path, sizeof(path), "%s/summary.json", out);
	sum = json_load_file(path, 0, NULL);
	ex = json_array_get(json_object_get(sum, "expectations"), 1);
	cb = json_object_get(ex, "combinations");
	tap_ok(json_array_size(cb) == 1 && json_is_true(json_object_get(ex, "held")) &&
		       near(jd(json_array_get(cb, 0), "lhs"), 40100 * 5.0, 1e-9),
	       "a cfg() no case changes iterates no sweep: 1 combination, 40.1 kbit/s x 5 s");
	json_decref(sum);
	snprintf(path, sizeof(path), "%s/j.xml", out);
	junit_from_outdir(out, path);
	md = fixture_slurp(path);
	tap_ok(strstr(md, "80.0 kbit/s &lt; 8.00 kbit/s is false") &&
		       strstr(md, "read_rate=160kbit) = 160 kbit/s (configured)\n</failure>"),
	       "JUnit: the sides in the rate's unit, the configured value once");
	free(md);
	report_outcome_free(&o);
	config_free(c);
}

/* A UML run: the guest's samplers were late in runs 2 and 3; the host's
 * clock check stalled during run 2 only. Run 2 is the host's stall, run 3
 * the guest's, with its busiest second. */
static void test_guest_stalls(void)
{
	static const char conf3[] = "[experiment]\nname = g\nduration = 10s\nrepeat = 3\n"
				    "[node c1]\n[node s1]\n[link c1-s1]\n"
				    "[flow bulk]\nworker = bulk\nfrom = c1\nto = s1\n";
	static const double late[3] = { 3.1, 240.0, 180.5 }, busiest[3] = { 40, 55, 97 };
	struct tb_config *c = fixture_config("mem3.conf", conf3, sizeof(conf3) - 1);
	struct report_outcome o;
	char out[128], path[256], *md;
	json_t *sum, *hs, *gs;

	snprintf(out, sizeof(out), "%s/out3", root);
	for (int r = 0; r < 3; r++) {
		char dir[256];

		snprintf(dir, sizeof(dir), "%s/runs/c1-r%d", out, r + 1);
		/* runs 100 s apart, 10 s each, from unix time 1000 */
		fixture_write(dir, "run.json",
			      "{\"status\": \"complete\", \"sampler\": {\"c1\": {\"late_max_ms\": %.1f, "
			      "\"stalls\": %d}}, \"load\": {\"start_unix\": %d, \"end_unix\": %d, "
			      "\"cpu_of\": \"guest\", \"cpu_busy_pct\": 30, \"cpu_busiest_pct\": %.0f}}\n",
			      late[r], late[r] > 50, 1000 + 100 * r, 1010 + 100 * r, busiest[r]);
		fixture_write(dir, "flows/bulk.json", "{\"goodput_bps\": 9e7, \"seconds\": 10}\n");
	}
	/* one 230 ms host stall inside run 2; one 25 ms wake-up in run 3 */
	fixture_write(out, "host-clock.json",
		      "{\"tick_ms\": 10, \"realtime\": true, \"late_max_ms\": 230, "
		      "\"late\": [[1104.5, 230.0], [1203.0, 25.0], [1500, 900]], \"cpu\": 1, "
		      "\"cpu_busy\": [[1200.5, 100], [1205, 99.0], [1211.5, 100], [1300, 100]]}\n");
	tap_ok(report_write(c, out, &o) == 0, "report of a UML run with host-clock.json");
	tap_ok(o.n_stalled == 1 && near(o.stall_worst_ms, 230, 1e-9),
	       "the host stalled in 1 run, 230 ms (%zu, %.1f; 900 ms outside every run)", o.n_stalled,
	       o.stall_worst_ms);
	tap_ok(o.n_guest_stalled == 1 && near(o.guest_worst_ms, 180.5, 1e-9) &&
		       near(o.guest_cpu_busiest, 97, 1e-9),
	       "the guest fell behind in 1 run (run 2's 240 ms are the host's): %zu runs, "
	       "worst %.1f ms, busiest second %.0f%%",
	       o.n_guest_stalled, o.guest_worst_ms, o.guest_cpu_busiest);
	snprintf(path, sizeof(path), "%s/summary.json", out);
	sum = json_load_file(path, 0, NULL);
	hs = json_object_get(sum, "host_stalls");
	gs = json_object_get(sum, "guest_stalls");
	tap_ok(jd(hs, "runs_measured") == 3 && jd(hs, "runs_stalled") == 1 &&
		       jd(gs, "runs_measured") == 2 && jd(gs, "runs_stalled") == 1 &&
		       jd(gs, "cpu_busiest_pct") == 97,
	       "summary.json: host_stalls 1 of 3, guest_stalls 1 of the 2 runs the host ran on "
	       "time, at 97%%");
	tap_ok(jd(json_array_get(json_object_get(sum, "runs"), 2), "host_late_max_ms") == 25 &&
		       jd(json_array_get(json_object_get(sum, "runs"), 2), "guest_late_max_ms") == 180.5,
	       "run 3: the host 25 ms late, the guest 180.5 ms");
	tap_ok(jd(json_array_get(json_object_get(sum, "runs"), 2), "host_cpu_busiest_pct") == 99 &&
		       jd(gs, "host_cpu_busiest_pct") == 99,
	       "run 3: the guest's host CPU 99%% busy in the seconds inside its measured time "
	       "(not the 100%% seconds around it)");
	snprintf(path, sizeof(path), "%s/report.md", out);
	md = fixture_slurp(path);
	tap_ok(strstr(md, "| Host stalls | **1 of 3 runs**") && strstr(md, "runs/c1-r2 230 ms") &&
		       strstr(md, "| Guest stalls | **1 of 2 runs**") &&
		       strstr(md, "runs/c1-r3 180 ms") && strstr(md, "97% busy") &&
		       strstr(md, "the host CPU running it 99%"),
	       "report.md: a Host stalls row naming run 2, a Guest stalls row naming run 3");
	free(md);
	json_decref(sum);
	report_outcome_free(&o);
	config_free(c);
}

/* An interrupted experiment (Ctrl-C in run 2 of 2): the one complete run
 * meets the expectation, but the expectation is not held, and says why. */
static void test_interrupted(void)
{
	static const char conf4[] = "[experiment]\nname = i\nduration = 10s\nrepeat = 2\n"
				    "[node c1]\n[node s1]\n[link c1-s1]\n"
				    "[flow bulk]\nworker = bulk\nfrom = c1\nto = s1\n"
				    "[expect]\nfast = goodput(bulk) > 1mbit\n";
	struct tb_config *c = fixture_config("mem4.conf", conf4, sizeof(conf4) - 1);
	struct report_outcome o;
	char out[128], path[256], *md;
	json_t *sum;
	int rc;

	snprintf(out, sizeof(out), "%s/out4", root);
	fixture_write(out, "runs/c1-r1/run.json", "{\"status\": \"complete\"}\n");
	fixture_write(out, "runs/c1-r1/flows/bulk.json", "{\"goodput_bps\": 9e7, \"seconds\": 10}\n");
	fixture_write(out, "runs/c1-r2/run.json", "{\"status\": \"incomplete\"}\n");
	fixture_write(out, "manifest.json",
		      "{\"runs\": [{\"dir\": \"runs/c1-r1\", \"case\": 0, \"repeat\": 0}, {\"dir\": "
		      "\"runs/c1-r2\", \"case\": 0, \"repeat\": 1}], \"complete\": false, "
		      "\"interrupted\": \"Interrupt\"}\n");
	rc = report_write(c, out, &o);
	tap_ok(rc == 0 && o.n_failed == 1 && !o.all_held,
	       "an interrupted experiment holds no expectation (%zu failed)", o.n_failed);
	if (o.n_failed)
		tap_diag("%s", o.failed[0]);
	tap_ok(o.n_failed && strstr(o.failed[0], "did not complete (Interrupt; 1 of 2 runs complete)"),
	       "... and says why");
	snprintf(path, sizeof(path), "%s/summary.json", out);
	sum = json_load_file(path, 0, NULL);
	tap_ok(json_is_false(json_object_get(sum, "all_held")) &&
		       strstr(json_string_value(json_object_get(
				      json_array_get(json_object_get(sum, "expectations"), 0), "why_not")) ?: "",
			      "did not complete"),
	       "summary.json: all_held false, why_not given");
	snprintf(path, sizeof(path), "%s/report.md", out);
	md = fixture_slurp(path);
	tap_ok(strstr(md, "- **NOT HELD** `fast`") && strstr(md, "not held: the experiment did not complete"),
	       "report.md: NOT HELD with the reason");
	free(md);
	json_decref(sum);
	report_outcome_free(&o);
	/* no run at all (qsort(NULL, 0) before: UBSan under make sanitize) */
	snprintf(out, sizeof(out), "%s/out5", root);
	fixture_write(out, "manifest.json", "{\"runs\": [], \"complete\": true}\n");
	rc = report_write(c, out, &o);
	tap_ok(rc == 0 && o.n_runs == 0 && o.n_failed == 1,
	       "a directory with no run: reported, the expectation not held (%zu runs)", o.n_runs);
	report_outcome_free(&o);
	config_free(c);
}

/* Every worker, and rr in its three modes; a link shaped per direction, its
 * loss swept (0% is the default) and, in 6 cases, bulk's cc; an event that
 * cuts the link; a link not shaped. */
static const char conf6[] = "[experiment]\nname = every\nduration = 10s\n"
			    "[node c1]\n[node s1]\n"
			    "[link c1-s1]\nrate = 10mbit\ndelay = 20ms\ns1.queue = fq_codel\n"
			    "[node s2]\n[link s1-s2]\n"
			    "[flow bulk]\nworker = bulk\nfrom = c1\nto = s1\n"
			    "[flow rr]\nworker = rr\nfrom = c1\nto = s1\nport = 9000\n"
			    "[flow rrpool]\nworker = rr\nfrom = c1\nto = s1\nport = 9001\n"
			    "conn = pool\n"
			    "[flow rrstreams]\nworker = rr\nfrom = c1\nto = s1\nport = 9002\n"
			    "conn = pool\nstreams = 4\n"
			    "[flow churn]\nworker = churn\nfrom = c1\nto = s1\nport = 9003\n"
			    "[flow synflood]\nworker = synflood\nfrom = c1\nto = s1\nport = 9000\n"
			    "rate = 10\n"
			    "[flow udp]\nworker = udp\nfrom = c1\nto = s1\nport = 9004\nrate = 10\n"
			    "[flow idle]\nworker = idle\nfrom = c1\nto = s1\nport = 9005\n"
			    "[event cut]\nat = 5s\nlink = c1-s1\n"
			    "[sweep]\nlink.c1-s1.c1.loss = 0%, 1%\n"
			    "flow.bulk.cc = cubic, bbr, reno\n";

/* Every field any worker's result has: each metric of the table finds its
 * number whatever the flow's worker. */
static const char all_client[] =
	"{\"worker\": \"any\", \"complete\": true, \"error\": null, \"goodput_bps\": 8e6, "
	"\"bytes\": 10000000, \"seconds\": 10, \"retransmits\": 4, \"mss\": 1448, "
	"\"rtt_us\": 40000, \"rps\": 9.8, \"requests\": 98, \"handshakes\": 5, "
	"\"handshakes_per_s\": 0.5, \"connects\": 7, \"opened\": 8, \"rate\": 2.5, "
	"\"attempts\": 10, \"held\": 6, \"count\": 8, \"first_failure_s\": 1.5, \"sent\": 100, "
	"\"pps\": 10, \"skipped\": 1, \"dropped\": 2, \"first_drop_s\": 6.5, "
	"\"errors\": {\"EADDRNOTAVAIL\": 1, \"ECONNREFUSED\": 2, \"ETIMEDOUT\": 3, "
	"\"ECONNRESET\": 4}, \"failures\": {\"EADDRNOTAVAIL\": 1}, "
	"\"latency_us\": {\"count\": 10, \"p50\": 1000, \"p90\": 2000, \"p99\": 3000, "
	"\"p999\": 4000, \"max\": 5000, \"mean\": 1500}, "
	"\"heartbeat_us\": {\"count\": 10, \"p50\": 1111, \"p90\": 2222, \"p99\": 3333, "
	"\"p999\": 4444, \"max\": 5555, \"mean\": 1234}, "
	"\"connect_us\": {\"count\": 10, \"p50\": 100, \"p99\": 300, \"max\": 500}, "
	"\"stream_p99_us\": {\"count\": 4, \"max\": 7000}, "
	/* tb-web's (a protocol-stack rr flow) */
	"\"ttfb_us\": {\"count\": 10, \"p50\": 150, \"p99\": 350}, "
	"\"handshake_us\": {\"count\": 10, \"p50\": 120, \"p99\": 320}, "
	"\"resumed\": 9, \"early_accepted\": 8, \"tfo_syn_data\": 7, "
	"\"quic\": {\"pkts_lost\": 3, \"pkts_retransmitted\": 2, \"srtt_us\": 50000}, "
	"\"busy_s\": 9.5, \"rwnd_limited_s\": 9, \"cwnd_limited_s\": 0.5, "
	"\"sndbuf_limited_s\": 0, \"reconnect_99_s\": 1.25}\n";
static const char all_server[] =
	"{\"bytes\": 1250000, \"seconds\": 10, \"received\": 99, \"lost\": 1, \"loss_pct\": 1.0, "
	"\"gaps\": 1, \"reordered\": 1, \"duplicated\": 1, \"rss_peak_bytes\": 1000000, "
	"\"vm_peak_bytes\": 2000000, \"threads_max\": 3, \"goodput_bps\": 1e6, "
	"\"mem_peak_bytes\": 1500000, \"procs_max\": 2, \"cpu_s\": 1.5, \"emfile\": 7, "
	"\"accept_pauses\": 3, "
	"\"owd_us\": {\"count\": 99, \"p50\": 20000, \"p99\": 21000}}\n";

static struct tb_config *every_fixture(const char *out)
{
	struct tb_config *c = fixture_config("mem6.conf", conf6, sizeof(conf6) - 1);

	for (int k = 0; k < 6; k++) {
		char dir[256];

		snprintf(dir, sizeof(dir), "%s/runs/c%d-r1", out, k + 1);
		fixture_write(dir, "run.json", "{\"status\": \"complete\"}\n");
		for (size_t f = 0; f < c->n_flows; f++) {
			char rel[128];

			snprintf(rel, sizeof(rel), "flows/%s.json", c->flows[f].name);
			fixture_write(dir, rel, "%s", all_client);
			snprintf(rel, sizeof(rel), "flows/%s.server.json", c->flows[f].name);
			fixture_write(dir, rel, "%s", all_server);
		}
		/* UDP socket rows of every flow whose worker has udp_drops, the
		 * receiver's drops growing, its queue draining */
		fixture_write(dir, "sockets/s1-udp.csv",
			      "t_s,node,flow,family,src,sport,dst,dport,cookie,state,rqueue,wqueue,inode,"
			      "rmem_alloc,rcvbuf,wmem_alloc,sndbuf,fwd_alloc,wmem_queued,optmem,backlog,drops\n"
			      "0.1,s1,udp,4,0.0.0.0,9004,0.0.0.0,0,5,UNCONN,4608,0,9,4608,2304,0,212992,0,0,0,0,3\n"
			      "0.2,s1,udp,4,0.0.0.0,9004,0.0.0.0,0,5,UNCONN,768,0,9,768,2304,0,212992,0,0,0,0,7\n"
			      "0.1,s1,rr,4,0.0.0.0,9000,0.0.0.0,0,6,UNCONN,0,0,9,0,2304,0,212992,0,0,0,0,0\n"
			      "0.1,s1,rrpool,4,0.0.0.0,9001,0.0.0.0,0,7,UNCONN,0,0,9,0,2304,0,212992,0,0,0,0,0\n"
			      "0.1,s1,rrstreams,4,0.0.0.0,9002,0.0.0.0,0,8,UNCONN,0,0,9,0,2304,0,212992,0,0,0,0,"
			      "0\n");
		/* the second interval completed no request */
		fixture_write(dir, "flows/rr.series.jsonl",
			      "{\"t\": 1.0, \"requests\": 5, \"p99_us\": 1100000}\n"
			      "{\"t\": 2.0, \"requests\": 0, \"p99_us\": 0}\n"
			      "{\"t\": 3.0, \"requests\": 4, \"p99_us\": 1200000}\n");
	}
	return c;
}

/* The metrics of the table that summary.json lacks for flow @f of case @k. */
static void missing_metrics(json_t *sum, const struct tb_flow *f, char *buf, size_t len)
{
	buf[0] = 0;
	for (const struct tb_metric *m = metric_table; m->name; m++)
		if (metric_of(m, f->worker) && !metric(sum, 0, f->name, m->name))
			snprintf(buf + strlen(buf), len - strlen(buf), " %s", m->name);
}

/* summary.json lists every metric of the table that a flow's worker
 * produces, idle's p90 and p999 among them. */
static void test_every_metric(const struct tb_config *c, const char *out)
{
	char path[256], miss[512], *md;
	json_t *sum, *m;

	snprintf(path, sizeof(path), "%s/summary.json", out);
	sum = json_load_file(path, 0, NULL);
	for (size_t f = 0; f < c->n_flows; f++) {
		missing_metrics(sum, &c->flows[f], miss, sizeof(miss));
		tap_ok(!miss[0], "summary.json: flow %s (%s) has every metric of its worker%s%s",
		       c->flows[f].name, config_worker_name(c->flows[f].worker),
		       miss[0] ? ", missing:" : "", miss);
	}
	m = metric(sum, 0, "idle", "p90");
	tap_ok(m && near(jd(m, "median"), 0.002222, 1e-12) &&
		       near(jd(metric(sum, 0, "idle", "p999"), "median"), 0.004444, 1e-12),
	       "idle p90 and p999: heartbeat_us in seconds (0.002222, 0.004444)");
	tap_ok(jd(metric(sum, 0, "udp", "goodput"), "median") == 1e6 &&
		       jd(metric(sum, 0, "churn", "hps"), "median") == 2.5 &&
		       jd(metric(sum, 0, "idle", "notice"), "median") == 1.5,
	       "per-worker readers: udp goodput from the receiver, churn hps, idle notice");
	tap_ok(jd(metric(sum, 0, "udp", "udp_drops"), "median") == 7 &&
		       jd(metric(sum, 0, "udp", "udp_rqueue"), "median") == 4608,
	       "udp_drops and udp_rqueue: the largest of the flow's rows in sockets/s1-udp.csv "
	       "(7, 4608)");
	json_decref(sum);
	snprintf(path, sizeof(path), "%s/report.md", out);
	md = fixture_slurp(path);
	tap_ok(md && strstr(md, "### UDP sockets") &&
		       strstr(md, "| # | loss | cc | udp drops | udp max rqueue (B) |") &&
		       strstr(md, "| 7 | 4608 |") && !strstr(md, "rr drops"),
	       "report.md: a UDP sockets table with the udp flow's drops and queue, no rr column");
	free(md);
}

/* report.md's results columns are metrics the table gives their workers. */
static void test_columns(const struct tb_config *c)
{
	for (size_t f = 0; f < c->n_flows; f++) {
		const char *bad = NULL;

		for (const char *const *m = rp_worker_table(&c->flows[f]); *m; m++)
			if (!metric_find(*m, (int)c->flows[f].worker))
				bad = *m;
		tap_ok(!bad, "report.md columns of flow %s are metrics of its worker%s%s",
		       c->flows[f].name, bad ? ": not " : "", bad ? bad : "");
	}
}

static void test_network(const char *out)
{
	char path[256], *md;

	snprintf(path, sizeof(path), "%s/report.md", out);
	md = fixture_slurp(path);
	tap_ok(strstr(md, "## Network") &&
		       strstr(md, "| link | direction | cases | rate | delay | loss | queue |"),
	       "report.md: a Network table with a column per key set");
	tap_ok(strstr(md, "| c1-s1 | c1 → s1 | 1–3 | 10Mbit | 20ms | — | — |") &&
		       strstr(md, "| c1-s1 | c1 → s1 | 4–6 | 10Mbit | 20ms | 1% | — |"),
	       "the direction whose loss is swept: a row per loss, with its cases");
	tap_ok(strstr(md, "| c1-s1 | s1 → c1 | all | 10Mbit | 20ms | — | fq_codel |") != NULL,
	       "the direction the cases shape alike: one row, all cases");
	tap_ok(strstr(md, "\nNot shaped: s1-s2.\n") && !strstr(md, "| s1-s2 |"),
	       "a link no case shapes: named below the table, not in it");
	if (!strstr(md, "| c1-s1 | s1 → c1 |"))
		tap_diag("%s", md);
	free(md);
}

/* An interval that completed no request is a gap in the latency plot. */
static void test_latency_gap(const char *out, bool plots)
{
	char path[256], *dat, *line, *save = NULL;
	bool zero = false;

	snprintf(path, sizeof(path), "%s/plots/rr_latency.dat", out);
	dat = fixture_slurp(path);
	tap_ok(strstr(dat, "2.000000 NaN\n") && strstr(dat, "1.000000 1100\n") &&
		       strstr(dat, "3.000000 1200\n"),
	       "rr_latency.dat: the empty interval is NaN, the others their p99 in ms");
	for (line = strtok_r(dat, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		zero = zero || !strcmp(strchr(line, ' ') ? strchr(line, ' ') + 1 : "", "0");
	tap_ok(!zero, "rr_latency.dat: no interval drawn as 0 ms");
	free(dat);
	if (access("/usr/bin/gnuplot", X_OK) == 0)
		tap_ok(plots, "gnuplot renders the plots with the gap");
	else
		tap_skip("gnuplot not installed");
}

static void test_every_worker(void)
{
	struct report_outcome o;
	struct tb_config *c;
	char out[128];

	snprintf(out, sizeof(out), "%s/out6", root);
	c = every_fixture(out);
	tap_ok(report_write(c, out, &o) == 0, "report of every worker");
	test_every_metric(c, out);
	test_columns(c);
	test_network(out);
	test_latency_gap(out, o.plots);
	report_outcome_free(&o);
	config_free(c);
}

static double h2num(json_t *o, const char *a, const char *b)
{
	json_t *x = json_object_get(o, a);

	x = b ? json_object_get(x, b) : x;
	return json_is_number(x) ? json_number_value(x) : NAN;
}

static bool h2near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

static json_t *h2load_fixture(const char *name)
{
	char path[256], *text;
	json_t *o;

	snprintf(path, sizeof(path), "tests/fixtures/h2load/%s", name);
	text = tb_file_read(path, 1 << 20, NULL);
	if (!text)
		tap_diag("cannot read %s", path);
	o = text ? rp_h2load_parse(text) : NULL;
	free(text);
	return o;
}

/* output = h2load: real outputs of h2load 1.52 (Debian 12) against nginx,
 * HTTP/2 with 8 streams and HTTP/1.1 over 6 connections, and one whose
 * every request failed: the summary's numbers in seconds, bytes, per
 * second; text that is no summary gives nothing. */
static void test_h2load(void)
{
	json_t *o = h2load_fixture("h2-c1-m8.txt");

	tap_ok(o && h2near(h2num(o, "requests", "succeeded"), 96) &&
		       h2near(h2num(o, "requests", "failed"), 0) && h2near(h2num(o, "status", "2xx"), 96),
	       "h2: requests 96 succeeded, 0 failed, status 2xx 96");
	tap_ok(h2near(h2num(o, "time", NULL), 0.94869) && h2near(h2num(o, "req_per_s", NULL), 101.19) &&
		       h2near(h2num(o, "bytes_per_s", NULL), 1.59 * 1048576),
	       "h2: finished in 948.69ms, 101.19 req/s, 1.59MB/s (binary MB)");
	tap_ok(h2near(h2num(o, "request", "min"), 0.05092) && h2near(h2num(o, "request", "max"), 0.20879) &&
		       h2near(h2num(o, "request", "mean"), 0.0677) &&
		       h2near(h2num(o, "request", "sd"), 0.03407) &&
		       h2near(h2num(o, "request", "within_sd"), 89.58),
	       "h2: time for request min/max/mean/sd in seconds, +/- sd in %%");
	tap_ok(h2near(h2num(o, "connect", "mean"), 0.10947) && h2near(h2num(o, "connect", "sd"), 0) &&
		       h2near(h2num(o, "first_byte", "max"), 0.21158) &&
		       h2near(h2num(o, "client_req_per_s", "mean"), 101.32),
	       "h2: connect, 1st byte (0us is 0), per-client req/s");
	tap_ok(h2near(h2num(o, "traffic", "total"), 1586065) &&
		       h2near(h2num(o, "traffic", "headers"), 10560) &&
		       h2near(h2num(o, "traffic", "data"), 1572864) &&
		       h2near(h2num(o, "traffic", "space_savings"), 39.23),
	       "h2: traffic in exact bytes, header space savings");
	json_decref(o);
	o = h2load_fixture("h1-c6.txt");
	tap_ok(o && h2near(h2num(o, "requests", "succeeded"), 96) &&
		       h2near(h2num(o, "connect", "sd"), 0.00133) &&
		       h2near(h2num(o, "request", "max"), 0.1011) &&
		       h2near(h2num(o, "traffic", "space_savings"), 0),
	       "h1 over 6 connections: 96 succeeded, connect sd 1.33ms, request max 101.10ms");
	json_decref(o);
	o = h2load_fixture("failed.txt");
	tap_ok(o && h2near(h2num(o, "requests", "failed"), 96) &&
		       h2near(h2num(o, "requests", "errored"), 96) &&
		       h2near(h2num(o, "requests", "succeeded"), 0) &&
		       h2near(h2num(o, "bytes_per_s", NULL), 0) && h2near(h2num(o, "request", "max"), 0),
	       "every request failed: 96 failed and errored, 0 B/s, times 0");
	json_decref(o);
	o = rp_h2load_parse("starting benchmark...\nspawning thread #0: 1 total client(s).\n");
	tap_ok(!o, "an h2load that never finished has no values");
	json_decref(o);
	o = rp_h2load_parse("finished in 1.50s, 2.00 req/s, 3.00KB/s\nrequests: 3 total, 3 started, "
			    "3 done, 3 succeeded, 0 failed, 0 errored, 0 timeout\ntime for request:  "
			    "  900us       1.20s    610.00ms     12us    50.00%\n");
	tap_ok(o && h2near(h2num(o, "time", NULL), 1.5) && h2near(h2num(o, "bytes_per_s", NULL), 3072) &&
		       h2near(h2num(o, "request", "min"), 0.0009) &&
		       h2near(h2num(o, "request", "max"), 1.2) &&
		       h2near(h2num(o, "request", "sd"), 12e-6),
	       "units us, ms, s and KB/s");
	json_decref(o);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/tb-report-XXXXXX");
	if (!mkdtemp(root))
		tap_bail("mkdtemp: %s", strerror(errno));
	test_stats();
	test_fixture();
	test_cli();
	test_numeric_sweep();
	test_cfg_per_case();
	test_guest_stalls();
	test_interrupted();
	test_every_worker();
	test_h2load();
	if (!getenv("TB_KEEP"))
		fixture_remove(root);
	else
		tap_diag("kept %s", root);
	return tap_done();
}
