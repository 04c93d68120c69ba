/* testbed check FILE...: parse and validate, no root, no side effects. */
#include <stdio.h>
#include <string.h>

#include "net/check.h"
#include "cli.h"
#include "config/config.h"
#include "net/qdisc.h"
#include "net/qdisc_ops.h"

/* Will this experiment likely run in the UML guest? Without probing the
 * kernel (check has no side effects): forced by the file, or "auto" with a
 * qdisc that minimal kernels (like this project's CI hosts) lack, as its
 * ops entry says. */
static bool likely_uml(const struct tb_config *c)
{
	if (c->exp.kernel == TB_KERNEL_UML)
		return true;
	if (c->exp.kernel == TB_KERNEL_HOST)
		return false;
	for (size_t l = 0; l < c->n_links; l++) {
		for (int d = 0; d < 2; d++) {
			const struct tb_shape *sh = &c->links[l].dir[d];
			const char *kinds[3];
			int n = qdisc_kinds(sh, qdisc_parts_needed(sh), kinds);

			for (int i = 0; i < n; i++)
				if (qdisc_ops_find(kinds[i])->ci_lacks)
					return true;
		}
	}
	return false;
}

int cmd_check(int argc, char **argv)
{
	struct tb_diag d = { 0 };
	int rc = TB_EXIT_OK;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		FILE *f = argc < 2 ? stderr : stdout;

		fprintf(f, "Usage: testbed check FILE...\n\n"
			   "Parse and validate topology and experiment files: every error of every\n"
			   "file as FILE:LINE:COL: error: MESSAGE, and warnings about shaping known to\n"
			   "mislead. Needs no root and touches nothing. Prints nothing and exits 0\n"
			   "when the files are good; exits 2 when one is not.\n");
		return argc < 2 ? TB_EXIT_USAGE : TB_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		size_t before = diag_errors(&d);
		struct tb_config *c = check_load(argv[i], &d);

		if (c && diag_errors(&d) == before)
			qdisc_check_plan(c, likely_uml(c), &d);
		config_free(c);
	}
	diag_print(&d, stderr);
	if (diag_errors(&d))
		rc = TB_EXIT_USAGE;
	diag_free(&d);
	return rc;
}
