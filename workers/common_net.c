/* Socket helpers of the workers. Each failure names the call that failed. */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

const char *wk_fmt_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	}
	return buf;
}

int wk_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

int wk_apply_sockopts(int fd, const struct wk_sockopts *o, const char **what)
{
	int one = 1, v;

	if (o->cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, o->cc, (socklen_t)strlen(o->cc))) {
		*what = "setsockopt TCP_CONGESTION";
		return -errno;
	}
	if (o->nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))) {
		*what = "setsockopt TCP_NODELAY";
		return -errno;
	}
	v = (int)o->sndbuf;
	if (o->sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v))) {
		*what = "setsockopt SO_SNDBUF";
		return -errno;
	}
	v = (int)o->rcvbuf;
	if (o->rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v))) {
		*what = "setsockopt SO_RCVBUF";
		return -errno;
	}
	return 0;
}

int wk_tcp_socket(const struct wk_sockopts *o, const char **what)
{
	int fd = socket(wk.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0) {
		*what = "socket";
		return -errno;
	}
	rc = wk_apply_sockopts(fd, o, what);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int wk_connect_start(int fd)
{
	if (connect(fd, (const struct sockaddr *)&wk.addr, wk.addrlen) == 0)
		return 0;
	return -errno;
}

int wk_sock_error(int fd)
{
	int err = 0;
	socklen_t l = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l))
		return errno;
	return err;
}

static int timerfd_arm(uint64_t first_us, uint64_t period_us, int flags)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = { 0 };

	if (fd < 0)
		return -errno;
	if (!first_us)
		first_us = 1;
	its.it_value.tv_sec = (time_t)(first_us / 1000000);
	its.it_value.tv_nsec = (long)(first_us % 1000000) * 1000;
	its.it_interval.tv_sec = (time_t)(period_us / 1000000);
	its.it_interval.tv_nsec = (long)(period_us % 1000000) * 1000;
	if (timerfd_settime(fd, flags, &its, NULL)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int wk_timerfd(uint64_t first_us, uint64_t period_us)
{
	return timerfd_arm(first_us, period_us, 0);
}

uint64_t wk_timerfd_read(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

int wk_loop_timer(struct wk_loop *l, uint64_t first_us, uint64_t period_us, bool ends,
		  void (*fn)(uint64_t now))
{
	struct wk_loop_timer *t;
	struct epoll_event e = { .events = EPOLLIN };

	if (l->n_timers == WK_LOOP_TIMERS)
		return -ENOSPC;
	t = &l->timers[l->n_timers++];
	/* t0_us is a wk_now_us() time: CLOCK_MONOTONIC, the timer's clock */
	t->fd = l->t0_us ? timerfd_arm(l->t0_us + first_us, period_us, TFD_TIMER_ABSTIME) :
			   wk_timerfd(first_us, period_us);
	t->period_us = period_us;
	t->ends = ends;
	t->fn = fn;
	e.data.ptr = t;
	if (t->fd < 0)
		return t->fd;
	return epoll_ctl(l->ep, EPOLL_CTL_ADD, t->fd, &e) ? -errno : 0;
}

static struct wk_loop_timer *loop_timer(struct wk_loop *l, void *ptr)
{
	for (unsigned k = 0; k < l->n_timers; k++)
		if (ptr == &l->timers[k])
			return &l->timers[k];
	return NULL;
}

/* A periodic timer that missed ticks (the process was stopped) starts its
 * period again from now: the tick that covers the stall is followed by one a
 * whole period later, not by the old schedule's next tick microseconds after. */
static void rephase(const struct wk_loop_timer *t)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = its.it_interval.tv_sec = (time_t)(t->period_us / 1000000);
	its.it_value.tv_nsec = its.it_interval.tv_nsec = (long)(t->period_us % 1000000) * 1000;
	timerfd_settime(t->fd, 0, &its, NULL);
}

void wk_loop_run(struct wk_loop *l)
{
	struct epoll_event evs[256];

	while (!wk_stop) {
		int n;

		if (l->before)
			l->before();
		n = epoll_wait(l->ep, evs, 256, -1);
		if (n < 0 && errno != EINTR) {
			wk_fail("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct wk_loop_timer *t = loop_timer(l, evs[i].data.ptr);
			uint64_t now;

			if (!t) {
				l->event(evs[i].data.ptr, evs[i].events);
				continue;
			}
			if (wk_timerfd_read(t->fd) > 1 && t->period_us)
				rephase(t); /* after a stall: one period from now */
			now = wk_now_us();
			if (t->ends && now >= l->end_us) {
				wk_request_stop(WK_STOP_DONE);
				break;
			}
			t->fn(now);
		}
	}
	for (unsigned k = 0; k < l->n_timers; k++)
		if (l->timers[k].fd >= 0)
			close(l->timers[k].fd);
}

ssize_t wk_recv_some(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t r = recv(fd, buf, len, MSG_DONTWAIT);

		if (r >= 0)
			return r;
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
}

ssize_t wk_send_some(int fd, const void *buf, size_t len)
{
	for (;;) {
		ssize_t w = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w >= 0)
			return w;
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
}
