/* tb-web's connection I/O: one TCP connection per struct web_io, cleartext
 * or TLS (web_tls.c), non-blocking sockets waited on with poll() in short
 * slices so that a stop is seen within 50 ms; TCP Fast Open. */
#include "web_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLICE_US 50000

bool web_sleep_until(uint64_t t)
{
	for (;;) {
		uint64_t now = wk_now_us(), d;
		struct timespec ts;

		if (web_stopping())
			return false;
		if (now >= t)
			return true;
		d = t - now < SLICE_US ? t - now : SLICE_US;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)d * 1000;
		nanosleep(&ts, NULL);
	}
}

/* poll() @fd for @events until @until: 1 ready, 0 @until reached,
 * -ECANCELED. ppoll: a request due in 300 us must not wait a whole ms. */
static int poll_until(int fd, short events, uint64_t until)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		uint64_t now = wk_now_us(), d;
		struct timespec ts;
		int rc;

		if (web_stopping())
			return -ECANCELED;
		if (now >= until)
			return 0;
		d = until - now < SLICE_US ? until - now : SLICE_US;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)d * 1000;
		rc = ppoll(&p, 1, &ts, NULL);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

int web_io_wait(struct web_io *io, short events)
{
	int rc = poll_until(io->fd, events, io->deadline);

	return rc == 1 ? 0 : rc == 0 ? -ETIMEDOUT : rc;
}

int web_io_poll(struct web_io *io, uint64_t until)
{
	int rc;

	if (io->early_off < io->early_len || (io->tls && gnutls_record_check_pending(io->tls)))
		return 1;
	rc = poll_until(io->fd, POLLIN, until < io->deadline ? until : io->deadline);
	if (rc == 0 && wk_now_us() >= io->deadline)
		return -ETIMEDOUT;
	return rc;
}

bool web_io_syn_data(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && (ti.tcpi_options & TCPI_OPT_SYN_DATA);
}

/* The TCP connection is known to be up (a connect or the first bytes in). */
void web_io_up(struct web_io *io)
{
	if (io->up)
		return;
	io->up = true;
	if (io->s)
		web_ev_connect(io->s, io->t_start, wk_now_us());
}

int web_io_connect(struct web_io *io, struct web_slot *s, const char **what)
{
	int one = 1, rc;

	memset(io, 0, sizeof(*io));
	io->s = s;
	io->t_start = wk_now_us();
	io->deadline = io->t_start + web_o.timeout;
	io->fd = wk_tcp_socket(&web_o.so, what);
	if (io->fd < 0)
		return io->fd;
	if (web_o.tfo && setsockopt(io->fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one))) {
		*what = "setsockopt TCP_FASTOPEN_CONNECT";
		return -errno;
	}
	rc = wk_connect_start(io->fd);
	*what = "connect";
	if (rc == 0 && web_o.tfo) {
		io->deferred = true; /* a cookie is cached: the SYN leaves with the first write */
	} else if (rc == -EINPROGRESS) {
		rc = web_io_wait(io, POLLOUT);
		if (!rc)
			rc = -wk_sock_error(io->fd);
		if (rc)
			return rc;
		web_io_up(io);
	} else if (rc) {
		return rc;
	} else {
		web_io_up(io);
	}
	return web_o.tls != WEB_TLS_NO ? web_tls_client(io, what) : 0;
}

static ssize_t raw_send(struct web_io *io, const void *buf, size_t len)
{
	ssize_t n = send(io->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n >= 0)
		return n;
	/* a TFO socket still connecting says EINPROGRESS: wait as for EAGAIN */
	return errno == EINPROGRESS || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
}

/* One step of web_io_write: 0 (some sent, or waited), or -errno. */
static int write_some(struct web_io *io, const unsigned char *p, size_t len, size_t *off)
{
	ssize_t n = io->tls ? web_tls_send(io, p + *off, len - *off) : raw_send(io, p + *off, len - *off);

	if (n == -EAGAIN)
		return web_io_wait(io, io->tls ? web_tls_dir(io) : POLLOUT);
	if (n < 0)
		return (int)n;
	*off += (size_t)n;
	return 0;
}

