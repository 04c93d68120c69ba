#include "check.h"

#include "plan.h"
#include "qdisc.h"
#include "qdisc_ops.h"

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

struct tb_config *check_load(const char *path, struct tb_diag *d)
{
	size_t before = diag_errors(d);
	struct tb_config *c = config_load(path, d);

	if (c && diag_errors(d) == before)
		plan_check(c, d);
	if (c && diag_errors(d) == before)
		qdisc_check_plan(c, likely_uml(c), d);
	return c;
}
