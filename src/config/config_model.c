/* Operations on a loaded model: free, copy, set a swept key, enumerate the
 * cases of the sweeps, and path lengths between nodes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "trace.h"

static void free_node(struct tb_node *n)
{
	for (size_t i = 0; i < n->n_sysctls; i++) {
		free(n->sysctls[i].key);
		free(n->sysctls[i].value);
	}
	free(n->sysctls);
}

static void free_vars(struct tb_pvar *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

static void free_process(struct tb_process *p)
{
	free(p->cmd);
	free(p->after);
	free(p->after_idx);
	free(p->ready);
	free(p->ports_text);
	free_vars(p->env, p->n_env);
	free_vars(p->metrics, p->n_metrics);
}

void config_free(struct tb_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_processes; i++)
		free_process(&c->processes[i]);
	free(c->processes);
	for (size_t i = 0; i < c->n_nodes; i++)
		free_node(&c->nodes[i]);
	free(c->nodes);
	free(c->links);
	free(c->flows);
	for (size_t i = 0; i < c->n_captures; i++)
		free(c->captures[i].filter);
	free(c->captures);
	free(c->events);
	for (size_t i = 0; i < c->n_sweeps; i++) {
		for (size_t j = 0; j < c->sweeps[i].n_values; j++)
			free(c->sweeps[i].values[j]);
		free(c->sweeps[i].values);
		free(c->sweeps[i].key);
		free(c->sweeps[i].short_name);
	}
	free(c->sweeps);
	for (size_t i = 0; i < c->n_casedefs; i++) {
		for (size_t j = 0; j < c->casedefs[i].n_set; j++) {
			free(c->casedefs[i].set[j].key);
			free(c->casedefs[i].set[j].value);
		}
		free(c->casedefs[i].set);
		free(c->casedefs[i].note);
	}
	free(c->casedefs);
	for (size_t i = 0; i < c->n_expects; i++) {
		free(c->expects[i].text);
		expect_free_expr(c->expects[i].lhs);
		expect_free_expr(c->expects[i].rhs);
	}
	free(c->expects);
	for (int i = 0; i < 2; i++) {
		free(c->sources[i].path);
		free(c->sources[i].text);
	}
	free(c->exp.description);
	free(c->exp.topology);
	free(c->path);
	free(c);
}

static void *dup_array(const void *src, size_t n, size_t size, size_t *cap)
{
	void *p;

	*cap = n;
	p = xmalloc(n * size);
	if (n)
		memcpy(p, src, n * size);
	return p;
}

static char *dup_str(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Node @d (a copy of @src) with sysctls of its own. */
static void dup_node(struct tb_node *d, const struct tb_node *src)
{
	d->sysctls = dup_array(src->sysctls, d->n_sysctls, sizeof(*d->sysctls), &d->cap_sysctls);
	for (size_t j = 0; j < d->n_sysctls; j++) {
		d->sysctls[j].key = xstrdup(d->sysctls[j].key);
		d->sysctls[j].value = xstrdup(d->sysctls[j].value);
	}
}

static struct tb_pvar *dup_vars(const struct tb_pvar *src, size_t n, size_t *cap)
{
	struct tb_pvar *v = dup_array(src, n, sizeof(*v), cap);

	for (size_t i = 0; i < n; i++) {
		v[i].name = xstrdup(v[i].name);
		v[i].value = xstrdup(v[i].value);
	}
	return v;
}

/* Process @d (a copy of @src) with strings and lists of its own. */
static void dup_process(struct tb_process *d, const struct tb_process *src)
{
	size_t cap;

	d->cmd = dup_str(src->cmd);
	d->after = dup_str(src->after);
	d->after_idx = dup_array(src->after_idx, src->n_after, sizeof(int), &cap);
	d->ready = dup_str(src->ready);
	if (src->ready_file)
		d->ready_file = d->ready + (src->ready_file - src->ready);
	d->ports_text = dup_str(src->ports_text);
	d->env = dup_vars(src->env, src->n_env, &d->cap_env);
	d->metrics = dup_vars(src->metrics, src->n_metrics, &d->cap_metrics);
}

/* Sweep @s (a copy of @src) with its key, short name and values its own. */
static void dup_sweep(struct tb_sweep *s, const struct tb_sweep *src)
{
	size_t cap;

	s->key = xstrdup(s->key);
	s->short_name = xstrdup(s->short_name);
	s->values = dup_array(src->values, s->n_values, sizeof(char *), &cap);
	for (size_t j = 0; j < s->n_values; j++)
		s->values[j] = xstrdup(s->values[j]);
}

