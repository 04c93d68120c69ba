/* tb-udp: datagrams with sequence numbers and CLOCK_MONOTONIC send stamps at
 * a fixed rate to tb-server --mode udp, which reports loss, reordering,
 * duplicates and one-way delay. --transport tcp sends the same records over
 * one TCP connection as the comparison case. */
#include "common.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define MAX_PPS 1000000.0
#define BATCH 32

static struct wk_sockopts so;
static const char *opt_cc;
static bool opt_nodelay;
static uint64_t opt_size = 512, opt_timeout = 5000000, opt_max_lag = 20000;
static double opt_rate = 1000;
static int opt_transport;
static const char *const transports[] = { "udp", "tcp", NULL };

static struct wk_opt opts[] = {
	{ "size", WK_SIZE, &opt_size, "SIZE  datagram payload size incl. the 32-byte header (default 512)", NULL, WK_UDP_HDR, 65507 },
	{ "rate", WK_REAL, &opt_rate, "R     datagrams per second (default 1000; 0 = as fast as the socket takes, capped at 1e6)" },
	{ "transport", WK_CHOICE, &opt_transport, "PROTO udp, or the same records over TCP (default udp)", transports },
	{ "cc", WK_STRING, &opt_cc, "NAME  tcp transport: congestion control" },
	{ "nodelay", WK_FLAG, &opt_nodelay, "tcp transport: TCP_NODELAY" },
	{ "sndbuf", WK_SIZE, &so.sndbuf, "SIZE  SO_SNDBUF", NULL, 0, 1u << 30 },
	{ "rcvbuf", WK_SIZE, &so.rcvbuf, "SIZE  SO_RCVBUF (tcp transport)", NULL, 0, 1u << 30 },
	{ "timeout", WK_TIME, &opt_timeout, "TIME  tcp transport: connect timeout (default 5s)", NULL, 1000, 0 },
	{ "max-lag", WK_TIME, &opt_max_lag, "TIME  udp: further behind schedule than this, skip the missed datagrams (default 20ms; 0 = burst them)", NULL, 0, 0 },
	{ NULL },
};

static const struct wk_prog prog = {
	.name = "tb-udp",
	.summary = "Sequenced, timestamped datagrams at a rate to tb-server --mode udp.",
	.details = "The receiver's result holds the loss figures. One-way delay compares\n"
		   "CLOCK_MONOTONIC of sender and receiver: valid when both run on one kernel\n"
		   "(namespaces of one host, or one UML guest).\n"
		   "A sender the host did not run for a while (a stall) does not burst what it\n"
		   "missed into the path, where a queue would drop it as if the path had lost\n"
		   "it: with --transport udp it skips the datagrams that fell more than\n"
		   "--max-lag behind (no sequence number is spent on them) and counts them.\n"
		   "Result: sent, bytes, seconds, pps, bps, blocked, errors{ERRNO: n},\n"
		   "skipped, stalls, lag_max_us.",
	.opts = opts,
	.default_duration_us = 10000000,
	.host_required = true,
};

/* One sender: the batch of datagrams (over tcp, its first buffer is the one
 * record in flight), the schedule, and what went wrong. */
struct sender {
	int fd;
	unsigned char *bufs;
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct wk_errs errs;
	struct wk_udp_hdr h;
	struct wk_pace pace;
	uint64_t blocked;
	size_t tcp_off; /* bytes of the current record already written (tcp) */
};

