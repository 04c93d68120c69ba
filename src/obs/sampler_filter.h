/* Helpers of the sock_diag sampler (src/obs/sampler.c): its socket matches
 * tested in user space and as inet_diag bytecode, and the /proc/net counters it reads instead of
 * dumping every socket. */
#ifndef TB_SAMPLER_FILTER_H
#define TB_SAMPLER_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/inet_diag.h>

#include "sampler.h"

/** Write into @bc (@cap bytes) inet_diag bytecode (INET_DIAG_REQ_BYTECODE)
 * that passes the sockets of address family @family that one of the @n
 * matches @m may select, so that the kernel fills a message only for those.
 * Returns its length; 0 when some match takes every socket (or the matches
 * do not fit: no filter); -1 when no match can take a socket of @family. */
int sampler_bc_build(const struct sampler_match *m, unsigned n, int family, uint8_t *bc,
		     size_t cap);

/** The first of the @n matches @m that socket @msg satisfies (family,
 * ports and addresses; its state is not looked at), or NULL. */
const struct sampler_match *sampler_match_find(const struct sampler_match *m, unsigned n,
					       const struct inet_diag_msg *msg);

/** The value of field @name in @buf, the text of a /proc/net file made of
 * "Prefix: names" / "Prefix: values" line pairs (snmp; @pairs false), or of
 * "Prefix: name value name value" lines (sockstat; @pairs true). @prefix
 * includes the newline before it ("\nTcp:"), @name its leading space for
 * sockstat (" tw"). 0 or -ENOENT. */
int sampler_proc_field(const char *buf, const char *prefix, const char *name, bool pairs,
		       long *v);

/** Whether this kernel's TcpCurrEstab counts CLOSE-WAIT sockets besides
 * ESTABLISHED ones (1: Linux 6.10 and later, and the stable kernels that got
 * "tcp: count CLOSE-WAIT sockets for TCP_MIB_CURRESTAB"; 0: before), found
 * once per process by leaving one loopback connection in CLOSE-WAIT in a
 * throwaway namespace (needs CAP_SYS_ADMIN). 1, 0 or -errno. */
int sampler_currestab_counts_close_wait(void);

#endif
