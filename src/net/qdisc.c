/* Shaping trees: one ops table per qdisc kind, one tree per interface.
 * See qdisc.h for the tree and docs/shaping.md for why it has this shape. */
#include "qdisc.h"

#include <errno.h>
#include <linux/if_arp.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/fq_codel.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qdisc_int.h"
#include "util/util.h"

#define H(maj, min) (((uint32_t)(maj) << 16) | (min))

const char *qdisc_queue_kind(enum tb_queue q)
{
	switch (q) {
	case TB_QUEUE_DEFAULT:
		return NULL;
	case TB_QUEUE_PFIFO:
		return "pfifo";
	case TB_QUEUE_BFIFO:
		return "bfifo";
	case TB_QUEUE_FQ_CODEL:
		return "fq_codel";
	case TB_QUEUE_CODEL:
		return "codel";
	case TB_QUEUE_FQ:
		return "fq";
	case TB_QUEUE_CAKE:
		return "cake";
	}
	return NULL;
}

unsigned qdisc_parts_needed(const struct tb_shape *sh)
{
	unsigned p = 0;

	if (sh->set & TB_SH_NETEM_MASK)
		p |= QDISC_PART_NETEM;
	if (sh->rate)
		p |= QDISC_PART_RATE;
	if (sh->queue != TB_QUEUE_DEFAULT)
		p |= QDISC_PART_QUEUE;
	return p;
}

/* cake shapes by itself; it takes the rate unless a shaper was named. */
static bool cake_shapes(const struct tb_shape *sh, unsigned parts)
{
	return sh->queue == TB_QUEUE_CAKE && !(sh->set & TB_SH_SHAPER) &&
	       (parts & QDISC_PART_RATE) && (parts & QDISC_PART_QUEUE);
}

static unsigned effective_parts(const struct tb_shape *sh, const struct qdisc_plan_hint *h)
{
	unsigned need = qdisc_parts_needed(sh);

	return h && h->parts ? (h->parts & need) : need;
}

int qdisc_kinds(const struct tb_shape *sh, unsigned parts, const char *kinds[3])
{
	int n = 0;

	parts &= qdisc_parts_needed(sh);
	if (parts & QDISC_PART_NETEM)
		kinds[n++] = "netem";
	if ((parts & QDISC_PART_RATE) && !cake_shapes(sh, parts))
		kinds[n++] = sh->shaper == TB_SHAPER_HTB ? "htb" : "tbf";
	if ((parts & QDISC_PART_QUEUE) && qdisc_queue_kind(sh->queue))
		kinds[n++] = qdisc_queue_kind(sh->queue);
	return n;
}

static unsigned hint_mtu(const struct qdisc_plan_hint *h)
{
	return h && h->mtu ? h->mtu : 1500;
}

static unsigned hint_tick_us(const struct qdisc_plan_hint *h)
{
	if (h && h->tick_us)
		return h->tick_us;
	/* /proc/exitcode exists only under User-Mode Linux (uname -m shows
	 * the host's architecture there) */
	return access("/proc/exitcode", F_OK) == 0 ? 10000 : 1000;
}

uint32_t qdisc_burst(const struct tb_shape *sh, const struct qdisc_plan_hint *hint)
{
	uint64_t wire = hint_mtu(hint) + 14, b;

	if (sh->burst)
		return sh->burst;
	b = sh->rate / 8 * hint_tick_us(hint) / 1000000;
	if (b < 4 * wire)
		b = 4 * wire;
	return b > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)b;
}

/* The queue that a rate part gets when the file names none: a bfifo holding
 * 100 ms at the rate, like a router buffer sized for the path, at least 10
 * packets. */
static uint32_t default_queue_bytes(const struct tb_shape *sh, const struct qdisc_plan_hint *h)
{
	uint64_t wire = hint_mtu(h) + 14, b = sh->rate / 8 / 10;

	if (b < 10 * wire)
		b = 10 * wire;
	return b > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)b;
}

/* Packets the queue part can hold, for netem's limit when it sits below. */
static uint64_t queue_packets(const struct tb_shape *sh, const struct qdisc_plan_hint *h)
{
	uint64_t wire = hint_mtu(h) + 14;

	switch (sh->queue) {
	case TB_QUEUE_DEFAULT:
		return sh->rate ? default_queue_bytes(sh, h) / wire + 1 : 0;
	case TB_QUEUE_BFIFO:
		return (sh->limit ? sh->limit : 1000 * wire) / wire + 1;
	case TB_QUEUE_PFIFO:
	case TB_QUEUE_CODEL:
		return sh->limit ? sh->limit : 1000;
	case TB_QUEUE_FQ_CODEL:
	case TB_QUEUE_FQ:
		return sh->limit ? sh->limit : 10240;
	case TB_QUEUE_CAKE:
		return 10240;
	}
	return 0;
}

