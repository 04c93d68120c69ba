/* QUIC packets in a UDP datagram, for the ladder: see ladder_proto.h.
 * RFC 9000 17.2: a long header is flags (1: form 0x80, fixed 0x40, type
 * 0x30), version (4), DCID length (1) and DCID, SCID length (1) and SCID;
 * Initial adds a token (varint length), Initial, 0-RTT and Handshake a
 * Length (varint) of the packet number and payload that follow. Retry and
 * version negotiation run to the datagram's end. */
#include "ladder_proto.h"

#include <stdio.h>

/* One long-header packet's header as read. */
struct lq_pkt {
	int kind;       /* LQ_* */
	uint32_t version;
	unsigned dcil;
	unsigned size;  /* bytes of the datagram it takes */
};

const char *ladder_quic_name(int k)
{
	static const char *const names[LQ_N] = {
		[LQ_INITIAL] = "Initial", [LQ_0RTT] = "0-RTT", [LQ_HANDSHAKE] = "Handshake",
		[LQ_RETRY] = "Retry", [LQ_VN] = "Version Negotiation", [LQ_1RTT] = "1-RTT",
	};

	return k >= 0 && k < LQ_N ? names[k] : "?";
}

/* The variable-length integer at @p (before @end) into *@v; its size, 0 if cut. */
static unsigned varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	unsigned n = 1u << (p < end ? p[0] >> 6 : 0);

	if (p >= end || end - p < (long)n)
		return 0;
	*v = p[0] & 0x3f;
	for (unsigned i = 1; i < n; i++)
		*v = *v << 8 | p[i];
	return n;
}

/* After the connection ids at @q: the rest of a long-header packet that
 * started at @p, within the captured @cend and the datagram's @end. */
static bool long_rest(const uint8_t *p, const uint8_t *q, const uint8_t *cend, const uint8_t *end,
		      struct lq_pkt *k)
{
	uint64_t v;
	unsigned n;

	if (k->kind == LQ_VN)
		return end - q >= 4 && (end - q) % 4 == 0 && (k->size = (unsigned)(end - p));
	if (k->kind == LQ_RETRY)
		return end - q > 16 && (k->size = (unsigned)(end - p));
	if (k->kind == LQ_INITIAL) {
		if (!(n = varint(q, cend, &v)) || v > (uint64_t)(end - q - n))
			return false;
		q += n + v;
	}
	if (!(n = varint(q, cend, &v)) || v < 1 || v > (uint64_t)(end - q - n))
		return false;
	k->size = (unsigned)(q + n + v - p);
	return true;
}

/* The long-header packet at @p; false if it is not one we know. With
 * @greased, its fixed bit may be clear (RFC 9287). */
static bool long_packet(const uint8_t *p, const uint8_t *cend, const uint8_t *end, bool greased,
			struct lq_pkt *k)
{
	static const int kinds[4] = { LQ_INITIAL, LQ_0RTT, LQ_HANDSHAKE, LQ_RETRY };
	const uint8_t *q;

	if (cend - p < 7 || !(p[0] & 0x80) || !(greased || (p[0] & 0x40)))
		return false;
	k->version = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	k->dcil = p[5];
	if ((k->version != 1 && k->version != 0) || k->dcil > 20 || cend - p < 7 + (long)k->dcil)
		return false;
	q = p + 6 + k->dcil;
	if (q[0] > 20 || cend - q < 1 + (long)q[0])
		return false;
	k->kind = k->version ? kinds[(p[0] >> 4) & 3] : LQ_VN;
	return long_rest(p, q + 1 + q[0], cend, end, k);
}

bool ladder_quic_long(const uint8_t *pl, unsigned cap, unsigned len)
{
	struct lq_pkt k;

	return cap <= len && long_packet(pl, pl + cap, pl + len, false, &k);
}

static void put_long(const struct lq_pkt *k, char *buf, size_t n)
{
	if (k->kind == LQ_VN)
		ladder_label_add(buf, n, "Version Negotiation dcid %u", k->dcil);
	else
		ladder_label_add(buf, n, "%s v%u dcid %u", ladder_quic_name(k->kind), k->version, k->dcil);
}

unsigned ladder_quic_datagram(const uint8_t *pl, unsigned cap, unsigned len, bool greased,
			      char *buf, size_t n, unsigned counts[LQ_N])
{
	const uint8_t *p = pl, *cend = pl + (cap < len ? cap : len), *end = pl + len;
	unsigned found = 0;
	struct lq_pkt k;

	while (p < cend) {
		const char *sep = found ? ", " : "QUIC ";

		if (long_packet(p, cend, end, greased, &k)) {
			ladder_label_add(buf, n, "%s", sep);
			put_long(&k, buf, n);
			counts[k.kind]++;
			p += k.size;
		} else if ((p[0] & 0xc0) == 0x40 || (greased && !(p[0] & 0x80))) {
			ladder_label_add(buf, n, "%s1-RTT", sep);
			counts[LQ_1RTT]++;
			p = end;
		} else {
			break;
		}
		found++;
	}
	if (p < cend && found)
		ladder_label_add(buf, n, " (+%u bytes not QUIC)", (unsigned)(end - p));
	else if (p < end && found)
		ladder_label_add(buf, n, ", +%u bytes not captured", (unsigned)(end - p));
	return found;
}
