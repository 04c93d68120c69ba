/* Internals of tb-server shared between server.c (options, listening, result)
 * and common_srv*.c (connection handling, UDP receiver). The common_ files
 * are linked into every worker by the Makefile; only tb-server calls them. */
#ifndef TB_WORKER_SERVER_H
#define TB_WORKER_SERVER_H

#include <pthread.h>

#include "common.h"

enum srv_mode { SRV_SINK, SRV_RR, SRV_UDP };
enum srv_arch { SRV_EPOLL, SRV_THREAD, SRV_ITERATIVE, SRV_FORK, SRV_POOL, SRV_EPOLL_POOL };
enum srv_closer { SRV_CLOSE_CLIENT, SRV_CLOSE_SERVER };

#define SRV_CHUNK (256 * 1024) /* read buffer and largest single write */

struct srv_opts {
	int mode, arch, close;
	uint64_t backlog;
	double accept_rate;
	uint64_t accept_delay_us;
	uint64_t read_rate; /* bytes/s per connection, 0 unlimited */
	bool leak, reject;
	uint64_t response, request;
	uint64_t work_us;  /* CPU time burnt per request */
	uint64_t nofile;   /* RLIMIT_NOFILE, 0: as inherited */
	uint64_t threads;  /* pool and epoll_pool: worker threads */
	struct wk_sockopts sock;
};

struct srv_stats {
	uint64_t accepted, rejected, closed, leaked, active, active_max;
	uint64_t bytes_in, bytes_out, requests, bad;
	uint64_t first_byte_us, last_byte_us;
	uint64_t threads, threads_max; /* service threads (--arch thread, pool) */
	uint64_t procs, procs_max;     /* child processes (--arch fork) */
	uint64_t accept_pauses;        /* times EMFILE took the listener out of epoll */
	uint64_t work_us;              /* CPU time burnt by --work */
	uint64_t stops, starts;        /* SIGUSR1 / SIGUSR2 handled */
	struct wk_errs errs; /* under srv_st_lock */
	pthread_mutex_t lock;
};

/* One accepted connection. */
struct srv_conn {
	int fd;
	unsigned char hdr[WK_UDP_HDR];
	unsigned hdr_len, hdr_got;
	uint64_t skip;       /* request bytes still to read after the header */
	uint64_t resp_next;  /* response size of the request being read */
	uint64_t resp_left;  /* response bytes owed */
	bool close_next, close_after, bad, throttled, eof;
	unsigned busy;       /* epoll_pool: requests in the worker pool */
	int err;             /* epoll_pool: error seen while busy */
	bool stopped;        /* epoll_pool: the server stopped while it was busy */
	unsigned epoch;      /* srv_epoch when accepted */
	uint32_t events;     /* current epoll interest (epoll arch) */
	uint64_t tokens, refill_us; /* --read-rate bucket */
	struct srv_conn *next_throttled;
	struct srv_conn *prev_live, *next_live; /* epoll arch: every open connection */
};

extern struct srv_opts srv_o;
/* The counters; in memory shared with the children under --arch fork
 * (srv_share_stats), so every process counts into one place. */
extern struct srv_stats *srv_stp;
#define srv_st (*srv_stp)
#define srv_st_lock (srv_stp->lock)

/** Move the counters into shared memory (before any fork). 0 or -errno. */
int srv_share_stats(void);
/** Burn @us of this thread's CPU time (--work). */
void srv_burn(uint64_t us);
/** --arch fork: children alive are stopped and reaped; CPU of the reaped
 * children is in RUSAGE_CHILDREN. */
void srv_fork_end(void);
/** Peak memory of the server: VmHWM, or under --arch fork the largest sum
 * of the processes' Pss seen (sampled every second). Bytes, -1 unknown. */
long long srv_mem_peak(void);
/** Serve @c with blocking I/O until it closes (thread, iterative, fork, pool). */
void srv_serve_blocking(struct srv_conn *c);
/** --arch fork: a child process serves @c; the parent keeps the loop. */
void srv_fork_conn(struct srv_conn *c, int lfd, int ep);
/** --arch fork: reap exited children; with @sample, add up their memory. */
void srv_fork_reap(bool sample);
/** Start the worker threads of pool or epoll_pool: epoll_pool's completion
 * eventfd, 0 for pool, or -errno. */
int srv_pool_start(void);
/** --arch pool: a worker thread serves @c. */
void srv_pool_conn(struct srv_conn *c);
/** epoll_pool: hand a finished request of @c (@resp bytes owed) to the pool. */
void srv_pool_submit(struct srv_conn *c, uint64_t resp);
/** epoll_pool: a connection whose request's work is done, with the response
 * size in *@resp; NULL when none is left. */
struct srv_conn *srv_pool_done(uint64_t *resp);
/** Stop and join the worker threads. */
void srv_pool_stop(void);

/** Feed @n received bytes to the protocol state of @c. */
void srv_input(struct srv_conn *c, const unsigned char *p, size_t n);
/** Internal steps of srv_input. */
void srv_header(struct srv_conn *c);
void srv_request_done(struct srv_conn *c);
/** New connection state for an accepted @fd (counts it active). */
struct srv_conn *srv_conn_new(int fd);
/** Close @fd (unless --leak), count @err (errno, 0 for none) and free @c. */
void srv_conn_end(struct srv_conn *c, int err);
/** Bytes the slow reader may read now (up to @want). */
size_t srv_budget(struct srv_conn *c, size_t want);
/** One --series line. */
void srv_interval(void);
/** Serve until wk_stop: accept on @lfd, datagrams on @ufd (-1 if none).
 * SIGUSR1 stops the server (every connection and the listener closed),
 * SIGUSR2 starts it again (srv_listen). Returns the listener then open, or -1. */
int srv_loop(int lfd, int ufd);
/** Opens the listener again after a stop: the fd or -errno (server.c). */
extern int (*srv_listen)(void);
/** Moves on at each stop: blocking servers drop connections of an old one. */
extern unsigned srv_epoch;

/* UDP receiver (common_srv_udp.c). */
/** Bound UDP socket on wk.addr, or -errno (reported with wk_fail). */
int srv_udp_socket(void);
/** Drain datagrams from @fd. */
void srv_udp_read(int fd);
/** Account one record (datagram or TCP record), caller holds srv_st_lock. */
void srv_udp_record(const struct wk_udp_hdr *h, uint64_t now_ns, uint32_t bytes);
/** Receiver fields of the result / of a series line. */
void srv_udp_result(json_t *r);
void srv_udp_interval(json_t *l);

#endif
