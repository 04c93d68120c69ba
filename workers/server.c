/* tb-server: the server side of every flow. --mode sink discards a bulk
 * stream; --mode rr answers tb-rr / tb-churn / tb-idle requests; --mode udp
 * receives tb-udp datagrams (and the same records over TCP). Accept pacing,
 * backlog, architecture, close policy, slow reading and leaking are the knobs
 * that make the server-side pathologies visible. */
#include "common.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "server.h"

static const char *const modes[] = { "sink", "rr", "udp", NULL };
static const char *const archs[] = { "epoll", "thread", "iterative", "fork", "pool", "epoll_pool", NULL };
static const char *const closers[] = { "client", "server", NULL };
static const char *opt_ready, *opt_cc;
static bool opt_nodelay;

static struct wk_opt opts[] = {
	{ "mode", WK_CHOICE, &srv_o.mode, "MODE  what to serve (default sink)", modes },
	{ "backlog", WK_COUNT, &srv_o.backlog, "N     listen() backlog (default 128)", NULL, 0, 1u << 20 },
	{ "arch", WK_CHOICE, &srv_o.arch, "ARCH  connection handling (default epoll)", archs },
	{ "accept-rate", WK_REAL, &srv_o.accept_rate, "R     accepts per second (default: as fast as possible)" },
	{ "accept-delay", WK_TIME, &srv_o.accept_delay_us, "TIME  do not accept at all for this long" },
	{ "close", WK_CHOICE, &srv_o.close, "WHO   who closes first: server closes after each response", closers },
	{ "read-rate", WK_BYTERATE, &srv_o.read_rate, "RATE  slow reader: bytes/s per connection (64k, 1mbit)" },
	{ "leak", WK_FLAG, &srv_o.leak, "never close accepted sockets (they stay in CLOSE-WAIT)" },
	{ "reject", WK_FLAG, &srv_o.reject, "load shedding: accept and close at once" },
	{ "response", WK_SIZE, &srv_o.response, "SIZE  rr: response size when the request leaves it to the server (default 64)", NULL, 0, 1u << 30 },
	{ "work", WK_TIME, &srv_o.work_us, "TIME  CPU time each request costs the server (a busy loop on its thread's CPU clock)", NULL, 0, 10000000 },
	{ "nofile", WK_COUNT, &srv_o.nofile, "N     RLIMIT_NOFILE of the server: descriptors beyond it fail accept() with EMFILE", NULL, 8, 1u << 20 },
	{ "threads", WK_COUNT, &srv_o.threads, "N     worker threads of --arch pool (default: 4 per CPU online) and epoll_pool (1 per CPU)", NULL, 1, 4096 },
	{ "request", WK_SIZE, &srv_o.request, "SIZE  rr: fixed request size, no header (for non-testbed clients)", NULL, 0, 1u << 30 },
	{ "ready", WK_STRING, &opt_ready, "FILE  written (with the port) once listening" },
	{ "cc", WK_STRING, &opt_cc, "NAME  congestion control of accepted sockets" },
	{ "nodelay", WK_FLAG, &opt_nodelay, "TCP_NODELAY on accepted sockets" },
	{ "sndbuf", WK_SIZE, &srv_o.sock.sndbuf, "SIZE  SO_SNDBUF of accepted sockets", NULL, 0, 1u << 30 },
	{ "rcvbuf", WK_SIZE, &srv_o.sock.rcvbuf, "SIZE  SO_RCVBUF of the listener (inherited)", NULL, 0, 1u << 30 },
	{ NULL },
};

static const struct wk_prog prog = {
	.name = "tb-server",
	.summary = "Serve sink (bulk), rr (request/response, churn, idle) or udp flows.",
	.details = "Prints one line on stdout once listening and writes --ready FILE.\n"
		   "Without --duration it serves until SIGTERM (result complete) or --deadline\n"
		   "(default 600s without --duration). --mode udp also accepts tb-udp\n"
		   "--transport tcp on the same TCP port. --read-rate takes a rate with a bit\n"
		   "unit (8mbit = 1 MB/s) or a size per second (64k = 65536 B/s).",
	.opts = opts,
	.default_duration_us = 0,
	.host_required = false,
};