/* Case @k (a copy of @src) with its note and settings its own. */
static void dup_casedef(struct tb_casedef *k, const struct tb_casedef *src)
{
	k->note = dup_str(k->note);
	k->set = dup_array(src->set, k->n_set, sizeof(*k->set), &k->cap_set);
	for (size_t j = 0; j < k->n_set; j++) {
		k->set[j].key = xstrdup(k->set[j].key);
		k->set[j].value = xstrdup(k->set[j].value);
	}
}

struct tb_config *config_dup(const struct tb_config *c)
{
	struct tb_config *n = xmalloc(sizeof(*n));

	*n = *c;
	n->path = dup_str(c->path);
	n->exp.description = dup_str(c->exp.description);
	n->exp.topology = dup_str(c->exp.topology);
	for (int i = 0; i < 2; i++)
		n->sources[i] = (struct tb_source){ dup_str(c->sources[i].path),
						    dup_str(c->sources[i].text) };
	n->nodes = dup_array(c->nodes, c->n_nodes, sizeof(*c->nodes), &n->cap_nodes);
	for (size_t i = 0; i < c->n_nodes; i++)
		dup_node(&n->nodes[i], &c->nodes[i]);
	n->links = dup_array(c->links, c->n_links, sizeof(*c->links), &n->cap_links);
	n->flows = dup_array(c->flows, c->n_flows, sizeof(*c->flows), &n->cap_flows);
	n->captures = dup_array(c->captures, c->n_captures, sizeof(*c->captures), &n->cap_captures);
	for (size_t i = 0; i < c->n_captures; i++)
		n->captures[i].filter = dup_str(c->captures[i].filter);
	n->events = dup_array(c->events, c->n_events, sizeof(*c->events), &n->cap_events);
	n->processes = dup_array(c->processes, c->n_processes, sizeof(*c->processes),
				 &n->cap_processes);
	for (size_t i = 0; i < c->n_processes; i++)
		dup_process(&n->processes[i], &c->processes[i]);
	n->sweeps = dup_array(c->sweeps, c->n_sweeps, sizeof(*c->sweeps), &n->cap_sweeps);
	for (size_t i = 0; i < c->n_sweeps; i++)
		dup_sweep(&n->sweeps[i], &c->sweeps[i]);
	n->casedefs = dup_array(c->casedefs, c->n_casedefs, sizeof(*c->casedefs), &n->cap_casedefs);
	for (size_t i = 0; i < c->n_casedefs; i++)
		dup_casedef(&n->casedefs[i], &c->casedefs[i]);
	n->expects = dup_array(c->expects, c->n_expects, sizeof(*c->expects), &n->cap_expects);
	for (size_t i = 0; i < c->n_expects; i++) {
		struct tb_expect *e = &n->expects[i];

		e->text = xstrdup(e->text);
		e->lhs = expect_dup_expr(e->lhs);
		e->rhs = expect_dup_expr(e->rhs);
	}
	return n;
}

/* The kinds of object a case or a sweep may set keys of (KIND.NAME.KEY). */
static const char *const settable[] = { "flow", "link", "node", "process", NULL };

bool cfg_settable_key(const char *key)
{
	for (const char *const *k = settable; *k; k++)
		if (!strncmp(key, *k, strlen(*k)) && key[strlen(*k)] == '.')
			return true;
	return false;
}

/* Split "KIND.NAME.REST" (*@rest at REST); false for another form or a long part. */
bool cfg_split_key(const char *key, char *kind, size_t kind_len, char *name, size_t name_len,
		      const char **rest)
{
	const char *p = strchr(key, '.'), *r;

	if (!p || (size_t)(p - key) >= kind_len)
		return false;
	memcpy(kind, key, (size_t)(p - key));
	kind[p - key] = 0;
	r = strchr(p + 1, '.');
	if (!r || (size_t)(r - p - 1) >= name_len || !r[1])
		return false;
	memcpy(name, p + 1, (size_t)(r - p - 1));
	name[r - p - 1] = 0;
	*rest = r + 1;
	return true;
}

