/* Mahimahi traces: parsed and checked with FILE:LINE errors, the rate of a
 * step of the repeating trace, and synthetic traces (trace.h). */
#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "util/util.h"

const char *const trace_kind_names[] = { "constant", "step", "square", "walk", NULL };

/* One line's integer into *@v: digits only (surrounding blanks and a CR
 * allowed); false otherwise. */
static bool line_ms(const char *s, size_t len, uint64_t *v)
{
	size_t i = 0, digits = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (*v = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++)
		if ((*v = *v * 10 + (uint64_t)(s[i] - '0')) > UINT32_MAX)
			*v = UINT32_MAX + 1ull; /* stays too large */
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return digits && i == len;
}

/* Line @no of @file: checked against the previous time; appended. */
static bool parse_line(const char *s, size_t len, const struct tb_loc *at, struct tb_trace *t,
		       size_t *cap, struct tb_diag *d)
{
	uint64_t v;

	if (!line_ms(s, len, &v)) {
		diag_error(d, at, "trace: \"%.*s\" is not a time in integer milliseconds",
			   (int)(len > 40 ? 40 : len), s);
		return false;
	}
	if (v > TB_TRACE_MAX_MS) {
		diag_error(d, at, "trace: %llu ms is past a day (%u ms)", (unsigned long long)v,
			   TB_TRACE_MAX_MS);
		return false;
	}
	if (t->n && v < t->ms[t->n - 1]) {
		diag_error(d, at, "trace: %llu ms goes back from %u ms on the line before",
			   (unsigned long long)v, t->ms[t->n - 1]);
		return false;
	}
	if (t->n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		t->ms = xrealloc(t->ms, *cap * sizeof(*t->ms));
	}
	t->ms[t->n++] = (uint32_t)v;
	return true;
}

int trace_parse(const char *text, size_t len, const char *file, struct tb_trace *t,
		struct tb_diag *d)
{
	struct tb_loc at = { file, 0, 0 };
	size_t cap = 0, errors = diag_errors(d);
	const char *p = text, *end = text + len;

	memset(t, 0, sizeof(*t));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		at.line++;
		if (t->n >= TB_TRACE_MAX_LINES) {
			diag_error(d, &at, "trace: more than %u lines", TB_TRACE_MAX_LINES);
			break;
		}
		/* the first problem of a file: the lines after it would all repeat it */
		if (!parse_line(p, l, &at, t, &cap, d))
			break;
		p += l + 1;
	}
	at.line = 0;
	if (diag_errors(d) == errors && t->n == 0)
		diag_error(d, &at, "trace: no delivery opportunity (the file is empty)");
	else if (diag_errors(d) == errors && t->ms[t->n - 1] == 0)
		diag_error(d, &(struct tb_loc){ file, (int)t->n, 0 },
			   "trace: the last time is 0 ms, so the trace has no period");
	if (diag_errors(d) != errors) {
		trace_free(t);
		return -EINVAL;
	}
	t->period_ms = t->ms[t->n - 1];
	return 0;
}

int trace_load(const char *path, const struct tb_loc *loc, struct tb_trace *t, struct tb_diag *d)
{
	size_t len = 0;
	int err = 0, rc;
	char *text = cfg_slurp(path, &len, &err);

	memset(t, 0, sizeof(*t));
	if (!text) {
		diag_error(d, loc, "trace: cannot read \"%s\": %s", path, cfg_slurp_error(err));
		return -EINVAL;
	}
	rc = trace_parse(text, len, path, t, d);
	free(text);
	return rc;
}

void trace_free(struct tb_trace *t)
{
	if (!t)
		return;
	free(t->ms);
	memset(t, 0, sizeof(*t));
}

