/* Opening the objects that sections declare ([node], [link], [flow],
 * [capture], [case], [event]) and recording sweeps and expectations, with
 * the duplicate and reference checks that need only what was read so far. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_int.h"

static bool check_name(struct cfg_ctx *x, const struct raw_entry *e, const char *kind,
		       const char *name)
{
	if (cfg_valid_name(name))
		return true;
	diag_error(x->d, &e->loc,
		   "bad %s name \"%s\": use a letter then letters, digits or '_' (at most %d)", kind,
		   name, TB_NAME_MAX - 1);
	return false;
}

int cfg_open_node(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	int i = cfg_find_node(c, name);
	struct tb_node *n;

	if (!check_name(x, e, "node", name))
		return -1;
	if (i >= 0) {
		if (c->nodes[i].loc.file == e->loc.file) {
			diag_error(x->d, &e->loc, "duplicate node \"%s\" (first defined on line %d)",
				   name, c->nodes[i].loc.line);
			return -1;
		}
		return i; /* an experiment adds to its topology's node */
	}
	if (x->has_topology && !x->in_topology) {
		const char *s = cfg_suggest_node(c, name);

		if (s)
			diag_error(x->d, &e->loc,
				   "node \"%s\" is not in the topology (did you mean \"%s\"?)", name, s);
		else
			diag_error(x->d, &e->loc, "node \"%s\" is not in the topology %s", name,
				   c->exp.topology);
		return -1;
	}
	c->nodes = tb_grow(c->nodes, &c->cap_nodes, c->n_nodes, sizeof(*c->nodes));
	n = &c->nodes[c->n_nodes];
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->loc = e->loc;
	return (int)c->n_nodes++;
}

static int find_link(const struct tb_config *c, int a, int b, bool *swapped)
{
	for (size_t i = 0; i < c->n_links; i++) {
		const struct tb_link *l = &c->links[i];

		if (l->end[0].node == a && l->end[1].node == b) {
			*swapped = false;
			return (int)i;
		}
		if (l->end[0].node == b && l->end[1].node == a) {
			*swapped = true;
			return (int)i;
		}
	}
	return -1;
}

static int end_node(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	int n = cfg_find_node(x->c, name);

	if (n < 0) {
		const char *s = cfg_suggest_node(x->c, name);

		if (s)
			diag_error(x->d, &e->loc, "link end: unknown node \"%s\" (did you mean \"%s\"?)",
				   name, s);
		else
			diag_error(x->d, &e->loc, "link end: unknown node \"%s\"", name);
	}
	return n;
}

int cfg_open_link(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	char a[TB_NAME_MAX * 2], *b;
	int na, nb, i;
	bool swapped;
	struct tb_link *l;

	snprintf(a, sizeof(a), "%s", name);
	b = strchr(a, '-');
	if (!b || strchr(b + 1, '-')) {
		diag_error(x->d, &e->loc, "link name \"%s\" must be NODE-NODE, e.g. [link r1-r2]",
			   name);
		return -1;
	}
	*b++ = 0;
	na = end_node(x, e, a);
	nb = end_node(x, e, b);
	if (na < 0 || nb < 0)
		return -1;
	if (na == nb) {
		diag_error(x->d, &e->loc, "link %s joins node \"%s\" to itself", name, a);
		return -1;
	}
	i = find_link(c, na, nb, &swapped);
	if (i >= 0) {
		if (c->links[i].loc.file == e->loc.file) {
			diag_error(x->d, &e->loc, "duplicate link %s (first defined on line %d)", name,
				   c->links[i].loc.line);
			return -1;
		}
		return i;
	}
	if (x->has_topology && !x->in_topology) {
		diag_error(x->d, &e->loc, "link %s is not in the topology %s", name, c->exp.topology);
		return -1;
	}
	c->links = tb_grow(c->links, &c->cap_links, c->n_links, sizeof(*c->links));
	l = &c->links[c->n_links];
	snprintf(l->name, sizeof(l->name), "%s-%s", a, b);
	l->end[0].node = na;
	l->end[1].node = nb;
	l->end[0].loc = l->end[1].loc = e->loc;
	l->offload = -1;
	config_shape_defaults(&l->dir[0]);
	config_shape_defaults(&l->dir[1]);
	l->loc = e->loc;
	return (int)c->n_links++;
}

