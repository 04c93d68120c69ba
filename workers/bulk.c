/* tb-bulk: one TCP connection that sends as fast as the path allows, for a
 * duration or a byte count, to tb-server --mode sink. Goodput counts bytes
 * the receiver acknowledged (tcpi_bytes_acked), not bytes merely written. */
#include "common.h"

#include <errno.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct wk_sockopts so;
static uint64_t opt_bytes, opt_timeout = 5000000, opt_chunk = 131072;
static bool opt_nodelay;
static const char *opt_cc;

static struct wk_opt opts[] = {
	{ "cc", WK_STRING, &opt_cc, "NAME  congestion control (TCP_CONGESTION): cubic, bbr, reno..." },
	{ "nodelay", WK_FLAG, &opt_nodelay, "set TCP_NODELAY" },
	{ "sndbuf", WK_SIZE, &so.sndbuf, "SIZE  SO_SNDBUF (default: autotuning)", NULL, 0, 1u << 30 },
	{ "rcvbuf", WK_SIZE, &so.rcvbuf, "SIZE  SO_RCVBUF (default: autotuning)", NULL, 0, 1u << 30 },
	{ "bytes", WK_SIZE, &opt_bytes, "SIZE  send this many bytes, then wait until the sink has them all" },
	{ "timeout", WK_TIME, &opt_timeout, "TIME  connect timeout (default 5s)", NULL, 1000, 0 },
	{ "chunk", WK_SIZE, &opt_chunk, "SIZE  bytes per write (default 128k)", NULL, 1, 16u << 20 },
	{ NULL },
};

static const struct wk_prog prog = {
	.name = "tb-bulk",
	.summary = "Send a bulk TCP stream to tb-server --mode sink; report goodput.",
	.details = "The run lasts --duration (default 10s). With --bytes the worker sends that\n"
		   "many bytes, half-closes, and stops when the sink has closed too (so every byte\n"
		   "was delivered); --duration then only caps the run.\n"
		   "Result: bytes (acknowledged by the receiver), bytes_written, seconds,\n"
		   "goodput_bps, retransmits, cc, mss, rtt_us, intervals[].",
	.opts = opts,
	.default_duration_us = 10000000,
	.host_required = true,
};

/* Which limit held the flow while it had data to send (tcp_info's chrono
 * times, Linux 4.10+): busy = rwnd_limited + sndbuf_limited + the rest,
 * when only the congestion window (or the wire) held it. */
static void limits_json(json_t *res, const struct tcp_info *ti)
{
	uint64_t busy = ti->tcpi_busy_time, rwnd = ti->tcpi_rwnd_limited,
		 sndbuf = ti->tcpi_sndbuf_limited;

	json_object_set_new(res, "busy_s", json_real((double)busy / 1e6));
	json_object_set_new(res, "rwnd_limited_s", json_real((double)rwnd / 1e6));
	json_object_set_new(res, "sndbuf_limited_s", json_real((double)sndbuf / 1e6));
	json_object_set_new(res, "cwnd_limited_s",
			    json_real(busy > rwnd + sndbuf ? (double)(busy - rwnd - sndbuf) / 1e6 : 0));
	json_object_set_new(res, "snd_wnd", json_integer(ti->tcpi_snd_wnd));
}

static int get_info(int fd, struct tcp_info *ti)
{
	socklen_t l = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &l);
}

/* The result fields the report reads, also when nothing was measured. */
static json_t *empty_result(void)
{
	return json_pack("{sI sI sf sf sI}", "bytes", (json_int_t)0, "bytes_written", (json_int_t)0,
			 "seconds", 0.0, "goodput_bps", 0.0, "retransmits", (json_int_t)0);
}

static int wait_connected(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	uint64_t end = wk_now_us() + opt_timeout;

	while (!wk_stop) {
		uint64_t now = wk_now_us();
		int n;

		if (now >= end)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)((end - now) / 1000 + 1));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			return -wk_sock_error(fd);
	}
	return -EINTR;
}

