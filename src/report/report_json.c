/* The JSON values summary.json is made of, shared by its writers
 * (report_summary, and report_qdisc for the queues): a number that may be
 * undefined, and a statistic's spread. Below both, so that neither includes
 * the other for them. */
#include <math.h>

#include "report_int.h"

json_t *rp_json_real(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 9e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

json_t *rp_stats_json(const struct stats *st)
{
	json_t *o = json_object();

	json_object_set_new(o, "median", rp_json_real(st->median));
	json_object_set_new(o, "min", rp_json_real(st->min));
	json_object_set_new(o, "max", rp_json_real(st->max));
	json_object_set_new(o, "mean", rp_json_real(st->mean));
	json_object_set_new(o, "ci95_low", rp_json_real(st->ci95_low));
	json_object_set_new(o, "ci95_high", rp_json_real(st->ci95_high));
	json_object_set_new(o, "n", json_integer((json_int_t)st->n));
	return o;
}
