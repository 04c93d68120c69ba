/* What both fuzz targets do with a result: print every message (to
 * /dev/null: the printing code is fuzzed too) and free it all. */
#ifndef TB_FUZZ_COMMON_H
#define TB_FUZZ_COMMON_H

#include <stdio.h>

#include "config/config.h"
#include "util/diag.h"

static inline void fuzz_finish(struct tb_config *c, struct tb_diag *d)
{
	if (d->n) {
		FILE *f = fopen("/dev/null", "w");

		if (f) {
			diag_print(d, f);
			fclose(f);
		}
	}
	config_free(c);
	diag_free(d);
}

#endif
