/* CSV output of the sock_diag sampler (src/obs/sampler.c): a write(2) buffer
 * and the <node>-tcp.csv or <node>-udp.csv row of one inet_diag message. */
#ifndef TB_SAMPLER_CSV_H
#define TB_SAMPLER_CSV_H

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

/* Output buffer, flushed to an fd with write(2): cheaper than stdio at
 * 100k rows/s and lets us report write errors exactly. */
struct sampler_obuf {
	int fd;
	char *p;
	size_t len, cap;
	int err;              /* first write error, -errno */
};

#define SAMPLER_OBUF_CAP (256 * 1024)

/** Create (truncate) <@dir>/<@node>-<@suffix>.csv as @b's file, with
 * @header as its first line. 0 or -errno (printed). */
int sampler_ob_open(struct sampler_obuf *b, const char *dir, const char *node, const char *suffix,
		    const char *header);
/** Write out and empty @b; a failure is kept in b->err. */
void sampler_ob_flush(struct sampler_obuf *b);
/** Flush first when @n more bytes would not fit. */
void sampler_ob_reserve(struct sampler_obuf *b, size_t n);
/** Append a string, a character, a decimal number. */
void sampler_ob_str(struct sampler_obuf *b, const char *s);
void sampler_ob_chr(struct sampler_obuf *b, char c);
void sampler_ob_u64(struct sampler_obuf *b, uint64_t v);
/** Append @ns as seconds with microseconds: "12.345678". */
void sampler_ob_time(struct sampler_obuf *b, int64_t ns);

/** Append the <node>-tcp.csv row of socket @m (message @nlh, with its
 * INET_DIAG_INFO, INET_DIAG_CONG and BBR attributes when present), taken at
 * @now_ns, for flow @label of @node. A row is never split across flushes. */
void sampler_csv_row(struct sampler_obuf *b, int64_t now_ns, const char *node, const char *label,
		     const struct nlmsghdr *nlh, const struct inet_diag_msg *m);

/** The header line of <node>-tcp.csv (with its newline), malloc'd. */
char *sampler_csv_tcp_header(void);

/** Append the <node>-udp.csv row of UDP socket @m (message @nlh, with its
 * INET_DIAG_SKMEMINFO when present: a field the kernel did not give is
 * left empty), taken at @now_ns, for flow @label of @node. */
void sampler_csv_udp_row(struct sampler_obuf *b, int64_t now_ns, const char *node,
			 const char *label, const struct nlmsghdr *nlh,
			 const struct inet_diag_msg *m);

/** The header line of <node>-udp.csv (with its newline), malloc'd. */
char *sampler_csv_udp_header(void);

/** ss's name of TCP state @st ("ESTAB", "TIME-WAIT", ...), "UNKNOWN". */
const char *sampler_state_name(unsigned st);

#endif
