/* The resolved model as JSON, for the manifest, and a link direction's
 * shaping as text, for the report: driven by the same key tables as the
 * parser, so every key a file can set is written back under its own name,
 * in the units the files use. */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config_int.h"
#include "util/units.h"

/* A value that the files write with a unit ("20ms", "1%"), or a name. */
static const char *unit_text(const struct keydef *k, const void *obj, char *buf, unsigned len)
{
	const char *p = (const char *)obj + k->off;
	int v;

	switch (k->type) {
	case K_RATE:
		return units_fmt_rate(*(const uint64_t *)p, buf, len);
	case K_TIME:
		return units_fmt_time(*(const uint32_t *)p, buf, len);
	case K_PCT:
		snprintf(buf, len, "%g%%", *(const double *)p);
		return buf;
	case K_ENUM:
		v = *(const int *)p;
		return v >= 0 ? cfg_enum_name(k, v) : NULL;
	default:
		return NULL;
	}
}

static json_t *value_json(const struct tb_config *c, const struct keydef *k, const void *obj)
{
	const char *p = (const char *)obj + k->off, *t;
	char buf[64];
	int v;

	if ((t = unit_text(k, obj, buf, sizeof(buf))))
		return json_string(t);
	switch (k->type) {
	case K_SIZE32:
		return json_integer(*(const uint32_t *)p);
	case K_SIZE64:
	case K_U64:
		return json_integer((json_int_t) * (const uint64_t *)p);
	case K_BOOL:
		return json_boolean(*(const bool *)p);
	case K_TRI:
		v = *(const int *)p;
		return v < 0 ? json_string("auto") : json_boolean(v);
	case K_UINT:
		return json_integer(*(const unsigned *)p);
	case K_REAL:
		return json_real(*(const double *)p);
	case K_RATE: /* unit_text's */
	case K_TIME:
	case K_PCT:
	case K_ENUM: /* not set */
		return json_null();
	case K_STRDUP:
		return *(char *const *)p ? json_string(*(char *const *)p) : json_null();
	case K_NODE:
		v = *(const int *)p;
		return v >= 0 && (size_t)v < c->n_nodes ? json_string(c->nodes[v].name) : json_null();
	case K_STR:
	case K_IFNAME:
	case K_CIDR4:
	case K_CIDR6:
	case K_IDENT:
		return json_string(p);
	}
	return json_null();
}

/* Every key of table @t (all, or only those whose bit is in @set). */
static json_t *keys_json(const struct tb_config *c, const struct keydef *t, const void *obj,
			 bool only_set, uint32_t set)
{
	json_t *o = json_object();

	for (; t->name; t++)
		if (!only_set || (t->bit & set))
			json_object_set_new(o, t->name, value_json(c, t, obj));
	return o;
}

/* The keys of table @t on @obj, then its "name". */
static json_t *named_json(const struct tb_config *c, const struct keydef *t, const void *obj,
			  const char *name)
{
	json_t *o = keys_json(c, t, obj, false, 0);

	json_object_set_new(o, "name", json_string(name));
	return o;
}

/* @n objects of @size bytes from @first: keys of @t, name at @name_off. */
static json_t *named_array(const struct tb_config *c, const struct keydef *t, const void *first,
			   size_t size, size_t n, size_t name_off);

/* The events: their keys, without the repeat's and ramp's when not given,
 * and an action = set's shape keys as written. */
static json_t *events_json(const struct tb_config *c)
{
	json_t *a = named_array(c, cfg_event_keys, c->events, sizeof(*c->events), c->n_events,
				offsetof(struct tb_event, name));

	for (size_t i = 0; i < c->n_events; i++) {
		const struct tb_event *v = &c->events[i];
		json_t *o = json_array_get(a, i);

		if (!v->every_us)
			json_object_del(o, "every");
		if (v->until_us == UINT32_MAX)
			json_object_del(o, "until");
		if (!v->steps)
			json_object_del(o, "steps");
		for (size_t k = 0; k < v->n_sets; k++)
			json_object_set_new(o, v->sets[k].key, json_string(v->sets[k].value));
	}
	return a;
}

static json_t *named_array(const struct tb_config *c, const struct keydef *t, const void *first,
			   size_t size, size_t n, size_t name_off)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		const char *obj = (const char *)first + i * size;

		json_array_append_new(a, named_json(c, t, obj, obj + name_off));
	}
	return a;
}

/* The nodes: keys, name and sysctls. */
static json_t *nodes_json(const struct tb_config *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct tb_node *n = &c->nodes[i];
		json_t *o = named_json(c, cfg_node_keys, n, n->name), *s = json_object();

		for (size_t k = 0; k < n->n_sysctls; k++)
			json_object_set_new(s, n->sysctls[k].key, json_string(n->sysctls[k].value));
		json_object_set_new(o, "sysctls", s);
		json_array_append_new(a, o);
	}
	return a;
}

