/* Mahimahi packet-delivery traces (`trace = FILE` on a link direction):
 * reading and checking one with FILE:LINE errors, the rate of each step of
 * the repeating trace, and synthetic traces (`testbed trace gen`). Pure
 * computation but for trace_load's read; docs/shaping.md says how a run
 * follows a trace.
 *
 * The format: one line per delivery opportunity of one MTU-sized packet
 * (TB_TRACE_PACKET bytes), its time in integer milliseconds, the times
 * non-decreasing; the file repeats with its last time as the period, so
 * opportunity i of cycle k is at ms[i] + k x period. */
#ifndef TB_TRACE_H
#define TB_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/diag.h"

#define TB_TRACE_PACKET 1500u         /* bytes per delivery opportunity */
#define TB_TRACE_STEP_MS 10u          /* the rate limiter's rate changes this often */
#define TB_TRACE_MIN_BPS 12000u       /* a step without opportunities (tbf cannot be 0) */
#define TB_TRACE_MAX_LINES 20000000u  /* ~240 Mbit/s for 1000 s: beyond is a mistake */
#define TB_TRACE_MAX_MS 86400000u     /* one day */

struct tb_trace {
	uint32_t *ms;       /* the opportunities' times, non-decreasing */
	size_t n;
	uint32_t period_ms; /* the last time: the file repeats after it */
};

/** Parse trace text @text (@len bytes) named @file in messages: every
 * problem to @d at FILE:LINE (a non-integer, a time going backwards, a time
 * past a day, too many lines, no line, a last time of 0). 0 with @t filled
 * (trace_free it), or -EINVAL. */
int trace_parse(const char *text, size_t len, const char *file, struct tb_trace *t,
		struct tb_diag *d);

/** Read and parse @path; a file that cannot be read is an error at @loc. */
int trace_load(const char *path, const struct tb_loc *loc, struct tb_trace *t, struct tb_diag *d);

void trace_free(struct tb_trace *t);

/** Opportunities of the repeating trace in [@a_ms, @b_ms). */
uint64_t trace_count(const struct tb_trace *t, uint64_t a_ms, uint64_t b_ms);

/** The rate (bit/s) of step @k (from k x @step_ms for @step_ms): its
 * opportunities x TB_TRACE_PACKET x 8 / step, at least TB_TRACE_MIN_BPS. */
uint64_t trace_step_rate(const struct tb_trace *t, uint64_t k, unsigned step_ms);

/** The trace's mean rate over one period (bit/s), at least TB_TRACE_MIN_BPS. */
uint64_t trace_mean_rate(const struct tb_trace *t);

struct cfg_ctx;
struct tb_link;
/** At check time: each direction of @l with a trace (TB_SH_TRACE) gets it
 * read and checked (errors into the trace file at FILE:LINE), its path
 * resolved against the directory of the file that names it and made
 * absolute, and its mean rate as the shape's rate; a rate given beside a
 * trace is an error. */
void trace_check_link(struct cfg_ctx *x, struct tb_link *l);

struct tb_config;
/** trace_check_link() on every link of @c (a case's copy); 0, or -EINVAL
 * with the problems in @d. */
int trace_check_links(struct tb_config *c, struct tb_diag *d);

/* Synthetic traces: a rate in bit/s at each millisecond. */
enum tb_trace_kind { TB_TRACE_CONSTANT, TB_TRACE_STEP, TB_TRACE_SQUARE, TB_TRACE_WALK };

struct tb_trace_gen {
	enum tb_trace_kind kind;
	uint64_t rate1, rate2;  /* constant: rate1; step/square: rate1 then rate2; walk: mean, spread */
	uint64_t at_ms;         /* step: when rate2 begins; square: the period */
	uint64_t seed;          /* walk */
	uint64_t duration_ms;   /* the trace's period */
};

/** The kinds' names and arguments, for `testbed trace gen` (NULL-ended). */
extern const char *const trace_kind_names[];

/** Write the trace @g describes to @f: opportunities by accumulated credit
 * each millisecond, and one at duration_ms so that the period is exact.
 * The same @g (seed included) always gives the same file. Returns the
 * number of lines, or -errno (a write error). */
long trace_generate(const struct tb_trace_gen *g, FILE *f);

#endif
