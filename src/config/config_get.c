/* Reading a key back: the number a case's configuration holds at a key
 * path, the way a case or a sweep names it, for cfg() in expectations
 * (`flow.bulk.server.read_rate`, `link.r1-r2.r1.rate`). The key tables say
 * where each key lives and how it is stored; this only walks them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

static int fail(char *why, size_t len, int rc, const char *fmt, ...) TB_PRINTF(4, 5);

static int fail(char *why, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* The number at @k in @obj, in an expectation's units (rates bit/s, times s). */
static int key_number(const struct keydef *k, const void *obj, double *v, enum tb_unit *u)
{
	const char *p = (const char *)obj + k->off;

	*u = TB_UNIT_COUNT;
	switch (k->type) {
	case K_RATE:
		*u = TB_UNIT_RATE;
		/* fall through */
	case K_SIZE64:
	case K_U64:
		*v = (double)*(const uint64_t *)p;
		return 0;
	case K_TIME:
		*u = TB_UNIT_TIME;
		*v = *(const uint32_t *)p / 1e6;
		return 0;
	case K_SIZE32:
	case K_UINT:
		*v = *(const uint32_t *)p;
		return 0;
	case K_PCT:
		*u = TB_UNIT_PCT;
		/* fall through */
	case K_REAL:
		*v = *(const double *)p;
		return 0;
	case K_BOOL:
		*v = *(const bool *)p;
		return 0;
	case K_TRI:
		*v = *(const int *)p;
		return 0;
	default: /* names and addresses */
		return -EINVAL;
	}
}

static int not_number(const char *key, char *why, size_t len)
{
	return fail(why, len, -EINVAL, "%s is not a number (a name or an address)", key);
}

/* A shape key of link @l: the direction leaving @end, or (@end < 0) the
 * direction that sets it, or both when they agree. */
static int shape_number(const struct tb_link *l, const struct keydef *k, int end, const char *key,
			double *v, enum tb_unit *u, char *why, size_t len)
{
	bool set0 = l->dir[0].set & k->bit, set1 = l->dir[1].set & k->bit;
	double v1;
	int d = end >= 0 ? end : set1 && !set0;

	if (key_number(k, &l->dir[d], v, u))
		return not_number(key, why, len);
	if (end < 0 && set0 && set1 && !key_number(k, &l->dir[1], &v1, u) && v1 != *v)
		return fail(why, len, -EINVAL, "%s differs by direction: name the end the "
					       "direction leaves, link.%s.NODE.%s", key, l->name,
			    k->name);
	if (k->type == K_RATE && *v == 0)
		return fail(why, len, -EINVAL, "%s is not set (the link is not rate-limited)", key);
	return 0;
}

/* @rest of "link.@name.REST": [NODE.]KEY */
static int link_number(const struct tb_config *c, const char *name, const char *rest,
		       const char *key, double *v, enum tb_unit *u, char *why, size_t len)
{
	int li = cfg_find_link(c, name), end = -1;
	const char *dot = strchr(rest, '.');
	const struct keydef *k;
	const struct tb_link *l;

	if (li < 0)
		return fail(why, len, -ENOENT, "no link %s", name);
	l = &c->links[li];
	if (dot) {
		for (int i = 0; i < 2; i++)
			if (!strncmp(rest, c->nodes[l->end[i].node].name, (size_t)(dot - rest)) &&
			    !c->nodes[l->end[i].node].name[dot - rest])
				end = i;
		if (end < 0)
			return fail(why, len, -ENOENT, "%.*s is not an end of link %s",
				    (int)(dot - rest), rest, name);
		rest = dot + 1;
	}
	if ((k = cfg_key_find(cfg_shape_keys, rest)))
		return shape_number(l, k, end, key, v, u, why, len);
	if ((k = cfg_key_find(cfg_link_keys, rest)) && end < 0)
		return key_number(k, l, v, u) ? not_number(key, why, len) : 0;
	return fail(why, len, -ENOENT, "link %s has no numeric key %s", name, rest);
}

/* node.NAME.KEY or node.NAME.sysctl.NAME: a sysctl the file sets, as a number */
static int node_number(const struct tb_node *n, const char *rest, const char *key, double *v,
		       enum tb_unit *u, char *why, size_t len)
{
	const struct keydef *k = cfg_key_find(cfg_node_keys, rest);

	*u = TB_UNIT_COUNT;
	if (k)
		return key_number(k, n, v, u) ? not_number(key, why, len) : 0;
	if (strncmp(rest, "sysctl.", 7))
		return fail(why, len, -ENOENT, "node %s has no key %s", n->name, rest);
	for (size_t i = 0; i < n->n_sysctls; i++) {
		char *end;

		if (strcmp(n->sysctls[i].key, rest + 7))
			continue;
		*v = strtod(n->sysctls[i].value, &end);
		if (end == n->sysctls[i].value || *end)
			return fail(why, len, -EINVAL, "%s is \"%s\", not one number", key,
				    n->sysctls[i].value);
		return 0;
	}
	return fail(why, len, -EINVAL, "%s is not set (the kernel's default is not known to "
				       "the file)", key);
}

int config_get(const struct tb_config *c, const char *key, double *v, enum tb_unit *unit,
	       char *why, size_t whylen)
{
	char kind[16], name[TB_NAME_MAX * 2 + 2];
	const struct keydef *k;
	const char *rest;
	int i;

	if (!strncmp(key, "experiment.", 11) && (k = cfg_key_find(cfg_experiment_keys, key + 11)))
		return key_number(k, &c->exp, v, unit) ? not_number(key, why, whylen) : 0;
	if (!cfg_split_key(key, kind, sizeof(kind), name, sizeof(name), &rest))
		return fail(why, whylen, -ENOENT, "\"%s\" must be flow.NAME.KEY, link.A-B.KEY, "
						  "link.A-B.NODE.KEY, node.NAME.KEY, "
						  "node.NAME.sysctl.NAME or experiment.KEY", key);
	if (!strcmp(kind, "flow")) {
		if ((i = config_flow(c, name)) < 0)
			return fail(why, whylen, -ENOENT, "no flow %s", name);
		if (!(k = cfg_key_find(cfg_flow_keys, rest))) {
			const char *s = cfg_key_suggest(cfg_flow_keys, rest);

			return fail(why, whylen, -ENOENT, "flows have no key %s%s%s%s", rest,
				    s ? " (did you mean " : "", s ? s : "", s ? "?)" : "");
		}
		return key_number(k, &c->flows[i], v, unit) ? not_number(key, why, whylen) : 0;
	}
	if (!strcmp(kind, "link"))
		return link_number(c, name, rest, key, v, unit, why, whylen);
	if (!strcmp(kind, "node")) {
		if ((i = config_node(c, name)) < 0)
			return fail(why, whylen, -ENOENT, "no node %s", name);
		return node_number(&c->nodes[i], rest, key, v, unit, why, whylen);
	}
	return fail(why, whylen, -ENOENT, "\"%s\": cfg() reads flow.*, link.*, node.* and "
					  "experiment.* keys", key);
}
