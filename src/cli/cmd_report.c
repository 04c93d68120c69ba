/* testbed report OUTDIR: summary.json, report.md and plots written again
 * for an existing output directory, its expectations re-evaluated. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "config/config.h"
#include "report/junit.h"
#include "report/report.h"
#include "util/util.h"

static void report_usage(FILE *f)
{
	fprintf(f, "Usage: testbed report OUTDIR [--file EXPERIMENT.conf] [--junit FILE]\n\n"
		   "Regenerate summary.json, report.md and plots/ of the output directory of a\n"
		   "`testbed run`, re-evaluating the expectations. The experiment is the one the\n"
		   "run recorded in OUTDIR/manifest.json (the files' texts as they were read:\n"
		   "editing, moving or deleting them since changes nothing), unless --file\n"
		   "gives another (new expectations for old data). Needs no root.\n"
		   "--junit FILE also writes the verdicts as JUnit XML: a testcase per\n"
		   "expectation and combination of its swept values (docs/compare.md).\n\n"
		   "Exit status: 0 every expectation held, 1 one did not (or the report could not\n"
		   "be written), 2 bad usage or a bad experiment file.\n");
}

/* The experiment as the run recorded it: the files' texts in manifest.json
 * "sources" (older runs: the file it names, as it is now), or @file; with
 * the run's own duration and repeat count. NULL after printing why. */
struct tb_config *cli_recorded_config(const char *outdir, const char *file, struct tb_diag *d)
{
	char *mpath = xasprintf("%s/manifest.json", outdir);
	struct tb_source src[2] = { 0 };
	struct tb_config *c = NULL;
	json_error_t je;
	json_t *m = json_load_file(mpath, 0, &je), *s;
	json_int_t repeat;
	double dur_s;
	size_t i;

	if (!m && !file) {
		tb_err("report: %s: %s (give the experiment with --file)", mpath, je.text);
		goto out;
	}
	json_array_foreach(json_object_get(m, "sources"), i, s)
		if (i < 2) {
			src[i].path = (char *)json_string_value(json_object_get(s, "path"));
			src[i].text = (char *)json_string_value(json_object_get(s, "text"));
		}
	if (!file && !(src[0].path && src[0].text))
		file = json_string_value(json_object_get(m, "file"));
	if (!file && !(src[0].path && src[0].text)) {
		tb_err("report: %s records no experiment (give it with --file)", mpath);
		goto out;
	}
	c = file ? config_load(file, d) : config_load_sources(src, d);
	diag_print(d, stderr);
	if (!c || diag_errors(d)) {
		tb_err("report: %s: cannot use this experiment", file ? file : mpath);
		config_free(c);
		c = NULL;
		goto out;
	}
	dur_s = json_number_value(json_object_get(m, "duration_s"));
	repeat = json_integer_value(json_object_get(m, "repeat"));
	if (dur_s > 0)
		config_set_duration(c, (uint32_t)(dur_s * 1e6 + 0.5));
	if (repeat > 0)
		c->exp.repeat = (unsigned)repeat;
out:
	json_decref(m);
	free(mpath);
	return c;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = { { "file", required_argument, NULL, 'f' },
					      { "junit", required_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *file = NULL, *junit = NULL;
	struct tb_diag d = { 0 };
	struct tb_config *c;
	struct report_outcome o = { 0 };
	int ch, ret;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'j':
			junit = optarg;
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
	c = cli_recorded_config(argv[optind], file, &d);
	diag_free(&d);
	if (!c)
		return TB_EXIT_USAGE;
	if (report_write(c, argv[optind], &o) < 0) {
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
	if (junit && junit_from_outdir(argv[optind], junit) < 0)
		ret = TB_EXIT_FAIL;
out:
	report_outcome_free(&o);
	config_free(c);
	return ret;
}
