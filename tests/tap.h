/* Minimal TAP producer for the C unit tests (after kselftest.h).
 * stdout is line-buffered so that a fork() never duplicates output. */
#ifndef TB_TAP_H
#define TB_TAP_H

#include <stdbool.h>

#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))

/** Print the plan "1..n". */
void tap_plan(int n);
/** Print "ok N - name" or "not ok N - name"; returns @pass. */
bool tap_ok(bool pass, const char *fmt, ...) TAP_PRINTF(2, 3);
/** Record a skipped test with its reason. */
void tap_skip(const char *reason, ...) TAP_PRINTF(1, 2);
/** Skip the whole file with a reason (prints "1..0 # SKIP reason") and exit 0. */
void tap_skip_all(const char *reason, ...) TAP_PRINTF(1, 2) __attribute__((noreturn));
/** Print a "# ..." diagnostic line. errno is preserved. */
void tap_diag(const char *fmt, ...) TAP_PRINTF(1, 2);
/** "Bail out! reason" and exit 255. */
void tap_bail(const char *fmt, ...) TAP_PRINTF(1, 2) __attribute__((noreturn));
/** Print the trailing plan when no plan was given, and return the exit code. */
int tap_done(void);

/** ok() comparing two strings; prints both on failure. */
bool tap_is_str(const char *got, const char *want, const char *name);
/** ok() comparing two integers; prints both on failure. */
bool tap_is_int(long long got, long long want, const char *name);

#endif
