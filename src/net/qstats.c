/* Qdisc statistics over a raw RTM_GETQDISC / RTM_GETCLASS dump. */
#include "qstats.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <linux/gen_stats.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qdisc_int.h"
#include "util/util.h"

struct ifnames {
	int idx[256];
	char name[256][IF_NAMESIZE];
	int n;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ifnames *f = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;

	if (f->n >= (int)ARRAY_SIZE(f->idx))
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifi))
	{
		if (mnl_attr_get_type(attr) == IFLA_IFNAME) {
			f->idx[f->n] = ifi->ifi_index;
			snprintf(f->name[f->n], IF_NAMESIZE, "%s", mnl_attr_get_str(attr));
			f->n++;
		}
	}
	return MNL_CB_OK;
}

static const char *ifname_of(const struct ifnames *f, int idx)
{
	for (int i = 0; i < f->n; i++)
		if (f->idx[i] == idx)
			return f->name[i];
	return "?";
}

static void fmt_handle(char *buf, size_t len, uint32_t h)
{
	if (h == TC_H_ROOT)
		snprintf(buf, len, "root");
	else if (TC_H_MIN(h))
		snprintf(buf, len, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
	else
		snprintf(buf, len, "%x:", TC_H_MAJ(h) >> 16);
}

static void set_u64(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

/* Percent with the 32-bit quantisation rounded away (1% comes back as 1,
 * not 1.0000000012); 1e-7 % is far below any probability netem can tell. */
static double u32_pct(uint32_t v)
{
	return round(v * 100.0 / UINT32_MAX * 1e7) / 1e7;
}

/* Read a struct that may be shorter in older kernels: missing tail is 0. */
static void copy_attr(void *dst, size_t len, const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a);

	memset(dst, 0, len);
	memcpy(dst, mnl_attr_get_payload(a), n < len ? n : len);
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

static const struct xfield fq_codel_fields[] = {
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
static const struct xfield codel_fields[] = {
	COD(maxpacket, "maxpacket"),
	COD(count, "count"),
	COD(lastcount, "lastcount"),
	COD(ldelay, "ldelay_us"),
	COD(drop_overlimit, "drop_overlimit"),
	COD(ecn_mark, "ecn_mark"),
	COD(dropping, "dropping"),
	COD(ce_mark, "ce_mark"),
};
static const struct xfield fq_fields[] = {
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

static const struct xkind {
	const char *kind;
	size_t size;     /* of the kind's struct */
	bool qdisc_type; /* starts with a type that must be TCA_FQ_CODEL_XSTATS_QDISC */
	const struct xfield *fields;
	size_t n;
} xkinds[] = {
	{ "fq_codel", sizeof(struct tc_fq_codel_xstats), true, fq_codel_fields,
	  ARRAY_SIZE(fq_codel_fields) },
	{ "codel", sizeof(struct tc_codel_xstats), false, codel_fields, ARRAY_SIZE(codel_fields) },
	{ "fq", sizeof(struct tc_fq_qd_stats), false, fq_fields, ARRAY_SIZE(fq_fields) },
};

#define XSTATS_MAX 256
_Static_assert(sizeof(struct tc_fq_codel_xstats) <= XSTATS_MAX &&
		       sizeof(struct tc_codel_xstats) <= XSTATS_MAX &&
		       sizeof(struct tc_fq_qd_stats) <= XSTATS_MAX,
	       "XSTATS_MAX holds every fixed xstats struct");

static void fixed_xstats(json_t *x, const struct xkind *k, const struct nlattr *a)
{
	unsigned char buf[XSTATS_MAX];
	uint32_t type;

	copy_attr(buf, k->size, a);
	memcpy(&type, buf, sizeof(type));
	if (k->qdisc_type && type != TCA_FQ_CODEL_XSTATS_QDISC)
		return;
	for (size_t i = 0; i < k->n; i++) {
		const struct xfield *f = &k->fields[i];
		uint64_t v64 = 0;
		uint32_t v32 = 0;

		if (f->size == sizeof(v64))
			memcpy(&v64, buf + f->off, sizeof(v64));
		else
			memcpy(&v32, buf + f->off, sizeof(v32));
		set_u64(x, f->name, f->size == sizeof(v64) ? v64 : v32);
	}
}

static json_t *xstats_json(const char *kind, const struct nlattr *a)
{
	json_t *x = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(xkinds); i++)
		if (!strcmp(kind, xkinds[i].kind)) {
			fixed_xstats(x, &xkinds[i], a);
			return x;
		}
	if (!strcmp(kind, "cake")) {
		static const struct { int type; const char *name; } keys[] = {
			{ TCA_CAKE_STATS_CAPACITY_ESTIMATE64, "capacity_estimate_Bps" },
			{ TCA_CAKE_STATS_MEMORY_LIMIT, "memory_limit" },
			{ TCA_CAKE_STATS_MEMORY_USED, "memory_used" },
			{ TCA_CAKE_STATS_AVG_NETOFF, "avg_netoff" },
			{ TCA_CAKE_STATS_MAX_NETLEN, "max_netlen" },
			{ TCA_CAKE_STATS_MAX_ADJLEN, "max_adjlen" },
		};
		const struct nlattr *c;

		mnl_attr_for_each_nested(c, a)
		{
			for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
				if (mnl_attr_get_type(c) != keys[i].type)
					continue;
				set_u64(x, keys[i].name, mnl_attr_get_payload_len(c) >= 8
								 ? mnl_attr_get_u64(c)
								 : mnl_attr_get_u32(c));
			}
		}
	}
	return x;
}

static void netem_options(json_t *o, const struct nlattr *opt)
{
	const struct tc_netem_qopt *q = mnl_attr_get_payload(opt);
	size_t skip = NLA_ALIGN(sizeof(*q));
	const struct nlattr *attr;
	const char *p = mnl_attr_get_payload(opt);
	size_t len = mnl_attr_get_payload_len(opt);

	if (len < sizeof(*q))
		return;
	set_u64(o, "limit", q->limit);
	set_u64(o, "delay_us", (uint64_t)q->latency * 64 / 1000);
	set_u64(o, "jitter_us", (uint64_t)q->jitter * 64 / 1000);
	json_object_set_new(o, "loss_pct", json_real(u32_pct(q->loss)));
	json_object_set_new(o, "duplicate_pct", json_real(u32_pct(q->duplicate)));
	set_u64(o, "gap", q->gap);
	if (len <= skip)
		return;
	mnl_attr_for_each_payload((const void *)(p + skip), len - skip)
	{
		switch (mnl_attr_get_type(attr)) {
		case TCA_NETEM_LATENCY64:
			set_u64(o, "delay_us", *(int64_t *)mnl_attr_get_payload(attr) / 1000);
			break;
		case TCA_NETEM_JITTER64:
			set_u64(o, "jitter_us", *(int64_t *)mnl_attr_get_payload(attr) / 1000);
			break;
		case TCA_NETEM_REORDER: {
			const struct tc_netem_reorder *r = mnl_attr_get_payload(attr);

			json_object_set_new(o, "reorder_pct", json_real(u32_pct(r->probability)));
			break;
		}
		case TCA_NETEM_CORRUPT: {
			const struct tc_netem_corrupt *r = mnl_attr_get_payload(attr);

			json_object_set_new(o, "corrupt_pct", json_real(u32_pct(r->probability)));
			break;
		}
		case TCA_NETEM_ECN:
			set_u64(o, "ecn", mnl_attr_get_u32(attr));
			break;
		case TCA_NETEM_LOSS: {
			const struct nlattr *l;

			mnl_attr_for_each_nested(l, attr)
			{
				const struct tc_netem_gemodel *g = mnl_attr_get_payload(l);

				if (mnl_attr_get_type(l) != NETEM_LOSS_GE)
					continue;
				json_object_set_new(o, "gemodel",
						    json_pack("{s:f,s:f,s:f,s:f}", "p", u32_pct(g->p),
							      "r", u32_pct(g->r), "1-h",
							      100 - u32_pct(g->h), "1-k",
							      u32_pct(g->k1)));
			}
			break;
		}
		}
	}
}

static void kind_options(json_t *o, const char *kind, const struct nlattr *opt)
{
	const struct nlattr *attr;

	if (!strcmp(kind, "netem")) {
		netem_options(o, opt);
	} else if (!strcmp(kind, "pfifo") || !strcmp(kind, "bfifo")) {
		if (mnl_attr_get_payload_len(opt) >= sizeof(struct tc_fifo_qopt))
			set_u64(o, "limit", ((const struct tc_fifo_qopt *)mnl_attr_get_payload(opt))->limit);
	} else if (!strcmp(kind, "tbf")) {
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
				set_u64(o, "limit", q->limit);
			} else if (mnl_attr_get_type(attr) == TCA_TBF_RATE64) {
				rate = mnl_attr_get_u64(attr);
			}
		}
		set_u64(o, "rate_bps", rate * 8);
		/* buffer is the bucket's drain time in 64 ns ticks */
		set_u64(o, "burst", (uint64_t)((double)buffer * 64e-9 * (double)rate + 0.5));
	} else if (!strcmp(kind, "fq_codel") || !strcmp(kind, "codel")) {
		bool fq = kind[0] == 'f';

		mnl_attr_for_each_nested(attr, opt)
		{
			int t = mnl_attr_get_type(attr);

			if (mnl_attr_get_payload_len(attr) < 4)
				continue;
			if (t == (fq ? TCA_FQ_CODEL_TARGET : TCA_CODEL_TARGET))
				set_u64(o, "target_us", mnl_attr_get_u32(attr));
			else if (t == (fq ? TCA_FQ_CODEL_INTERVAL : TCA_CODEL_INTERVAL))
				set_u64(o, "interval_us", mnl_attr_get_u32(attr));
			else if (t == (fq ? TCA_FQ_CODEL_LIMIT : TCA_CODEL_LIMIT))
				set_u64(o, "limit", mnl_attr_get_u32(attr));
			else if (t == (fq ? TCA_FQ_CODEL_ECN : TCA_CODEL_ECN))
				set_u64(o, "ecn", mnl_attr_get_u32(attr));
			else if (fq && t == TCA_FQ_CODEL_FLOWS)
				set_u64(o, "flows", mnl_attr_get_u32(attr));
		}
	} else if (!strcmp(kind, "htb")) {
		mnl_attr_for_each_nested(attr, opt)
		{
			if (mnl_attr_get_type(attr) == TCA_HTB_INIT &&
			    mnl_attr_get_payload_len(attr) >= sizeof(struct tc_htb_glob)) {
				const struct tc_htb_glob *g = mnl_attr_get_payload(attr);

				set_u64(o, "default", g->defcls);
				set_u64(o, "direct_packets", g->direct_pkts);
			} else if (mnl_attr_get_type(attr) == TCA_HTB_PARMS &&
				   mnl_attr_get_payload_len(attr) >= sizeof(struct tc_htb_opt)) {
				const struct tc_htb_opt *h = mnl_attr_get_payload(attr);

				if (!json_object_get(o, "rate_bps"))
					set_u64(o, "rate_bps", (uint64_t)h->rate.rate * 8);
				set_u64(o, "quantum", h->quantum);
			} else if (mnl_attr_get_type(attr) == TCA_HTB_RATE64) {
				set_u64(o, "rate_bps", mnl_attr_get_u64(attr) * 8);
			}
		}
	}
}

