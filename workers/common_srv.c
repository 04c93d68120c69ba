/* tb-server's connection handling: the request/response protocol, the epoll
 * loop, thread-per-connection and iterative service, accept pacing, slow
 * reading. Linked into every worker by the Makefile; only tb-server uses it. */
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

struct srv_opts srv_o = { .backlog = 128, .response = 64 };
int (*srv_listen)(void);
unsigned srv_epoch;

/* ---- protocol: bytes in, response bytes owed ---- */

void srv_input(struct srv_conn *c, const unsigned char *p, size_t n)
{
	uint64_t now = wk_now_us();

	__atomic_add_fetch(&srv_st.bytes_in, n, __ATOMIC_RELAXED);
	if (!srv_st.first_byte_us)
		srv_st.first_byte_us = now;
	srv_st.last_byte_us = now;
	if (srv_o.mode == SRV_SINK)
		return;
	while (n) {
		size_t take;

		if (c->hdr_got < c->hdr_len) {
			take = c->hdr_len - c->hdr_got;
			if (take > n)
				take = n;
			memcpy(c->hdr + c->hdr_got, p, take);
			c->hdr_got += take;
			p += take;
			n -= take;
			if (c->hdr_got < c->hdr_len)
				return;
			srv_header(c);
			continue;
		}
		take = c->skip < n ? (size_t)c->skip : n;
		c->skip -= take;
		p += take;
		n -= take;
		if (c->skip == 0)
			srv_request_done(c);
	}
}

/* The header of one request (rr) or record (udp over tcp) is complete. */
void srv_header(struct srv_conn *c)
{
	if (srv_o.mode == SRV_UDP) {
		struct wk_udp_hdr h;

		if (wk_udp_decode(c->hdr, &h) || h.size < WK_UDP_HDR) {
			c->bad = true;
			c->skip = UINT64_MAX;
			return;
		}
		pthread_mutex_lock(&srv_st_lock);
		srv_udp_record(&h, wk_now_ns(), h.size);
		pthread_mutex_unlock(&srv_st_lock);
		c->skip = h.size - WK_UDP_HDR;
	} else if (srv_o.request) {
		c->skip = srv_o.request > c->hdr_len ? srv_o.request - c->hdr_len : 0;
		c->resp_next = srv_o.response;
		c->close_next = false;
	} else {
		struct wk_rr_hdr h;

		if (wk_rr_decode(c->hdr, &h) || h.req_len < WK_RR_HDR) {
			/* Not our protocol: drain and count it, never answer. */
			c->bad = true;
			c->skip = UINT64_MAX;
			return;
		}
		c->skip = h.req_len - WK_RR_HDR;
		c->resp_next = (h.flags & WK_RR_F_DEFAULT) ? srv_o.response : h.resp_len;
		c->close_next = h.flags & WK_RR_F_CLOSE;
	}
	if (c->skip == 0)
		srv_request_done(c);
}

void srv_request_done(struct srv_conn *c)
{
	c->hdr_got = 0;
	if (srv_o.mode != SRV_RR)
		return;
	__atomic_add_fetch(&srv_st.requests, 1, __ATOMIC_RELAXED);
	if (c->close_next || srv_o.close == SRV_CLOSE_SERVER)
		c->close_after = true;
	if (srv_o.work_us && srv_o.arch == SRV_EPOLL_POOL) {
		srv_pool_submit(c, c->resp_next); /* answered when the pool is done */
		return;
	}
	if (srv_o.work_us)
		srv_burn(srv_o.work_us);
	c->resp_left += c->resp_next;
}

struct srv_conn *srv_conn_new(int fd)
{
	struct srv_conn *c = calloc(1, sizeof(*c));
	uint64_t a;

	if (!c)
		return NULL;
	c->fd = fd;
	c->hdr_len = srv_o.mode == SRV_UDP ? WK_UDP_HDR : srv_o.request ? 1 : WK_RR_HDR;
	/* Fixed framing: count the first byte as the "header" so that the
	 * request boundary logic is shared. */
	if (srv_o.mode == SRV_RR && srv_o.request)
		c->hdr_len = srv_o.request < WK_RR_HDR ? (unsigned)srv_o.request : WK_RR_HDR;
	c->tokens = srv_o.read_rate ? srv_o.read_rate / 10 + 1 : 0;
	c->refill_us = wk_now_us();
	a = __atomic_add_fetch(&srv_st.active, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&srv_st_lock);
	if (a > srv_st.active_max)
		srv_st.active_max = a;
	pthread_mutex_unlock(&srv_st_lock);
	return c;
}

