/* How busy the CPUs of the kernel we run on were between two readings of
 * /proc/stat's "cpu" line (every CPU of that kernel together). Inside the
 * User-Mode Linux guest that is the guest's one CPU: a guest busy near 100%
 * is the bottleneck of the experiment, not the network it emulates. */
#ifndef TB_CPUSTAT_H
#define TB_CPUSTAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct cpustat {
	uint64_t total;   /* every field of the line, in USER_HZ ticks */
	uint64_t idle;    /* idle + iowait */
	uint64_t softirq; /* packet processing lands here and in system */
};

/** Read /proc/stat's "cpu" line (@cpu < 0: every CPU) or its "cpuN" line
 * (@cpu = N). 0 or -errno (-ENOENT: no such CPU). */
int cpustat_read(int cpu, struct cpustat *s);

/** Busy share of [a, b] in percent (softirq included); NAN when no tick
 * passed. @softirq_pct (may be NULL) receives the softirq share. */
double cpustat_busy_pct(const struct cpustat *a, const struct cpustat *b, double *softirq_pct);

/* The wall clock and CPU use of a stretch of time (a run's measured time):
 * on average, and in its busiest part of at least CPULOAD_SPAN_S. */
#define CPULOAD_SPAN_S 0.9

struct cpuload {
	bool ok;                 /* /proc/stat was readable */
	struct timespec start;   /* CLOCK_REALTIME at cpuload_start() */
	struct cpustat cpu0, prev;
	struct timespec prev_t;  /* CLOCK_MONOTONIC of prev */
	double busiest;          /* percent; NAN until a part was measured */
};

/** Start measuring. */
void cpuload_start(struct cpuload *l);

/** Call at least once a second: closes a part when CPULOAD_SPAN_S passed. */
void cpuload_tick(struct cpuload *l);

/** { "start_unix", "end_unix", "cpu_of": @cpu_of, "cpu_busy_pct",
 * "cpu_busiest_pct", "cpu_softirq_pct" } up to now; unknown numbers null. */
json_t *cpuload_json(const struct cpuload *l, const char *cpu_of);

#endif
