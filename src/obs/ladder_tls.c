/* TLS records in a TCP byte stream, for the ladder: see ladder_proto.h.
 * Record layer: type (1), version (2), length (2). Handshake messages:
 * type (1), length (3); their extensions: type (2), length (2). */
#include "ladder_proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };
enum { HS_CH = 1, HS_SH = 2 };
enum { EXT_SESSION_TICKET = 35, EXT_PSK = 41, EXT_EARLY_DATA = 42, EXT_VERSIONS = 43 };
enum { TLS12 = 0x0303, TLS13 = 0x0304, REC_MAX = 16384 + 2048 };

/* The ServerHello random that makes it a HelloRetryRequest (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* Labels of one segment: a label repeated by consecutive records is
 * written once with its count ("application data x3"). */
struct labels {
	char *buf;
	size_t n;
	char last[160];
	unsigned rep;
};

void ladder_label_add(char *buf, size_t n, const char *fmt, ...)
{
	size_t used = strnlen(buf, n);
	va_list ap;

	if (used + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, n - used, fmt, ap);
	va_end(ap);
}

static void labels_flush(struct labels *L)
{
	if (!L->rep)
		return;
	ladder_label_add(L->buf, L->n, "%s%s", L->buf[0] ? ", " : "", L->last);
	if (L->rep > 1)
		ladder_label_add(L->buf, L->n, " x%u", L->rep);
	L->rep = 0;
}

static void labels_put(struct labels *L, const char *label)
{
	if (L->rep && !strcmp(L->last, label)) {
		L->rep++;
		return;
	}
	labels_flush(L);
	snprintf(L->last, sizeof(L->last), "%s", label);
	L->rep = 1;
}

static uint32_t rd16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t rd24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | rd16(p + 1);
}

void ladder_tls_init(struct ladder_tls *t)
{
	memset(t, 0, sizeof(*t));
	t->t_ch = t->t_sh = t->t_cfin = -1;
}

/* The extensions block of a Hello body @b (@n captured bytes): its first
 * byte in *@off and its end in *@end; false if it is not all in the capture
 * (cut by the snaplen, or in the next segment). */
static bool hello_exts(const uint8_t *b, unsigned n, bool client, unsigned *off, unsigned *end)
{
	unsigned o = 34;

	if (o + 1 > n)
		return false;
	o += 1 + b[o];                          /* session id */
	if (client) {
		if (o + 2 > n)
			return false;
		o += 2 + rd16(b + o);           /* cipher suites */
		if (o + 1 > n)
			return false;
		o += 1 + b[o];                  /* compression methods */
	} else {
		o += 3;                         /* cipher suite, compression */
	}
	if (o + 2 > n)
		return false;
	*off = o + 2;
	*end = o + 2 + rd16(b + o);
	return *end <= n;
}

/* The extensions of ClientHello body @b (@n bytes) into @t: whether it
 * offers TLS 1.3 (*@v13) and a TLS 1.2 session ticket (*@ticket); false
 * when they are not in the capture. */
static bool ch_exts(struct ladder_tls *t, const uint8_t *b, unsigned n, bool *v13, bool *ticket)
{
	unsigned o, end;

	*v13 = *ticket = false;
	if (!hello_exts(b, n, true, &o, &end))
		return false;
	for (; o + 4 <= end; o += 4 + rd16(b + o + 2)) {
		unsigned type = rd16(b + o), len = rd16(b + o + 2);

		t->psk_offered |= type == EXT_PSK;
		t->early_offered |= type == EXT_EARLY_DATA;
		*ticket |= type == EXT_SESSION_TICKET && len;
		for (unsigned i = 1; type == EXT_VERSIONS && i + 1 < len && o + 5 + i < end; i += 2)
			*v13 |= rd16(b + o + 4 + i) == TLS13;
	}
	return true;
}

