/* One sock_diag dump of the sampler: see sampler_nl.h. */
#include "sampler_nl.h"

#include <errno.h>
#include <string.h>

struct dump {
	mnl_cb_t cb;
	void *data;
	int done_err;         /* the error NLMSG_DONE carried; 0: none */
};

static int data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump *d = arg;

	return d->cb(nlh, d->data);
}

static int done_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump *d = arg;
	int err = 0;

	if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	d->done_err = err < 0 ? err : 0;
	return MNL_CB_STOP;
}

int sampler_nl_dump(const struct sampler_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_DONE] = done_cb };
	struct dump d = { .cb = cb, .data = data };
	unsigned seq = ++*nl->seq;

	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->nl, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->nl, nl->rxbuf, nl->rxlen);
		int rc;

		if (n < 0)
			return -errno;
		rc = mnl_cb_run2(nl->rxbuf, (size_t)n, seq, nl->portid, data_cb, &d, ctl,
				 NLMSG_MIN_TYPE);
		if (rc < 0)
			return -errno;
		if (rc == MNL_CB_STOP)
			return d.done_err;
	}
}
