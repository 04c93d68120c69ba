/* Packet ladder of a TCP connection or QUIC flow: see ladder.h. Two passes
 * over the file: the first numbers the connections, the second prints one
 * (TLS and QUIC labels from ladder_proto.h). */
#include "ladder.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "ladder_proto.h"
#include "util/util.h"

enum { F_FIN = 1, F_SYN = 2, F_RST = 4, F_PSH = 8, F_ACK = 16, F_URG = 32, F_ECE = 64, F_CWR = 128 };

struct pkt {
	int family;
	uint8_t proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack, len;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opt;
	unsigned optlen;
	const uint8_t *pl;      /* the payload: len bytes, plcap of them captured */
	unsigned plcap;
	int64_t t_us;
};

struct conn {
	int family;
	uint8_t proto;          /* IPPROTO_TCP, or IPPROTO_UDP: a QUIC flow */
	uint8_t a[16], b[16];   /* A: the side that sent the SYN (else the first sender) */
	uint16_t ap, bp;
	bool have_syn;
	uint32_t isn;
	uint64_t packets;
	int64_t t_first, t_last;
	uint8_t seen;           /* flags seen, OR-ed */
};

_Static_assert(LQ_N == sizeof(((struct ladder_summary *)0)->quic_pkts[0]) / sizeof(unsigned),
	       "ladder_summary.quic_pkts has one count per QUIC packet kind");

