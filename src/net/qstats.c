/* Qdisc statistics over a raw RTM_GETQDISC / RTM_GETCLASS dump: the
 * counters every kind has here, its options and extended statistics
 * through its ops entry (qdisc_ops.h). */
#include "qstats.h"

#include <errno.h>
#include <linux/gen_stats.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qdisc_int.h"
#include "qdisc_ops.h"
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

/* The kind's extended statistics, through its ops entry (none: {}). */
static json_t *xstats_json(const char *kind, const struct nlattr *app)
{
	const struct qdisc_ops *o = qdisc_ops_find(kind);
	json_t *x = json_object();

	if (o && o->xstats)
		o->xstats(x, app);
	return x;
}

/* The options the kernel reports back, through the kind's ops entry. */
static json_t *options_json(const char *kind, const struct nlattr *opt)
{
	const struct qdisc_ops *o = qdisc_ops_find(kind);
	json_t *j = json_object();

	if (o && o->options)
		o->options(j, opt);
	return j;
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

			qdisc_attr_copy(&b, sizeof(b), attr);
			qdisc_json_u64(o, "bytes", b.bytes);
			if (!pkt64)
				qdisc_json_u64(o, "packets", b.packets);
			break;
		}
		case TCA_STATS_PKT64:
			qdisc_json_u64(o, "packets", mnl_attr_get_u64(attr));
			pkt64 = true;
			break;
		case TCA_STATS_QUEUE: {
			struct gnet_stats_queue q;

			qdisc_attr_copy(&q, sizeof(q), attr);
			qdisc_json_u64(o, "drops", q.drops);
			qdisc_json_u64(o, "overlimits", q.overlimits);
			qdisc_json_u64(o, "requeues", q.requeues);
			qdisc_json_u64(o, "backlog", q.backlog);
			qdisc_json_u64(o, "qlen", q.qlen);
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
	if (d->classes && qdisc_ops_find(kind) != &qdisc_shaper_ops[TB_SHAPER_HTB])
		return MNL_CB_OK;
	o = json_object();
	json_object_set_new(o, "dev", json_string(ifname_of(d->names, t->tcm_ifindex)));
	qdisc_json_u64(o, "ifindex", (uint32_t)t->tcm_ifindex);
	json_object_set_new(o, "kind", json_string(kind));
	if (d->classes)
		json_object_set_new(o, "class", json_true());
	fmt_handle(h, sizeof(h), t->tcm_handle);
	json_object_set_new(o, "handle", json_string(h));
	fmt_handle(h, sizeof(h), t->tcm_parent);
	json_object_set_new(o, "parent", json_string(h));
	if (st)
		stats2(o, d->classes ? "" : kind, st);
	if (opt)
		json_object_set_new(o, "options", options_json(kind, opt));
	json_array_append_new(d->arr, o);
	return MNL_CB_OK;
}

int qstats_collect(int nsfd, bool all, json_t **out, struct qdisc_err *err)
{
	struct ifnames *names = xcalloc(1, sizeof(*names));
	struct dump d = { .names = names, .all = all, .arr = json_array() };
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	struct rtnl *nl;
	int rc;

	*out = NULL;
	err->code = 0;
	err->msg[0] = 0;
	rc = rtnl_open(nsfd, &nl);
	if (rc) {
		err->code = rc;
		snprintf(err->msg, sizeof(err->msg), "open netlink: %s", strerror(-rc));
		goto out;
	}
	nlh = rtnl_msg(nl, RTM_GETLINK, 0);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	g->rtgen_family = AF_UNSPEC;
	rc = rtnl_dump(nl, nlh, link_cb, names);
	if (!rc) {
		nlh = qdisc_msg_start(nl, RTM_GETQDISC, 0, 0, 0, 0, NULL);
		rc = rtnl_dump(nl, nlh, tc_cb, &d);
	}
	/* class dumps are per device */
	d.classes = true;
	for (int i = 0; !rc && i < names->n; i++) {
		nlh = qdisc_msg_start(nl, RTM_GETTCLASS, 0, names->idx[i], 0, 0, NULL);
		rc = rtnl_dump(nl, nlh, tc_cb, &d);
	}
	if (rc) {
		err->code = rc;
		snprintf(err->msg, sizeof(err->msg), "dump qdiscs: %s", strerror(-rc));
	}
	rtnl_close(nl);
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
