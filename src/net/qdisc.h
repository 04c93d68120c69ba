/* Link shaping with kernel qdiscs over netlink.
 *
 * One direction of a link (struct tb_shape) becomes at most three parts on
 * an interface's egress (TB_PART_*, config.h): a netem part (delay, jitter,
 * loss, duplicate, reorder, corrupt), a rate part (tbf or htb) and a queue
 * (pfifo, bfifo, fq_codel, codel, fq, cake). `testbed run` and `testbed up`
 * put every part of a direction on its egress end; the hint's parts and
 * path_rate let `testbed shape` split them by hand (docs/shaping.md). With
 * every part on one interface the tree is
 *
 *     netem 1: (root) -> tbf 2: (parent 1:1) -> queue 3: (parent 2:1)
 *     netem 1: (root) -> htb 2: (parent 1:1), class 2:1 -> queue 3: (parent 2:1)
 *
 * and without netem the shaper is the root (handle 1:, queue at 1:1).
 *
 * Each kind is one entry of qdisc_ops.h (how it is added and read back);
 * tbf, htb, pfifo, bfifo and fq_codel are built with libnl-route-3 (tbf
 * above 17 Gbit/s, which libnl's int cannot carry, with libmnl); netem,
 * codel, fq and cake with libmnl (libnl has no Gilbert-Elliott loss, no
 * 64-bit delays, caps probabilities at 50% and knows neither codel, fq nor
 * cake). Every message is sent on our own socket with NETLINK_EXT_ACK, so
 * the kernel's own error text reaches the user. */
#ifndef TB_QDISC_H
#define TB_QDISC_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "util/diag.h"

/* What the caller knows beyond the shape itself. Zero is a valid,
 * conservative value for every field (and what `testbed run` and `up` give
 * parts and path_rate). */
struct qdisc_plan_hint {
	unsigned parts;      /* TB_PART_* to install here; 0 means all the shape needs */
	uint64_t path_rate;  /* bit/s of the slowest hop of this direction, used to size
				netem's limit when the rate part sits elsewhere; 0: unknown
				(the shape's own rate, else 10 Gbit/s is assumed) */
	unsigned mtu;        /* 0: 1500 */
	unsigned tick_us;    /* timer granularity the shaper must absorb in its burst;
				0: 10000 on User-Mode Linux (HZ=100), 1000 elsewhere */
	const char *node;    /* node name for messages ("r1"), may be NULL */
};

/* Error of the last failed operation: -errno and one printable line such as
 * "add qdisc netem on r1/eth1: Invalid argument (kernel: ...)". */
struct qdisc_err {
	int code;
	char msg[512];
};

/**
 * Install the parts of @sh selected by @hint on the egress of @ifindex
 * (called @ifname in messages) inside namespace @nsfd (-1: the caller's).
 * Replaces whatever root qdisc was there. Returns 0 or -errno with @err
 * filled. Installing nothing (no part needed) removes our root, if any.
 */
int qdisc_apply(int nsfd, int ifindex, const char *ifname, const struct tb_shape *sh,
		const struct qdisc_plan_hint *hint, struct qdisc_err *err);

/**
 * Change the parts @parts (TB_PART_*) of the tree qdisc_apply() built for
 * @built on @ifindex to the values of @sh, in place: each qdisc (and htb's
 * class) of those parts gets an RTM_NEWQDISC (RTM_NEWTCLASS) with
 * NLM_F_REPLACE and no NLM_F_CREATE at its own parent and handle, which the
 * kernel carries out as a change of that qdisc ("tc qdisc change"): its
 * queue is kept and no packet passes unshaped. Sizes that follow from the
 * rate when not given (tbf's own queue) stay as built. @sh must need the
 * same parts as @built. 0 or -errno with @err filled (-EOPNOTSUPP: a part
 * the tree lacks).
 */
int qdisc_change(int nsfd, int ifindex, const char *ifname, const struct tb_shape *built,
		 const struct tb_shape *sh, unsigned parts, const struct qdisc_plan_hint *hint,
		 struct qdisc_err *err);

/** Delete the root qdisc of @ifindex (back to the kernel default). A missing
 * root qdisc is not an error. 0 or -errno with @err filled. */
int qdisc_clear(int nsfd, int ifindex, const char *ifname, struct qdisc_err *err);

/** The parts of @sh that have something to install (TB_PART_*). */
unsigned qdisc_parts_needed(const struct tb_shape *sh);

/**
 * The qdisc kinds that installing @parts of @sh needs, e.g. "netem", "tbf",
 * "fq_codel", written to @kinds (up to 3). Returns how many. For the kernel
 * probe (probe_has_qdisc) and the kernel-tier decision.
 */
int qdisc_kinds(const struct tb_shape *sh, unsigned parts, const char *kinds[3]);

/** Packets in flight on @sh's path over its delay plus the jitter's spread
 * (4 x jitter for the table distributions, 1 x for uniform), at the hint's
 * path rate, else @sh->rate, else 10 Gbit/s; rounded up. */
uint32_t qdisc_bdp_packets(const struct tb_shape *sh, const struct qdisc_plan_hint *hint);

/** netem's queue limit in packets for @sh: @sh->netem_limit when given, else
 * twice qdisc_bdp_packets() plus what the queue under the same netem can hold
 * (netem ahead of the bottleneck can hold a whole window: BDP + queue), never
 * below the kernel's 1000. */
uint32_t qdisc_netem_limit(const struct tb_shape *sh, const struct qdisc_plan_hint *hint);

/** Burst (bytes) of the rate part: @sh->burst when given, else enough for
 * one timer tick at the rate, at least 4 packets. */
uint32_t qdisc_burst(const struct tb_shape *sh, const struct qdisc_plan_hint *hint);

/**
 * Warn (into @d, at the shape's location) about shaping in @c that is known
 * to mislead: netem or a rate limit on a sending host's own egress, jitter
 * without a distribution table available, a pfifo/bfifo deep enough to hold
 * more than a second at the rate, AQM keys on a queue that ignores them, ECN on a
 * queue without ECN, a netem_limit below the bandwidth-delay product, rates
 * too high for the User-Mode Linux guest (@uml true) to emulate, a burst
 * below one packet. Returns the number of warnings added. No side effects.
 */
int qdisc_check_plan(const struct tb_config *c, bool uml, struct tb_diag *d);

/* Distribution tables for netem jitter. */
#define QDISC_DIST_MAX 16384 /* kernel's limit on table entries */

/**
 * Load the table for @dist into @tab (QDISC_DIST_MAX entries): read
 * <name>.dist from iproute2's directories (/usr/lib/x86_64-linux-gnu/tc,
 * /usr/lib/tc, /usr/lib64/tc, /usr/share/tc, $TB_TC_LIB first if set);
 * for "normal" a table computed as iproute2's maketable does is used when no
 * file is found. Returns the number of entries, 0 for uniform (no table), or
 * -errno (-ENOENT: pareto tables need iproute2's files).
 */
int qdisc_dist_table(enum tb_dist dist, int16_t *tab);

/** Compute iproute2's normal.dist (4096 entries) into @tab; returns 4096. */
int qdisc_dist_normal(int16_t *tab);

#endif
