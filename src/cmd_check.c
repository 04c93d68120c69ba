#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"

int cmd_check(int argc, char **argv)
{
	struct tb_diag d = { 0 };
	int rc = TB_EXIT_OK;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		printf("Usage: testbed check FILE...\n");
		return argc < 2 ? TB_EXIT_USAGE : TB_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		struct tb_config *c = config_load(argv[i], &d);

		config_free(c);
	}
	diag_print(&d, stderr);
	if (diag_errors(&d))
		rc = TB_EXIT_USAGE;
	diag_free(&d);
	return rc;
}