/* ---- listening ---- */

static int listen_tcp(void)
{
	int one = 1, zero = 0, fd;
	const char *what = "socket";

	fd = socket(wk.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	what = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (wk.family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
		goto fail;
	if (opt_cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, opt_cc, (socklen_t)strlen(opt_cc))) {
		what = "setsockopt TCP_CONGESTION";
		goto fail;
	}
	if (srv_o.sock.rcvbuf) {
		int v = (int)srv_o.sock.rcvbuf;

		what = "setsockopt SO_RCVBUF";
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)))
			goto fail;
	}
	what = "bind";
	if (bind(fd, (struct sockaddr *)&wk.addr, wk.addrlen))
		goto fail;
	what = "listen";
	if (listen(fd, (int)srv_o.backlog))
		goto fail;
	wk_nonblock(fd, 1);
	return fd;
fail: {
	int e = errno;
	char a[80];

	wk_set_exit(e == EADDRINUSE || e == EACCES || e == ENOENT ? WK_EXIT_ENV : WK_EXIT_FAIL);
	wk_fail("%s %s: %s", what, wk_fmt_addr((struct sockaddr *)&wk.addr, a, sizeof(a)), strerror(e));
	if (fd >= 0)
		close(fd);
	return -e;
}
}

static void announce(void)
{
	char a[80];

	wk_fmt_addr((struct sockaddr *)&wk.addr, a, sizeof(a));
	printf("tb-server: listening on %s mode %s arch %s\n", a, modes[srv_o.mode], archs[srv_o.arch]);
	fflush(stdout);
	if (opt_ready) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", opt_ready);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%u\n", (unsigned)wk.port) < 0 || fclose(f) || rename(tmp, opt_ready))
			wk_msg("--ready %s: %s", opt_ready, strerror(errno));
	}
}

/* The server's own CPU time and that of its reaped children (--arch fork). */
static double cpu_s(void)
{
	struct rusage a, b;
	double t = 0;

	if (!getrusage(RUSAGE_SELF, &a))
		t += (double)a.ru_utime.tv_sec + a.ru_utime.tv_usec / 1e6 + (double)a.ru_stime.tv_sec +
		     a.ru_stime.tv_usec / 1e6;
	if (!getrusage(RUSAGE_CHILDREN, &b))
		t += (double)b.ru_utime.tv_sec + b.ru_utime.tv_usec / 1e6 + (double)b.ru_stime.tv_sec +
		     b.ru_stime.tv_usec / 1e6;
	return t;
}

/* What the architecture cost: CPU, memory, threads and processes, and
 * how the accept loop fared without descriptors. The kernel keeps the
 * peaks (VmHWM, VmPeak), so one read at the end sees the worst moment. */
static void cost_json(json_t *r)
{
	json_object_set_new(r, "rss_peak_bytes", json_integer(wk_proc_kb("/proc/self/status", "VmHWM")));
	json_object_set_new(r, "vm_peak_bytes", json_integer(wk_proc_kb("/proc/self/status", "VmPeak")));
	json_object_set_new(r, "mem_peak_bytes", json_integer(srv_mem_peak()));
	/* the main thread plus the most service threads alive at once */
	json_object_set_new(r, "threads_max", json_integer((json_int_t)(1 + srv_st.threads_max)));
	json_object_set_new(r, "procs_max", json_integer((json_int_t)(1 + srv_st.procs_max)));
	json_object_set_new(r, "cpu_s", json_real(cpu_s()));
	json_object_set_new(r, "work_s", json_real((double)srv_st.work_us / 1e6));
	json_object_set_new(r, "emfile", json_integer((json_int_t)srv_st.errs.n[EMFILE]));
	json_object_set_new(r, "accept_pauses", json_integer((json_int_t)srv_st.accept_pauses));
	json_object_set_new(r, "stops", json_integer((json_int_t)srv_st.stops));
	json_object_set_new(r, "starts", json_integer((json_int_t)srv_st.starts));
}

