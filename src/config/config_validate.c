/* Checks that need the whole model: references, names, reachability,
 * shaping combinations, sweeps and expectations. Every message points at
 * the line that holds the offending reference. */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "trace.h"

/* The link ends of every node, in link order: a node's ends are few, so
 * naming and checking them is quadratic in its degree, not in the file
 * (a 2,000-node chain took over 30 s to check). */
struct node_ends {
	struct tb_end **end;
	size_t *link;
	size_t n, cap;
};

static struct node_ends *ends_by_node(const struct tb_config *c)
{
	struct node_ends *ne = xcalloc(c->n_nodes + 1, sizeof(*ne));

	for (size_t i = 0; i < c->n_links; i++)
		for (int e = 0; e < 2; e++) {
			struct tb_end *end = &c->links[i].end[e];
			struct node_ends *x;

			if (end->node < 0 || (size_t)end->node >= c->n_nodes)
				continue;
			x = &ne[end->node];
			if (x->n == x->cap) {
				x->cap = x->cap ? 2 * x->cap : 4;
				x->end = xrealloc(x->end, x->cap * sizeof(*x->end));
				x->link = xrealloc(x->link, x->cap * sizeof(*x->link));
			}
			x->end[x->n] = end;
			x->link[x->n++] = i;
		}
	return ne;
}

static bool ifname_taken(const struct node_ends *x, size_t k)
{
	for (size_t m = 0; m < x->n; m++)
		if (m != k && !strcmp(x->end[m]->ifname, x->end[k]->ifname))
			return true;
	return false;
}

static void name_interfaces(struct cfg_ctx *x)
{
	struct tb_config *c = x->c;
	struct node_ends *ne = ends_by_node(c);

	for (size_t n = 0; n < c->n_nodes; n++) {
		struct node_ends *ends = &ne[n];
		unsigned next = 0;

		for (size_t k = 0; k < ends->n; k++) {
			if (ends->end[k]->ifname[0])
				continue;
			do /* skip names the file gave to other links */
				snprintf(ends->end[k]->ifname, sizeof(ends->end[k]->ifname), "eth%u",
					 next++);
			while (ifname_taken(ends, k));
		}
		/* two ends on one node named alike by the file */
		for (size_t k = 0; k < ends->n; k++)
			for (size_t m = k + 1; m < ends->n; m++)
				if (!strcmp(ends->end[k]->ifname, ends->end[m]->ifname))
					diag_error(x->d, &c->links[ends->link[m]].loc,
						   "node %s: interface name \"%s\" is used by links %s "
						   "and %s",
						   c->nodes[n].name, ends->end[k]->ifname,
						   c->links[ends->link[k]].name,
						   c->links[ends->link[m]].name);
		free(ends->end);
		free(ends->link);
	}
	free(ne);
}

static bool same_subnet(int af, const char *a, const char *b)
{
	unsigned char x[16], y[16];
	char sa[64], sb[64], *pa, *pb;
	int la, lb, bytes;

	snprintf(sa, sizeof(sa), "%s", a);
	snprintf(sb, sizeof(sb), "%s", b);
	pa = strchr(sa, '/');
	pb = strchr(sb, '/');
	if (!pa || !pb)
		return false;
	*pa++ = 0;
	*pb++ = 0;
	la = atoi(pa);
	lb = atoi(pb);
	if (la != lb || inet_pton(af, sa, x) != 1 || inet_pton(af, sb, y) != 1)
		return false;
	bytes = la / 8;
	if (memcmp(x, y, (size_t)bytes))
		return false;
	if (la % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - la % 8));

		return (x[bytes] & mask) == (y[bytes] & mask);
	}
	return true;
}

static void check_addresses(struct cfg_ctx *x, struct tb_link *l)
{
	for (int fam = 0; fam < 2; fam++) {
		const char *a = fam ? l->end[0].addr6 : l->end[0].addr4;
		const char *b = fam ? l->end[1].addr6 : l->end[1].addr4;
		const char *key = fam ? "addr6" : "addr";

		if (!*a && !*b)
			continue;
		if (!*a || !*b) {
			diag_error(x->d, &l->loc,
				   "link %s: give %s for both ends, or for neither (to assign "
				   "automatically)",
				   l->name, key);
			continue;
		}
		if (strcmp(a, b) == 0)
			diag_error(x->d, &l->loc, "link %s: both ends have the address %s", l->name, a);
		else if (!same_subnet(fam ? AF_INET6 : AF_INET, a, b))
			diag_error(x->d, &l->loc, "link %s: %s and %s are not in one subnet", l->name, a,
				   b);
	}
}

