#include "tap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n;
static int tap_failed;
static int tap_planned = -1;

__attribute__((constructor)) static void tap_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

void tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

static void vline(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vline(const char *prefix, const char *fmt, va_list ap)
{
	int saved = errno;

	fputs(prefix, stdout);
	vprintf(fmt, ap);
	putchar('\n');
	errno = saved;
}

bool tap_ok(bool pass, const char *fmt, ...)
{
	va_list ap;
	char head[64];

	tap_n++;
	if (!pass)
		tap_failed++;
	snprintf(head, sizeof(head), "%sok %d - ", pass ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vline(head, fmt, ap);
	va_end(ap);
	return pass;
}

void tap_skip(const char *fmt, ...)
{
	va_list ap;
	char head[64];

	tap_n++;
	snprintf(head, sizeof(head), "ok %d # SKIP ", tap_n);
	va_start(ap, fmt);
	vline(head, fmt, ap);
	va_end(ap);
}

void tap_skip_all(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("1..0 # SKIP ", fmt, ap);
	va_end(ap);
	exit(0);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("Bail out! ", fmt, ap);
	va_end(ap);
	exit(255);
}

int tap_done(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_n);
	else if (tap_planned != tap_n)
		tap_diag("planned %d tests but ran %d", tap_planned, tap_n);
	return tap_failed ? 1 : 0;
}

bool tap_is_str(const char *got, const char *want, const char *name)
{
	bool pass = got && want ? strcmp(got, want) == 0 : got == want;

	if (!tap_ok(pass, "%s", name)) {
		tap_diag("     got: %s", got ? got : "(null)");
		tap_diag("expected: %s", want ? want : "(null)");
	}
	return pass;
}

bool tap_is_int(long long got, long long want, const char *name)
{
	bool pass = got == want;

	if (!tap_ok(pass, "%s", name)) {
		tap_diag("     got: %lld", got);
		tap_diag("expected: %lld", want);
	}
	return pass;
}
