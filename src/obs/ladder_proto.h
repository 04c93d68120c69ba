/* What the ladder reads above TCP and UDP: TLS records in a TCP byte stream
 * (ladder_tls.c) and QUIC packets in UDP datagrams (ladder_quic.c). Only the
 * clear-text headers are read, nothing is decrypted: an encrypted record is
 * named by its place in the conversation (TLS 1.3: before the ServerHello a
 * client record is early data, the server's records up to the client's
 * Finished are its EncryptedExtensions..Finished flight). Labels are plain
 * text appended to a caller's buffer. */
#ifndef TB_LADDER_PROTO_H
#define TB_LADDER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- TLS over TCP ---- */

/* One direction of a connection's TLS record stream. */
struct ltls_dir {
	bool have_pos;      /* @next is known */
	uint32_t next;      /* TCP sequence number where the next record header starts */
	uint32_t hs_left;   /* bytes of a handshake message still to come in later records */
	bool ccs;           /* sent ChangeCipherSpec */
	bool enc_hs;        /* TLS 1.2: sent its encrypted Finished */
	bool hs_after_sh;   /* sent a handshake record after the ServerHello */
	unsigned flight;    /* TLS 1.3 server: encrypted records before the client's Finished */
};

/* What the ladder knows of a connection's TLS; times as given, -1 unseen. */
struct ladder_tls {
	struct ltls_dir d[2];
	int client;              /* direction of the ClientHello (0 until one is seen) */
	bool hello;              /* a ClientHello or ServerHello was seen */
	bool sh;                 /* a ServerHello (not a HelloRetryRequest) was seen */
	uint16_t version;        /* 0x0303 TLS 1.2, 0x0304 TLS 1.3; 0: not known */
	bool version_inferred;   /* 1.3 from the records after a ServerHello whose extensions were not captured */
	bool sh_seg_more;        /* records followed the ServerHello in its segment, not captured */
	bool psk_offered, early_offered, psk_accepted, hrr, resumed12;
	unsigned early_records;  /* client records taken for 0-RTT data */
	unsigned cfin_left;      /* TLS 1.3: client records after the server's flight still handshake */
	uint8_t sid[32], sid_len; /* the ClientHello's session id (TLS 1.2 resumption) */
	int64_t t_ch, t_sh, t_cfin; /* ClientHello, ServerHello, the client's Finished */
};

/** A connection with no TLS seen yet. */
void ladder_tls_init(struct ladder_tls *t);

/**
 * The TLS records in one TCP segment of direction @dir (0 or 1) at time @t:
 * @seq is the sequence number of its first payload byte, @len payload bytes
 * of which the first @cap were captured at @pl. A record is recognised where
 * the stream position says one starts (records are followed by their
 * lengths across segments) or, when the position is lost, at the start of a
 * segment that begins with a Hello or, once TLS was seen, any record header.
 * Labels for the records that start in the segment ("ClientHello (...)",
 * "application data x3") are appended to @buf (size @n), comma-separated.
 */
void ladder_tls_segment(struct ladder_tls *t, int dir, uint32_t seq, const uint8_t *pl,
			unsigned cap, unsigned len, int64_t time, char *buf, size_t n);

/* ---- QUIC over UDP ---- */

enum { LQ_INITIAL, LQ_0RTT, LQ_HANDSHAKE, LQ_RETRY, LQ_VN, LQ_1RTT, LQ_N };

/** The name of QUIC packet kind @k (LQ_*). */
const char *ladder_quic_name(int k);

/** Whether a datagram's payload @pl (@cap bytes captured of @len) starts with
 * a QUIC long header: the fixed bit set, version 1 or 0 (version
 * negotiation), and connection id lengths and the packet's Length that fit. */
bool ladder_quic_long(const uint8_t *pl, unsigned cap, unsigned len);

/**
 * The QUIC packets of one datagram: long-header packets by type, each with
 * its version and destination connection id length, walking the Length of
 * each to the next coalesced one; a short-header packet (the fixed bit set,
 * or clear too with @greased: a known QUIC connection whose peers grease
 * that bit, RFC 9287, as ngtcp2 does) is 1-RTT and ends the datagram. Labels are appended to @buf (size @n);
 * counts of each kind are added to @counts. Returns the packets recognised
 * (0: the payload does not look like QUIC, nothing appended).
 */
unsigned ladder_quic_datagram(const uint8_t *pl, unsigned cap, unsigned len, bool greased,
			      char *buf, size_t n, unsigned counts[LQ_N]);

/* ---- labels ---- */

/** Append printf output to the label @buf of size @n (truncating). */
void ladder_label_add(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
