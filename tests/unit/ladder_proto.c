/* The ladder's TLS and QUIC labels (obs/ladder_proto.h) on hand-built
 * bytes laid out as on the wire: TLS 1.3 full and resumed handshakes with
 * 0-RTT, a HelloRetryRequest, TLS 1.2 with its encrypted Finished, records
 * split across segments and cut by the snaplen, QUIC Initial + Handshake
 * coalesced, 0-RTT, Retry, version negotiation, 1-RTT, and junk that must
 * not be named. Then the same bytes in a pcap through ladder_print: a TLS
 * 1.3 connection whose ClientHello rides on the SYN (TFO), and a QUIC flow
 * beside a DNS flow that is not a ladder. No root. */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "obs/ladder.h"
#include "obs/ladder_proto.h"
#include "tap.h"

struct buf {
	uint8_t b[8192];
	unsigned n;
};

static void u8(struct buf *b, unsigned v)
{
	b->b[b->n++] = (uint8_t)v;
}

static void u16(struct buf *b, unsigned v)
{
	u8(b, v >> 8);
	u8(b, v);
}

static void u32(struct buf *b, uint32_t v)
{
	u16(b, v >> 16);
	u16(b, v & 0xffff);
}

static void fill(struct buf *b, unsigned v, unsigned n)
{
	memset(b->b + b->n, (int)v, n);
	b->n += n;
}

/* Room for a @w-byte length, filled in by patch() once what it counts is written. */
static unsigned mark(struct buf *b, unsigned w)
{
	b->n += w;
	return b->n - w;
}

static void patch(struct buf *b, unsigned at, unsigned w)
{
	unsigned len = b->n - at - w;

	for (unsigned i = 0; i < w; i++)
		b->b[at + i] = (uint8_t)(len >> (8 * (w - 1 - i)));
}

static unsigned rec_begin(struct buf *b, unsigned type)
{
	u8(b, type);
	u16(b, 0x0303);
	return mark(b, 2);
}

static unsigned hs_begin(struct buf *b, unsigned type)
{
	u8(b, type);
	return mark(b, 3);
}

static void ext(struct buf *b, unsigned type, unsigned fillv, unsigned len)
{
	u16(b, type);
	u16(b, len);
	fill(b, fillv, len);
}

/* A ClientHello record; the pre_shared_key extension last, as RFC 8446 wants. */
static void client_hello(struct buf *b, int v13, int psk, int early)
{
	unsigned r = rec_begin(b, 22), m = hs_begin(b, 1), e;

	u16(b, 0x0303);
	fill(b, 0x11, 32);              /* random */
	u8(b, 32);
	fill(b, 0x22, 32);              /* session id */
	u16(b, 4);
	u16(b, 0x1301);
	u16(b, 0xc02b);
	u8(b, 1);
	u8(b, 0);
	e = mark(b, 2);
	ext(b, 51, 0x33, 38);           /* key_share */
	if (v13) {
		u16(b, 43);
		u16(b, 5);
		u8(b, 4);
		u16(b, 0x0304);
		u16(b, 0x0303);
	}
	if (early)
		ext(b, 42, 0, 0);
	if (psk)
		ext(b, 41, 0x44, 60);
	patch(b, e, 2);
	patch(b, m, 3);
	patch(b, r, 2);
}

static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* A ServerHello message (no record header): TLS 1.3 when @v13, with the
 * PSK accepted when @psk, a HelloRetryRequest when @hrr. */
static void server_hello_msg(struct buf *b, int v13, int psk, int hrr)
{
	unsigned m = hs_begin(b, 2), e;

	u16(b, 0x0303);
	if (hrr) {
		memcpy(b->b + b->n, hrr_random, 32);
		b->n += 32;
	} else {
		fill(b, 0x55, 32);
	}
	u8(b, 32);
	fill(b, v13 ? 0x22 : 0x66, 32); /* 1.3 echoes the client's id; 1.2: a new session */
	u16(b, 0x1301);
	u8(b, 0);
	e = mark(b, 2);
	if (v13) {
		u16(b, 43);
		u16(b, 2);
		u16(b, 0x0304);
	}
	if (psk)
		ext(b, 41, 0, 2);
	ext(b, 51, 0x77, 36);
	patch(b, e, 2);
	patch(b, m, 3);
}

