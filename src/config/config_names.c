/* Names in the model: nodes and flows found by name (with a suggestion for
 * a typo), references to them resolved once every section is read, and the
 * names of the workers and kernels. Read by every stage of the parser. */
#include <stdio.h>
#include <string.h>

#include "config_int.h"

int cfg_find_node(const struct tb_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		if (strcmp(c->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

int config_node(const struct tb_config *c, const char *name)
{
	return cfg_find_node(c, name);
}

int config_flow(const struct tb_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_flows; i++)
		if (strcmp(c->flows[i].name, name) == 0)
			return (int)i;
	return -1;
}

int config_process(const struct tb_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_processes; i++)
		if (strcmp(c->processes[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *cfg_suggest_node(const struct tb_config *c, const char *name)
{
	const char *found = NULL;
	unsigned best = 3;

	for (size_t i = 0; i < c->n_nodes; i++) {
		unsigned dd = tb_edit_distance(c->nodes[i].name, name);

		if (dd < best) {
			best = dd;
			found = c->nodes[i].name;
		}
	}
	return found;
}

void cfg_ref(struct cfg_ctx *x, int *target, const char *name, const struct tb_loc *loc,
	     const char *what)
{
	struct tb_config *c = x->c;
	char *t = (char *)target;
	struct pending_ref *r;

	x->refs = tb_grow(x->refs, &x->cap_refs, x->n_refs, sizeof(*x->refs));
	r = &x->refs[x->n_refs++];
	memset(r, 0, sizeof(*r));
	if (c->n_flows && t >= (char *)c->flows && t < (char *)(c->flows + c->n_flows)) {
		r->home = REF_FLOW;
		r->index = (size_t)(t - (char *)c->flows) / sizeof(*c->flows);
		r->off = (size_t)(t - (char *)&c->flows[r->index]);
	} else if (c->n_captures && t >= (char *)c->captures &&
		   t < (char *)(c->captures + c->n_captures)) {
		r->home = REF_CAPTURE;
		r->index = (size_t)(t - (char *)c->captures) / sizeof(*c->captures);
		r->off = (size_t)(t - (char *)&c->captures[r->index]);
	} else if (c->n_processes && t >= (char *)c->processes &&
		   t < (char *)(c->processes + c->n_processes)) {
		r->home = REF_PROCESS;
		r->index = (size_t)(t - (char *)c->processes) / sizeof(*c->processes);
		r->off = (size_t)(t - (char *)&c->processes[r->index]);
	} else {
		r->home = REF_PTR;
		r->target = target;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->loc = *loc;
	r->what = what;
	*target = -1;
}

int *cfg_ref_target(struct cfg_ctx *x, const struct pending_ref *r)
{
	switch (r->home) {
	case REF_FLOW:
		return (int *)((char *)&x->c->flows[r->index] + r->off);
	case REF_CAPTURE:
		return (int *)((char *)&x->c->captures[r->index] + r->off);
	case REF_PROCESS:
		return (int *)((char *)&x->c->processes[r->index] + r->off);
	case REF_PTR:
		break;
	}
	return r->target;
}

const char *config_worker_name(enum tb_worker w)
{
	return (unsigned)w < 6 ? cfg_worker_names[w] : "?";
}

const char *config_kernel_name(enum tb_kernel k)
{
	static const char *const names[] = { "auto", "host", "uml" };

	return (unsigned)k < 3 ? names[k] : "?";
}
