/* testbed check FILE...: parse and validate, no root, no side effects. */
#include <stdio.h>
#include <string.h>

#include "net/check.h"
#include "cli.h"
#include "config/config.h"
#include "run/run.h"

int cmd_check(int argc, char **argv)
{
	struct tb_diag d = { 0 };
	int rc = TB_EXIT_OK;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		FILE *f = argc < 2 ? stderr : stdout;

		fprintf(f, "Usage: testbed check FILE...\n\n"
			   "Parse and validate topology and experiment files: every error of every\n"
			   "file as FILE:LINE:COL: error: MESSAGE, and warnings about shaping known to\n"
			   "mislead and about what no kernel tier here offers. Needs no root and\n"
			   "touches nothing. Prints nothing and exits 0 when the files are good (also\n"
			   "with warnings alone); exits 2 when one is not.\n");
		return argc < 2 ? TB_EXIT_USAGE : TB_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		size_t before = diag_errors(&d);
		struct tb_config *c = check_load(argv[i], &d);

		if (c && diag_errors(&d) == before)
			run_check_tiers(c, &d);
		config_free(c);
	}
	diag_print(&d, stderr);
	if (diag_errors(&d))
		rc = TB_EXIT_USAGE;
	diag_free(&d);
	return rc;
}
