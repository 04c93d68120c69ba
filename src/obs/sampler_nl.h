/* The sock_diag socket of a sampler thread (src/obs/sampler.c), lent to each
 * part of a sample, and one dump through it. */
#ifndef TB_SAMPLER_NL_H
#define TB_SAMPLER_NL_H

#include <libmnl/libmnl.h>
#include <stddef.h>

struct sampler_nl {
	struct mnl_socket *nl;
	unsigned portid;
	unsigned *seq;        /* the socket's last sequence number, advanced */
	char *rxbuf;
	size_t rxlen;
};

/** Send dump request @req (its sequence number taken from ++*nl->seq) and
 * run @cb(@data) on each message of the answer until it ends. 0, or -errno:
 * of the socket, of an NLMSG_ERROR, or the error that ends a dump that failed
 * in the kernel (NLMSG_DONE carries it; libmnl's default callback drops it:
 * inet_diag without a handler for the protocol answers so, -ENOENT). */
int sampler_nl_dump(const struct sampler_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data);

#endif