struct table {
	struct conn *c;
	size_t n, cap;
	uint32_t *slot;         /* hash of the 4-tuple -> conn index + 1 (latest) */
	size_t nslot;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Where the IP header of a @dlt frame starts, its EtherType in *@proto; NULL if nowhere. */
static const uint8_t *link_payload(int dlt, const struct pcap_pkthdr *h, const uint8_t *b,
				   uint16_t *proto)
{
	const uint8_t *end = b + h->caplen, *ip;

	switch (dlt) {
	case DLT_EN10MB:
		if (h->caplen < 14)
			return NULL;
		*proto = rd16(b + 12);
		ip = b + 14;
		while ((*proto == 0x8100 || *proto == 0x88a8) && ip + 4 <= end) {
			*proto = rd16(ip + 2);
			ip += 4;
		}
		return ip;
	case DLT_LINUX_SLL:
		if (h->caplen < 16)
			return NULL;
		*proto = rd16(b + 14);
		return b + 16;
	case DLT_LINUX_SLL2:
		if (h->caplen < 20)
			return NULL;
		*proto = rd16(b);
		return b + 20;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return b;
	default:
		return NULL;
	}
}

static bool tcp_or_udp(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

/* An IPv4 first fragment carrying TCP or UDP into @p, *@tcp and *@iplen; -1 when not. */
static int ipv4_header(const uint8_t *ip, const uint8_t *end, struct pkt *p,
		       const uint8_t **tcp, unsigned *iplen)
{
	unsigned ihl = (ip[0] & 15u) * 4;

	if (ip + 20 > end || ihl < 20 || !tcp_or_udp(ip[9]) || (rd16(ip + 6) & 0x1fff))
		return -1;
	p->family = AF_INET;
	p->proto = ip[9];
	memcpy(p->src, ip + 12, 4);
	memcpy(p->dst, ip + 16, 4);
	*iplen = rd16(ip + 2);
	if (*iplen < ihl)
		return -1;
	*iplen -= ihl;
	*tcp = ip + ihl;
	return 0;
}

/* IPv6 with TCP or UDP next (extension headers are not followed), as ipv4_header. */
static int ipv6_header(const uint8_t *ip, const uint8_t *end, struct pkt *p,
		       const uint8_t **tcp, unsigned *iplen)
{
	if (ip + 40 > end || !tcp_or_udp(ip[6]))
		return -1;
	p->family = AF_INET6;
	p->proto = ip[6];
	memcpy(p->src, ip + 8, 16);
	memcpy(p->dst, ip + 24, 16);
	*iplen = rd16(ip + 4);
	*tcp = ip + 40;
	return 0;
}

/* The IP header at @ip, of the version EtherType @proto (0: any) announces. */
static int ip_header(const uint8_t *ip, const uint8_t *end, uint16_t proto, struct pkt *p,
		     const uint8_t **tcp, unsigned *iplen)
{
	unsigned ipver = ip[0] >> 4;

	if (proto && !((proto == 0x0800 && ipver == 4) || (proto == 0x86dd && ipver == 6)))
		return -1;
	memset(p->src, 0, 16);
	memset(p->dst, 0, 16);
	if (ipver == 4)
		return ipv4_header(ip, end, p, tcp, iplen);
	if (ipver == 6)
		return ipv6_header(ip, end, p, tcp, iplen);
	return -1;
}

/* The TCP header at @tcp of a segment of @iplen bytes into @p. */
static int tcp_header(const uint8_t *tcp, const uint8_t *end, unsigned iplen, struct pkt *p)
{
	unsigned thl;

	if (tcp + 20 > end)
		return -1;
	thl = (tcp[12] >> 4) * 4u;
	if (thl < 20 || iplen < thl)
		return -1;
	p->sport = rd16(tcp);
	p->dport = rd16(tcp + 2);
	p->seq = rd32(tcp + 4);
	p->ack = rd32(tcp + 8);
	p->flags = tcp[13];
	p->win = rd16(tcp + 14);
	p->len = iplen - thl; /* from the IP header: the snaplen cuts payloads */
	p->opt = tcp + 20;
	p->optlen = tcp + thl <= end ? thl - 20 : (unsigned)(end - p->opt > 0 ? end - p->opt : 0);
	p->pl = tcp + thl;
	p->plcap = p->pl < end ? (unsigned)(end - p->pl) : 0;
	if (p->plcap > p->len)
		p->plcap = p->len;
	return 0;
}

/* The UDP header at @udp of a datagram of @iplen bytes into @p: no flags,
 * sequence numbers or window. */
static int udp_header(const uint8_t *udp, const uint8_t *end, unsigned iplen, struct pkt *p)
{
	if (udp + 8 > end || iplen < 8)
		return -1;
	p->sport = rd16(udp);
	p->dport = rd16(udp + 2);
	p->seq = p->ack = p->flags = p->win = 0;
	p->optlen = 0;
	p->opt = NULL;
	p->len = iplen - 8;
	p->pl = udp + 8;
	p->plcap = (unsigned)(end - p->pl) < p->len ? (unsigned)(end - p->pl) : p->len;
	return 0;
}

/* IP + TCP or UDP from one frame; -1 when it is neither (or a later fragment). */
static int parse(int dlt, const struct pcap_pkthdr *h, const uint8_t *b, struct pkt *p)
{
	const uint8_t *end = b + h->caplen, *ip, *tcp;
	unsigned iplen;
	uint16_t proto = 0;

	p->t_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	ip = link_payload(dlt, h, b, &proto);
	if (!ip || ip >= end)
		return -1;
	if (ip_header(ip, end, proto, p, &tcp, &iplen))
		return -1;
	if (p->proto == IPPROTO_UDP)
		return udp_header(tcp, end, iplen, p);
	return tcp_header(tcp, end, iplen, p);
}

static uint32_t hash_pkt(const struct pkt *p)
{
	/* symmetric: both directions land in the same slot */
	uint32_t h = 2166136261u;
	size_t n = p->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint32_t)(p->src[i] ^ p->dst[i])) * 16777619u;
	h ^= (uint32_t)(p->sport ^ p->dport) * 2654435761u;
	h ^= (uint32_t)(p->sport + p->dport);
	return h;
}

static int dir_of(const struct conn *c, const struct pkt *p)
{
	size_t n = c->family == AF_INET ? 4 : 16;

	if (c->family != p->family || c->proto != p->proto)
		return -1;
	if (c->ap == p->sport && c->bp == p->dport && !memcmp(c->a, p->src, n) &&
	    !memcmp(c->b, p->dst, n))
		return 0;
	if (c->bp == p->sport && c->ap == p->dport && !memcmp(c->b, p->src, n) &&
	    !memcmp(c->a, p->dst, n))
		return 1;
	return -1;
}

