/* inet_diag bytecode and /proc/net parsing for the sampler: see
 * sampler_filter.h. */
#include "sampler_filter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/util.h"

static uint8_t *bc_op(uint8_t *p, uint8_t code, uint8_t yes)
{
	struct inet_diag_bc_op op = { .code = code, .yes = yes };

	memcpy(p, &op, sizeof(op));
	return p + sizeof(op);
}

static uint8_t *bc_addr(uint8_t *p, uint8_t code, int family, const uint8_t *addr)
{
	unsigned alen = family == AF_INET ? 4 : 16;
	struct inet_diag_hostcond c = { .family = (uint8_t)family, .prefix_len = (uint8_t)(8 * alen),
					.port = -1 };

	p = bc_op(p, code, (uint8_t)(sizeof(struct inet_diag_bc_op) + sizeof(c) + alen));
	memcpy(p, &c, sizeof(c));
	memcpy(p + sizeof(c), addr, alen);
	return p + sizeof(c) + alen;
}

static uint8_t *bc_port(uint8_t *p, uint8_t code, uint16_t port)
{
	struct inet_diag_bc_op arg = { .no = port };

	p = bc_op(p, code, 2 * sizeof(arg));
	memcpy(p, &arg, sizeof(arg));
	return p + sizeof(arg);
}

/* Point the "no" of the ops at offsets @at[@from..@to) of @bc to offset @target. */
static void bc_set_no(uint8_t *bc, const size_t *at, size_t from, size_t to, size_t target)
{
	for (size_t k = from; k < to; k++)
		((struct inet_diag_bc_op *)(void *)(bc + at[k]))->no = (uint16_t)(target - at[k]);
}

/* The conditions of match @x at @p, their offsets appended to @cond; returns their end. */
static uint8_t *bc_conds(uint8_t *bc, uint8_t *p, const struct sampler_match *x, int family,
			 size_t *cond, size_t *ncond)
{
	if (x->lport) {
		cond[(*ncond)++] = (size_t)(p - bc);
		p = bc_port(p, INET_DIAG_BC_S_EQ, x->lport);
	}
	if (x->rport) {
		cond[(*ncond)++] = (size_t)(p - bc);
		p = bc_port(p, INET_DIAG_BC_D_EQ, x->rport);
	}
	if (x->has_laddr) {
		cond[(*ncond)++] = (size_t)(p - bc);
		p = bc_addr(p, INET_DIAG_BC_S_COND, family, x->laddr);
	}
	if (x->has_raddr) {
		cond[(*ncond)++] = (size_t)(p - bc);
		p = bc_addr(p, INET_DIAG_BC_D_COND, family, x->raddr);
	}
	return p;
}

/* An OR of ANDs: each condition's "no" jumps to the next match's first
 * condition (the last match's past the end: reject), each match's last
 * "yes" reaches a JMP to the end (accept); the last match needs no JMP. The
 * kernel's audit wants every "no" target on the chain of "yes" jumps, which
 * this layout gives. */
int sampler_bc_build(const struct sampler_match *m, unsigned n, int family, uint8_t *bc,
		     size_t cap)
{
	size_t cond[4 * 64], ncond = 0, jmp[64], njmp = 0, block_first = 0;
	uint8_t *p = bc;
	bool any = false;
	size_t len;

	if (n > ARRAY_SIZE(jmp))
		return 0; /* too many matches for a filter: take everything */
	for (unsigned i = 0; i < n; i++) {
		const struct sampler_match *x = &m[i];

		if (x->family && x->family != family)
			continue;
		if (!x->lport && !x->rport && !x->has_laddr && !x->has_raddr)
			return 0;
		if ((size_t)(p - bc) + 2 * (12 + 16) + 2 * 8 + 4 > cap)
			return 0; /* too many matches for a filter: take everything */
		/* patch the previous block's failures to jump here */
		bc_set_no(bc, cond, block_first, ncond, (size_t)(p - bc));
		block_first = ncond;
		p = bc_conds(bc, p, x, family, cond, &ncond);
		jmp[njmp++] = (size_t)(p - bc);
		p = bc_op(p, INET_DIAG_BC_JMP, sizeof(struct inet_diag_bc_op));
		any = true;
	}
	if (!any)
		return -1;
	/* the last match needs no JMP: its last "yes" is the end */
	p -= sizeof(struct inet_diag_bc_op);
	njmp--;
	len = (size_t)(p - bc);
	bc_set_no(bc, cond, block_first, ncond, len + 4);
	bc_set_no(bc, jmp, 0, njmp, len);
	return (int)len;
}

