/* The one rtnetlink layer: a NETLINK_ROUTE socket opened inside a
 * namespace, one request/ack path that keeps the kernel's extended-ack
 * text of a failure, dumps, and batches of requests with one ack. Every
 * link, address, route, neighbour, qdisc, event and probe request goes
 * through it (sock_diag has its own lean path in obs/sampler.c).
 *
 * Raw rtnetlink through libmnl rather than libnl-route-3 objects: requests
 * are built exactly as the kernel reads them (both veth ends in their own
 * namespaces in one request, hundreds of routes in one sendmsg()), and the
 * ext-ack text reaches the user for every kind of object. */
#ifndef TB_RTNL_H
#define TB_RTNL_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

/** The largest request rtnl_msg() holds. */
#define RTNL_MSG_MAX (64 * 1024)

/** A socket with its request buffer and batch. */
struct rtnl;

/** Open inside namespace @nsfd (-1: the caller's). 0 or -errno. */
int rtnl_open(int nsfd, struct rtnl **out);
/** Close; NULL-safe. */
void rtnl_close(struct rtnl *nl);

/** The kernel's extended-ack text of the last failed request, or "". */
const char *rtnl_ext_ack(const struct rtnl *nl);

/** A new request of @type in the socket's buffer (NLM_F_REQUEST | @flags);
 * valid until the next rtnl_msg(). */
struct nlmsghdr *rtnl_msg(struct rtnl *nl, uint16_t type, uint16_t flags);

/** Send @nlh (the socket's or the caller's buffer) with NLM_F_ACK and wait
 * for the ack; @cb (optional) sees replies before it. 0 or the kernel's
 * -errno (its text in rtnl_ext_ack()). */
int rtnl_request(struct rtnl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/** Send a dump request and call @cb for every reply. 0 or -errno. */
int rtnl_dump(struct rtnl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/*
 * Batches: requests queued into one buffer and sent with rtnl_batch_flush()
 * (automatically when the buffer fills); each carries a caller's @tag that
 * the flush reports for the first request that failed.
 */
/** Queue a request of @type (NLM_F_REQUEST | @flags); fill it, then
 * rtnl_batch_end(). */
struct nlmsghdr *rtnl_batch_msg(struct rtnl *nl, uint16_t type, uint16_t flags, uint32_t tag);
void rtnl_batch_end(struct rtnl *nl, struct nlmsghdr *nlh);
/** Send what is queued. 0, or the first error with *@tag set (NULL-safe)
 * and its ext-ack text kept. */
int rtnl_batch_flush(struct rtnl *nl, uint32_t *tag);

/** One request on a bare NETLINK_ROUTE socket @fd, without allocating (a
 * forked child may call it): 0 or the kernel's -errno, its text in @ack. */
int rtnl_talk_fd(int fd, struct nlmsghdr *nlh, char *ack, size_t acklen);

#endif