/* How messages name direction @dir of @l: "both directions" or "A->B". */
static void shape_direction(const struct cfg_ctx *x, const struct tb_link *l, int dir, char *ds,
			    size_t len)
{
	if (memcmp(&l->dir[0], &l->dir[1], sizeof(l->dir[0])) == 0)
		snprintf(ds, len, "both directions");
	else
		snprintf(ds, len, "%s->%s", x->c->nodes[l->end[dir].node].name,
			 x->c->nodes[l->end[1 - dir].node].name);
}

/* netem's combinations: loss model, reorder, jitter and distribution. */
static void check_netem(struct cfg_ctx *x, const struct tb_link *l, const struct tb_shape *s,
			const char *ds)
{
	const struct tb_loc *loc = &s->loc;

	if ((s->set & TB_SH_GEMODEL) && s->loss_model != TB_LOSS_GEMODEL)
		diag_error(x->d, loc, "link %s (%s): ge_p/ge_r/ge_h/ge_k need loss_model = gemodel",
			   l->name, ds);
	if (s->loss_model == TB_LOSS_GEMODEL && !(s->set & TB_SH_GEMODEL))
		diag_error(x->d, loc, "link %s (%s): loss_model = gemodel needs at least ge_p",
			   l->name, ds);
	if ((s->set & TB_SH_REORDER) && s->delay_us == 0)
		diag_error(x->d, loc, "link %s (%s): reorder needs a delay (netem reorders by "
				      "sending some packets without it)",
			   l->name, ds);
	if (s->reorder_gap && s->reorder == 0)
		diag_error(x->d, loc, "link %s (%s): reorder_gap needs reorder", l->name, ds);
	if ((s->set & TB_SH_JITTER) && s->jitter_us > s->delay_us)
		diag_warn(x->d, loc,
			  "link %s (%s): jitter is larger than delay; netem clamps negative "
			  "delays to 0",
			  l->name, ds);
	if ((s->set & TB_SH_DIST) && !(s->set & TB_SH_JITTER))
		diag_error(x->d, loc, "link %s (%s): distribution needs jitter", l->name, ds);
}

/* Rate and queue rules: burst, shaper, stray queue keys, netem_limit, a pfifo's depth. */
static void check_queue(struct cfg_ctx *x, const struct tb_link *l, const struct tb_shape *s,
			const char *ds)
{
	/* queue keys the queue kind does not take at all */
	unsigned stray = config_queue_keys(s) & ~config_queue_kind(s->queue)->accepts;
	const struct tb_loc *loc = &s->loc;
	char aqm[64];

	if ((s->set & (TB_SH_BURST | TB_SH_SHAPER)) && !s->rate)
		diag_error(x->d, loc, "link %s (%s): burst and shaper need a rate", l->name,
			   ds);
	if (stray & TB_QK_LIMIT)
		diag_error(x->d, loc, "link %s (%s): limit needs a queue (pfifo, bfifo, fq_codel...)",
			   l->name, ds);
	if (stray & ~TB_QK_LIMIT)
		diag_error(x->d, loc,
			   "link %s (%s): target, interval, flows and ecn apply to queue = %s",
			   l->name, ds, config_queue_names(TB_QK_TARGET, "or", aqm, sizeof(aqm)));
	if ((s->set & TB_SH_NETEM_LIMIT) &&
	    !(s->set & config_shape_bits(TB_PART_NETEM) & ~TB_SH_NETEM_LIMIT))
		diag_warn(x->d, loc, "link %s (%s): netem_limit without delay or loss has no effect",
			  l->name, ds);
	if (s->queue == TB_QUEUE_PFIFO && s->limit && s->rate &&
	    (double)s->limit * 1514 * 8 / (double)s->rate > 1.0)
		diag_warn(x->d, loc, "link %s (%s): a pfifo of %u packets holds %.1f s at this rate",
			  l->name, ds, s->limit, (double)s->limit * 1514 * 8 / (double)s->rate);
}