static void server_hello(struct buf *b, int v13, int psk, int hrr)
{
	unsigned r = rec_begin(b, 22);

	server_hello_msg(b, v13, psk, hrr);
	patch(b, r, 2);
}

static void record(struct buf *b, unsigned type, unsigned fillv, unsigned len)
{
	unsigned r = rec_begin(b, type);

	fill(b, fillv, len);
	patch(b, r, 2);
}

/* A conversation: the TLS state and each direction's next sequence number. */
struct conv {
	struct ladder_tls t;
	uint32_t seq[2];
	char lbl[1024];
};

static void conv_init(struct conv *c)
{
	ladder_tls_init(&c->t);
	c->seq[0] = 1000;
	c->seq[1] = 900000;
}

/* Send @b as one segment of direction @dir; its label. */
static const char *send_seg(struct conv *c, int dir, const struct buf *b)
{
	c->lbl[0] = 0;
	ladder_tls_segment(&c->t, dir, c->seq[dir], b->b, b->n, b->n, 7, c->lbl, sizeof(c->lbl));
	c->seq[dir] += b->n;
	return c->lbl;
}

static void tls13_full(void)
{
	struct conv c;
	struct buf b = { .n = 0 };

	conv_init(&c);
	client_hello(&b, 1, 0, 0);
	tap_is_str(send_seg(&c, 0, &b), "ClientHello (offers TLS 1.3)", "1.3 ClientHello without psk");
	b.n = 0;
	server_hello(&b, 1, 0, 0);
	record(&b, 20, 1, 1);
	for (int i = 0; i < 4; i++)
		record(&b, 23, 0xa0 + (unsigned)i, 100);
	tap_is_str(send_seg(&c, 1, &b),
		   "ServerHello (TLS 1.3, full handshake), ChangeCipherSpec, "
		   "EncryptedExtensions..Finished (encrypted) x4",
		   "server flight: ServerHello 1.3, CCS, four encrypted records");
	b.n = 0;
	record(&b, 20, 1, 1);
	record(&b, 23, 0xb0, 53);
	record(&b, 23, 0xb1, 200);
	tap_is_str(send_seg(&c, 0, &b), "ChangeCipherSpec, Finished (encrypted), application data",
		   "client: CCS, its Finished, then application data");
	b.n = 0;
	record(&b, 23, 0xc0, 3000);
	tap_is_str(send_seg(&c, 1, &b), "application data", "server data after the client's Finished");
	tap_ok(c.t.version == 0x0304 && !c.t.psk_offered && !c.t.psk_accepted && c.t.early_records == 0,
	       "state: 1.3, no PSK, no early data");
}

static void tls13_resumed_early(void)
{
	struct conv c;
	struct buf b = { .n = 0 };
	const char *l;

	conv_init(&c);
	client_hello(&b, 1, 1, 1);
	record(&b, 23, 0xe0, 120);
	l = send_seg(&c, 0, &b);
	tap_is_str(l, "ClientHello (offers TLS 1.3, pre_shared_key: resumption attempt, "
		      "early_data: 0-RTT), early data (0-RTT)",
		   "ClientHello with psk and early_data, and the 0-RTT record behind it");
	b.n = 0;
	server_hello(&b, 1, 1, 0);
	record(&b, 23, 0xa0, 80);
	tap_is_str(send_seg(&c, 1, &b),
		   "ServerHello (TLS 1.3, PSK accepted: resumed), EncryptedExtensions..Finished (encrypted)",
		   "ServerHello with pre_shared_key: PSK accepted");
	b.n = 0;
	record(&b, 23, 0xb0, 20);
	record(&b, 23, 0xb1, 53);
	record(&b, 23, 0xb2, 300);
	tap_is_str(send_seg(&c, 0, &b),
		   "EndOfEarlyData (encrypted), Finished (encrypted), application data",
		   "after 0-RTT with the PSK accepted: EndOfEarlyData, then the Finished");
	tap_ok(c.t.early_records == 1 && c.t.psk_accepted && c.t.t_cfin == 7, "state: 1 early record, resumed");
}

