/* action = set of [event NAME]: its shape keys (the [link] table,
 * cfg_shape_keys, with the same "A." prefix for one direction), ramps
 * ("100mbit..10mbit over 5s") and repeats (every, until), checked once the
 * event's link is known, and the schedule of changes a run carries out.
 * A change is made in place on the qdiscs the link was built with, so the
 * link is built with every part its events will change: netem keys an
 * event sets become part of the link's shape (at their zero, a no-op netem);
 * a rate or queue key needs the link's own rate or queue (docs/config.md),
 * and a rate that changes is htb's unless the file names tbf (shaping.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config_int.h"
#include "util/units.h"

void cfg_event_raw(struct cfg_ctx *x, struct tb_event *v, const struct raw_entry *e)
{
	struct tb_event_set *s;

	if (v->n_sets == TB_EVENT_SETS_MAX) {
		diag_error(x->d, &e->loc, "event %s: more than %d keys", v->name, TB_EVENT_SETS_MAX);
		return;
	}
	s = &v->sets[v->n_sets++];
	snprintf(s->key, sizeof(s->key), "%s", e->key);
	snprintf(s->value, sizeof(s->value), "%s", e->value ? e->value : "");
	s->kloc = e->loc;
	s->vloc = (struct tb_loc){ e->loc.file, e->loc.line, e->val_col };
}

/* "A.rate" of link @l: *@end the end A leaves (-1: both), the key after the dot. */
static const char *split_end(struct cfg_ctx *x, const struct tb_event *v,
			     const struct tb_event_set *s, int *end)
{
	const struct tb_link *l = &x->c->links[v->link];
	const char *dot = strchr(s->key, '.');

	*end = -1;
	if (!dot)
		return s->key;
	for (int e = 0; e < 2; e++) {
		const char *n = x->c->nodes[l->end[e].node].name;

		if (strlen(n) == (size_t)(dot - s->key) && !strncmp(n, s->key, strlen(n)))
			*end = e;
	}
	if (*end >= 0)
		return dot + 1;
	diag_error(x->d, &s->kloc, "event %s: \"%.*s\" is not an end of link %s (%s or %s)",
		   v->name, (int)(dot - s->key), s->key, l->name, x->c->nodes[l->end[0].node].name,
		   x->c->nodes[l->end[1].node].name);
	return NULL;
}

static bool numeric(const struct keydef *k)
{
	return k->type == K_RATE || k->type == K_TIME || k->type == K_PCT || k->type == K_UINT ||
	       k->type == K_SIZE32;
}

/* "A..B over T": A into @from, B into @to, T into v->over_us. */
static int parse_ramp(struct cfg_ctx *x, struct tb_event *v, const struct tb_event_set *s,
		      const struct keydef *k, struct tb_shape *from, struct tb_shape *to)
{
	char a[96], b[96];
	const char *dots = strstr(s->value, ".."), *over = strstr(s->value, " over "), *why = NULL;
	uint64_t us;

	if (!numeric(k) || !over || over < dots) {
		diag_error(x->d, &s->vloc,
			   numeric(k) ? "event %s: %s: a ramp is FROM..TO over TIME (\"%s\")"
				      : "event %s: %s cannot ramp (\"%s\"): not a number",
			   v->name, k->name, s->value);
		return -EINVAL;
	}
	snprintf(a, sizeof(a), "%.*s", (int)(dots - s->value), s->value);
	snprintf(b, sizeof(b), "%.*s", (int)(over - dots - 2), dots + 2);
	if (cfg_key_set(x, k, from, a, &s->vloc, k->name) || cfg_key_set(x, k, to, b, &s->vloc, k->name))
		return -EINVAL;
	if (units_time(over + 6, &us, &why) || us == 0 || us > 3600e6) {
		diag_error(x->d, &s->vloc, "event %s: %s: ramp length \"%s\": %s", v->name, k->name,
			   over + 6, why ? why : us ? "above 1 hour" : "must be above 0");
		return -EINVAL;
	}
	if (v->over_us && v->over_us != us) {
		diag_error(x->d, &s->vloc, "event %s: every ramp of an event takes the same time",
			   v->name);
		return -EINVAL;
	}
	v->over_us = (uint32_t)us;
	return 0;
}

/* Whether direction @d of @l has the part of @k built; a netem key gets
 * its part built up front, at the key's zero. */
static bool has_part(struct tb_link *l, const struct keydef *k, int d)
{
	if (k->part == TB_PART_NETEM)
		l->dir[d].set |= k->bit;
	return k->part == TB_PART_NETEM || (k->part == TB_PART_RATE && l->dir[d].rate) ||
	       (k->part == TB_PART_QUEUE && l->dir[d].queue != TB_QUEUE_DEFAULT);
}

