/* What topology building reports: one printable line with its -errno. */
#ifndef TB_TOPO_ERR_H
#define TB_TOPO_ERR_H

#include <stddef.h>

#include "util/util.h"

struct rtnl;

/* One printable line: "link r1-r2: add veth r1/eth1: File exists". */
struct topo_err {
	int code; /* -errno */
	char msg[512];
};

/** Fill @err with the formatted message and @code; returns @code. */
int topo_fail(struct topo_err *err, int code, const char *fmt, ...) TB_PRINTF(3, 4);

/** "File exists" or "File exists (kernel: ...)" for @code, with the ext ack
 * of @nl (NULL: none) into @buf. */
const char *topo_why(int code, const struct rtnl *nl, char *buf, size_t len);

#endif