/* Close (or, with --leak, keep) the connection and free its state. */
void srv_conn_end(struct srv_conn *c, int err)
{
	if (err) {
		pthread_mutex_lock(&srv_st_lock);
		wk_errs_add(&srv_st.errs, err);
		pthread_mutex_unlock(&srv_st_lock);
	}
	if (c->bad)
		__atomic_add_fetch(&srv_st.bad, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&srv_st.active, 1, __ATOMIC_RELAXED);
	if (srv_o.leak) {
		__atomic_add_fetch(&srv_st.leaked, 1, __ATOMIC_RELAXED);
	} else {
		close(c->fd);
		__atomic_add_fetch(&srv_st.closed, 1, __ATOMIC_RELAXED);
	}
	free(c);
}

/* Read budget of a slow reader, refilled at --read-rate. */
size_t srv_budget(struct srv_conn *c, size_t want)
{
	uint64_t now;

	if (!srv_o.read_rate)
		return want;
	now = wk_now_us();
	c->tokens += (now - c->refill_us) * srv_o.read_rate / 1000000;
	c->refill_us = now;
	/* Cap the burst at 100 ms worth so a paused reader does not gulp. */
	if (c->tokens > srv_o.read_rate / 10 + 1)
		c->tokens = srv_o.read_rate / 10 + 1;
	return c->tokens < want ? (size_t)c->tokens : want;
}


void srv_interval(void)
{
	static uint64_t last_in, last_acc, last_req;
	json_t *l;

	if (!wk_series_on())
		return;
	l = json_pack("{sI sI sI sI}", "bytes_in", (json_int_t)(srv_st.bytes_in - last_in), "accepted",
		      (json_int_t)(srv_st.accepted - last_acc), "requests",
		      (json_int_t)(srv_st.requests - last_req), "active", (json_int_t)srv_st.active);
	if (srv_o.mode == SRV_UDP)
		srv_udp_interval(l);
	last_in = srv_st.bytes_in;
	last_acc = srv_st.accepted;
	last_req = srv_st.requests;
	wk_series(l);
}


/* ---- blocking service: --arch thread and --arch iterative ---- */

static int flush_blocking(struct srv_conn *c)
{
	while (c->resp_left && !wk_stop) {
		size_t n = c->resp_left < SRV_CHUNK ? (size_t)c->resp_left : SRV_CHUNK;
		ssize_t w = send(c->fd, wk_zeros(SRV_CHUNK), n, MSG_NOSIGNAL);

		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return -errno;
		c->resp_left -= (uint64_t)w;
		__atomic_add_fetch(&srv_st.bytes_out, (uint64_t)w, __ATOMIC_RELAXED);
	}
	return 0;
}

/* Called by the iterative server between reads, so that intervals and the
 * duration still work while one connection holds the only thread. */
static void (*blocking_tick)(void);

void srv_serve_blocking(struct srv_conn *c)
{
	unsigned epoch = c->epoch;
	unsigned char *buf = malloc(SRV_CHUNK);
	struct timeval tv = { .tv_usec = 100000 };
	int err = 0;

	/* A receive timeout lets the loop notice wk_stop and the duration. */
	wk_nonblock(c->fd, 0);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* a stopped server (srv_epoch moved on) drops its connections */
	while (buf && !wk_stop && epoch == __atomic_load_n(&srv_epoch, __ATOMIC_RELAXED)) {
		size_t want = srv_budget(c, SRV_CHUNK);
		ssize_t r;

		if (blocking_tick)
			blocking_tick();
		if (!want) {
			usleep(10000);
			continue;
		}
		r = read(c->fd, buf, want);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			err = errno;
			break;
		}
		if (r == 0)
			break;
		if (srv_o.read_rate)
			c->tokens -= (uint64_t)r;
		srv_input(c, buf, (size_t)r);
		err = -flush_blocking(c);
		if (err || (c->close_after && !c->resp_left))
			break;
	}
	free(buf);
	srv_conn_end(c, err);
}

