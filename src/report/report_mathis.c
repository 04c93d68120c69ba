/* The Mathis et al. (1997) prediction for a bulk flow over a lossy path,
 * from what the run measured (the flow's MSS and smoothed RTT, in its
 * flows/F.json) and the random loss the case configured on the links the
 * flow's data crosses: rate = MSS x 8 / RTT x 1.22 / sqrt(p). Printed beside
 * the measured goodput, so a reader sees how far a loss-based congestion
 * control is from the Reno-style model without having to write mathis() in
 * an expectation (docs/report.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util/util.h"

double rp_path_loss(const struct tb_config *c, int from, int to, char *why, size_t whylen)
{
	int d = config_distance(c, from, to);
	double keep = 1;

	if (d < 0) {
		snprintf(why, whylen, "no path from %s to %s", c->nodes[from].name, c->nodes[to].name);
		return NAN;
	}
	/* a link direction a -> b carries the flow's data when it lies on a
	 * shortest path: dist(from, a) + 1 + dist(b, to) == dist(from, to) */
	for (size_t l = 0; l < c->n_links; l++) {
		for (int i = 0; i < 2; i++) {
			const struct tb_link *lk = &c->links[l];
			const struct tb_shape *sh = &lk->dir[i];
			int a = lk->end[i].node, b = lk->end[1 - i].node;
			int da = a == from ? 0 : config_distance(c, from, a);
			int db = b == to ? 0 : config_distance(c, b, to);

			if (da < 0 || db < 0 || da + 1 + db != d || sh->loss <= 0)
				continue;
			if (sh->loss_model != TB_LOSS_RANDOM) {
				snprintf(why, whylen, "link %s: Gilbert-Elliott loss has no single rate",
					 lk->name);
				return NAN;
			}
			keep *= 1 - sh->loss / 100;
		}
	}
	return 1 - keep;
}

bool rp_flow_mathis(const struct report *rp, int flow)
{
	const struct tb_flow *fl = &rp->c->flows[flow];

	if (fl->worker != TB_WORKER_BULK || fl->from < 0 || fl->to < 0)
		return false;
	for (size_t k = 0; k < rp->n_cases; k++) {
		char why[RP_WHY];
		double p = rp_path_loss(rp_case_cfg(rp, k), fl->from, fl->to, why, sizeof(why));

		if (p > 0)
			return true;
	}
	return false;
}

void rp_case_mathis(const struct report *rp, size_t k, int flow, struct stats *st, char *why,
		    size_t whylen)
{
	const struct tb_config *c = rp_case_cfg(rp, k);
	const struct rp_case *cs = &rp->cases[k];
	const struct tb_flow *fl = &c->flows[flow];
	double *vals = xcalloc(cs->n_runs + 1, sizeof(*vals));
	double p = NAN;
	size_t n = 0;

	why[0] = 0;
	if (fl->worker == TB_WORKER_BULK && fl->from >= 0 && fl->to >= 0)
		p = rp_path_loss(c, fl->from, fl->to, why, whylen);
	else
		snprintf(why, whylen, "not a bulk flow");
	if (p == 0)
		snprintf(why, whylen, "no random loss on the path");
	for (size_t i = 0; p > 0 && i < cs->n_runs; i++) {
		const struct rp_run *r = &rp->runs[cs->runs[i]];
		json_t *j = r->usable ? r->client[flow] : NULL;
		json_t *mss = json_object_get(j, "mss"), *rtt = json_object_get(j, "rtt_us");

		if (!r->usable)
			continue;
		if (!json_is_number(mss) || !json_is_number(rtt) || json_number_value(rtt) <= 0) {
			if (!why[0])
				snprintf(why, whylen, "%s/flows/%s.json: no mss or rtt_us", r->dir,
					 fl->name);
			continue;
		}
		vals[n++] = json_number_value(mss) * 8 / (json_number_value(rtt) / 1e6) * 1.22 /
			    sqrt(p);
	}
	stats_compute(vals, n, st);
	free(vals);
}