static void tls13_hrr(void)
{
	struct conv c;
	struct buf b = { .n = 0 };

	conv_init(&c);
	client_hello(&b, 1, 0, 0);
	send_seg(&c, 0, &b);
	b.n = 0;
	server_hello(&b, 1, 0, 1);
	tap_is_str(send_seg(&c, 1, &b), "HelloRetryRequest", "the HRR random: HelloRetryRequest");
	b.n = 0;
	record(&b, 20, 1, 1);
	client_hello(&b, 1, 0, 0);
	tap_is_str(send_seg(&c, 0, &b), "ChangeCipherSpec, ClientHello (offers TLS 1.3)",
		   "the second ClientHello after the client's CCS is still clear text");
	tap_ok(c.t.hrr && !c.t.sh, "state: HRR seen, no ServerHello yet");
}

/* A TLS 1.2 server flight in one record: ServerHello, Certificate,
 * ServerKeyExchange, ServerHelloDone. */
static void tls12_server_flight(struct buf *b)
{
	unsigned r = rec_begin(b, 22), m;

	server_hello_msg(b, 0, 0, 0);
	m = hs_begin(b, 11);
	fill(b, 0x30, 700);
	patch(b, m, 3);
	m = hs_begin(b, 12);
	fill(b, 0x31, 100);
	patch(b, m, 3);
	hs_begin(b, 14);
	patch(b, b->n - 3, 3);
	patch(b, r, 2);
}

static void tls12(void)
{
	struct conv c;
	struct buf b = { .n = 0 };
	unsigned r, m;

	conv_init(&c);
	client_hello(&b, 0, 0, 0);
	tap_is_str(send_seg(&c, 0, &b), "ClientHello (TLS 1.2 or older)", "ClientHello without supported_versions");
	b.n = 0;
	tls12_server_flight(&b);
	tap_is_str(send_seg(&c, 1, &b),
		   "ServerHello (TLS 1.2), Certificate, ServerKeyExchange, ServerHelloDone",
		   "1.2 server flight: four messages in one record");
	b.n = 0;
	r = rec_begin(&b, 22);
	m = hs_begin(&b, 16);
	fill(&b, 0x41, 66);
	patch(&b, m, 3);
	patch(&b, r, 2);
	record(&b, 20, 1, 1);
	record(&b, 22, 0xf1, 40);
	tap_is_str(send_seg(&c, 0, &b), "ClientKeyExchange, ChangeCipherSpec, Finished (encrypted)",
		   "1.2 client: ClientKeyExchange, CCS, the encrypted Finished");
	b.n = 0;
	record(&b, 20, 1, 1);
	record(&b, 22, 0xf2, 40);
	tap_is_str(send_seg(&c, 1, &b), "ChangeCipherSpec, Finished (encrypted)", "1.2 server: CCS, Finished");
	b.n = 0;
	record(&b, 23, 0xf3, 500);
	tap_is_str(send_seg(&c, 0, &b), "application data", "1.2 application data");
	b.n = 0;
	record(&b, 21, 0xf4, 26);
	tap_is_str(send_seg(&c, 1, &b), "Alert (encrypted)", "an encrypted alert (longer than 2 bytes)");
	tap_ok(c.t.version == 0x0303 && c.t.t_cfin == 7, "state: TLS 1.2, the client's Finished seen");
}

/* A record split over two segments, another behind it; then a segment cut
 * by the snaplen; then a plaintext alert. */
static void positions(void)
{
	struct conv c;
	struct buf b = { .n = 0 }, part = { .n = 0 };
	char lbl[256] = "";

	conv_init(&c);
	client_hello(&b, 1, 0, 0);
	record(&b, 20, 1, 1);
	memcpy(part.b, b.b, 100);
	part.n = 100;
	tap_is_str(send_seg(&c, 0, &part), "ClientHello (extensions not captured)",
		   "the first 100 bytes of a ClientHello: named, its extensions not in the segment");
	memcpy(part.b, b.b + 100, b.n - 100);
	part.n = b.n - 100;
	tap_is_str(send_seg(&c, 0, &part), "ChangeCipherSpec",
		   "the rest: the record that starts inside it is found by the first one's length");
	b.n = 0;
	record(&b, 23, 0x10, 500);
	record(&b, 23, 0x11, 500);
	ladder_tls_segment(&c.t, 0, c.seq[0], b.b, 60, b.n, 8, lbl, sizeof(lbl));
	c.seq[0] += b.n;
	tap_is_str(lbl, "early data (0-RTT)", "60 of 1010 bytes captured: the first record only");
	b.n = 0;
	u8(&b, 21);
	u16(&b, 0x0303);
	u16(&b, 2);
	u8(&b, 2);
	u8(&b, 40);
	tap_is_str(send_seg(&c, 0, &b), "Alert fatal handshake_failure(40)",
		   "after the cut segment, a segment starting with a record is found again");
}

