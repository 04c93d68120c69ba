/* One entry per qdisc kind the testbed installs, in the spirit of iproute2's
 * struct qdisc_util: how it is added over netlink, how the options and
 * extended statistics the kernel reports back are read (qstats), its kernel
 * module (the UML guest loads it) and whether minimal host kernels lack it
 * (check's guess at the tier). A queue kind's name, defaults and keys are
 * the model's (config_queue_kind()); its entry here is indexed by the same
 * enum tb_queue, so the dependency points one way. */
#ifndef TB_QDISC_OPS_H
#define TB_QDISC_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct qctx;
struct nlattr;
struct json_t;

struct qdisc_ops {
	const char *kind;   /* the kernel's name; NULL in qdisc_queue_ops[] (the queue table's) */
	const char *module; /* its kernel module; NULL: built into every kernel */
	bool ci_lacks;      /* minimal host kernels (this project's CI machines) lack it */
	/* add it at @parent/@handle for c->sh; 0 or -errno with c->err set */
	int (*add)(struct qctx *c, uint32_t parent, uint32_t handle);
	/* the options the kernel reports back (TCA_OPTIONS) into @o; NULL: none read */
	void (*options)(struct json_t *o, const struct nlattr *opt);
	/* its extended statistics (TCA_STATS_APP) into @x; NULL: the kernel has none */
	void (*xstats)(struct json_t *x, const struct nlattr *app);
};

extern const struct qdisc_ops qdisc_netem_ops;
extern const struct qdisc_ops qdisc_shaper_ops[]; /* by enum tb_shaper: tbf, htb */
extern const struct qdisc_ops qdisc_queue_ops[];  /* by enum tb_queue; default: all NULL */

/** The kernel's name of @o ("netem", "tbf", "fq_codel"). */
const char *qdisc_ops_kind(const struct qdisc_ops *o);

/** The @i-th kind the testbed installs (netem, tbf, htb, then the queue
 * kinds in enum order); NULL past the last. */
const struct qdisc_ops *qdisc_ops_at(size_t i);

/** The entry of the kind the kernel calls @kind; NULL for a kind the
 * testbed never installs. */
const struct qdisc_ops *qdisc_ops_find(const char *kind);

#endif
