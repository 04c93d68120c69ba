/* `testbed check`'s warnings about shaping that is known to mislead.
 * Pure: reads the model (and whether a distribution table file exists). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "qdisc.h"
#include "qdisc_int.h"
#include "util/units.h"
#include "util/util.h"

/* One TCP flow between two namespaces keeps a tbf within 1% up to 1 Gbit/s in
 * the guest (bench/shaping/RESULTS.md), but an experiment's forwarding hops,
 * captures and samplers share the guest's one CPU, and a loaded run fell 4%
 * short at 100 Mbit/s: half of what was measured clean is the warning line. */
#define UML_MAX_RATE 500000000ull

/* One shaped direction under check: what every rule reads. */
struct dir_check {
	const struct tb_config *c;
	const struct tb_link *l;
	int i;                        /* leaving end[i] */
	const struct tb_shape *sh;
	const struct tb_loc *loc;
	const struct tb_queue_kind *qk;
	struct qdisc_plan_hint h;
	uint64_t wire;                /* a full frame on the wire */
	uint32_t netem_bits;
	char r[32];                   /* the rate as text */
	struct tb_diag *d;
};

static bool tcp_worker(const struct tb_flow *f)
{
	switch (f->worker) {
	case TB_WORKER_BULK:
	case TB_WORKER_RR:
	case TB_WORKER_CHURN:
	case TB_WORKER_IDLE:
		return true;
	case TB_WORKER_UDP:
		return f->transport == TB_TRANSPORT_TCP;
	case TB_WORKER_SYNFLOOD:
		return false;
	}
	return false;
}

/* Whether flow @f's data crosses link @l from end[i] to end[1 - i]. */
static bool flow_crosses(const struct tb_config *c, const struct tb_flow *f,
			 const struct tb_link *l, int i)
{
	int a = l->end[i].node, b = l->end[1 - i].node, total, d1, d2;

	if (f->from < 0 || f->to < 0)
		return false;
	total = config_distance(c, f->from, f->to);
	d1 = config_distance(c, f->from, a);
	d2 = config_distance(c, b, f->to);
	if (total < 0 || d1 < 0 || d2 < 0)
		return false;
	if (b != f->to && !c->nodes[b].forward)
		return false;
	return d1 + 1 + d2 == total;
}

static unsigned link_mtu(const struct tb_config *c, const struct tb_link *l)
{
	return l->mtu ? l->mtu : c->topo.mtu ? c->topo.mtu : 1500;
}

/* The TCP flow whose sender's own interface direction @k is: end[i] is a
 * host (not forwarding) that sends the flow's data across this link; NULL
 * when there is none. The one test of "the sender's own egress". */
static const struct tb_flow *own_egress_of(const struct dir_check *k)
{
	const struct tb_link *l = k->l;

	if (k->c->nodes[l->end[k->i].node].forward)
		return NULL;
	for (size_t n = 0; n < k->c->n_flows; n++) {
		const struct tb_flow *f = &k->c->flows[n];

		if (f->from == l->end[k->i].node && tcp_worker(f) && flow_crosses(k->c, f, l, k->i))
			return f;
	}
	return NULL;
}

/* Delay, loss or a rate limit on the interface of a TCP sender: TCP small
 * queues hold its packets back while they sit in its own qdisc, so the
 * shaping measures the sender's backpressure, not a path (docs/shaping.md). */
static int check_sender(const struct dir_check *k)
{
	const struct tb_flow *f = own_egress_of(k);
	const char *node = f ? k->c->nodes[f->from].name : NULL;
	int n = 0;

	if (f && (k->sh->set & k->netem_bits)) {
		diag_warn(k->d, k->loc,
			  "link %s: delay/loss on the egress of %s, which sends TCP flow "
			  "\"%s\": TCP small queues distort netem on the sender's own "
			  "interface; shape a link between forwarding nodes instead",
			  k->l->name, node, f->name);
		n++;
	}
	if (f && k->sh->rate) {
		diag_warn(k->d, k->loc,
			  "link %s: rate %s on the egress of %s, which sends TCP flow \"%s\": "
			  "TCP small queues make a qdisc on the sender's own interface push back "
			  "on the socket, so its drops and retransmits are not a router's; put "
			  "the bottleneck on a router's egress instead",
			  k->l->name, k->r, node, f->name);
		n++;
	}
	return n;
}

