/* tb-synflood: raw-socket TCP SYNs with spoofed IPv4 sources drawn only from
 * --spoof, sent only to --host:--port, at a bounded rate for a bounded time.
 * The caps below are in code on purpose: no option raises them. */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define MAX_PPS 200000.0
#define MAX_DURATION_US (60ull * 1000000)
#define PKT_LEN 44 /* IPv4 20 + TCP 20 + MSS option 4 */
#define BATCH 64

static double opt_rate = 10000;
static uint64_t opt_max_lag = 20000;
static const char *opt_spoof;

static struct wk_opt opts[] = {
	{ "spoof", WK_STRING, &opt_spoof, "PREFIX  IPv4 prefix the source addresses are drawn from (required), e.g. 198.19.128.0/17" },
	{ "rate", WK_REAL, &opt_rate, "R     SYNs per second (default 10000; 0 = the cap, 200000)" },
	{ "max-lag", WK_TIME, &opt_max_lag, "TIME  further behind schedule than this, skip the missed SYNs (default 20ms; 0 = burst them)", NULL, 0, 0 },
	{ NULL },
};

static const struct wk_prog prog = {
	.name = "tb-synflood",
	.summary = "Bounded SYN flood with spoofed sources (IPv4, needs CAP_NET_RAW).",
	.details = "Hard caps: 200000 SYNs/s and 60 s, whatever the options say. --spoof and\n"
		   "--host must lie in private, shared or benchmarking space (10/8, 172.16/12,\n"
		   "192.168/16, 100.64/10, 198.18/15, 192.0.2/24, 198.51.100/24, 203.0.113/24),\n"
		   "and the prefix may not be wider than /8. A sender that fell more than\n"
		   "--max-lag behind its schedule (a stall, or a rate it cannot reach) skips\n"
		   "the SYNs it missed rather than exceed the rate to catch up.\n"
		   "Result: sent, seconds, pps, errors{ERRNO: n}, rate, spoof, skipped, stalls,\n"
		   "lag_max_us.",
	.opts = opts,
	.default_duration_us = 10000000,
	.host_required = true,
};

/* One flood: the prefix the sources come from, the target, the batch of
 * SYNs, the schedule and what went wrong. */
struct flooder {
	int fd, len;
	uint32_t net, mask, daddr;
	uint8_t pkts[BATCH][PKT_LEN];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct wk_errs errs;
	struct wk_pace pace;
};

