/* The shipped experiments through qdisc_check_plan(): the flagship and the
 * loss sweep must not shape in a misleading way, and what each file gets
 * warned about is printed. Also the kinds each needs (what the kernel probe
 * and the tier choice see). No root. Run from the source tree. */
#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "util/diag.h"
#include "net/qdisc.h"
#include "tap.h"

static int warnings_for(const char *path, bool uml, int *kinds_seen)
{
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load(path, &d);
	int n = -1;

	if (!c || diag_errors(&d)) {
		tap_diag("%s: does not load (%zu errors)", path, diag_errors(&d));
		goto out;
	}
	diag_free(&d);
	n = qdisc_check_plan(c, uml, &d);
	for (size_t i = 0; i < d.n; i++)
		tap_diag("%s%s:%d: %s", uml ? "[uml] " : "", path, d.msgs[i].line, d.msgs[i].text);
	*kinds_seen = 0;
	for (size_t i = 0; i < c->n_links; i++) {
		for (int j = 0; j < 2; j++) {
			const char *k[3];
			int m = qdisc_kinds(&c->links[i].dir[j], TB_PART_ALL, k);

			for (int x = 0; x < m; x++)
				tap_diag("%s: link %s dir %d needs %s", path, c->links[i].name, j, k[x]);
			*kinds_seen += m;
		}
	}
out:
	diag_free(&d);
	config_free(c);
	return n;
}

int main(void)
{
	static const char *const clean[] = { "experiments/cubic_vs_bbr_1pct.conf",
					     "experiments/bbr_vs_cubic_loss_sweep.conf" };
	glob_t g;
	int kinds = 0;

	if (glob("experiments/*.conf", 0, NULL, &g) != 0)
		tap_skip_all("no experiments/*.conf here (run from the source tree)");
	for (size_t i = 0; i < ARRAY_SIZE(clean); i++) {
		int n = warnings_for(clean[i], true, &kinds);

		if (n < 0) {
			tap_skip("%s does not load yet", clean[i]);
			continue;
		}
		tap_is_int(n, 0, clean[i]);
		tap_ok(kinds >= 2, "%s shapes with netem and a rate (%d kinds)", clean[i], kinds);
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		int n = warnings_for(g.gl_pathv[i], false, &kinds);

		tap_ok(n >= 0, "%s: check runs (%d shaping warnings)", g.gl_pathv[i], n);
	}
	globfree(&g);
	return tap_done();
}