static void stats2(json_t *o, const char *kind, const struct nlattr *st)
{
	const struct nlattr *attr;
	bool pkt64 = false;

	mnl_attr_for_each_nested(attr, st)
	{
		switch (mnl_attr_get_type(attr)) {
		case TCA_STATS_BASIC: {
			struct gnet_stats_basic b;

			copy_attr(&b, sizeof(b), attr);
			set_u64(o, "bytes", b.bytes);
			if (!pkt64)
				set_u64(o, "packets", b.packets);
			break;
		}
		case TCA_STATS_PKT64:
			set_u64(o, "packets", mnl_attr_get_u64(attr));
			pkt64 = true;
			break;
		case TCA_STATS_QUEUE: {
			struct gnet_stats_queue q;

			copy_attr(&q, sizeof(q), attr);
			set_u64(o, "drops", q.drops);
			set_u64(o, "overlimits", q.overlimits);
			set_u64(o, "requeues", q.requeues);
			set_u64(o, "backlog", q.backlog);
			set_u64(o, "qlen", q.qlen);
			break;
		}
		case TCA_STATS_APP:
			json_object_set_new(o, "xstats", xstats_json(kind, attr));
			break;
		}
	}
}

struct dump {
	const struct ifnames *names;
	bool all, classes;
	json_t *arr;
};

