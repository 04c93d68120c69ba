/* testbed report OUTDIR: summary.json, report.md and plots written again
 * for an existing output directory, its expectations re-evaluated. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "config/config.h"
#include "report/report.h"
#include "util/util.h"

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