/* Send the first @cap bytes of @b captured as one segment of @dir; its label. */
static const char *send_cut(struct conv *c, int dir, const struct buf *b, unsigned cap)
{
	c->lbl[0] = 0;
	ladder_tls_segment(&c->t, dir, c->seq[dir], b->b, cap, b->n, 9, c->lbl, sizeof(c->lbl));
	c->seq[dir] += b->n;
	return c->lbl;
}

/* The default snaplen (128) leaves 62 payload bytes of a segment with
 * timestamps: the Hellos' extensions are not captured. TLS 1.3 is then
 * told by the server's records after its ServerHello: type 23 at once. */
static void snaplen_cut(void)
{
	struct conv c;
	struct buf b = { .n = 0 };

	conv_init(&c);
	client_hello(&b, 1, 1, 1);
	tap_is_str(send_cut(&c, 0, &b, 62), "ClientHello (extensions not captured)",
		   "62 bytes of a ClientHello: named, psk and early_data not seen");
	b.n = 0;
	server_hello(&b, 1, 0, 0);
	record(&b, 20, 1, 1);
	tap_is_str(send_cut(&c, 1, &b, 62), "ServerHello (extensions not captured)",
		   "62 bytes of a ServerHello: the version not seen");
	b.n = 0;
	record(&b, 23, 0xa0, 1000);
	tap_is_str(send_cut(&c, 1, &b, 62), "EncryptedExtensions..Finished (encrypted)",
		   "a type-23 record right after the ServerHello: TLS 1.3's encrypted flight");
	b.n = 0;
	record(&b, 23, 0xb0, 53);
	tap_is_str(send_cut(&c, 0, &b, 62), "Finished (encrypted)", "then the client's Finished");
	tap_ok(c.t.version == 0x0304 && c.t.version_inferred, "state: TLS 1.3, inferred");

	/* the whole server flight in the ServerHello's segment, as OpenSSL sends it */
	conv_init(&c);
	b.n = 0;
	client_hello(&b, 1, 0, 0);
	send_cut(&c, 0, &b, 62);
	b.n = 0;
	server_hello(&b, 1, 0, 0);
	record(&b, 20, 1, 1);
	record(&b, 23, 0xa0, 700);
	tap_is_str(send_cut(&c, 1, &b, 62), "ServerHello (extensions not captured)",
		   "ServerHello, CCS and the encrypted flight in one segment: the ServerHello only");
	b.n = 0;
	record(&b, 20, 1, 1);
	record(&b, 23, 0xb0, 53);
	tap_is_str(send_cut(&c, 0, &b, 62), "ChangeCipherSpec, Finished (encrypted)",
		   "the client's type-23 record after it: TLS 1.3, its Finished");
	b.n = 0;
	record(&b, 23, 0xa1, 200);
	tap_is_str(send_cut(&c, 1, &b, 62), "application data", "then the server's records are data");

	conv_init(&c);
	b.n = 0;
	client_hello(&b, 0, 0, 0);
	send_cut(&c, 0, &b, 62);
	b.n = 0;
	tls12_server_flight(&b);
	send_cut(&c, 1, &b, 62);
	b.n = 0;
	record(&b, 20, 1, 1);
	record(&b, 22, 0xf2, 40);
	record(&b, 23, 0xf3, 40);
	tap_is_str(send_cut(&c, 1, &b, 62), "ChangeCipherSpec, Finished (encrypted), application data",
		   "TLS 1.2 with the ServerHello cut: CCS, encrypted Finished, application data");
	tap_ok(c.t.version == 0 && !c.t.version_inferred, "state: not taken for TLS 1.3");
}

