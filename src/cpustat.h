/* How busy the CPUs of the kernel we run on were between two readings of
 * /proc/stat's "cpu" line (every CPU of that kernel together). Inside the
 * User-Mode Linux guest that is the guest's one CPU: a guest busy near 100%
 * is the bottleneck of the experiment, not the network it emulates. */
#ifndef TB_CPUSTAT_H
#define TB_CPUSTAT_H

#include <stdint.h>

struct cpustat {
	uint64_t total;   /* every field of the line, in USER_HZ ticks */
	uint64_t idle;    /* idle + iowait */
	uint64_t softirq; /* packet processing lands here and in system */
};

/** Read /proc/stat's "cpu" line. 0 or -errno. */
int cpustat_read(struct cpustat *s);

/** Busy share of [a, b] in percent (softirq included); NAN when no tick
 * passed. @softirq_pct (may be NULL) receives the softirq share. */
double cpustat_busy_pct(const struct cpustat *a, const struct cpustat *b, double *softirq_pct);

#endif
