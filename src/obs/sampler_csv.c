/* CSV output of the sampler: see sampler_csv.h. */
#include "sampler_csv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/util.h"

static const char *const state_names[] = {
	[0] = "UNKNOWN",     [1] = "ESTAB",      [2] = "SYN-SENT",   [3] = "SYN-RECV",
	[4] = "FIN-WAIT-1",  [5] = "FIN-WAIT-2", [6] = "TIME-WAIT",  [7] = "UNCONN",
	[8] = "CLOSE-WAIT",  [9] = "LAST-ACK",   [10] = "LISTEN",    [11] = "CLOSING",
	[12] = "SYN-RECV",
};

const char *sampler_state_name(unsigned st)
{
	return st < ARRAY_SIZE(state_names) ? state_names[st] : "UNKNOWN";
}

#define TCP_HEADER                                                                                 \
	"t_s,node,flow,family,src,sport,dst,dport,cookie,state,rqueue,wqueue,cc"
#define UDP_HEADER "t_s,node,flow,family,src,sport,dst,dport,cookie,state,rqueue,wqueue,inode"
#define TCP_TRAILER                                                                                \
	",snd_wscale,rcv_wscale,app_limited,bbr_bw_Bps,bbr_min_rtt_us,bbr_pacing_gain,"            \
	"bbr_cwnd_gain\n"

int sampler_ob_open(struct sampler_obuf *b, const char *dir, const char *node, const char *suffix,
		    const char *header)
{
	char *path = xasprintf("%s/%s-%s.csv", dir, node, suffix);
	int rc = 0;

	b->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (b->fd < 0) {
		rc = -errno;
		tb_err("sampler: open %s: %s", path, strerror(errno));
	} else {
		b->cap = SAMPLER_OBUF_CAP;
		b->p = xmalloc(b->cap);
		sampler_ob_str(b, header);
	}
	free(path);
	return rc;
}

void sampler_ob_flush(struct sampler_obuf *b)
{
	size_t off = 0;

	while (off < b->len && b->fd >= 0) {
		ssize_t n = write(b->fd, b->p + off, b->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!b->err)
				b->err = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	b->len = 0;
}

void sampler_ob_reserve(struct sampler_obuf *b, size_t n)
{
	if (b->len + n > b->cap)
		sampler_ob_flush(b);
}

void sampler_ob_str(struct sampler_obuf *b, const char *s)
{
	size_t n = strlen(s);

	sampler_ob_reserve(b, n + 1);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void sampler_ob_chr(struct sampler_obuf *b, char c)
{
	sampler_ob_reserve(b, 1);
	b->p[b->len++] = c;
}

void sampler_ob_u64(struct sampler_obuf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sampler_ob_reserve(b, sizeof(tmp));
	memcpy(b->p + b->len, tmp + i, sizeof(tmp) - (size_t)i);
	b->len += sizeof(tmp) - (size_t)i;
}

/* Seconds since t0 with microseconds: "12.345678". */
void sampler_ob_time(struct sampler_obuf *b, int64_t ns)
{
	char tmp[8];

	if (ns < 0) {
		sampler_ob_chr(b, '-');
		ns = -ns;
	}
	sampler_ob_u64(b, (uint64_t)ns / 1000000000);
	snprintf(tmp, sizeof(tmp), ".%06u", (unsigned)((uint64_t)ns % 1000000000 / 1000));
	sampler_ob_str(b, tmp);
}

/* tcp_info columns: name, offset, size. A field beyond the length the kernel
 * returned is left empty ("where the kernel has it"). */
#define TI(col, f) { col, offsetof(struct tcp_info, f), sizeof(((struct tcp_info *)0)->f) }
static const struct ti_col {
	const char *name;
	unsigned short off, size;
} ti_cols[] = {
	TI("ca_state", tcpi_ca_state), TI("retransmits", tcpi_retransmits),
	TI("probes", tcpi_probes), TI("backoff", tcpi_backoff), TI("options", tcpi_options),
	TI("rto_us", tcpi_rto), TI("ato_us", tcpi_ato), TI("snd_mss", tcpi_snd_mss),
	TI("rcv_mss", tcpi_rcv_mss), TI("unacked", tcpi_unacked), TI("sacked", tcpi_sacked),
	TI("lost", tcpi_lost), TI("retrans", tcpi_retrans), TI("pmtu", tcpi_pmtu),
	TI("rcv_ssthresh", tcpi_rcv_ssthresh), TI("rtt_us", tcpi_rtt), TI("rttvar_us", tcpi_rttvar),
	TI("snd_ssthresh", tcpi_snd_ssthresh), TI("snd_cwnd", tcpi_snd_cwnd),
	TI("advmss", tcpi_advmss), TI("reordering", tcpi_reordering), TI("rcv_rtt_us", tcpi_rcv_rtt),
	TI("rcv_space", tcpi_rcv_space), TI("total_retrans", tcpi_total_retrans),
	TI("pacing_rate_Bps", tcpi_pacing_rate), TI("max_pacing_rate_Bps", tcpi_max_pacing_rate),
	TI("bytes_acked", tcpi_bytes_acked), TI("bytes_received", tcpi_bytes_received),
	TI("segs_out", tcpi_segs_out), TI("segs_in", tcpi_segs_in),
	TI("notsent_bytes", tcpi_notsent_bytes), TI("min_rtt_us", tcpi_min_rtt),
	TI("data_segs_in", tcpi_data_segs_in), TI("data_segs_out", tcpi_data_segs_out),
	TI("delivery_rate_Bps", tcpi_delivery_rate), TI("busy_time_us", tcpi_busy_time),
	TI("rwnd_limited_us", tcpi_rwnd_limited), TI("sndbuf_limited_us", tcpi_sndbuf_limited),
	TI("delivered", tcpi_delivered), TI("delivered_ce", tcpi_delivered_ce),
	TI("bytes_sent", tcpi_bytes_sent), TI("bytes_retrans", tcpi_bytes_retrans),
	TI("dsack_dups", tcpi_dsack_dups), TI("reord_seen", tcpi_reord_seen),
	TI("rcv_ooopack", tcpi_rcv_ooopack), TI("snd_wnd", tcpi_snd_wnd),
};
#undef TI

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	unsigned t = mnl_attr_get_type(a);

	if (t <= INET_DIAG_MAX)
		tb[t] = a;
	return MNL_CB_OK;
}

/* ",v": one value after a comma. */
static void put_u64(struct sampler_obuf *b, uint64_t v)
{
	sampler_ob_chr(b, ',');
	sampler_ob_u64(b, v);
}

/* ",v1,v2,...": @n values, each after a comma. */
static void put_fields(struct sampler_obuf *b, const uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_u64(b, v[i]);
}

/* ",ADDR" of family @family. */
static void put_addr(struct sampler_obuf *b, int family, const void *a)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(family, a, addr, sizeof(addr));
	sampler_ob_chr(b, ',');
	sampler_ob_str(b, addr);
}

