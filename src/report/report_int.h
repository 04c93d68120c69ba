/* Internals shared by the report_*.c files: the run directory as loaded,
 * per-run and per-case metric lookup, and evaluated expectations. */
#ifndef TB_REPORT_INT_H
#define TB_REPORT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "config/metric.h"
#include "report.h"
#include "util/stats.h"

#define RP_WHY 256

/* One run directory. */
struct rp_run {
	char *dir;            /* relative to the output directory: runs/c1-r1 */
	int kase, repeat, order;
	char status[16];      /* complete, incomplete, failed, missing */
	char *error;          /* run.json "error", or why the run is unusable */
	bool usable;          /* status complete: its numbers count */
	json_t **client;      /* per flow: flows/<flow>.json, NULL when absent */
	json_t **server;      /* per flow: flows/<flow>.server.json */
	json_t **counters;    /* per node: counters/<node>.json */
	json_t **peaks;       /* per node: { "ESTAB": max, ... } from <node>-states.csv */
	json_t **proc;        /* per process: processes/<name>/status.json */
	json_t **proc_values; /* per process: { "metric": {NAME: n}, "json": its output } */
	double *retrans_csv;  /* per flow: summed last total_retrans of its sockets; NAN: none */
	double *udp_drops, *udp_rqueue; /* per flow: the largest drops and rqueue of its UDP
					   sockets in sockets/<node>-udp.csv; NAN: no row */
	char *udp_diag;       /* run.json: why a node's sampler had no UDP sock_diag; NULL */
	double late_max_ms;   /* run.json sampler: latest wake-up over the nodes; NAN: none */
	long stalls;          /* ... and wake-ups later than SAMPLER_STALL_NS (max over nodes) */
	bool in_guest;        /* run.json load.cpu_of: the samplers ran in the UML guest */
	double start_unix, end_unix; /* the measured time; NAN: not recorded */
	double cpu_busy, cpu_busiest; /* percent of the CPU(s) it ran on; NAN: unknown */
	double host_cpu_busiest; /* UML runs: the guest's host CPU's busiest second, UML's
				    own work there included (host-clock.json); NAN: unknown */
	/* Who stalled. Host runs: the samplers are the host's check. Guest runs:
	 * the host's clock check (host-clock.json) during the measured time, and
	 * the guest's samplers. NAN: not measured. */
	double host_late_ms, guest_late_ms;
	long host_stalls, guest_stalls;
};

struct rp_case {
	size_t index;
	int *idx;             /* sweep value indices */
	struct tb_config *cfg;/* the case's configuration (NULL if it did not apply) */
	char *label;          /* "cc=bbr, loss=1%" or "pool"; "all" without sweeps */
	const char *note;     /* of a named case */
	size_t *runs;         /* indices into report.runs */
	size_t n_runs, n_usable;
};

/* One metric occurrence of an expectation, resolved to a case. */
struct rp_term {
	char *text;           /* goodput(bulk, cc=bbr, loss=1%) */
	size_t kase;
	struct stats st;
	enum tb_unit unit;
	bool configured;      /* cfg(): the case's configuration, not a measurement */
	char why[RP_WHY];     /* when st.n == 0 */
};

struct rp_combo {
	char *where;          /* the iterated values: "loss=1%" ("" when none) */
	json_t *where_obj;
	double lhs, rhs;
	bool held, nodata;
	char *reason;         /* why not held: missing data, or NULL */
	struct rp_term *terms;
	size_t n_terms, cap_terms;
};

struct rp_expect {
	const struct tb_expect *e;
	struct rp_combo *combos;
	size_t n_combos;
	bool held;
	char *why_not;        /* not held whatever the numbers: no case to evaluate it at,
				 or the experiment did not complete; NULL otherwise */
	enum tb_unit lhs_unit, rhs_unit;
};

/* Stalls of the host, or of the guest, over the runs: runs with a wake-up
 * later than SAMPLER_STALL_NS, the worst lateness over all runs, how many
 * runs were measured, and the busiest CPU stretch of those runs (of the
 * stalled ones when there are any). */
struct rp_stalls {
	size_t n_measured, n_stalled;
	double worst_ms;      /* over every measured run; NAN when none */
	double cpu_busiest;   /* percent; NAN when unknown */
	double host_cpu_busiest; /* guest stalls: the guest's host CPU, as struct rp_run */
};