/* The ClientHello body @b (@n bytes): what it offers, noted in @t and @L. */
static void client_hello(struct ladder_tls *t, int dir, const uint8_t *b, unsigned n,
			 int64_t time, struct labels *L)
{
	bool v13, ticket;
	char s[160];

	t->client = dir;
	t->hello = true;
	if (t->t_ch < 0)
		t->t_ch = time;
	if (n >= 35 && b[34] <= 32 && 35u + b[34] <= n) {
		t->sid_len = b[34];
		memcpy(t->sid, b + 35, b[34]);
	}
	if (!ch_exts(t, b, n, &v13, &ticket)) {
		labels_put(L, "ClientHello (extensions not captured)");
		return;
	}
	snprintf(s, sizeof(s), "ClientHello (%s%s%s%s)", v13 ? "offers TLS 1.3" : "TLS 1.2 or older",
		 t->psk_offered ? ", pre_shared_key: resumption attempt" : "",
		 t->early_offered ? ", early_data: 0-RTT" : "",
		 ticket && !t->psk_offered ? ", session ticket: resumption attempt" : "");
	labels_put(L, s);
}

/* The negotiated version of a ServerHello body @b: supported_versions, else
 * the legacy version field; whether it carries pre_shared_key in *@psk.
 * 0 when its extensions are not in the capture. */
static uint16_t server_version(const uint8_t *b, unsigned n, bool *psk)
{
	uint16_t v = (uint16_t)rd16(b);
	unsigned o, end;

	*psk = false;
	if (!hello_exts(b, n, false, &o, &end))
		return 0;
	for (; o + 4 <= end; o += 4 + rd16(b + o + 2)) {
		unsigned type = rd16(b + o);

		if (type == EXT_VERSIONS && o + 6 <= end)
			v = (uint16_t)rd16(b + o + 4);
		else if (type == EXT_PSK)
			*psk = true;
	}
	return v;
}

/* The ServerHello (or HelloRetryRequest) body @b: the version, whether the
 * PSK (1.3) or the session (1.2: its id echoed) was accepted. */
static void server_hello(struct ladder_tls *t, const uint8_t *b, unsigned n, int64_t time,
			 struct labels *L)
{
	bool psk;
	char s[160];

	t->hello = true;
	t->version = n >= 34 ? server_version(b, n, &psk) : 0;
	if (n >= 34 && !memcmp(b + 2, hrr_random, sizeof(hrr_random))) {
		t->hrr = true;
		labels_put(L, "HelloRetryRequest");
		return;
	}
	t->sh = true;
	if (t->t_sh < 0)
		t->t_sh = time;
	if (!t->version) {
		labels_put(L, "ServerHello (extensions not captured)");
		return;
	}
	t->psk_accepted = psk;
	t->resumed12 = t->version == TLS12 && t->sid_len && b[34] == t->sid_len &&
		       35u + t->sid_len <= n && !memcmp(b + 35, t->sid, t->sid_len);
	snprintf(s, sizeof(s), "ServerHello (%s%s%s)",
		 t->version == TLS13 ? "TLS 1.3" : t->version == TLS12 ? "TLS 1.2" : "TLS 1.1 or older",
		 psk ? ", PSK accepted: resumed" : t->version == TLS13 ? ", full handshake" : "",
		 t->resumed12 ? ", session resumed" : "");
	labels_put(L, s);
}

static const char *hs_name(unsigned type)
{
	switch (type) {
	case 0: return "HelloRequest";
	case 4: return "NewSessionTicket";
	case 8: return "EncryptedExtensions";
	case 11: return "Certificate";
	case 12: return "ServerKeyExchange";
	case 13: return "CertificateRequest";
	case 14: return "ServerHelloDone";
	case 15: return "CertificateVerify";
	case 16: return "ClientKeyExchange";
	case 20: return "Finished";
	case 24: return "KeyUpdate";
	default: return NULL;
	}
}

/* One clear-text handshake message of @type with @n captured body bytes. */
static void hs_message(struct ladder_tls *t, int dir, unsigned type, const uint8_t *b, unsigned n,
		       int64_t time, struct labels *L)
{
	char s[48];

	if (type == HS_CH) {
		client_hello(t, dir, b, n, time, L);
	} else if (type == HS_SH) {
		server_hello(t, b, n, time, L);
	} else if (hs_name(type)) {
		labels_put(L, hs_name(type));
	} else {
		snprintf(s, sizeof(s), "handshake type %u", type);
		labels_put(L, s);
	}
}

