/* The user's processes of one run ([process NAME]): process.c. The run
 * loop (run_one.c) creates them, ticks them at each wake-up, asks when to
 * wake up next and whether they are done, then stops and records them. */
#ifndef TB_RUN_PROCESS_H
#define TB_RUN_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/config.h"

struct topo;
struct procs;

/** The processes of @c for one run on topology @t, into @dir/processes/
 * (created); times count from @t0, the start of the measured run. @tls_dir
 * holds cert.pem and key.pem, {tls_cert} and {tls_key} (NULL: none). */
struct procs *procs_new(const struct tb_config *c, struct topo *t, const char *dir,
			const char *tls_dir, const struct timespec *t0);
/** At time @t (seconds since t0): reap what ended, start what is due (its
 * start passed, what it runs after ready), notice what became ready. */
void procs_tick(struct procs *ps, double t);
/** When the loop must next look at them (seconds since t0; 1e18: never). */
double procs_next(const struct procs *ps, double t);
/** Whether there is a process that should exit on its own (stop = exit)
 * and every such process has ended. */
bool procs_done(const struct procs *ps);
/** Whether a process that should exit on its own is still running. */
bool procs_running(const struct procs *ps);
/** End of the run: every process still running gets SIGTERM (its process
 * group), SIGKILL 2 s later; those that should have exited are timed out. */
void procs_stop(struct procs *ps);
/** Write processes/NAME/status.json of each. -ECHILD with the reason in
 * @err when one failed the run (failed to start, not started, never ready,
 * timed out, exited non-zero) and no expectation is about its exit() or
 * runtime(); *@write_failed when a file could not be written. */
int procs_finish(struct procs *ps, char *err, size_t len, bool *write_failed);
void procs_free(struct procs *ps);

#endif