/* netem keys that do nothing or cannot install (dist table, jitter, reorder, gemodel). */
static int check_netem(const struct dir_check *k)
{
	const struct tb_shape *sh = k->sh;
	const char *name = k->l->name;
	int n = 0;

	if (sh->jitter_us && (sh->dist == TB_DIST_PARETO || sh->dist == TB_DIST_PARETONORMAL)) {
		int16_t *tab = xmalloc(QDISC_DIST_MAX * sizeof(*tab));

		if (qdisc_dist_table(sh->dist, tab) < 0) {
			diag_warn(k->d, k->loc, "link %s: no %s.dist table on this machine (iproute2 ships "
						"it); the shape will fail to install", name,
				  sh->dist == TB_DIST_PARETO ? "pareto" : "paretonormal");
			n++;
		}
		free(tab);
	}
	if ((sh->set & TB_SH_DIST) && sh->dist > TB_DIST_UNIFORM && !sh->jitter_us) {
		diag_warn(k->d, k->loc, "link %s: a distribution without jitter has no effect", name);
		n++;
	}
	if (sh->reorder > 0 && !sh->delay_us) {
		diag_warn(k->d, k->loc, "link %s: reorder needs a delay (netem reorders by sending some "
					"packets without it)", name);
		n++;
	}
	if (sh->loss_model == TB_LOSS_GEMODEL && sh->loss > 0) {
		diag_warn(k->d, k->loc, "link %s: loss = %g%% is ignored with loss_model = gemodel; "
					"the model's ge_p, ge_r, ge_h, ge_k set the loss", name, sh->loss);
		n++;
	}
	if (sh->loss_model != TB_LOSS_GEMODEL && (sh->set & TB_SH_GEMODEL)) {
		diag_warn(k->d, k->loc, "link %s: ge_* keys need loss_model = gemodel", name);
		n++;
	}
	return n;
}

/* A rate-limited drop-tail queue holding more than a second of traffic. */
static int check_fifo_depth(const struct dir_check *k)
{
	const struct tb_shape *sh = k->sh;
	uint64_t limit, us;
	char t[64];

	if (!sh->rate || !k->qk->fifo)
		return 0;
	limit = qdisc_queue_limit(sh, &k->h);
	us = (k->qk->limit_bytes ? limit : limit * k->wire) * 8 * 1000000 / sh->rate;
	if (us <= 1000000)
		return 0;
	units_fmt_time(us, t, sizeof(t));
	diag_warn(k->d, k->loc, "link %s: a full %s holds %s of traffic at %s; latency "
				"under load will be dominated by the queue",
		  k->l->name, k->qk->name, t, k->r);
	return 1;
}

/* Queue keys the queue kind ignores: target, interval, flows, ecn, limit. */
static int check_queue_keys(const struct dir_check *k)
{
	const struct tb_shape *sh = k->sh;
	const struct tb_queue_kind *qk = k->qk;
	const char *name = k->l->name;
	char t[64];
	int n = 0;

	if ((sh->target_us && !(qk->keys & TB_QK_TARGET)) ||
	    (sh->interval_us && !(qk->keys & TB_QK_INTERVAL))) {
		diag_warn(k->d, k->loc, "link %s: target and interval apply to %s only; queue %s ignores "
					"them",
			  name, config_queue_names(TB_QK_TARGET | TB_QK_INTERVAL, "and", t, sizeof(t)),
			  qk->name);
		n++;
	}
	if (sh->flows && !(qk->keys & TB_QK_FLOWS)) {
		diag_warn(k->d, k->loc, "link %s: flows applies to %s only", name,
			  config_queue_names(TB_QK_FLOWS, "and", t, sizeof(t)));
		n++;
	}
	if (sh->ecn == 1 && !qk->marks && !(sh->loss > 0)) {
		diag_warn(k->d, k->loc, "link %s: ecn = on has no effect here: queue %s does not mark "
					"and there is no netem loss to turn into marks",
			  name, qk->name);
		n++;
	}
	if (sh->limit && sh->queue == TB_QUEUE_DEFAULT) {
		diag_warn(k->d, k->loc, "link %s: limit without a queue kind is ignored (set queue)",
			  name);
		n++;
	}
	return n;
}

