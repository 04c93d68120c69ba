/* JUnit XML, written by hand: the format is a handful of elements and
 * attributes, and escaping is the only subtle part, so no XML library
 * (Debian's libxml2 would do) is linked for it. Built from summary.json
 * (testbed run and report) or from a comparison's --fail-if verdicts. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "junit.h"
#include "report_int.h"
#include "util/jsonfile.h"
#include "util/util.h"

/* @s escaped for XML 1.0 text (@attr false) or an attribute. */
static void xml_put(FILE *f, const char *s, bool attr)
{
	rp_markup_put(f, s, SIZE_MAX, attr);
}

static void write_case(FILE *f, const struct junit_case *tc)
{
	fputs("    <testcase name=\"", f);
	xml_put(f, tc->name, true);
	fputs("\" classname=\"", f);
	xml_put(f, tc->classname, true);
	fputs("\" time=\"0\"", f);
	if (!tc->failure) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n      <failure message=\"", f);
	xml_put(f, tc->failure, true);
	fputs("\" type=\"expectation\">", f);
	xml_put(f, tc->detail, false);
	fputs("</failure>\n    </testcase>\n", f);
}

struct suite {
	const char *name;
	const struct junit_case *tc;
	size_t n;
};

static int write_suite(FILE *f, void *arg)
{
	const struct suite *s = arg;
	time_t now = time(NULL);
	size_t failures = 0;
	char stamp[32];

	for (size_t i = 0; i < s->n; i++)
		failures += s->tc[i].failure != NULL;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", gmtime(&now));
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"%zu\" "
		   "failures=\"%zu\" errors=\"0\">\n  <testsuite name=\"",
		s->n, failures);
	xml_put(f, s->name, true);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"0\" "
		   "timestamp=\"%s\">\n",
		s->n, failures, stamp);
	for (size_t i = 0; i < s->n; i++)
		write_case(f, &s->tc[i]);
	fputs("  </testsuite>\n</testsuites>\n", f);
	return 0;
}

int junit_write(const char *path, const char *suite, const struct junit_case *tc, size_t n)
{
	struct suite s = { suite, tc, n };

	return tb_file_write(path, write_suite, &s);
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The unit of an expression side, by its first metric (mathis() a rate);
 * TB_UNIT_COUNT when it has none. */
static enum tb_unit text_unit(const char *s)
{
	for (const char *p = s; *p; p++) {
		const char *b = p;
		char name[32];

		if (!isalpha((unsigned char)*p) || (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '_')))
			continue;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (*p != '(' || (size_t)(p - b) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(p - b), b);
		if (!strcmp(name, "mathis"))
			return TB_UNIT_RATE;
		if (metric_find(name, -1))
			return metric_unit(name);
	}
	return TB_UNIT_COUNT;
}

/* The comparison of an expression as written: "<=", ">" ... */
static const char *text_op(const char *s)
{
	static const char *const ops[] = { "<=", ">=", "==", "!=", "<", ">" };

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (strstr(s, ops[i]))
			return ops[i];
	return "vs";
}

/* "cc=bbr, loss=1%" of a combination's "where". */
static char *where_text(const json_t *where)
{
	char *s = xstrdup(""), *t;
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)where, k, v) {
		t = xasprintf("%s%s%s=%s", s, *s ? ", " : "", k, json_string_value(v));
		free(s);
		s = t;
	}
	return s;
}

/* The failure message of combination @cb of expectation @ex, with the numbers. */
static char *combo_message(const json_t *ex, const json_t *cb, const char *where)
{
	enum tb_unit lu = text_unit(jstr(ex, "lhs")), ru = text_unit(jstr(ex, "rhs"));
	char a[48], b[48];

	if (json_is_string(json_object_get(ex, "why_not")))
		return xasprintf("not held: %s", jstr(ex, "why_not"));
	if (json_is_true(json_object_get(cb, "no_data")))
		return xasprintf("not held (no data)%s%s: %s", *where ? " at " : "", where,
				 jstr(cb, "reason"));
	if (lu == TB_UNIT_COUNT)
		lu = ru;
	if (ru == TB_UNIT_COUNT)
		ru = lu;
	return xasprintf("not held%s%s: %s %s %s is false%s%s", *where ? " at " : "", where,
			 rp_fmt(json_number_value(json_object_get(cb, "lhs")), lu, a, sizeof(a)),
			 text_op(jstr(ex, "text")),
			 rp_fmt(json_number_value(json_object_get(cb, "rhs")), ru, b, sizeof(b)),
			 json_is_string(json_object_get(cb, "reason")) ? ": " : "", jstr(cb, "reason"));
}

/* A term's unit: summary.json's, else (an older one) by its metric's name. */
static enum tb_unit term_unit(const json_t *m)
{
	const char *u = json_string_value(json_object_get(m, "unit"));

	return u ? rp_unit_named(u) : text_unit(jstr(m, "metric"));
}

