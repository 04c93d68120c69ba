/* The messages of topology building: an error code with its text, and the
 * kernel's own words beside errno's. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rtnl.h"
#include "topo_err.h"

int topo_fail(struct topo_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

const char *topo_why(int code, const struct rtnl *nl, char *buf, size_t len)
{
	const char *ack = nl ? rtnl_ext_ack(nl) : "";

	if (*ack)
		snprintf(buf, len, "%s (kernel: %s)", strerror(-code), ack);
	else
		snprintf(buf, len, "%s", strerror(-code));
	return buf;
}