/* The socket's columns from family to wqueue, and the comma before cc. */
static void put_socket(struct sampler_obuf *b, const struct inet_diag_msg *m)
{
	sampler_ob_str(b, m->idiag_family == AF_INET ? ",4" : ",6");
	put_addr(b, m->idiag_family, m->id.idiag_src);
	put_u64(b, ntohs(m->id.idiag_sport));
	put_addr(b, m->idiag_family, m->id.idiag_dst);
	put_u64(b, ntohs(m->id.idiag_dport));
	put_u64(b, (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0]);
	sampler_ob_chr(b, ',');
	sampler_ob_str(b, sampler_state_name(m->idiag_state));
	put_u64(b, m->idiag_rqueue);
	put_u64(b, m->idiag_wqueue);
	sampler_ob_chr(b, ',');
}

/* The congestion control's name, when the kernel gave it. */
static void put_cc(struct sampler_obuf *b, const struct nlattr *a)
{
	char cc[32];

	if (!a)
		return;
	snprintf(cc, sizeof(cc), "%.*s", (int)mnl_attr_get_payload_len(a),
		 (const char *)mnl_attr_get_payload(a));
	sampler_ob_str(b, cc);
}

/* The tcp_info columns: ",v" each, "," alone beyond the @len bytes of @ti. */
static void put_tcp_info(struct sampler_obuf *b, const uint8_t *ti, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(ti_cols); i++) {
		const struct ti_col *c = &ti_cols[i];

		sampler_ob_chr(b, ',');
		if (!ti || c->off + c->size > len)
			continue;
		if (c->size == 1)
			sampler_ob_u64(b, ti[c->off]);
		else if (c->size == 4) {
			uint32_t v;
			memcpy(&v, ti + c->off, 4);
			sampler_ob_u64(b, v);
		} else {
			uint64_t v;
			memcpy(&v, ti + c->off, 8);
			sampler_ob_u64(b, v);
		}
	}
}

/* snd_wscale, rcv_wscale and app_limited: tcp_info's bitfields. */
static void put_bitfields(struct sampler_obuf *b, const uint8_t *ti, size_t len)
{
	/* copy the struct prefix to read them portably */
	struct tcp_info tmp;

	if (!ti || len <= offsetof(struct tcp_info, tcpi_rto)) {
		sampler_ob_str(b, ",,,");
		return;
	}
	memcpy(&tmp, ti, offsetof(struct tcp_info, tcpi_rto));
	put_fields(b, (const uint64_t[]){ tmp.tcpi_snd_wscale, tmp.tcpi_rcv_wscale,
					  tmp.tcpi_delivery_rate_app_limited }, 3);
}