/* How far above the mean delay a jittered packet can be: the tables span
 * about 4 standard deviations; uniform spans one jitter. */
static uint64_t jitter_spread_us(const struct tb_shape *sh)
{
	if (!sh->jitter_us)
		return 0;
	return sh->dist == TB_DIST_NONE || sh->dist == TB_DIST_UNIFORM ? sh->jitter_us
									: 4ull * sh->jitter_us;
}

uint32_t qdisc_bdp_packets(const struct tb_shape *sh, const struct qdisc_plan_hint *hint)
{
	uint64_t rate, wire = hint_mtu(hint) + 14, bdp;

	rate = hint && hint->path_rate ? hint->path_rate : sh->rate ? sh->rate : 10000000000ull;
	bdp = rate / 8 * (sh->delay_us + jitter_spread_us(sh)) / 1000000 / wire + 1;
	return bdp > UINT32_MAX ? UINT32_MAX : (uint32_t)bdp;
}

uint32_t qdisc_netem_limit(const struct tb_shape *sh, const struct qdisc_plan_hint *hint)
{
	unsigned parts = effective_parts(sh, hint);
	uint64_t lim;

	if (sh->netem_limit)
		return sh->netem_limit;
	lim = 2 * (uint64_t)qdisc_bdp_packets(sh, hint);
	/* netem ahead of the bottleneck holds a sender's whole window in its
	 * delay line at worst: the path's BDP plus the bottleneck's queue. */
	if (parts & (QDISC_PART_RATE | QDISC_PART_QUEUE))
		lim += queue_packets(sh, hint);
	/* never below the kernel's default: a floor costs nothing on slow links */
	if (lim < 1000)
		lim = 1000;
	return lim > 10000000 ? 10000000 : (uint32_t)lim;
}

/* --- messages ------------------------------------------------------------ */

struct qctx {
	struct qnl nl;
	int ifindex;
	const char *ifname;
	const struct tb_shape *sh;
	const struct qdisc_plan_hint *hint;
	unsigned parts;
	struct qdisc_err *err;
};

int qdisc_fail(struct qdisc_err *err, const struct qdisc_plan_hint *hint, const char *ifname,
	       int rc, const char *what, const char *kind, const char *kmsg)
{
	const char *node = hint && hint->node ? hint->node : NULL;
	bool k = kmsg && *kmsg;

	err->code = rc;
	snprintf(err->msg, sizeof(err->msg), "%s %s on %s%s%s: %s%s%s%s", what, kind,
		 node ? node : "", node ? "/" : "", ifname ? ifname : "?", strerror(-rc),
		 k ? " (kernel: " : "", k ? kmsg : "", k ? ")" : "");
	return rc;
}

static int fail(struct qctx *c, int rc, const char *what, const char *kind, const char *kmsg)
{
	return qdisc_fail(c->err, c->hint, c->ifname, rc, what, kind, kmsg);
}

static int send_req(struct qctx *c, struct nlmsghdr *nlh, const char *what, const char *kind)
{
	char kmsg[256];
	int rc = qnl_talk(&c->nl, nlh, kmsg, sizeof(kmsg));

	return rc ? fail(c, rc, what, kind, kmsg) : 0;
}

struct tcmsg *qdisc_msg_start(struct qnl *nl, int type, int flags, int ifindex, uint32_t parent,
			      uint32_t handle, const char *kind, struct nlmsghdr **nlhp)
{
	struct nlmsghdr *nlh = qnl_msg(nl, type, flags);
	struct tcmsg *t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));

	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	t->tcm_handle = handle;
	if (kind)
		mnl_attr_put_strz(nlh, TCA_KIND, kind);
	*nlhp = nlh;
	return t;
}

