/* testbed merge DIR... --out DIR: shard directories of one experiment
 * (`testbed run --shard K/N`) combined into one run directory (run/merge.c),
 * then its report, written by `testbed report`'s own code. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run/shard.h"
#include "util/util.h"

static const char usage_text[] =
	"Usage: testbed merge DIR... --out DIR [--partial]\n\n"
	"Combine the run directories of the shards of one experiment (testbed run\n"
	"FILE --shard K/N) into one run directory with the layout, manifest.json,\n"
	"summary.json, report.md and plots of an unsharded run; `testbed report`\n"
	"works on it. The output directory must not exist or be empty. Refuses\n"
	"shards run by different testbed versions, with different seeds, of\n"
	"different experiments (the fingerprint in manifest.json: the resolved file,\n"
	"seed, duration and repeats), a run held by two directories and, without\n"
	"--partial, runs that no directory holds. See docs/scale-out.md.\n\n"
	"  --out DIR    the merged run directory (created)\n"
	"  --partial    merge what there is: the runs in no shard are listed as\n"
	"               missing, the report says so, and the experiment counts as\n"
	"               incomplete (its expectations are not held)\n\n"
	"Exit status: 0 merged and every expectation held, 1 one did not, 2 refused\n"
	"or bad usage (the message names the directories), 3 a file could not be\n"
	"read or written.\n";

struct merge_args {
	const char *out;
	bool partial;
};

/* -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct merge_args *a)
{
	static const struct option lo[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "partial", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (opt == 'o') {
			a->out = optarg;
		} else if (opt == 'p') {
			a->partial = true;
		} else if (opt == 'h') {
			fputs(usage_text, stdout);
			return TB_EXIT_OK;
		} else {
			fputs(usage_text, stderr);
			return TB_EXIT_USAGE;
		}
	}
	if (optind >= argc || !a->out) {
		tb_err("merge: %s", optind >= argc ? "give the shard directories"
						   : "give the merged directory with --out DIR");
		fputs(usage_text, stderr);
		return TB_EXIT_USAGE;
	}
	return -1;
}

int cmd_merge(int argc, char **argv)
{
	struct merge_args a = { 0 };
	struct merge_result res;
	char *report[] = { "report", NULL, NULL };
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	rc = merge_dirs(argv + optind, (size_t)(argc - optind), a.out, a.partial, &res);
	if (rc) {
		tb_err("merge: %s", res.why ? res.why : strerror(-rc));
		merge_result_free(&res);
		return rc == -EINVAL || rc == -ENOTEMPTY || rc == -ENOTDIR || rc == -ENOENT
			       ? TB_EXIT_USAGE
			       : TB_EXIT_ENV;
	}
	if (res.missing)
		tb_warn("merge: a partial merge: %s of %zu runs in no shard; the report says so",
			res.missing, res.n_runs);
	if (res.kernels)
		tb_warn("merge: the shards ran on different kernels (%s): their numbers may "
			"differ for that reason alone",
			res.kernels);
	fprintf(stderr, "testbed: merged %zu of %zu runs from %d directories into %s\n",
		res.n_merged, res.n_runs, argc - optind, a.out);
	merge_result_free(&res);
	report[1] = (char *)a.out;
	rc = cmd_report(2, report);
	printf("%s\n", a.out);
	return rc;
}
