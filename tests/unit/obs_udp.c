/* <node>-udp.csv: the row of a synthetic inet_diag message (every skmem
 * field, a kernel that gives fewer, IPv6), its header, and the sampler on
 * loopback (no root needed) against a receiver whose buffer is too small for
 * what it is sent: rows for the bound and the connected socket, the queue
 * and the drops the kernel counted. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "obs/sampler.h"
#include "obs/sampler_csv.h"
#include "tap.h"
#include "util/util.h"

#define HEADER                                                                                     \
	"t_s,node,flow,family,src,sport,dst,dport,cookie,state,rqueue,wqueue,inode,rmem_alloc,"    \
	"rcvbuf,wmem_alloc,sndbuf,fwd_alloc,wmem_queued,optmem,backlog,drops\n"

/* A UDP socket's message into @buf: @family, endpoints, state, queues,
 * cookie 0x100000002, inode 77, and @n_mem skmem values 1000, 1001, ... */
static const struct nlmsghdr *msg(char *buf, int family, const char *src, unsigned sport,
				  const char *dst, unsigned dport, unsigned state, unsigned n_mem)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	uint32_t mem[SK_MEMINFO_VARS];

	m->idiag_family = (uint8_t)family;
	m->idiag_state = (uint8_t)state;
	inet_pton(family, src, m->id.idiag_src);
	inet_pton(family, dst, m->id.idiag_dst);
	m->id.idiag_sport = htons((uint16_t)sport);
	m->id.idiag_dport = htons((uint16_t)dport);
	m->id.idiag_cookie[0] = 2;
	m->id.idiag_cookie[1] = 1;
	m->idiag_rqueue = 4608;
	m->idiag_wqueue = 0;
	m->idiag_inode = 77;
	for (unsigned i = 0; i < SK_MEMINFO_VARS; i++)
		mem[i] = 1000 + i;
	if (n_mem)
		mnl_attr_put(nlh, INET_DIAG_SKMEMINFO, n_mem * sizeof(uint32_t), mem);
	return nlh;
}

/* The row sampler_csv_udp_row writes for @nlh at 1.5 s, node n1, flow m. */
static const char *row(const struct nlmsghdr *nlh)
{
	static char out[1024];
	struct sampler_obuf b = { .fd = -1, .p = out, .cap = sizeof(out) - 1 };

	sampler_csv_udp_row(&b, 1500000000, "n1", "m", nlh, mnl_nlmsg_get_payload(nlh));
	out[b.len] = '\0';
	return out;
}

static void test_rows(void)
{
	char buf[512] __attribute__((aligned(4)));
	char *hdr = sampler_csv_udp_header();

	tap_is_str(hdr, HEADER, "udp.csv header: the socket, its queues, then skmem as ss -m");
	free(hdr);
	tap_is_str(row(msg(buf, AF_INET, "10.0.0.1", 40000, "10.0.0.2", 5001, 1, SK_MEMINFO_VARS)),
		   "1.500000,n1,m,4,10.0.0.1,40000,10.0.0.2,5001,4294967298,ESTAB,4608,0,77,"
		   "1000,1001,1002,1003,1004,1005,1006,1007,1008\n",
		   "a connected socket: both ports, ESTAB, every skmem field, drops last");
	tap_is_str(row(msg(buf, AF_INET, "0.0.0.0", 5001, "0.0.0.0", 0, 7, 4)),
		   "1.500000,n1,m,4,0.0.0.0,5001,0.0.0.0,0,4294967298,UNCONN,4608,0,77,"
		   "1000,1001,1002,1003,,,,,\n",
		   "a bound server socket is UNCONN; fields the kernel did not give are empty");
	tap_is_str(row(msg(buf, AF_INET6, "fd00::2", 443, "::", 0, 7, 0)),
		   "1.500000,n1,m,6,fd00::2,443,::,0,4294967298,UNCONN,4608,0,77,,,,,,,,,\n",
		   "IPv6, without SKMEMINFO: the socket's columns, skmem empty");
}