/* libnl builds the message; we send it so that the ext-ack text survives. */
static int send_libnl(struct qctx *c, struct rtnl_tc *tc, bool is_class, int flags,
		      const char *kind)
{
	struct nl_msg *msg = NULL;
	struct nlmsghdr *src, *nlh;
	char label[64];
	int rc;

	rtnl_tc_set_ifindex(tc, c->ifindex);
	rtnl_tc_set_mtu(tc, hint_mtu(c->hint));
	rtnl_tc_set_linktype(tc, ARPHRD_ETHER);
	rc = is_class ? rtnl_class_build_add_request((struct rtnl_class *)tc, flags, &msg)
		      : rtnl_qdisc_build_add_request((struct rtnl_qdisc *)tc, flags, &msg);
	if (rc < 0)
		return fail(c, -EINVAL, "build", kind, nl_geterror(rc));
	src = nlmsg_hdr(msg);
	if (src->nlmsg_len > QNL_BUF) {
		nlmsg_free(msg);
		return fail(c, -EMSGSIZE, "build", kind, NULL);
	}
	nlh = qnl_msg(&c->nl, src->nlmsg_type, 0);
	memcpy(nlh, src, src->nlmsg_len);
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = c->nl.seq;
	nlmsg_free(msg);
	snprintf(label, sizeof(label), "%s %s", is_class ? "class" : "qdisc", kind);
	return send_req(c, nlh, "add", label);
}

/* --- kinds built with libnl ---------------------------------------------- */

static struct rtnl_qdisc *nl_qdisc(uint32_t parent, uint32_t handle, const char *kind)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return NULL;
	rtnl_tc_set_parent(TC_CAST(q), parent);
	rtnl_tc_set_handle(TC_CAST(q), handle);
	if (rtnl_tc_set_kind(TC_CAST(q), kind) < 0) {
		rtnl_qdisc_put(q);
		return NULL;
	}
	return q;
}

static int add_fifo(struct qctx *c, uint32_t parent, uint32_t handle, const char *kind,
		    uint32_t limit)
{
	struct rtnl_qdisc *q = nl_qdisc(parent, handle, kind);
	int rc;

	if (!q)
		return fail(c, -ENOMEM, "build", kind, "libnl");
	rtnl_qdisc_fifo_set_limit(q, (int)limit);
	rc = send_libnl(c, TC_CAST(q), false, NLM_F_CREATE | NLM_F_EXCL, kind);
	rtnl_qdisc_put(q);
	return rc;
}

static int add_fq_codel(struct qctx *c, uint32_t parent, uint32_t handle)
{
	const struct tb_shape *sh = c->sh;
	struct rtnl_qdisc *q = nl_qdisc(parent, handle, "fq_codel");
	int rc;

	if (!q)
		return fail(c, -ENOMEM, "build", "fq_codel", "libnl");
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
	rc = send_libnl(c, TC_CAST(q), false, NLM_F_CREATE | NLM_F_EXCL, "fq_codel");
	rtnl_qdisc_put(q);
	return rc;
}

/* tbf above 17 Gbit/s over libmnl: TCA_TBF_RATE64 and TCA_TBF_BURST, with
 * the link layer stated so that the kernel needs no rate table. */
static int add_tbf64(struct qctx *c, uint32_t parent, uint32_t handle, uint32_t limit_bytes,
		     int flags)
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
	qdisc_msg_start(&c->nl, RTM_NEWQDISC, flags, c->ifindex, parent, handle, "tbf", &nlh);
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(q), &q);
	mnl_attr_put_u64(nlh, TCA_TBF_RATE64, bps);
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, burst);
	mnl_attr_nest_end(nlh, opt);
	return send_req(c, nlh, "add", "qdisc tbf");
}

static int add_tbf(struct qctx *c, uint32_t parent, uint32_t handle, uint32_t limit_bytes,
		   int flags)
{
	struct rtnl_qdisc *q;
	uint64_t bps = c->sh->rate / 8;
	int rc;

	/* libnl's tbf takes an int of bytes/s */
	if (bps > INT32_MAX)
		return add_tbf64(c, parent, handle, limit_bytes, flags);
	q = nl_qdisc(parent, handle, "tbf");
	if (!q)
		return fail(c, -ENOMEM, "build", "tbf", "libnl");
	rtnl_qdisc_tbf_set_limit(q, (int)limit_bytes);
	rtnl_qdisc_tbf_set_rate(q, (int)bps, (int)qdisc_burst(c->sh, c->hint), 0);
	rc = send_libnl(c, TC_CAST(q), false, flags, "tbf");
	rtnl_qdisc_put(q);
	return rc;
}

