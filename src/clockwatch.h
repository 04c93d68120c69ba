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

/** Start the thread (SCHED_FIFO when allowed, else nice -10). 0 or -errno. */
int clockwatch_start(struct clockwatch **out);

/** Stop it and return what it saw: { "tick_ms", "realtime", "late_max_ms",
 * "late": [[unix_s, ms], ...] } (wake-ups >= CLOCKWATCH_LIST_MS late, at
 * most 100,000). NULL-safe (returns NULL). */
json_t *clockwatch_stop(struct clockwatch *w);

#endif