/* Opportunities of one period before time @ms (0 <= ms <= period). */
static uint64_t before(const struct tb_trace *t, uint64_t ms)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ms[mid] < ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Opportunities in [0, @ms) of the repeating trace: whole periods, then
 * those of the next before the remainder; at a whole period the lines at
 * the period itself (the next cycle's time 0) are not yet due. */
static uint64_t upto(const struct tb_trace *t, uint64_t ms)
{
	uint64_t p = t->period_ms, q = ms / p, r = ms % p;

	if (ms == 0)
		return 0;
	return q * t->n + before(t, r) - (r == 0 ? t->n - before(t, p) : 0);
}

uint64_t trace_count(const struct tb_trace *t, uint64_t a_ms, uint64_t b_ms)
{
	if (!t->n || !t->period_ms || b_ms <= a_ms)
		return 0;
	return upto(t, b_ms) - upto(t, a_ms);
}

uint64_t trace_step_rate(const struct tb_trace *t, uint64_t k, unsigned step_ms)
{
	uint64_t n = trace_count(t, k * step_ms, (k + 1) * step_ms);
	uint64_t bps = n * TB_TRACE_PACKET * 8 * 1000 / (step_ms ? step_ms : 1);

	return bps < TB_TRACE_MIN_BPS ? TB_TRACE_MIN_BPS : bps;
}

uint64_t trace_mean_rate(const struct tb_trace *t)
{
	uint64_t bps = t->period_ms ? (uint64_t)t->n * TB_TRACE_PACKET * 8 * 1000 / t->period_ms : 0;

	return bps < TB_TRACE_MIN_BPS ? TB_TRACE_MIN_BPS : bps;
}

/* --- a link direction's trace, at check time ---------------------------------- */

/* @raw resolved against the directory of @from (as messages show it);
 * *@abs the same made absolute (so that a second validation of a case's
 * copy resolves it to itself), NULL when it does not exist. */
static char *trace_path(const char *from, const char *raw, char **abs)
{
	char *dir = xstrdup(from ? from : "."), *slash = strrchr(dir, '/');
	char *joined;

	if (slash)
		*slash = 0;
	joined = raw[0] == '/' || !slash ? xstrdup(raw) : xasprintf("%s/%s", dir, raw);
	*abs = realpath(joined, NULL);
	free(dir);
	return joined;
}

/* Direction @s's trace: readable, well formed, the only rate; the path made
 * absolute, htb the shaper and the mean rate set (it sizes the queue and
 * the burst). */
static void check_one(struct cfg_ctx *x, const struct tb_link *l, struct tb_shape *s)
{
	struct tb_trace t;
	char *abs, *shown = trace_path(s->loc.file, s->trace, &abs);

	if (s->set & TB_SH_RATE)
		diag_error(x->d, &s->loc, "link %s: rate and trace both set the rate; keep one",
			   l->name);
	if ((s->set & TB_SH_SHAPER) && s->shaper != TB_SHAPER_HTB)
		diag_error(x->d, &s->loc,
			   "link %s: a trace needs shaper = htb (tbf refills its bucket at every "
			   "change of rate)",
			   l->name);
	if (s->queue == TB_QUEUE_CAKE && !(s->set & TB_SH_SHAPER))
		diag_error(x->d, &s->loc,
			   "link %s: cake would shape by itself; with a trace set shaper = htb",
			   l->name);
	if (!abs) {
		diag_error(x->d, &s->loc, "trace: cannot read \"%s\" (%s): %s", s->trace, shown,
			   strerror(errno));
		free(shown);
		return;
	}
	if (strlen(abs) >= sizeof(s->trace))
		diag_error(x->d, &s->loc, "trace: the path \"%s\" is too long", abs);
	else if (!trace_load(shown, &s->loc, &t, x->d)) {
		snprintf(s->trace, sizeof(s->trace), "%s", abs);
		s->rate = trace_mean_rate(&t);
		s->shaper = TB_SHAPER_HTB; /* docs/shaping.md: why htb */
		trace_free(&t);
	}
	free(abs);
	free(shown);
}

void trace_check_link(struct cfg_ctx *x, struct tb_link *l)
{
	bool same = !strcmp(l->dir[0].trace, l->dir[1].trace);

	for (int e = 0; e < 2; e++) {
		struct tb_shape *s = &l->dir[e];

		if (!(s->set & TB_SH_TRACE))
			continue;
		if (e == 1 && same && (l->dir[0].set & TB_SH_TRACE)) {
			/* one key for both directions: checked once */
			memcpy(s->trace, l->dir[0].trace, sizeof(s->trace));
			s->rate = l->dir[0].rate;
			s->shaper = l->dir[0].shaper;
			continue;
		}
		check_one(x, l, s);
	}
}

int trace_check_links(struct tb_config *c, struct tb_diag *d)
{
	struct cfg_ctx y = { .c = c, .d = d };
	size_t errors = diag_errors(d);

	for (size_t i = 0; i < c->n_links; i++)
		trace_check_link(&y, &c->links[i]);
	return diag_errors(d) == errors ? 0 : -EINVAL;
}
