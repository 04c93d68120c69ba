/* UDP sockets of the sock_diag sampler (src/obs/sampler.c): at each sample,
 * one dump per address family of the node's UDP sockets that a match
 * selects (inet_diag bytecode), with INET_DIAG_SKMEMINFO, written as
 *   <dir>/<node>-udp.csv  one row per matched socket per sample: queues,
 *                         socket memory and drops (docs/observability.md)
 * A kernel without UDP sock_diag (CONFIG_INET_UDP_DIAG, module udp_diag)
 * answers the first dump with ENOENT: the file then keeps its header only,
 * no more dumps are asked for, and sampler_udp_unavailable() says why. */
#ifndef TB_SAMPLER_UDP_H
#define TB_SAMPLER_UDP_H

#include <stdint.h>

#include "sampler.h"
#include "sampler_nl.h"

struct sampler_udp;

/** Create <@dir>/<@node>-udp.csv for the sockets of the @n matches @m
 * (copied; n > 0). 0 or -errno (printed); *@out NULL on error. */
int sampler_udp_open(const char *dir, const char *node, const struct sampler_match *m,
		     unsigned n, struct sampler_udp **out);

/** One sample at @now_ns (relative to the run start): the rows of the
 * matched UDP sockets. 0 (also once UDP sock_diag proved unavailable) or
 * -errno of a failed dump. */
int sampler_udp_sample(struct sampler_udp *u, const struct sampler_nl *nl, int64_t now_ns);

/** Rows written so far. */
uint64_t sampler_udp_rows(const struct sampler_udp *u);

/** -errno with which the kernel refused UDP sock_diag (-ENOENT: no
 * udp_diag), 0 while it answers. */
int sampler_udp_unavailable(const struct sampler_udp *u);

/** Flush and close the file, free @u; the first write error (-errno) or 0.
 * NULL-safe. */
int sampler_udp_close(struct sampler_udp *u);

#endif
