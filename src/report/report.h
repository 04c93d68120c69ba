/* The end of the pipeline: from the files a `testbed run` left in its output
 * directory to summary.json, report.md and gnuplot plots, with every
 * expectation of the experiment evaluated.
 *
 * The layout read (written by src/run/run.c) and every field written are
 * documented in docs/report.md. */
#ifndef TB_REPORT_H
#define TB_REPORT_H

#include <stdbool.h>
#include <stddef.h>

struct tb_config;

/* What the caller needs to choose an exit status and print a verdict. */
struct report_outcome {
	size_t n_expect;    /* expectations in the file */
	size_t n_held;      /* held for every combination they were evaluated at */
	size_t n_failed;    /* did not hold, or had no data */
	bool all_held;      /* n_failed == 0 */
	char **failed;      /* n_failed lines: "NAME: goodput(bulk, cc=bbr) 3.2 Mbit/s > 5 * ... missed" */
	size_t n_runs, n_complete; /* runs found, and those with status "complete" */
	bool plots;         /* gnuplot rendered the plots */
	size_t n_stalled;   /* runs in which the host stalled (a wake-up > 50 ms late) */
	double stall_worst_ms;
	size_t n_guest_stalled; /* UML runs whose guest fell behind while the host did not */
	double guest_worst_ms, guest_cpu_busiest, guest_host_cpu_busiest;
	char *report_path;  /* OUT/report.md */
};

/**
 * Read OUT/manifest.json and every run directory under @outdir (missing files
 * are tolerated and reported), aggregate per case over the complete repeats,
 * evaluate the expectations of @c (the experiment as loaded, before cases are
 * applied) and write OUT/summary.json, OUT/report.md and OUT/plots/ (SVG
 * through /usr/bin/gnuplot, or $TESTBED_GNUPLOT; without it the report says
 * so). @out (may be NULL) receives the verdict; free it with
 * report_outcome_free(). Returns 0 when the files were written (whatever
 * the expectations said), -errno otherwise, with the message printed.
 */
int report_write(const struct tb_config *c, const char *outdir, struct report_outcome *out);

/** Warn on stderr when runs of @o saw the machine stall; nothing otherwise. */
void report_stall_warn(const struct report_outcome *o);

/** Free what report_write() put in @o; NULL-safe. */
void report_outcome_free(struct report_outcome *o);

#endif
