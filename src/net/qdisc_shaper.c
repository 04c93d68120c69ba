/* The rate part: tbf and htb, added and read back (the ops entries'
 * functions, qdisc_ops.c). libnl-route-3 builds both, except tbf above
 * 17 Gbit/s, which libnl's int of bytes/s cannot carry: libmnl then. */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include "qdisc_int.h"

/* tbf above 17 Gbit/s over libmnl: TCA_TBF_RATE64 and TCA_TBF_BURST, with
 * the link layer stated so that the kernel needs no rate table. */
static int add_tbf64(struct qctx *c, uint32_t parent, uint32_t handle, uint32_t limit_bytes)
{
	struct tc_tbf_qopt q = { 0 };
	uint64_t bps = c->sh->rate / 8, ticks;
	uint32_t burst = qdisc_burst(c->sh, c->hint);
	struct nlmsghdr *nlh;
	struct nlattr *opt;

	q.rate.linklayer = TC_LINKLAYER_ETHERNET;
	q.rate.rate = bps >= UINT32_MAX ? UINT32_MAX : (uint32_t)bps;
	q.limit = limit_bytes;
	/* the bucket's drain time in 64 ns ticks; TCA_TBF_BURST below is exact */
	ticks = (uint64_t)((double)burst * 1e9 / (double)bps / 64.0);
	q.buffer = ticks > UINT32_MAX ? UINT32_MAX : ticks ? (uint32_t)ticks : 1;
	nlh = qdisc_msg_start(c->nl, RTM_NEWQDISC, qdisc_new_flags(c), c->ifindex, parent,
			      handle, "tbf");
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(q), &q);
	mnl_attr_put_u64(nlh, TCA_TBF_RATE64, bps);
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, burst);
	mnl_attr_nest_end(nlh, opt);
	return qdisc_send(c, nlh, qdisc_verb(c), "qdisc tbf");
}

/* tbf's limit: its own bfifo's, sized from the rate the tree was built with
 * (a change keeps the buffer: a router's does not shrink with its link).
 * A change also gives a pfifo or bfifo below tbf this limit (the kernel's
 * fifo_set_limit()), so under such a queue kind it is that queue's. */
static uint32_t tbf_limit(const struct qctx *c)
{
	bool fifo = c->sh->queue == TB_QUEUE_PFIFO || c->sh->queue == TB_QUEUE_BFIFO;

	if (c->built && fifo && (c->parts & TB_PART_QUEUE))
		return qdisc_queue_limit(c->sh, c->hint);
	return qdisc_default_queue_bytes(c->built ? c->built : c->sh, c->hint);
}

/* tbf's own bfifo is the default queue (qdisc_default_queue_bytes); a queue
 * kind added under it replaces that at once. */
int qdisc_tbf_add(struct qctx *c, uint32_t parent, uint32_t handle)
{
	uint32_t limit = tbf_limit(c);
	uint64_t bps = c->sh->rate / 8;
	struct rtnl_qdisc *q;
	int rc;

	if (bps > INT32_MAX)
		return add_tbf64(c, parent, handle, limit);
	q = qdisc_nl_new(parent, handle, "tbf");
	if (!q)
		return qdisc_fail(c, -ENOMEM, "build", "tbf", "libnl");
	rtnl_qdisc_tbf_set_limit(q, (int)limit);
	rtnl_qdisc_tbf_set_rate(q, (int)bps, (int)qdisc_burst(c->sh, c->hint), 0);
	rc = qdisc_send_libnl(c, TC_CAST(q), false, "tbf");
	rtnl_qdisc_put(q);
	return rc;
}

