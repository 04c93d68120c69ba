/* testbed compare: both sides read, whether they are one experiment, and
 * the before/after table of every statistic both summary.json files have.
 * The significance rule is sig_verdict() below (docs/compare.md). */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"
#include "report_int.h"
#include "util/util.h"

/* Settings that may differ without being listed: how long and how often
 * the experiment ran, and where its file was. */
static const char *const unlisted_settings[] = { "file", "experiment.duration",
						 "experiment.repeat", NULL };
#define MAX_SETTINGS 100

static json_t *load_json(const char *path, bool must)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);

	if (!j && must)
		tb_err("compare: %s: %s", path, je.text);
	return j;
}

int compare_open(const char *path, struct compare_input *in)
{
	struct stat st;
	char *copy, *mpath;

	memset(in, 0, sizeof(*in));
	if (stat(path, &st) < 0) {
		tb_err("compare: %s: %s", path, strerror(errno));
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		in->dir = xstrdup(path);
		in->summary_path = xasprintf("%s/summary.json", path);
	} else {
		in->summary_path = xstrdup(path);
		copy = xstrdup(path);
		in->dir = xstrdup(dirname(copy));
		free(copy);
	}
	in->summary = load_json(in->summary_path, true);
	mpath = xasprintf("%s/manifest.json", in->dir);
	in->manifest = load_json(mpath, false);
	free(mpath);
	if (!in->manifest) { /* a summary.json alone: no runs to read */
		free(in->dir);
		in->dir = NULL;
	}
	return in->summary ? 0 : -EINVAL;
}

void compare_close(struct compare_input *in)
{
	if (!in)
		return;
	free(in->dir);
	free(in->summary_path);
	json_decref(in->summary);
	json_decref(in->manifest);
	memset(in, 0, sizeof(*in));
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The swept keys, or the flows with their workers, of a summary as one
 * sorted-free text ("flow.bulk.cc loss" / "bulk:bulk rr:rr"): both sides
 * list them in the file's order. */
static char *shape_text(const json_t *sum, bool flows)
{
	json_t *first = json_array_get(json_object_get(sum, "cases"), 0), *x;
	char *s = xstrdup(""), *t;
	const char *k;
	size_t i;

	if (flows) {
		json_object_foreach(json_object_get(first, "flows"), k, x) {
			t = xasprintf("%s%s%s:%s", s, *s ? " " : "", k, jstr(x, "worker"));
			free(s);
			s = t;
		}
		return s;
	}
	json_array_foreach(json_object_get(sum, "sweeps"), i, x) {
		t = xasprintf("%s%s%s", s, *s ? " " : "", jstr(x, "key"));
		free(s);
		s = t;
	}
	return s;
}

/* The case of @sum whose params equal @params; NULL when none. */
static json_t *find_case(const json_t *sum, const json_t *params)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(sum, "cases"), i, c)
		if (json_equal(json_object_get(c, "params"), (json_t *)params))
			return c;
	return NULL;
}

static bool case_in_common(const json_t *b, const json_t *n)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(n, "cases"), i, c)
		if (find_case(b, json_object_get(c, "params")))
			return true;
	return false;
}

char *compare_mismatch(const struct compare_input *b, const struct compare_input *n)
{
	const char *bn = jstr(b->summary, "experiment"), *nn = jstr(n->summary, "experiment");
	char *why = NULL;

	if (strcmp(bn, nn))
		return xasprintf("experiment \"%s\" vs \"%s\"", bn, nn);
	for (int flows = 0; flows < 2 && !why; flows++) {
		char *x = shape_text(b->summary, flows), *y = shape_text(n->summary, flows);

		if (strcmp(x, y))
			why = xasprintf("%s \"%s\" vs \"%s\"", flows ? "flows" : "swept keys", x, y);
		free(x);
		free(y);
	}
	if (!why && !case_in_common(b->summary, n->summary))
		why = xstrdup("no case has the same sweep values in both");
	return why;
}