/* The directions in @dirs (bits) lack the rate or queue @k changes. */
static void no_part(struct cfg_ctx *x, const struct tb_event *v, const struct tb_event_set *s,
		    const struct keydef *k, unsigned dirs)
{
	const struct tb_link *l = &x->c->links[v->link];
	const char *part = k->part == TB_PART_RATE ? "rate" : "queue";
	const char *from = x->c->nodes[l->end[dirs == 2].node].name;
	bool one = dirs != 3;

	diag_error(x->d, &s->kloc,
		   "event %s: %s: link %s has no %s%s%s to change in place; give the link an "
		   "initial %s (%s%s%s = ...)", v->name, k->name, l->name, part,
		   one ? " leaving " : "", one ? from : "", part, one ? from : "", one ? "." : "",
		   part);
}

/* Direction @d's rate part changes in place: htb, whose change keeps its
 * tokens, where tbf's refills the bucket (a burst above the new rate at
 * every change; docs/shaping.md). A tbf the file names stays, with a
 * warning; cake shaping by itself is left alone. */
static void change_shaper(struct cfg_ctx *x, const struct tb_event *v,
			  const struct tb_event_set *s, int d)
{
	struct tb_link *l = &x->c->links[v->link];
	struct tb_shape *sh = &l->dir[d];

	if (sh->queue == TB_QUEUE_CAKE && !(sh->set & TB_SH_SHAPER))
		return;
	if (!(sh->set & TB_SH_SHAPER))
		sh->shaper = TB_SHAPER_HTB;
	else if (sh->shaper == TB_SHAPER_TBF)
		diag_warn(x->d, &s->kloc,
			  "event %s: link %s (%s): tbf refills its bucket at every change of "
			  "rate (a burst above the new rate); without shaper = tbf the link "
			  "gets htb, which does not",
			  v->name, l->name, x->c->nodes[l->end[d].node].name);
}

/* One "KEY = VALUE" of the event into both directions or one. */
static void check_one(struct cfg_ctx *x, struct tb_event *v, const struct tb_event_set *s)
{
	const struct keydef *k;
	const char *key, *near;
	struct tb_shape from, to;
	unsigned missing = 0;
	int end;
	bool ramp = strstr(s->value, "..") != NULL;

	if (!(key = split_end(x, v, s, &end)))
		return;
	if (!(k = cfg_key_find(cfg_shape_keys, key))) {
		near = cfg_key_suggest(cfg_shape_keys, key);
		diag_error(x->d, &s->kloc, "event %s: unknown key \"%s\"%s%s%s", v->name, key,
			   near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "");
		return;
	}
	if (k->type == K_ENUM && k->part != TB_PART_NETEM) {
		diag_error(x->d, &s->kloc, "event %s: %s names a qdisc kind, which cannot change in "
			   "place", v->name, k->name);
		return;
	}
	for (int d = 0; d < 2; d++)
		if ((end < 0 || d == end) && !has_part(&x->c->links[v->link], k, d))
			missing |= 1u << d;
	if (missing)
		return no_part(x, v, s, k, missing);
	for (int d = 0; d < 2; d++) {
		size_t i = (size_t)(k - cfg_shape_keys);

		if (end >= 0 && d != end)
			continue;
		from = v->from[d];
		to = v->to[d];
		if (ramp ? parse_ramp(x, v, s, k, &from, &to) : cfg_key_set(x, k, &to, s->value, &s->vloc, k->name))
			return;
		v->from[d] = from;
		v->to[d] = to;
		v->keys[d] |= 1ull << i;
		v->ramps[d] |= ramp ? 1ull << i : 0;
		if (k->part == TB_PART_RATE)
			change_shaper(x, v, s, d);
	}
}

/* every, until, steps and the ramp inside the run. */
static void check_times(struct cfg_ctx *x, struct tb_event *v)
{
	uint32_t dur = x->c->exp.duration_us, until = v->until_us;
	bool ramp = v->ramps[0] | v->ramps[1];

	if (until != UINT32_MAX && !v->every_us)
		diag_error(x->d, &v->loc, "event %s: until needs every", v->name);
	if (until != UINT32_MAX && until < v->at_us)
		diag_error(x->d, &v->loc, "event %s: until %.3g s is before at %.3g s", v->name,
			   until / 1e6, v->at_us / 1e6);
	else if (until != UINT32_MAX && until >= dur)
		diag_error(x->d, &v->loc, "event %s: until %.3g s is not within the run (duration "
			   "%.3g s)", v->name, until / 1e6, dur / 1e6);
	if (v->steps && !ramp)
		diag_error(x->d, &v->loc, "event %s: steps needs a ramp (KEY = FROM..TO over TIME)",
			   v->name);
	if (ramp && v->every_us && v->every_us <= v->over_us)
		diag_error(x->d, &v->loc, "event %s: every %.3g s is not longer than the ramp "
			   "(%.3g s)", v->name, v->every_us / 1e6, v->over_us / 1e6);
	if (ramp && (uint64_t)v->at_us + v->over_us >= dur)
		diag_error(x->d, &v->loc, "event %s: the ramp ends at %.3g s, not within the run "
			   "(duration %.3g s)", v->name, ((uint64_t)v->at_us + v->over_us) / 1e6,
			   dur / 1e6);
}