/* The link between the two nodes "A-B" names (either way round), or -1. */
int cfg_find_link(const struct tb_config *c, const char *name)
{
	const char *dash = strchr(name, '-');
	char an[TB_NAME_MAX * 2 + 2];
	int a, b, idx = -1;

	if (!dash)
		return -1;
	snprintf(an, sizeof(an), "%.*s", (int)(dash - name), name);
	a = config_node(c, an);
	b = config_node(c, dash + 1);
	for (size_t i = 0; i < c->n_links && a >= 0 && b >= 0; i++) {
		const struct tb_link *l = &c->links[i];

		if ((l->end[0].node == a && l->end[1].node == b) ||
		    (l->end[0].node == b && l->end[1].node == a))
			idx = (int)i;
	}
	return idx;
}

/* @rest = @value on flow, node or link @name: 0, -EINVAL (none such), -ENOENT (other @kind). */
static int set_in(struct cfg_ctx *x, const char *kind, const char *name, const char *rest,
		  const char *value, const struct tb_loc *loc)
{
	struct tb_config *c = x->c;
	int idx;

	if (strcmp(kind, "flow") == 0) {
		idx = config_flow(c, name);
		if (idx >= 0)
			cfg_flow_set(x, &c->flows[idx], rest, value, loc, loc);
	} else if (strcmp(kind, "node") == 0) {
		idx = config_node(c, name);
		if (idx >= 0)
			cfg_node_set(x, &c->nodes[idx], rest, value, loc, loc);
	} else if (strcmp(kind, "link") == 0) {
		idx = cfg_find_link(c, name);
		if (idx >= 0)
			cfg_link_set(x, &c->links[idx], rest, value, loc, loc);
	} else if (strcmp(kind, "process") == 0) {
		idx = config_process(c, name);
		if (idx >= 0 && strcmp(rest, "cmd") && strncmp(rest, "env.", 4)) {
			diag_error(x->d, loc, "a case or sweep may set process.%s.cmd or "
					      "process.%s.env.VAR, not \"%s\"", name, name, rest);
			return -EINVAL;
		}
		if (idx >= 0)
			cfg_process_set(x, &c->processes[idx], rest, value, loc, loc);
	} else {
		return -ENOENT;
	}
	if (idx < 0) {
		diag_error(x->d, loc, "unknown %s \"%s\"", kind, name);
		return -EINVAL;
	}
	return 0;
}

/* A swept from/to names a node: resolve the references @x collected now. */
static void resolve_now(struct cfg_ctx *x, const struct tb_loc *loc)
{
	for (size_t i = 0; i < x->n_refs; i++) {
		int n = config_node(x->c, x->refs[i].name);

		if (n < 0)
			diag_error(x->d, loc, "unknown node \"%s\"", x->refs[i].name);
		*cfg_ref_target(x, &x->refs[i]) = n;
	}
}

/* key = "flow.NAME.KEY", "link.A-B[.NODE].KEY" or "node.NAME.KEY". */
int config_set(struct tb_config *c, const char *key, const char *value, const struct tb_loc *loc,
	       struct tb_diag *d)
{
	struct cfg_ctx x = { .c = c, .d = d, .has_topology = false, .in_topology = true };
	char kind[16], name[TB_NAME_MAX * 2 + 2];
	const char *rest;
	size_t errors = diag_errors(d);
	int rc = -ENOENT;

	if (cfg_split_key(key, kind, sizeof(kind), name, sizeof(name), &rest))
		rc = set_in(&x, kind, name, rest, value, loc);
	if (rc == -ENOENT) {
		diag_error(d, loc,
			   "\"%s\" must be flow.NAME.KEY, link.A-B.KEY, link.A-B.NODE.KEY, "
			   "node.NAME.KEY or process.NAME.KEY",
			   key);
		return -EINVAL;
	}
	if (rc)
		return rc;
	resolve_now(&x, loc);
	free(x.refs);
	free(x.uses);
	return diag_errors(d) > errors ? -EINVAL : 0;
}

struct tb_config *config_case(const struct tb_config *c, size_t k, struct tb_diag *d)
{
	struct tb_config *n = config_dup(c);
	int *idx = xcalloc(c->n_sweeps + 1, sizeof(int));
	int rc = 0;

	config_case_values(c, k, idx);
	for (size_t i = 0; i < c->n_sweeps && !rc; i++) {
		const struct tb_sweep *s = &c->sweeps[i];

		if (strcmp(s->key, "case") == 0) {
			const struct tb_casedef *cd = &c->casedefs[idx[i]];

			for (size_t j = 0; j < cd->n_set && !rc; j++)
				rc = config_set(n, cd->set[j].key, cd->set[j].value, &cd->set[j].loc, d);
		} else {
			rc = config_set(n, s->key, s->values[idx[i]], &s->loc, d);
		}
	}
	free(idx);
	if (!rc) /* a swept trace: read, its path resolved, its rate set */
		rc = trace_check_links(n, d);
	if (rc) {
		config_free(n);
		return NULL;
	}
	return n;
}

