/* Diagnostics against input files: "FILE:LINE:COL: error: MESSAGE".
 * Collected (not printed at once) so that every problem of a file is
 * reported in one pass, sorted by position. */
#ifndef TB_DIAG_H
#define TB_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "util.h"

/* Where a value came from: a file (for configurations, one of
 * tb_config.files, never freed before the config), a line, and a 1-based
 * column (0 when unknown). */
struct tb_loc {
	const char *file;
	int line;
	int col;
};

enum tb_severity { TB_SEV_ERROR, TB_SEV_WARNING };

struct tb_diag_msg {
	char *file;
	int line, col;
	enum tb_severity sev;
	char *text;
	size_t seq; /* insertion order, for a stable sort */
};

struct tb_diag {
	struct tb_diag_msg *msgs;
	size_t n, cap;
	size_t errors, warnings;
};

/** Record an error at @loc (NULL: no position). */
void diag_error(struct tb_diag *d, const struct tb_loc *loc, const char *fmt, ...) TB_PRINTF(3, 4);
/** Record a warning at @loc. */
void diag_warn(struct tb_diag *d, const struct tb_loc *loc, const char *fmt, ...) TB_PRINTF(3, 4);
/** Sort by file, line, column and print every message to @f. */
void diag_print(struct tb_diag *d, FILE *f);
/** Number of errors recorded. */
size_t diag_errors(const struct tb_diag *d);
/** Free the messages; the struct may be reused. NULL-safe. */
void diag_free(struct tb_diag *d);

#endif