int web_io_write(struct web_io *io, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t off = 0;
	/* TLS sends a record per call: corked, the records after the first do
	 * not wait for its ACK (Nagle), which the peer may delay 40 ms */
	bool cork = io->tls && len > 16384 && !io->corked;
	int rc = 0;

	if (cork)
		web_io_cork(io, true);
	while (!rc && off < len)
		rc = write_some(io, p, len, &off);
	if (cork)
		web_io_cork(io, false);
	if (!rc)
		io->bytes_out += len;
	return rc;
}

ssize_t web_io_read(struct web_io *io, void *buf, size_t len)
{
	for (;;) {
		ssize_t n;

		if (io->early_off < io->early_len) {
			n = (ssize_t)(io->early_len - io->early_off < len ? io->early_len - io->early_off : len);
			memcpy(buf, io->early + io->early_off, (size_t)n);
			io->early_off += (size_t)n;
			io->bytes_in += (uint64_t)n;
			return n;
		}
		if (io->tls) {
			n = web_tls_recv(io, buf, len);
			web_tls_take_ticket(io);
		} else {
			n = recv(io->fd, buf, len, MSG_DONTWAIT);
			if (n < 0)
				n = errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
		}
		if (n > 0) {
			web_io_up(io);
			io->bytes_in += (uint64_t)n;
			return n;
		}
		if (n != -EAGAIN)
			return n;
		if (io->corked && !io->s)
			web_io_cork(io, false); /* the server sends what it held before it waits */
		n = web_io_wait(io, io->tls ? web_tls_dir(io) : POLLIN);
		if (!io->s)
			web_io_cork(io, true);
		if (n)
			return n;
	}
}

void web_io_cork(struct web_io *io, bool on)
{
	int v = on;

	if (io->corked != on && !setsockopt(io->fd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v)))
		io->corked = on;
}

int web_io_start(struct web_io *io, const void *buf, size_t len, const char **what)
{
	size_t sent = 0;
	int rc;

	io->deadline = wk_now_us() + web_o.timeout;
	if (io->tls) {
		/* corked, so that the client's Finished and the request share a
		 * segment instead of the request waiting for Finished's ACK */
		web_io_cork(io, true);
		rc = web_tls_client_handshake(io, buf, len, &sent, what);
		if (!rc && (rc = web_io_write(io, (const unsigned char *)buf + sent, len - sent)))
			*what = "write";
		web_io_cork(io, false);
		return rc;
	}
	*what = "write";
	rc = web_io_write(io, buf, len);
	if (!rc && !io->up) {
		/* TFO: the request rode on the SYN; established means writable */
		*what = "connect";
		rc = web_io_wait(io, POLLOUT);
		if (!rc)
			rc = -wk_sock_error(io->fd);
		if (!rc)
			web_io_up(io);
	}
	if (!rc)
		web_ev_handshake(io->s, io->t_start, wk_now_us(), web_io_syn_data(io->fd) ? WEB_HS_TFO : 0);
	return rc;
}

void web_io_close(struct web_io *io)
{
	if (io->tls)
		gnutls_deinit(io->tls);
	io->tls = NULL;
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
	free(io->early);
	free(io->syn);
	io->early = NULL;
	io->syn = NULL;
	io->early_len = io->early_off = io->syn_len = 0;
}

int web_tfo_sysctl(int need, int *old, int *now)
{
	const char *path = "/proc/sys/net/ipv4/tcp_fastopen";
	char buf[32];
	int fd = open(path, O_RDWR | O_CLOEXEC), n, v;

	*old = *now = -1;
	if (fd < 0)
		return -errno;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	if (n <= 0) {
		close(fd);
		return -EIO;
	}
	buf[n] = 0;
	*old = *now = v = atoi(buf);
	if ((v & need) != need) {
		n = snprintf(buf, sizeof(buf), "%d\n", v | need);
		if (pwrite(fd, buf, (size_t)n, 0) != n) {
			int e = errno;

			close(fd);
			return -e;
		}
		*now = v | need;
	}
	close(fd);
	return 0;
}