struct report {
	const struct tb_config *c;
	char *outdir;
	json_t *manifest;     /* never NULL (an empty object when absent) */
	struct rp_run *runs;
	size_t n_runs, cap_runs;
	struct rp_case *cases;
	size_t n_cases;
	struct rp_expect *ex;
	size_t n_ex;
	const struct report *base; /* testbed compare: the run base(METRIC) reads; else NULL */
	size_t n_usable;
	struct rp_stalls stalls; /* the host's, over every run, filled by rp_load() */
	struct rp_stalls guest;  /* the guest's (UML runs only) */
	size_t n_guest_runs;  /* runs whose samplers ran in a UML guest */
	json_t *host_clock;   /* host-clock.json of a UML run; NULL when absent */
	/* plots */
	bool gnuplot;         /* gnuplot ran and produced the SVGs */
	char *plot_note;      /* why there are no plots */
	char **plots;         /* relative paths of the SVGs, in order */
	char **plot_titles;
	size_t n_plots;
	json_t *series;       /* the plots' time series for report.html (rp_series_add) */
};

/* report_tab.c */
/** A section of the report as data: a heading, paragraphs, a table and a
 * list, rendered to report.md (rp_tab_md) and report.html (rp_tab_html).
 * Text has report.md's inline spans: `code`, **strong** and backslash escapes. */
struct rp_tab {
	int level;            /* of the heading: 2 is ## */
	char *title;          /* NULL: no heading */
	char **intro, **notes, **items; /* paragraphs before and after the table; list */
	size_t n_intro, cap_intro, n_notes, cap_notes, n_items, cap_items;
	char **head;          /* the columns' header cells */
	bool *right;          /* numbers: aligned right */
	size_t n_cols, cap_cols, cap_right;
	char **cells;         /* row by row, n_cols to a row */
	size_t n_cells, cap_cells;
};
void rp_tab_title(struct rp_tab *t, int level, const char *fmt, ...) TB_PRINTF(3, 4);
/** A paragraph before the table, or after it when @after. */
void rp_tab_para(struct rp_tab *t, bool after, const char *fmt, ...) TB_PRINTF(3, 4);
void rp_tab_item(struct rp_tab *t, const char *fmt, ...) TB_PRINTF(2, 3);
/** A column (its header cell); @right for numbers. */
void rp_tab_col(struct rp_tab *t, bool right, const char *fmt, ...) TB_PRINTF(3, 4);
/** The next cell, left to right, row after row. */
void rp_tab_cell(struct rp_tab *t, const char *fmt, ...) TB_PRINTF(2, 3);
void rp_tab_md(FILE *f, const struct rp_tab *t);
/** As HTML; @id names the heading (an anchor) and the table (data-table). */
void rp_tab_html(FILE *f, const struct rp_tab *t, const char *id);
void rp_tab_free(struct rp_tab *t);
/** @s (at most @n bytes) escaped as HTML text (rp_markup_put). */
void rp_html_esc(FILE *f, const char *s, size_t n);
/** At most @n bytes of @s escaped for XML 1.0 and HTML: & < > " ' as
 * entities, characters XML cannot carry as '?', and in an attribute
 * (@attr) tab and newlines as references so that normalisation keeps them.
 * The one escaper of report.html and the JUnit files. */
void rp_markup_put(FILE *f, const char *s, size_t n, bool attr);
/** Text with report.md's inline spans as HTML. */
void rp_html_text(FILE *f, const char *s);

/* The sections' tables (empty, no title, when the run has no such section). */
void rp_header_tab(const struct report *rp, struct rp_tab *t);    /* report_md.c */
void rp_results_tab(const struct report *rp, struct rp_tab *t);
void rp_nodes_tab(const struct report *rp, struct rp_tab *t);
void rp_network_tab(const struct report *rp, struct rp_tab *t);   /* report_net.c */
void rp_qdisc_tab(const struct report *rp, struct rp_tab *t);     /* report_qdisc.c */
void rp_proc_tab(const struct report *rp, struct rp_tab *t);      /* report_proc.c */
/** output = h2load: h2load's summary in @text as value()s (report_h2load.c;
 * keys in docs/processes.md), NULL when it has none. */
json_t *rp_h2load_parse(const char *text);
/** The sections made of a table, in report order after the header (Network,
 * Results, Processes, Counters and socket states, Queues); @id names them in
 * report.html. Ends with a NULL build. */
struct rp_section {
	const char *id;
	void (*build)(const struct report *rp, struct rp_tab *t);
};
extern const struct rp_section rp_sections[];
/** How many expectations held. */
size_t rp_n_held(const struct report *rp);
/** The comparison's operator: "<", ">=" ... */
const char *rp_cmp_text(enum tb_cmp c);