static void *thread_main(void *arg)
{
	uint64_t n = __atomic_add_fetch(&srv_st.threads, 1, __ATOMIC_RELAXED);

	pthread_mutex_lock(&srv_st_lock);
	if (n > srv_st.threads_max)
		srv_st.threads_max = n;
	pthread_mutex_unlock(&srv_st_lock);
	srv_serve_blocking(arg);
	__atomic_sub_fetch(&srv_st.threads, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* ---- epoll service ---- */

/* epoll tags below this value are not connections. */
enum {
	TAG_LISTEN = 1, TAG_UDP, TAG_IV, TAG_DUR, TAG_ACC, TAG_THR, TAG_DONE, TAG_REAP, TAG_PAUSE,
	TAG_SIG, TAG_MAX = 64
};

/* The loop's descriptors and accept state. */
static struct {
	int lfd, ufd, tiv, tdur, tacc, tthr, treap, tpause, sfd, done;
	bool armed;          /* lfd is in the epoll set */
	bool paced;          /* accepts come from the TAG_ACC timer */
	uint64_t acc_start, acc_done;
	uint64_t pause_until; /* paced: no accept before this (EMFILE) */
	bool done_due;        /* epoll_pool: finished work to send */
	unsigned reaps;
} lp = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };

static int ep = -1;
static struct srv_conn *throttled;
static struct srv_conn *live; /* epoll arch: open connections, freed at exit */
static unsigned char rbuf[SRV_CHUNK];

static void live_add(struct srv_conn *c)
{
	c->next_live = live;
	if (live)
		live->prev_live = c;
	live = c;
}

static void live_del(struct srv_conn *c)
{
	if (c->prev_live)
		c->prev_live->next_live = c->next_live;
	else if (live == c)
		live = c->next_live;
	if (c->next_live)
		c->next_live->prev_live = c->prev_live;
	c->prev_live = c->next_live = NULL;
}

/* Syscalls are dear (above all in the UML guest): skip no-op changes. */
static void ep_set(struct srv_conn *c, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (op == EPOLL_CTL_MOD && c->events == events)
		return;
	if (epoll_ctl(ep, op, c->fd, &ev) == 0)
		c->events = events;
}

static void conn_close(struct srv_conn *c, int err)
{
	/* close() drops the fd from the epoll set, unless it stays open (--leak). */
	if (srv_o.leak && !c->throttled)
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	live_del(c);
	srv_conn_end(c, err);
}

/* Send what is owed until the socket is full: 0, or the error. */
static int flush_some(struct srv_conn *c, bool *want_out)
{
	while (c->resp_left) {
		size_t n = c->resp_left < SRV_CHUNK ? (size_t)c->resp_left : SRV_CHUNK;
		ssize_t w = wk_send_some(c->fd, wk_zeros(SRV_CHUNK), n);

		if (w == -EAGAIN) {
			*want_out = true;
			return 0;
		}
		if (w < 0)
			return (int)-w;
		c->resp_left -= (uint64_t)w;
		__atomic_add_fetch(&srv_st.bytes_out, (uint64_t)w, __ATOMIC_RELAXED);
	}
	return 0;
}

static void conn_event(struct srv_conn *c, uint32_t events)
{
	bool want_out = false;
	int err = 0;

	for (int i = 0; i < 16 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)); i++) {
		size_t want = srv_budget(c, SRV_CHUNK);
		ssize_t r;

		if (!want) {
			/* Slow reader: stop reading until the bucket refills. */
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			c->events = 0;
			c->throttled = true;
			c->next_throttled = throttled;
			throttled = c;
			break;
		}
		r = wk_recv_some(c->fd, rbuf, want);
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			conn_close(c, (int)-r);
			return;
		}
		if (r == 0) {
			c->eof = true;
			break;
		}
		if (srv_o.read_rate)
			c->tokens -= (uint64_t)r;
		srv_input(c, rbuf, (size_t)r);
		/* A short read drained the socket; level-triggered epoll reports
		 * more data, so save the read that would return EAGAIN. */
		if ((size_t)r < want && !(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
			break;
	}
	err = flush_some(c, &want_out);
	if (err && !c->err)
		c->err = err;
	if (c->err || c->eof || (c->close_after && !c->resp_left && !c->busy)) {
		if (c->throttled)
			return; /* closed when it leaves the throttled list */
		if (c->busy) {
			/* the pool still holds it: closed when its work is done
			 * (out of the set meanwhile: EPOLLHUP comes whatever we ask) */
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			c->events = 0;
			return;
		}
		conn_close(c, c->err);
		return;
	}
	if (!c->throttled)
		ep_set(c, EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0), EPOLL_CTL_MOD);
}