static void tls_junk(void)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: s1\r\n\r\n";
	struct conv c;
	struct buf b = { .n = 0 };

	conv_init(&c);
	memcpy(b.b, http, sizeof(http) - 1);
	b.n = sizeof(http) - 1;
	tap_is_str(send_seg(&c, 0, &b), "", "HTTP/1.1 is not TLS");
	b.n = 0;
	record(&b, 22, 0x07, 80);       /* a handshake record, but message type 7 */
	tap_is_str(send_seg(&c, 0, &b), "", "a handshake record that is no Hello does not start TLS");
	b.n = 0;
	record(&b, 22, 0, 40);
	b.b[2] = 9;                     /* version 3.9 */
	tap_is_str(send_seg(&c, 1, &b), "", "record version 3.9 is not TLS");
	b.n = 0;
	fill(&b, 0, 1400);
	tap_is_str(send_seg(&c, 1, &b), "", "zeros are not TLS");
	tap_ok(!c.t.hello && c.t.version == 0, "state: no TLS seen");
}

/* A QUIC long-header packet of @type (0 Initial .. 3 Retry) with 8-byte
 * connection ids and @body bytes after its Length. */
static void quic_long(struct buf *b, unsigned type, uint32_t version, unsigned body)
{
	u8(b, 0xc3 | type << 4);
	u32(b, version);
	u8(b, 8);
	fill(b, 0xd1, 8);
	u8(b, 8);
	fill(b, 0x5c, 8);
	if (type == 3) {                /* Retry: token and integrity tag */
		fill(b, 0x70, body + 16);
		return;
	}
	if (type == 0)
		u8(b, 0);               /* no token */
	u16(b, 0x4000 | body);          /* two-byte varint */
	fill(b, 0x80 + type, body);
}

/* The label of datagram @b, and the kinds counted. */
static const char *datagram(const struct buf *b, unsigned counts[LQ_N])
{
	static char lbl[256];

	lbl[0] = 0;
	ladder_quic_datagram(b->b, b->n, b->n, false, lbl, sizeof(lbl), counts);
	return lbl;
}

static void quic(void)
{
	unsigned n[LQ_N] = { 0 }, cut[LQ_N] = { 0 };
	char lbl[128] = "";
	struct buf b = { .n = 0 };

	quic_long(&b, 0, 1, 300);
	quic_long(&b, 2, 1, 500);
	tap_ok(ladder_quic_long(b.b, b.n, b.n), "Initial + Handshake starts with a QUIC long header");
	tap_is_str(datagram(&b, n), "QUIC Initial v1 dcid 8, Handshake v1 dcid 8",
		   "Initial and Handshake coalesced: both, by their Length fields");
	u8(&b, 0x41);
	fill(&b, 0x90, 40);
	tap_is_str(datagram(&b, n), "QUIC Initial v1 dcid 8, Handshake v1 dcid 8, 1-RTT",
		   "and a short-header packet behind them");
	b.n = 0;
	quic_long(&b, 1, 1, 900);
	tap_is_str(datagram(&b, n), "QUIC 0-RTT v1 dcid 8", "0-RTT");
	b.n = 0;
	u8(&b, 0x47);
	fill(&b, 0x91, 1200);
	tap_is_str(datagram(&b, n), "QUIC 1-RTT", "a short header: 1-RTT");
	tap_ok(!ladder_quic_long(b.b, b.n, b.n), "a short header does not start a QUIC flow");
	b.n = 0;
	quic_long(&b, 3, 1, 40);
	tap_is_str(datagram(&b, n), "QUIC Retry v1 dcid 8", "Retry");
	b.n = 0;
	quic_long(&b, 0, 0, 0);
	b.n = 23;                       /* flags, version 0, cids; then versions */
	u32(&b, 1);
	u32(&b, 0x6b3343cf);
	tap_is_str(datagram(&b, n), "QUIC Version Negotiation dcid 8", "version 0: version negotiation");
	b.n = 0;
	quic_long(&b, 0, 1, 300);
	quic_long(&b, 2, 1, 500);
	tap_ok(ladder_quic_datagram(b.b, 86, b.n, false, lbl, sizeof(lbl), cut) == 1 &&
		       !strcmp(lbl, "QUIC Initial v1 dcid 8, +525 bytes not captured"),
	       "86 bytes captured: the Initial, and the bytes after it not captured (%s)", lbl);
	tap_ok(n[LQ_INITIAL] == 2 && n[LQ_HANDSHAKE] == 2 && n[LQ_1RTT] == 2 && n[LQ_0RTT] == 1 &&
		       n[LQ_RETRY] == 1 && n[LQ_VN] == 1,
	       "counts by kind: Initial 2, Handshake 2, 1-RTT 2, 0-RTT 1, Retry 1, VN 1");
}

