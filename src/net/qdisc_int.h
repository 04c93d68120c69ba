/* Internal to the qdisc module. Its files call downward only:
 *
 *   qdisc.c (the tree), qstats.c (the dump)
 *     -> qdisc_ops.c (one entry per kind)
 *       -> qdisc_netem.c, qdisc_shaper.c, qdisc_queue.c (the kinds)
 *         -> qdisc_msg.c (requests, errors, attributes read back)
 *           -> qdisc_plan.c (parts and sizes, pure), qdisc_nl.c (the socket)
 *
 * qdisc_check.c (check's warnings) reads qdisc_plan.c and netem's tables.
 */
#ifndef TB_QDISC_INT_H
#define TB_QDISC_INT_H

#include <jansson.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>

#include "qdisc.h"
#include "rtnl.h"

struct rtnl_qdisc;
struct rtnl_tc;

/* One qdisc_apply() or qdisc_clear(): the socket, the interface, the shape
 * being installed and where a failure is described. */
struct qctx {
	struct rtnl *nl;
	int ifindex;
	const char *ifname;
	const struct tb_shape *sh;
	const struct qdisc_plan_hint *hint;
	unsigned parts; /* TB_PART_* installed here */
	struct qdisc_err *err;
	/* qdisc_change(): the shape the tree was built with (its sizes stay),
	 * and the parts whose qdiscs are changed in place (NLM_F_REPLACE) */
	const struct tb_shape *built;
	unsigned touch;
};

/* --- qdisc_plan.c: parts and sizes ---------------------------------------- */

/** The parts of @sh that @h puts on this interface (all needed when 0). */
unsigned qdisc_parts_here(const struct tb_shape *sh, const struct qdisc_plan_hint *h);
/** cake shapes by itself: it takes the rate unless a shaper was named. */
bool qdisc_cake_shapes(const struct tb_shape *sh, unsigned parts);
/** The hint's MTU, 1500 when it gives none. */
unsigned qdisc_mtu(const struct qdisc_plan_hint *h);
/** Bytes of a full-size frame on the wire: the MTU + 14. */
unsigned qdisc_wire(const struct qdisc_plan_hint *h);
/** The queue a rate part gets when the file names none: a bfifo of 100 ms
 * at the rate (a router buffer sized for the path), at least 10 frames. */
uint32_t qdisc_default_queue_bytes(const struct tb_shape *sh, const struct qdisc_plan_hint *h);
/** The queue's limit in its unit (packets, bfifo: bytes): the file's, else
 * the kind's default (struct tb_queue_kind). */
uint32_t qdisc_queue_limit(const struct tb_shape *sh, const struct qdisc_plan_hint *h);

/* --- qdisc_msg.c: requests and what the kernel reports back ---------------- */

/** Fill c->err with "WHAT KIND on NODE/IFNAME: strerror (kernel: KMSG)";
 * returns @rc. */
int qdisc_fail(struct qctx *c, int rc, const char *what, const char *kind, const char *kmsg);
/** The flags of a RTM_NEWQDISC/NEWTCLASS: create one (NLM_F_CREATE |
 * NLM_F_EXCL), or in qdisc_change() change the one at the same handle in
 * place (NLM_F_REPLACE without NLM_F_CREATE: the kernel's qdisc_change,
 * "tc qdisc change"; never a new qdisc). */
int qdisc_new_flags(const struct qctx *c);
/** "add" or "change", for messages. */
const char *qdisc_verb(const struct qctx *c);
/** Start an RTM_*QDISC / RTM_*TCLASS request in @nl's buffer: a tcmsg and,
 * unless NULL, TCA_KIND. */
struct nlmsghdr *qdisc_msg_start(struct rtnl *nl, int type, int flags, int ifindex,
				 uint32_t parent, uint32_t handle, const char *kind);
/** Send @nlh and wait for the ack; a failure is described as WHAT KIND. */
int qdisc_send(struct qctx *c, struct nlmsghdr *nlh, const char *what, const char *kind);
/** A libnl qdisc object of @kind at @parent/@handle; NULL without memory. */
struct rtnl_qdisc *qdisc_nl_new(uint32_t parent, uint32_t handle, const char *kind);
/** Build @tc's add request with libnl and send it on our socket (so that
 * the kernel's ext-ack text survives). */
int qdisc_send_libnl(struct qctx *c, struct rtnl_tc *tc, bool is_class, const char *kind);

/** o[@k] = @v. */
void qdisc_json_u64(json_t *o, const char *k, uint64_t v);
/** A kernel probability as percent, the 32-bit quantisation rounded away. */
double qdisc_u32_pct(uint32_t v);
/** Copy a struct attribute that older kernels may send shorter (the
 * missing tail is 0). */
void qdisc_attr_copy(void *dst, size_t len, const struct nlattr *a);

/* A numeric attribute and its name in the JSON. */
struct qdisc_attr_name {
	int type;
	const char *name;
};
/** Each attribute of @nest named in @map (@n entries) into @o, as u32 or,
 * 8 bytes long, u64. */
void qdisc_attrs_json(json_t *o, const struct nlattr *nest, const struct qdisc_attr_name *map,
		      size_t n);

/* --- the kinds (the ops entries' functions, qdisc_ops.c) ------------------- */

/* qdisc_netem.c */
int qdisc_netem_add(struct qctx *c, uint32_t parent, uint32_t handle);
void qdisc_netem_options(json_t *o, const struct nlattr *opt);
/** Percent (0..100) to the kernel's 32-bit probability. */
uint32_t qdisc_pct_u32(double pct);

/* qdisc_shaper.c */
int qdisc_tbf_add(struct qctx *c, uint32_t parent, uint32_t handle);
int qdisc_htb_add(struct qctx *c, uint32_t parent, uint32_t handle);
void qdisc_tbf_options(json_t *o, const struct nlattr *opt);
void qdisc_htb_options(json_t *o, const struct nlattr *opt);

/* qdisc_queue.c */
/** Add a pfifo or bfifo (@kind) holding @limit packets or bytes. */
int qdisc_fifo_add(struct qctx *c, uint32_t parent, uint32_t handle, const char *kind,
		   uint32_t limit);
int qdisc_queue_fifo_add(struct qctx *c, uint32_t parent, uint32_t handle);
int qdisc_fq_codel_add(struct qctx *c, uint32_t parent, uint32_t handle);
int qdisc_codel_add(struct qctx *c, uint32_t parent, uint32_t handle);
int qdisc_fq_add(struct qctx *c, uint32_t parent, uint32_t handle);
int qdisc_cake_add(struct qctx *c, uint32_t parent, uint32_t handle);
void qdisc_fifo_options(json_t *o, const struct nlattr *opt);
void qdisc_fq_codel_options(json_t *o, const struct nlattr *opt);
void qdisc_codel_options(json_t *o, const struct nlattr *opt);
void qdisc_fq_codel_xstats(json_t *x, const struct nlattr *app);
void qdisc_codel_xstats(json_t *x, const struct nlattr *app);
void qdisc_fq_xstats(json_t *x, const struct nlattr *app);
void qdisc_cake_xstats(json_t *x, const struct nlattr *app);

#endif
