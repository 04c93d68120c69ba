/* testbed trace: synthetic Mahimahi traces and a trace's rates.
 *   testbed trace gen KIND ARGS... [-d DURATION] -o FILE
 *   testbed trace rates FILE [STEP]
 * The format and the generator are config/trace.h's; a run follows a trace
 * as docs/shaping.md says. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config/trace.h"
#include "util/units.h"
#include "util/util.h"

/* One row per kind: its arguments, for parsing and for the help. */
static const struct {
	const char *args;
	int nargs;
	const char *help;
} kinds[] = {
	[TB_TRACE_CONSTANT] = { "RATE", 1, "RATE throughout (default duration 1s)" },
	[TB_TRACE_STEP] = { "RATE1 RATE2 AT", 3, "RATE1, then RATE2 from time AT (default 2 x AT)" },
	[TB_TRACE_SQUARE] = { "RATE1 RATE2 PERIOD", 3,
			      "RATE1 for half of each PERIOD, RATE2 for the other half "
			      "(default one PERIOD)" },
	[TB_TRACE_WALK] = { "MEAN SPREAD SEED", 3,
			    "a random walk around MEAN, SPREAD its standard deviation, a new "
			    "rate every 100 ms; the same SEED, the same file (default 60s)" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: testbed trace gen KIND ARGS... [-d DURATION] -o FILE\n"
		   "       testbed trace rates FILE [STEP]\n\n"
		   "gen writes a Mahimahi packet-delivery trace (one line per delivery\n"
		   "opportunity of one %u-byte packet, integer milliseconds; the file repeats\n"
		   "with its last time as the period) for `trace = FILE` on a link direction.\n"
		   "Rates as in files (10mbit), times with a unit (5s). -o - is stdout.\nKinds:\n",
		TB_TRACE_PACKET);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		fprintf(f, "  %-8s %-20s %s\n", trace_kind_names[i], kinds[i].args, kinds[i].help);
	fprintf(f, "\nrates prints each STEP (default 100ms) of one period: its start in\n"
		   "seconds and the trace's capacity in bit/s. A run changes the link's htb\n"
		   "rate every %u ms to the trace's (docs/shaping.md).\n",
		TB_TRACE_STEP_MS);
}

static int bad(const char *what, const char *v, const char *why)
{
	tb_err("trace gen: %s \"%s\": %s", what, v, why);
	return TB_EXIT_USAGE;
}

/* The kind's arguments @a into @g; an exit code, 0 when fine. */
static int gen_args(struct tb_trace_gen *g, char **a)
{
	const char *why = "";
	uint64_t us;

	if (g->kind == TB_TRACE_WALK) {
		if (units_rate(a[0], &g->rate1, &why))
			return bad("MEAN", a[0], why);
		if (units_rate(a[1], &g->rate2, &why))
			return bad("SPREAD", a[1], why);
		if (units_count(a[2], &g->seed, &why))
			return bad("SEED", a[2], why);
		g->duration_ms = 60000;
		return 0;
	}
	if (units_rate(a[0], &g->rate1, &why))
		return bad("RATE", a[0], why);
	g->duration_ms = 1000;
	if (g->kind == TB_TRACE_CONSTANT)
		return 0;
	if (units_rate(a[1], &g->rate2, &why))
		return bad("RATE2", a[1], why);
	if (units_time(a[2], &us, &why))
		return bad(g->kind == TB_TRACE_STEP ? "AT" : "PERIOD", a[2], why);
	if (us < 2000)
		return bad(g->kind == TB_TRACE_STEP ? "AT" : "PERIOD", a[2], "below 2ms");
	g->at_ms = us / 1000;
	g->duration_ms = g->kind == TB_TRACE_STEP ? 2 * g->at_ms : g->at_ms;
	return 0;
}

static int find_kind(const char *name)
{
	for (int i = 0; trace_kind_names[i]; i++)
		if (!strcmp(trace_kind_names[i], name))
			return i;
	return -1;
}

/* Write @g to @out ("-": stdout). */
static int gen_write(const struct tb_trace_gen *g, const char *out)
{
	FILE *f = strcmp(out, "-") ? fopen(out, "w") : stdout;
	long n;

	if (!f) {
		tb_err("trace gen: cannot create %s: %s", out, strerror(errno));
		return TB_EXIT_FAIL;
	}
	n = trace_generate(g, f);
	if (f != stdout && fclose(f) && n >= 0)
		n = -errno;
	if (n < 0) {
		tb_err("trace gen: cannot write %s: %s", out, strerror((int)-n));
		return TB_EXIT_FAIL;
	}
	return TB_EXIT_OK;
}

static int cmd_gen(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
					      { "duration", required_argument, NULL, 'd' },
					      { "output", required_argument, NULL, 'o' },
					      { NULL, 0, NULL, 0 } };
	struct tb_trace_gen g = { 0 };
	const char *out = NULL, *dur = NULL, *why = "";
	uint64_t us;
	int c, k, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "hd:o:", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return TB_EXIT_OK;
		}
		if (c == '?')
			return TB_EXIT_USAGE;
		*(c == 'd' ? &dur : &out) = optarg;
	}
	if (optind >= argc || (k = find_kind(argv[optind])) < 0) {
		tb_err("trace gen: give a kind: constant, step, square or walk (see --help)");
		return TB_EXIT_USAGE;
	}
	g.kind = (enum tb_trace_kind)k;
	if (argc - optind - 1 != kinds[k].nargs) {
		tb_err("trace gen %s: takes %s (see --help)", argv[optind], kinds[k].args);
		return TB_EXIT_USAGE;
	}
	if ((rc = gen_args(&g, argv + optind + 1)))
		return rc;
	if (dur && (units_time(dur, &us, &why) || us < 1000 || us > TB_TRACE_MAX_MS * 1000ull))
		return bad("duration", dur, *why ? why : "between 1ms and a day");
	if (dur)
		g.duration_ms = us / 1000;
	if (!out) {
		tb_err("trace gen: give -o FILE (- for stdout)");
		return TB_EXIT_USAGE;
	}
	return gen_write(&g, out);
}

static int cmd_rates(int argc, char **argv)
{
	struct tb_trace t;
	struct tb_diag d = { 0 };
	const char *why = "";
	uint64_t us = 100000;

	if (argc < 2 || argc > 3 || (argc == 3 && (units_time(argv[2], &us, &why) || us < 1000))) {
		tb_err("trace rates: takes FILE [STEP] (STEP 1ms or more%s%s)", *why ? ": " : "", why);
		return TB_EXIT_USAGE;
	}
	if (trace_load(argv[1], NULL, &t, &d)) {
		diag_print(&d, stderr);
		diag_free(&d);
		return TB_EXIT_USAGE;
	}
	for (uint64_t k = 0; k * (us / 1000) < t.period_ms; k++) {
		uint64_t n = trace_count(&t, k * (us / 1000), (k + 1) * (us / 1000));

		printf("%.3f %llu\n", (double)k * (double)us / 1e6,
		       (unsigned long long)(n * TB_TRACE_PACKET * 8 * 1000000 / us));
	}
	trace_free(&t);
	return TB_EXIT_OK;
}

int cmd_trace(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? TB_EXIT_USAGE : TB_EXIT_OK;
	}
	if (!strcmp(argv[1], "gen"))
		return cmd_gen(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rates"))
		return cmd_rates(argc - 1, argv + 1);
	tb_err("trace: unknown subcommand \"%s\" (gen or rates; see --help)", argv[1]);
	return TB_EXIT_USAGE;
}
