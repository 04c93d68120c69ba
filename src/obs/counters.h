/* Kernel SNMP counters of one namespace, like `nstat`: /proc/net/netstat,
 * /proc/net/snmp and /proc/net/snmp6 read inside the namespace and named as
 * nstat names them (TcpExtListenOverflows, TcpRetransSegs, Ip6InReceives).
 *
 * /proc/net is a link to /proc/self/net, which follows the namespace of the
 * process's main thread, not of the calling thread: the files are opened as
 * /proc/thread-self/net/... while the thread is inside the namespace. */
#ifndef TB_COUNTERS_H
#define TB_COUNTERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct counter {
	char name[64];
	uint64_t value; /* as the kernel printed it; gauges such as TcpMaxConn
			   (-1) and TcpCurrEstab wrap as two's complement */
};

/* One snapshot, in file order (netstat, snmp, snmp6). */
struct counters {
	struct counter *c;
	size_t n, cap;
};

/** Snapshot the counters of namespace @nsfd (-1: the calling thread's).
 * *out is allocated; free with counters_free(). 0 or -errno (a missing
 * snmp6, as with IPv6 disabled, is not an error). */
int counters_read(int nsfd, struct counters **out);

/** Parse one file's text in its format: "Prefix: names" / "Prefix: values"
 * line pairs (netstat, snmp), or "Name value" lines (snmp6, detected by the
 * absence of ':'), appending to @c. 0 or -EINVAL on a malformed pair. */
int counters_parse(struct counters *c, const char *text);

/** Value of counter @name in @c, or -ENOENT. */
int counters_get(const struct counters *c, const char *name, uint64_t *v);

/** JSON object { "TcpRetransSegs": after - before, ... } with every counter
 * of @after (zero deltas included; gauges as signed differences). A counter
 * missing from @before counts from 0. New reference. */
json_t *counters_delta_json(const struct counters *before, const struct counters *after);

/** JSON object of the absolute values of @c. New reference. */
json_t *counters_json(const struct counters *c);

/** Free a snapshot; NULL-safe. */
void counters_free(struct counters *c);

#endif