static void check_shape(struct cfg_ctx *x, const struct tb_link *l, int dir)
{
	const struct tb_shape *s = &l->dir[dir];
	char ds[2 * TB_NAME_MAX + 8];

	shape_direction(x, l, dir, ds, sizeof(ds));
	if (!s->set)
		return;
	check_netem(x, l, s, ds);
	check_queue(x, l, s, ds);
}

/* Keys given to flow @idx that its worker does not take. */
static void check_flow_keys(struct cfg_ctx *x, size_t idx)
{
	const struct tb_flow *f = &x->c->flows[idx];

	for (size_t i = 0; i < x->n_uses; i++) {
		const struct key_use *u = &x->uses[i];
		uint32_t mask = cfg_flow_keys[u->key].bit;

		if (u->flow == idx && mask && !(mask & (1u << f->worker)))
			diag_error(x->d, &u->loc, "flow %s: \"%s\" does not apply to worker %s", f->name,
				   cfg_flow_keys[u->key].name, config_worker_name(f->worker));
	}
}

/* A flow's two nodes: both given, not the same, each reaching the other. */
static void check_flow_ends(struct cfg_ctx *x, const struct tb_flow *f)
{
	const struct tb_config *c = x->c;
	const struct tb_loc *loc = &f->loc;

	if (f->from < 0 && !config_flow_has(f, "from"))
		diag_error(x->d, loc, "flow %s: missing \"from\" (the client node)", f->name);
	if (f->to < 0 && !config_flow_has(f, "to"))
		diag_error(x->d, loc, "flow %s: missing \"to\" (the server node)", f->name);
	if (f->from >= 0 && f->to >= 0) {
		if (f->from == f->to)
			diag_error(x->d, loc, "flow %s: from and to are the same node (%s)", f->name,
				   c->nodes[f->from].name);
		else if (config_distance(c, f->from, f->to) < 0)
			diag_error(x->d, loc,
				   "flow %s: %s cannot reach %s (no path through forwarding nodes; "
				   "set forward = yes on the routers between them)",
				   f->name, c->nodes[f->from].name, c->nodes[f->to].name);
		else if (config_distance(c, f->to, f->from) < 0)
			diag_error(x->d, loc, "flow %s: %s cannot reach %s back", f->name,
				   c->nodes[f->to].name, c->nodes[f->from].name);
	}
}

/* The combinations and bounds of a flow's worker options. */
static void check_flow_options(struct cfg_ctx *x, const struct tb_flow *f)
{
	const struct tb_loc *loc = &f->loc;

	if (f->worker == TB_WORKER_RR && f->conn != TB_CONN_POOL && config_flow_has(f, "pool"))
		diag_error(x->d, loc, "flow %s: pool needs conn = pool", f->name);
	if (config_flow_has(f, "server.threads") && f->server.arch != TB_ARCH_POOL &&
	    f->server.arch != TB_ARCH_EPOLL_POOL)
		diag_error(x->d, loc, "flow %s: server.threads needs server.arch = pool or "
				      "epoll_pool",
			   f->name);
	if (f->worker == TB_WORKER_RR && config_flow_has(f, "streams") &&
	    (f->conn != TB_CONN_POOL || f->write == TB_WRITE_SPLIT))
		diag_error(x->d, loc, "flow %s: streams needs conn = pool and write = single",
			   f->name);
	if (f->worker == TB_WORKER_RR && f->write == TB_WRITE_SPLIT && f->request <= 16)
		diag_error(x->d, loc, "flow %s: write = split needs a request larger than its "
				      "16-byte header",
			   f->name);
	if (f->worker == TB_WORKER_SYNFLOOD && f->rate > 200000)
		diag_error(x->d, loc, "flow %s: a synflood is capped at 200000 SYNs/s", f->name);
	if (f->worker == TB_WORKER_CHURN && f->rate > 1e6)
		diag_error(x->d, loc, "flow %s: churn is capped at 1000000 connections/s", f->name);
	if (f->worker == TB_WORKER_SYNFLOOD && f->rate == 0)
		diag_error(x->d, loc, "flow %s: a synflood needs a bounded rate (rate = SYNs/s)",
			   f->name);
	if (f->family == TB_FAMILY_IPV6 && f->worker == TB_WORKER_SYNFLOOD)
		diag_error(x->d, loc, "flow %s: synflood is IPv4 only", f->name);
}