static json_t *interval_obj(double t, uint64_t bytes, double secs, const struct tcp_info *ti)
{
	return json_pack("{sf sI sf sI sI sI sI}", "t", t, "bytes", (json_int_t)bytes, "goodput_bps",
			 secs > 0 ? (double)bytes * 8 / secs : 0.0, "cwnd", (json_int_t)ti->tcpi_snd_cwnd,
			 "rtt_us", (json_int_t)ti->tcpi_rtt, "retrans",
			 (json_int_t)ti->tcpi_total_retrans, "delivery_rate_bps",
			 (json_int_t)(ti->tcpi_delivery_rate * 8));
}

/* One run: the socket, what the loop has sent, and the interval schedule. */
struct bulk {
	int fd;
	const unsigned char *buf;
	json_t *res, *intervals;
	uint64_t written, start, end_us, next_iv, last_acked, last_iv;
	bool eof;
	char cc_used[16];
};

/* The socket with the options; on failure, why (exit 3 when --cc names a
 * congestion control this kernel lacks). */
static int open_socket(struct bulk *b)
{
	const char *what = "socket";
	int fd = wk_tcp_socket(&so, &what);

	if (fd >= 0) {
		b->fd = fd;
		return 0;
	}
	wk_set_exit(fd == -ENOENT ? WK_EXIT_ENV : WK_EXIT_FAIL);
	if (fd == -ENOENT && opt_cc)
		wk_fail("--cc %s: not available in this kernel (%s: %s)", opt_cc, what, strerror(-fd));
	else
		wk_fail("%s: %s", what, strerror(-fd));
	return -1;
}

/* Connect within --timeout; on failure, the error in the result and the
 * socket closed. */
static int connect_socket(struct bulk *b)
{
	socklen_t l = sizeof(b->cc_used);
	int rc = wk_connect_start(b->fd);

	if (rc == -EINPROGRESS)
		rc = wait_connected(b->fd);
	if (rc) {
		if (!wk_stop || rc != -EINTR) {
			char a[80];

			wk_fail("connect %s: %s", wk_fmt_addr((struct sockaddr *)&wk.addr, a, sizeof(a)),
				strerror(-rc));
		}
		json_object_set_new(b->res, "errors",
				    json_pack("{sI}", wk_errname(-rc), (json_int_t)1));
		close(b->fd);
		return -1;
	}
	getsockopt(b->fd, IPPROTO_TCP, TCP_CONGESTION, b->cc_used, &l);
	b->cc_used[sizeof(b->cc_used) - 1] = 0;
	return 0;
}

/* An interval's line: into intervals[] and the series. */
static void sample_interval(struct bulk *b, uint64_t now)
{
	struct tcp_info ti;
	uint64_t bytes;
	double secs = (double)(now - b->last_iv) / 1e6;

	get_info(b->fd, &ti);
	bytes = ti.tcpi_bytes_acked - b->last_acked;
	json_array_append_new(b->intervals,
			      interval_obj((double)(now - b->start) / 1e6, bytes, secs, &ti));
	wk_series(interval_obj(0, bytes, secs, &ti));
	b->last_acked = ti.tcpi_bytes_acked;
	b->last_iv = now;
	/* after a stall this line covers every interval that ended (its
	 * goodput is over its real length): the next one is a whole interval
	 * from now, not the old schedule's next end (a line per missed end, or
	 * one microseconds after this) */
	if (now >= b->next_iv + wk.interval_us)
		b->next_iv = now + wk.interval_us;
	else
		b->next_iv += wk.interval_us;
}

/* How long a wait may last: until the next interval or the end. */
static int wait_ms(const struct bulk *b, uint64_t now)
{
	uint64_t until = b->next_iv < b->end_us ? b->next_iv : b->end_us;

	return (int)((until - now) / 1000 + 1);
}

/* All written: wait for the sink to close, which it does only after
 * reading everything. True when it has (or the socket failed). */
