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

int main(int argc, char **argv)
{
	unsigned char *bufs;
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct wk_errs errs = { 0 };
	struct wk_udp_hdr h = { 0 };
	struct wk_pace pace;
	uint64_t blocked = 0;
	double secs;
	size_t tcp_off = 0; /* bytes of the current record already written (tcp) */
	int fd;
	json_t *res;

	wk_init(&prog, argc, argv);
	so.cc = opt_cc;
	so.nodelay = opt_nodelay;
	if (opt_rate < 0 || opt_rate > MAX_PPS) {
		wk_msg("--rate: %g is above the cap of %.0f datagrams/s", opt_rate, MAX_PPS);
		return WK_EXIT_USAGE;
	}
	if (getrandom(&h.session, sizeof(h.session), 0) != sizeof(h.session))
		h.session = (uint32_t)wk_now_ns();
	h.size = (uint32_t)opt_size;
	bufs = calloc(BATCH, opt_size);
	fd = open_socket();
	if (!bufs || fd < 0) {
		char a[80];

		if (fd == -ENOENT && opt_cc)
			wk_set_exit(WK_EXIT_ENV);
		wk_fail("%s %s: %s", transports[opt_transport],
			wk_fmt_addr((struct sockaddr *)&wk.addr, a, sizeof(a)), strerror(fd < 0 ? -fd : ENOMEM));
		return wk_finish(json_pack("{sI sI sf sf sf}", "sent", (json_int_t)0, "bytes", (json_int_t)0,
					   "seconds", 0.0, "pps", 0.0, "bps", 0.0),
				 false);
	}
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs + (size_t)i * opt_size;
		iov[i].iov_len = opt_size;
		memset(&m[i], 0, sizeof(m[i]));
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	/* tcp: records wait in the application, as a TCP agent's would */
	wk_pace_start(&pace, opt_rate, BATCH, opt_transport == 0 ? opt_max_lag : 0);
	while (!wk_stop) {
		int n = wk_pace_due(&pace);

		if (n < 0)
			break;
		if (n == 0 && tcp_off == 0) {
			wk_pace_wait(&pace);
			continue;
		}
		if (opt_transport == 1) {
			/* One record at a time; a full socket buffer is back-pressure. */
			if (tcp_off == 0) {
				h.seq = pace.sent;
				h.send_ns = wk_now_ns();
				wk_udp_encode(&h, bufs);
			}
			ssize_t w = send(fd, bufs + tcp_off, opt_size - tcp_off, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w > 0) {
				tcp_off += (size_t)w;
				if (tcp_off == opt_size) {
					tcp_off = 0;
					pace.sent++;
				}
			} else if (w < 0 && errno == EAGAIN) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };

				blocked++;
				poll(&p, 1, 1);
			} else if (w < 0 && errno != EINTR) {
				wk_errs_add(&errs, errno);
				wk_fail("send: %s", strerror(errno));
				break;
			}
			continue;
		}
		for (int i = 0; i < n; i++) {
			h.seq = pace.sent + (uint64_t)i;
			h.send_ns = wk_now_ns();
			wk_udp_encode(&h, iov[i].iov_base);
		}
		n = sendmmsg(fd, m, (unsigned)n, MSG_DONTWAIT);
		if (n > 0) {
			pace.sent += (uint64_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			blocked++;
			poll(&p, 1, 1);
		} else if (n < 0 && errno != EINTR) {
			/* ECONNREFUSED: an ICMP port unreachable came back; keep going. */
			wk_errs_add(&errs, errno);
		}
	}
	/* Tell the receiver how many were sent, so that a lost tail counts. */
	h.flags = WK_UDP_F_END;
	h.seq = pace.sent;
	h.send_ns = wk_now_ns();
	wk_udp_encode(&h, bufs);
	for (int i = 0; i < (opt_transport == 0 ? 3 : 1); i++) {
		if (opt_transport == 1) {
			if (tcp_off)
				break; /* mid-record: the stream cannot carry the END record */
			wk_nonblock(fd, 0);
		}
		if (send(fd, bufs, opt_size, MSG_NOSIGNAL) < 0)
			break;
		if (opt_transport == 0)
			usleep(5000);
	}
	secs = wk_pace_seconds(&pace);
	res = json_pack("{sI sI sf sf sf sI so ss sI sf}", "sent", (json_int_t)pace.sent, "bytes",
			(json_int_t)(pace.sent * opt_size), "seconds", secs, "pps",
			secs > 0 ? (double)pace.sent / secs : 0.0, "bps",
			secs > 0 ? (double)(pace.sent * opt_size) * 8 / secs : 0.0, "blocked",
			(json_int_t)blocked, "errors", wk_errs_json(&errs), "transport",
			transports[opt_transport], "size", (json_int_t)opt_size, "rate", opt_rate);
	wk_pace_result(&pace, res);
	close(fd);
	free(bufs);
	return wk_finish(res, true);
}