/* RFC 9287: peers that agreed to grease the fixed bit send packets with
 * it clear; ngtcp2 does. Inside a known QUIC connection they are still
 * QUIC; as the first datagram of a flow they are not. */
static void quic_greased(void)
{
	unsigned n[LQ_N] = { 0 };
	char lbl[128] = "";
	struct buf b = { .n = 0 };

	quic_long(&b, 2, 1, 60);
	b.b[0] &= (uint8_t)~0x40;       /* a Handshake packet, fixed bit clear */
	u8(&b, 0x1d);                   /* and a short header, fixed bit clear */
	fill(&b, 0x92, 100);
	tap_ok(!ladder_quic_long(b.b, b.n, b.n), "a greased long header does not start a QUIC flow");
	tap_ok(ladder_quic_datagram(b.b, b.n, b.n, false, lbl, sizeof(lbl), n) == 0 && !lbl[0],
	       "nor is it QUIC outside a known connection");
	tap_ok(ladder_quic_datagram(b.b, b.n, b.n, true, lbl, sizeof(lbl), n) == 2 &&
		       !strcmp(lbl, "QUIC Handshake v1 dcid 8, 1-RTT"),
	       "in a known connection: Handshake and 1-RTT with the fixed bit greased (%s)", lbl);
}

static void quic_junk(void)
{
	static const uint8_t dns[] = { 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
				       2, 's', '1', 0, 0, 1, 0, 1 };
	unsigned n[LQ_N] = { 0 };
	struct buf b = { .n = 0 };

	memcpy(b.b, dns, sizeof(dns));
	b.n = sizeof(dns);
	tap_ok(!ladder_quic_long(b.b, b.n, b.n) && !datagram(&b, n)[0], "a DNS query is not QUIC");
	b.n = 0;
	quic_long(&b, 0, 0x6b3343cf, 100);
	tap_ok(!ladder_quic_long(b.b, b.n, b.n), "version 2 (not 1 or 0) is not taken for QUIC");
	b.n = 0;
	quic_long(&b, 0, 1, 100);
	b.b[0] &= (uint8_t)~0x40;
	tap_ok(!ladder_quic_long(b.b, b.n, b.n) && !datagram(&b, n)[0], "no fixed bit: not QUIC");
	b.b[0] |= 0x40;
	b.b[5] = 25;
	tap_ok(!ladder_quic_long(b.b, b.n, b.n), "a 25-byte connection id: not QUIC");
	b.b[5] = 8;
	b.n -= 10;
	tap_ok(!ladder_quic_long(b.b, b.n, b.n), "a Length beyond the datagram: not QUIC");
	tap_ok(n[LQ_INITIAL] + n[LQ_1RTT] == 0, "nothing counted");
}

/* ---- the same bytes in a capture, through ladder_print ---- */

static pcap_dumper_t *dumper;

/* One Ethernet/IPv4 frame at @t_us; @dir 0: client 198.18.0.1 -> server
 * 198.18.0.2. TCP when @udp is 0 (with @flags, @seq, @ack), else UDP. */
