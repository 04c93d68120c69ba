/* The host's own clock check while a User-Mode Linux guest runs an
 * experiment: a real-time thread on the host that wakes every
 * CLOCKWATCH_TICK_MS and notes how late it woke. A wake-up this thread
 * missed means the host did not run it (a busy or paused machine); the
 * samplers inside the guest cannot tell that apart from the guest falling
 * behind, so the report puts the two side by side (report_load.c). */
#ifndef TB_CLOCKWATCH_H
#define TB_CLOCKWATCH_H

#include <jansson.h>

#define CLOCKWATCH_TICK_MS 10
/* wake-ups at least this late are listed with their wall-clock time */
#define CLOCKWATCH_LIST_MS 20

struct clockwatch;

/** Start the thread (SCHED_FIFO when allowed, else nice -10). With @cpu >= 0
 * (the host CPU the guest is kept on) it also notes how busy that CPU was
 * each second: the guest's whole cost there, UML's own work on the host
 * included, which the guest's /proc/stat does not see. 0 or -errno. */
int clockwatch_start(int cpu, struct clockwatch **out);

/** Stop it and return what it saw: { "tick_ms", "realtime", "late_max_ms",
 * "late": [[unix_s, ms], ...] (wake-ups >= CLOCKWATCH_LIST_MS late, at most
 * 100,000), "cpu": N or null, "cpu_busy": [[unix_s, pct], ...] (each second
 * of CPU N, stamped at its end) }. NULL-safe (returns NULL). */
json_t *clockwatch_stop(struct clockwatch *w);

#endif