/* A key of an event that is no set: a shape key needs action = set. */
static void not_set(struct cfg_ctx *x, const struct tb_event *v, const struct tb_event_set *s)
{
	const char *dot = strchr(s->key, '.');
	const char *near = cfg_key_suggest(cfg_event_keys, s->key);

	if (cfg_key_find(cfg_shape_keys, dot ? dot + 1 : s->key))
		diag_error(x->d, &s->kloc, "event %s: \"%s\" is a shape key: it needs action = set",
			   v->name, s->key);
	else
		diag_error(x->d, &s->kloc, "unknown key \"%s\" in [event %s]%s%s%s", s->key, v->name,
			   near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "");
}

void cfg_event_check_set(struct cfg_ctx *x, struct tb_event *v)
{
	v->keys[0] = v->keys[1] = v->ramps[0] = v->ramps[1] = 0;
	v->over_us = 0;
	config_shape_defaults(&v->from[0]);
	v->from[1] = v->to[0] = v->to[1] = v->from[0];
	if (v->action != TB_EVENT_SET) {
		for (size_t i = 0; i < v->n_sets; i++)
			not_set(x, v, &v->sets[i]);
		check_times(x, v);
		return;
	}
	if (!v->n_sets)
		diag_error(x->d, &v->loc, "event %s: action = set without a shape key to set",
			   v->name);
	if (v->link < 0)
		return;
	for (size_t i = 0; i < v->n_sets; i++)
		check_one(x, v, &v->sets[i]);
	check_times(x, v);
}

int config_event_step(const struct tb_event *v, size_t i, uint32_t *at_us, double *frac)
{
	bool ramp = v->action == TB_EVENT_SET && (v->ramps[0] | v->ramps[1]);
	size_t per = ramp ? (v->steps ? v->steps : TB_EVENT_STEPS_DEFAULT) : 1;
	size_t occ = i / per, s = i % per;
	uint64_t t = v->at_us + (uint64_t)occ * v->every_us;

	if ((occ && !v->every_us) || (occ && t > v->until_us))
		return -1;
	*frac = per > 1 ? (double)s / (double)(per - 1) : 1.0;
	*at_us = (uint32_t)(t + (uint64_t)(*frac * v->over_us + 0.5));
	return 0;
}

/* Field of key @k in @sh. */
static void *field(const struct keydef *k, struct tb_shape *sh)
{
	return (char *)sh + k->off;
}

void config_event_shape(const struct tb_event *v, int dir, double frac, struct tb_shape *sh)
{
	for (size_t i = 0; cfg_shape_keys[i].name; i++) {
		const struct keydef *k = &cfg_shape_keys[i];
		struct tb_shape from = v->from[dir], to = v->to[dir];
		double a, b, r;

		if (!(v->keys[dir] & (1ull << i)))
			continue;
		sh->set |= k->bit;
		if (!(v->ramps[dir] & (1ull << i))) {
			memcpy(field(k, sh), field(k, &to), k->size);
			continue;
		}
		if (k->type == K_PCT) {
			a = *(double *)field(k, &from);
			b = *(double *)field(k, &to);
			*(double *)field(k, sh) = a + (b - a) * frac;
		} else if (k->size == sizeof(uint64_t)) {
			a = (double)*(uint64_t *)field(k, &from);
			b = (double)*(uint64_t *)field(k, &to);
			*(uint64_t *)field(k, sh) = (uint64_t)llround(a + (b - a) * frac);
		} else {
			a = *(uint32_t *)field(k, &from);
			b = *(uint32_t *)field(k, &to);
			r = round(a + (b - a) * frac);
			*(uint32_t *)field(k, sh) = (uint32_t)r;
		}
	}
}

unsigned config_event_parts(const struct tb_event *v, int dir)
{
	unsigned p = 0;

	for (size_t i = 0; cfg_shape_keys[i].name; i++)
		if (v->keys[dir] & (1ull << i))
			p |= cfg_shape_keys[i].part;
	return p;
}

/* The value of key @k in @sh as a file would write it. */
static void fmt_key(const struct keydef *k, struct tb_shape *sh, char *buf, size_t len)
{
	void *p = field(k, sh);

	if (k->type == K_RATE)
		units_fmt_rate(*(uint64_t *)p, buf, (unsigned)len);
	else if (k->type == K_TIME)
		units_fmt_time(*(uint32_t *)p, buf, (unsigned)len);
	else if (k->type == K_PCT)
		snprintf(buf, len, "%.4g%%", *(double *)p);
	else if (k->type == K_ENUM || k->type == K_TRI)
		snprintf(buf, len, "%s", k->type == K_TRI ? (*(int *)p ? "on" : "off")
							  : cfg_enum_name(k, *(int *)p));
	else
		snprintf(buf, len, "%u", *(uint32_t *)p);
}

void config_event_describe(const struct tb_event *v, int dir, const struct tb_shape *sh,
			   char *buf, size_t len)
{
	struct tb_shape s = *sh;
	size_t n = 0;
	char val[64];

	buf[0] = 0;
	for (size_t i = 0; cfg_shape_keys[i].name && n < len; i++) {
		if (!(v->keys[dir] & (1ull << i)))
			continue;
		fmt_key(&cfg_shape_keys[i], &s, val, sizeof(val));
		n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "",
				      cfg_shape_keys[i].name, val);
	}
}