static bool allowed_space(uint32_t a, int len)
{
	static const struct { uint32_t net; int len; } ok[] = {
		{ 0x0a000000, 8 },  { 0xac100000, 12 }, { 0xc0a80000, 16 }, { 0x64400000, 10 },
		{ 0xc6120000, 15 }, { 0xc0000200, 24 }, { 0xc6336400, 24 }, { 0xcb007100, 24 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint32_t mask = 0xffffffffu << (32 - ok[i].len);

		if (len >= ok[i].len && (a & mask) == ok[i].net)
			return true;
	}
	return false;
}

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint16_t csum(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)(b[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void build(uint8_t *pkt, uint32_t src, uint32_t dst, uint16_t dport)
{
	uint8_t *ip = pkt, *tcp = pkt + 20;
	uint32_t s = htonl(src), d = htonl(dst), seq = (uint32_t)rnd(), sum;
	uint16_t sport = (uint16_t)(1024 + rnd() % 64512), c;

	memset(pkt, 0, PKT_LEN);
	ip[0] = 0x45;
	ip[2] = PKT_LEN >> 8;
	ip[3] = PKT_LEN & 0xff;
	ip[4] = (uint8_t)rnd();
	ip[5] = (uint8_t)rnd();
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	/* The kernel fills the IP checksum of IP_HDRINCL packets. */
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8);
	tcp[3] = (uint8_t)dport;
	seq = htonl(seq);
	memcpy(tcp + 4, &seq, 4);
	tcp[12] = 6 << 4; /* 24-byte header */
	tcp[13] = 0x02;   /* SYN */
	tcp[14] = 0xfa;   /* window 64240 */
	tcp[15] = 0xf0;
	tcp[20] = 2;      /* MSS 1460 */
	tcp[21] = 4;
	tcp[22] = 0x05;
	tcp[23] = 0xb4;
	sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + IPPROTO_TCP + 24;
	c = csum(tcp, 24, sum);
	tcp[16] = (uint8_t)(c >> 8);
	tcp[17] = (uint8_t)c;
}

/* --spoof: an IPv4 prefix in allowed space, into net/mask/len; -1 (said)
 * when it is missing or not. */
static int parse_spoof(struct flooder *f)
{
	char pfx[64], *slash;

	if (!opt_spoof) {
		wk_msg("--spoof is required (the prefix spoofed sources are drawn from)");
		return -1;
	}
	snprintf(pfx, sizeof(pfx), "%s", opt_spoof);
	slash = strchr(pfx, '/');
	if (slash) {
		*slash = 0;
		f->len = atoi(slash + 1);
	}
	if (!slash || f->len < 8 || f->len > 32 || inet_pton(AF_INET, pfx, &f->net) != 1) {
		wk_msg("--spoof: \"%s\" is not an IPv4 prefix ADDR/LEN with LEN 8..32", opt_spoof);
		return -1;
	}
	f->net = ntohl(f->net);
	f->mask = f->len == 32 ? 0xffffffffu : ~(0xffffffffu >> f->len);
	f->net &= f->mask;
	if (!allowed_space(f->net, f->len)) {
		wk_msg("--spoof: %s is outside private/benchmarking address space; refusing", opt_spoof);
		return -1;
	}
	return 0;
}

/* --host: an IPv4 address in allowed space, into daddr; -1 (said) if not. */
static int check_target(struct flooder *f)
{
	const struct sockaddr_in *dst = (const struct sockaddr_in *)&wk.addr;

	if (wk.family != AF_INET) {
		wk_msg("--host: the SYN flood is IPv4 only");
		return -1;
	}
	f->daddr = ntohl(dst->sin_addr.s_addr);
	if (!allowed_space(f->daddr, 32)) {
		wk_msg("--host: %s is outside private/benchmarking address space; refusing", wk.host);
		return -1;
	}
	return 0;
}

/* The hard caps on rate and time (--rate 0 is the cap); -1 (said) above. */
static int check_caps(void)
{
	if (opt_rate < 0 || opt_rate > MAX_PPS) {
		wk_msg("--rate: %g is above the hard cap of %.0f SYNs/s", opt_rate, MAX_PPS);
		return -1;
	}
	if (opt_rate == 0)
		opt_rate = MAX_PPS;
	if (wk.duration_us > MAX_DURATION_US || wk.deadline_us > MAX_DURATION_US + 5000000) {
		wk_msg("--duration/--deadline: above the hard cap of 60 s");
		return -1;
	}
	return 0;
}

/* The raw socket the SYNs leave by; -1 (said) when there is none. */
static int open_socket(void)
{
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		wk_set_exit(errno == EPERM || errno == EACCES ? WK_EXIT_ENV : WK_EXIT_FAIL);
		wk_fail("raw socket: %s (needs CAP_NET_RAW)", strerror(errno));
		return -1;
	}
	return fd;
}

/* A SYN per slot of the batch, each addressed to --host. */
static void init_batch(struct flooder *f)
{
	struct sockaddr_in *dst = (struct sockaddr_in *)&wk.addr;

	for (int i = 0; i < BATCH; i++) {
		f->iov[i].iov_base = f->pkts[i];
		f->iov[i].iov_len = PKT_LEN;
		memset(&f->m[i], 0, sizeof(f->m[i]));
		f->m[i].msg_hdr.msg_iov = &f->iov[i];
		f->m[i].msg_hdr.msg_iovlen = 1;
		f->m[i].msg_hdr.msg_name = dst;
		f->m[i].msg_hdr.msg_namelen = sizeof(*dst);
	}
}

/* The @n SYNs due, from random sources of the prefix, in one sendmmsg; -1
 * when sending keeps failing. */
static int send_batch(struct flooder *f, int n)
{
	for (int i = 0; i < n; i++) {
		uint32_t host = (uint32_t)rnd() & ~f->mask;

		/* Skip the network and broadcast addresses of the prefix. */
		if (f->len <= 30 && (host == 0 || host == ~f->mask))
			host = 1;
		build(f->pkts[i], f->net | host, f->daddr, (uint16_t)wk.port);
	}
	n = sendmmsg(f->fd, f->m, (unsigned)n, 0);
	if (n > 0) {
		f->pace.sent += (uint64_t)n;
	} else if (n < 0 && errno != EINTR) {
		wk_errs_add(&f->errs, errno);
		if (errno == ENOBUFS || errno == EAGAIN)
			usleep(100);
		else if (f->errs.total > 1000) {
			wk_fail("sendmmsg: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Send at --rate until the end (or sending keeps failing). */
static void flood(struct flooder *f)
{
	wk_pace_start(&f->pace, opt_rate, BATCH, opt_max_lag);
	while (!wk_stop) {
		int n = wk_pace_due(&f->pace);

		if (n < 0)
			break;
		if (n == 0) {
			wk_pace_wait(&f->pace);
			continue;
		}
		if (send_batch(f, n) < 0)
			break;
	}
}

static json_t *write_result(struct flooder *f)
{
	double secs = wk_pace_seconds(&f->pace);
	json_t *res;

	res = json_pack("{sI sf sf so sf ss}", "sent", (json_int_t)f->pace.sent, "seconds", secs, "pps",
			secs > 0 ? (double)f->pace.sent / secs : 0.0, "errors", wk_errs_json(&f->errs),
			"rate", opt_rate, "spoof", opt_spoof);
	wk_pace_result(&f->pace, res);
	return res;
}

int main(int argc, char **argv)
{
	struct flooder f = { .len = -1 };
	json_t *res;

	wk_init(&prog, argc, argv);
	if (parse_spoof(&f) < 0 || check_target(&f) < 0 || check_caps() < 0)
		return WK_EXIT_USAGE;
	if (getrandom(&rng, sizeof(rng), 0) != sizeof(rng) || !rng)
		rng = wk_now_ns() | 1;
	f.fd = open_socket();
	if (f.fd < 0)
		return wk_finish(NULL, false);
	init_batch(&f);
	flood(&f);
	res = write_result(&f);
	close(f.fd);
	return wk_finish(res, true);
}