/* A UDP socket on 127.0.0.1 (bound to @port, or connected to it), 0 or -1. */
static int udp_socket(unsigned *port, bool connected)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)*port) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), small = 1024;

	if (fd < 0)
		return -1;
	if (connected)
		return connect(fd, (void *)&a, sizeof(a)) < 0 ? -1 : fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (bind(fd, (void *)&a, sizeof(a)) < 0 || getsockname(fd, (void *)&a, &len) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

/* Field @i of CSV line @line (copied out), "" past its end. */
static const char *nth(const char *line, int i)
{
	static char out[64];

	for (; i > 0 && line; i--) {
		line = strchr(line, ',');
		line = line ? line + 1 : NULL;
	}
	snprintf(out, sizeof(out), "%.*s", line ? (int)strcspn(line, ",\n") : 0, line ? line : "");
	return out;
}

/* Index of column @name in header line @hdr, -1 when absent. */
static int col(const char *hdr, const char *name)
{
	for (int i = 0; *nth(hdr, i); i++)
		if (!strcmp(nth(hdr, i), name))
			return i;
	return -1;
}

struct udp_seen {
	int rows, server_rows, client_rows;
	long max_drops, max_rqueue;
	char rcvbuf[32];
};

/* What lo-udp.csv of @dir holds about the server (port @port, UNCONN) and
 * its client (dport @port, ESTAB). */
static void read_udp_csv(const char *dir, unsigned port, struct udp_seen *u)
{
	char path[256], hdr[1024], line[1024];
	FILE *f;

	memset(u, 0, sizeof(*u));
	snprintf(path, sizeof(path), "%s/lo-udp.csv", dir);
	f = fopen(path, "r");
	if (!f || !fgets(hdr, sizeof(hdr), f)) {
		if (f)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		bool srv = atoi(nth(line, col(hdr, "sport"))) == (int)port &&
			   !strcmp(nth(line, col(hdr, "state")), "UNCONN");
		long d = atol(nth(line, col(hdr, "drops"))), q = atol(nth(line, col(hdr, "rqueue")));

		u->rows += !strcmp(nth(line, col(hdr, "flow")), "m");
		u->server_rows += srv;
		u->client_rows += atoi(nth(line, col(hdr, "dport"))) == (int)port &&
				  !strcmp(nth(line, col(hdr, "state")), "ESTAB");
		if (srv && d > u->max_drops)
			u->max_drops = d;
		if (srv && q > u->max_rqueue)
			u->max_rqueue = q;
		if (srv)
			snprintf(u->rcvbuf, sizeof(u->rcvbuf), "%s", nth(line, col(hdr, "rcvbuf")));
	}
	fclose(f);
}

/* 200 datagrams of 1000 bytes into a receiver with the smallest buffer, never read. */
static void flood(int cfd)
{
	char d[1000] = { 0 };

	for (int i = 0; i < 200; i++)
		if (send(cfd, d, sizeof(d), 0) < 0)
			break;
}

static void test_loopback(void)
{
	char dir[] = "/tmp/obs_udp.XXXXXX", path[256];
	struct sampler_match m[2] = { { .label = "m" }, { .label = "m" } };
	struct sampler_opts o = { .nsfd = -1, .node = "lo", .interval_us = 10000, .udp_match = m,
				  .n_udp_match = 2 };
	struct timespec d = { 0, 100 * 1000000 };
	struct sampler_stats st;
	struct sampler *s;
	struct udp_seen u;
	unsigned port = 0;
	int sfd = udp_socket(&port, false), cfd = sfd < 0 ? -1 : udp_socket(&port, true);

	if (cfd < 0 || !mkdtemp(dir))
		tap_bail("loopback UDP setup: %s", strerror(errno));
	m[0].lport = m[1].rport = (uint16_t)port;
	o.dir = dir;
	clock_gettime(CLOCK_MONOTONIC, &o.t0);
	if (!tap_ok(sampler_start(&o, &s) == 0, "sampler_start with two UDP matches"))
		return;
	flood(cfd);
	nanosleep(&d, NULL);
	tap_ok(sampler_stop(s, &st) == 0, "sampler_stop");
	read_udp_csv(dir, port, &u);
	tap_diag("samples %llu, udp rows %llu (server %d, client %d), max drops %ld, max rqueue %ld, "
		 "rcvbuf %s, sample max %llu us", (unsigned long long)st.samples,
		 (unsigned long long)st.udp_rows, u.server_rows, u.client_rows, u.max_drops,
		 u.max_rqueue, u.rcvbuf, (unsigned long long)st.max_sample_ns / 1000);
	if (st.udp_unavailable) {
		tap_skip("UDP sock_diag unavailable here: %s", strerror(-st.udp_unavailable));
	} else {
		tap_ok(st.udp && st.udp_rows == (uint64_t)u.rows && u.rows > 0,
		       "udp_rows counts the rows of lo-udp.csv, all labelled m (%d)", u.rows);
		tap_ok(u.server_rows >= 5 && u.client_rows == u.server_rows,
		       "a row per sample for the bound server and its connected client (%d, %d)",
		       u.server_rows, u.client_rows);
		tap_ok(u.max_drops > 0 && u.max_rqueue > 0,
		       "the flooded receiver: queue %ld, drops %ld", u.max_rqueue, u.max_drops);
	}
	close(cfd);
	close(sfd);
	if (getenv("OBS_KEEP"))
		return;
	snprintf(path, sizeof(path), "%s/lo-udp.csv", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lo-tcp.csv", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lo-states.csv", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_rows();
	test_loopback();
	return tap_done();
}
