/* testbed compare BASE NEW: two runs of one experiment side by side, from
 * their summary.json files (docs/compare.md).
 *
 * compare_table() matches the cases by their sweep values (summary.json
 * "params") and, within a case, flows, nodes and processes by name; every
 * statistic both runs have becomes a row with both medians, the change in
 * percent and whether it is significant: the two 95% confidence intervals
 * of the repeats (ci95_low..ci95_high) do not overlap. With one repeat on a
 * side there is no interval and the row says "n/a (1 run)".
 *
 * compare_gate() evaluates --fail-if expressions on NEW, base(METRIC)
 * reading BASE, with the expectations' own evaluator (report_eval.c). */
#ifndef TB_COMPARE_H
#define TB_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct tb_config;
struct tb_expect;

/* One side of a comparison. */
struct compare_input {
	char *dir;        /* its run directory; NULL for a summary.json alone */
	char *summary_path;
	json_t *summary;  /* summary.json */
	json_t *manifest; /* manifest.json of the directory; NULL when absent */
};

/** Read @path: a run directory, or a summary.json (its directory's manifest
 * and runs are used when it is a run directory's). 0, or -errno with the
 * message printed. */
int compare_open(const char *path, struct compare_input *in);
void compare_close(struct compare_input *in);

/** Why @b and @n are not runs of the same experiment (name, flows and their
 * workers, swept keys, or no case in common), NULL when they are. */
char *compare_mismatch(const struct compare_input *b, const struct compare_input *n);

/** The comparison as JSON (docs/compare.md): both sides, the settings that
 * differ, per case the rows, the cases only one side has. */
json_t *compare_table(const struct compare_input *b, const struct compare_input *n);

/**
 * Evaluate the @n_ex --fail-if expressions @ex (parsed against @nc) on the
 * runs of @n (model @nc), base() reading @b (model @bc); both must be run
 * directories. Appends to @cmp "fail_if": [{"expression", "fired",
 * "undecided", "message", "expectation": as summary.json's}] and
 * "fail_if_failed" (how many fired or could not be decided: each fails
 * the gate). 0, or -errno with the message printed.
 */
int compare_gate(json_t *cmp, const struct compare_input *b, const struct tb_config *bc,
		 const struct compare_input *n, const struct tb_config *nc,
		 const struct tb_expect *ex, size_t n_ex);

/** @cmp as Markdown: the table per case, then the --fail-if verdicts. */
void compare_markdown(FILE *f, const json_t *cmp);

#endif