/* report_load.c */
/** Load the manifest and every run directory; 0 or -errno (message printed). */
int rp_load(struct report *rp);
void rp_free(struct report *rp);
/** Split @line (modified) at commas into at most @max fields; how many. */
size_t rp_split_csv(char *line, char **f, size_t max);
#define CSV_MAX 128
/** Path under the output directory (allocated). */
char *rp_path(const struct report *rp, const char *fmt, ...) TB_PRINTF(2, 3);
/** OUT/@name, written by @fill into OUT/@name.tmp then renamed (a reader
 * never sees half a file); 0 or -errno, with the message printed. */
int rp_write_file(struct report *rp, const char *name, void (*fill)(FILE *f, struct report *rp));
/** Index of the case with sweep values @idx. */
size_t rp_case_index(const struct tb_config *c, const int *idx);
/** The configuration case @k ran with (the file's when the case did not apply). */
const struct tb_config *rp_case_cfg(const struct report *rp, size_t k);
/** Run @r's processes: status, and the numbers of their output. */
void rp_load_processes(const struct report *rp, struct rp_run *r);
void rp_free_processes(const struct report *rp, struct rp_run *r);
/** value(P, @key) of process @proc (@p) in run @r: 0, or -ENOENT with why. */
int rp_proc_value(const struct rp_run *r, int proc, const struct tb_process *p, const char *key,
		  double *v, char *why, size_t len);
/** summary.json's processes of case @k (statistics of exit, runtime, values). */
json_t *rp_proc_json(const struct report *rp, size_t k);
/** A per-case table's columns for the sweeps (their short names), and the
 * start of case @k's row: its number and sweep values. */
void rp_tab_sweep_cols(struct rp_tab *t, const struct tb_config *c);
void rp_tab_case_cells(struct rp_tab *t, const struct report *rp, size_t k);
/** A table cell: the median of @st in unit @u, with its range. */
void rp_tab_stats(struct rp_tab *t, const struct stats *st, enum tb_unit u);

/** The first complete run of case @k; NULL when none completed. */
const struct rp_run *rp_first_run(const struct report *rp, size_t k);

/* report_metric.c */
/** Value of metric @name (flow metric with @flow, or node metric with @node
 * and @what = counter or state name) in run @r. 0, or -ENOENT with @why. */
int rp_run_metric(const struct report *rp, const struct rp_run *r, const char *name, int flow,
		  int node, const char *what, double *v, char *why, size_t whylen);
/** Statistics of a metric over the usable runs of case @k; st->n == 0 with
 * @why when no run produced it. */
void rp_case_metric(const struct report *rp, size_t k, const char *name, int flow, int node,
		    const char *what, struct stats *st, char *why, size_t whylen);
/** The metrics shown in report.md's table for flow @f, NULL-terminated;
 * the first is the one plotted against numeric sweeps. */
const char *const *rp_worker_table(const struct tb_flow *f);
/** Human form of @v in @u: "95.1 Mbit/s", "41.2 ms", "98.5%". */
const char *rp_fmt(double v, enum tb_unit u, char *buf, size_t len);
/* A unit's name in the JSON files ("count", "rate", "time", "percent",
 * "per_s"), and back (TB_UNIT_COUNT for another name). */
const char *rp_unit_name(enum tb_unit u);
enum tb_unit rp_unit_named(const char *name);
/** Normalised socket state name: "SYN-RECV", "syn_recv" -> "SYNRECV". */
void rp_state_key(const char *in, char *out, size_t len);
/** Counters always listed in the summary when nonzero. */
extern const char *const rp_counters_of_interest[];

/* report_udp.c */
/** Run @r's sockets/<node>-udp.csv files into r->udp_drops and r->udp_rqueue. */
void rp_load_udp(const struct report *rp, struct rp_run *r);
/** run.json's sampler object @sampler: the first node's udp_diag text into r->udp_diag. */
void rp_udp_diag(struct rp_run *r, json_t *sampler);
/** udp_drops(FLOW) (@key "drops") or udp_rqueue(FLOW) ("rqueue") of @flow in
 * run @r: 0, or -ENOENT with why. */
int rp_udp_value(const struct report *rp, const struct rp_run *r, int flow, const char *key,
		 double *v, char *why, size_t len);
/** The "UDP sockets" table: per case, each UDP flow's udp_drops and udp_rqueue. */
void rp_udp_tab(const struct report *rp, struct rp_tab *t);

