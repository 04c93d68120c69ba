/* The shaping tree of one interface: which kinds a shape's parts need,
 * added top down through their ops entries (qdisc_ops.c), and removed whole
 * when a step fails. See qdisc.h for the tree and docs/shaping.md for why it
 * has this shape. */
#include "qdisc.h"

#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "qdisc_int.h"
#include "qdisc_ops.h"

#define H(maj, min) (((uint32_t)(maj) << 16) | (min))

int qdisc_kinds(const struct tb_shape *sh, unsigned parts, const char *kinds[3])
{
	int n = 0;

	parts &= qdisc_parts_needed(sh);
	if (parts & TB_PART_NETEM)
		kinds[n++] = qdisc_ops_kind(&qdisc_netem_ops);
	if ((parts & TB_PART_RATE) && !qdisc_cake_shapes(sh, parts))
		kinds[n++] = qdisc_ops_kind(&qdisc_shaper_ops[sh->shaper]);
	if ((parts & TB_PART_QUEUE) && sh->queue != TB_QUEUE_DEFAULT)
		kinds[n++] = config_queue_kind(sh->queue)->name;
	return n;
}

/* The queue kind of the shape, through its ops entry (the default adds
 * nothing). */
static int add_queue(struct qctx *c, uint32_t parent, uint32_t handle)
{
	const struct qdisc_ops *o = &qdisc_queue_ops[c->sh->queue];

	return o->add ? o->add(c, parent, handle) : 0;
}

/* tbf or htb as MAJ:; without a queue kind below, htb's class MAJ:1 gets
 * the default bfifo as MAJ+1: (tbf holds it itself). */
static int add_rate(struct qctx *c, uint32_t parent, uint32_t maj)
{
	const struct tb_shape *sh = c->sh;
	bool child = (c->parts & TB_PART_QUEUE) && sh->queue != TB_QUEUE_DEFAULT;
	int rc = qdisc_shaper_ops[sh->shaper].add(c, parent, H(maj, 0));

	if (!rc && !child && sh->shaper == TB_SHAPER_HTB && !c->built)
		rc = qdisc_fifo_add(c, H(maj, 1), H(maj + 1, 0),
				    config_queue_kind(TB_QUEUE_BFIFO)->name,
				    qdisc_default_queue_bytes(sh, c->hint));
	return rc;
}

/* Whether the step of @part is taken: always when building, only for the
 * parts being changed by qdisc_change(). */
static bool step(const struct qctx *c, unsigned part)
{
	return !c->built || (c->touch & part);
}

static int del_root(struct qctx *c)
{
	struct nlmsghdr *nlh;
	int rc;

	nlh = qdisc_msg_start(c->nl, RTM_DELQDISC, 0, c->ifindex, TC_H_ROOT, 0, NULL);
	rc = rtnl_request(c->nl, nlh, NULL, NULL);
	/* noqueue or the default qdisc: nothing of ours to delete */
	if (rc == -ENOENT || rc == -EINVAL || rc == -EOPNOTSUPP)
		return 0;
	return rc ? qdisc_fail(c, rc, "delete", "root qdisc", rtnl_ext_ack(c->nl)) : 0;
}

static int build_tree(struct qctx *c)
{
	const struct tb_shape *sh = c->sh;
	unsigned p = c->parts;
	uint32_t parent = TC_H_ROOT, maj = 1;
	int rc;

	if (p & TB_PART_NETEM) {
		rc = step(c, TB_PART_NETEM) ? qdisc_netem_ops.add(c, parent, H(maj, 0)) : 0;
		if (rc)
			return rc;
		parent = H(maj, 1);
		maj++;
	}
	/* cake takes the rate part and is the queue too */
	if ((p & TB_PART_RATE) && qdisc_cake_shapes(sh, p))
		return step(c, TB_PART_RATE | TB_PART_QUEUE) ? add_queue(c, parent, H(maj, 0)) : 0;
	if (p & TB_PART_RATE) {
		rc = step(c, TB_PART_RATE) ? add_rate(c, parent, maj) : 0;
		if (rc)
			return rc;
		parent = H(maj, 1);
		maj++;
	}
	if ((p & TB_PART_QUEUE) && step(c, TB_PART_QUEUE))
		return add_queue(c, parent, H(maj, 0));
	return 0;
}

int qdisc_apply(int nsfd, int ifindex, const char *ifname, const struct tb_shape *sh,
		const struct qdisc_plan_hint *hint, struct qdisc_err *err)
{
	struct qctx c = { .ifindex = ifindex, .ifname = ifname, .sh = sh, .hint = hint, .err = err };
	int rc;

	err->code = 0;
	err->msg[0] = 0;
	c.parts = qdisc_parts_here(sh, hint);
	rc = rtnl_open(nsfd, &c.nl);
	if (rc)
		return qdisc_fail(&c, rc, "open netlink for", "qdisc", NULL);
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
	rtnl_close(c.nl);
	return rc;
}

int qdisc_change(int nsfd, int ifindex, const char *ifname, const struct tb_shape *built,
		 const struct tb_shape *sh, unsigned parts, const struct qdisc_plan_hint *hint,
		 struct qdisc_err *err)
{
	struct qctx c = { .ifindex = ifindex, .ifname = ifname, .sh = sh, .hint = hint,
			  .err = err, .built = built, .touch = parts };
	int rc;

	err->code = 0;
	err->msg[0] = 0;
	c.parts = qdisc_parts_here(built, hint);
	/* a part the tree lacks would have to be added: not in place */
	if (parts & ~c.parts)
		return qdisc_fail(&c, -EOPNOTSUPP, "change", "qdisc", "the link was built without "
				  "this part");
	rc = rtnl_open(nsfd, &c.nl);
	if (rc)
		return qdisc_fail(&c, rc, "open netlink for", "qdisc", NULL);
	rc = build_tree(&c);
	rtnl_close(c.nl);
	return rc;
}

int qdisc_clear(int nsfd, int ifindex, const char *ifname, struct qdisc_err *err)
{
	struct qctx c = { .ifindex = ifindex, .ifname = ifname, .err = err };
	int rc;

	err->code = 0;
	err->msg[0] = 0;
	rc = rtnl_open(nsfd, &c.nl);
	if (rc)
		return qdisc_fail(&c, rc, "open netlink for", "qdisc", NULL);
	rc = del_root(&c);
	rtnl_close(c.nl);
	return rc;
}
