#include "clockwatch.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "cpustat.h"
#include "util/util.h"

#define MAX_LATE 100000

struct clockwatch {
	pthread_t th;
	volatile bool stop;
	bool realtime;
	int64_t late_max_ns;
	size_t n;
	double (*late)[2];
	int cpu;                 /* the guest's host CPU; -1: not watched */
	struct cpustat prev;
	json_t *cpu_busy;        /* [[unix_s, pct], ...] */
};

/* Once a second: how busy the guest's host CPU was since the last time. */
static void note_cpu(struct clockwatch *w, unsigned tick)
{
	struct cpustat now;
	double busy;

	if (w->cpu < 0 || tick % (1000 / CLOCKWATCH_TICK_MS) || cpustat_read(w->cpu, &now))
		return;
	busy = cpustat_busy_pct(&w->prev, &now, NULL);
	if (!isnan(busy))
		json_array_append_new(w->cpu_busy,
				      json_pack("[f f]", (double)tb_clock_ns(CLOCK_REALTIME) / 1e9, busy));
	w->prev = now;
}

static void *watch(void *arg)
{
	struct clockwatch *w = arg;
	const int64_t period = (int64_t)CLOCKWATCH_TICK_MS * 1000000;
	int64_t next = tb_clock_ns(CLOCK_MONOTONIC);
	unsigned tick = 0;

	w->realtime = !pthread_setschedparam(pthread_self(), SCHED_FIFO,
					     &(struct sched_param){ .sched_priority = 1 });
	if (!w->realtime)
		setpriority(PRIO_PROCESS, (id_t)gettid(), -10);
	while (!w->stop) {
		struct timespec ts;
		int64_t late;

		next += period;
		ts = (struct timespec){ .tv_sec = next / 1000000000, .tv_nsec = next % 1000000000 };
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		late = tb_clock_ns(CLOCK_MONOTONIC) - next;
		if (late > w->late_max_ns)
			w->late_max_ns = late;
		if (late >= (int64_t)CLOCKWATCH_LIST_MS * 1000000 && w->n < MAX_LATE) {
			w->late[w->n][0] = (double)(tb_clock_ns(CLOCK_REALTIME) - late) / 1e9;
			w->late[w->n++][1] = (double)late / 1e6;
		}
		if (late > period) /* skip the ticks it slept through */
			next += late / period * period;
		note_cpu(w, ++tick);
	}
	return NULL;
}

int clockwatch_start(int cpu, struct clockwatch **out)
{
	struct clockwatch *w = xcalloc(1, sizeof(*w));
	int rc;

	w->late = xcalloc(MAX_LATE, sizeof(*w->late));
	w->cpu_busy = json_array();
	w->cpu = cpu >= 0 && cpustat_read(cpu, &w->prev) == 0 ? cpu : -1;
	rc = tb_thread_start(&w->th, watch, w);
	if (rc) {
		json_decref(w->cpu_busy);
		free(w->late);
		free(w);
		return -rc;
	}
	*out = w;
	return 0;
}

json_t *clockwatch_stop(struct clockwatch *w)
{
	json_t *late, *o;

	if (!w)
		return NULL;
	w->stop = true;
	pthread_join(w->th, NULL);
	late = json_array();
	for (size_t i = 0; i < w->n; i++)
		json_array_append_new(late, json_pack("[f f]", w->late[i][0], w->late[i][1]));
	o = json_pack("{s:i s:b s:f s:o s:o s:o}", "tick_ms", CLOCKWATCH_TICK_MS, "realtime",
		      w->realtime, "late_max_ms", (double)w->late_max_ns / 1e6, "late", late, "cpu",
		      w->cpu >= 0 ? json_integer(w->cpu) : json_null(), "cpu_busy", w->cpu_busy);
	free(w->late);
	free(w);
	return o;
}
