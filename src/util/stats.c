/* Median, extremes and a t-based 95% confidence interval of the mean.
 * With the few repeats experiments use (3..10), a distribution-free CI of
 * the median would need at least 6 values to exist at 95%, so the interval
 * reported is the classic one for the mean; the median is the headline. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "util.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double stats_median(const double *v, size_t n)
{
	double *s, m;

	if (!n)
		return NAN;
	s = xmalloc(n * sizeof(*s));
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

double stats_t975(size_t df)
{
	static const double t[] = { NAN,   12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
				    2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
				    2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
				    2.064, 2.060,  2.056, 2.052, 2.048, 2.045, 2.042 };
	const double z = 1.959964;
	double d = (double)df;

	if (df < ARRAY_SIZE(t))
		return t[df];
	return z + (z * z * z + z) / (4 * d) +
	       (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d);
}

void stats_compute(const double *v, size_t n, struct stats *s)
{
	double sum = 0, ss = 0;

	s->n = n;
	s->median = stats_median(v, n);
	s->min = s->max = s->mean = s->sd = s->ci95_low = s->ci95_high = NAN;
	if (!n)
		return;
	s->min = s->max = v[0];
	for (size_t i = 0; i < n; i++) {
		sum += v[i];
		if (v[i] < s->min)
			s->min = v[i];
		if (v[i] > s->max)
			s->max = v[i];
	}
	s->mean = sum / (double)n;
	if (n < 2)
		return;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - s->mean) * (v[i] - s->mean);
	s->sd = sqrt(ss / (double)(n - 1));
	{
		double h = stats_t975(n - 1) * s->sd / sqrt((double)n);

		s->ci95_low = s->mean - h;
		s->ci95_high = s->mean + h;
	}
}