static int add_htb(struct qctx *c, uint32_t parent, uint32_t handle, int flags)
{
	struct rtnl_qdisc *q = nl_qdisc(parent, handle, "htb");
	struct rtnl_class *cl = NULL;
	uint64_t bps = c->sh->rate / 8, quantum;
	uint32_t burst = qdisc_burst(c->sh, c->hint);
	int rc;

	if (!q)
		return fail(c, -ENOMEM, "build", "htb", "libnl");
	rtnl_htb_set_defcls(q, 1);
	rc = send_libnl(c, TC_CAST(q), false, flags, "htb");
	if (rc)
		goto out;
	cl = rtnl_class_alloc();
	if (!cl) {
		rc = fail(c, -ENOMEM, "build", "class htb", "libnl");
		goto out;
	}
	rtnl_tc_set_parent(TC_CAST(cl), handle);
	rtnl_tc_set_handle(TC_CAST(cl), handle | 1);
	rtnl_tc_set_kind(TC_CAST(cl), "htb");
	rtnl_htb_set_rate64(cl, bps);
	rtnl_htb_set_ceil64(cl, bps);
	rtnl_htb_set_rbuffer(cl, burst);
	rtnl_htb_set_cbuffer(cl, burst);
	/* r2q would give quanta the kernel complains about at high rates */
	quantum = bps / 10;
	quantum = quantum < hint_mtu(c->hint) + 14u ? hint_mtu(c->hint) + 14u
			: quantum > 200000 ? 200000 : quantum;
	rtnl_htb_set_quantum(cl, (uint32_t)quantum);
	rc = send_libnl(c, TC_CAST(cl), true, NLM_F_CREATE | NLM_F_EXCL, "htb");
out:
	if (cl)
		rtnl_class_put(cl);
	rtnl_qdisc_put(q);
	return rc;
}

/* --- kinds built with libmnl (libnl lacks them) ---------------------------- */

static int add_codel(struct qctx *c, uint32_t parent, uint32_t handle)
{
	const struct tb_shape *sh = c->sh;
	struct nlmsghdr *nlh;
	struct nlattr *opt;

	qdisc_msg_start(&c->nl, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, c->ifindex, parent,
			handle, "codel", &nlh);
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	if (sh->limit)
		mnl_attr_put_u32(nlh, TCA_CODEL_LIMIT, sh->limit);
	if (sh->target_us)
		mnl_attr_put_u32(nlh, TCA_CODEL_TARGET, sh->target_us);
	if (sh->interval_us)
		mnl_attr_put_u32(nlh, TCA_CODEL_INTERVAL, sh->interval_us);
	if (sh->ecn >= 0)
		mnl_attr_put_u32(nlh, TCA_CODEL_ECN, (uint32_t)sh->ecn);
	mnl_attr_nest_end(nlh, opt);
	return send_req(c, nlh, "add", "qdisc codel");
}

static int add_fq(struct qctx *c, uint32_t parent, uint32_t handle)
{
	struct nlmsghdr *nlh;
	struct nlattr *opt;

	qdisc_msg_start(&c->nl, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, c->ifindex, parent,
			handle, "fq", &nlh);
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	if (c->sh->limit)
		mnl_attr_put_u32(nlh, TCA_FQ_PLIMIT, c->sh->limit);
	mnl_attr_nest_end(nlh, opt);
	return send_req(c, nlh, "add", "qdisc fq");
}

static int add_cake(struct qctx *c, uint32_t parent, uint32_t handle, bool shaper, int flags)
{
	const struct tb_shape *sh = c->sh;
	struct nlmsghdr *nlh;
	struct nlattr *opt;

	qdisc_msg_start(&c->nl, RTM_NEWQDISC, flags, c->ifindex, parent, handle, "cake", &nlh);
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u64(nlh, TCA_CAKE_BASE_RATE64, shaper ? sh->rate / 8 : 0);
	if (sh->interval_us)
		mnl_attr_put_u32(nlh, TCA_CAKE_RTT, sh->interval_us);
	if (sh->target_us)
		mnl_attr_put_u32(nlh, TCA_CAKE_TARGET, sh->target_us);
	mnl_attr_nest_end(nlh, opt);
	return send_req(c, nlh, "add", "qdisc cake");
}

/* --- the tree ------------------------------------------------------------- */

