#include "cpustat.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

int cpustat_read(int cpu, struct cpustat *s)
{
	char buf[8192], want[24], *line;
	uint64_t v[10] = { 0 };
	int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC), n;
	ssize_t r;

	if (fd < 0)
		return -errno;
	/* the lines of the first ~100 CPUs fit; "cpu" comes first */
	r = read(fd, buf, cpu < 0 ? 256 : sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return r < 0 ? -errno : -EIO;
	buf[r] = 0;
	if (cpu < 0)
		snprintf(want, sizeof(want), "cpu ");
	else
		snprintf(want, sizeof(want), "\ncpu%d ", cpu);
	line = strstr(buf, want);
	if (!line)
		return -ENOENT;
	line = strchr(line + 1, ' ');
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	n = sscanf(line, " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
	if (n < 4)
		return -EPROTO;
	memset(s, 0, sizeof(*s));
	/* guest and guest_nice are already counted in user and nice */
	for (int i = 0; i < 8; i++)
		s->total += v[i];
	s->idle = v[3] + v[4];
	s->softirq = v[6];
	return 0;
}

double cpustat_busy_pct(const struct cpustat *a, const struct cpustat *b, double *softirq_pct)
{
	double total = (double)(b->total - a->total);

	if (softirq_pct)
		*softirq_pct = NAN;
	if (b->total <= a->total)
		return NAN;
	if (softirq_pct)
		*softirq_pct = 100.0 * (double)(b->softirq - a->softirq) / total;
	return 100.0 * (total - (double)(b->idle - a->idle)) / total;
}

static json_t *real_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

void cpuload_start(struct cpuload *l)
{
	memset(l, 0, sizeof(*l));
	clock_gettime(CLOCK_REALTIME, &l->start);
	l->ok = cpustat_read(-1, &l->cpu0) == 0;
	l->prev = l->cpu0;
	clock_gettime(CLOCK_MONOTONIC, &l->prev_t);
	l->busiest = NAN;
}

void cpuload_tick(struct cpuload *l)
{
	struct cpustat now;
	double busy;

	if (!l->ok || tb_since_s(&l->prev_t) < CPULOAD_SPAN_S || cpustat_read(-1, &now))
		return;
	busy = cpustat_busy_pct(&l->prev, &now, NULL);
	if (!isnan(busy) && (isnan(l->busiest) || busy > l->busiest))
		l->busiest = busy;
	l->prev = now;
	clock_gettime(CLOCK_MONOTONIC, &l->prev_t);
}

json_t *cpuload_json(const struct cpuload *l, const char *cpu_of)
{
	struct timespec end;
	struct cpustat now;
	double busy = NAN, softirq = NAN;

	clock_gettime(CLOCK_REALTIME, &end);
	if (l->ok && !cpustat_read(-1, &now))
		busy = cpustat_busy_pct(&l->cpu0, &now, &softirq);
	return json_pack("{s:f s:f s:s s:o s:o s:o}", "start_unix",
			 (double)l->start.tv_sec + (double)l->start.tv_nsec / 1e9, "end_unix",
			 (double)end.tv_sec + (double)end.tv_nsec / 1e9, "cpu_of", cpu_of,
			 "cpu_busy_pct", real_or_null(busy), "cpu_busiest_pct",
			 real_or_null(l->busiest), "cpu_softirq_pct", real_or_null(softirq));
}