static void table_rehash(struct table *t)
{
	size_t ns = t->nslot ? t->nslot * 2 : 1024;
	uint32_t *slot = xcalloc(ns, sizeof(*slot));

	/* later connections overwrite earlier ones with the same tuple */
	for (size_t i = 0; i < t->n; i++) {
		struct pkt k = { .family = t->c[i].family, .proto = t->c[i].proto,
				 .sport = t->c[i].ap, .dport = t->c[i].bp };
		size_t j;

		memcpy(k.src, t->c[i].a, 16);
		memcpy(k.dst, t->c[i].b, 16);
		for (j = hash_pkt(&k) & (ns - 1); slot[j]; j = (j + 1) & (ns - 1))
			if (dir_of(&t->c[slot[j] - 1], &k) >= 0)
				break;
		slot[j] = (uint32_t)i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = ns;
}

/* Whether @p belongs to a connection of @t: then t->slot[*@j] holds it and
 * *@dir is @p's direction; else *@j is the slot a new one would take. */
static bool lookup(struct table *t, const struct pkt *p, size_t *j, int *dir)
{
	bool syn = (p->flags & (F_SYN | F_ACK)) == F_SYN;

	if (2 * (t->n + 1) > t->nslot)
		table_rehash(t);
	for (*j = hash_pkt(p) & (t->nslot - 1); t->slot[*j]; *j = (*j + 1) & (t->nslot - 1)) {
		const struct conn *c = &t->c[t->slot[*j] - 1];

		*dir = dir_of(c, p);
		if (*dir < 0)
			continue;
		/* a new SYN on a used tuple is a new connection */
		return !(syn && ((c->have_syn && c->isn != p->seq) || (c->seen & (F_FIN | F_RST))));
	}
	return false;
}

/* A new connection of @p in slot @j of @t; its direction in *@dir. */
static struct conn *add_conn(struct table *t, const struct pkt *p, size_t j, int *dir)
{
	/* a lone SYN/ACK: its receiver is the client */
	bool rev = p->proto == IPPROTO_TCP && (p->flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK);
	struct conn *c;

	t->c = tb_grow(t->c, &t->cap, t->n, sizeof(*t->c));
	c = &t->c[t->n];
	memset(c, 0, sizeof(*c));
	c->family = p->family;
	c->proto = p->proto;
	memcpy(c->a, rev ? p->dst : p->src, 16);
	memcpy(c->b, rev ? p->src : p->dst, 16);
	c->ap = rev ? p->dport : p->sport;
	c->bp = rev ? p->sport : p->dport;
	c->t_first = p->t_us;
	t->slot[j] = (uint32_t)++t->n;
	*dir = rev;
	return c;
}

/* The connection @p belongs to, and its direction: a TCP segment's, created
 * when new; a UDP datagram's, created when it starts with a QUIC long
 * header; SIZE_MAX for other UDP. */
static size_t classify(struct table *t, const struct pkt *p, int *dir)
{
	size_t j;
	struct conn *c;
	bool syn = (p->flags & (F_SYN | F_ACK)) == F_SYN;

	if (lookup(t, p, &j, dir))
		c = &t->c[t->slot[j] - 1];
	else if (p->proto == IPPROTO_TCP || ladder_quic_long(p->pl, p->plcap, p->len))
		c = add_conn(t, p, j, dir);
	else
		return SIZE_MAX;
	if (syn && !c->have_syn) {
		c->have_syn = true;
		c->isn = p->seq;
	}
	c->seen |= p->flags;
	c->packets++;
	c->t_last = p->t_us;
	return (size_t)(c - t->c);
}

static void fmt_ep(int family, const uint8_t *a, uint16_t port, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(family, a, s, sizeof(s));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", s, port);
}

static void fmt_flags(uint8_t f, char *buf)
{
	char *s = buf;

	if (f & F_SYN) *s++ = 'S';
	if (f & F_FIN) *s++ = 'F';
	if (f & F_RST) *s++ = 'R';
	if (f & F_PSH) *s++ = 'P';
	if (f & F_URG) *s++ = 'U';
	if (f & F_ECE) *s++ = 'E';
	if (f & F_CWR) *s++ = 'W';
	if (f & F_ACK) *s++ = '.';
	*s = '\0';
}

/* tcpdump-style option list; SACK blocks relative to @base (the peer's ISN). */
static void fmt_opts(const struct pkt *p, uint32_t base, char *buf, size_t len)
{
	const uint8_t *o = p->opt, *end = p->opt + p->optlen;
	size_t n = 0;

	buf[0] = '\0';
#define PUT(...) n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__)
	while (o < end && n < len) {
		unsigned kind = o[0], ol;

		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		if (o + 2 > end || (ol = o[1]) < 2 || o + ol > end)
			break;
		if (n)
			PUT(",");
		if (kind == 2 && ol == 4)
			PUT("mss %u", rd16(o + 2));
		else if (kind == 3 && ol == 3)
			PUT("wscale %u", o[2]);
		else if (kind == 4)
			PUT("sackOK");
		else if (kind == 8 && ol == 10)
			PUT("TS val %u ecr %u", rd32(o + 2), rd32(o + 6));
		else if (kind == 5) {
			PUT("sack");
			for (unsigned i = 2; i + 8 <= ol; i += 8)
				PUT(" %u:%u", rd32(o + i) - base, rd32(o + i + 4) - base);
		} else if (kind == 34)
			PUT("tfo");
		else if (kind == 30)
			PUT("mptcp");
		else
			PUT("opt-%u", kind);
		o += ol;
	}
#undef PUT
}

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static double ms(int64_t us)
{
	return (double)us / 1000.0;
}

/* Per-direction state while printing one connection. */
struct side {
	bool have_base;
	uint32_t base, max_end;
};

/* The summary's TLS line: version, resumption, early data, times. */
static void print_tls(FILE *out, const struct ladder_summary *s)
{
	unsigned v = s->tls_version;

	if (s->t_client_hello < 0 && !v)
		return;
	fprintf(out, "  tls: %s", v == 0x0304 ? "TLS 1.3" : v == 0x0303 ? "TLS 1.2" :
			       v ? "TLS 1.1 or older" : s->t_server_hello >= 0 ?
			       "the ServerHello's version was not captured" : "no ServerHello in the capture");
	if (s->tls_version_inferred)
		fprintf(out, " (the ServerHello's extensions were not captured: taken from the records after it)");
	if (s->tls_hrr)
		fprintf(out, " after a HelloRetryRequest");
	if (v && !s->tls_version_inferred)
		fprintf(out, s->tls_psk_accepted ? ", resumed" : s->tls_psk_offered ?
			"; resumption offered, not accepted: full handshake" : ", full handshake");
	if (s->tls_early_offered || s->tls_early_records)
		fprintf(out, "; early data offered, %u record%s before the server's flight",
			s->tls_early_records, s->tls_early_records == 1 ? "" : "s");
	fprintf(out, "\n   ");
	if (s->t_client_hello >= 0)
		fprintf(out, " ClientHello %.3f ms;", ms(s->t_client_hello));
	if (s->t_server_hello >= 0)
		fprintf(out, " ServerHello %.3f ms;", ms(s->t_server_hello));
	if (s->t_client_finished >= 0)
		fprintf(out, " client Finished %.3f ms;", ms(s->t_client_finished));
	if (s->t_client_hello >= 0 && s->t_client_finished >= 0)
		fprintf(out, " ClientHello -> client Finished %.3f ms",
			ms(s->t_client_finished - s->t_client_hello));
	fprintf(out, "\n");
}

/* The summary of a QUIC flow: datagrams, first each way, packets by kind. */
static void print_quic_summary(FILE *out, const struct ladder_summary *s)
{
	const char *nm[2] = { "A->B", "B->A" };
	unsigned n;

	fprintf(out, "\nsummary: %llu datagrams over %.3f ms (QUIC)\n", (unsigned long long)s->packets,
		ms(s->t_last));
	for (int d = 0; d < 2; d++) {
		if (s->t_data[d] < 0) {
			fprintf(out, "  %s: none\n", nm[d]);
			continue;
		}
		fprintf(out, "  %s: first datagram %.3f ms; packets:", nm[d], ms(s->t_data[d]));
		n = 0;
		for (int k = 0; k < LQ_N; k++)
			if (s->quic_pkts[d][k])
				fprintf(out, "%s %s %u", n++ ? "," : "", ladder_quic_name(k),
					s->quic_pkts[d][k]);
		fprintf(out, "\n");
	}
}

static void print_summary(FILE *out, const struct ladder_summary *s)
{
	const char *nm[2] = { "A->B", "B->A" };

	if (s->quic) {
		print_quic_summary(out, s);
		return;
	}

	fprintf(out, "\nsummary: %llu packets over %.3f ms\n", (unsigned long long)s->packets,
		ms(s->t_last));
	if (s->handshake_us >= 0)
		fprintf(out, "  handshake: RTT %.3f ms (SYN -> SYN/ACK %.3f ms, SYN/ACK -> ACK %.3f ms)\n",
			ms(s->handshake_us), ms(s->t_synack - s->t_syn), ms(s->t_ack - s->t_synack));
	else
		fprintf(out, "  handshake: not complete in this capture\n");
	for (int d = 0; d < 2; d++) {
		if (s->t_data[d] >= 0)
			fprintf(out, "  first data byte %s: %.3f ms\n", nm[d], ms(s->t_data[d]));
		else
			fprintf(out, "  first data byte %s: none\n", nm[d]);
	}
	if (s->tfo)
		fprintf(out, "  TCP Fast Open: the SYN carried data\n");
	print_tls(out, s);
	fprintf(out, "  retransmissions: A->B %u (%llu bytes), B->A %u (%llu bytes)\n", s->retrans[0],
		(unsigned long long)s->retrans_bytes[0], s->retrans[1],
		(unsigned long long)s->retrans_bytes[1]);
	fprintf(out, "  close:");
	if (s->t_fin[0] < 0 && s->t_fin[1] < 0 && s->t_rst < 0)
		fprintf(out, " not closed in this capture");
	for (int d = 0; d < 2; d++)
		if (s->t_fin[d] >= 0)
			fprintf(out, " FIN %s %.3f ms;", nm[d], ms(s->t_fin[d]));
	if (s->t_rst >= 0)
		fprintf(out, " RST %.3f ms;", ms(s->t_rst));
	if (s->t_fin[0] >= 0 || s->t_fin[1] >= 0)
		fprintf(out, " %s closed first", s->t_fin[1] < 0 || (s->t_fin[0] >= 0 && s->t_fin[0] <= s->t_fin[1]) ? "A" : "B");
	fprintf(out, "\n");
}

/* The handshake's times: A's SYN, B's SYN/ACK, and A's ACK of it, noted with the RTT. */
static void note_handshake(const struct pkt *p, int d, int64_t t, const struct side *peer,
			   struct ladder_summary *s, char *note, size_t len)
{
	bool syn = p->flags & F_SYN;

	if (syn && !(p->flags & F_ACK) && d == 0 && s->t_syn < 0)
		s->t_syn = t;
	else if (syn && (p->flags & F_ACK) && d == 1 && s->t_synack < 0)
		s->t_synack = t;
	else if (!syn && (p->flags & F_ACK) && d == 0 && s->t_synack >= 0 && s->t_ack < 0 &&
		 peer->have_base && p->ack == peer->base + 1) {
		s->t_ack = t;
		if (s->t_syn >= 0) {
			s->handshake_us = t - s->t_syn;
			snprintf(note, len, "handshake done: RTT %.3f ms", ms(s->handshake_us));
		}
	}
}

/* One packet's line: time, direction, flags, seq, ack, length, window, options and note. */
static void print_packet(FILE *out, const struct pkt *p, int d, int64_t t, const struct side *me,
			 const struct side *peer, const char *note)
{
	char flags[12], opts[256];

	fmt_flags(p->flags, flags);
	fmt_opts(p, peer->have_base ? peer->base : 0, opts, sizeof(opts));
	fprintf(out, "%10.3f  %s  %-4s %10u %10u %6u %6u  %s%s%s\n", ms(t), d ? "<--" : "-->",
		flags, p->seq - me->base,
		(p->flags & F_ACK) && peer->have_base ? p->ack - peer->base : 0, p->len, p->win,
		opts, note[0] ? (opts[0] ? "  # " : "# ") : "", note);
}

/* A UDP datagram's line: no flags, seq, ack or window. */
static void print_datagram(FILE *out, const struct pkt *p, int d, int64_t t, const char *note)
{
	fprintf(out, "%10.3f  %s  %-4s %10s %10s %6u %6s  %s%s\n", ms(t), d ? "<--" : "-->", "udp",
		"-", "-", p->len, "-", note[0] ? "# " : "", note);
}

/* The TCP events of one segment: the handshake, a retransmission, the
 * first data byte, FIN and RST; noted in @note (size @n), counted in @s. */
static void tcp_events(const struct pkt *p, int d, int64_t t, struct side *sd,
		       struct ladder_summary *s, char *note, size_t n)
{
	struct side *me = &sd[d], *peer = &sd[1 - d];
	uint32_t span = p->len + !!(p->flags & F_SYN) + !!(p->flags & F_FIN);

	if (!me->have_base) {
		me->have_base = true;
		me->base = p->flags & F_SYN ? p->seq : p->seq - 1;
		me->max_end = p->seq;
	}
	note_handshake(p, d, t, peer, s, note, n);
	if (span && seq_lt(p->seq, me->max_end)) {
		s->retrans[d]++;
		s->retrans_bytes[d] += p->len;
		snprintf(note, n, "retransmission");
	} else if (span) {
		me->max_end = p->seq + span;
	}
	if (p->len && s->t_data[d] < 0) {
		s->t_data[d] = t;
		if (!note[0])
			snprintf(note, n, "first data byte %s", d ? "B->A" : "A->B");
	}
	if ((p->flags & F_FIN) && s->t_fin[d] < 0) {
		s->t_fin[d] = t;
		snprintf(note, n, "%s closes (FIN)", d ? "B" : "A");
	}
	if ((p->flags & F_RST) && s->t_rst < 0) {
		s->t_rst = t;
		snprintf(note, n, "reset (RST from %s)", d ? "B" : "A");
	}
}

/* What the segment carries above TCP, after its TCP @note: data on a SYN
 * (TCP Fast Open) and the TLS records that start in it. */
static void tcp_payload(const struct pkt *p, int d, int64_t t, struct ladder_tls *tls,
			struct ladder_summary *s, char *note, size_t n)
{
	bool syn = p->flags & F_SYN;
	char lbl[320] = "";

	if (syn && p->len && !(p->flags & F_ACK)) {
		s->tfo = true;
		ladder_label_add(note, n, "%sSYN+data (TFO)", note[0] ? "; " : "");
	}
	/* data on a SYN starts at ISN + 1 */
	ladder_tls_segment(tls, d, p->seq + syn, p->pl, p->plcap, p->len, t, lbl, sizeof(lbl));
	if (lbl[0])
		ladder_label_add(note, n, "%sTLS %s", note[0] ? "; " : "", lbl);
}

/* What replaying one connection carries from packet to packet. */
struct replay {
	struct side sd[2];
	struct ladder_tls tls;
};

/* Print one packet of the chosen connection and update the summary. */
static void step(FILE *out, bool quiet, const struct pkt *p, int d, int64_t t0, struct replay *r,
		 struct ladder_summary *s)
{
	int64_t t = p->t_us - t0;
	char note[512] = "";

	if (p->proto == IPPROTO_UDP) {
		if (s->t_data[d] < 0)
			s->t_data[d] = t;
		ladder_quic_datagram(p->pl, p->plcap, p->len, true, note, sizeof(note), s->quic_pkts[d]);
	} else {
		tcp_events(p, d, t, r->sd, s, note, sizeof(note));
		tcp_payload(p, d, t, &r->tls, s, note, sizeof(note));
	}
	s->packets++;
	s->t_last = t;
	if (quiet)
		return;
	if (p->proto == IPPROTO_UDP)
		print_datagram(out, p, d, t, note);
	else
		print_packet(out, p, d, t, &r->sd[d], &r->sd[1 - d], note);
}

/* The TLS the replay saw, into the summary. */
static void summary_tls(struct ladder_summary *s, const struct ladder_tls *tls)
{
	s->tls_version = tls->sh ? tls->version : 0;
	s->tls_version_inferred = tls->version_inferred;
	s->tls_psk_offered = tls->psk_offered;
	s->tls_early_offered = tls->early_offered;
	s->tls_psk_accepted = tls->psk_accepted || tls->resumed12;
	s->tls_hrr = tls->hrr;
	s->tls_early_records = tls->early_records;
	s->t_client_hello = tls->t_ch;
	s->t_server_hello = tls->t_sh;
	s->t_client_finished = tls->t_cfin;
}

static pcap_t *open_file(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *h = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, err);

	if (!h)
		tb_err("ladder: %s", err);
	return h;
}

