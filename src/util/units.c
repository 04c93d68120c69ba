#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
	const char *name;
	double mult;
	const char *bits; /* a rate in bytes/s: the bit/s unit of the same prefix */
};

/* tc(8): kbit/mbit/gbit/tbit are SI, kibit.. are IEC; bps family is bytes/s. */
static const struct unit rate_units[] = {
	{ "bit", 1 },	       { "kbit", 1e3 },	       { "mbit", 1e6 },
	{ "gbit", 1e9 },       { "tbit", 1e12 },       { "kibit", 1024.0 },
	{ "mibit", 1048576.0 }, { "gibit", 1073741824.0 }, { "tibit", 1099511627776.0 },
	{ "bps", 8, "bit" },   { "kbps", 8e3, "kbit" },   { "mbps", 8e6, "mbit" },
	{ "gbps", 8e9, "gbit" }, { "tbps", 8e12, "tbit" }, { "kibps", 8 * 1024.0, "kibit" },
	{ "mibps", 8 * 1048576.0, "mibit" }, { "gibps", 8 * 1073741824.0, "gibit" },
};

static const struct unit time_units[] = {
	{ "us", 1 },	    { "usec", 1 },  { "usecs", 1 }, { "ms", 1e3 },	 { "msec", 1e3 },
	{ "msecs", 1e3 },   { "s", 1e6 },   { "sec", 1e6 }, { "secs", 1e6 },	 { "min", 60e6 },
	{ "ns", 1e-3 },
};

/* tc(8) sizes: k/kb are kilobytes (1024), kbit kilobits. */
static const struct unit size_units[] = {
	{ "b", 1 },	     { "k", 1024.0 },	     { "kb", 1024.0 },	   { "m", 1048576.0 },
	{ "mb", 1048576.0 }, { "g", 1073741824.0 }, { "gb", 1073741824.0 }, { "kbit", 128.0 },
	{ "mbit", 131072.0 }, { "gbit", 134217728.0 },
};

static const struct unit count_units[] = {
	{ "", 1 },
	{ "k", 1e3 },
	{ "m", 1e6 },
};

/* Split "12.5mbit" into a finite number and a unit; reject signs other than
 * a leading '-' (reported as negative), blanks, hex, inf and nan. */
static int split_number(const char *s, double *v, const char **unit, const char **why)
{
	char *end;

	if (!s || !*s) {
		*why = "empty value";
		return -EINVAL;
	}
	if (*s == '-') {
		*why = "must not be negative";
		return -ERANGE;
	}
	if (!(*s >= '0' && *s <= '9') && *s != '.') {
		*why = "not a number";
		return -EINVAL;
	}
	for (const char *p = s; *p; p++) {
		if (*p == 'x' || *p == 'X') {
			*why = "not a decimal number";
			return -EINVAL;
		}
	}
	errno = 0;
	*v = strtod(s, &end);
	if (end == s) {
		*why = "not a number";
		return -EINVAL;
	}
	if (errno == ERANGE || !isfinite(*v)) {
		*why = "number out of range";
		return -ERANGE;
	}
	*unit = end;
	return 0;
}

static int scale(const char *s, const struct unit *u, size_t n, const char *def_unit, double *out,
		 const char **why, const char *unit_hint)
{
	const char *unit;
	double v;
	int rc = split_number(s, &v, &unit, why);

	if (rc)
		return rc;
	if (!*unit) {
		if (!def_unit) {
			*why = unit_hint;
			return v == 0 ? (*out = 0, 0) : -EINVAL;
		}
		unit = def_unit;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(unit, u[i].name) == 0) {
			*out = v * u[i].mult;
			return 0;
		}
	}
	*why = unit_hint;
	return -EINVAL;
}

/* A unit table with the unit a bare number has (NULL: it needs one) and
 * what to say about an unknown unit. */
struct unit_set {
	const struct unit *u;
	size_t n;
	const char *def_unit, *hint;
};
#define UNIT_SET(t, def, hint) { t, sizeof(t) / sizeof(t[0]), def, hint }

static const struct unit_set rates = UNIT_SET(
	rate_units, "bit", "unknown rate unit (use bit, kbit, mbit, gbit, kibit.., bps, kbps, mbps)");
static const struct unit_set times = UNIT_SET(time_units, NULL, "time needs a unit (us, ms, s)");
static const struct unit_set sizes =
	UNIT_SET(size_units, "b", "unknown size unit (use k, m, g or kbit, mbit)");
static const struct unit_set counts =
	UNIT_SET(count_units, "", "not a whole number (optional suffix k or m)");