static int open_socket(void)
{
	const char *what = "socket";
	int fd;

	if (opt_transport == 0) {
		fd = socket(wk.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (so.sndbuf) {
			int v = (int)so.sndbuf;

			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
		}
		if (connect(fd, (struct sockaddr *)&wk.addr, wk.addrlen)) {
			int e = -errno;

			close(fd);
			return e;
		}
		wk_nonblock(fd, 1);
		return fd;
	}
	fd = wk_tcp_socket(&so, &what);
	if (fd < 0)
		return fd;
	int rc = wk_connect_start(fd);

	if (rc == -EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		rc = poll(&p, 1, (int)(opt_timeout / 1000)) == 1 ? -wk_sock_error(fd) : -ETIMEDOUT;
	}
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

/* No socket or no buffers: say which, with an empty result. */
static int open_failed(int fd)
{
	char a[80];

	if (fd == -ENOENT && opt_cc)
		wk_set_exit(WK_EXIT_ENV);
	wk_fail("%s %s: %s", transports[opt_transport],
		wk_fmt_addr((struct sockaddr *)&wk.addr, a, sizeof(a)), strerror(fd < 0 ? -fd : ENOMEM));
	return wk_finish(json_pack("{sI sI sf sf sf}", "sent", (json_int_t)0, "bytes", (json_int_t)0,
				   "seconds", 0.0, "pps", 0.0, "bps", 0.0),
			 false);
}

/* A datagram of opt_size bytes per slot of the batch. */
static void init_batch(struct sender *s)
{
	for (int i = 0; i < BATCH; i++) {
		s->iov[i].iov_base = s->bufs + (size_t)i * opt_size;
		s->iov[i].iov_len = opt_size;
		memset(&s->m[i], 0, sizeof(s->m[i]));
		s->m[i].msg_hdr.msg_iov = &s->iov[i];
		s->m[i].msg_hdr.msg_iovlen = 1;
	}
}

/* The socket is full: count it, and wait up to 1 ms for room. */
static void wait_writable(struct sender *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLOUT };

	s->blocked++;
	poll(&p, 1, 1);
}

/* tcp: one record at a time; a full socket buffer is back-pressure. -1 when
 * send failed. */
static int send_record(struct sender *s)
{
	ssize_t w;

	if (s->tcp_off == 0) {
		s->h.seq = s->pace.sent;
		s->h.send_ns = wk_now_ns();
		wk_udp_encode(&s->h, s->bufs);
	}
	w = send(s->fd, s->bufs + s->tcp_off, opt_size - s->tcp_off, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w > 0) {
		s->tcp_off += (size_t)w;
		if (s->tcp_off == opt_size) {
			s->tcp_off = 0;
			s->pace.sent++;
		}
	} else if (w < 0 && errno == EAGAIN) {
		wait_writable(s);
	} else if (w < 0 && errno != EINTR) {
		wk_errs_add(&s->errs, errno);
		wk_fail("send: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* udp: the @n datagrams due, stamped, in one sendmmsg. */
static void send_batch(struct sender *s, int n)
{
	for (int i = 0; i < n; i++) {
		s->h.seq = s->pace.sent + (uint64_t)i;
		s->h.send_ns = wk_now_ns();
		wk_udp_encode(&s->h, s->iov[i].iov_base);
	}
	n = sendmmsg(s->fd, s->m, (unsigned)n, MSG_DONTWAIT);
	if (n > 0) {
		s->pace.sent += (uint64_t)n;
	} else if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
		wait_writable(s);
	} else if (n < 0 && errno != EINTR) {
		/* ECONNREFUSED: an ICMP port unreachable came back; keep going. */
		wk_errs_add(&s->errs, errno);
	}
}

/* Send at --rate until the end (or a tcp send fails). */
static void transfer(struct sender *s)
{
	/* tcp: records wait in the application, as a TCP agent's would */
	wk_pace_start(&s->pace, opt_rate, BATCH, opt_transport == 0 ? opt_max_lag : 0);
	while (!wk_stop) {
		int n = wk_pace_due(&s->pace);

		if (n < 0)
			break;
		if (n == 0 && s->tcp_off == 0) {
			wk_pace_wait(&s->pace);
			continue;
		}
		if (opt_transport == 1) {
			if (send_record(s) < 0)
				break;
			continue;
		}
		send_batch(s, n);
	}
}

/* Tell the receiver how many were sent, so that a lost tail counts. */
static void send_end(struct sender *s)
{
	s->h.flags = WK_UDP_F_END;
	s->h.seq = s->pace.sent;
	s->h.send_ns = wk_now_ns();
	wk_udp_encode(&s->h, s->bufs);
	for (int i = 0; i < (opt_transport == 0 ? 3 : 1); i++) {
		if (opt_transport == 1) {
			if (s->tcp_off)
				break; /* mid-record: the stream cannot carry the END record */
			wk_nonblock(s->fd, 0);
		}
		if (send(s->fd, s->bufs, opt_size, MSG_NOSIGNAL) < 0)
			break;
		if (opt_transport == 0)
			usleep(5000);
	}
}

static json_t *write_result(struct sender *s)
{
	double secs = wk_pace_seconds(&s->pace);
	uint64_t sent = s->pace.sent;
	json_t *res;

	res = json_pack("{sI sI sf sf sf sI so ss sI sf}", "sent", (json_int_t)sent, "bytes",
			(json_int_t)(sent * opt_size), "seconds", secs, "pps",
			secs > 0 ? (double)sent / secs : 0.0, "bps",
			secs > 0 ? (double)(sent * opt_size) * 8 / secs : 0.0, "blocked",
			(json_int_t)s->blocked, "errors", wk_errs_json(&s->errs), "transport",
			transports[opt_transport], "size", (json_int_t)opt_size, "rate", opt_rate);
	wk_pace_result(&s->pace, res);
	return res;
}

int main(int argc, char **argv)
{
	struct sender s = { 0 };
	json_t *res;

	wk_init(&prog, argc, argv);
	so.cc = opt_cc;
	so.nodelay = opt_nodelay;
	if (opt_rate < 0 || opt_rate > MAX_PPS) {
		wk_msg("--rate: %g is above the cap of %.0f datagrams/s", opt_rate, MAX_PPS);
		return WK_EXIT_USAGE;
	}
	if (getrandom(&s.h.session, sizeof(s.h.session), 0) != sizeof(s.h.session))
		s.h.session = (uint32_t)wk_now_ns();
	s.h.size = (uint32_t)opt_size;
	s.bufs = calloc(BATCH, opt_size);
	s.fd = open_socket();
	if (!s.bufs || s.fd < 0)
		return open_failed(s.fd);
	init_batch(&s);
	transfer(&s);
	send_end(&s);
	res = write_result(&s);
	close(s.fd);
	free(s.bufs);
	return wk_finish(res, true);
}