/* End @e of link @l: its keys, its node, the shape of the direction leaving it. */
static json_t *end_json(const struct tb_config *c, const struct tb_link *l, int e)
{
	json_t *eo = keys_json(c, cfg_end_keys, &l->end[e], false, 0);
	json_t *sh = keys_json(c, cfg_shape_keys, &l->dir[e], true, l->dir[e].set);

	json_object_set_new(eo, "node", json_string(c->nodes[l->end[e].node].name));
	json_object_set_new(eo, "egress", sh);
	return eo;
}

/* The links: keys, name and both ends. */
static json_t *links_json(const struct tb_config *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->n_links; i++) {
		const struct tb_link *l = &c->links[i];
		json_t *o = named_json(c, cfg_link_keys, l, l->name), *ends = json_array();

		for (int e = 0; e < 2; e++)
			json_array_append_new(ends, end_json(c, l, e));
		json_object_set_new(o, "ends", ends);
		json_array_append_new(a, o);
	}
	return a;
}

/* The expectations: name and expression text. */
static json_t *expects_json(const struct tb_config *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->n_expects; i++)
		json_array_append_new(a, json_pack("{ss ss}", "name", c->expects[i].name, "expression",
						   c->expects[i].text));
	return a;
}

static json_t *vars_json(const struct tb_pvar *v, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, v[i].name, json_string(v[i].value));
	return o;
}

/* The processes: their table keys, then env and metric as objects. */
static json_t *processes_json(const struct tb_config *c)
{
	json_t *a = named_array(c, cfg_process_keys, c->processes, sizeof(*c->processes),
				c->n_processes, offsetof(struct tb_process, name));

	for (size_t i = 0; i < c->n_processes; i++) {
		json_t *o = json_array_get(a, i);

		json_object_set_new(o, "env", vars_json(c->processes[i].env, c->processes[i].n_env));
		json_object_set_new(o, "metric", vars_json(c->processes[i].metrics,
							   c->processes[i].n_metrics));
	}
	return a;
}

json_t *config_to_json(const struct tb_config *c)
{
	json_t *j = json_object();

	json_object_set_new(j, "file", json_string(c->path));
	json_object_set_new(j, "topology", keys_json(c, cfg_topology_keys, &c->topo, false, 0));
	if (c->exp.present)
		json_object_set_new(j, "experiment",
				    keys_json(c, cfg_experiment_keys, &c->exp, false, 0));
	json_object_set_new(j, "nodes", nodes_json(c));
	json_object_set_new(j, "links", links_json(c));
	json_object_set_new(j, "flows",
			    named_array(c, cfg_flow_keys, c->flows, sizeof(*c->flows), c->n_flows,
					offsetof(struct tb_flow, name)));
	json_object_set_new(j, "captures",
			    named_array(c, cfg_capture_keys, c->captures, sizeof(*c->captures),
					c->n_captures, offsetof(struct tb_capture, name)));
	json_object_set_new(j, "events", events_json(c));
	json_object_set_new(j, "processes", processes_json(c));
	json_object_set_new(j, "expectations", expects_json(c));
	return j;
}

const char *config_shape_key(size_t i)
{
	size_t n = 0;

	while (cfg_shape_keys[n].name)
		n++;
	return i < n ? cfg_shape_keys[i].name : NULL;
}

/* Shaping key @k of @sh as text: a unit or a name, else the number. */
static void shape_text(const struct keydef *k, const struct tb_shape *sh, char *buf, size_t len)
{
	const char *t = unit_text(k, sh, buf, (unsigned)len);
	json_t *j;

	if (t) {
		if (t != buf) /* a name */
			snprintf(buf, len, "%s", t);
		return;
	}
	j = value_json(NULL, k, sh);
	if (json_is_integer(j))
		snprintf(buf, len, "%lld", (long long)json_integer_value(j));
	else if (json_is_boolean(j))
		snprintf(buf, len, "%s", json_is_true(j) ? "on" : "off");
	else
		snprintf(buf, len, "%s", json_is_string(j) ? json_string_value(j) : "?");
	json_decref(j);
}

bool config_shape_text(const struct tb_shape *sh, size_t i, char *buf, size_t len)
{
	const struct keydef *k = config_shape_key(i) ? &cfg_shape_keys[i] : NULL;
	struct tb_shape def;
	char d[64];

	buf[0] = 0;
	if (!k || !(sh->set & k->bit))
		return false;
	config_shape_defaults(&def);
	shape_text(k, sh, buf, len);
	shape_text(k, &def, d, sizeof(d));
	if (!strcmp(buf, d))
		buf[0] = 0;
	return buf[0] != 0;
}