/* The connection of every TCP packet of a capture, in file order. */
struct owners {
	uint32_t *v;
	size_t n, cap;
};

/* @path opened, its link type in *@dlt; NULL (reported): unreadable or not supported. */
static pcap_t *open_capture(const char *path, int *dlt)
{
	pcap_t *pc = open_file(path);

	if (!pc)
		return NULL;
	*dlt = pcap_datalink(pc);
	if (*dlt != DLT_EN10MB && *dlt != DLT_LINUX_SLL && *dlt != DLT_LINUX_SLL2 &&
	    *dlt != DLT_RAW && *dlt != DLT_IPV4 && *dlt != DLT_IPV6) {
		tb_err("ladder: %s: link type %s is not supported", path,
		       pcap_datalink_val_to_name(*dlt) ? pcap_datalink_val_to_name(*dlt) : "?");
		pcap_close(pc);
		return NULL;
	}
	return pc;
}

/* First pass: number the connections of @path into @t, each packet's in @ow. */
static int number_conns(const char *path, int *dlt, struct table *t, struct owners *ow)
{
	struct pcap_pkthdr *h;
	const u_char *bytes;
	pcap_t *pc = open_capture(path, dlt);
	struct pkt p;
	int rc, dir;

	if (!pc)
		return -EINVAL;
	while ((rc = pcap_next_ex(pc, &h, &bytes)) == 1) {
		if (parse(*dlt, h, bytes, &p))
			continue;
		ow->v = tb_grow(ow->v, &ow->cap, ow->n, sizeof(*ow->v));
		ow->v[ow->n++] = (uint32_t)classify(t, &p, &dir); /* SIZE_MAX: UINT32_MAX, none */
	}
	if (rc == PCAP_ERROR)
		tb_warn("ladder: %s: %s (reading what came before)", path, pcap_geterr(pc));
	pcap_close(pc);
	return 0;
}

