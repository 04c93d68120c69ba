/* Internals of tb-server shared between server.c (options, listening, result)
 * and common_srv*.c (connection handling, UDP receiver). The common_ files
 * are linked into every worker by the Makefile; only tb-server calls them. */
#ifndef TB_WORKER_SERVER_H
#define TB_WORKER_SERVER_H

#include <pthread.h>

#include "common.h"

enum srv_mode { SRV_SINK, SRV_RR, SRV_UDP };
enum srv_arch { SRV_EPOLL, SRV_THREAD, SRV_ITERATIVE };
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
	struct wk_sockopts sock;
};

struct srv_stats {
	uint64_t accepted, rejected, closed, leaked, active, active_max;
	uint64_t bytes_in, bytes_out, requests, bad;
	uint64_t first_byte_us, last_byte_us;
	uint64_t threads, threads_max; /* service threads (--arch thread) */
	struct wk_errs errs; /* under srv_st_lock */
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
	uint32_t events;     /* current epoll interest (epoll arch) */
	uint64_t tokens, refill_us; /* --read-rate bucket */
	struct srv_conn *next_throttled;
	struct srv_conn *prev_live, *next_live; /* epoll arch: every open connection */
};

extern struct srv_opts srv_o;
extern struct srv_stats srv_st;
extern pthread_mutex_t srv_st_lock;

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
/** Serve until wk_stop: accept on @lfd, datagrams on @ufd (-1 if none). */
void srv_loop(int lfd, int ufd);

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
