/* Trace-driven links during a run: a thread of the run that changes the
 * rate of each traced direction's htb class in place every
 * TB_TRACE_STEP_MS, to the rate of that step of its Mahimahi trace
 * (config/trace.h; docs/shaping.md says why htb and why this step). */
#ifndef TB_TRACE_RUN_H
#define TB_TRACE_RUN_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "topo.h"

struct trace_run;

/**
 * Follow the traces of @c's link directions on the built topology @t, the
 * trace's time 0 at @t0 (CLOCK_MONOTONIC): the first step's rate is set
 * before this returns, the rest by a thread. *@out is NULL when no
 * direction has a trace. 0 or -errno with the reason in @err.
 */
int trace_run_start(const struct tb_config *c, const struct topo *t, const struct timespec *t0,
		    struct trace_run **out, char *err, size_t errlen);

/**
 * Stop the thread and free @tr (NULL-safe); what it did, per direction
 * (file, step, changes made, the latest a change was, failures), appended
 * to @info's "traces". Returns -errno of the first failed change (its
 * text in @err unless NULL), else 0.
 */
int trace_run_stop(struct trace_run *tr, json_t *info, char *err, size_t errlen);

#endif
