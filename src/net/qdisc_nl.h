/* Route-netlink plumbing shared by qdisc.c and qstats.c (internal).
 * One socket per namespace, NETLINK_EXT_ACK and NETLINK_CAP_ACK on, so a
 * failed request comes back with the kernel's own message. */
#ifndef TB_QDISC_NL_H
#define TB_QDISC_NL_H

#include <libmnl/libmnl.h>
#include <stddef.h>

#define QNL_BUF (64 * 1024)

struct qnl {
	struct mnl_socket *nl;
	unsigned portid;
	unsigned seq;
	char *buf; /* QNL_BUF bytes, for building requests and reading replies */
};

/** Open a route-netlink socket inside namespace @nsfd (-1: the caller's).
 * 0 or -errno. */
int qnl_open(struct qnl *q, int nsfd);
/** Close; NULL-safe and idempotent. */
void qnl_close(struct qnl *q);

/** Start a request in q->buf: type, flags (NLM_F_REQUEST|NLM_F_ACK added). */
struct nlmsghdr *qnl_msg(struct qnl *q, int type, int flags);

/**
 * Send @nlh and wait for its acknowledgement. Returns 0 or the kernel's
 * -errno; on error the kernel's extended-ack text (or "") is copied to
 * @kmsg (@klen bytes).
 */
int qnl_talk(struct qnl *q, struct nlmsghdr *nlh, char *kmsg, size_t klen);

/** Send a dump request @nlh and call @cb(nlh, data) for each reply message.
 * 0 or -errno. */
int qnl_dump(struct qnl *q, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

#endif