/* A clear-text handshake record's body @b (@bc captured of @rlen): its
 * messages, following one that continues from or into another record. */
static void hs_record(struct ladder_tls *t, int dir, const uint8_t *b, unsigned bc, unsigned rlen,
		      int64_t time, struct labels *L)
{
	struct ltls_dir *d = &t->d[dir];
	unsigned o = d->hs_left;

	if (o >= rlen) {
		d->hs_left -= rlen;
		labels_put(L, "handshake (continued)");
		return;
	}
	d->hs_left = 0;
	while (o + 4 <= bc) {
		unsigned mlen = rd24(b + o + 1);

		hs_message(t, dir, b[o], b + o + 4, bc - o - 4 < mlen ? bc - o - 4 : mlen, time, L);
		if (o + 4 + mlen > rlen) {
			d->hs_left = o + 4 + mlen - rlen;
			return;
		}
		o += 4 + mlen;
	}
}

static const char *alert_name(unsigned desc)
{
	switch (desc) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 109: return "missing_extension";
	case 112: return "unrecognized_name";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	default: return "alert";
	}
}

/* An alert record: two clear bytes (level, description), else encrypted. */
static void alert(const uint8_t *b, unsigned bc, unsigned rlen, struct labels *L)
{
	char s[64];

	if (rlen != 2 || bc < 2) {
		labels_put(L, "Alert (encrypted)");
		return;
	}
	snprintf(s, sizeof(s), "Alert %s %s(%u)", b[0] == 2 ? "fatal" : "warning", alert_name(b[1]), b[1]);
	labels_put(L, s);
}

/* A TLS 1.3 application-data record of the server, named by its place. */
static const char *server_appdata13(struct ladder_tls *t, int dir)
{
	if (t->t_cfin >= 0)
		return "application data";
	if (!t->d[dir].flight++)
		t->cfin_left = 1 + (t->early_records && t->psk_accepted);
	return "EncryptedExtensions..Finished (encrypted)";
}

/* A TLS 1.3 application-data record of the client, named by its place:
 * early data until the server's flight, then EndOfEarlyData (when 0-RTT was
 * sent and the PSK accepted) and the Finished, then application data. */
static const char *client_appdata13(struct ladder_tls *t, int dir, int64_t time)
{
	if (!t->d[1 - dir].flight && t->t_cfin < 0) {
		t->early_records++;
		return "early data (0-RTT)";
	}
	if (!t->cfin_left)
		return "application data";
	if (--t->cfin_left)
		return "EndOfEarlyData (encrypted)";
	t->t_cfin = time;
	return "Finished (encrypted)";
}

/* A ServerHello whose extensions were not captured: TLS 1.2 follows it
 * with handshake records each way (Certificate.., ClientKeyExchange; or,
 * resuming, CCS and the encrypted Finished), 1.3 with type 23 records. So
 * a type-23 record of direction @dir before any handshake record of it
 * after the ServerHello means 1.3; when it is the client's, the server's
 * encrypted flight was in the ServerHello's segment, past the snaplen. */
static void infer13(struct ladder_tls *t, int dir)
{
	t->version = TLS13;
	t->version_inferred = true;
	if (dir == t->client && t->sh_seg_more && !t->d[1 - dir].flight) {
		t->d[1 - dir].flight = 1;
		t->cfin_left = 1;
	}
}

/* An application-data record (type 23) of direction @dir. */
static const char *appdata(struct ladder_tls *t, int dir, int64_t time)
{
	bool client = dir == t->client;

	if (t->sh && !t->version && !t->d[dir].hs_after_sh)
		infer13(t, dir);
	if (!t->hello)
		return "application data";
	if (!t->sh && client && t->t_ch >= 0) {
		t->early_records++;
		return "early data (0-RTT)";
	}
	if (t->version != TLS13 || !t->sh)
		return "application data";
	return client ? client_appdata13(t, dir, time) : server_appdata13(t, dir);
}

/* A handshake record: clear text, or (TLS 1.2, after this side's
 * ChangeCipherSpec) its encrypted Finished. */
