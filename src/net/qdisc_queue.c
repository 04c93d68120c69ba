/* The queue kinds: pfifo, bfifo, fq_codel, codel, fq and cake, added and
 * read back (the ops entries' functions, qdisc_ops.c; names, defaults and
 * keys are the queue table's, config_queue.c). The fifos and fq_codel are
 * built with libnl-route-3; codel, fq and cake, which libnl does not know,
 * with libmnl. */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/fq_codel.h>
#include <netlink/route/tc.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "qdisc_int.h"
#include "util/util.h"

/* The queue kind's name, from the queue table: c->sh->queue is the kind
 * being added. */
static const char *kind_of(const struct qctx *c)
{
	return config_queue_kind(c->sh->queue)->name;
}

int qdisc_fifo_add(struct qctx *c, uint32_t parent, uint32_t handle, const char *kind,
		   uint32_t limit)
{
	struct rtnl_qdisc *q = qdisc_nl_new(parent, handle, kind);
	int rc;

	if (!q)
		return qdisc_fail(c, -ENOMEM, "build", kind, "libnl");
	rtnl_qdisc_fifo_set_limit(q, (int)limit);
	rc = qdisc_send_libnl(c, TC_CAST(q), false, kind);
	rtnl_qdisc_put(q);
	return rc;
}

int qdisc_queue_fifo_add(struct qctx *c, uint32_t parent, uint32_t handle)
{
	return qdisc_fifo_add(c, parent, handle, kind_of(c), qdisc_queue_limit(c->sh, c->hint));
}

int qdisc_fq_codel_add(struct qctx *c, uint32_t parent, uint32_t handle)
{
	const struct tb_shape *sh = c->sh;
	struct rtnl_qdisc *q = qdisc_nl_new(parent, handle, kind_of(c));
	int rc;

	if (!q)
		return qdisc_fail(c, -ENOMEM, "build", kind_of(c), "libnl");
	if (sh->limit)
		rtnl_qdisc_fq_codel_set_limit(q, (int)sh->limit);
	if (sh->target_us)
		rtnl_qdisc_fq_codel_set_target(q, sh->target_us);
	if (sh->interval_us)
		rtnl_qdisc_fq_codel_set_interval(q, sh->interval_us);
	if (sh->flows)
		rtnl_qdisc_fq_codel_set_flows(q, (int)sh->flows);
	if (sh->ecn >= 0)
		rtnl_qdisc_fq_codel_set_ecn(q, sh->ecn);
	rc = qdisc_send_libnl(c, TC_CAST(q), false, kind_of(c));
	rtnl_qdisc_put(q);
	return rc;
}

/* Start a libmnl request for the kind with its TCA_OPTIONS nest open. */
static struct nlmsghdr *mnl_start(struct qctx *c, uint32_t parent, uint32_t handle,
				  struct nlattr **opt)
{
	struct nlmsghdr *nlh = qdisc_msg_start(c->nl, RTM_NEWQDISC, qdisc_new_flags(c),
					       c->ifindex, parent, handle, kind_of(c));

	*opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	return nlh;
}

/* Close the options and send the request. */
static int mnl_send(struct qctx *c, struct nlmsghdr *nlh, struct nlattr *opt)
{
	char label[64];

	mnl_attr_nest_end(nlh, opt);
	snprintf(label, sizeof(label), "qdisc %s", kind_of(c));
	return qdisc_send(c, nlh, qdisc_verb(c), label);
}

int qdisc_codel_add(struct qctx *c, uint32_t parent, uint32_t handle)
{
	const struct tb_shape *sh = c->sh;
	struct nlattr *opt;
	struct nlmsghdr *nlh = mnl_start(c, parent, handle, &opt);

	if (sh->limit)
		mnl_attr_put_u32(nlh, TCA_CODEL_LIMIT, sh->limit);
	if (sh->target_us)
		mnl_attr_put_u32(nlh, TCA_CODEL_TARGET, sh->target_us);
	if (sh->interval_us)
		mnl_attr_put_u32(nlh, TCA_CODEL_INTERVAL, sh->interval_us);
	if (sh->ecn >= 0)
		mnl_attr_put_u32(nlh, TCA_CODEL_ECN, (uint32_t)sh->ecn);
	return mnl_send(c, nlh, opt);
}