/* report_eval.c */
/** Evaluate every expectation of the experiment into rp->ex. */
void rp_evaluate(struct report *rp);
/** Evaluate one expectation @e (of rp->c's model) into @re. */
void rp_eval_expect(struct report *rp, const struct tb_expect *e, struct rp_expect *re);
/* Term @tm's value as report.md and report.html show it: "91.7 Mbit/s
 * (median of 3, 90.1 Mbit/s – 92.0 Mbit/s)", "20.0 Mbit/s (configured)",
 * or "no data: WHY". */
void rp_term_value(FILE *f, const struct rp_term *tm);
/* Whether term @t of @cb reads as an earlier one (a key or metric written
 * twice in an expectation is shown once). */
bool rp_term_repeated(const struct rp_combo *cb, size_t t);
/** The expression as text, with selectors: "5 * goodput(bulk, cc=cubic)". */
char *rp_expr_text(const struct tb_config *c, const struct tb_expr *e);

/* report.c */
/** The comparison as written: "<", ">=" ... */
const char *rp_cmp_op(enum tb_cmp c);

/* report_json.c */
/** @v as a JSON number: an integer when it is one, null when not finite. */
json_t *rp_json_real(double v);
/** A statistic as summary.json has it: median, min, max, mean, ci95_low,
 * ci95_high (rp_json_real) and n. */
json_t *rp_stats_json(const struct stats *st);

/* report_summary.c */
int rp_write_summary(struct report *rp);
/** An evaluated expectation as summary.json's "expectations" hold it. */
json_t *rp_expect_json(const struct report *rp, const struct rp_expect *re);

/* report_md.c */
int rp_write_markdown(struct report *rp);

/* report_ladder.c */
/** The "Ladders" section: connection `ladder` of each [capture] that asks for
 * one, in the first complete run of every case (nothing when none asks). */
void rp_ladders(FILE *f, const struct report *rp, bool html);

/* report_mathis.c */
/** Random loss (a fraction, 0..1) that the links of @c put on the data path
 * from node @from to node @to: 1 - prod(1 - p_i) over every link direction
 * on a shortest path; NAN with @why when it has no single rate. */
double rp_path_loss(const struct tb_config *c, int from, int to, char *why, size_t whylen);
/** Whether flow @flow is a bulk flow whose path has random loss in some case
 * (its report gets a Mathis column). */
bool rp_flow_mathis(const struct report *rp, int flow);
/** The Mathis prediction MSS x 8 / RTT x 1.22 / sqrt(p) in bit/s over the
 * usable runs of case @k, from each run's measured mss and rtt_us of the
 * flow and the case's path loss p; st->n == 0 with @why when undefined. */
void rp_case_mathis(const struct report *rp, size_t k, int flow, struct stats *st, char *why,
		    size_t whylen);

/* report_qdisc.c */
/** The same statistics as JSON for summary.json (NULL when none). */
json_t *rp_qdisc_json(const struct report *rp, size_t k);

/* report_html.c */
/** OUT/report.html: the tables, the SVG plots inline and the time series
 * (rp->series) as interactive charts; 0 or -errno (message printed). */
int rp_write_html(struct report *rp);

/* report_html_js.c: the page's scripts (see there) */
extern const char rp_html_js_early[], rp_html_js_page[], rp_html_js_selftest[];

/* report_series.c */
/** Plot data file @dname (under OUT/plots, blocks of "t v..." rows) into
 * rp->series as a chart: @title, @ylabel, one series per block (@labels,
 * @n_labels of them; one column each) or, with @cols, one per column of a
 * single block (a name in @cols, "y2:" first for the right axis). */
void rp_series_add(struct report *rp, const char *dname, const char *title, const char *ylabel,
		   char *const *labels, size_t n_labels, const char *const *cols, bool steps);
/** The chart rp_series_add added last starts its time axis at @t0_s of the
 * measured time (its flow's start): report.html marks the events on it. */
void rp_series_t0(struct report *rp, double t0_s);
/** The changes of @c's [event]s as [{"t": s, "name": N, "first": bool}]:
 * scheduled time in the measured time, the event's name, whether it is the
 * event's first change (ramps and repeats have more); at most @max. */
json_t *rp_series_events(const struct tb_config *c, size_t max);

/* report_plot.c */
/** Write the data and script under OUT/plots and run gnuplot on it. */
void rp_plots(struct report *rp);

#endif
