#include "clockwatch.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

#define MAX_LATE 100000

struct clockwatch {
	pthread_t th;
	volatile bool stop;
	bool realtime;
	int64_t late_max_ns;
	size_t n;
	double (*late)[2];
};

static int64_t ns_of(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void *watch(void *arg)
{
	struct clockwatch *w = arg;
	const int64_t tick = (int64_t)CLOCKWATCH_TICK_MS * 1000000;
	int64_t next = ns_of(CLOCK_MONOTONIC);

	w->realtime = !pthread_setschedparam(pthread_self(), SCHED_FIFO,
					     &(struct sched_param){ .sched_priority = 1 });
	if (!w->realtime)
		setpriority(PRIO_PROCESS, (id_t)gettid(), -10);
	while (!w->stop) {
		struct timespec ts;
		int64_t late;

		next += tick;
		ts = (struct timespec){ .tv_sec = next / 1000000000, .tv_nsec = next % 1000000000 };
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		late = ns_of(CLOCK_MONOTONIC) - next;
		if (late > w->late_max_ns)
			w->late_max_ns = late;
		if (late >= (int64_t)CLOCKWATCH_LIST_MS * 1000000 && w->n < MAX_LATE) {
			w->late[w->n][0] = (double)(ns_of(CLOCK_REALTIME) - late) / 1e9;
			w->late[w->n++][1] = (double)late / 1e6;
		}
		if (late > tick) /* skip the ticks it slept through */
			next += late / tick * tick;
	}
	return NULL;
}

int clockwatch_start(struct clockwatch **out)
{
	struct clockwatch *w = xcalloc(1, sizeof(*w));
	int rc;

	w->late = xcalloc(MAX_LATE, sizeof(*w->late));
	rc = pthread_create(&w->th, NULL, watch, w);
	if (rc) {
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
	o = json_pack("{s:i s:b s:f s:o}", "tick_ms", CLOCKWATCH_TICK_MS, "realtime", w->realtime,
		      "late_max_ms", (double)w->late_max_ns / 1e6, "late", late);
	free(w->late);
	free(w);
	return o;
}
