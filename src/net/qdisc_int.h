/* Internal to the qdisc module (qdisc.c, qdisc_netem.c). */
#ifndef TB_QDISC_INT_H
#define TB_QDISC_INT_H

#include <linux/rtnetlink.h>

#include "qdisc.h"
#include "qdisc_nl.h"

/** Start an RTM_*QDISC request in @nl's buffer with a tcmsg and TCA_KIND. */
struct tcmsg *qdisc_msg_start(struct qnl *nl, int type, int flags, int ifindex, uint32_t parent,
			      uint32_t handle, const char *kind, struct nlmsghdr **nlhp);

/** Add the netem part of @sh at @parent/@handle. 0 or -errno with @err set. */
int qdisc_add_netem(struct qnl *nl, int ifindex, uint32_t parent, uint32_t handle,
		    const struct tb_shape *sh, const struct qdisc_plan_hint *hint,
		    struct qdisc_err *err, const char *ifname);

/** Fill @err with "WHAT KIND on NODE/IFNAME: strerror (kernel: KMSG)"; returns @rc. */
int qdisc_fail(struct qdisc_err *err, const struct qdisc_plan_hint *hint, const char *ifname,
	       int rc, const char *what, const char *kind, const char *kmsg);

/** Percent (0..100) to the kernel's 32-bit probability. */
uint32_t qdisc_pct_u32(double pct);

#endif