/* htb's one class, @handle | 1, at the rate (rate = ceil). */
static int add_htb_class(struct qctx *c, uint32_t handle)
{
	struct rtnl_class *cl = rtnl_class_alloc();
	uint64_t bps = c->sh->rate / 8, quantum, wire = qdisc_wire(c->hint);
	uint32_t burst = qdisc_burst(c->sh, c->hint);
	int rc;

	if (!cl)
		return qdisc_fail(c, -ENOMEM, "build", "class htb", "libnl");
	rtnl_tc_set_parent(TC_CAST(cl), handle);
	rtnl_tc_set_handle(TC_CAST(cl), handle | 1);
	rtnl_tc_set_kind(TC_CAST(cl), "htb");
	rtnl_htb_set_rate64(cl, bps);
	rtnl_htb_set_ceil64(cl, bps);
	rtnl_htb_set_rbuffer(cl, burst);
	rtnl_htb_set_cbuffer(cl, burst);
	/* r2q would give quanta the kernel complains about at high rates */
	quantum = bps / 10;
	quantum = quantum < wire ? wire : quantum > 200000 ? 200000 : quantum;
	rtnl_htb_set_quantum(cl, (uint32_t)quantum);
	rc = qdisc_send_libnl(c, TC_CAST(cl), true, "htb");
	rtnl_class_put(cl);
	return rc;
}

int qdisc_htb_add(struct qctx *c, uint32_t parent, uint32_t handle)
{
	struct rtnl_qdisc *q;
	int rc;

	/* the rate is the class's; the qdisc has only its default class */
	if (c->built)
		return add_htb_class(c, handle);
	q = qdisc_nl_new(parent, handle, "htb");
	if (!q)
		return qdisc_fail(c, -ENOMEM, "build", "htb", "libnl");
	rtnl_htb_set_defcls(q, 1);
	rc = qdisc_send_libnl(c, TC_CAST(q), false, "htb");
	rtnl_qdisc_put(q);
	return rc ? rc : add_htb_class(c, handle);
}

/* --- read back -------------------------------------------------------------- */

void qdisc_tbf_options(json_t *o, const struct nlattr *opt)
{
	const struct nlattr *attr;
	uint64_t rate = 0;
	uint32_t buffer = 0;

	mnl_attr_for_each_nested(attr, opt)
	{
		if (mnl_attr_get_type(attr) == TCA_TBF_PARMS &&
		    mnl_attr_get_payload_len(attr) >= sizeof(struct tc_tbf_qopt)) {
			const struct tc_tbf_qopt *q = mnl_attr_get_payload(attr);

			if (!rate)
				rate = q->rate.rate;
			buffer = q->buffer;
			qdisc_json_u64(o, "limit", q->limit);
		} else if (mnl_attr_get_type(attr) == TCA_TBF_RATE64) {
			rate = mnl_attr_get_u64(attr);
		}
	}
	qdisc_json_u64(o, "rate_bps", rate * 8);
	/* buffer is the bucket's drain time in 64 ns ticks */
	qdisc_json_u64(o, "burst", (uint64_t)((double)buffer * 64e-9 * (double)rate + 0.5));
}

/* The qdisc's TCA_HTB_INIT, or a class's parameters. */
void qdisc_htb_options(json_t *o, const struct nlattr *opt)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, opt)
	{
		if (mnl_attr_get_type(attr) == TCA_HTB_INIT &&
		    mnl_attr_get_payload_len(attr) >= sizeof(struct tc_htb_glob)) {
			const struct tc_htb_glob *g = mnl_attr_get_payload(attr);

			qdisc_json_u64(o, "default", g->defcls);
			qdisc_json_u64(o, "direct_packets", g->direct_pkts);
		} else if (mnl_attr_get_type(attr) == TCA_HTB_PARMS &&
			   mnl_attr_get_payload_len(attr) >= sizeof(struct tc_htb_opt)) {
			const struct tc_htb_opt *h = mnl_attr_get_payload(attr);

			if (!json_object_get(o, "rate_bps"))
				qdisc_json_u64(o, "rate_bps", (uint64_t)h->rate.rate * 8);
			qdisc_json_u64(o, "quantum", h->quantum);
		} else if (mnl_attr_get_type(attr) == TCA_HTB_RATE64) {
			qdisc_json_u64(o, "rate_bps", mnl_attr_get_u64(attr) * 8);
		}
	}
}
