/* Shared code of the bundled workers (workers/common*.c is linked into every
 * worker): option parsing with tc-style units, the lifecycle every worker
 * obeys (deadline, parent death, SIGTERM), the JSON result and series files,
 * latency histograms, errno accounting and socket helpers.
 *
 * Exported symbols carry the wk_ prefix. Times are CLOCK_MONOTONIC
 * microseconds unless a name says otherwise. */
#ifndef TB_WORKER_COMMON_H
#define TB_WORKER_COMMON_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define WK_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Exit codes, the same as the orchestrator's enum tb_exit. */
enum { WK_EXIT_OK = 0, WK_EXIT_FAIL = 1, WK_EXIT_USAGE = 2, WK_EXIT_ENV = 3 };

/* Why the main loop stopped (wk_stop). */
enum wk_stop_reason {
	WK_RUNNING = 0,
	WK_STOP_DONE,     /* the work is finished (duration or byte count reached) */
	WK_STOP_SIGNAL,   /* SIGTERM / SIGINT / SIGHUP */
	WK_STOP_DEADLINE, /* --deadline reached */
	WK_STOP_PARENT,   /* the parent died */
	WK_STOP_ERROR,    /* a fatal error (wk_fail) */
};

/* Kinds of option values; each is parsed with the matching units_* parser. */
enum wk_kind {
	WK_FLAG,   /* bool, no value */
	WK_TIME,   /* uint64_t microseconds: 20ms, 1.5s */
	WK_SIZE,   /* uint64_t bytes: 1500, 64k, 4m */
	WK_COUNT,  /* uint64_t: 1000, 10k */
	WK_REAL,   /* double: 2.5, 1e3 */
	WK_BYTERATE, /* uint64_t bytes/s: a rate with a bit/bps unit (100mbit, 1mbps) or a size (64k = 64 KiB/s) */
	WK_STRING, /* const char * */
	WK_CHOICE, /* int: index into choices[] */
};

struct wk_opt {
	const char *name;          /* without the leading "--" */
	enum wk_kind kind;
	void *dst;
	const char *help;
	const char *const *choices; /* WK_CHOICE: NULL-terminated */
	uint64_t min, max;         /* WK_TIME/SIZE/COUNT bounds (inclusive); max 0 = none */
	bool given;                /* set by the parser */
};

/* Options every worker accepts (filled by wk_init). */
struct wk_common {
	const char *host;
	uint64_t port;
	uint64_t duration_us;
	uint64_t deadline_us;
	const char *result;
	const char *series;
	uint64_t interval_us;
	bool duration_given, deadline_given, host_given;
	struct sockaddr_storage addr; /* host:port, resolved numerically */
	socklen_t addrlen;
	int family;                   /* AF_INET or AF_INET6 */
};

/* Program description handed to wk_init. */
struct wk_prog {
	const char *name;        /* "tb-bulk" */
	const char *summary;     /* one line for --help */
	const char *details;     /* text after the option list (may be NULL) */
	struct wk_opt *opts;     /* worker-specific options, terminated by name == NULL */
	uint64_t default_duration_us; /* 0: runs until stopped (server) */
	bool host_required;      /* clients need --host; the server defaults to :: */
};

extern struct wk_common wk;
/* Set from signal handlers and by wk_finish(); the main loops poll it. */
extern volatile sig_atomic_t wk_stop;
/* The server sets this: without --duration, SIGTERM is its normal end and
 * does not make the result incomplete. */
extern bool wk_signal_completes;
/* Worker start, CLOCK_MONOTONIC microseconds (set by wk_init). */
extern uint64_t wk_t0;

/**
 * Parse the command line (common options plus prog->opts), print --help and
 * exit 0 when asked, exit 2 with a message naming the option on bad usage.
 * Then: PR_SET_PDEATHSIG(SIGTERM) with the getppid() race check, signal
 * handlers for SIGTERM/SIGINT/SIGHUP (no SA_RESTART, so blocking calls return
 * EINTR), SIGPIPE ignored, RLIMIT_NOFILE raised to its hard limit, and a
 * CLOCK_MONOTONIC timer that stops the worker at its deadline and kills it
 * two seconds later if it is still running.
 */
void wk_init(const struct wk_prog *prog, int argc, char **argv);

/** CLOCK_MONOTONIC in microseconds / nanoseconds. */
uint64_t wk_now_us(void);
uint64_t wk_now_ns(void);
/** Seconds since wk_t0. */
double wk_elapsed_s(void);

/** A "Name:   value kB" line of @file (/proc/self/status, smaps_rollup), in
 * bytes; -1 if absent. The kernel keeps the peaks (VmHWM, VmPeak): one read at
 * the end sees the worst moment of the run. */
long long wk_proc_kb(const char *file, const char *name);

