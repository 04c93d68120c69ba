/* tb-web's server role: listen (TCP, or UDP for HTTP/3), announce, one
 * thread per accepted TCP connection (TLS handshake, then the protocol),
 * and the server's result. */
#include "web_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t accepted, active, active_max;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int sock_fail(int fd, const char *what)
{
	int e = errno;
	char a[80];

	wk_set_exit(e == EADDRINUSE || e == EACCES ? WK_EXIT_ENV : WK_EXIT_FAIL);
	wk_fail("%s %s: %s", what, wk_fmt_addr((struct sockaddr *)&wk.addr, a, sizeof(a)), strerror(e));
	if (fd >= 0)
		close(fd);
	return -e;
}

static int listen_on(bool udp)
{
	int one = 1, zero = 0, qlen = 4096;
	int fd = socket(wk.family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return sock_fail(fd, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (wk.family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero))))
		return sock_fail(fd, "setsockopt");
	if (web_o.so.rcvbuf) {
		int v = (int)web_o.so.rcvbuf;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)))
			return sock_fail(fd, "setsockopt SO_RCVBUF");
	}
	if (!udp && web_o.tfo && setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)))
		return sock_fail(fd, "setsockopt TCP_FASTOPEN");
	if (bind(fd, (struct sockaddr *)&wk.addr, wk.addrlen))
		return sock_fail(fd, "bind");
	if (!udp && listen(fd, (int)web_o.backlog))
		return sock_fail(fd, "listen");
	wk_nonblock(fd, 1);
	return fd;
}

static void announce(void)
{
	static const char *const http[] = { "none", "1.1", "2", "3" };
	char a[80], tmp[4096];
	FILE *f;

	wk_fmt_addr((struct sockaddr *)&wk.addr, a, sizeof(a));
	printf("tb-web: listening on %s http %s\n", a, http[web_o.http]);
	fflush(stdout);
	if (!web_o.ready)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", web_o.ready);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%u\n", (unsigned)wk.port) < 0 || fclose(f) || rename(tmp, web_o.ready))
		wk_msg("--ready %s: %s", web_o.ready, strerror(errno));
}

/* One accepted connection, in its own thread. */
static void *serve_conn(void *arg)
{
	struct web_io io = { .fd = (int)(intptr_t)arg, .t_start = wk_now_us() };
	const char *what = "setsockopt";
	int rc = wk_apply_sockopts(io.fd, &web_o.so, &what);

	io.deadline = io.t_start + web_o.timeout;
	/* corked while it has work: a response (and the TLS 1.3 session
	 * ticket before it) leaves in one go when the thread next waits */
	web_io_cork(&io, true);
	if (!rc && web_o.tls != WEB_TLS_NO)
		rc = web_tls_server(&io, &what);
	else if (!rc)
		web_ev_handshake(NULL, io.t_start, io.t_start, web_io_syn_data(io.fd) ? WEB_HS_TFO : 0);
	if (rc && rc != -ECANCELED)
		web_ev_error(NULL, -rc, what);
	else if (!rc && web_o.http == WEB_HTTP_2)
		web_h2_serve(&io);
	else if (!rc)
		web_h1_serve(&io);
	web_ev_bytes(NULL, io.bytes_in, io.bytes_out);
	web_io_close(&io);
	pthread_mutex_lock(&mu);
	active--;
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void start_conn(int fd)
{
	pthread_attr_t at;
	pthread_t t;

	pthread_mutex_lock(&mu);
	accepted++;
	if (++active > active_max)
		active_max = active;
	pthread_mutex_unlock(&mu);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	if (pthread_create(&t, &at, serve_conn, (void *)(intptr_t)fd)) {
		web_ev_error(NULL, EAGAIN, "pthread_create");
		close(fd);
		pthread_mutex_lock(&mu);
		active--;
		pthread_mutex_unlock(&mu);
	}
	pthread_attr_destroy(&at);
}

static void accept_loop(int lfd)
{
	while (!web_stopping()) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
			start_conn(fd);
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
			web_ev_error(NULL, errno, "accept");
	}
	/* the connection threads see the stop within 50 ms */
	for (int i = 0; i < 100; i++) {
		uint64_t n;

		pthread_mutex_lock(&mu);
		n = active;
		pthread_mutex_unlock(&mu);
		if (!n)
			break;
		usleep(20000);
	}
}

json_t *web_srv_run(void)
{
	json_t *r = json_object();
	int fd = listen_on(web_o.http == WEB_HTTP_3);

	if (fd >= 0) {
		announce();
		if (web_o.http == WEB_HTTP_3)
			web_quic_server(fd);
		else
			accept_loop(fd);
		close(fd);
	}
	if (wk.duration_given && wk_now_us() >= wk_t0 + wk.duration_us)
		wk_request_stop(WK_STOP_DONE);
	web_stats_server_result(r);
	if (web_o.http == WEB_HTTP_3) {
		struct web_quic_server_stats q;

		web_quic_server_counters(&q);
		json_object_set_new(r, "handshakes", json_integer((json_int_t)q.handshakes));
		json_object_set_new(r, "resumed", json_integer((json_int_t)q.resumed));
		json_object_set_new(r, "early_accepted", json_integer((json_int_t)q.early_accepted));
		json_object_set_new(r, "requests", json_integer((json_int_t)q.requests));
	}
	json_object_set_new(r, "accepted", json_integer((json_int_t)accepted));
	json_object_set_new(r, "active_max", json_integer((json_int_t)active_max));
	json_object_set_new(r, "threads_max", json_integer((json_int_t)(1 + active_max)));
	json_object_set_new(r, "rss_peak_bytes", json_integer(wk_proc_kb("/proc/self/status", "VmHWM")));
	json_object_set_new(r, "vm_peak_bytes", json_integer(wk_proc_kb("/proc/self/status", "VmPeak")));
	return r;
}