static void frame(int64_t t_us, int dir, int udp, unsigned flags, uint32_t seq, uint32_t ack,
		  uint16_t cport, uint16_t sport, const struct buf *pl)
{
	static struct buf f;
	struct pcap_pkthdr h;
	unsigned l4 = udp ? 8 : 20, ip;

	f.n = 12;
	memset(f.b, 0, 12);
	u16(&f, 0x0800);
	ip = f.n;
	u8(&f, 0x45);
	u8(&f, 0);
	u16(&f, 20 + l4 + pl->n);
	u32(&f, 0);
	u8(&f, 64);
	u8(&f, udp ? IPPROTO_UDP : IPPROTO_TCP);
	u16(&f, 0);
	u32(&f, dir ? 0xc6120002 : 0xc6120001);
	u32(&f, dir ? 0xc6120001 : 0xc6120002);
	u16(&f, dir ? sport : cport);
	u16(&f, dir ? cport : sport);
	if (udp) {
		u16(&f, 8 + pl->n);
		u16(&f, 0);
	} else {
		u32(&f, seq);
		u32(&f, ack);
		u8(&f, 5 << 4);
		u8(&f, flags);
		u16(&f, 65535);
		u32(&f, 0);
	}
	memcpy(f.b + f.n, pl->b, pl->n);
	f.n += pl->n;
	(void)ip;
	h.ts.tv_sec = (time_t)(1000 + t_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(t_us % 1000000);
	h.caplen = h.len = f.n;
	pcap_dump((u_char *)dumper, &h, f.b);
}

enum { FIN = 1, SYN = 2, PSH = 8, ACK = 16 };

/* TLS 1.3 resumed with 0-RTT, the ClientHello on the SYN (TFO). */
static void tls_conn(void)
{
	struct buf b = { .n = 0 }, none = { .n = 0 };
	uint32_t c = 1000, s = 5000, cn, sn;

	client_hello(&b, 1, 1, 1);
	record(&b, 23, 0xe0, 120);
	frame(0, 0, 0, SYN, c, 0, 40000, 443, &b);
	cn = c + 1 + b.n;
	frame(10000, 1, 0, SYN | ACK, s, cn, 40000, 443, &none);
	frame(10100, 0, 0, ACK, cn, s + 1, 40000, 443, &none);
	b.n = 0;
	server_hello(&b, 1, 1, 0);
	record(&b, 20, 1, 1);
	record(&b, 23, 0xa0, 300);
	frame(10200, 1, 0, PSH | ACK, s + 1, cn, 40000, 443, &b);
	sn = s + 1 + b.n;
	b.n = 0;
	record(&b, 20, 1, 1);
	record(&b, 23, 0xb0, 20);
	record(&b, 23, 0xb1, 53);
	record(&b, 23, 0xb2, 200);
	frame(10500, 0, 0, PSH | ACK, cn, sn, 40000, 443, &b);
	cn += b.n;
	b.n = 0;
	record(&b, 23, 0xc0, 1000);
	frame(11000, 1, 0, PSH | ACK, sn, cn, 40000, 443, &b);
}

/* A DNS exchange (not a ladder), then a QUIC handshake and 1-RTT. */
static void udp_flows(void)
{
	static const uint8_t dns[] = { 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
				       2, 's', '1', 0, 0, 1, 0, 1 };
	struct buf b = { .n = 0 };

	memcpy(b.b, dns, sizeof(dns));
	b.n = sizeof(dns);
	frame(15000, 0, 1, 0, 0, 0, 50000, 53, &b);
	frame(15100, 1, 1, 0, 0, 0, 50000, 53, &b);
	b.n = 0;
	quic_long(&b, 0, 1, 1150);
	frame(20000, 0, 1, 0, 0, 0, 40001, 443, &b);
	b.n = 0;
	quic_long(&b, 0, 1, 120);
	quic_long(&b, 2, 1, 900);
	frame(21000, 1, 1, 0, 0, 0, 40001, 443, &b);
	b.n = 0;
	quic_long(&b, 2, 1, 60);
	u8(&b, 0x42);
	fill(&b, 0x90, 80);
	frame(21500, 0, 1, 0, 0, 0, 40001, 443, &b);
	b.n = 0;
	u8(&b, 0x44);
	fill(&b, 0x91, 1000);
	frame(22000, 1, 1, 0, 0, 0, 40001, 443, &b);
}

/* The ladder of connection @conn of @path into a string (free it); its summary in @s. */
static char *ladder_text(const char *path, unsigned conn, bool list, struct ladder_summary *s, int *rc)
{
	struct ladder_opts o = { .conn = conn, .list = list };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	*rc = ladder_print(path, &o, out, s);
	fclose(out);
	return text;
}

static void capture(void)
{
	char path[64];
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	struct ladder_summary s;
	char *text;
	int rc;

	snprintf(path, sizeof(path), "/tmp/ladder_proto.%d.pcap", (int)getpid());
	dumper = pcap_dump_open(dead, path);
	if (!dumper)
		tap_bail("pcap_dump_open: %s", pcap_geterr(dead));
	tls_conn();
	udp_flows();
	pcap_dump_close(dumper);
	pcap_close(dead);

	text = ladder_text(path, 0, true, &s, &rc);
	tap_ok(rc == 0 && text && strstr(text, "\n   2  198.18.0.1:40001") && !strstr(text, "\n   3 ") &&
		       strstr(text, "QUIC"),
	       "--list: the TLS connection and the QUIC flow, not the DNS exchange");
	free(text);
	text = ladder_text(path, 1, false, &s, &rc);
	tap_ok(rc == 0 && text && strstr(text, "first data byte A->B; SYN+data (TFO); TLS ClientHello "
		       "(offers TLS 1.3, pre_shared_key: resumption attempt, early_data: 0-RTT), early data (0-RTT)"),
	       "the SYN: TFO, the ClientHello and its 0-RTT record");
	tap_ok(text && strstr(text, "TLS ServerHello (TLS 1.3, PSK accepted: resumed), ChangeCipherSpec, "
			      "EncryptedExtensions..Finished (encrypted)"), "the server's flight");
	tap_ok(text && strstr(text, "TLS ChangeCipherSpec, EndOfEarlyData (encrypted), Finished (encrypted), "
			      "application data"), "the client's second flight");
	tap_ok(text && strstr(text, "     0.000  -->  S             0          0    ") &&
		       strstr(text, "  tls: TLS 1.3, resumed; early data offered, 1 record"),
	       "the TCP columns stay; the summary's tls line");
	tap_ok(s.tfo && s.tls_version == 0x0304 && s.tls_psk_offered && s.tls_early_offered &&
		       s.tls_psk_accepted && s.tls_early_records == 1,
	       "summary: TFO, TLS 1.3, PSK offered and accepted, early data");
	tap_ok(s.t_client_hello == 0 && s.t_server_hello == 10200 && s.t_client_finished == 10500,
	       "summary: ClientHello 0, ServerHello 10.2 ms, client Finished 10.5 ms (%lld %lld %lld)",
	       (long long)s.t_client_hello, (long long)s.t_server_hello, (long long)s.t_client_finished);
	if (!tap_ok(s.handshake_us == 10100 && s.t_data[0] == 0, "TCP handshake and first data as before"))
		tap_diag("%s", text ? text : "");
	free(text);
	text = ladder_text(path, 2, false, &s, &rc);
	tap_ok(rc == 0 && s.quic && s.packets == 4 && text &&
		       strstr(text, "     1.000  <--  udp           -          -   1071      -  "
				    "# QUIC Initial v1 dcid 8, Handshake v1 dcid 8"),
	       "the QUIC flow: 4 datagrams, the server's Initial + Handshake coalesced");
	tap_ok(text && strstr(text, "# QUIC Handshake v1 dcid 8, 1-RTT") && strstr(text, "<--  udp") &&
		       strstr(text, "# QUIC 1-RTT\n"), "Handshake + 1-RTT, then a short header");
	if (!tap_ok(s.quic_pkts[0][LQ_INITIAL] == 1 && s.quic_pkts[1][LQ_INITIAL] == 1 &&
			    s.quic_pkts[1][LQ_HANDSHAKE] == 1 && s.quic_pkts[0][LQ_1RTT] == 1 &&
			    s.quic_pkts[1][LQ_1RTT] == 1 && text && strstr(text, "packets: Initial 1, Handshake 1, 1-RTT 1"),
		    "summary counts QUIC packets per direction and kind"))
		tap_diag("%s", text ? text : "");
	free(text);
	if (getenv("KEEP")) tap_diag("%s", path); else unlink(path);
}

int main(void)
{
	tls13_full();
	tls13_resumed_early();
	tls13_hrr();
	tls12();
	positions();
	snaplen_cut();
	tls_junk();
	quic();
	quic_greased();
	quic_junk();
	capture();
	return tap_done();
}
