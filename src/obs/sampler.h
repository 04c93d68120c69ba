/* Socket statistics like `ss -tin`, sampled in-process through sock_diag
 * (inet_diag over NETLINK_SOCK_DIAG, with libmnl), one thread per node.
 *
 * Each sample is one dump of every TCP socket of the node's namespace (IPv4
 * and IPv6, every state including TIME-WAIT and SYN-RECV request sockets)
 * with INET_DIAG_INFO, INET_DIAG_CONG and BBR's info. It yields:
 *   <dir>/<node>-tcp.csv     one row per matched socket per sample: tcp_info,
 *                            congestion control, BBR bw/min_rtt/gains
 *   <dir>/<node>-states.csv  one row per sample: socket counts by state
 * and, when UDP matches are given, a dump of the matched UDP sockets:
 *   <dir>/<node>-udp.csv     one row per matched UDP socket per sample:
 *                            queues, socket memory, drops (sampler_udp.h)
 * Both start with a header row; column t_s is seconds since the run start
 * given in the options (CLOCK_MONOTONIC). The columns are documented in
 * docs/observability.md. */
#ifndef TB_SAMPLER_H
#define TB_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define SAMPLER_MIN_INTERVAL_US 10000u
/* A wake-up this late is a stall of the machine, not scheduling noise. */
#define SAMPLER_STALL_NS 50000000u
/* The interval of a node that no flow starts or ends at (run_one.c). */
#define SAMPLER_IDLE_NODE_US 1000000u

/* Which sockets get a row in <node>-tcp.csv. Every given field must match;
 * zero / AF_UNSPEC fields are wildcards. A listening socket matches only a
 * match with lport and no rport (the flow's server): it then gets a row every
 * sample, its rqueue being the accept queue and its wqueue the backlog. */
struct sampler_match {
	char label[32];   /* written in the "flow" column (the flow's name) */
	int family;       /* AF_INET, AF_INET6 or AF_UNSPEC (0) for both */
	uint8_t laddr[16], raddr[16]; /* network order; IPv4 in the first 4 bytes */
	bool has_laddr, has_raddr;
	uint16_t lport, rport;        /* host order; 0: any */
};

struct sampler_opts {
	int nsfd;              /* namespace to sample; -1: the caller's */
	const char *node;      /* file name prefix and "node" column */
	const char *dir;       /* output directory (must exist) */
	uint32_t interval_us;  /* >= SAMPLER_MIN_INTERVAL_US; 0: 100 ms */
	struct timespec t0;    /* run start, CLOCK_MONOTONIC */
	const struct sampler_match *match; /* copied; NULL/0: no per-socket rows */
	unsigned n_match;
	bool match_all;        /* a row for every non-listening socket */
	/* UDP sockets to write to <node>-udp.csv (copied; NULL/0: no UDP
	 * dump, no file). A connected socket has both ports, a bound
	 * server's the local port only. */
	const struct sampler_match *udp_match;
	unsigned n_udp_match;
};

struct sampler_stats {
	uint64_t samples;      /* dumps completed */
	uint64_t missed;       /* ticks skipped because a sample overran */
	uint64_t rows;         /* rows written to <node>-tcp.csv */
	uint64_t errors;       /* dumps that failed (first error is printed) */
	uint64_t max_sample_ns;/* slowest dump + write */
	uint64_t late_max_ns;  /* latest wake-up after a tick was due: how long the
				  kernel (host or guest) did not run this
				  real-time thread, i.e. a stall of the machine */
	uint64_t stalls;       /* wake-ups later than SAMPLER_STALL_NS */
	double cpu_s;          /* CPU time of the sampler thread */
	uint64_t counted_fast; /* samples whose ESTAB and TIME-WAIT counts came from
				  TcpCurrEstab and sockstat (see docs/observability.md) */
	int write_err;         /* -errno of the first failed CSV write; 0: none */
	bool udp;              /* UDP sockets were sampled (udp_match given) */
	uint64_t udp_rows;     /* rows written to <node>-udp.csv */
	int udp_unavailable;   /* -errno: the kernel refused UDP sock_diag (-ENOENT:
				  no udp_diag), so <node>-udp.csv has no rows */
};

struct sampler;

/** Open the CSV files and the sock_diag socket inside @o->nsfd, then start
 * the sampling thread (first sample at once, then every interval on an
 * absolute clock). 0 or -errno; on error nothing is left open. */
int sampler_start(const struct sampler_opts *o, struct sampler **out);

/** Take one last sample, stop the thread, flush and close the files and
 * free @s; @st (may be NULL) receives the totals. 0, or the first -errno
 * seen while sampling or writing. NULL-safe. */
int sampler_stop(struct sampler *s, struct sampler_stats *st);

/* Socket counts of one namespace, indexed by the kernel's TCP state
 * (TCP_ESTABLISHED = 1 ... TCP_CLOSING = 11); request sockets count as
 * SYN-RECV, TIME-WAIT sockets in FIN-WAIT-2 as FIN-WAIT-2 (as ss shows). */
struct sampler_counts {
	unsigned state[13];
	unsigned total;
};

/** One synchronous dump of namespace @nsfd (-1: the caller's): the state
 * counts. For one-off checks and tests. 0 or -errno. */
int sampler_count_states(int nsfd, struct sampler_counts *c);

#endif