/* A netem_limit below the bandwidth-delay product, and a burst below one frame. */
static int check_sizes(const struct dir_check *k)
{
	const struct tb_shape *sh = k->sh;
	int n = 0;

	if ((sh->set & k->netem_bits) && sh->netem_limit && sh->rate) {
		uint32_t need = qdisc_bdp_packets(sh, &k->h);

		if (sh->netem_limit < need) {
			diag_warn(k->d, k->loc, "link %s: netem_limit %u is below the bandwidth-delay "
						"product (%u packets at %s): netem will tail-drop and "
						"its loss will not be the configured one",
				  k->l->name, sh->netem_limit, need, k->r);
			n++;
		}
	}
	if (sh->rate && sh->burst && sh->burst < k->wire) {
		diag_warn(k->d, k->loc, "link %s: burst %u is smaller than one frame (%u bytes): "
					"full-size packets can never be sent",
			  k->l->name, sh->burst, (unsigned)k->wire);
		n++;
	}
	return n;
}

/* A rate above what the UML guest shapes faithfully; offloads on with shaping. */
static int check_host(const struct dir_check *k, bool uml)
{
	const struct tb_shape *sh = k->sh;
	char t[64];
	int n = 0;

	if (uml && sh->rate > UML_MAX_RATE) {
		units_fmt_rate(UML_MAX_RATE, t, sizeof(t));
		diag_warn(k->d, k->loc, "link %s: rate %s is above what the User-Mode Linux guest (one "
					"CPU, HZ=100) shapes faithfully (%s); measured rates will fall short",
			  k->l->name, k->r, t);
		n++;
	}
	if (k->l->offload == 1 && (sh->rate || (sh->set & k->netem_bits) || sh->limit)) {
		diag_warn(k->d, k->loc, "link %s: offload = on with shaping: 64 KB super-packets make "
					"loss and queue limits apply to bursts, not packets", k->l->name);
		n++;
	}
	return n;
}

/* The warnings about direction @i of link @l (leaving end[i]); how many. */
static int check_dir(const struct tb_config *c, const struct tb_link *l, int i, bool uml,
		     struct tb_diag *d)
{
	struct dir_check k = {
		.c = c, .l = l, .i = i, .sh = &l->dir[i], .loc = &l->dir[i].loc,
		.qk = config_queue_kind(l->dir[i].queue), .h = { .mtu = link_mtu(c, l) },
		.netem_bits = config_shape_bits(TB_PART_NETEM), .d = d,
	};
	int n;

	if (!k.sh->set)
		return 0;
	k.wire = k.h.mtu + 14;
	units_fmt_rate(k.sh->rate, k.r, sizeof(k.r));
	n = check_sender(&k);
	n += check_netem(&k);
	n += check_fifo_depth(&k);
	n += check_queue_keys(&k);
	n += check_sizes(&k);
	return n + check_host(&k, uml);
}

int qdisc_check_plan(const struct tb_config *c, bool uml, struct tb_diag *d)
{
	int n = 0;

	for (size_t k = 0; k < c->n_links; k++)
		for (int i = 0; i < 2; i++)
			n += check_dir(c, &c->links[k], i, uml, d);
	return n;
}