/* One line per connection of @t. */
static void list_conns(FILE *out, const struct table *t)
{
	char ea[64], eb[64];

	fprintf(out, "%4s  %-45s %-45s %8s %10s %10s  %s\n", "conn", "A (client)", "B", "packets",
		"start_ms", "dur_ms", "flags");
	for (size_t i = 0; i < t->n; i++) {
		const struct conn *c = &t->c[i];

		fmt_ep(c->family, c->a, c->ap, ea, sizeof(ea));
		fmt_ep(c->family, c->b, c->bp, eb, sizeof(eb));
		fprintf(out, "%4zu  %-45s %-45s %8llu %10.3f %10.3f  %s%s%s\n", i + 1, ea, eb,
			(unsigned long long)c->packets, ms(c->t_first - t->c[0].t_first),
			ms(c->t_last - c->t_first), c->proto == IPPROTO_UDP ? "QUIC" : c->have_syn ? "SYN " : "",
			c->seen & F_FIN ? "FIN " : "", c->seen & F_RST ? "RST" : "");
	}
}

/* The summary of connection @want of @t before its packets: nothing seen. */
static void summary_start(struct ladder_summary *s, const struct table *t, size_t want)
{
	const struct conn *c = &t->c[want];

	s->conn = (unsigned)want + 1;
	s->n_conns = (unsigned)t->n;
	s->t_syn = s->t_synack = s->t_ack = s->handshake_us = s->t_rst = -1;
	s->t_data[0] = s->t_data[1] = s->t_fin[0] = s->t_fin[1] = -1;
	s->t_client_hello = s->t_server_hello = s->t_client_finished = -1;
	s->quic = c->proto == IPPROTO_UDP;
	fmt_ep(c->family, c->a, c->ap, s->a, sizeof(s->a));
	fmt_ep(c->family, c->b, c->bp, s->b, sizeof(s->b));
}