/* Significant when the 95% confidence intervals of the repeats do not
 * overlap: "yes"/"no", or "n/a (1 run)" when a side has no interval. */
static const char *sig_verdict(const json_t *bs, const json_t *ns, int *sig)
{
	json_t *bl = json_object_get(bs, "ci95_low"), *bh = json_object_get(bs, "ci95_high");
	json_t *nl = json_object_get(ns, "ci95_low"), *nh = json_object_get(ns, "ci95_high");

	*sig = -1;
	if (!json_is_number(bl) || !json_is_number(bh) || !json_is_number(nl) || !json_is_number(nh))
		return json_integer_value(json_object_get(bs, "n")) < 2 &&
				       json_integer_value(json_object_get(ns, "n")) < 2 ?
			       "n/a (1 run)" :
			       "n/a (1 run on one side)";
	*sig = json_number_value(bh) < json_number_value(nl) ||
	       json_number_value(nh) < json_number_value(bl);
	return *sig ? "yes" : "no";
}


/* One row: @subject's @metric (of @kind) in both, or nothing when one lacks it. */
static void add_row(json_t *rows, const char *kind, const char *subject, const char *metric,
		    enum tb_unit u, const json_t *bs, const json_t *ns)
{
	double bm, nm;
	json_t *r;
	int sig;
	const char *v;

	if (!json_is_object(bs) || !json_is_object(ns))
		return;
	bm = json_number_value(json_object_get(bs, "median"));
	nm = json_number_value(json_object_get(ns, "median"));
	v = sig_verdict(bs, ns, &sig);
	r = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:o, s:o, s:s}", "kind", kind, "subject",
		      subject, "metric", metric, "unit", rp_unit_name(u), "base", bs, "new", ns,
		      "change_pct",
		      bm != 0 ? rp_json_real((nm - bm) / fabs(bm) * 100) :
				rp_json_real(nm == 0 ? 0 : NAN),
		      "significant", sig < 0 ? json_null() : json_boolean(sig), "verdict", v);
	json_array_append_new(rows, r);
}

/* Every statistic of object @bo also in @no, as rows of @subject. */
static void add_rows(json_t *rows, const char *kind, const char *subject, const json_t *bo,
		     const json_t *no, bool flow)
{
	const char *k;
	json_t *ns;

	json_object_foreach((json_t *)no, k, ns) {
		enum tb_unit u = TB_UNIT_COUNT;

		if (flow)
			u = !strcmp(k, "mathis") ? TB_UNIT_RATE : metric_unit(k);
		else if (!strcmp(kind, "process") && !strcmp(k, "runtime"))
			u = TB_UNIT_TIME;
		add_row(rows, kind, subject, k, u, json_object_get(bo, k), ns);
	}
}

/* The rows of one case: flows, then nodes' peaks and counters, then processes. */
static json_t *case_rows(const json_t *bc, const json_t *nc)
{
	json_t *rows = json_array(), *x, *y;
	const char *k;

	json_object_foreach(json_object_get(nc, "flows"), k, x) {
		y = json_object_get(json_object_get(bc, "flows"), k);
		add_rows(rows, "flow", k, json_object_get(y, "metrics"), json_object_get(x, "metrics"),
			 true);
	}
	json_object_foreach(json_object_get(nc, "nodes"), k, x) {
		y = json_object_get(json_object_get(bc, "nodes"), k);
		add_rows(rows, "peak", k, json_object_get(y, "peaks"), json_object_get(x, "peaks"),
			 false);
		add_rows(rows, "counter", k, json_object_get(y, "counters"),
			 json_object_get(x, "counters"), false);
	}
	json_object_foreach(json_object_get(nc, "processes"), k, x) {
		y = json_object_get(json_object_get(bc, "processes"), k);
		add_row(rows, "process", k, "exit", TB_UNIT_COUNT, json_object_get(y, "exit"),
			json_object_get(x, "exit"));
		add_row(rows, "process", k, "runtime", TB_UNIT_TIME, json_object_get(y, "runtime"),
			json_object_get(x, "runtime"));
		add_rows(rows, "process", k, json_object_get(y, "values"), json_object_get(x, "values"),
			 false);
	}
	return rows;
}

