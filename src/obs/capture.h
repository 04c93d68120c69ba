/* Packet capture with libpcap inside a node's namespace, one thread per
 * interface, written as <dir>/<node>-<iface>.pcap (readable by tshark and
 * Wireshark). The handle is created and activated while the thread is in
 * the namespace, so the interface name is resolved there; the packet socket
 * stays in that namespace afterwards. */
#ifndef TB_CAPTURE_H
#define TB_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#define CAPTURE_SNAPLEN_DEFAULT 128u

struct capture_opts {
	const char *dir;      /* output directory (must exist) */
	const char *node;     /* node name: file prefix and messages */
	unsigned snaplen;     /* bytes kept per packet; 0: 128 */
	const char *filter;   /* BPF expression (pcap-filter(7)); NULL: everything */
	uint64_t max_bytes;   /* file size cap; 0: none. Reaching it stops this
				 capture with a notice; the run goes on */
	unsigned buffer_kb;   /* kernel ring buffer; 0: 32 MiB */
};

struct capture_stats {
	uint64_t packets;     /* packets written to the file */
	uint64_t bytes;       /* file size */
	uint64_t recv;        /* pcap_stats ps_recv: seen by the filter */
	uint64_t drop;        /* pcap_stats ps_drop: lost, ring buffer full */
	uint64_t ifdrop;      /* pcap_stats ps_ifdrop: dropped by the interface */
	bool capped;          /* stopped early at max_bytes */
};

struct capture;

/** Start capturing on @ifname inside namespace @nsfd (-1: the caller's).
 * Errors (no such interface, bad filter, no permission) are printed with
 * context and returned as -errno (-EINVAL for a bad filter). */
int capture_start(int nsfd, const char *ifname, const struct capture_opts *o,
		  struct capture **out);

/** Stop: drain what the kernel already holds, close the file, fill @st (may
 * be NULL) and free @c. Drops are printed as a warning, never hidden.
 * 0 or the first -errno seen while writing. NULL-safe. */
int capture_stop(struct capture *c, struct capture_stats *st);

/** The path of the file @c writes. */
const char *capture_path(const struct capture *c);

#endif