/** Print "tb-NAME: MESSAGE" to stderr. */
void wk_msg(const char *fmt, ...) WK_PRINTF(1, 2);
/** Print a message, remember it as the result's "error", and stop (WK_STOP_ERROR). */
void wk_fail(const char *fmt, ...) WK_PRINTF(1, 2);
/** Exit status chosen by the worker for a fatal error (WK_EXIT_FAIL by default). */
void wk_set_exit(int code);

/** Ask the main loop to stop with @reason unless a reason is already set. */
void wk_request_stop(enum wk_stop_reason reason);

/**
 * Complete @result (which the function consumes) with the common fields
 * (worker, version, complete, stopped, error, seconds, started_unix) and
 * write it to --result atomically (temporary file + rename). @complete is
 * the worker's own verdict; it is forced false unless the stop reason was
 * WK_STOP_DONE. Returns the exit code the worker should use.
 */
int wk_finish(json_t *result, bool complete);

/** Append one line to --series (no-op without it); adds "t". Consumes @line. */
void wk_series(json_t *line);
/** True when the series file is open. */
bool wk_series_on(void);

/* A send loop paced at a fixed rate for --duration (tb-synflood, tb-udp).
 * A sender that wakes more than max_lag_us behind its schedule (the host or
 * the guest did not run it) does not burst what it missed: those items are
 * skipped and counted, and the schedule resumes from now. 0: catch up. */
struct wk_pace {
	double rate;     /* per second; 0: as fast as the caller sends */
	unsigned batch;  /* most items wk_pace_due hands out at once */
	uint64_t max_lag_us;
	uint64_t start, end, now, next_iv;
	uint64_t base;   /* origin of the schedule: start, moved on by each skip */
	uint64_t sent;   /* the caller adds what it sent */
	uint64_t iv_sent, iv_skipped;
	uint64_t skipped, stalls, lag_max_us;
};

/** Start the schedule now: --duration from now, series every --interval. */
void wk_pace_start(struct wk_pace *p, double rate, unsigned batch, uint64_t max_lag_us);
/**
 * One turn of the loop: -1 once --duration is over (and stop with
 * WK_STOP_DONE); otherwise write the {"sent", "pps", "skipped"} series line
 * if an interval ended and return how many items are due now (0..batch; 0
 * when ahead of schedule).
 */
int wk_pace_due(struct wk_pace *p);
/** Ahead of schedule: sleep until the next item is due, 1 ms at most. */
void wk_pace_wait(const struct wk_pace *p);
/** Add "skipped", "stalls" and "lag_max_us" to a worker's result. */
void wk_pace_result(const struct wk_pace *p, json_t *res);
/** Seconds from the start to now, or to the end of --duration if earlier. */
double wk_pace_seconds(const struct wk_pace *p);

/* ---- statistics (common_stats.c) ---- */

/* Log-linear histogram with microsecond resolution: exact below 128 us, then
 * 64 sub-buckets per power of two (relative error < 1.6%). */
#define WK_HIST_BUCKETS (128 + 34 * 64)
struct wk_hist {
	uint64_t count, sum, min, max;
	uint64_t b[WK_HIST_BUCKETS];
};

/** Record one value in microseconds. */
void wk_hist_add(struct wk_hist *h, uint64_t us);
/** Merge @src into @dst. */
void wk_hist_merge(struct wk_hist *dst, const struct wk_hist *src);
/** Percentile @p (0..100) in microseconds, 0 when empty. */
uint64_t wk_hist_pct(const struct wk_hist *h, double p);
/** {count, min, p50, p90, p99, p999, max, mean} in microseconds. */
json_t *wk_hist_summary(const struct wk_hist *h);
/** {"unit": "us", "buckets": [[lo, hi, count], ...]}, non-empty buckets only. */
json_t *wk_hist_buckets(const struct wk_hist *h);

/* Failures counted by errno. */
#define WK_ERRNO_MAX 140
struct wk_errs {
	uint64_t n[WK_ERRNO_MAX];
	uint64_t total;
};

/** Count one failure with error number @err (positive). */
void wk_errs_add(struct wk_errs *e, int err);
/** {"EADDRNOTAVAIL": n, ...} */
json_t *wk_errs_json(const struct wk_errs *e);
/** Symbolic name of @err ("EADDRNOTAVAIL"), or "E<n>". */
const char *wk_errname(int err);

/* ---- sockets (common_net.c) ---- */

/* Client socket options shared by the TCP clients. */
struct wk_sockopts {
	const char *cc;  /* NULL: kernel default */
	bool nodelay;
	uint64_t sndbuf, rcvbuf; /* 0: autotuning */
};

/**
 * New non-blocking TCP socket for wk.family with @o applied. Returns the fd or
 * -errno; on failure *what names the failing call ("setsockopt TCP_CONGESTION").
 */