/* Labels of the cases of @a that @b does not have. */
static json_t *only_in(const json_t *a, const json_t *b)
{
	json_t *out = json_array(), *c;
	size_t i;

	json_array_foreach(json_object_get(a, "cases"), i, c)
		if (!find_case(b, json_object_get(c, "params")))
			json_array_append_new(out, json_string(jstr(c, "label")));
	return out;
}

static json_t *side_json(const struct compare_input *in)
{
	const json_t *s = in->summary;

	return json_pack("{s:s, s:s, s:O, s:O, s:O, s:O}", "path",
			 in->dir ? in->dir : in->summary_path, "experiment", jstr(s, "experiment"),
			 "repeat", json_object_get(s, "repeat") ?: json_null(), "runs_total",
			 json_object_get(s, "runs_total") ?: json_null(), "runs_complete",
			 json_object_get(s, "runs_complete") ?: json_null(), "kernel",
			 json_object_get(s, "kernel") ?: json_null());
}

/* A setting's value as text: strings as they are, the rest as JSON. */
static json_t *setting_text(const json_t *v)
{
	char *s;
	json_t *t;

	if (!v)
		return json_null();
	if (json_is_string(v))
		return json_string(json_string_value(v));
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	t = json_string(s ? s : "?");
	free(s);
	return t;
}

static bool unlisted(const char *path)
{
	for (int i = 0; unlisted_settings[i]; i++)
		if (!strcmp(unlisted_settings[i], path))
			return true;
	return false;
}

static void diff_settings(const char *path, const json_t *a, const json_t *b, json_t *out);

/* What names an element of an array of settings: a link's "name", a link
 * end's "node". */
static const char *name_of(const json_t *x)
{
	return json_is_string(json_object_get(x, "name")) ? jstr(x, "name") : jstr(x, "node");
}

/* The element of array @a named @name; NULL when none. */
static json_t *named(const json_t *a, const char *name)
{
	json_t *x;
	size_t i;

	json_array_foreach(a, i, x)
		if (!strcmp(name_of(x), name))
			return x;
	return NULL;
}

/* Arrays of named objects (flows, links, nodes) are matched by name, others
 * by index. */
static void diff_array(const char *path, const json_t *a, const json_t *b, json_t *out)
{
	size_t na = json_array_size(a), nb = json_array_size(b);
	bool by_name = *name_of(json_array_get(na ? a : b, 0));

	for (size_t i = 0; i < (by_name ? na + nb : (na > nb ? na : nb)); i++) {
		json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
		const char *name = NULL;
		char *p;

		if (by_name && i < na) {
			name = name_of(json_array_get(a, i));
			x = json_array_get(a, i);
			y = named(b, name);
		} else if (by_name) {
			name = name_of(json_array_get(b, i - na));
			if (named(a, name))
				continue; /* seen from a's side */
			x = NULL;
			y = json_array_get(b, i - na);
		}
		p = name ? xasprintf("%s[%s]", path, name) : xasprintf("%s[%zu]", path, i);
		diff_settings(p, x, y, out);
		free(p);
	}
}

/* Every leaf of the manifests' "config" that differs, as {key, base, new}. */
static void diff_settings(const char *path, const json_t *a, const json_t *b, json_t *out)
{
	const char *k;
	json_t *v;

	if (unlisted(path) || json_array_size(out) >= MAX_SETTINGS || json_equal((json_t *)a, (json_t *)b))
		return;
	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach((json_t *)a, k, v) {
			char *p = *path ? xasprintf("%s.%s", path, k) : xstrdup(k);

			diff_settings(p, v, json_object_get(b, k), out);
			free(p);
		}
		json_object_foreach((json_t *)b, k, v)
			if (!json_object_get(a, k)) {
				char *p = *path ? xasprintf("%s.%s", path, k) : xstrdup(k);

				diff_settings(p, NULL, v, out);
				free(p);
			}
		return;
	}
	if (json_is_array(a) && json_is_array(b)) {
		diff_array(path, a, b, out);
		return;
	}
	json_array_append_new(out, json_pack("{s:s, s:o, s:o}", "key", path, "base", setting_text(a),
					     "new", setting_text(b)));
}

