/* Statistics over the repeats of one case: median, extremes and a 95%
 * confidence interval of the mean (Student's t). Missing values are not
 * passed in: the caller collects only the repeats that produced a number. */
#ifndef TB_STATS_H
#define TB_STATS_H

#include <stddef.h>

struct stats {
	size_t n;
	double median, min, max, mean;
	double sd;                  /* sample standard deviation; NAN when n < 2 */
	double ci95_low, ci95_high; /* mean -/+ t(0.975, n-1) * sd / sqrt(n); NAN when n < 2 */
};

/** Median of @v[0..n) (the mean of the two middle values when n is even);
 * NAN when n == 0. @v is not modified. */
double stats_median(const double *v, size_t n);

/** Two-sided 97.5% quantile of Student's t with @df degrees of freedom
 * (table for df <= 30, Cornish-Fisher expansion above); NAN for df == 0. */
double stats_t975(size_t df);

/** Fill @s from @v[0..n). Fields that need more values are NAN. */
void stats_compute(const double *v, size_t n, struct stats *s);

#endif
