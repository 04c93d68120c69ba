/* Small helpers shared by every module: exit codes, error printing,
 * checked allocation, string builders. */
#ifndef TB_UTIL_H
#define TB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Exit codes of every subcommand. */
enum tb_exit {
	TB_EXIT_OK = 0,
	TB_EXIT_FAIL = 1,  /* the experiment or the operation failed */
	TB_EXIT_USAGE = 2, /* bad command line or bad file */
	TB_EXIT_ENV = 3,   /* not root, missing kernel feature or package */
};

#define TB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/** Print "testbed: MESSAGE" to stderr. */
void tb_err(const char *fmt, ...) TB_PRINTF(1, 2);
/** Print "testbed: warning: MESSAGE" to stderr. */
void tb_warn(const char *fmt, ...) TB_PRINTF(1, 2);

/** malloc/calloc/realloc/strdup that abort with a message on exhaustion. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/** Free a NULL-terminated vector of allocated strings and the vector; NULL-safe. */
void tb_strv_free(char **v);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) TB_PRINTF(1, 2);

/** Grow *arr (of *cap elements of size @size) so that index @n fits. */
void *tb_grow(void *arr, size_t *cap, size_t n, size_t size);

/** Clock @clk (CLOCK_MONOTONIC, CLOCK_REALTIME, ...) in nanoseconds. */
int64_t tb_clock_ns(clockid_t clk);
/** The same in milliseconds. */
double tb_clock_ms(clockid_t clk);
/** Seconds on CLOCK_MONOTONIC since @t0 (taken from it). */
double tb_since_s(const struct timespec *t0);

/** pthread_create() with every signal blocked in the new thread: signals
 * go to the thread that reads them (a signalfd). A thread started with
 * SIGINT open took the Ctrl-C of a guest run and dropped it, or died of it.
 * 0 or a positive error number, like pthread_create(). */
int tb_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);

/** Levenshtein distance, capped at 255. */
unsigned tb_edit_distance(const char *a, const char *b);

#endif