int qdisc_fq_add(struct qctx *c, uint32_t parent, uint32_t handle)
{
	struct nlattr *opt;
	struct nlmsghdr *nlh = mnl_start(c, parent, handle, &opt);

	if (c->sh->limit)
		mnl_attr_put_u32(nlh, TCA_FQ_PLIMIT, c->sh->limit);
	return mnl_send(c, nlh, opt);
}

/* cake as the queue, or as the rate part too (qdisc_cake_shapes: it then
 * shapes at the rate itself). */
int qdisc_cake_add(struct qctx *c, uint32_t parent, uint32_t handle)
{
	const struct tb_shape *sh = c->sh;
	bool shaper = qdisc_cake_shapes(sh, c->parts);
	struct nlattr *opt;
	struct nlmsghdr *nlh = mnl_start(c, parent, handle, &opt);

	mnl_attr_put_u64(nlh, TCA_CAKE_BASE_RATE64, shaper ? sh->rate / 8 : 0);
	if (sh->interval_us)
		mnl_attr_put_u32(nlh, TCA_CAKE_RTT, sh->interval_us);
	if (sh->target_us)
		mnl_attr_put_u32(nlh, TCA_CAKE_TARGET, sh->target_us);
	return mnl_send(c, nlh, opt);
}

/* --- read back -------------------------------------------------------------- */

void qdisc_fifo_options(json_t *o, const struct nlattr *opt)
{
	if (mnl_attr_get_payload_len(opt) >= sizeof(struct tc_fifo_qopt))
		qdisc_json_u64(o, "limit",
			       ((const struct tc_fifo_qopt *)mnl_attr_get_payload(opt))->limit);
}

void qdisc_fq_codel_options(json_t *o, const struct nlattr *opt)
{
	static const struct qdisc_attr_name names[] = {
		{ TCA_FQ_CODEL_TARGET, "target_us" }, { TCA_FQ_CODEL_INTERVAL, "interval_us" },
		{ TCA_FQ_CODEL_LIMIT, "limit" },      { TCA_FQ_CODEL_ECN, "ecn" },
		{ TCA_FQ_CODEL_FLOWS, "flows" },
	};

	qdisc_attrs_json(o, opt, names, ARRAY_SIZE(names));
}

void qdisc_codel_options(json_t *o, const struct nlattr *opt)
{
	static const struct qdisc_attr_name names[] = {
		{ TCA_CODEL_TARGET, "target_us" },
		{ TCA_CODEL_INTERVAL, "interval_us" },
		{ TCA_CODEL_LIMIT, "limit" },
		{ TCA_CODEL_ECN, "ecn" },
	};

	qdisc_attrs_json(o, opt, names, ARRAY_SIZE(names));
}

/* The fixed-struct extended statistics: each field's name, offset and width
 * (u32 or u64) in the kind's struct. */
struct xfield {
	const char *name;
	size_t off, size;
};
#define XF(type, member, name) { name, offsetof(type, member), sizeof(((type *)0)->member) }
#define FQC(member, name) XF(struct tc_fq_codel_xstats, qdisc_stats.member, name)
#define COD(member, name) XF(struct tc_codel_xstats, member, name)
#define FQ(member, name) XF(struct tc_fq_qd_stats, member, name)

#define XSTATS_MAX 256
_Static_assert(sizeof(struct tc_fq_codel_xstats) <= XSTATS_MAX &&
		       sizeof(struct tc_codel_xstats) <= XSTATS_MAX &&
		       sizeof(struct tc_fq_qd_stats) <= XSTATS_MAX,
	       "XSTATS_MAX holds every fixed xstats struct");

