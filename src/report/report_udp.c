/* The UDP flows' sockets read back: per run, the largest drops and Recv-Q
 * that any of a flow's UDP sockets showed at any sample (sockets/<node>-udp.csv
 * of both ends: the metrics udp_drops and udp_rqueue), what the samplers
 * said of UDP sock_diag (run.json), and report.md's "UDP sockets" table. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/metric.h"
#include "report_int.h"
#include "util/util.h"

/* The columns flow, drops and rqueue of a udp.csv header; false when one is missing. */
static bool udp_columns(char **hdr, size_t nh, int *c)
{
	static const char *const names[3] = { "flow", "drops", "rqueue" };

	for (size_t i = 0; i < nh; i++)
		for (int k = 0; k < 3; k++)
			if (!strcmp(hdr[i], names[k]))
				c[k] = (int)i;
	return c[0] >= 0 && c[1] >= 0 && c[2] >= 0;
}

/* @v's largest of @cell (a number; empty: the kernel did not give it) and itself. */
static void take_max(double *v, const char *cell)
{
	char *end;
	double x = strtod(cell, &end);

	if (end != cell && (isnan(*v) || x > *v))
		*v = x;
}

/* One udp.csv: its rows' drops and rqueue into the flows' maxima. */
static void load_file(const struct tb_config *c, const char *path, struct rp_run *r)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *hline = NULL, *hdr[CSV_MAX], *row[CSV_MAX];
	size_t cap = 0, hcap = 0, nh;
	int col[3] = { -1, -1, -1 };

	if (!f)
		return;
	if (getline(&hline, &hcap, f) < 0)
		goto out;
	nh = rp_split_csv(hline, hdr, CSV_MAX);
	if (!udp_columns(hdr, nh, col))
		goto out;
	while (getline(&line, &cap, f) >= 0) {
		size_t n = rp_split_csv(line, row, CSV_MAX);
		int fl;

		if (n <= (size_t)col[0] || n <= (size_t)col[1] || n <= (size_t)col[2])
			continue;
		fl = config_flow(c, row[col[0]]);
		if (fl < 0)
			continue;
		take_max(&r->udp_drops[fl], row[col[1]]);
		take_max(&r->udp_rqueue[fl], row[col[2]]);
	}
out:
	free(line);
	free(hline);
	fclose(f);
}

void rp_load_udp(const struct report *rp, struct rp_run *r)
{
	const struct tb_config *c = rp->c;

	r->udp_drops = xcalloc(c->n_flows, sizeof(*r->udp_drops));
	r->udp_rqueue = xcalloc(c->n_flows, sizeof(*r->udp_rqueue));
	for (size_t f = 0; f < c->n_flows; f++)
		r->udp_drops[f] = r->udp_rqueue[f] = NAN;
	for (size_t n = 0; n < c->n_nodes; n++) {
		char *p = rp_path(rp, "%s/sockets/%s-udp.csv", r->dir, c->nodes[n].name);

		load_file(c, p, r);
		free(p);
	}
}

void rp_udp_diag(struct rp_run *r, json_t *sampler)
{
	const char *node;
	json_t *v;

	json_object_foreach(sampler, node, v) {
		const char *why = json_string_value(json_object_get(v, "udp_diag"));

		if (why && !r->udp_diag) {
			r->udp_diag = xasprintf("node %s: UDP sock_diag %s", node, why);
			return;
		}
	}
}

int rp_udp_value(const struct report *rp, const struct rp_run *r, int flow, const char *key,
		 double *v, char *why, size_t len)
{
	const char *name = rp->c->flows[flow].name;

	*v = !strcmp(key, "drops") ? r->udp_drops[flow] : r->udp_rqueue[flow];
	if (!isnan(*v))
		return 0;
	if (r->udp_diag)
		snprintf(why, len, "%s: %s", r->dir, r->udp_diag);
	else if (!config_flow_udp(&rp_case_cfg(rp, (size_t)r->kase)->flows[flow]))
		snprintf(why, len, "flow %s is not a UDP flow (udp over udp, or rr with http = 3)",
			 name);
	else
		snprintf(why, len, "%s: no rows of flow %s in sockets/*-udp.csv", r->dir, name);
	return -ENOENT;
}

/* Whether flow @fl is a UDP flow in some case. */
static bool udp_somewhere(const struct report *rp, size_t fl)
{
	for (size_t k = 0; k < rp->n_cases; k++)
		if (config_flow_udp(&rp_case_cfg(rp, k)->flows[fl]))
			return true;
	return false;
}

/* The first run's note that the kernel had no UDP sock_diag, after the table. */
static void diag_note(const struct report *rp, struct rp_tab *t)
{
	for (size_t i = 0; i < rp->n_runs; i++)
		if (rp->runs[i].udp_diag) {
			rp_tab_para(t, true, "No rows in %s: %s.", rp->runs[i].dir,
				    rp->runs[i].udp_diag);
			return;
		}
}

/* Per case, its sweep values and each UDP flow's (@udp) two medians. */
static void udp_rows(const struct report *rp, struct rp_tab *t, const bool *udp)
{
	static const char *const metrics[] = { "udp_drops", "udp_rqueue" };

	for (size_t k = 0; k < rp->n_cases; k++) {
		rp_tab_case_cells(t, rp, k);
		for (size_t fl = 0; fl < rp->c->n_flows; fl++)
			for (int i = 0; udp[fl] && i < 2; i++) {
				struct stats st;
				char why[RP_WHY];

				rp_case_metric(rp, k, metrics[i], (int)fl, -1, NULL, &st, why,
					       sizeof(why));
				rp_tab_stats(t, &st, TB_UNIT_COUNT);
			}
	}
}

void rp_udp_tab(const struct report *rp, struct rp_tab *t)
{
	const struct tb_config *c = rp->c;
	bool *udp = xcalloc(c->n_flows + 1, sizeof(*udp));
	size_t n = 0;

	for (size_t fl = 0; fl < c->n_flows; fl++)
		n += udp[fl] = udp_somewhere(rp, fl);
	if (n) {
		rp_tab_title(t, 3, "UDP sockets");
		rp_tab_para(t, false, "The largest `drops` (datagrams the receive buffer had no room "
				      "for, ss -m's `d`) and Recv-Q any of the flow's UDP sockets showed "
				      "at a sample (sockets/NODE-udp.csv, both ends; `udp_drops(FLOW)`, "
				      "`udp_rqueue(FLOW)`), medians over the repeats.");
		rp_tab_col(t, false, "#");
		rp_tab_sweep_cols(t, c);
		for (size_t fl = 0; fl < c->n_flows; fl++)
			if (udp[fl]) {
				rp_tab_col(t, true, "%s drops", c->flows[fl].name);
				rp_tab_col(t, true, "%s max rqueue (B)", c->flows[fl].name);
			}
		udp_rows(rp, t, udp);
		diag_note(rp, t);
	}
	free(udp);
}
