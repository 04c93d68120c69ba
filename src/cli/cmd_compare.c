/* testbed compare BASE NEW: the before/after table (report/compare.c),
 * the --fail-if gates and JUnit. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config/config.h"
#include "report/compare.h"
#include "report/junit.h"
#include "util/util.h"

#define MAX_FAIL_IF 64

static const char usage_text[] =
	"Usage: testbed compare BASE NEW [--json] [--fail-if EXPR]... [--force]\n"
	"                                [--junit FILE]\n\n"
	"Compare two runs of one experiment, each a run directory or its summary.json:\n"
	"per case (matched by its sweep values) and flow, node or process, every\n"
	"statistic both have: the two medians over the repeats, the change in percent\n"
	"and whether it is significant (the two 95% confidence intervals of the\n"
	"repeats do not overlap; \"n/a (1 run)\" without repeats). Settings of the\n"
	"experiments that differ are listed. Markdown on stdout, or JSON with --json.\n\n"
	"  --fail-if EXPR  an expectation evaluated on NEW, where base(METRIC(...))\n"
	"                  reads BASE, e.g.\n"
	"                  'goodput(bulk, cc=bbr) < 0.9 * base(goodput(bulk, cc=bbr))';\n"
	"                  exit 1 when it holds at some combination of the swept values\n"
	"                  no metric selects, or cannot be decided (no data). Repeatable.\n"
	"                  Needs run directories (it reads the runs).\n"
	"  --force         compare runs of different experiments (another name, other\n"
	"                  flows or swept keys) instead of refusing them\n"
	"  --junit FILE    JUnit XML: a testcase per --fail-if\n"
	"  --json          the comparison as JSON (docs/compare.md)\n\n"
	"Exit status: 0 no --fail-if held, 1 one held or could not be decided,\n"
	"2 bad usage, unreadable runs, a bad expression, or different experiments\n"
	"without --force.\n";

struct cmp_args {
	const char *base, *new_, *junit;
	const char *fail_if[MAX_FAIL_IF];
	size_t n_fail_if;
	bool json, force;
};

/* -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct cmp_args *a)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'J' },	  { "fail-if", required_argument, NULL, 'F' },
		{ "force", no_argument, NULL, 'f' },	  { "junit", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },	  { NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'J':
			a->json = true;
			break;
		case 'F':
			if (a->n_fail_if == MAX_FAIL_IF) {
				tb_err("compare: at most %d --fail-if", MAX_FAIL_IF);
				return TB_EXIT_USAGE;
			}
			a->fail_if[a->n_fail_if++] = optarg;
			break;
		case 'f':
			a->force = true;
			break;
		case 'j':
			a->junit = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return TB_EXIT_OK;
		default:
			fputs(usage_text, stderr);
			return TB_EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		fputs(usage_text, stderr);
		return TB_EXIT_USAGE;
	}
	a->base = argv[optind];
	a->new_ = argv[optind + 1];
	return -1;
}

/* Each --fail-if parsed against NEW's experiment into @ex; 0, or -1 after
 * printing the problems (FILE:LINE:COL is --fail-if:N:COL). */
static int parse_gates(const struct cmp_args *a, const struct tb_config *nc, struct tb_expect *ex)
{
	struct tb_diag d = { 0 };
	int bad = 0;

	for (size_t i = 0; i < a->n_fail_if; i++) {
		struct tb_loc loc = { "--fail-if", (int)i + 1, 1 };

		snprintf(ex[i].name, sizeof(ex[i].name), "fail-if");
		bad |= config_expect_parse(nc, &ex[i], a->fail_if[i], &loc, &d) < 0;
	}
	diag_print(&d, stderr);
	diag_free(&d);
	return bad ? -1 : 0;
}

/* The --fail-if verdicts into @cmp; the exit code, 0 when none failed. */
static int gates(const struct cmp_args *a, const struct compare_input *b,
		 const struct compare_input *n, json_t *cmp)
{
	struct tb_diag d = { 0 };
	struct tb_config *bc = b->dir ? cli_recorded_config(b->dir, NULL, &d) : NULL;
	struct tb_config *nc = n->dir ? cli_recorded_config(n->dir, NULL, &d) : NULL;
	struct tb_expect ex[MAX_FAIL_IF] = { 0 };
	int rc = TB_EXIT_USAGE;

	diag_free(&d);
	if ((!bc && b->dir) || (!nc && n->dir))
		goto out;
	if (!nc || !bc) {
		tb_err("compare: --fail-if reads the runs: give run directories (%s has no "
		       "manifest.json beside it)", nc ? b->summary_path : n->summary_path);
		goto out;
	}
	if (parse_gates(a, nc, ex) < 0 || compare_gate(cmp, b, bc, n, nc, ex, a->n_fail_if) < 0)
		goto out;
	rc = json_integer_value(json_object_get(cmp, "fail_if_failed")) ? TB_EXIT_FAIL : TB_EXIT_OK;
out:
	for (size_t i = 0; i < a->n_fail_if; i++)
		config_expect_free(&ex[i]);
	config_free(bc);
	config_free(nc);
	return rc;
}

/* JUnit when asked (first: a reader that stops reading stdout early does
 * not lose it), the table on stdout, the failed gates on stderr. */
static int output(const struct cmp_args *a, json_t *cmp, int rc)
{
	json_t *g = json_object_get(cmp, "fail_if"), *x;
	size_t i;

	if (a->junit && junit_from_compare(cmp, a->junit) < 0)
		rc = TB_EXIT_FAIL;
	if (a->json) {
		json_dumpf(cmp, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
		fputc('\n', stdout);
	} else {
		compare_markdown(stdout, cmp);
	}
	json_array_foreach(g, i, x)
		if (json_is_true(json_object_get(x, "fired")) ||
		    json_is_true(json_object_get(x, "undecided")))
			tb_err("--fail-if '%s' %s", json_string_value(json_object_get(x, "expression")),
			       json_string_value(json_object_get(x, "message")));
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_input b = { 0 }, n = { 0 };
	struct cmp_args a = { 0 };
	json_t *cmp = NULL;
	char *why = NULL;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	rc = TB_EXIT_USAGE;
	if (compare_open(a.base, &b) < 0 || compare_open(a.new_, &n) < 0)
		goto out;
	why = compare_mismatch(&b, &n);
	if (why && !a.force) {
		tb_err("compare: %s and %s are not runs of the same experiment: %s (--force "
		       "compares them anyway)", a.base, a.new_, why);
		goto out;
	}
	if (why)
		tb_warn("compare: not the same experiment: %s", why);
	cmp = compare_table(&b, &n);
	json_object_set_new(cmp, "mismatch", why ? json_string(why) : json_null());
	rc = a.n_fail_if ? gates(&a, &b, &n, cmp) : TB_EXIT_OK;
	if (rc != TB_EXIT_USAGE)
		rc = output(&a, cmp, rc);
out:
	json_decref(cmp);
	free(why);
	compare_close(&b);
	compare_close(&n);
	return rc;
}
