#include "qdisc_nl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "util/util.h"

int qnl_open(struct qnl *q, int nsfd)
{
	int fd, one = 1, rc;

	memset(q, 0, sizeof(*q));
	if (nsfd >= 0)
		fd = netns_socket(nsfd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	else
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return nsfd >= 0 ? fd : -errno;
	q->nl = mnl_socket_fdopen(fd);
	if (!q->nl) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		qnl_close(q);
		return rc;
	}
	/* Both are best effort: old kernels lack them and still work. */
	mnl_socket_setsockopt(q->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(q->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	q->portid = mnl_socket_get_portid(q->nl);
	q->seq = (unsigned)time(NULL);
	q->buf = xmalloc(QNL_BUF);
	return 0;
}

void qnl_close(struct qnl *q)
{
	if (!q)
		return;
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q->buf);
	q->nl = NULL;
	q->buf = NULL;
}

struct nlmsghdr *qnl_msg(struct qnl *q, int type, int flags)
{
	struct nlmsghdr *nlh;

	memset(q->buf, 0, QNL_BUF);
	nlh = mnl_nlmsg_put_header(q->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++q->seq;
	return nlh;
}

/* Extended ack attributes follow the (capped) echoed request. */
static void ext_ack_text(const struct nlmsghdr *nlh, char *kmsg, size_t klen)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (mnl_nlmsg_get_payload_len(nlh) < off)
		return;
	mnl_attr_for_each_payload((const void *)((const char *)e + off), mnl_nlmsg_get_payload_len(nlh) - off)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(kmsg, klen, "%s", mnl_attr_get_str(attr));
			/* the kernel's text often ends in a newline */
			kmsg[strcspn(kmsg, "\n")] = 0;
		}
	}
}

int qnl_talk(struct qnl *q, struct nlmsghdr *nlh, char *kmsg, size_t klen)
{
	char rbuf[8192];
	unsigned seq = nlh->nlmsg_seq;
	ssize_t n;

	if (kmsg && klen)
		kmsg[0] = 0;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		int len;

		n = mnl_socket_recvfrom(q->nl, rbuf, sizeof(rbuf));
		if (n < 0)
			return -errno;
		len = (int)n;
		for (struct nlmsghdr *r = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(r, len);
		     r = mnl_nlmsg_next(r, &len)) {
			const struct nlmsgerr *e;

			if (r->nlmsg_seq != seq || r->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(r);
			if (e->error && kmsg && klen)
				ext_ack_text(r, kmsg, klen);
			return e->error;
		}
	}
}

int qnl_dump(struct qnl *q, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char *rbuf = xmalloc(QNL_BUF);
	unsigned seq = nlh->nlmsg_seq;
	ssize_t n;
	int rc;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	do {
		n = mnl_socket_recvfrom(q->nl, rbuf, QNL_BUF);
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		rc = mnl_cb_run(rbuf, n, seq, q->portid, cb, data);
	} while (rc > 0);
	if (rc < 0)
		rc = -errno;
out:
	free(rbuf);
	return rc;
}