static int add_queue(struct qctx *c, uint32_t parent, uint32_t handle, int flags)
{
	const struct tb_shape *sh = c->sh;
	uint32_t wire = hint_mtu(c->hint) + 14;

	switch (sh->queue) {
	case TB_QUEUE_DEFAULT:
		return 0;
	case TB_QUEUE_PFIFO:
		return add_fifo(c, parent, handle, "pfifo", sh->limit ? sh->limit : 1000);
	case TB_QUEUE_BFIFO:
		return add_fifo(c, parent, handle, "bfifo", sh->limit ? sh->limit : 1000 * wire);
	case TB_QUEUE_FQ_CODEL:
		return add_fq_codel(c, parent, handle);
	case TB_QUEUE_CODEL:
		return add_codel(c, parent, handle);
	case TB_QUEUE_FQ:
		return add_fq(c, parent, handle);
	case TB_QUEUE_CAKE:
		return add_cake(c, parent, handle, false, flags);
	}
	return -EINVAL;
}

static int del_root(struct qctx *c)
{
	struct nlmsghdr *nlh;
	char kmsg[256];
	int rc;

	qdisc_msg_start(&c->nl, RTM_DELQDISC, 0, c->ifindex, TC_H_ROOT, 0, NULL, &nlh);
	rc = qnl_talk(&c->nl, nlh, kmsg, sizeof(kmsg));
	/* noqueue or the default qdisc: nothing of ours to delete */
	if (rc == -ENOENT || rc == -EINVAL || rc == -EOPNOTSUPP)
		return 0;
	return rc ? fail(c, rc, "delete", "root qdisc", kmsg) : 0;
}

static int build_tree(struct qctx *c)
{
	const struct tb_shape *sh = c->sh;
	unsigned p = c->parts;
	uint32_t parent = TC_H_ROOT, maj = 1;
	int rc, flags = NLM_F_CREATE | NLM_F_EXCL;

	if (p & QDISC_PART_NETEM) {
		rc = qdisc_add_netem(&c->nl, c->ifindex, parent, H(maj, 0), sh, c->hint, c->err,
				     c->ifname);
		if (rc)
			return rc;
		parent = H(maj, 1);
		maj++;
	}
	if ((p & QDISC_PART_RATE) && cake_shapes(sh, p))
		return add_cake(c, parent, H(maj, 0), true, flags);
	if (p & QDISC_PART_RATE) {
		bool child = (p & QDISC_PART_QUEUE) && sh->queue != TB_QUEUE_DEFAULT;

		if (sh->shaper == TB_SHAPER_HTB) {
			rc = add_htb(c, parent, H(maj, 0), flags);
			if (!rc && !child)
				rc = add_fifo(c, H(maj, 1), H(maj + 1, 0), "bfifo",
					      default_queue_bytes(sh, c->hint));
		} else {
			/* with a child queue, tbf's own bfifo is replaced at once */
			rc = add_tbf(c, parent, H(maj, 0), default_queue_bytes(sh, c->hint), flags);
		}
		if (rc)
			return rc;
		parent = H(maj, 1);
		maj++;
	}
	if (p & QDISC_PART_QUEUE)
		return add_queue(c, parent, H(maj, 0), flags);
	return 0;
}

int qdisc_apply(int nsfd, int ifindex, const char *ifname, const struct tb_shape *sh,
		const struct qdisc_plan_hint *hint, struct qdisc_err *err)
{
	struct qctx c = { .ifindex = ifindex, .ifname = ifname, .sh = sh, .hint = hint, .err = err };
	int rc;

	err->code = 0;
	err->msg[0] = 0;
	c.parts = effective_parts(sh, hint);
	rc = qnl_open(&c.nl, nsfd);
	if (rc) {
		c.nl.nl = NULL;
		return fail(&c, rc, "open netlink for", "qdisc", NULL);
	}
	rc = del_root(&c);
	if (!rc && c.parts) {
		rc = build_tree(&c);
		if (rc) {
			struct qdisc_err keep = *err;

			/* leave no half-built tree behind */
			del_root(&c);
			*err = keep;
		}
	}
	qnl_close(&c.nl);
	return rc;
}

int qdisc_clear(int nsfd, int ifindex, const char *ifname, struct qdisc_err *err)
{
	struct qctx c = { .ifindex = ifindex, .ifname = ifname, .err = err };
	int rc;

	err->code = 0;
	err->msg[0] = 0;
	rc = qnl_open(&c.nl, nsfd);
	if (rc)
		return fail(&c, rc, "open netlink for", "qdisc", NULL);
	rc = del_root(&c);
	qnl_close(&c.nl);
	return rc;
}