static json_t *result(void)
{
	json_t *r = json_object();
	double secs = srv_st.first_byte_us && srv_st.last_byte_us > srv_st.first_byte_us
			      ? (double)(srv_st.last_byte_us - srv_st.first_byte_us) / 1e6
			      : 0;

	json_object_set_new(r, "mode", json_string(modes[srv_o.mode]));
	json_object_set_new(r, "arch", json_string(archs[srv_o.arch]));
	json_object_set_new(r, "accepted", json_integer((json_int_t)srv_st.accepted));
	json_object_set_new(r, "rejected", json_integer((json_int_t)srv_st.rejected));
	json_object_set_new(r, "closed", json_integer((json_int_t)srv_st.closed));
	json_object_set_new(r, "leaked", json_integer((json_int_t)srv_st.leaked));
	json_object_set_new(r, "active_max", json_integer((json_int_t)srv_st.active_max));
	json_object_set_new(r, "bytes_in", json_integer((json_int_t)srv_st.bytes_in));
	json_object_set_new(r, "bytes_out", json_integer((json_int_t)srv_st.bytes_out));
	json_object_set_new(r, "bad_requests", json_integer((json_int_t)srv_st.bad));
	json_object_set_new(r, "errors", wk_errs_json(&srv_st.errs));
	cost_json(r);
	if (srv_o.mode == SRV_SINK) {
		json_object_set_new(r, "bytes", json_integer((json_int_t)srv_st.bytes_in));
		json_object_set_new(r, "seconds", json_real(secs));
		json_object_set_new(r, "goodput_bps",
				    json_real(secs > 0 ? (double)srv_st.bytes_in * 8 / secs : 0));
	} else if (srv_o.mode == SRV_RR) {
		json_object_set_new(r, "requests", json_integer((json_int_t)srv_st.requests));
	} else {
		srv_udp_result(r);
	}
	return r;
}

/* Combinations the options refuse, and what the architecture needs set up
 * before the listener: 0, or an exit status. */
static int setup(void)
{
	if (srv_o.reject && srv_o.leak) {
		wk_msg("--reject and --leak exclude each other");
		return WK_EXIT_USAGE;
	}
	if (srv_o.mode != SRV_RR && (srv_o.request || srv_o.work_us || srv_o.arch >= SRV_FORK)) {
		wk_msg("--request, --work and --arch %s apply to --mode rr only",
		       srv_o.arch >= SRV_FORK ? archs[srv_o.arch] : "fork|pool|epoll_pool");
		return WK_EXIT_USAGE;
	}
	if (srv_o.nofile) {
		struct rlimit rl;

		/* below the client count: EMFILE in accept() (wk_init raised the soft limit) */
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = srv_o.nofile < rl.rlim_max ? srv_o.nofile : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			wk_msg("setrlimit RLIMIT_NOFILE %llu: %s", (unsigned long long)srv_o.nofile,
			       strerror(errno));
			return WK_EXIT_ENV;
		}
	}
	if (srv_o.arch == SRV_FORK && srv_share_stats()) {
		wk_msg("mmap of the shared counters: %s", strerror(errno));
		return WK_EXIT_ENV;
	}
	srv_listen = listen_tcp;
	return 0;
}

int main(int argc, char **argv)
{
	int lfd = -1, ufd = -1, rc;

	wk_init(&prog, argc, argv);
	srv_o.sock.nodelay = opt_nodelay;
	srv_o.sock.cc = opt_cc;
	wk_signal_completes = !wk.duration_given;
	if ((rc = setup()))
		return rc;
	wk_zeros(SRV_CHUNK);
	lfd = listen_tcp();
	if (lfd >= 0 && srv_o.mode == SRV_UDP)
		ufd = srv_udp_socket();
	if (lfd >= 0 && (srv_o.mode != SRV_UDP || ufd >= 0)) {
		announce();
		lfd = srv_loop(lfd, ufd);
	}
	if (wk.duration_given && wk_now_us() >= wk_t0 + wk.duration_us)
		wk_request_stop(WK_STOP_DONE);
	if (lfd >= 0)
		close(lfd);
	if (ufd >= 0)
		close(ufd);
	return wk_finish(result(), true);
}
