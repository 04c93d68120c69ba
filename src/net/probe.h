/* What the running kernel supports: qdisc kinds, link kinds and TCP
 * congestion controls. Probed once per process and cached. */
#ifndef TB_PROBE_H
#define TB_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct probe {
	char release[65];       /* uname -r */
	bool modules;           /* the kernel can load modules (/proc/modules) */
	bool qdiscs_probed;     /* false: no scratch netns could be made (see qdisc_errno) */
	int qdisc_errno;        /* why not, when !qdiscs_probed (positive errno) */
	uint32_t qdiscs;        /* bit i set: probe_qdisc_kinds()[i] is present */
	uint32_t links;         /* bit i set: probe_link_kinds()[i] is present */
	char cc_available[256]; /* /proc/sys/net/ipv4/tcp_available_congestion_control */
	char cc_allowed[256];   /* tcp_allowed_congestion_control (what non-root may pick) */
	double elapsed_ms;      /* how long the (uncached) probe took */
};

/** Fill @out with what the running kernel supports. The first call probes
 * (about 2-10 ms: it tries each qdisc kind on the loopback device of a
 * throwaway network namespace, made with a user namespace when not root,
 * and discards the namespace); later calls copy the cached result. Not
 * thread-safe on the first call. Returns 0, or -errno when even uname(2)
 * fails; a netns that cannot be made is not an error (qdiscs_probed=false). */
int probe_kernel(struct probe *out);

/** What the running kernel's files say, without the qdisc and link probe
 * (qdiscs_probed false) and without the cache: release, modules and the
 * congestion control lists. No fork, no namespace: for `testbed check`.
 * 0, or -errno when uname(2) fails. */
int probe_kernel_files(struct probe *out);

/** Forget the cached result, so the next probe_kernel() probes again (after
 * loading modules, for example). */
void probe_reset(void);

/** The qdisc kinds probe_kernel() tries, NULL-terminated: those the testbed
 * installs (qdisc_ops.h: netem, tbf, htb, pfifo, ...), then pfifo_fast,
 * sfq, prio, pie, red, ingress, clsact, ... */
const char *const *probe_qdisc_kinds(void);

/** The link kinds probe_kernel() tries, NULL-terminated: veth, dummy, ifb. */
const char *const *probe_link_kinds(void);

/** Whether qdisc @kind (tc's name, e.g. "fq_codel") was found. False for a
 * kind the probe does not know and when qdiscs could not be probed. */
bool probe_has_qdisc(const struct probe *p, const char *kind);

/** Whether link kind @kind ("veth", "dummy", "ifb") was found. */
bool probe_has_link(const struct probe *p, const char *kind);

/** Whether congestion control @cc ("bbr", "cubic", ...) is available. */
bool probe_has_cc(const struct probe *p, const char *cc);

#endif