static bool sink_closed(const struct bulk *b, uint64_t now)
{
	struct pollfd p = { .fd = b->fd, .events = POLLIN };
	char tmp[256];

	if (poll(&p, 1, wait_ms(b, now)) > 0) {
		ssize_t r = read(b->fd, tmp, sizeof(tmp));

		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
	return false;
}

/* One write of up to @n bytes (a wait when the socket is full); -1 when
 * send failed, with the error in the result. */
static int send_chunk(struct bulk *b, size_t n, uint64_t now)
{
	ssize_t w = send(b->fd, b->buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (w > 0) {
		b->written += (uint64_t)w;
		if (opt_bytes && b->written >= opt_bytes)
			shutdown(b->fd, SHUT_WR);
		return 0;
	}
	if (w < 0 && errno == EINTR)
		return 0;
	if (w < 0 && errno == EAGAIN) {
		struct pollfd p = { .fd = b->fd, .events = POLLOUT };

		poll(&p, 1, wait_ms(b, now));
		return 0;
	}
	wk_fail("send: %s", strerror(errno));
	json_object_set_new(b->res, "errors", json_pack("{sI}", wk_errname(errno), (json_int_t)1));
	return -1;
}

/* Send until the duration is over, or with --bytes until the sink has
 * closed; a line per interval. */
static void transfer(struct bulk *b)
{
	b->intervals = json_array();
	b->start = b->last_iv = wk_now_us();
	b->end_us = b->start + wk.duration_us;
	b->next_iv = b->start + wk.interval_us;
	while (!wk_stop) {
		uint64_t now = wk_now_us();
		size_t n = opt_chunk;

		if (now >= b->next_iv)
			sample_interval(b, now);
		if (now >= b->end_us)
			break;
		if (opt_bytes && b->written >= opt_bytes) {
			if (sink_closed(b, now)) {
				b->eof = true;
				break;
			}
			continue;
		}
		if (opt_bytes && opt_bytes - b->written < n)
			n = (size_t)(opt_bytes - b->written);
		if (send_chunk(b, n, now) < 0)
			break;
	}
}

/* The result's numbers; whether the run is complete. */
static bool write_result(struct bulk *b)
{
	uint64_t now = wk_now_us(), acked;
	double secs = (double)(now - b->start) / 1e6;
	json_t *res = b->res;
	struct tcp_info ti;
	bool complete;

	get_info(b->fd, &ti);
	/* tcpi_bytes_acked counts the SYN's sequence number too. */
	acked = ti.tcpi_bytes_acked ? ti.tcpi_bytes_acked - 1 : 0;
	if (opt_bytes && b->eof)
		acked = b->written;
	complete = opt_bytes ? b->eof : (now >= b->end_us);
	if (complete)
		wk_request_stop(WK_STOP_DONE);
	json_object_set_new(res, "bytes", json_integer((json_int_t)acked));
	json_object_set_new(res, "bytes_written", json_integer((json_int_t)b->written));
	json_object_set_new(res, "seconds", json_real(secs));
	json_object_set_new(res, "goodput_bps", json_real(secs > 0 ? (double)acked * 8 / secs : 0));
	json_object_set_new(res, "retransmits", json_integer(ti.tcpi_total_retrans));
	json_object_set_new(res, "cc", json_string(b->cc_used));
	json_object_set_new(res, "mss", json_integer(ti.tcpi_snd_mss));
	json_object_set_new(res, "rtt_us", json_integer(ti.tcpi_rtt));
	json_object_set_new(res, "intervals", b->intervals);
	b->intervals = NULL;
	limits_json(res, &ti);
	return complete;
}

static void close_socket(int fd)
{
	if (!opt_bytes) {
		/* A duration run is over: what is still queued is not part of the
		 * measurement. Abort (RST) instead of leaving an orphan that keeps
		 * draining megabytes into the next run's memory (tcp_mem is shared
		 * by every namespace of a kernel: one UML guest runs all the runs). */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(fd);
}

int main(int argc, char **argv)
{
	struct bulk b = { .res = json_object(), .last_acked = 1 };
	bool complete;

	wk_init(&prog, argc, argv);
	so.cc = opt_cc;
	so.nodelay = opt_nodelay;
	b.buf = wk_zeros(opt_chunk);
	if (open_socket(&b) < 0 || connect_socket(&b) < 0) {
		json_object_update_new(b.res, empty_result());
		return wk_finish(b.res, false);
	}
	transfer(&b);
	complete = write_result(&b);
	close_socket(b.fd);
	return wk_finish(b.res, complete);
}