static void unthrottle(void)
{
	struct srv_conn *c = throttled, *next;

	throttled = NULL;
	for (; c; c = next) {
		next = c->next_throttled;
		c->throttled = false;
		if (c->eof || (c->close_after && !c->resp_left)) {
			live_del(c);
			srv_conn_end(c, 0); /* not in the epoll set while throttled */
			continue;
		}
		ep_set(c, EPOLLIN | EPOLLRDHUP | (c->resp_left ? EPOLLOUT : 0), EPOLL_CTL_ADD);
	}
}

static void spawn_thread(struct srv_conn *c)
{
	pthread_attr_t a;
	pthread_t t;
	sigset_t all, old;
	int rc;

	/* Signals go to the main thread, which owns the loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 256 * 1024);
	rc = pthread_create(&t, &a, thread_main, c);
	pthread_attr_destroy(&a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		srv_conn_end(c, rc);
}

/* One connection per accepted fd, served as --arch says. */
static void take(int fd)
{
	struct srv_conn *c;
	const char *what;

	__atomic_add_fetch(&srv_st.accepted, 1, __ATOMIC_RELAXED);
	if (srv_o.reject) {
		close(fd);
		__atomic_add_fetch(&srv_st.rejected, 1, __ATOMIC_RELAXED);
		return;
	}
	wk_apply_sockopts(fd, &srv_o.sock, &what);
	c = srv_conn_new(fd);
	if (!c) {
		close(fd);
		return;
	}
	c->epoch = srv_epoch;
	switch (srv_o.arch) {
	case SRV_EPOLL:
	case SRV_EPOLL_POOL:
		live_add(c);
		ep_set(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
		break;
	case SRV_ITERATIVE:
		srv_serve_blocking(c);
		break;
	case SRV_THREAD:
		spawn_thread(c);
		break;
	case SRV_FORK:
		srv_fork_conn(c, lp.lfd, ep);
		break;
	case SRV_POOL:
		srv_pool_conn(c);
		break;
	}
}
static void add_tag(int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void listener_arm(bool on)
{
	if (lp.lfd < 0 || lp.paced || on == lp.armed)
		return;
	if (on)
		add_tag(lp.lfd, TAG_LISTEN);
	else
		epoll_ctl(ep, EPOLL_CTL_DEL, lp.lfd, NULL);
	lp.armed = on;
}

static void timerfd_arm_once(int fd, uint64_t us)
{
	struct itimerspec its = { .it_value = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 } };

	timerfd_settime(fd, 0, &its, NULL);
}

/* No descriptor for the next connection (RLIMIT_NOFILE, or the system's):
 * the queued connection stays queued and the listener stays readable, so
 * a level-triggered loop would call accept() again at once, forever. Take
 * the listener out of the epoll set instead for 50 ms (a connection of
 * ours, in any thread or child, may have closed by then). */
static void accept_pause(int err)
{
	pthread_mutex_lock(&srv_st_lock);
	wk_errs_add(&srv_st.errs, err);
	pthread_mutex_unlock(&srv_st_lock);
	if (lp.paced) {
		/* the accept timer skips its turns for as long */
		lp.pause_until = wk_now_us() + 50000;
		srv_st.accept_pauses++;
		return;
	}
	if (!lp.armed || lp.tpause < 0)
		return;
	listener_arm(false);
	srv_st.accept_pauses++;
	timerfd_arm_once(lp.tpause, 50000);
}

/* Accept up to @max connections (0: until the queue is empty). */
static void accept_some(uint64_t max)
{
	for (uint64_t i = 0; lp.lfd >= 0 && (!max || i < max) && !wk_stop; i++) {
		int fd = accept4(lp.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				accept_pause(errno);
			else if (errno != EAGAIN && errno != ECONNABORTED) {
				pthread_mutex_lock(&srv_st_lock);
				wk_errs_add(&srv_st.errs, errno);
				pthread_mutex_unlock(&srv_st_lock);
			}
			return;
		}
		take(fd);
	}
}

static uint64_t dur_end_us, next_iv_us;

static void tick_iterative(void)
{
	uint64_t now = wk_now_us();

	if (wk.duration_given && now >= dur_end_us)
		wk_request_stop(WK_STOP_DONE);
	if (now >= next_iv_us) {
		srv_interval();
		next_iv_us += wk.interval_us;
	}
}

/* ---- a stop and a start (SIGUSR1, SIGUSR2): the backend restarts ---- */

/* Stop: every connection closes (as when the process dies: a FIN, or an
 * RST where unread data is left) and the listener goes, so connects are
 * refused until the start. */
static void server_stop(void)
{
	if (lp.lfd < 0)
		return;
	__atomic_add_fetch(&srv_epoch, 1, __ATOMIC_RELAXED); /* blocking servers end theirs */
	listener_arm(false);
	close(lp.lfd);
	lp.lfd = -1;
	while (live) {
		struct srv_conn *c = live;

		if (c->busy) {
			/* the pool holds it: pool_done ends it when its work is done */
			live_del(c);
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			shutdown(c->fd, SHUT_RDWR);
			c->stopped = true;
			continue;
		}
		if (c->throttled) {
			c->eof = true;
			live_del(c);
			continue;
		}
		conn_close(c, 0);
	}
	srv_fork_end();
	srv_st.stops++;
}

static void server_start(void)
{
	if (lp.lfd >= 0 || !srv_listen)
		return;
	lp.lfd = srv_listen();
	if (lp.lfd < 0)
		return;
	lp.acc_start = wk_now_us();
	lp.acc_done = 0;
	listener_arm(true);
	srv_st.starts++;
}

static void on_signal_fd(void)
{
	struct signalfd_siginfo si;

	while (read(lp.sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			server_stop();
		else if (si.ssi_signo == SIGUSR2)
			server_start();
		else if (si.ssi_signo == SIGCHLD)
			srv_fork_reap(false);
	}
}

/* ---- the loop ---- */

/* epoll_pool: the responses whose work is done go out. */
static void pool_done(void)
{
	struct srv_conn *c;
	uint64_t resp;

	while ((c = srv_pool_done(&resp))) {
		c->busy--;
		c->resp_left += resp;
		if (c->stopped) {
			if (!c->busy)
				srv_conn_end(c, 0);
			continue;
		}
		conn_event(c, 0);
	}
}

static void on_accept_timer(void)
{
	uint64_t now = wk_now_us(), allowed;

	wk_timerfd_read(lp.tacc);
	if (srv_o.accept_rate <= 0) {
		/* The delay is over: accept freely from now on. */
		epoll_ctl(ep, EPOLL_CTL_DEL, lp.tacc, NULL);
		lp.paced = false;
		listener_arm(true);
		return;
	}
	if (now < lp.pause_until)
		return;
	allowed = (uint64_t)((double)(now - lp.acc_start) * srv_o.accept_rate / 1e6) + 1;
	if (allowed > lp.acc_done) {
		uint64_t before = srv_st.accepted;

		accept_some(allowed - lp.acc_done);
		lp.acc_done += srv_st.accepted - before;
		/* Credit does not pile up while the queue is empty. */
		if (lp.acc_done < allowed)
			lp.acc_done = allowed;
	}
}

static void on_tag(uint64_t tag)
{
	switch (tag) {
	case TAG_LISTEN:
		accept_some(srv_o.arch == SRV_ITERATIVE ? 1 : 0);
		break;
	case TAG_UDP:
		srv_udp_read(lp.ufd);
		break;
	case TAG_IV:
		wk_timerfd_read(lp.tiv);
		srv_interval();
		next_iv_us += wk.interval_us;
		break;
	case TAG_DUR:
		wk_request_stop(WK_STOP_DONE);
		break;
	case TAG_THR:
		wk_timerfd_read(lp.tthr);
		unthrottle();
		break;
	case TAG_ACC:
		on_accept_timer();
		break;
	case TAG_DONE:
		lp.done_due = true; /* after the batch: it may free connections */
		break;
	case TAG_REAP:
		wk_timerfd_read(lp.treap);
		srv_fork_reap(++lp.reaps % 10 == 0);
		break;
	case TAG_PAUSE:
		wk_timerfd_read(lp.tpause);
		listener_arm(true);
		break;
	case TAG_SIG:
		on_signal_fd();
		break;
	}
}

static int timer_tag(uint64_t first_us, uint64_t every_us, uint64_t tag)
{
	int fd = wk_timerfd(first_us, every_us);

	if (fd >= 0)
		add_tag(fd, tag);
	return fd;
}

/* SIGUSR1 and SIGUSR2 through a signalfd: the loop reads them in turn
 * (and SIGCHLD under --arch fork: a child is reaped when it exits). */
static int signals_fd(void)
{
	sigset_t s;
	int fd;

	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	if (srv_o.arch == SRV_FORK)
		sigaddset(&s, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	fd = signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd >= 0)
		add_tag(fd, TAG_SIG);
	return fd;
}

static void loop_timers(void)
{
	if (wk_series_on())
		lp.tiv = timer_tag(wk.interval_us, wk.interval_us, TAG_IV);
	if (wk.duration_given)
		lp.tdur = timer_tag(wk.duration_us, 0, TAG_DUR);
	if (srv_o.read_rate)
		lp.tthr = timer_tag(10000, 10000, TAG_THR);
	if (srv_o.arch == SRV_FORK)
		lp.treap = timer_tag(100000, 100000, TAG_REAP);
	lp.tpause = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (lp.tpause >= 0)
		add_tag(lp.tpause, TAG_PAUSE);
	if (lp.paced) {
		uint64_t period = srv_o.accept_rate > 0 ? (uint64_t)(1e6 / srv_o.accept_rate) : 0;

		if (srv_o.accept_rate > 0 && period < 1000)
			period = 1000;
		lp.tacc = timer_tag(srv_o.accept_delay_us, period, TAG_ACC);
	}
}

static int loop_setup(int lfd, int ufd)
{
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		wk_fail("epoll_create1: %s", strerror(errno));
		return -1;
	}
	lp.lfd = lfd;
	lp.ufd = ufd;
	lp.acc_start = wk_t0 + srv_o.accept_delay_us;
	lp.paced = srv_o.accept_rate > 0 || srv_o.accept_delay_us;
	dur_end_us = wk_t0 + wk.duration_us;
	next_iv_us = wk_t0 + wk.interval_us;
	if (srv_o.arch == SRV_ITERATIVE)
		blocking_tick = tick_iterative;
	if (srv_o.arch == SRV_POOL || srv_o.arch == SRV_EPOLL_POOL) {
		lp.done = srv_pool_start();
		if (lp.done > 0)
			add_tag(lp.done, TAG_DONE);
	}
	loop_timers();
	lp.sfd = signals_fd();
	if (ufd >= 0)
		add_tag(ufd, TAG_UDP);
	listener_arm(true);
	return 0;
}

static void loop_end(void)
{
	int *fds[] = { &lp.tiv, &lp.tdur, &lp.tacc, &lp.tthr, &lp.treap, &lp.tpause, &lp.sfd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	if (srv_o.arch == SRV_POOL || srv_o.arch == SRV_EPOLL_POOL)
		srv_pool_stop();
	if (srv_o.arch == SRV_FORK)
		srv_fork_end();
	/* connections still open at the end: their state goes with the loop
	 * (the sockets close at exit, or stay open under --leak until then) */
	while (live) {
		struct srv_conn *c = live;

		live_del(c);
		free(c);
	}
	close(ep);
}

int srv_loop(int lfd, int ufd)
{
	struct epoll_event evs[64];

	if (loop_setup(lfd, ufd))
		return lp.lfd;
	while (!wk_stop) {
		int n = epoll_wait(ep, evs, 64, -1);

		if (n < 0 && errno != EINTR) {
			wk_fail("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n && !wk_stop; i++) {
			if (evs[i].data.u64 >= TAG_MAX)
				conn_event(evs[i].data.ptr, evs[i].events);
			else
				on_tag(evs[i].data.u64);
		}
		if (lp.done_due) {
			lp.done_due = false;
			pool_done();
		}
	}
	loop_end();
	return lp.lfd;
}