int cfg_open_flow(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	int i = config_flow(c, name);
	struct tb_flow *f;

	if (!check_name(x, e, "flow", name))
		return -1;
	if (i >= 0) {
		diag_error(x->d, &e->loc, "duplicate flow \"%s\" (first defined on line %d)", name,
			   c->flows[i].loc.line);
		return -1;
	}
	c->flows = tb_grow(c->flows, &c->cap_flows, c->n_flows, sizeof(*c->flows));
	f = &c->flows[c->n_flows];
	cfg_flow_defaults(f);
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->worker = -1;
	f->loc = e->loc;
	return (int)c->n_flows++;
}

int cfg_open_capture(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	struct tb_capture *k;

	if (!check_name(x, e, "capture", name))
		return -1;
	for (size_t i = 0; i < c->n_captures; i++) {
		if (strcmp(c->captures[i].name, name) == 0) {
			diag_error(x->d, &e->loc,
				   "duplicate capture \"%s\" (first defined on line %d)", name,
				   c->captures[i].loc.line);
			return -1;
		}
	}
	c->captures = tb_grow(c->captures, &c->cap_captures, c->n_captures, sizeof(*c->captures));
	k = &c->captures[c->n_captures];
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->node = -2; /* not given */
	k->snaplen = 128;
	k->ladder_lines = 40;
	k->max_bytes = 200ull << 20;
	k->loc = e->loc;
	return (int)c->n_captures++;
}

int cfg_open_case(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	struct tb_casedef *k;

	if (!check_name(x, e, "case", name))
		return -1;
	for (size_t i = 0; i < c->n_casedefs; i++) {
		if (strcmp(c->casedefs[i].name, name) == 0) {
			diag_error(x->d, &e->loc, "duplicate case \"%s\" (first defined on line %d)",
				   name, c->casedefs[i].loc.line);
			return -1;
		}
	}
	c->casedefs = tb_grow(c->casedefs, &c->cap_casedefs, c->n_casedefs, sizeof(*c->casedefs));
	k = &c->casedefs[c->n_casedefs];
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->loc = e->loc;
	return (int)c->n_casedefs++;
}

int cfg_open_event(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	struct tb_event *v;

	if (!check_name(x, e, "event", name))
		return -1;
	for (size_t i = 0; i < c->n_events; i++) {
		if (strcmp(c->events[i].name, name) == 0) {
			diag_error(x->d, &e->loc, "duplicate event \"%s\" (first defined on line %d)",
				   name, c->events[i].loc.line);
			return -1;
		}
	}
	c->events = tb_grow(c->events, &c->cap_events, c->n_events, sizeof(*c->events));
	v = &c->events[c->n_events];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->at_us = UINT32_MAX; /* not given */
	v->until_us = UINT32_MAX;
	v->link = -1;
	v->flow = -1;
	v->loc = e->loc;
	return (int)c->n_events++;
}

int cfg_open_process(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	int i = config_process(c, name);
	struct tb_process *p;

	if (!check_name(x, e, "process", name))
		return -1;
	if (i >= 0) {
		diag_error(x->d, &e->loc, "duplicate process \"%s\" (first defined on line %d)",
			   name, c->processes[i].loc.line);
		return -1;
	}
	c->processes = tb_grow(c->processes, &c->cap_processes, c->n_processes,
			       sizeof(*c->processes));
	p = &c->processes[c->n_processes];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->node = -2; /* not given */
	p->loc = e->loc;
	return (int)c->n_processes++;
}

