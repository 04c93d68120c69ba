/* report.md: what a person reads. What was run and where, one table row per
 * case with the metrics that matter for the experiment's workers, each
 * expectation with HELD / NOT HELD and its numbers, then the plots. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_int.h"
#include "obs/clockwatch.h"
#include "obs/sampler.h"
#include "util/util.h"

/* Counters shown in the node table when nonzero in some case. */
static const char *const table_counters[] = {
	"TcpExtSyncookiesSent", "TcpExtSyncookiesRecv",	      "TcpExtSyncookiesFailed",
	"TcpExtListenOverflows", "TcpExtListenDrops",	      "TcpExtTCPReqQFullDoCookies",
	"TcpExtTCPReqQFullDrop", NULL,
};

void rp_tab_stats(struct rp_tab *t, const struct stats *st, enum tb_unit u)
{
	char a[48], b[48], m[48];

	if (!st->n) {
		rp_tab_cell(t, "—");
		return;
	}
	rp_fmt(st->median, u, m, sizeof(m));
	if (st->n > 1 && st->min != st->max) {
		const char *um = strrchr(m, ' ');
		char *ua, *ub;

		rp_fmt(st->min, u, a, sizeof(a));
		rp_fmt(st->max, u, b, sizeof(b));
		ua = strrchr(a, ' ');
		ub = strrchr(b, ' ');
		/* one unit for the three numbers when they share it: "3.00 Mbit/s (2.00–4.00)" */
		if (um && ua && ub && !strcmp(um, ua) && !strcmp(um, ub)) {
			*ua = *ub = 0;
		} else if (!um && u == TB_UNIT_PCT) {
			a[strcspn(a, "%")] = 0;
			b[strcspn(b, "%")] = 0;
		}
		rp_tab_cell(t, "%s (%s–%s)", m, a, b);
	} else {
		rp_tab_cell(t, "%s", m);
	}
}