int wk_tcp_socket(const struct wk_sockopts *o, const char **what);
/** Apply the options to an existing socket (the server's accepted sockets). */
int wk_apply_sockopts(int fd, const struct wk_sockopts *o, const char **what);
/** Start a non-blocking connect to wk.addr: 0 connected, -EINPROGRESS, or -errno. */
int wk_connect_start(int fd);
/** Pending error of a socket whose connect completed (SO_ERROR), 0 if none. */
int wk_sock_error(int fd);
/** Parse "ADDR" (IPv4/IPv6 literal) with port into @ss. 0 or -EINVAL. */
int wk_parse_addr(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len);
/** "addr:port" / "[addr]:port" of @sa into @buf. */
const char *wk_fmt_addr(const struct sockaddr *sa, char *buf, size_t len);
/** Make @fd non-blocking (1) or blocking (0). 0 or -errno. */
int wk_nonblock(int fd, int on);
/** A timerfd (CLOCK_MONOTONIC, non-blocking) firing every @period_us, first after @first_us. */
int wk_timerfd(uint64_t first_us, uint64_t period_us);
/** Read and return the expiration count of a timerfd (0 if none). */
uint64_t wk_timerfd_read(int fd);

/* ---- the epoll main loop of tb-churn, tb-idle and tb-rr (common_net.c) ---- */

#define WK_LOOP_TIMERS 4
struct wk_loop {
	int ep;                                    /* the worker's epoll set */
	uint64_t end_us;                           /* end of --duration */
	uint64_t t0_us;                            /* timers count from this wk_now_us() (0: from arming) */
	void (*before)(void);                      /* each turn, before waiting (may be NULL) */
	void (*event)(void *ptr, uint32_t events); /* a socket's event: its data.ptr and flags */
	struct wk_loop_timer {
		int fd;
		uint64_t period_us;
		bool ends;                 /* at end_us: stop instead of calling fn */
		void (*fn)(uint64_t now);
	} timers[WK_LOOP_TIMERS];
	unsigned n_timers;
};

/**
 * Watch a new timerfd of @l (first after @first_us, then every @period_us),
 * counted from @l->t0_us when set: a timer armed late keeps the phase of
 * the schedule it serves (it fires at once for what is already due).
 * When it fires, @fn runs with the time; with @ends, from end_us on the loop
 * stops (WK_STOP_DONE) instead. The timers live in @l: it must not move.
 * 0 or -errno.
 */
int wk_loop_timer(struct wk_loop *l, uint64_t first_us, uint64_t period_us, bool ends,
		  void (*fn)(uint64_t now));
/** Wait and dispatch events until wk_stop; an epoll_wait failure is wk_fail. */
void wk_loop_run(struct wk_loop *l);

/** recv() that does not block, retried on EINTR: bytes, 0 at EOF, -EAGAIN or -errno. */
ssize_t wk_recv_some(int fd, void *buf, size_t len);
/** send() that neither blocks nor raises SIGPIPE, retried on EINTR: bytes, -EAGAIN or -errno. */
ssize_t wk_send_some(int fd, const void *buf, size_t len);

/* ---- the request/response protocol shared by tb-rr, tb-churn, tb-idle and tb-server ---- */

/* Every request starts with this header (network byte order on the wire).
 * The server reads req_len bytes in total, then writes resp_len bytes. */
#define WK_RR_MAGIC 0x54427272u /* "TBrr" */
#define WK_RR_HDR 16
enum {
	WK_RR_F_CLOSE = 1u << 0,   /* server: close the connection after this response */
	WK_RR_F_DEFAULT = 1u << 1, /* server: answer with its own --response size */
};
struct wk_rr_hdr {
	uint32_t magic, flags, req_len, resp_len;
};

/** Encode @h into 16 bytes at @buf. */
void wk_rr_encode(const struct wk_rr_hdr *h, unsigned char *buf);
/** Decode 16 bytes; -EPROTO when the magic is wrong. */
int wk_rr_decode(const unsigned char *buf, struct wk_rr_hdr *h);

/* UDP (and --transport tcp) datagram header of tb-udp, network byte order. */
#define WK_UDP_MAGIC 0x54427564u /* "TBud" */
#define WK_UDP_HDR 32
enum { WK_UDP_F_END = 1u << 0 }; /* the last datagrams: seq holds the number sent */
struct wk_udp_hdr {
	uint32_t magic, flags;
	uint32_t session, size; /* sender session id; datagram size (the stream framing for tcp) */
	uint64_t seq, send_ns;  /* sequence from 0; CLOCK_MONOTONIC at send */
};
void wk_udp_encode(const struct wk_udp_hdr *h, unsigned char *buf);
int wk_udp_decode(const unsigned char *buf, struct wk_udp_hdr *h);

/** A buffer of @len zero bytes that lives for the whole run (payloads). */
const unsigned char *wk_zeros(size_t len);

#endif