static void handshake(struct ladder_tls *t, int dir, const uint8_t *b, unsigned bc, unsigned rlen,
		      int64_t time, struct labels *L)
{
	struct ltls_dir *d = &t->d[dir];

	if (t->sh)
		d->hs_after_sh = true; /* not the ServerHello's own record: t->sh is set after it */
	if (!d->ccs || t->version == TLS13) {
		hs_record(t, dir, b, bc, rlen, time, L);
		return;
	}
	if (d->enc_hs) {
		labels_put(L, "handshake (encrypted)");
		return;
	}
	d->enc_hs = true;
	if (dir == t->client)
		t->t_cfin = time;
	labels_put(L, "Finished (encrypted)");
}

/* One record of direction @dir: header at @r, @bc body bytes captured. */
static void record(struct ladder_tls *t, int dir, const uint8_t *r, unsigned bc, int64_t time,
		   struct labels *L)
{
	unsigned rlen = rd16(r + 3);

	switch (r[0]) {
	case CT_CCS:
		t->d[dir].ccs = true;
		labels_put(L, "ChangeCipherSpec");
		break;
	case CT_ALERT:
		alert(r + 5, bc, rlen, L);
		break;
	case CT_HANDSHAKE:
		handshake(t, dir, r + 5, bc, rlen, time, L);
		break;
	case CT_APPDATA:
		labels_put(L, appdata(t, dir, time));
		break;
	case CT_HEARTBEAT:
		labels_put(L, "Heartbeat");
		break;
	}
}

static bool record_header(const uint8_t *p)
{
	unsigned len = rd16(p + 3);

	return p[0] >= CT_CCS && p[0] <= CT_HEARTBEAT && p[1] == 3 && p[2] <= 4 && len && len <= REC_MAX;
}

/* Whether a segment whose payload @pl (@cap bytes) has no known record
 * position starts one: a Hello, an application-data record of TLS 1.2/1.3,
 * or, once this connection showed TLS, any record. */
static bool record_start(const struct ladder_tls *t, const uint8_t *pl, unsigned cap)
{
	if (cap < 5 || !record_header(pl))
		return false;
	if (t->hello)
		return true;
	if (pl[0] == CT_APPDATA)
		return pl[2] == 3;
	return pl[0] == CT_HANDSHAKE && cap >= 10 && (pl[5] == HS_CH || pl[5] == HS_SH) && pl[9] == 3;
}

static bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* Where in the segment (seq, len) the first record header to read starts;
 * false if none does (inside a record, behind, or not TLS). */
static bool first_record(struct ladder_tls *t, struct ltls_dir *d, uint32_t seq, const uint8_t *pl,
			 unsigned cap, unsigned len, unsigned *off)
{
	if (d->have_pos && !seq_before(d->next, seq + len))
		return false;   /* inside a record that goes on, or a retransmission */
	if (d->have_pos && !seq_before(d->next, seq)) {
		*off = d->next - seq;
		return true;
	}
	/* no position, or bytes missing from the capture before this segment */
	if (!record_start(t, pl, cap)) {
		d->have_pos = false;
		return false;
	}
	d->have_pos = true;
	d->hs_left = 0;
	*off = 0;
	return true;
}

void ladder_tls_segment(struct ladder_tls *t, int dir, uint32_t seq, const uint8_t *pl,
			unsigned cap, unsigned len, int64_t time, char *buf, size_t n)
{
	struct ltls_dir *d = &t->d[dir];
	struct labels L = { .buf = buf, .n = n };
	bool sh = t->sh;
	unsigned off;

	if (!len || !first_record(t, d, seq, pl, cap, len, &off))
		return;
	while (off < len) {
		unsigned rlen, bc;

		if (off + 5 > cap || !record_header(pl + off)) {
			d->have_pos = false; /* cut by the snaplen, split, or lost track */
			t->sh_seg_more |= !sh && t->sh;
			break;
		}
		rlen = rd16(pl + off + 3);
		bc = cap - off - 5 < rlen ? cap - off - 5 : rlen;
		record(t, dir, pl + off, bc, time, &L);
		off += 5 + rlen;
		d->next = seq + off;
	}
	labels_flush(&L);
}