static int tc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr, *opt = NULL, *st = NULL;
	const char *kind = "";
	char h[32];
	json_t *o;

	if (!d->all && !d->classes && t->tcm_handle == 0)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*t))
	{
		switch (mnl_attr_get_type(attr)) {
		case TCA_KIND:
			kind = mnl_attr_get_str(attr);
			break;
		case TCA_OPTIONS:
			opt = attr;
			break;
		case TCA_STATS2:
			st = attr;
			break;
		}
	}
	/* only htb classes carry something the queues do not already show */
	if (d->classes && strcmp(kind, "htb"))
		return MNL_CB_OK;
	o = json_object();
	json_object_set_new(o, "dev", json_string(ifname_of(d->names, t->tcm_ifindex)));
	set_u64(o, "ifindex", (uint32_t)t->tcm_ifindex);
	json_object_set_new(o, "kind", json_string(kind));
	if (d->classes)
		json_object_set_new(o, "class", json_true());
	fmt_handle(h, sizeof(h), t->tcm_handle);
	json_object_set_new(o, "handle", json_string(h));
	fmt_handle(h, sizeof(h), t->tcm_parent);
	json_object_set_new(o, "parent", json_string(h));
	if (st)
		stats2(o, d->classes ? "" : kind, st);
	if (opt) {
		json_t *oo = json_object();

		kind_options(oo, kind, opt);
		json_object_set_new(o, "options", oo);
	}
	json_array_append_new(d->arr, o);
	return MNL_CB_OK;
}

