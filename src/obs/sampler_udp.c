/* UDP sockets of the sampler: see sampler_udp.h. */
#include "sampler_udp.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sampler_csv.h"
#include "sampler_filter.h"
#include "util/util.h"

struct sampler_udp {
	char *node;
	struct sampler_match *match;
	unsigned n_match;
	struct sampler_obuf csv;
	int64_t now_ns;       /* of the sample being written */
	uint64_t rows;
	int unavailable;      /* -errno: the kernel has no UDP sock_diag */
	uint8_t bc[2][2048];  /* the matches as bytecode, IPv4 and IPv6 */
	int bc_len[2];        /* -1: no match takes that family */
};

static const int families[2] = { AF_INET, AF_INET6 };

int sampler_udp_open(const char *dir, const char *node, const struct sampler_match *m,
		     unsigned n, struct sampler_udp **out)
{
	struct sampler_udp *u = xcalloc(1, sizeof(*u));
	char *hdr = sampler_csv_udp_header();
	int rc;

	u->node = xstrdup(node);
	u->match = xcalloc(n, sizeof(*m));
	memcpy(u->match, m, n * sizeof(*m));
	u->n_match = n;
	for (int i = 0; i < 2; i++)
		u->bc_len[i] = sampler_bc_build(m, n, families[i], u->bc[i], sizeof(u->bc[i]));
	u->csv.fd = -1;
	rc = sampler_ob_open(&u->csv, dir, node, "udp", hdr);
	free(hdr);
	if (rc) {
		sampler_udp_close(u);
		u = NULL;
	}
	*out = u;
	return rc;
}

static int row_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sampler_udp *u = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	const struct sampler_match *x;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return MNL_CB_OK;
	x = sampler_match_find(u->match, u->n_match, m);
	if (x) {
		sampler_csv_udp_row(&u->csv, u->now_ns, u->node, x->label, nlh, m);
		u->rows++;
	}
	return MNL_CB_OK;
}

/* The dump request of family @i's matched UDP sockets, into @req. */
static struct nlmsghdr *dump_req(const struct sampler_udp *u, int i, char *req)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r->sdiag_family = (uint8_t)families[i];
	r->sdiag_protocol = IPPROTO_UDP;
	r->idiag_states = ~0u; /* UNCONN (TCP_CLOSE) and connected (ESTABLISHED) */
	r->idiag_ext = 1 << (INET_DIAG_SKMEMINFO - 1);
	if (u->bc_len[i] > 0)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, (size_t)u->bc_len[i], u->bc[i]);
	return nlh;
}

/* One dump of family @i: every matched socket through row_cb. 0 or -errno. */
static int dump(struct sampler_udp *u, const struct sampler_nl *nl, int i)
{
	char req[MNL_SOCKET_BUFFER_SIZE];

	return sampler_nl_dump(nl, dump_req(u, i, req), row_cb, u);
}

int sampler_udp_sample(struct sampler_udp *u, const struct sampler_nl *nl, int64_t now_ns)
{
	int rc = 0;

	u->now_ns = now_ns;
	for (int i = 0; i < 2 && !rc && !u->unavailable; i++) {
		if (u->bc_len[i] < 0)
			continue;
		rc = dump(u, nl, i);
		/* inet_diag has no handler for IPPROTO_UDP: no udp_diag */
		if (rc == -ENOENT && !u->rows)
			u->unavailable = rc;
	}
	return u->unavailable ? 0 : rc;
}

uint64_t sampler_udp_rows(const struct sampler_udp *u)
{
	return u ? u->rows : 0;
}

int sampler_udp_unavailable(const struct sampler_udp *u)
{
	return u ? u->unavailable : 0;
}

int sampler_udp_close(struct sampler_udp *u)
{
	int rc;

	if (!u)
		return 0;
	sampler_ob_flush(&u->csv);
	rc = u->csv.err;
	if (u->csv.fd >= 0)
		close(u->csv.fd);
	free(u->csv.p);
	free(u->match);
	free(u->node);
	free(u);
	return rc;
}