/* @size bytes of the kind's struct in @a, its @n @fields into @x. */
static void fixed_xstats(json_t *x, const struct nlattr *a, size_t size,
			 const struct xfield *fields, size_t n)
{
	unsigned char buf[XSTATS_MAX];

	qdisc_attr_copy(buf, size, a);
	for (size_t i = 0; i < n; i++) {
		const struct xfield *f = &fields[i];
		uint64_t v64 = 0;
		uint32_t v32 = 0;

		if (f->size == sizeof(v64))
			memcpy(&v64, buf + f->off, sizeof(v64));
		else
			memcpy(&v32, buf + f->off, sizeof(v32));
		qdisc_json_u64(x, f->name, f->size == sizeof(v64) ? v64 : v32);
	}
}

void qdisc_fq_codel_xstats(json_t *x, const struct nlattr *app)
{
	static const struct xfield fields[] = {
		FQC(maxpacket, "maxpacket"),
		FQC(drop_overlimit, "drop_overlimit"),
		FQC(ecn_mark, "ecn_mark"),
		FQC(new_flow_count, "new_flow_count"),
		FQC(new_flows_len, "new_flows_len"),
		FQC(old_flows_len, "old_flows_len"),
		FQC(ce_mark, "ce_mark"),
		FQC(memory_usage, "memory_usage"),
		FQC(drop_overmemory, "drop_overmemory"),
	};
	struct tc_fq_codel_xstats st;

	/* a class's statistics share the attribute: only the qdisc's are read */
	qdisc_attr_copy(&st, sizeof(st), app);
	if (st.type == TCA_FQ_CODEL_XSTATS_QDISC)
		fixed_xstats(x, app, sizeof(st), fields, ARRAY_SIZE(fields));
}

void qdisc_codel_xstats(json_t *x, const struct nlattr *app)
{
	static const struct xfield fields[] = {
		COD(maxpacket, "maxpacket"),	 COD(count, "count"),
		COD(lastcount, "lastcount"),	 COD(ldelay, "ldelay_us"),
		COD(drop_overlimit, "drop_overlimit"), COD(ecn_mark, "ecn_mark"),
		COD(dropping, "dropping"),	 COD(ce_mark, "ce_mark"),
	};

	fixed_xstats(x, app, sizeof(struct tc_codel_xstats), fields, ARRAY_SIZE(fields));
}

void qdisc_fq_xstats(json_t *x, const struct nlattr *app)
{
	static const struct xfield fields[] = {
		FQ(gc_flows, "gc_flows"),
		FQ(highprio_packets, "highprio_packets"),
		FQ(throttled, "throttled"),
		FQ(flows_plimit, "flows_plimit"),
		FQ(pkts_too_long, "pkts_too_long"),
		FQ(allocation_errors, "allocation_errors"),
		FQ(flows, "flows"),
		FQ(inactive_flows, "inactive_flows"),
		FQ(throttled_flows, "throttled_flows"),
		FQ(ce_mark, "ce_mark"),
		FQ(horizon_drops, "horizon_drops"),
	};

	fixed_xstats(x, app, sizeof(struct tc_fq_qd_stats), fields, ARRAY_SIZE(fields));
}

void qdisc_cake_xstats(json_t *x, const struct nlattr *app)
{
	static const struct qdisc_attr_name names[] = {
		{ TCA_CAKE_STATS_CAPACITY_ESTIMATE64, "capacity_estimate_Bps" },
		{ TCA_CAKE_STATS_MEMORY_LIMIT, "memory_limit" },
		{ TCA_CAKE_STATS_MEMORY_USED, "memory_used" },
		{ TCA_CAKE_STATS_AVG_NETOFF, "avg_netoff" },
		{ TCA_CAKE_STATS_MAX_NETLEN, "max_netlen" },
		{ TCA_CAKE_STATS_MAX_ADJLEN, "max_adjlen" },
	};

	qdisc_attrs_json(x, app, names, ARRAY_SIZE(names));
}