json_t *compare_table(const struct compare_input *b, const struct compare_input *n)
{
	json_t *o = json_object(), *cases = json_array(), *settings = json_array(), *nc;
	size_t i, n_sig = 0, n_rows = 0;

	json_object_set_new(o, "base", side_json(b));
	json_object_set_new(o, "new", side_json(n));
	json_object_set_new(o, "significance",
			    json_string("the 95% confidence intervals of the repeats (ci95_low.."
					"ci95_high) do not overlap; n/a with one run on a side"));
	diff_settings("", json_object_get(b->manifest, "config"),
		      json_object_get(n->manifest, "config"), settings);
	json_object_set_new(o, "settings", settings);
	json_array_foreach(json_object_get(n->summary, "cases"), i, nc) {
		json_t *bc = find_case(b->summary, json_object_get(nc, "params")), *rows, *r;
		size_t j;

		if (!bc)
			continue;
		rows = case_rows(bc, nc);
		json_array_foreach(rows, j, r)
			n_sig += json_is_true(json_object_get(r, "significant"));
		n_rows += json_array_size(rows);
		json_array_append_new(cases, json_pack("{s:s, s:O, s:o}", "label", jstr(nc, "label"),
						       "params", json_object_get(nc, "params"),
						       "rows", rows));
	}
	json_object_set_new(o, "cases", cases);
	json_object_set_new(o, "only_base", only_in(b->summary, n->summary));
	json_object_set_new(o, "only_new", only_in(n->summary, b->summary));
	json_object_set_new(o, "rows", json_integer((json_int_t)n_rows));
	json_object_set_new(o, "significant", json_integer((json_int_t)n_sig));
	return o;
}

/* A cell: the median in the row's unit, with the 95% interval when it has one. */
static void md_cell(FILE *f, const json_t *st, enum tb_unit u)
{
	char a[48], lo[48], hi[48];
	json_t *l = json_object_get(st, "ci95_low"), *h = json_object_get(st, "ci95_high");

	fprintf(f, " %s", rp_fmt(json_number_value(json_object_get(st, "median")), u, a, sizeof(a)));
	if (json_is_number(l) && json_is_number(h))
		fprintf(f, " (%s–%s)", rp_fmt(json_number_value(l), u, lo, sizeof(lo)),
			rp_fmt(json_number_value(h), u, hi, sizeof(hi)));
	fputs(" |", f);
}

/* Whether @st was 0 in every run. */
static bool all_zero(const json_t *st)
{
	return json_number_value(json_object_get(st, "min")) == 0 &&
	       json_number_value(json_object_get(st, "max")) == 0;
}

/* A case's table; rows that were 0 in every run of both sides (socket
 * states nobody entered) are counted, not printed. */