/* Whether metric @i of @ms is written as an earlier one (shown once). */
static bool shown_before(const json_t *ms, size_t i)
{
	const char *txt = jstr(json_array_get(ms, i), "metric");

	for (size_t j = 0; j < i; j++)
		if (!strcmp(jstr(json_array_get(ms, j), "metric"), txt))
			return true;
	return false;
}

/* The expression, then each metric's median (or why it has none). */
static char *combo_detail(const json_t *ex, const json_t *cb)
{
	char *s = xasprintf("%s\n", jstr(ex, "text")), *t, v[48];
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(cb, "metrics"), i, m) {
		const char *txt = jstr(m, "metric");
		json_t *st = json_object_get(m, "stats");

		if (shown_before(json_object_get(cb, "metrics"), i))
			continue;
		if (json_is_string(json_object_get(m, "missing")))
			t = xasprintf("%s%s: no data: %s\n", s, txt, jstr(m, "missing"));
		else if (json_is_true(json_object_get(m, "configured")))
			t = xasprintf("%s%s = %s (configured)\n", s, txt,
				      rp_fmt(json_number_value(json_object_get(m, "value")),
					     term_unit(m), v, sizeof(v)));
		else
			t = xasprintf("%s%s = %s (median of %lld runs)\n", s, txt,
				      rp_fmt(json_number_value(json_object_get(m, "value")),
					     term_unit(m), v, sizeof(v)),
				      json_integer_value(json_object_get(st, "n")));
		free(s);
		s = t;
	}
	return s;
}

static void cases_free(struct junit_case *tc, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(tc[i].name);
		free(tc[i].failure);
		free(tc[i].detail);
	}
	free(tc);
}

/* One testcase per combination of expectation @ex (one when it has none). */
static size_t expect_cases(const json_t *ex, const char *cls, struct junit_case **tc, size_t n,
			   size_t *cap)
{
	json_t *combos = json_object_get(ex, "combinations"), *none = json_object(), *cb;
	size_t nc = json_array_size(combos) ? json_array_size(combos) : 1;

	for (size_t j = 0; j < nc; j++) {
		struct junit_case *c;
		char *where;

		cb = json_array_size(combos) ? json_array_get(combos, j) : none;
		where = where_text(json_object_get(cb, "where"));
		*tc = tb_grow(*tc, cap, n, sizeof(**tc));
		c = &(*tc)[n++];
		memset(c, 0, sizeof(*c));
		c->name = *where ? xasprintf("%s %s", jstr(ex, "name"), where) :
				   xstrdup(jstr(ex, "name"));
		c->classname = cls;
		if (!json_is_true(json_object_get(cb, "held")) ||
		    json_is_string(json_object_get(ex, "why_not"))) {
			c->failure = combo_message(ex, cb, where);
			c->detail = combo_detail(ex, cb);
		}
		free(where);
	}
	json_decref(none);
	return n;
}

int junit_from_summary(const json_t *summary, const char *path)
{
	const char *cls = jstr(summary, "experiment");
	struct junit_case *tc = NULL;
	size_t n = 0, cap = 0, i;
	json_t *ex;
	int rc;

	json_array_foreach(json_object_get(summary, "expectations"), i, ex)
		n = expect_cases(ex, cls, &tc, n, &cap);
	rc = junit_write(path, cls, tc, n);
	if (rc)
		tb_err("junit: cannot write %s: %s", path, strerror(-rc));
	cases_free(tc, n);
	return rc;
}

int junit_from_outdir(const char *outdir, const char *path)
{
	char *sp = xasprintf("%s/summary.json", outdir);
	json_error_t je;
	json_t *s = json_load_file(sp, 0, &je);
	int rc = -ENOENT;

	if (!s)
		tb_err("junit: %s: %s", sp, je.text);
	else
		rc = junit_from_summary(s, path);
	json_decref(s);
	free(sp);
	return rc;
}

int junit_from_compare(const json_t *cmp, const char *path)
{
	const char *cls = jstr(json_object_get(cmp, "new"), "experiment");
	json_t *g = json_object_get(cmp, "fail_if"), *x;
	struct junit_case *tc = xcalloc(json_array_size(g) + 1, sizeof(*tc));
	size_t i;
	int rc;

	json_array_foreach(g, i, x) {
		tc[i].name = xasprintf("fail-if %s", jstr(x, "expression"));
		tc[i].classname = cls;
		if (json_is_true(json_object_get(x, "fired")) ||
		    json_is_true(json_object_get(x, "undecided"))) {
			tc[i].failure = xstrdup(jstr(x, "message"));
			tc[i].detail = xasprintf("base %s\nnew %s\n",
						 jstr(json_object_get(cmp, "base"), "path"),
						 jstr(json_object_get(cmp, "new"), "path"));
		}
	}
	rc = junit_write(path, "testbed compare", tc, json_array_size(g));
	if (rc)
		tb_err("junit: cannot write %s: %s", path, strerror(-rc));
	cases_free(tc, json_array_size(g));
	return rc;
}