/* Second pass: step through the packets of connection @want (@c). */
static int replay(const char *path, int dlt, const struct owners *ow, size_t want,
		  const struct conn *c, bool quiet, FILE *out, struct ladder_summary *s)
{
	struct replay r = { 0 };
	struct pcap_pkthdr *h;
	const u_char *bytes;
	pcap_t *pc = open_file(path);
	struct pkt p;
	size_t k = 0;

	if (!pc)
		return -EINVAL;
	ladder_tls_init(&r.tls);
	while (k < ow->n && pcap_next_ex(pc, &h, &bytes) == 1) {
		if (parse(dlt, h, bytes, &p))
			continue;
		if (ow->v[k++] != want)
			continue;
		step(out, quiet, &p, dir_of(c, &p), c->t_first, &r, s);
	}
	pcap_close(pc);
	summary_tls(s, &r.tls);
	return 0;
}

/* The error for connection @want that @t does not have: how many it has. */
static void no_conn(const char *path, const struct table *t, size_t want)
{
	size_t quic = 0, tcp;

	for (size_t i = 0; i < t->n; i++)
		quic += t->c[i].proto == IPPROTO_UDP;
	tcp = t->n - quic;
	if (!quic)
		tb_err("ladder: %s: no connection %zu (the capture has %zu TCP connection%s)", path,
		       want + 1, tcp, tcp == 1 ? "" : "s");
	else
		tb_err("ladder: %s: no connection %zu (the capture has %zu TCP connection%s and %zu QUIC flow%s)",
		       path, want + 1, tcp, tcp == 1 ? "" : "s", quic, quic == 1 ? "" : "s");
}