void config_set_duration(struct tb_config *c, uint32_t dur_us)
{
	double scale = (double)dur_us / c->exp.duration_us;

	for (size_t i = 0; i < c->n_flows; i++) {
		c->flows[i].start_us = (uint32_t)(c->flows[i].start_us * scale);
		c->flows[i].duration_us = (uint32_t)(c->flows[i].duration_us * scale);
	}
	for (size_t i = 0; i < c->n_events; i++) {
		struct tb_event *v = &c->events[i];

		v->at_us = (uint32_t)(v->at_us * scale);
		v->every_us = (uint32_t)(v->every_us * scale);
		v->over_us = (uint32_t)(v->over_us * scale);
		if (v->until_us != UINT32_MAX)
			v->until_us = (uint32_t)(v->until_us * scale);
	}
	for (size_t i = 0; i < c->n_processes; i++)
		c->processes[i].start_us = (uint32_t)(c->processes[i].start_us * scale);
	c->exp.duration_us = dur_us;
}

unsigned config_flow_port(const struct tb_config *c, int flow)
{
	const struct tb_flow *f = &c->flows[flow];

	return f->port ? f->port : 5001 + (unsigned)flow;
}

static bool shares_listener(enum tb_worker w)
{
	return w == TB_WORKER_RR || w == TB_WORKER_CHURN || w == TB_WORKER_IDLE;
}

int config_flow_server(const struct tb_config *c, int flow)
{
	const struct tb_flow *f = &c->flows[flow];
	bool flood = f->worker == TB_WORKER_SYNFLOOD;
	int first_flood = flow;

	if (!flood && (!shares_listener(f->worker) || config_flow_web(f)))
		return flow; /* tb-web's listener speaks its flow's protocol stack only */
	for (int i = 0; i < (int)c->n_flows; i++) {
		const struct tb_flow *g = &c->flows[i];

		if (i == flow || !g->enabled || g->to != f->to ||
		    config_flow_port(c, i) != config_flow_port(c, flow))
			continue;
		if (flood && g->worker != TB_WORKER_SYNFLOOD)
			return i;
		if (flood && i < first_flood)
			first_flood = i;
		if (!flood && i < flow && shares_listener(g->worker) && !config_flow_web(g))
			return i;
	}
	return first_flood;
}

size_t config_n_cases(const struct tb_config *c)
{
	size_t n = 1;

	/* saturates: 16 sweeps of 16 values wrapped to 0 cases, and ran none */
	for (size_t i = 0; i < c->n_sweeps; i++)
		if (__builtin_mul_overflow(n, c->sweeps[i].n_values ? c->sweeps[i].n_values : 1, &n))
			return SIZE_MAX;
	return n;
}

void config_case_values(const struct tb_config *c, size_t k, int *idx)
{
	for (size_t i = c->n_sweeps; i-- > 0;) {
		size_t n = c->sweeps[i].n_values ? c->sweeps[i].n_values : 1;

		idx[i] = (int)(k % n);
		k /= n;
	}
}

int config_distance(const struct tb_config *c, int a, int b)
{
	int *dist, *queue, head = 0, tail = 0, result = -1;

	if (a < 0 || b < 0 || (size_t)a >= c->n_nodes || (size_t)b >= c->n_nodes)
		return -1;
	if (a == b)
		return 0;
	dist = xmalloc(c->n_nodes * sizeof(int));
	queue = xmalloc(c->n_nodes * sizeof(int));
	for (size_t i = 0; i < c->n_nodes; i++)
		dist[i] = -1;
	dist[a] = 0;
	queue[tail++] = a;
	while (head < tail) {
		int u = queue[head++];

		/* only the source and forwarding nodes pass packets on */
		if (u != a && !c->nodes[u].forward)
			continue;
		for (size_t i = 0; i < c->n_links; i++) {
			const struct tb_link *l = &c->links[i];
			int v;

			if (l->end[0].node == u)
				v = l->end[1].node;
			else if (l->end[1].node == u)
				v = l->end[0].node;
			else
				continue;
			if (dist[v] >= 0)
				continue;
			dist[v] = dist[u] + 1;
			queue[tail++] = v;
		}
	}
	result = dist[b];
	free(dist);
	free(queue);
	return result;
}