/* Scale @s by @set into an unsigned 64-bit value; @whole refuses fractions. */
static int scale_u64(const char *s, const struct unit_set *set, bool whole, uint64_t *out,
		     const char **why)
{
	double v;
	int rc = scale(s, set->u, set->n, set->def_unit, &v, why, set->hint);

	if (rc)
		return rc;
	if (whole && v != floor(v)) {
		*why = "not a whole number";
		return -EINVAL;
	}
	if (v >= 18446744073709549568.0) {
		*why = "number out of range";
		return -ERANGE;
	}
	*out = (uint64_t)llround(v);
	return 0;
}

int units_rate(const char *s, uint64_t *bps, const char **why)
{
	return scale_u64(s, &rates, false, bps, why);
}

const char *units_rate_bytes(const char *s, size_t *num_len)
{
	const char *unit;
	const char *why;
	double v;

	if (split_number(s, &v, &unit, &why))
		return NULL;
	for (size_t i = 0; i < sizeof(rate_units) / sizeof(rate_units[0]); i++)
		if (rate_units[i].bits && strcasecmp(unit, rate_units[i].name) == 0) {
			*num_len = (size_t)(unit - s);
			return rate_units[i].bits;
		}
	return NULL;
}

int units_time(const char *s, uint64_t *us, const char **why)
{
	return scale_u64(s, &times, false, us, why);
}

int units_size(const char *s, uint64_t *bytes, const char **why)
{
	return scale_u64(s, &sizes, false, bytes, why);
}

int units_count(const char *s, uint64_t *n, const char **why)
{
	return scale_u64(s, &counts, true, n, why);
}

/* A number followed by exactly @want; otherwise @no_unit (nothing follows)
 * or @other_unit. */
static int number_then(const char *s, const char *want, double *v, const char **why,
		       const char *no_unit, const char *other_unit)
{
	const char *unit;
	int rc = split_number(s, v, &unit, why);

	if (rc)
		return rc;
	if (strcmp(unit, want) != 0) {
		*why = *unit ? other_unit : no_unit;
		return -EINVAL;
	}
	return 0;
}

int units_percent(const char *s, double *pct, const char **why)
{
	double v;
	int rc = number_then(s, "%", &v, why, "a percentage needs its % sign",
			     "a percentage ends with %");

	if (rc)
		return rc;
	if (v > 100) {
		*why = "a percentage cannot exceed 100%";
		return -ERANGE;
	}
	*pct = v;
	return 0;
}

int units_real(const char *s, double *v, const char **why)
{
	return number_then(s, "", v, why, "not a number", "not a number");
}

int units_bool(const char *s, int *b, const char **why)
{
	static const char *yes[] = { "yes", "on", "true", "1" };
	static const char *no[] = { "no", "off", "false", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (s && strcasecmp(s, yes[i]) == 0)
			return *b = 1, 0;
		if (s && strcasecmp(s, no[i]) == 0)
			return *b = 0, 0;
	}
	*why = "expected yes or no";
	return -EINVAL;
}

/* Print @v in the first unit of @steps it reaches and is a multiple of
 * @exact in (1000500 us is 1000.5ms, not 1.0005s), else in @base. */
struct fmt_step {
	uint64_t min, exact;
	double div;
	const char *suffix;
};

static const char *fmt_scaled(uint64_t v, const struct fmt_step *steps, size_t n, const char *base,
			      char *buf, unsigned len)
{
	for (size_t i = 0; i < n; i++)
		if (v >= steps[i].min && v % steps[i].exact == 0) {
			snprintf(buf, len, "%g%s", v / steps[i].div, steps[i].suffix);
			return buf;
		}
	snprintf(buf, len, "%llu%s", (unsigned long long)v, base);
	return buf;
}

const char *units_fmt_rate(uint64_t bps, char *buf, unsigned len)
{
	static const struct fmt_step steps[] = {
		{ 1000000000, 1000000, 1e9, "Gbit" },
		{ 1000000, 1, 1e6, "Mbit" },
		{ 1000, 1, 1e3, "Kbit" },
	};

	return fmt_scaled(bps, steps, sizeof(steps) / sizeof(steps[0]), "bit", buf, len);
}

const char *units_fmt_time(uint64_t us, char *buf, unsigned len)
{
	static const struct fmt_step steps[] = {
		{ 1000000, 1000, 1e6, "s" },
		{ 1000, 1, 1e3, "ms" },
	};

	return fmt_scaled(us, steps, sizeof(steps) / sizeof(steps[0]), "us", buf, len);
}
