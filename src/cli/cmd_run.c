/* testbed run FILE: the arguments, the file as check sees it, where it runs
 * (this kernel or a User-Mode Linux guest), its output directory, then the
 * experiment (run/). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "net/check.h"
#include "report/junit.h"
#include "run/run.h"
#include "run/shard.h"
#include "util/units.h"
#include "util/util.h"
#include "vm/vm.h"

static const char usage_text[] =
	"Usage: testbed run FILE [--duration TIME] [--repeat N] [--out DIR]\n"
	"                        [--kernel auto|host|uml] [--shard K/N] [--junit FILE]\n"
	"                        [--quiet]\n\n"
	"Run an experiment: every case of its sweeps, each repeated, in an order shuffled\n"
	"by the experiment's seed; each run builds a fresh network and tears it down.\n"
	"Progress goes to stderr; the run directory is the last line of stdout:\n"
	"capture/<experiment>/<timestamp>-<id>/ (or --out) with manifest.json,\n"
	"summary.json, report.md, plots/ and runs/c<CASE>-r<REPEAT>/.\n\n"
	"  --duration TIME   measured time of each run (flows' and events' times\n"
	"                    scale with it, keeping their share of the run)\n"
	"  --repeat N        runs per case\n"
	"  --out DIR         output directory (created; must not exist or be empty:\n"
	"                    a run never writes over another; exit 2 otherwise)\n"
	"  --kernel K        auto (host kernel when it has every qdisc and congestion\n"
	"                    control needed, else a User-Mode Linux guest), host, uml\n"
	"  --shard K/N       only shard K (1-based) of N: the runs at positions p of the\n"
	"                    shuffled order with p mod N = K-1. N machines given the\n"
	"                    same file, seed and testbed version run disjoint runs that\n"
	"                    together are the unsharded run's; the manifest records the\n"
	"                    shard and a fingerprint, and `testbed merge` combines the\n"
	"                    directories (docs/scale-out.md). A shard's report covers\n"
	"                    its runs; its exit status ignores the expectations\n"
	"  --junit FILE      also write the verdicts as JUnit XML for CI: a testcase\n"
	"                    per expectation and combination of its swept values\n"
	"  --quiet           no progress\n\n"
	"A guest runs on one host CPU (TB_UML_CPU=N|any, see testbed guest --help);\n"
	"report.md tells stalls of the host from a guest that fell behind.\n\n"
	"Exit status: 0 every expectation held, 1 one did not (or a run failed),\n"
	"2 bad file or usage, 3 environment (not root, missing kernel feature, a\n"
	"write that failed), 128+N stopped by signal N (130: Ctrl-C; the directory is\n"
	"marked incomplete and its report covers the runs that completed).\n";

struct run_args {
	const char *file, *out, *kernel, *junit;
	uint64_t dur_us, repeat;
	struct run_shard shard; /* n == 0: every run */
	bool quiet;
};

/* Option @opt (with optarg) into @a: -1 to go on, else the exit code. */
static int take_option(int opt, struct run_args *a)
{
	const char *why = "";

	switch (opt) {
	case 'd':
		if (units_time(optarg, &a->dur_us, &why) || a->dur_us < 100000) {
			tb_err("run: --duration \"%s\": %s", optarg, *why ? why : "at least 100ms");
			return TB_EXIT_USAGE;
		}
		return -1;
	case 'r':
		if (units_count(optarg, &a->repeat, &why) || a->repeat < 1 || a->repeat > 1000) {
			tb_err("run: --repeat \"%s\": expected 1..1000", optarg);
			return TB_EXIT_USAGE;
		}
		return -1;
	case 's':
		if (shard_parse(optarg, &a->shard, &why)) {
			tb_err("run: --shard \"%s\": %s", optarg, why);
			return TB_EXIT_USAGE;
		}
		return -1;
	case 'o':
		a->out = optarg;
		return -1;
	case 'k':
		a->kernel = optarg;
		return -1;
	case 'j':
		a->junit = optarg;
		return -1;
	case 'q':
		a->quiet = true;
		return -1;
	case 'h':
		fputs(usage_text, stdout);
		return TB_EXIT_OK;
	}
	fputs(usage_text, stderr);
	return TB_EXIT_USAGE;
}

/* -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option lo[] = {
		{ "duration", required_argument, NULL, 'd' }, { "repeat", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },      { "kernel", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },	      { "help", no_argument, NULL, 'h' },
		{ "shard", required_argument, NULL, 's' },    { "junit", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "qh", lo, NULL)) != -1)
		if ((rc = take_option(opt, a)) >= 0)
			return rc;
	if (optind != argc - 1) {
		fputs(usage_text, stderr);
		return TB_EXIT_USAGE;
	}
	a->file = argv[optind];
	return -1;
}

/* The experiment as check sees it, with --duration and --repeat applied. */
static struct tb_config *load(const struct run_args *a)
{
	struct tb_diag d = { 0 };
	struct tb_config *c = check_load(a->file, &d);

	if (!vm_in_guest() || diag_errors(&d)) /* in a guest, the host has warned */
		diag_print(&d, stderr);
	if (c && !diag_errors(&d) && !c->exp.present)
		tb_err("run: %s is a topology, not an experiment (try 'testbed up')", a->file);
	if (!c || diag_errors(&d) || !c->exp.present) {
		diag_free(&d);
		config_free(c);
		return NULL;
	}
	diag_free(&d);
	run_apply_overrides(c, a->dur_us, (unsigned)a->repeat);
	return c;
}

/* What must hold before anything is built. */
static int preflight(const struct run_args *a)
{
	int rc = a->out && !vm_in_guest() ? run_out_free(a->out) : 0;

	if (rc < 0) {
		tb_err("run: --out %s: %s: give a new directory (a run never writes over another)",
		       a->out, rc == -ENOTEMPTY ? "not empty" : strerror(-rc));
		return TB_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		tb_err("run: needs root (network namespaces, veth, qdiscs): run it with sudo");
		return TB_EXIT_ENV;
	}
	return 0;
}

static int take_outdir(const struct tb_config *c, const char *out, char *dir, size_t len)
{
	int rc = run_take_outdir(c, out, dir, len);

	if (rc == -EBUSY)
		tb_err("run: %s: another run took it", dir);
	else if (rc < 0)
		tb_err("run: cannot create the output directory %s: %s", dir, strerror(-rc));
	return rc == 0 ? 0 : rc == -EBUSY ? TB_EXIT_USAGE : TB_EXIT_ENV;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	struct vm_needs vn = { 0 };
	enum vm_tier tier = VM_TIER_HOST;
	struct tb_config *c;
	char dir[PATH_MAX];
	struct vm_opts vo;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	c = load(&a);
	if (!c)
		return TB_EXIT_USAGE;
	rc = preflight(&a);
	if (!rc) {
		run_needs(c, &vn);
		vm_opts_init(&vo);
		rc = vm_choose_tier(a.kernel ? a.kernel : config_kernel_name(c->exp.kernel), &vo, &vn,
				    &tier);
	}
	if (!rc)
		rc = take_outdir(c, a.out, dir, sizeof(dir));
	if (!rc) {
		rc = tier == VM_TIER_UML ? run_guest(c, argc, argv, dir, &vn, a.quiet)
					 : run_host(c, dir, &a.shard, a.quiet);
		/* the host writes them once the guest is gone */
		if (!vm_in_guest() && a.junit && junit_from_outdir(dir, a.junit) < 0 && !rc)
			rc = TB_EXIT_ENV;
		if (!vm_in_guest())
			printf("%s\n", dir);
	}
	run_needs_free(&vn);
	config_free(c);
	return rc;
}