void cfg_add_setting(struct cfg_ctx *x, struct tb_casedef *k, const struct raw_entry *e)
{
	struct tb_setting *st;

	if (strcmp(e->key, "note") == 0) {
		free(k->note);
		k->note = xstrdup(e->value);
		return;
	}
	if (!cfg_settable_key(e->key)) {
		diag_error(x->d, &e->loc,
			   "[case %s]: \"%s\" is neither note nor a key like flow.NAME.KEY, "
			   "link.A-B.KEY, node.NAME.KEY or process.NAME.KEY",
			   k->name, e->key);
		return;
	}
	k->set = tb_grow(k->set, &k->cap_set, k->n_set, sizeof(*k->set));
	st = &k->set[k->n_set++];
	st->key = xstrdup(e->key);
	st->value = xstrdup(cfg_process_raw_key(e->key) && e->raw ? e->raw : e->value);
	st->loc = e->loc;
}

/* One value of sweep @s (@n bytes at @p, trimmed): added, unless empty or a repeat. */
static void sweep_value(struct cfg_ctx *x, const struct raw_entry *e, struct tb_sweep *s,
			size_t *cap, const char *p, size_t n, const struct tb_loc *vloc)
{
	char *v;

	while (n && isspace((unsigned char)*p))
		p++, n--;
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	v = strndup(p, n);
	if (!v)
		abort();
	if (!*v) {
		diag_error(x->d, vloc, "sweep %s: empty value in the list", e->key);
		free(v);
	} else {
		bool dup = false;

		for (size_t i = 0; i < s->n_values; i++)
			dup |= strcmp(s->values[i], v) == 0;
		if (dup) {
			diag_error(x->d, vloc, "sweep %s: value \"%s\" is listed twice", e->key, v);
			free(v);
		} else {
			s->values = tb_grow(s->values, cap, s->n_values, sizeof(*s->values));
			s->values[s->n_values++] = v;
		}
	}
}

void cfg_add_sweep(struct cfg_ctx *x, const struct raw_entry *e)
{
	struct tb_config *c = x->c;
	struct tb_sweep *s;
	struct tb_loc vloc = { e->loc.file, e->loc.line, e->val_col };
	const char *p = e->value;

	if (strcmp(e->key, "case") == 0) {
		diag_error(x->d, &e->loc, "\"case\" is not a sweep key: define [case NAME] sections");
		return;
	}
	for (size_t i = 0; i < c->n_sweeps; i++) {
		if (strcmp(c->sweeps[i].key, e->key) == 0) {
			diag_error(x->d, &e->loc, "duplicate sweep of \"%s\" (first on line %d)", e->key,
				   c->sweeps[i].loc.line);
			return;
		}
	}
	c->sweeps = tb_grow(c->sweeps, &c->cap_sweeps, c->n_sweeps, sizeof(*c->sweeps));
	s = &c->sweeps[c->n_sweeps++];
	s->key = xstrdup(e->key);
	s->short_name = xstrdup(strrchr(e->key, '.') ? strrchr(e->key, '.') + 1 : e->key);
	s->loc = e->loc;
	size_t cap = 0;
	for (;;) {
		const char *comma = strchr(p, ',');

		sweep_value(x, e, s, &cap, p, comma ? (size_t)(comma - p) : strlen(p), &vloc);
		if (!comma)
			break;
		p = comma + 1;
	}
}

void cfg_add_expect(struct cfg_ctx *x, const struct raw_entry *e)
{
	struct tb_config *c = x->c;
	struct tb_expect *ex;

	if (!cfg_valid_name(e->key)) {
		diag_error(x->d, &e->loc,
			   "bad expectation name \"%s\": write NAME = EXPRESSION, e.g. "
			   "bbr_wins = goodput(bulk, cc=bbr) > 5 * goodput(bulk, cc=cubic)",
			   e->key);
		return;
	}
	for (size_t i = 0; i < c->n_expects; i++) {
		if (strcmp(c->expects[i].name, e->key) == 0) {
			diag_error(x->d, &e->loc, "duplicate expectation \"%s\" (first on line %d)",
				   e->key, c->expects[i].loc.line);
			return;
		}
	}
	c->expects = tb_grow(c->expects, &c->cap_expects, c->n_expects, sizeof(*c->expects));
	ex = &c->expects[c->n_expects++];
	snprintf(ex->name, sizeof(ex->name), "%s", e->key);
	ex->text = xstrdup(e->value);
	ex->loc = e->loc;
	ex->loc.col = e->val_col;
}