static void check_flow(struct cfg_ctx *x, size_t idx)
{
	struct tb_config *c = x->c;
	struct tb_flow *f = &c->flows[idx];
	const struct tb_loc *loc = &f->loc;

	if ((int)f->worker == -2) {
		f->worker = TB_WORKER_BULK;
		return;
	}
	if ((int)f->worker < 0) {
		diag_error(x->d, loc, "flow %s: missing \"worker\" (one of bulk, rr, churn, synflood, "
				      "udp, idle)",
			   f->name);
		f->worker = TB_WORKER_BULK; /* keep checking the rest */
		return;
	}
	check_flow_keys(x, idx);
	check_flow_ends(x, f);
	if (c->exp.present && (uint64_t)f->start_us + f->duration_us > c->exp.duration_us)
		diag_error(x->d, loc, "flow %s: start + duration runs past the experiment's duration",
			   f->name);
	if (c->exp.present && f->start_us >= c->exp.duration_us)
		diag_error(x->d, loc, "flow %s: starts after the experiment ends", f->name);
	check_flow_options(x, f);
	cfg_check_flow_proto(x, idx);
}

/* The transport a flow's own server listens with. */
static int server_proto(const struct tb_flow *f)
{
	return f->worker == TB_WORKER_UDP && f->transport == TB_TRANSPORT_UDP ? IPPROTO_UDP
									     : IPPROTO_TCP;
}

/* Two servers of their own on one node, port, family and transport would
 * not both bind. */
static void check_servers(struct cfg_ctx *x)
{
	const struct tb_config *c = x->c;

	for (size_t j = 0; j < c->n_flows; j++) {
		const struct tb_flow *g = &c->flows[j];

		if (!g->enabled || g->to < 0 || config_flow_server(c, (int)j) != (int)j)
			continue;
		for (size_t i = 0; i < j; i++) {
			const struct tb_flow *f = &c->flows[i];

			if (!f->enabled || f->to != g->to || f->family != g->family ||
			    server_proto(f) != server_proto(g) ||
			    config_flow_port(c, (int)i) != config_flow_port(c, (int)j) ||
			    config_flow_server(c, (int)i) != (int)i)
				continue;
			diag_error(x->d, &g->loc,
				   "flow %s: its server would listen on %s port %u, as flow %s's "
				   "does (give one of them another port)",
				   g->name, c->nodes[g->to].name, config_flow_port(c, (int)j),
				   f->name);
			break;
		}
	}
}

