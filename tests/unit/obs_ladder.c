/* The ladder on a synthetic capture with known timings: a 20 ms handshake,
 * a retransmitted segment, both FINs, a reused 4-tuple (a second connection)
 * and an IPv6 connection in a Linux cooked (SLL) file. */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "obs/ladder.h"
#include "tap.h"

enum { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 };

static pcap_dumper_t *dumper;
static int linktype;

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* One segment at @t_us; @dir 0: client -> server. IPv4 on Ethernet, or IPv6
 * in SLL. Payload bytes are not stored (as with a short snaplen). */
static void seg(int64_t t_us, int dir, uint8_t flags, uint32_t seq, uint32_t ack, unsigned len,
		uint16_t cport, int v6)
{
	uint8_t f[128] = { 0 }, *ip, *tcp;
	struct pcap_pkthdr h;
	unsigned hl = v6 ? 16 : 14, thl = flags & SYN ? 24 : 20, iph = v6 ? 40 : 20;
	uint8_t a[16] = { 0 }, b[16] = { 0 };

	if (v6) {
		put16(f + 14, 0x86dd);
		a[0] = b[0] = 0xfd;
		a[15] = 1;
		b[15] = 2;
	} else {
		put16(f + 12, 0x0800);
		a[0] = b[0] = 198;
		a[1] = b[1] = 18;
		a[3] = 1;
		b[3] = 2;
	}
	ip = f + hl;
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, thl + len);
		ip[6] = IPPROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, dir ? b : a, 16);
		memcpy(ip + 24, dir ? a : b, 16);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, iph + thl + len);
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, dir ? b : a, 4);
		memcpy(ip + 16, dir ? a : b, 4);
	}
	tcp = ip + iph;
	put16(tcp, dir ? 80 : cport);
	put16(tcp + 2, dir ? cport : 80);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (flags & SYN) {
		tcp[20] = 2; /* mss 1460 */
		tcp[21] = 4;
		put16(tcp + 22, 1460);
	}
	h.ts.tv_sec = (time_t)(1000 + t_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(t_us % 1000000);
	h.caplen = hl + iph + thl;
	h.len = h.caplen + len;
	pcap_dump((u_char *)dumper, &h, f);
}

static char *write_file(int v6)
{
	static char path[64];
	pcap_t *dead;
	uint32_t c = 1000, s = 5000;

	snprintf(path, sizeof(path), "/tmp/obs_ladder.%d.%d.pcap", (int)getpid(), v6);
	linktype = v6 ? DLT_LINUX_SLL : DLT_EN10MB;
	dead = pcap_open_dead(linktype, 128);
	dumper = pcap_dump_open(dead, path);
	if (!dumper)
		tap_bail("pcap_dump_open: %s", pcap_geterr(dead));
	seg(0, 0, SYN, c, 0, 0, 40000, v6);
	seg(20000, 1, SYN | ACK, s, c + 1, 0, 40000, v6);          /* 20 ms later */
	seg(20100, 0, ACK, c + 1, s + 1, 0, 40000, v6);            /* handshake 20.1 ms */
	seg(20200, 0, PSH | ACK, c + 1, s + 1, 1000, 40000, v6);   /* first data */
	seg(20300, 0, PSH | ACK, c + 1001, s + 1, 1000, 40000, v6);
	seg(240000, 0, PSH | ACK, c + 1001, s + 1, 1000, 40000, v6); /* retransmission */
	seg(260000, 1, ACK, s + 1, c + 2001, 0, 40000, v6);
	seg(261000, 1, PSH | ACK, s + 1, c + 2001, 500, 40000, v6); /* reply */
	seg(300000, 0, FIN | ACK, c + 2001, s + 501, 0, 40000, v6);
	seg(320000, 1, FIN | ACK, s + 501, c + 2002, 0, 40000, v6);
	seg(340000, 0, ACK, c + 2002, s + 502, 0, 40000, v6);
	/* the same 4-tuple again: a new connection */
	seg(400000, 0, SYN, 777, 0, 0, 40000, v6);
	seg(405000, 1, SYN | ACK, 888, 778, 0, 40000, v6);
	seg(405050, 0, RST, 778, 0, 0, 40000, v6);
	pcap_dump_close(dumper);
	pcap_close(dead);
	return path;
}

static void check(int v6)
{
	const char *path = write_file(v6), *fam = v6 ? "IPv6/SLL" : "IPv4/Ethernet";
	struct ladder_opts o = { .conn = 1 };
	struct ladder_summary s;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	tap_is_int(ladder_print(path, &o, out, &s), 0, "ladder_print conn 1");
	fclose(out);
	tap_is_int(s.n_conns, 2, "a SYN after the close on the same 4-tuple is a new connection");
	tap_is_int(s.packets, 11, "conn 1 has its 11 packets");
	tap_is_int(s.handshake_us, 20100, "handshake RTT 20.1 ms (SYN to the ACK of the SYN/ACK)");
	tap_is_int(s.t_synack - s.t_syn, 20000, "SYN -> SYN/ACK 20 ms");
	tap_is_int(s.t_data[0], 20200, "first data byte A->B at 20.2 ms");
	tap_is_int(s.t_data[1], 261000, "first data byte B->A at 261 ms");
	tap_ok(s.retrans[0] == 1 && s.retrans_bytes[0] == 1000 && s.retrans[1] == 0,
	       "one 1000-byte retransmission A->B, none B->A (%u, %u)", s.retrans[0], s.retrans[1]);
	tap_ok(s.t_fin[0] == 300000 && s.t_fin[1] == 320000 && s.t_rst == -1, "both FINs, no RST");
	tap_ok(text && strstr(text, "     0.000  -->  S             0          0      0  65535  mss 1460"),
	       "SYN line: relative seq 0, options decoded");
	tap_ok(text && strstr(text, "   240.000  -->  P.         1001          1   1000") &&
		       strstr(text, "# retransmission"),
	       "the retransmission is marked, with relative seq 1001");
	tap_ok(text && strstr(text, "handshake: RTT 20.100 ms"), "summary prints the RTT");
	if (!tap_ok(text && strstr(text, v6 ? "[fd00::1]:40000" : "198.18.0.1:40000"),
		    "%s endpoints printed", fam))
		tap_diag("%s", text ? text : "");
	free(text);

	text = NULL;
	out = open_memstream(&text, &len);
	o.conn = 2;
	tap_is_int(ladder_print(path, &o, out, &s), 0, "ladder_print conn 2");
	fclose(out);
	tap_ok(s.packets == 3 && s.t_rst == 5050 && s.handshake_us == -1,
	       "conn 2: 3 packets, reset at 5.05 ms, no completed handshake");
	tap_ok(text && strstr(text, "handshake: not complete"), "and says the handshake did not complete");
	free(text);
	o.conn = 3;
	out = fopen("/dev/null", "w");
	tap_is_int(ladder_print(path, &o, out, NULL), -ENOENT, "conn 3 does not exist: -ENOENT");
	fclose(out);
	unlink(path);
}

int main(void)
{
	struct ladder_opts o = { 0 };
	FILE *null = fopen("/dev/null", "w");

	check(0);
	check(1);
	tap_is_int(ladder_print("/nonexistent.pcap", &o, null, NULL), -EINVAL,
		   "a missing file is -EINVAL with a message");
	fclose(null);
	return tap_done();
}