static bool addr_eq(int family, const uint32_t *a, const uint8_t *b)
{
	return memcmp(a, b, family == AF_INET ? 4 : 16) == 0;
}

const struct sampler_match *sampler_match_find(const struct sampler_match *m, unsigned n,
					       const struct inet_diag_msg *msg)
{
	uint16_t lp = ntohs(msg->id.idiag_sport), rp = ntohs(msg->id.idiag_dport);

	for (unsigned i = 0; i < n; i++) {
		const struct sampler_match *x = &m[i];

		if (x->family && x->family != msg->idiag_family)
			continue;
		if ((x->lport && x->lport != lp) || (x->rport && x->rport != rp))
			continue;
		if (x->has_laddr && !addr_eq(msg->idiag_family, msg->id.idiag_src, x->laddr))
			continue;
		if (x->has_raddr && !addr_eq(msg->idiag_family, msg->id.idiag_dst, x->raddr))
			continue;
		return x;
	}
	return NULL;
}

int sampler_proc_field(const char *buf, const char *prefix, const char *name, bool pairs,
		       long *v)
{
	const char *line = strstr(buf, prefix), *eol, *vals, *p;
	size_t nlen = strlen(name), plen = strlen(prefix) - 1;
	unsigned idx = 0;

	if (!line)
		return -ENOENT;
	line++;
	eol = strchr(line, '\n');
	if (!eol)
		return -ENOENT;
	if (pairs) {
		p = strstr(line, name);
		if (!p || p > eol || p[nlen] != ' ')
			return -ENOENT;
		*v = strtol(p + nlen + 1, NULL, 10);
		return 0;
	}
	vals = eol + 1;
	if (strncmp(vals, line, plen))
		return -ENOENT;
	vals += plen;
	for (p = line + plen; p < eol; idx++) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, name, nlen) && (p[nlen] == ' ' || p[nlen] == '\n'))
			break;
		p += strcspn(p, " \n");
	}
	if (p >= eol)
		return -ENOENT;
	for (char *end; idx--; vals = end)
		strtol(vals, &end, 10);
	*v = strtol(vals, NULL, 10);
	return 0;
}

static int probe_lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0))
		rc = -errno;
	close(fd);
	return rc;
}

/* Wait (a second at most) until the server socket @sfd is in CLOSE-WAIT. */
static void wait_close_wait(int sfd)
{
	for (int i = 0; i < 1000; i++) { /* loopback: the FIN is there at once */
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);

		if (getsockopt(sfd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 && ti.tcpi_state == 8)
			break;
		usleep(1000);
	}
}

/* This namespace's TcpCurrEstab (its snmp file read into @buf): 1 or 0, else -errno or -EPROTO. */
static int curr_estab(char *buf, size_t len)
{
	long v = -1;
	int fd, rc;

	fd = open("/proc/thread-self/net/snmp", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	{
		ssize_t n = read(fd, buf, len - 1);

		rc = n < 0 ? -errno : 0;
		buf[n > 0 ? n : 0] = '\0';
	}
	close(fd);
	if (!rc)
		rc = sampler_proc_field(buf, "\nTcp:", "CurrEstab", false, &v);
	if (!rc)
		rc = v == 1 ? 1 : v == 0 ? 0 : -EPROTO;
	return rc;
}

/* In a fresh namespace: one connection on loopback whose server side is
 * left in CLOSE-WAIT; TcpCurrEstab then says 1 or 0. */
static int probe_in_ns(char *buf, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int lfd = -1, cfd = -1, sfd = -1, rc;

	rc = probe_lo_up();
	if (rc)
		return rc;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || cfd < 0 || bind(lfd, (void *)&a, sizeof(a)) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (void *)&a, &alen) < 0 || connect(cfd, (void *)&a, sizeof(a)) < 0 ||
	    (sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
	}
	close(cfd);
	cfd = -1;
	wait_close_wait(sfd);
	rc = curr_estab(buf, len);
out:
	if (cfd >= 0)
		close(cfd);
	if (sfd >= 0)
		close(sfd);
	if (lfd >= 0)
		close(lfd);
	return rc;
}

static int probe_result = -EAGAIN;

static void probe_once(void)
{
	char *buf = malloc(16384);
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (!buf || self < 0) {
		probe_result = -ENOMEM;
	} else if (unshare(CLONE_NEWNET) < 0) {
		probe_result = -errno;
	} else {
		probe_result = probe_in_ns(buf, 16384);
		if (setns(self, CLONE_NEWNET) < 0) {
			tb_err("cannot return to the original network namespace: %m");
			abort();
		}
	}
	if (self >= 0)
		close(self);
	free(buf);
}

int sampler_currestab_counts_close_wait(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, probe_once);
	return probe_result;
}