static void md_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|' || *s == '*' || *s == '_' || *s == '`')
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* A node metric column: counter(NODE.NAME) or peak(NODE.STATE). */
struct ncol {
	const char *metric;
	int node;
	char what[64];
};

static void add_ncol(struct ncol **v, size_t *n, size_t *cap, const char *metric, int node,
		     const char *what)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].node == node && !strcmp((*v)[i].metric, metric) &&
		    !strcmp((*v)[i].what, what))
			return;
	*v = tb_grow(*v, cap, *n, sizeof(**v));
	(*v)[*n].metric = metric;
	(*v)[*n].node = node;
	snprintf((*v)[*n].what, sizeof((*v)[*n].what), "%s", what);
	(*n)++;
}

static void ref_ncols(const struct tb_expr *e, struct ncol **v, size_t *n, size_t *cap)
{
	if (!e)
		return;
	if (e->kind == TB_EX_METRIC && e->node >= 0 && e->subject && strchr(e->subject, '.'))
		add_ncol(v, n, cap, !strcmp(e->name, "peak") ? "peak" : "counter", e->node,
			 strchr(e->subject, '.') + 1);
	ref_ncols(e->lhs, v, n, cap);
	ref_ncols(e->rhs, v, n, cap);
	for (size_t i = 0; i < e->n_args; i++)
		ref_ncols(e->args[i], v, n, cap);
}

/* Up to five runs that stalled, with their lateness. */
static void stalled_runs(const struct report *rp, FILE *f, bool guest)
{
	size_t listed = 0, n = guest ? rp->guest.n_stalled : rp->stalls.n_stalled;

	for (size_t i = 0; i < rp->n_runs && listed < 5; i++) {
		const struct rp_run *r = &rp->runs[i];

		if ((guest ? r->guest_stalls : r->host_stalls) <= 0)
			continue;
		fprintf(f, "%s %s %.0f ms", listed++ ? "," : "", r->dir,
			guest ? r->guest_late_ms : r->host_late_ms);
	}
	if (n > listed)
		fputs(", ...", f);
}

/* Whether the host stalled during the runs: a real-time thread woken late
 * means nothing ran it. On the host kernel the samplers are that thread; in
 * a UML run it is the host's own clock check (host-clock.json), outside the
 * guest. A stall shows up as latency, and a sender catching up as loss. */
static void host_stalls_row(const struct report *rp, FILE *f)
{
	const struct rp_stalls s = rp->stalls;
	const char *who = rp->n_guest_runs ? "the host's clock check (outside the guest)"
					   : "the sampler";

	if (!s.n_stalled && rp->n_guest_runs && s.worst_ms < CLOCKWATCH_LIST_MS) {
		fprintf(f, "none: %s woke less than %d ms late in %zu runs", who, CLOCKWATCH_LIST_MS,
			s.n_measured);
		return;
	}
	if (!s.n_stalled) {
		fprintf(f, "none: %s woke at most %.1f ms late in %zu runs", who, s.worst_ms,
			s.n_measured);
		return;
	}
	fprintf(f, "**%zu of %zu runs**: the host did not run the testbed for up to "
		   "%.0f ms (%s woke more than %u ms late:",
		s.n_stalled, s.n_measured, s.worst_ms, who, SAMPLER_STALL_NS / 1000000u);
	stalled_runs(rp, f, false);
	fputs("). Latency or loss of that size in those runs may be the host's, not the network's",
	      f);
}

/* The guest's CPU in its busiest second: by its own count, and the host CPU
 * it is kept on (UML's work on the host included, which the guest does not
 * see). */
static void guest_cpu(const struct rp_stalls *g, FILE *f)
{
	fprintf(f, "busiest second: the guest's CPU %.0f%% busy by its own count", g->cpu_busiest);
	if (!isnan(g->host_cpu_busiest))
		fprintf(f, ", the host CPU running it %.0f%%", g->host_cpu_busiest);
}

/* Whether the UML guest fell behind while its host ran on time: its
 * samplers woke late, and its one CPU was busy. Then the guest, not the
 * emulated network, set the numbers of those runs. */
static void guest_stalls_row(const struct report *rp, FILE *f)
{
	const struct rp_stalls g = rp->guest;

	if (!g.n_measured) {
		fputs("not judged: the host stalled in every run", f);
		return;
	}
	if (!g.n_stalled) {
		fprintf(f, "none: the samplers in the guest woke at most %.1f ms late in %zu runs; ",
			g.worst_ms, g.n_measured);
		guest_cpu(&g, f);
		return;
	}
	fprintf(f, "**%zu of %zu runs**: the guest fell behind by up to %.0f ms "
		   "while its host ran on time (samplers in the guest woke more than %u ms late:",
		g.n_stalled, g.n_measured, g.worst_ms, SAMPLER_STALL_NS / 1000000u);
	stalled_runs(rp, f, true);
	fputs("); ", f);
	guest_cpu(&g, f);
	fputs(". Near 100%, the guest is the bottleneck of those runs, not the emulated network "
	      "(docs/kernel-tiers.md, \"Guest stalls\")",
	      f);
}

/* A header row: @name, and the text @row writes. */
static void text_row(struct rp_tab *t, const struct report *rp, const char *name,
		       void (*row)(const struct report *, FILE *))
{
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		abort();
	row(rp, m);
	fclose(m);
	rp_tab_cell(t, "%s", name);
	rp_tab_cell(t, "%s", s);
	free(s);
}

/* How many expectations held. */
size_t rp_n_held(const struct report *rp)
{
	size_t held = 0;

	for (size_t i = 0; i < rp->n_ex; i++)
		held += rp->ex[i].held;
	return held;
}

/* The Cases row: how many, and each sweep's key and values. */
static void cases_row(const struct report *rp, FILE *f)
{
	const struct tb_config *c = rp->c;

	fprintf(f, "%zu", rp->n_cases);
	for (size_t s = 0; s < c->n_sweeps; s++) {
		fprintf(f, "%s`%s` = ", s ? "; " : ": ", c->sweeps[s].key);
		for (size_t i = 0; i < c->sweeps[s].n_values; i++)
			fprintf(f, "%s%s", i ? ", " : "", c->sweeps[s].values[i]);
	}
}

/* Below the header: the runs that did not complete, and why. */
static void incomplete_note(FILE *f, const struct report *rp)
{
	fprintf(f, "> **Note:** %zu of %zu runs did not complete; their numbers are left "
		   "out of the statistics.\n",
		rp->n_runs - rp->n_usable, rp->n_runs);
	for (size_t i = 0; i < rp->n_runs; i++) {
		const struct rp_run *r = &rp->runs[i];

		if (r->usable)
			continue;
		fprintf(f, "> - `%s`: %s", r->dir, r->status);
		if (r->error) {
			fputs(": ", f);
			md_escape(f, r->error);
		}
		fputc('\n', f);
	}
	if (!rp->n_runs)
		fputs("> - no run directory was found\n", f);
	fputc('\n', f);
}

/* A shard's part of the experiment, or the shards a merge combined (rows
 * of the header's table); a partial merge's note goes below the table. */
static void shard_rows(struct rp_tab *t, const struct report *rp)
{
	json_t *sh = json_object_get(rp->manifest, "shard"), *mg, *x;
	size_t i, n = config_n_cases(rp->c) * rp->c->exp.repeat;
	char *dirs = NULL;
	size_t len = 0;
	FILE *f;

	mg = json_object_get(rp->manifest, "merged");
	if (sh) {
		rp_tab_cell(t, "Shard");
		rp_tab_cell(t, "%lld of %lld: %zu of the experiment's %zu runs (`testbed merge` "
			       "combines the shards and judges the expectations over all)",
			    json_integer_value(json_object_get(sh, "k")),
			    json_integer_value(json_object_get(sh, "n")),
			    json_array_size(json_object_get(sh, "runs")), n);
	}
	if (!mg || !(f = open_memstream(&dirs, &len)))
		return;
	json_array_foreach(json_object_get(mg, "shards"), i, x)
		fprintf(f, "%s `%s`", i ? "," : "", json_string_value(json_object_get(x, "dir")));
	fclose(f);
	rp_tab_cell(t, "Merged");
	rp_tab_cell(t, "%zu directories:%s", json_array_size(json_object_get(mg, "shards")), dirs);
	free(dirs);
	if (json_is_true(json_object_get(mg, "partial")))
		rp_tab_para(t, true, "> **Note:** a partial merge (`testbed merge --partial`): run(s) "
				      "%s of %zu are in no shard; the expectations are not judged.",
			    json_string_value(json_object_get(mg, "missing")), n);
}

/* The table of what was run, where, whether the host (or the guest) kept
 * up, and the verdict, under the experiment's name and description. */
void rp_header_tab(const struct report *rp, struct rp_tab *t)
{
	const struct tb_config *c = rp->c;
	json_t *m = rp->manifest, *k = json_object_get(m, "kernel"), *x;
	const char *tier = json_string_value(json_object_get(k, "tier"));
	const char *rel = json_string_value(json_object_get(k, "release"));
	size_t held = rp_n_held(rp);

	rp_tab_title(t, 1, "%s", c->exp.name);
	if (c->exp.description)
		rp_tab_para(t, false, "%s", c->exp.description);
	rp_tab_col(t, false, "%s", "");
	rp_tab_col(t, false, "%s", "");
	rp_tab_cell(t, "File");
	rp_tab_cell(t, "`%s`", c->path ? c->path : "?");
	rp_tab_cell(t, "Kernel");
	rp_tab_cell(t, "%s%s%s", tier ? tier : "unknown", rel ? ", Linux " : "", rel ? rel : "");
	x = json_object_get(m, "seed");
	rp_tab_cell(t, "Seed");
	rp_tab_cell(t, "%llu", x ? (unsigned long long)json_integer_value(x) :
				   (unsigned long long)c->exp.seed);
	x = json_object_get(m, "repeat");
	rp_tab_cell(t, "Repeats");
	rp_tab_cell(t, "%lld per case", x ? (long long)json_integer_value(x) : (long long)c->exp.repeat);
	text_row(t, rp, "Cases", cases_row);
	rp_tab_cell(t, "Runs");
	rp_tab_cell(t, "%zu, %zu complete", rp->n_runs, rp->n_usable);
	shard_rows(t, rp);
	if (rp->stalls.n_measured)
		text_row(t, rp, "Host stalls", host_stalls_row);
	if (rp->n_guest_runs)
		text_row(t, rp, "Guest stalls", guest_stalls_row);
	if (rp->n_ex) {
		rp_tab_cell(t, "Verdict");
		rp_tab_cell(t, "**%s**: %zu of %zu expectations held",
			    held == rp->n_ex ? "HELD" : "NOT HELD", held, rp->n_ex);
	}
	rp_tab_cell(t, "Generated by");
	rp_tab_cell(t, "testbed %s (`testbed report` regenerates this file)", TB_VERSION);
}

static void header(FILE *f, const struct report *rp)
{
	struct rp_tab t = { 0 };

	rp_header_tab(rp, &t);
	rp_tab_md(f, &t);
	rp_tab_free(&t);
	if (rp->n_usable < rp->n_runs || !rp->n_runs)
		incomplete_note(f, rp);
}

/* A per-case table's columns for the sweeps: a header cell per sweep (its
 * short name), ... */
void rp_tab_sweep_cols(struct rp_tab *t, const struct tb_config *c)
{
	for (size_t s = 0; s < c->n_sweeps; s++)
		rp_tab_col(t, false, "%s", c->sweeps[s].short_name ? c->sweeps[s].short_name : c->sweeps[s].key);
}

/* ... and the start of case @k's row: its number and sweep values. */
void rp_tab_case_cells(struct rp_tab *t, const struct report *rp, size_t k)
{
	const struct tb_config *c = rp->c;

	rp_tab_cell(t, "%zu", k + 1);
	for (size_t s = 0; s < c->n_sweeps; s++)
		rp_tab_cell(t, "%s", c->sweeps[s].values[rp->cases[k].idx[s]]);
}

#define FLOW_COLS_MAX 32

/* Flow @fl's Results columns: the metrics of its worker table
 * (rp_worker_table) in every case, in order of first appearance: a case may
 * run the flow with another protocol stack (tb-web, HTTP/3), whose table
 * differs. Returns how many went into @cols. */
static size_t flow_cols(const struct report *rp, size_t fl, const char **cols)
{
	size_t n = 0, n_cfg = rp->n_cases ? rp->n_cases : 1;

	for (size_t k = 0; k < n_cfg; k++) {
		const struct tb_config *c = rp->n_cases ? rp_case_cfg(rp, k) : rp->c;

		for (const char *const *m = rp_worker_table(&c->flows[fl]); *m; m++) {
			size_t i = 0;

			while (i < n && strcmp(cols[i], *m))
				i++;
			if (i == n && n < FLOW_COLS_MAX)
				cols[n++] = *m;
		}
	}
	return n;
}

/* The Results table's header: the sweeps, the runs, then per flow its
 * metrics (flow_cols) and, where @mathis, the Mathis prediction. */
static void results_head(struct rp_tab *t, const struct report *rp, const bool *mathis)
{
	const struct tb_config *c = rp->c;
	const char *cols[FLOW_COLS_MAX];

	rp_tab_col(t, false, "#");
	rp_tab_sweep_cols(t, c);
	rp_tab_col(t, false, "runs");
	for (size_t fl = 0; fl < c->n_flows; fl++) {
		size_t n = flow_cols(rp, fl, cols);

		for (size_t i = 0; i < n; i++)
			rp_tab_col(t, true, "%s %s", c->flows[fl].name, cols[i]);
		if (mathis[fl])
			rp_tab_col(t, true, "%s Mathis", c->flows[fl].name);
	}
}

/* Flow @fl's cells in case @k: its metrics, then the Mathis prediction when
 * @mathis; "off" in each when the case switched the flow off. */
static void flow_cells(struct rp_tab *t, const struct report *rp, size_t k, size_t fl, bool mathis)
{
	bool on = rp_case_cfg(rp, k)->flows[fl].enabled;
	const char *cols[FLOW_COLS_MAX];
	size_t n = flow_cols(rp, fl, cols);
	struct stats st;
	char why[RP_WHY];

	for (size_t i = 0; i < n; i++) {
		if (!on) {
			rp_tab_cell(t, "off");
			continue;
		}
		rp_case_metric(rp, k, cols[i], (int)fl, -1, NULL, &st, why, sizeof(why));
		rp_tab_stats(t, &st, metric_unit(cols[i]));
	}
	if (!mathis)
		return;
	if (on)
		rp_case_mathis(rp, k, (int)fl, &st, why, sizeof(why));
	if (on && st.n)
		rp_tab_stats(t, &st, TB_UNIT_RATE);
	else
		rp_tab_cell(t, "%s", on ? "—" : "off");
}

/* The Results table's rows: per case, its sweep values, how many of its
 * runs completed, and every flow's cells. */
static void results_rows(struct rp_tab *t, const struct report *rp, const bool *mathis)
{
	for (size_t k = 0; k < rp->n_cases; k++) {
		const struct rp_case *cs = &rp->cases[k];

		rp_tab_case_cells(t, rp, k);
		rp_tab_cell(t, "%zu/%zu", cs->n_usable, cs->n_runs);
		for (size_t fl = 0; fl < rp->c->n_flows; fl++)
			flow_cells(t, rp, k, fl, mathis[fl]);
	}
}

/* What a flow's Mathis column is, for each flow that has one. */
static void mathis_notes(struct rp_tab *t, const struct tb_config *c, const bool *mathis)
{
	for (size_t fl = 0; fl < c->n_flows; fl++)
		if (mathis[fl])
			rp_tab_para(t, true,
				    "`%s Mathis`: the Mathis et al. prediction MSS x 8 / RTT x 1.22 / "
				    "sqrt(p) for this flow, from its measured MSS and smoothed RTT "
				    "(`mss`, `rtt_us` of flows/%s.json) and the random loss p the case "
				    "puts on its path. It models a Reno-style loss-based sender: compare "
				    "it with CUBIC's goodput, not BBR's.",
				    c->flows[fl].name, c->flows[fl].name);
}

/* Why each named case exists (its note). */
static void case_notes(struct rp_tab *t, const struct tb_config *c)
{
	for (size_t i = 0; i < c->n_casedefs; i++)
		if (c->casedefs[i].note) {
			char *s = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&s, &len);

			if (!m)
				abort();
			md_escape(m, c->casedefs[i].note);
			fclose(m);
			rp_tab_item(t, "**%s**: %s", c->casedefs[i].name, s);
			free(s);
		}
}

/* The Results section: a row per case with the flows' metrics, what the
 * Mathis columns are, and the named cases' notes. */
void rp_results_tab(const struct report *rp, struct rp_tab *t)
{
	const struct tb_config *c = rp->c;
	bool *mathis;

	if (!c->n_flows)
		return;
	mathis = xcalloc(c->n_flows + 1, sizeof(bool));
	for (size_t fl = 0; fl < c->n_flows; fl++)
		mathis[fl] = rp_flow_mathis(rp, (int)fl);
	rp_tab_title(t, 2, "Results");
	rp_tab_para(t, false, "Medians over the complete repeats of each case, with the range "
			      "(min – max) when the repeats differ. Every statistic, with its 95%% "
			      "confidence interval, is in `summary.json`.");
	results_head(t, rp, mathis);
	results_rows(t, rp, mathis);
	mathis_notes(t, c, mathis);
	free(mathis);
	case_notes(t, c);
}

/* Whether node metric @metric (counter or peak) of @node's @what is above 0
 * in some case. */
static bool positive_somewhere(const struct report *rp, const char *metric, int node,
			       const char *what)
{
	for (size_t k = 0; k < rp->n_cases; k++) {
		struct stats st;
		char why[RP_WHY];

		rp_case_metric(rp, k, metric, -1, node, what, &st, why, sizeof(why));
		if (st.n && st.max > 0)
			return true;
	}
	return false;
}

/* The node table's columns (@n of them): the node metrics the expectations
 * name, the table_counters above 0 in some case, and the socket states that
 * tell the story: half-open connections on a server, TIME-WAIT on a client. */
static struct ncol *node_columns(const struct report *rp, size_t *n)
{
	const struct tb_config *c = rp->c;
	struct ncol *cols = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; i < c->n_expects; i++) {
		ref_ncols(c->expects[i].lhs, &cols, n, &cap);
		ref_ncols(c->expects[i].rhs, &cols, n, &cap);
	}
	for (size_t nd = 0; nd < c->n_nodes; nd++)
		for (int t = 0; table_counters[t]; t++)
			if (positive_somewhere(rp, "counter", (int)nd, table_counters[t]))
				add_ncol(&cols, n, &cap, "counter", (int)nd, table_counters[t]);
	for (size_t fl = 0; fl < c->n_flows; fl++) {
		int nodes[2] = { c->flows[fl].to, c->flows[fl].from };
		const char *states[2] = { "SYN_RECV", "TIME_WAIT" };

		for (int i = 0; i < 2; i++)
			if (nodes[i] >= 0 && positive_somewhere(rp, "peak", nodes[i], states[i]))
				add_ncol(&cols, n, &cap, "peak", nodes[i], states[i]);
	}
	return cols;
}

/* The node table's heading, and its header: the sweeps, then @cols. */
static void node_head(struct rp_tab *t, const struct tb_config *c, const struct ncol *cols, size_t n)
{
	rp_tab_title(t, 3, "Counters and socket states");
	rp_tab_para(t, false, "nstat counter deltas over each run (`counter(NODE.NAME)`) and peak "
			      "socket counts by state (`peak(NODE.STATE)`), medians over the repeats.");
	rp_tab_col(t, false, "#");
	rp_tab_sweep_cols(t, c);
	for (size_t i = 0; i < n; i++)
		rp_tab_col(t, true, "%s%s.%s", !strcmp(cols[i].metric, "peak") ? "peak " : "",
			   c->nodes[cols[i].node].name, cols[i].what);
}

/* The node table's rows: per case, its sweep values and @cols' medians. */
static void node_rows(struct rp_tab *t, const struct report *rp, const struct ncol *cols, size_t n)
{
	for (size_t k = 0; k < rp->n_cases; k++) {
		rp_tab_case_cells(t, rp, k);
		for (size_t i = 0; i < n; i++) {
			struct stats st;
			char why[RP_WHY];

			rp_case_metric(rp, k, cols[i].metric, -1, cols[i].node, cols[i].what, &st, why,
				       sizeof(why));
			rp_tab_stats(t, &st, TB_UNIT_COUNT);
		}
	}
}

/* The "Counters and socket states" table, when it has a column. */
void rp_nodes_tab(const struct report *rp, struct rp_tab *t)
{
	size_t n;
	struct ncol *cols = node_columns(rp, &n);

	if (n) {
		node_head(t, rp->c, cols, n);
		node_rows(t, rp, cols, n);
	}
	free(cols);
}

const char *rp_cmp_text(enum tb_cmp c)
{
	switch (c) {
	case TB_CMP_LT:
		return "<";
	case TB_CMP_LE:
		return "<=";
	case TB_CMP_GT:
		return ">";
	case TB_CMP_GE:
		return ">=";
	case TB_CMP_EQ:
		return "==";
	case TB_CMP_NE:
		return "!=";
	}
	return "?";
}

static void expectations(FILE *f, const struct report *rp)
{
	if (!rp->n_ex)
		return;
	fprintf(f, "## Expectations: %zu of %zu held\n\n", rp_n_held(rp), rp->n_ex);
	for (size_t i = 0; i < rp->n_ex; i++) {
		const struct rp_expect *re = &rp->ex[i];

		fprintf(f, "- **%s** `%s`: `%s`\n", re->held ? "HELD" : "NOT HELD", re->e->name,
			re->e->text ? re->e->text : "");
		if (re->why_not)
			fprintf(f, "  - not held: %s\n", re->why_not);
		for (size_t j = 0; j < re->n_combos; j++) {
			const struct rp_combo *cb = &re->combos[j];
			char a[48], b[48];
			const char *ind = re->n_combos > 1 ? "    " : "  ";

			if (re->n_combos > 1)
				fprintf(f, "  - %s, %s: ", *cb->where ? cb->where : "all",
					cb->held ? "held" : "not held");
			else
				fputs("  - ", f);
			if (cb->nodata)
				fprintf(f, "not held (no data): ");
			fprintf(f, "%s %s %s", rp_fmt(cb->lhs, re->lhs_unit, a, sizeof(a)),
				rp_cmp_text(re->e->cmp), rp_fmt(cb->rhs, re->rhs_unit, b, sizeof(b)));
			if (cb->reason && !cb->nodata)
				fprintf(f, " (%s)", cb->reason);
			fputc('\n', f);
			for (size_t t = 0; t < cb->n_terms; t++) {
				const struct rp_term *tm = &cb->terms[t];

				if (rp_term_repeated(cb, t))
					continue;
				fprintf(f, "%s- `%s` = ", ind, tm->text);
				if (tm->st.n) {
					rp_term_value(f, tm);
				} else {
					fputs("no data: ", f);
					md_escape(f, tm->why);
				}
				fputc('\n', f);
			}
		}
	}
	fputc('\n', f);
}

static void plots(FILE *f, const struct report *rp)
{
	fputs("## Plots\n\n", f);
	if (rp->plot_note)
		fprintf(f, "%s\n\n", rp->plot_note);
	for (size_t i = 0; i < rp->n_plots; i++)
		fprintf(f, "### %s\n\n![%s](%s)\n\n", rp->plot_titles[i], rp->plot_titles[i],
			rp->plots[i]);
}

/* The sections made of a table, in the order of both reports. */
const struct rp_section rp_sections[] = {
	{ "network", rp_network_tab }, { "results", rp_results_tab }, { "processes", rp_proc_tab },
	{ "nodes", rp_nodes_tab },     { "udp", rp_udp_tab },         { "queues", rp_qdisc_tab },
	{ NULL, NULL },
};

static void markdown(FILE *f, struct report *rp)
{
	header(f, rp);
	for (const struct rp_section *sec = rp_sections; sec->build; sec++) {
		struct rp_tab t = { 0 };

		sec->build(rp, &t);
		rp_tab_md(f, &t);
		rp_tab_free(&t);
	}
	expectations(f, rp);
	rp_ladders(f, rp, false);
	plots(f, rp);
	fputs("## Files\n\n- `summary.json`: every statistic and expectation, for machines\n"
	      "- `report.html`: this report for a browser, with plots to hover over and series to "
	      "switch on and off\n"
	      "- `manifest.json`: the resolved configuration, seed, kernel and tool versions\n"
	      "- `runs/c<CASE>-r<REPEAT>/`: per run: worker results (`flows/`), processes' output and status "
	      "(`processes/`), counters, socket samples (`sockets/`), captures (`pcap/`)\n"
	      "- `plots/`: the SVGs with their gnuplot scripts and data\n\n"
	      "See docs/report.md for what every file and field means.\n",
	      f);
}

int rp_write_markdown(struct report *rp)
{
	return rp_write_file(rp, "report.md", markdown);
}
