#include "cpustat.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cpustat_read(struct cpustat *s)
{
	char buf[256];
	uint64_t v[10] = { 0 };
	int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC), n;
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return r < 0 ? -errno : -EIO;
	buf[r] = 0;
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	n = sscanf(buf, "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
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