/* The ladder of the connection @o chooses: header, packets, summary. */
static int print_conn(const char *path, int dlt, const struct ladder_opts *o, FILE *out,
		      const struct table *t, const struct owners *ow, struct ladder_summary *sum)
{
	size_t want = o->conn ? o->conn - 1 : 0;
	struct ladder_summary s = { 0 };
	const struct conn *c;

	if (want >= t->n) {
		no_conn(path, t, want);
		return -ENOENT;
	}
	c = &t->c[want];
	summary_start(&s, t, want);
	fprintf(out, "connection %u of %u in %s%s\n  A %s%s\n  B %s\n", s.conn, s.n_conns, path,
		s.quic ? " (QUIC over UDP)" : "", s.a,
		c->have_syn ? " (client: sent the SYN)" : s.quic ? " (sent the first QUIC packet)" : "", s.b);
	if (!o->quiet)
		fprintf(out, "\n%10s  %-3s  %-4s %10s %10s %6s %6s  %s\n", "time_ms", "dir", "flag",
			"seq", "ack", "len", "win", "options / notes");
	if (replay(path, dlt, ow, want, c, o->quiet, out, &s))
		return -EINVAL;
	print_summary(out, &s);
	if (sum)
		*sum = s;
	return 0;
}

int ladder_print(const char *path, const struct ladder_opts *o, FILE *out, struct ladder_summary *sum)
{
	struct table t = { 0 };
	struct owners ow = { 0 };
	int dlt, rc;

	rc = number_conns(path, &dlt, &t, &ow);
	if (!rc && o->list)
		list_conns(out, &t);
	else if (!rc)
		rc = print_conn(path, dlt, o, out, &t, &ow, sum);
	free(ow.v);
	free(t.c);
	free(t.slot);
	return rc;
}