static void md_case(FILE *f, const json_t *cs)
{
	size_t i, zeros = 0;
	json_t *r;

	fprintf(f, "## %s\n\n| subject | metric | base | new | change | significant |\n"
		   "|---|---|---:|---:|---:|---|\n",
		jstr(cs, "label"));
	json_array_foreach(json_object_get(cs, "rows"), i, r) {
		enum tb_unit u = rp_unit_named(jstr(r, "unit"));
		json_t *ch = json_object_get(r, "change_pct");
		const char *kind = jstr(r, "kind");

		if (all_zero(json_object_get(r, "base")) && all_zero(json_object_get(r, "new"))) {
			zeros++;
			continue;
		}

		fprintf(f, "| %s%s%s | %s |", strcmp(kind, "flow") ? kind : "",
			strcmp(kind, "flow") ? " " : "", jstr(r, "subject"), jstr(r, "metric"));
		md_cell(f, json_object_get(r, "base"), u);
		md_cell(f, json_object_get(r, "new"), u);
		if (json_is_number(ch))
			fprintf(f, " %+.1f%% |", json_number_value(ch));
		else
			fputs(" — |", f);
		fprintf(f, json_is_true(json_object_get(r, "significant")) ? " **%s** |\n" : " %s |\n",
			jstr(r, "verdict"));
	}
	if (zeros)
		fprintf(f, "\n%zu more statistic%s 0 in every run of both (in --json).\n", zeros,
			zeros == 1 ? " was" : "s were");
	fputc('\n', f);
}

static void md_header(FILE *f, const json_t *cmp)
{
	const json_t *b = json_object_get(cmp, "base"), *n = json_object_get(cmp, "new");

	fprintf(f, "# testbed compare: %s\n\n| | base | new |\n|---|---|---|\n"
		   "| run | %s | %s |\n| runs complete | %lld of %lld | %lld of %lld |\n\n",
		jstr(n, "experiment"), jstr(b, "path"), jstr(n, "path"),
		json_integer_value(json_object_get(b, "runs_complete")),
		json_integer_value(json_object_get(b, "runs_total")),
		json_integer_value(json_object_get(n, "runs_complete")),
		json_integer_value(json_object_get(n, "runs_total")));
	if (json_is_string(json_object_get(cmp, "mismatch")))
		fprintf(f, "**Not the same experiment** (compared with --force): %s.\n\n",
			jstr(cmp, "mismatch"));
	fprintf(f, "%lld of %lld statistics changed significantly: %s. Cells: the median over the "
		   "complete repeats (its 95%% interval).\n\n",
		json_integer_value(json_object_get(cmp, "significant")),
		json_integer_value(json_object_get(cmp, "rows")), jstr(cmp, "significance"));
}

static void md_settings(FILE *f, const json_t *cmp)
{
	json_t *s = json_object_get(cmp, "settings"), *x;
	size_t i;

	if (!json_array_size(s))
		return;
	fputs("## Settings that differ\n\n| setting | base | new |\n|---|---|---|\n", f);
	json_array_foreach(s, i, x)
		fprintf(f, "| %s | %s | %s |\n", jstr(x, "key"),
			json_is_string(json_object_get(x, "base")) ? jstr(x, "base") : "—",
			json_is_string(json_object_get(x, "new")) ? jstr(x, "new") : "—");
	fputc('\n', f);
}

static void md_gate(FILE *f, const json_t *cmp)
{
	json_t *g = json_object_get(cmp, "fail_if"), *x, *lb, *ln;
	size_t i;

	if (json_array_size(g))
		fputs("## --fail-if\n\n", f);
	json_array_foreach(g, i, x)
		fprintf(f, "- %s `%s`: %s\n",
			json_is_true(json_object_get(x, "fired")) ? "**FAIL**" :
			json_is_true(json_object_get(x, "undecided")) ? "**FAIL**" :
									  "pass",
			jstr(x, "expression"), jstr(x, "message"));
	if (json_array_size(g))
		fputc('\n', f);
	lb = json_object_get(cmp, "only_base");
	ln = json_object_get(cmp, "only_new");
	if (json_array_size(lb) || json_array_size(ln))
		fprintf(f, "Cases in one run only: %zu in base, %zu in new (see --json).\n",
			json_array_size(lb), json_array_size(ln));
}

void compare_markdown(FILE *f, const json_t *cmp)
{
	json_t *cs;
	size_t i;

	md_header(f, cmp);
	md_settings(f, cmp);
	json_array_foreach(json_object_get(cmp, "cases"), i, cs)
		md_case(f, cs);
	md_gate(f, cmp);
}
