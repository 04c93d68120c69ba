/* Mahimahi traces (config/trace.h): what a user's file may hold and the
 * message that points into it, the rate of each step of the repeating
 * trace, and `testbed trace gen`'s traces: the capacity asked for, the
 * same file for the same seed. No root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/trace.h"
#include "tap.h"

/* The first message of parsing @text, "" when it parses. */
static const char *parse_msg(const char *text, struct tb_trace *t)
{
	static char buf[256];
	struct tb_diag d = { 0 };

	buf[0] = 0;
	if (trace_parse(text, strlen(text), "x.trace", t, &d) && d.n)
		snprintf(buf, sizeof(buf), "%d: %s", d.msgs[0].line, d.msgs[0].text);
	diag_free(&d);
	return buf;
}

static void bad_files(void)
{
	struct tb_trace t;

	tap_is_str(parse_msg("1\n2\nx\n", &t), "3: trace: \"x\" is not a time in integer milliseconds",
		   "a non-integer: its line");
	tap_is_str(parse_msg("1\n2.5\n", &t), "2: trace: \"2.5\" is not a time in integer milliseconds",
		   "a fraction is refused");
	tap_is_str(parse_msg("5\n9\n7\n", &t), "3: trace: 7 ms goes back from 9 ms on the line before",
		   "a time going back: its line and both times");
	tap_is_str(parse_msg("", &t), "0: trace: no delivery opportunity (the file is empty)",
		   "an empty file");
	tap_is_str(parse_msg("0\n0\n", &t), "2: trace: the last time is 0 ms, so the trace has no period",
		   "a trace of period 0");
	tap_is_str(parse_msg("1\n99999999999\n", &t), "2: trace: 4294967296 ms is past a day (86400000 ms)",
		   "a time past a day");
	tap_is_str(parse_msg("1\r\n 2 \n3\n", &t), "", "CRs and blanks around a number are fine");
	tap_is_int((long long)t.period_ms, 3, "the period is the last time");
	trace_free(&t);
}

static void rates(void)
{
	struct tb_trace t;

	/* 2 opportunities at 5 ms, 1 at 12, 1 at 20: period 20 */
	parse_msg("5\n5\n12\n20\n", &t);
	tap_is_int((long long)trace_count(&t, 0, 10), 2, "two at 5 ms in the first 10 ms");
	tap_is_int((long long)trace_count(&t, 10, 20), 1, "one in [10, 20) (20 is the next cycle's)");
	tap_is_int((long long)trace_count(&t, 20, 30), 3, "the trace repeats: 20 + 5 twice, 20 + 0's 20");
	tap_is_int((long long)trace_count(&t, 0, 2000), 399,
		   "4 per 20 ms over 2 s, but the one at 2000 ms (the next cycle's 0)");
	tap_is_int((long long)trace_step_rate(&t, 0, 10), 2400000, "step 0: 2 x 1500 B in 10 ms");
	tap_is_int((long long)trace_step_rate(&t, 3, 5), TB_TRACE_MIN_BPS,
		   "a step without opportunities gets the tiny rate");
	tap_is_int((long long)trace_mean_rate(&t), 2400000, "mean: 4 x 1500 B per 20 ms");
	trace_free(&t);
}

/* @g's text (malloc'd) and its trace. */
static char *gen(const struct tb_trace_gen *g, struct tb_trace *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	trace_generate(g, f);
	fclose(f);
	parse_msg(buf, t);
	return buf;
}

static void generated(void)
{
	struct tb_trace_gen g = { .kind = TB_TRACE_STEP, .rate1 = 20000000, .rate2 = 5000000,
				  .at_ms = 4000, .duration_ms = 8000 };
	struct tb_trace t;
	char *a, *b;
	uint64_t hi, lo;

	free(gen(&g, &t));
	hi = trace_count(&t, 1000, 4000) * 12000 / 3;
	lo = trace_count(&t, 5000, 8000) * 12000 / 3;
	tap_diag("step: %llu bit/s before, %llu after", (unsigned long long)hi, (unsigned long long)lo);
	tap_ok(hi > 19900000 && hi < 20100000, "step: 20 Mbit/s before the step");
	tap_ok(lo > 4950000 && lo < 5050000, "step: 5 Mbit/s after it");
	tap_is_int((long long)t.period_ms, 8000, "the period is the duration");
	trace_free(&t);
	g = (struct tb_trace_gen){ .kind = TB_TRACE_WALK, .rate1 = 10000000, .rate2 = 3000000,
				   .seed = 7, .duration_ms = 60000 };
	a = gen(&g, &t);
	tap_diag("walk: mean %llu bit/s", (unsigned long long)trace_mean_rate(&t));
	tap_ok(trace_mean_rate(&t) > 7000000 && trace_mean_rate(&t) < 13000000,
	       "walk: the mean near MEAN");
	trace_free(&t);
	b = gen(&g, &t);
	tap_ok(!strcmp(a, b), "walk: the same seed gives the same file");
	free(b);
	trace_free(&t);
	g.seed = 8;
	b = gen(&g, &t);
	tap_ok(strcmp(a, b) != 0, "walk: another seed another file");
	free(a);
	free(b);
	trace_free(&t);
}

int main(void)
{
	bad_files();
	rates();
	generated();
	return tap_done();
}