/* The BBR columns, when the kernel gave a whole tcp_bbr_info. */
static void put_bbr(struct sampler_obuf *b, const struct nlattr *a)
{
	struct tcp_bbr_info bbr;

	if (!a || mnl_attr_get_payload_len(a) < sizeof(struct tcp_bbr_info)) {
		sampler_ob_str(b, ",,,,");
		return;
	}
	memcpy(&bbr, mnl_attr_get_payload(a), sizeof(bbr));
	put_fields(b, (const uint64_t[]){ (uint64_t)bbr.bbr_bw_hi << 32 | bbr.bbr_bw_lo,
					  bbr.bbr_min_rtt, bbr.bbr_pacing_gain, bbr.bbr_cwnd_gain }, 4);
}

void sampler_csv_row(struct sampler_obuf *b, int64_t now_ns, const char *node, const char *label,
		     const struct nlmsghdr *nlh, const struct inet_diag_msg *m)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { NULL };
	const uint8_t *ti = NULL;
	size_t ti_len = 0;

	mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb);
	if (tb[INET_DIAG_INFO]) {
		ti = mnl_attr_get_payload(tb[INET_DIAG_INFO]);
		ti_len = mnl_attr_get_payload_len(tb[INET_DIAG_INFO]);
	}
	sampler_ob_reserve(b, 2048); /* one row always fits: no partial rows on disk */
	sampler_ob_time(b, now_ns);
	sampler_ob_chr(b, ',');
	sampler_ob_str(b, node);
	sampler_ob_chr(b, ',');
	sampler_ob_str(b, label);
	put_socket(b, m);
	put_cc(b, tb[INET_DIAG_CONG]);
	put_tcp_info(b, ti, ti_len);
	put_bitfields(b, ti, ti_len);
	put_bbr(b, tb[INET_DIAG_BBRINFO]);
	sampler_ob_chr(b, '\n');
}

/* skmem columns, in the order of the kernel's SK_MEMINFO_* indices (ss -m:
 * r, rb, t, tb, f, w, o, bl, d). */
static const char *const skmem_cols[SK_MEMINFO_VARS] = {
	[SK_MEMINFO_RMEM_ALLOC] = "rmem_alloc", [SK_MEMINFO_RCVBUF] = "rcvbuf",
	[SK_MEMINFO_WMEM_ALLOC] = "wmem_alloc", [SK_MEMINFO_SNDBUF] = "sndbuf",
	[SK_MEMINFO_FWD_ALLOC] = "fwd_alloc",   [SK_MEMINFO_WMEM_QUEUED] = "wmem_queued",
	[SK_MEMINFO_OPTMEM] = "optmem",         [SK_MEMINFO_BACKLOG] = "backlog",
	[SK_MEMINFO_DROPS] = "drops",
};

/* The skmem columns: ",v" each, "," alone for those beyond what @a holds. */
static void put_skmem(struct sampler_obuf *b, const struct nlattr *a)
{
	size_t n = a ? mnl_attr_get_payload_len(a) / sizeof(uint32_t) : 0;

	for (size_t i = 0; i < ARRAY_SIZE(skmem_cols); i++) {
		uint32_t v;

		sampler_ob_chr(b, ',');
		if (i >= n)
			continue;
		memcpy(&v, (const uint8_t *)mnl_attr_get_payload(a) + i * sizeof(v), sizeof(v));
		sampler_ob_u64(b, v);
	}
}

void sampler_csv_udp_row(struct sampler_obuf *b, int64_t now_ns, const char *node,
			 const char *label, const struct nlmsghdr *nlh,
			 const struct inet_diag_msg *m)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { NULL };

	mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb);
	sampler_ob_reserve(b, 512); /* one row always fits: no partial rows on disk */
	sampler_ob_time(b, now_ns);
	sampler_ob_chr(b, ',');
	sampler_ob_str(b, node);
	sampler_ob_chr(b, ',');
	sampler_ob_str(b, label);
	put_socket(b, m);
	sampler_ob_u64(b, m->idiag_inode);
	put_skmem(b, tb[INET_DIAG_SKMEMINFO]);
	sampler_ob_chr(b, '\n');
}

char *sampler_csv_udp_header(void)
{
	char *hdr = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&hdr, &len);

	if (!f)
		abort();
	fputs(UDP_HEADER, f);
	for (size_t i = 0; i < ARRAY_SIZE(skmem_cols); i++)
		fprintf(f, ",%s", skmem_cols[i]);
	fputc('\n', f);
	fclose(f);
	return hdr;
}

char *sampler_csv_tcp_header(void)
{
	char *hdr = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&hdr, &len);

	if (!f)
		abort();
	fputs(TCP_HEADER, f);
	for (size_t i = 0; i < ARRAY_SIZE(ti_cols); i++)
		fprintf(f, ",%s", ti_cols[i].name);
	fputs(TCP_TRAILER, f);
	fclose(f);
	return hdr;
}
