#include "check.h"

#include "plan.h"

struct tb_config *check_load(const char *path, struct tb_diag *d)
{
	size_t before = diag_errors(d);
	struct tb_config *c = config_load(path, d);

	if (c && diag_errors(d) == before)
		plan_check(c, d);
	return c;
}
