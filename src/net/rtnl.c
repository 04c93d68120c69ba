#include "rtnl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"
#include "util/util.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define BATCH_SIZE (64 * 1024) /* ~600 routes */
#define REQ_MAX 1024           /* the most one batched request may take */
#define ACK_MAX 256

struct rtnl {
	struct mnl_socket *sock;
	unsigned portid;
	uint32_t seq;
	char ext_ack[ACK_MAX];
	char *msg;             /* RTNL_MSG_MAX: rtnl_msg()'s request, and replies */
	/* the batch */
	char *buf;
	size_t len;
	uint32_t first_seq;
	uint32_t *tags;
	size_t n, cap;
	int pending_err;       /* an error from an automatic flush */
	uint32_t pending_tag;
};

/* The kernel's text of an NLMSG_ERROR (ext ack), into @out. */
static void ack_text(const struct nlmsghdr *nlh, char *out, size_t len)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	out[0] = 0;
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
			snprintf(out, len, "%s", mnl_attr_get_str(attr));
			/* the kernel's text sometimes ends in a newline */
			out[strcspn(out, "\n")] = 0;
		}
	}
}

/* The error code of an NLMSG_ERROR; its text into @ack when it failed. */
static int ack_error(const struct nlmsghdr *nlh, char *ack, size_t len)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -EBADMSG;
	if (e->error)
		ack_text(nlh, ack, len);
	return e->error;
}

int rtnl_talk_fd(int fd, struct nlmsghdr *nlh, char *ack, size_t acklen)
{
	char buf[8192];
	ssize_t n;

	ack[0] = 0;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *r = (struct nlmsghdr *)buf; mnl_nlmsg_ok(r, (int)n);
		     r = mnl_nlmsg_next(r, (int *)&n))
			if (r->nlmsg_seq == nlh->nlmsg_seq && r->nlmsg_type == NLMSG_ERROR)
				return ack_error(r, ack, acklen);
	}
}

struct open_args {
	struct mnl_socket *sock;
	int err;
};

static int open_sock(void *p)
{
	struct open_args *a = p;

	a->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!a->sock)
		a->err = -errno;
	return 0;
}

int rtnl_open(int nsfd, struct rtnl **out)
{
	struct open_args a = { NULL, 0 };
	int one = 1, rcvbuf = 4 << 20, rc;
	struct rtnl *nl;

	rc = nsfd >= 0 ? netns_run_in(nsfd, open_sock, &a) : open_sock(&a);
	if (rc)
		return rc;
	if (!a.sock)
		return a.err;
	if (mnl_socket_bind(a.sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		mnl_socket_close(a.sock);
		return rc;
	}
	/* best effort: old kernels lack them and still work */
	mnl_socket_setsockopt(a.sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(a.sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(a.sock), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(a.sock), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	nl = xcalloc(1, sizeof(*nl));
	nl->sock = a.sock;
	nl->portid = mnl_socket_get_portid(a.sock);
	nl->seq = 1;
	nl->msg = xmalloc(RTNL_MSG_MAX);
	nl->buf = xmalloc(BATCH_SIZE);
	*out = nl;
	return 0;
}

void rtnl_close(struct rtnl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl->msg);
	free(nl->buf);
	free(nl->tags);
	free(nl);
}

const char *rtnl_ext_ack(const struct rtnl *nl)
{
	return nl->ext_ack;
}

struct nlmsghdr *rtnl_msg(struct rtnl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(nl->msg, 0, REQ_MAX);
	nlh = mnl_nlmsg_put_header(nl->msg);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

int rtnl_request(struct rtnl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[8192];
	uint32_t seq = nlh->nlmsg_seq = nl->seq++;
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nl->ext_ack[0] = 0;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *r = (struct nlmsghdr *)buf; mnl_nlmsg_ok(r, (int)n);
		     r = mnl_nlmsg_next(r, (int *)&n)) {
			if (r->nlmsg_seq != seq)
				continue;
			if (r->nlmsg_type == NLMSG_ERROR)
				return ack_error(r, nl->ext_ack, sizeof(nl->ext_ack));
			if (cb)
				cb(r, data);
		}
	}
}

int rtnl_dump(struct rtnl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t seq = nlh->nlmsg_seq = nl->seq++;
	ssize_t n;
	int rc;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		/* nlh may live in nl->msg: replies go to the batch buffer */
		n = mnl_socket_recvfrom(nl->sock, nl->buf, BATCH_SIZE);
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
	} while (rc > 0);
	return rc < 0 ? -errno : 0;
}

/* --- batches ---------------------------------------------------------- */

/* Only the last request asks for an ack: the kernel answers a request
 * without NLM_F_ACK only when it fails, so one ack closes the batch. */
static int batch_send(struct rtnl *nl, uint32_t *tag)
{
	char buf[16384], ack[ACK_MAX], first_ack[ACK_MAX] = "";
	struct nlmsghdr *last = NULL;
	int first_err = 0;
	ssize_t n;

	if (!nl->n)
		return 0;
	for (size_t off = 0; off < nl->len; off += NLMSG_ALIGN(last->nlmsg_len))
		last = (struct nlmsghdr *)(nl->buf + off);
	last->nlmsg_flags |= NLM_F_ACK;
	*tag = nl->tags[0];
	if (mnl_socket_sendto(nl->sock, nl->buf, nl->len) < 0) {
		first_err = -errno;
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0) {
			first_err = first_err ? first_err : -errno;
			goto out;
		}
		for (struct nlmsghdr *r = (struct nlmsghdr *)buf; mnl_nlmsg_ok(r, (int)n);
		     r = mnl_nlmsg_next(r, (int *)&n)) {
			int e;

			if (r->nlmsg_type != NLMSG_ERROR)
				continue;
			e = ack_error(r, ack, sizeof(ack));
			if (e && !first_err && r->nlmsg_seq - nl->first_seq < nl->n) {
				first_err = e;
				*tag = nl->tags[r->nlmsg_seq - nl->first_seq];
				memcpy(first_ack, ack, sizeof(ack));
			}
			if (r->nlmsg_seq == last->nlmsg_seq)
				goto out;
		}
	}
out:
	memcpy(nl->ext_ack, first_ack, sizeof(first_ack));
	nl->len = 0;
	nl->n = 0;
	return first_err;
}

struct nlmsghdr *rtnl_batch_msg(struct rtnl *nl, uint16_t type, uint16_t flags, uint32_t tag)
{
	struct nlmsghdr *nlh;

	if (nl->len + REQ_MAX > BATCH_SIZE) {
		uint32_t t = 0;
		int rc = batch_send(nl, &t);

		if (rc && !nl->pending_err) {
			nl->pending_err = rc;
			nl->pending_tag = t;
		}
	}
	if (nl->n == 0)
		nl->first_seq = nl->seq;
	nl->tags = tb_grow(nl->tags, &nl->cap, nl->n, sizeof(*nl->tags));
	nl->tags[nl->n++] = tag;
	memset(nl->buf + nl->len, 0, REQ_MAX);
	nlh = mnl_nlmsg_put_header(nl->buf + nl->len);
	nlh->nlmsg_seq = nl->seq++;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

void rtnl_batch_end(struct rtnl *nl, struct nlmsghdr *nlh)
{
	nl->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

int rtnl_batch_flush(struct rtnl *nl, uint32_t *tag)
{
	uint32_t t = 0;
	int rc = batch_send(nl, &t);

	if (nl->pending_err) {
		rc = nl->pending_err;
		t = nl->pending_tag;
		nl->pending_err = 0;
	}
	if (rc && tag)
		*tag = t;
	return rc;
}
