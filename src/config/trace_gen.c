/* Synthetic Mahimahi traces for `testbed trace gen` (trace.h): a rate at
 * each millisecond becomes delivery opportunities by accumulated credit. */
#include <errno.h>
#include <stdio.h>

#include "trace.h"

#define WALK_STEP_MS 100 /* the random walk draws a new rate this often */

/* splitmix64: the same numbers on every libc, so a seed is a trace. */
static uint64_t next_u64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A standard normal draw, near enough: the sum of 12 uniforms less 6. */
static double normal(uint64_t *s)
{
	double sum = 0;

	for (int i = 0; i < 12; i++)
		sum += (double)(next_u64(s) >> 11) / 9007199254740992.0;
	return sum - 6.0;
}

/* The walk's next rate: an AR(1) around the mean (coefficient 0.9, so the
 * spread is its standard deviation), kept within [0, mean + 4 x spread]. */
static double walk_next(const struct tb_trace_gen *g, double r, uint64_t *s)
{
	double mean = (double)g->rate1, spread = (double)g->rate2;

	r = mean + 0.9 * (r - mean) + spread * 0.4359 * normal(s);
	if (r < 0)
		r = 0;
	if (r > mean + 4 * spread)
		r = mean + 4 * spread;
	return r;
}

/* The rate (bit/s) at millisecond @ms; @walk carries the walk's state. */
static double rate_at(const struct tb_trace_gen *g, uint64_t ms, double *walk, uint64_t *s)
{
	switch (g->kind) {
	case TB_TRACE_CONSTANT:
		return (double)g->rate1;
	case TB_TRACE_STEP:
		return (double)(ms < g->at_ms ? g->rate1 : g->rate2);
	case TB_TRACE_SQUARE:
		return (double)(ms % g->at_ms < g->at_ms / 2 ? g->rate1 : g->rate2);
	case TB_TRACE_WALK:
		if (ms % WALK_STEP_MS == 0)
			*walk = walk_next(g, *walk, s);
		return *walk;
	}
	return 0;
}

long trace_generate(const struct tb_trace_gen *g, FILE *f)
{
	uint64_t seed = g->seed;
	double credit = 0, walk = (double)g->rate1;
	uint64_t last = 0;
	long lines = 0;

	for (uint64_t ms = 0; ms < g->duration_ms; ms++) {
		credit += rate_at(g, ms, &walk, &seed) / (TB_TRACE_PACKET * 8.0 * 1000.0);
		for (; credit >= 1.0; credit -= 1.0, lines++, last = ms + 1)
			fprintf(f, "%llu\n", (unsigned long long)ms + 1);
	}
	/* the period is the last time: end exactly at the duration */
	if (last < g->duration_ms) {
		fprintf(f, "%llu\n", (unsigned long long)g->duration_ms);
		lines++;
	}
	if (fflush(f) || ferror(f))
		return -EIO;
	return lines;
}
