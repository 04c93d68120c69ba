/* Messages of the qdisc module, both ways: requests built (with libmnl, or
 * by libnl and sent on our socket), sent, and a failure described once with
 * the kernel's own text; attributes of what the kernel reports read back
 * into JSON. Below every kind's code. */
#include <errno.h>
#include <linux/if_arp.h>
#include <math.h>
#include <netlink/msg.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>
#include <stdio.h>
#include <string.h>

#include "qdisc_int.h"

int qdisc_fail(struct qctx *c, int rc, const char *what, const char *kind, const char *kmsg)
{
	const char *node = c->hint && c->hint->node ? c->hint->node : NULL;
	bool k = kmsg && *kmsg;

	c->err->code = rc;
	snprintf(c->err->msg, sizeof(c->err->msg), "%s %s on %s%s%s: %s%s%s%s", what, kind,
		 node ? node : "", node ? "/" : "", c->ifname ? c->ifname : "?", strerror(-rc),
		 k ? " (kernel: " : "", k ? kmsg : "", k ? ")" : "");
	return rc;
}

int qdisc_new_flags(const struct qctx *c)
{
	return c->built ? NLM_F_REPLACE : NLM_F_CREATE | NLM_F_EXCL;
}

const char *qdisc_verb(const struct qctx *c)
{
	return c->built ? "change" : "add";
}

struct nlmsghdr *qdisc_msg_start(struct rtnl *nl, int type, int flags, int ifindex,
				 uint32_t parent, uint32_t handle, const char *kind)
{
	struct nlmsghdr *nlh = rtnl_msg(nl, (uint16_t)type, (uint16_t)flags);
	struct tcmsg *t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));

	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	t->tcm_handle = handle;
	if (kind)
		mnl_attr_put_strz(nlh, TCA_KIND, kind);
	return nlh;
}

int qdisc_send(struct qctx *c, struct nlmsghdr *nlh, const char *what, const char *kind)
{
	int rc = rtnl_request(c->nl, nlh, NULL, NULL);

	return rc ? qdisc_fail(c, rc, what, kind, rtnl_ext_ack(c->nl)) : 0;
}

struct rtnl_qdisc *qdisc_nl_new(uint32_t parent, uint32_t handle, const char *kind)
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

int qdisc_send_libnl(struct qctx *c, struct rtnl_tc *tc, bool is_class, const char *kind)
{
	struct nl_msg *msg = NULL;
	struct nlmsghdr *src, *nlh;
	int flags = qdisc_new_flags(c);
	char label[64];
	int rc;

	rtnl_tc_set_ifindex(tc, c->ifindex);
	rtnl_tc_set_mtu(tc, qdisc_mtu(c->hint));
	rtnl_tc_set_linktype(tc, ARPHRD_ETHER);
	rc = is_class ? rtnl_class_build_add_request((struct rtnl_class *)tc, flags, &msg)
		      : rtnl_qdisc_build_add_request((struct rtnl_qdisc *)tc, flags, &msg);
	if (rc < 0)
		return qdisc_fail(c, -EINVAL, "build", kind, nl_geterror(rc));
	src = nlmsg_hdr(msg);
	if (src->nlmsg_len > RTNL_MSG_MAX) {
		nlmsg_free(msg);
		return qdisc_fail(c, -EMSGSIZE, "build", kind, NULL);
	}
	nlh = rtnl_msg(c->nl, src->nlmsg_type, 0);
	memcpy(nlh, src, src->nlmsg_len);
	nlmsg_free(msg);
	/* libnl adds NLM_F_CREATE to every add request */
	nlh->nlmsg_flags = (uint16_t)flags;
	snprintf(label, sizeof(label), "%s %s", is_class ? "class" : "qdisc", kind);
	return qdisc_send(c, nlh, qdisc_verb(c), label);
}

/* --- read back -------------------------------------------------------------- */

void qdisc_json_u64(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

/* 1% comes back as 1, not 1.0000000012; 1e-7 % is far below any
 * probability netem can tell. */
double qdisc_u32_pct(uint32_t v)
{
	return round(v * 100.0 / UINT32_MAX * 1e7) / 1e7;
}

void qdisc_attr_copy(void *dst, size_t len, const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a);

	memset(dst, 0, len);
	memcpy(dst, mnl_attr_get_payload(a), n < len ? n : len);
}

void qdisc_attrs_json(json_t *o, const struct nlattr *nest, const struct qdisc_attr_name *map,
		      size_t n)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
	{
		for (size_t i = 0; i < n; i++) {
			if (mnl_attr_get_type(a) != map[i].type || mnl_attr_get_payload_len(a) < 4)
				continue;
			qdisc_json_u64(o, map[i].name, mnl_attr_get_payload_len(a) >= 8
							       ? mnl_attr_get_u64(a)
							       : mnl_attr_get_u32(a));
		}
	}
}