static void check_capture(struct cfg_ctx *x, struct tb_capture *k)
{
	struct tb_config *c = x->c;
	bool found = !k->iface[0] || !strcmp(k->iface, "lo");

	if (k->node == -2)
		diag_error(x->d, &k->loc, "capture %s: missing \"node\"", k->name);
	if (k->ladder_lines != 40 && !k->ladder)
		diag_error(x->d, &k->loc, "capture %s: \"ladder_lines\" needs \"ladder\"", k->name);
	if (k->node < 0)
		return; /* an unknown name was reported where it was written */
	for (size_t i = 0; i < c->n_links && !found; i++)
		for (int e = 0; e < 2; e++)
			found |= c->links[i].end[e].node == k->node &&
				 !strcmp(c->links[i].end[e].ifname, k->iface);
	if (!found)
		diag_error(x->d, &k->loc, "capture %s: node %s has no interface \"%s\"", k->name,
			   c->nodes[k->node].name, k->iface);
	if (k->filter) {
		pcap_t *p = pcap_open_dead(DLT_EN10MB, (int)k->snaplen);
		struct bpf_program prog;

		if (p && pcap_compile(p, &prog, k->filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
			diag_error(x->d, &k->loc, "capture %s: bad filter \"%s\": %s", k->name,
				   k->filter, pcap_geterr(p));
		else if (p)
			pcap_freecode(&prog);
		if (p)
			pcap_close(p);
	}
}

/* Shape and flow checks on a copy with some keys changed; the first problem
 * is reported at @loc as "WHAT: message". */
static void structure(struct tb_config *c, struct tb_diag *d)
{
	struct cfg_ctx y = { .c = c, .d = d };

	for (size_t i = 0; i < c->n_links; i++) {
		trace_check_link(&y, &c->links[i]);
		check_shape(&y, &c->links[i], 0);
		if (memcmp(&c->links[i].dir[0], &c->links[i].dir[1], sizeof(c->links[i].dir[0])))
			check_shape(&y, &c->links[i], 1);
	}
	for (size_t i = 0; i < c->n_flows; i++)
		check_flow(&y, i);
	check_servers(&y);
}

/* Shape and flow checks on a copy with some keys changed; the first problem
 * that the unchanged file does not have is reported at @loc as "WHAT: ...". */
static void recheck(struct cfg_ctx *x, struct tb_config *copy, const struct tb_loc *loc,
		    const char *what)
{
	struct tb_diag base = { 0 }, scratch = { 0 };
	struct tb_config *orig = config_dup(x->c);

	structure(orig, &base);
	structure(copy, &scratch);
	for (size_t i = 0; i < scratch.n; i++) {
		bool known = false;

		for (size_t j = 0; j < base.n && !known; j++)
			known = strcmp(base.msgs[j].text, scratch.msgs[i].text) == 0;
		if (!known && scratch.msgs[i].sev == TB_SEV_ERROR) {
			diag_error(x->d, loc, "%s: %s", what, scratch.msgs[i].text);
			break;
		}
	}
	diag_free(&base);
	diag_free(&scratch);
	config_free(orig);
}

/* Named cases become the first sweep dimension, keyed "case". */
static void add_case_sweep(struct cfg_ctx *x)
{
	struct tb_config *c = x->c;
	struct tb_sweep s = { 0 };

	if (!c->n_casedefs)
		return;
	s.key = xstrdup("case");
	s.short_name = xstrdup("case");
	s.loc = c->casedefs[0].loc;
	s.values = xcalloc(c->n_casedefs, sizeof(char *));
	s.n_values = c->n_casedefs;
	for (size_t i = 0; i < c->n_casedefs; i++)
		s.values[i] = xstrdup(c->casedefs[i].name);
	c->sweeps = tb_grow(c->sweeps, &c->cap_sweeps, c->n_sweeps, sizeof(*c->sweeps));
	memmove(c->sweeps + 1, c->sweeps, c->n_sweeps * sizeof(*c->sweeps));
	c->sweeps[0] = s;
	c->n_sweeps++;
}

/* The warnings that setting @what on a copy gave (its errors are reported
 * apart): a sweep's or a case's value warned about like the file's own. */
static void pass_warnings(struct cfg_ctx *x, const struct tb_diag *scratch, const char *what)
{
	for (size_t i = 0; i < scratch->n; i++) {
		const struct tb_diag_msg *m = &scratch->msgs[i];
		struct tb_loc loc = { m->file, m->line, m->col };

		if (m->sev == TB_SEV_WARNING)
			diag_warn(x->d, &loc, "%s: %s", what, m->text);
	}
}

/* A case's settings must each be valid: set them on a copy. */
static void check_cases(struct cfg_ctx *x)
{
	struct tb_config *c = x->c;

	for (size_t i = 0; i < c->n_casedefs; i++) {
		const struct tb_casedef *cd = &c->casedefs[i];
		struct tb_config *copy = config_dup(c);

		if (cd->n_set == 0 && !cd->note)
			diag_warn(x->d, &cd->loc, "case %s sets nothing", cd->name);
		size_t before = diag_errors(x->d);
		char what[64];

		snprintf(what, sizeof(what), "case %s", cd->name);
		for (size_t j = 0; j < cd->n_set; j++) {
			struct tb_diag scratch = { 0 };

			if (config_set(copy, cd->set[j].key, cd->set[j].value, &cd->set[j].loc,
				       &scratch) < 0 && scratch.n)
				diag_error(x->d, &cd->set[j].loc, "%s: %s", what, scratch.msgs[0].text);
			else
				pass_warnings(x, &scratch, what);
			diag_free(&scratch);
		}
		if (diag_errors(x->d) == before)
			recheck(x, copy, &cd->loc, what);
		config_free(copy);
	}
}

/* Each value of a sweep must be valid where it lands: set it on a copy. */
static void check_sweeps(struct cfg_ctx *x)
{
	struct tb_config *c = x->c;

	for (size_t i = 0; i < c->n_sweeps; i++) {
		struct tb_sweep *s = &c->sweeps[i];

		if (s->n_values < 1 || strcmp(s->key, "case") == 0)
			continue;
		if (!cfg_settable_key(s->key)) {
			diag_error(x->d, &s->loc,
				   "sweep key \"%s\" must start with flow., link., node. or process.",
				   s->key);
			continue;
		}
		for (size_t v = 0; v < s->n_values; v++) {
			struct tb_config *copy = config_dup(c);
			struct tb_diag scratch = { 0 };
			struct tb_loc vloc = s->loc;

			/* sweep keys of an unknown object are reported once */
			if (config_set(copy, s->key, s->values[v], &vloc, &scratch) < 0) {
				if (scratch.n)
					diag_error(x->d, &vloc, "sweep %s: %s", s->key,
						   scratch.msgs[0].text);
				diag_free(&scratch);
				config_free(copy);
				break;
			}
			{
				char what[96];

				snprintf(what, sizeof(what), "sweep %s", s->key);
				pass_warnings(x, &scratch, what);
				snprintf(what, sizeof(what), "sweep %s = %s", s->key, s->values[v]);
				recheck(x, copy, &vloc, what);
			}
			diag_free(&scratch);
			config_free(copy);
		}
	}
}

/* An event names a link of the topology (either spelling, A-B or B-A) and a
 * time inside the run. */
#define SERVER_RR_WORKERS \
	((1u << TB_WORKER_RR) | (1u << TB_WORKER_CHURN) | (1u << TB_WORKER_IDLE))

static const char *event_action_name_of(enum tb_event_action a)
{
	return a == TB_EVENT_STOP ? "stop" : "start";
}

/* stop and start act on a flow's tb-server (one that speaks --mode rr:
 * rr, churn and idle flows; tb-web's listener has no stop). */
static void check_event_flow(struct cfg_ctx *x, struct tb_event *v)
{
	const struct tb_config *c = x->c;
	const char *what = event_action_name_of(v->action);

	if (v->link_name[0])
		diag_error(x->d, &v->loc, "event %s: action = %s takes \"flow\", not \"link\"", v->name,
			   what);
	if (!v->flow_name[0]) {
		diag_error(x->d, &v->loc, "event %s: action = %s needs \"flow\" (the flow whose server it %ss)",
			   v->name, what, what);
		return;
	}
	for (size_t i = 0; i < c->n_flows && v->flow < 0; i++)
		if (!strcmp(c->flows[i].name, v->flow_name))
			v->flow = (int)i;
	if (v->flow < 0) {
		diag_error(x->d, &v->loc, "event %s: no flow \"%s\"", v->name, v->flow_name);
		return;
	}
	if (!(SERVER_RR_WORKERS & (1u << c->flows[v->flow].worker)) ||
	    config_flow_web(&c->flows[v->flow]))
		diag_error(x->d, &v->loc,
			   "event %s: flow %s has no tb-server to %s (rr, churn and idle flows do)",
			   v->name, v->flow_name, what);
}

static void check_event(struct cfg_ctx *x, struct tb_event *v)
{
	const struct tb_config *c = x->c;

	if (v->at_us == UINT32_MAX)
		diag_error(x->d, &v->loc, "event %s: missing \"at\"", v->name);
	else if (v->at_us >= c->exp.duration_us)
		diag_error(x->d, &v->loc, "event %s: at %.3g s is not within the run (duration %.3g s)",
			   v->name, v->at_us / 1e6, c->exp.duration_us / 1e6);
	if (v->action == TB_EVENT_STOP || v->action == TB_EVENT_START) {
		check_event_flow(x, v);
		return;
	}
	if (v->flow_name[0])
		diag_error(x->d, &v->loc, "event %s: \"flow\" is for action = stop or start", v->name);
	if (!v->link_name[0]) {
		diag_error(x->d, &v->loc, "event %s: missing \"link\"", v->name);
		return;
	}
	for (size_t i = 0; i < c->n_links && v->link < 0; i++) {
		const struct tb_link *l = &c->links[i];
		char rev[sizeof(v->link_name)];

		snprintf(rev, sizeof(rev), "%s-%s", c->nodes[l->end[1].node].name,
			 c->nodes[l->end[0].node].name);
		if (!strcmp(l->name, v->link_name) || !strcmp(rev, v->link_name))
			v->link = (int)i;
	}
	if (v->link < 0)
		diag_error(x->d, &v->loc, "event %s: no link \"%s\" in the topology", v->name,
			   v->link_name);
	cfg_event_check_set(x, v);
}

/* Keep-alive probe settings mean nothing without keep-alive itself. */
static void check_keepalive(struct cfg_ctx *x, const struct tb_flow *f)
{
	if ((config_flow_has(f, "keepalive_interval") || config_flow_has(f, "keepalive_count")) &&
	    !f->ka_idle_us)
		diag_error(x->d, &f->loc,
			   "flow %s: keepalive_interval and keepalive_count need keepalive_idle",
			   f->name);
}

/* The backoff's ceiling cannot be below its first step. */
static void check_reconnect(struct cfg_ctx *x, const struct tb_flow *f)
{
	if (f->reconnect_base_us && f->reconnect_cap_us &&
	    f->reconnect_cap_us < f->reconnect_base_us)
		diag_error(x->d, &f->loc, "flow %s: reconnect_cap (%.3g s) is below reconnect_base (%.3g s)",
			   f->name, f->reconnect_cap_us / 1e6, f->reconnect_base_us / 1e6);
}

void cfg_validate(struct cfg_ctx *x)
{
	struct tb_config *c = x->c;

	if (c->n_nodes == 0 && !diag_errors(x->d))
		diag_error(x->d, &(struct tb_loc){ c->path, 0, 0 }, "no [node NAME] sections");
	name_interfaces(x);
	for (size_t i = 0; i < c->n_links; i++) {
		struct tb_link *l = &c->links[i];

		check_addresses(x, l);
		trace_check_link(x, l);
		check_shape(x, l, 0);
		if (memcmp(&l->dir[0], &l->dir[1], sizeof(l->dir[0])))
			check_shape(x, l, 1);
		if (!l->mtu)
			l->mtu = c->topo.mtu;
	}
	for (size_t i = 0; i < c->n_flows; i++) {
		check_flow(x, i);
		check_keepalive(x, &c->flows[i]);
		check_reconnect(x, &c->flows[i]);
	}
	check_servers(x);
	for (size_t i = 0; i < c->n_captures; i++)
		check_capture(x, &c->captures[i]);
	for (size_t i = 0; i < c->n_events; i++)
		check_event(x, &c->events[i]);
	cfg_validate_processes(x);
	if (c->exp.present && c->n_flows == 0 && c->n_processes == 0)
		diag_error(x->d, &c->exp.loc,
			   "the experiment has no [flow NAME] and no [process NAME] section");
	check_sweeps(x);
	check_cases(x);
	add_case_sweep(x);
	if (c->n_sweeps && config_n_cases(c) == SIZE_MAX)
		diag_error(x->d, &c->sweeps[0].loc,
			   "the sweeps make more cases than can be counted (at most %u)",
			   CONFIG_MAX_CASES);
	else if (c->n_sweeps && config_n_cases(c) > CONFIG_MAX_CASES)
		diag_error(x->d, &c->sweeps[0].loc, "the sweeps make %zu cases (at most %u)",
			   config_n_cases(c), CONFIG_MAX_CASES);
	for (size_t i = 0; i < c->n_expects; i++)
		expect_parse(x, &c->expects[i], c->expects[i].text, &c->expects[i].loc);
}
