/* tb-server --mode udp: account tb-udp datagrams (and the same records sent
 * over TCP): received, lost, reordered, duplicated, one-way delay. The
 * receiver follows the first sender session it sees; datagrams of other
 * sessions are only counted. */
#include "server.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Sequence numbers beyond this are counted but not tracked (8 MB bitmap). */
#define SEQ_TRACK_MAX (64ull << 20)

static struct {
	bool have_session;
	uint32_t session;
	uint64_t received, unique, duplicated, reordered, other_session, bad, untracked;
	uint64_t bytes, max_seq, sent_total; /* sent_total from the END datagrams */
	bool end_seen;
	uint8_t *seen;
	size_t seen_len;
	struct wk_hist owd;
	uint64_t iv_received, iv_lost_base;
	struct wk_hist iv_owd;
} u;

int srv_udp_socket(void)
{
	int fd = socket(wk.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), zero = 0;
	int big = 8 << 20;

	if (fd < 0)
		goto fail;
	if (wk.family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	/* A deep receive queue, so that losses are the network's, not ours. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&wk.addr, wk.addrlen))
		goto fail;
	return fd;
fail: {
	int e = errno;

	wk_fail("udp socket on port %u: %s", (unsigned)wk.port, strerror(e));
	if (fd >= 0)
		close(fd);
	return -e;
}
}

static bool mark_seen(uint64_t seq)
{
	size_t byte = (size_t)(seq / 8);
	bool was;

	if (byte >= u.seen_len) {
		size_t n = u.seen_len ? u.seen_len : 4096;
		uint8_t *p;

		while (n <= byte)
			n *= 2;
		p = realloc(u.seen, n);
		if (!p)
			return false;
		memset(p + u.seen_len, 0, n - u.seen_len);
		u.seen = p;
		u.seen_len = n;
	}
	was = u.seen[byte] & (1u << (seq % 8));
	u.seen[byte] |= (uint8_t)(1u << (seq % 8));
	return was;
}

void srv_udp_record(const struct wk_udp_hdr *h, uint64_t now_ns, uint32_t bytes)
{
	uint64_t owd;

	if (!u.have_session) {
		u.have_session = true;
		u.session = h->session;
	}
	if (h->session != u.session) {
		u.other_session++;
		return;
	}
	if (h->flags & WK_UDP_F_END) {
		u.end_seen = true;
		u.sent_total = h->seq;
		return;
	}
	u.received++;
	u.iv_received++;
	u.bytes += bytes;
	if (h->seq >= SEQ_TRACK_MAX) {
		u.untracked++;
		return;
	}
	if (mark_seen(h->seq)) {
		u.duplicated++;
		return;
	}
	u.unique++;
	if (u.unique > 1 && h->seq < u.max_seq)
		u.reordered++;
	if (u.unique == 1 || h->seq > u.max_seq)
		u.max_seq = h->seq;
	/* Same host, same CLOCK_MONOTONIC: the difference is the one-way delay. */
	owd = now_ns > h->send_ns ? (now_ns - h->send_ns) / 1000 : 0;
	wk_hist_add(&u.owd, owd);
	wk_hist_add(&u.iv_owd, owd);
}

void srv_udp_read(int fd)
{
	enum { BATCH = 64, DGRAM = 65536 };
	static unsigned char *bufs;
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];

	if (!bufs && !(bufs = malloc((size_t)BATCH * DGRAM)))
		return;
	for (int round = 0; round < 16 && !wk_stop; round++) {
		int n;
		uint64_t now;

		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs + (size_t)i * DGRAM;
			iov[i].iov_len = DGRAM;
			memset(&m[i].msg_hdr, 0, sizeof(m[i].msg_hdr));
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		now = wk_now_ns();
		pthread_mutex_lock(&srv_st_lock);
		for (int i = 0; i < n; i++) {
			struct wk_udp_hdr h;

			srv_st.bytes_in += m[i].msg_len;
			if (m[i].msg_len < WK_UDP_HDR || wk_udp_decode(iov[i].iov_base, &h)) {
				u.bad++;
				continue;
			}
			srv_udp_record(&h, now, m[i].msg_len);
		}
		pthread_mutex_unlock(&srv_st_lock);
		if (n < BATCH)
			return;
	}
}

static uint64_t expected(void)
{
	uint64_t e = u.unique ? u.max_seq + 1 : 0;

	/* The END datagrams carry the number sent, which also covers a lost tail. */
	if (u.end_seen && u.sent_total > e)
		e = u.sent_total;
	return e;
}

/* Runs of consecutive missing sequence numbers: random loss makes about one
 * gap per lost datagram, a queue overflow fewer and longer ones. */
static uint64_t gaps(uint64_t exp)
{
	uint64_t n = 0;
	bool in_gap = false;

	if (exp > SEQ_TRACK_MAX)
		exp = SEQ_TRACK_MAX;
	for (uint64_t s = 0; s < exp; s++) {
		bool have = s / 8 < u.seen_len && (u.seen[s / 8] & (1u << (s % 8)));

		if (!have && !in_gap)
			n++;
		in_gap = !have;
	}
	return n;
}

void srv_udp_result(json_t *r)
{
	uint64_t exp = expected(), lost = exp > u.unique ? exp - u.unique : 0;

	json_object_set_new(r, "received", json_integer((json_int_t)u.received));
	json_object_set_new(r, "expected", json_integer((json_int_t)exp));
	json_object_set_new(r, "lost", json_integer((json_int_t)lost));
	json_object_set_new(r, "gaps", json_integer((json_int_t)gaps(exp)));
	json_object_set_new(r, "reordered", json_integer((json_int_t)u.reordered));
	json_object_set_new(r, "duplicated", json_integer((json_int_t)u.duplicated));
	json_object_set_new(r, "loss_pct", json_real(exp ? 100.0 * (double)lost / (double)exp : 0));
	json_object_set_new(r, "end_seen", json_boolean(u.end_seen));
	json_object_set_new(r, "sent_reported", json_integer((json_int_t)u.sent_total));
	json_object_set_new(r, "bytes", json_integer((json_int_t)u.bytes));
	json_object_set_new(r, "other_session", json_integer((json_int_t)u.other_session));
	json_object_set_new(r, "malformed", json_integer((json_int_t)(u.bad + srv_st.bad)));
	json_object_set_new(r, "owd_us", wk_hist_summary(&u.owd));
	json_object_set_new(r, "histogram", wk_hist_buckets(&u.owd));
}

void srv_udp_interval(json_t *l)
{
	pthread_mutex_lock(&srv_st_lock);
	json_object_set_new(l, "received", json_integer((json_int_t)u.iv_received));
	json_object_set_new(l, "owd_p50_us", json_integer((json_int_t)wk_hist_pct(&u.iv_owd, 50)));
	json_object_set_new(l, "owd_p99_us", json_integer((json_int_t)wk_hist_pct(&u.iv_owd, 99)));
	u.iv_received = 0;
	memset(&u.iv_owd, 0, sizeof(u.iv_owd));
	pthread_mutex_unlock(&srv_st_lock);
}