int qstats_collect(int nsfd, bool all, json_t **out, struct qdisc_err *err)
{
	struct ifnames *names = xcalloc(1, sizeof(*names));
	struct dump d = { .names = names, .all = all, .arr = json_array() };
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	struct qnl nl;
	int rc;

	*out = NULL;
	err->code = 0;
	err->msg[0] = 0;
	rc = qnl_open(&nl, nsfd);
	if (rc) {
		err->code = rc;
		snprintf(err->msg, sizeof(err->msg), "open netlink: %s", strerror(-rc));
		goto out;
	}
	nlh = qnl_msg(&nl, RTM_GETLINK, 0);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	g->rtgen_family = AF_UNSPEC;
	rc = qnl_dump(&nl, nlh, link_cb, names);
	if (!rc) {
		qdisc_msg_start(&nl, RTM_GETQDISC, 0, 0, 0, 0, NULL, &nlh);
		rc = qnl_dump(&nl, nlh, tc_cb, &d);
	}
	/* class dumps are per device */
	d.classes = true;
	for (int i = 0; !rc && i < names->n; i++) {
		qdisc_msg_start(&nl, RTM_GETTCLASS, 0, names->idx[i], 0, 0, NULL, &nlh);
		rc = qnl_dump(&nl, nlh, tc_cb, &d);
	}
	if (rc) {
		err->code = rc;
		snprintf(err->msg, sizeof(err->msg), "dump qdiscs: %s", strerror(-rc));
	}
	qnl_close(&nl);
out:
	free(names);
	if (rc)
		json_decref(d.arr);
	else
		*out = d.arr;
	return rc;
}

json_t *qstats_find(json_t *arr, const char *dev, const char *kind)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
	{
		if (!strcmp(json_string_value(json_object_get(o, "dev")) ?: "", dev) &&
		    !strcmp(json_string_value(json_object_get(o, "kind")) ?: "", kind) &&
		    !json_object_get(o, "class"))
			return o;
	}
	return NULL;
}
