/* Observability: unit tests of the sampler and the counters on loopback (no
 * root needed), and, with arguments, a driver that the integration tests
 * (tests/integration/obs-*.t) and bench/obs/ run inside namespaces:
 *
 *   obs_driver.t serve ADDR PORT              accept and drain until killed
 *   obs_driver.t client ADDR PORT BYTES HOLD_MS [N [CC]]
 *                                             N connections (congestion control
 *                                             CC), send, hold, close
 *   obs_driver.t sample NS DIR INTERVAL_MS DURATION_MS MATCH...
 *                                             MATCH: all | lport=N | rport=N
 *                                             | udp-lport=N | udp-rport=N
 *   obs_driver.t states NS                    state counts, one dump
 *   obs_driver.t probe                        whether TcpCurrEstab counts
 *                                             CLOSE-WAIT here (1, 0, -errno)
 *   obs_driver.t counters NS -- CMD...        delta JSON around CMD
 *   obs_driver.t forkss NS INTERVAL_MS DURATION_MS [ARGS [+ ARGS]...]
 *                                             fork `ss -tin` (or ss ARGS; each
 *                                             "+" starts another ss run in the
 *                                             same tick) in NS every interval,
 *                                             as Flent does; read and discard
 *                                             the output
 *   obs_driver.t procnet NS                   TcpActiveOpens as a second thread
 *                                             inside NS sees it through
 *                                             /proc/net, self and thread-self
 *   obs_driver.t capture NS IFACE DIR NODE SNAPLEN MAX_BYTES FILTER|- -- CMD...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "obs/capture.h"
#include "obs/counters.h"
#include "net/netns.h"
#include "obs/sampler.h"
#include "obs/sampler_csv.h"
#include "obs/sampler_filter.h"
#include "tap.h"
#include "util/util.h"

static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static int sockaddr_of(const char *addr, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (void *)ss;
	struct sockaddr_in6 *a6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return AF_INET6;
	}
	return -1;
}

static int listen_on(const char *addr, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = sockaddr_of(addr, port, &ss, &len), one = 1, fd;

	if (fam < 0)
		return -1;
	fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (void *)&ss, len) < 0 || listen(fd, 4096) < 0)
		return -1;
	return fd;
}

static int do_serve(const char *addr, unsigned port)
{
	struct pollfd *p = xcalloc(65536, sizeof(*p));
	size_t n = 1;
	static char buf[65536];

	raise_nofile();
	p[0].fd = listen_on(addr, port);
	if (p[0].fd < 0) {
		perror("serve: listen");
		return 1;
	}
	p[0].events = POLLIN;
	for (;;) {
		if (poll(p, n, -1) < 0)
			continue;
		for (size_t i = n; i-- > 1;) {
			if (!p[i].revents)
				continue;
			if (read(p[i].fd, buf, sizeof(buf)) <= 0) {
				close(p[i].fd);
				p[i] = p[--n];
			}
		}
		if (p[0].revents & POLLIN) {
			int fd = accept4(p[0].fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0 && n < 65536) {
				p[n].fd = fd;
				p[n].events = POLLIN;
				p[n++].revents = 0;
			}
		}
	}
}

static int do_client(const char *addr, unsigned port, size_t bytes, unsigned hold_ms, unsigned n,
		     const char *cc)
{
	static char buf[65536];
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = sockaddr_of(addr, port, &ss, &len), *fds;
	struct timespec ts = { hold_ms / 1000, (long)(hold_ms % 1000) * 1000000 };

	raise_nofile();
	if (fam < 0)
		return 2;
	fds = xcalloc(n, sizeof(*fds));
	for (unsigned i = 0; i < n; i++) {
		size_t left = bytes;

		fds[i] = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (cc && setsockopt(fds[i], IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc)) < 0) {
			fprintf(stderr, "client: TCP_CONGESTION %s: %s\n", cc, strerror(errno));
			return 1;
		}
		if (fds[i] < 0 || connect(fds[i], (void *)&ss, len) < 0) {
			fprintf(stderr, "client: connect %u: %s\n", i, strerror(errno));
			return 1;
		}
		while (left) {
			ssize_t w = write(fds[i], buf, left < sizeof(buf) ? left : sizeof(buf));

			if (w <= 0)
				return 1;
			left -= (size_t)w;
		}
	}
	printf("connected %u\n", n);
	fflush(stdout);
	nanosleep(&ts, NULL);
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

static double tv_s(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static int open_ns(const char *name)
{
	int fd = netns_open(name);

	if (fd < 0)
		fprintf(stderr, "netns %s: %s\n", name, strerror(-fd));
	return fd;
}

/* MATCH udp-lport=N or udp-rport=N: a UDP match, labelled with itself. */
static void udp_match(struct sampler_opts *o, struct sampler_match *um, const char *arg)
{
	struct sampler_match *x = &um[o->n_udp_match];

	if (o->n_udp_match >= 16)
		return;
	if (!strncmp(arg, "udp-lport=", 10))
		x->lport = (uint16_t)atoi(arg + 10);
	else if (!strncmp(arg, "udp-rport=", 10))
		x->rport = (uint16_t)atoi(arg + 10);
	else
		return;
	snprintf(x->label, sizeof(x->label), "%s", arg);
	o->n_udp_match++;
}

static int do_sample(char **argv, int argc)
{
	struct sampler_opts o = { 0 };
	struct sampler_match m[16] = { { { 0 } } }, um[16] = { { { 0 } } };
	struct sampler_stats st;
	struct sampler *s;
	struct timespec d;
	struct rusage ru;
	unsigned dur_ms;
	int rc;

	o.nsfd = open_ns(argv[0]);
	if (o.nsfd < 0)
		return 1;
	o.node = argv[0];
	o.dir = argv[1];
	o.interval_us = (uint32_t)atoi(argv[2]) * 1000;
	dur_ms = (unsigned)atoi(argv[3]);
	for (int i = 4; i < argc && o.n_match < 16; i++) {
		if (!strncmp(argv[i], "udp-", 4)) {
			udp_match(&o, um, argv[i]);
			continue;
		}
		if (!strcmp(argv[i], "all"))
			o.match_all = true;
		else if (!strncmp(argv[i], "lport=", 6))
			m[o.n_match++].lport = (uint16_t)atoi(argv[i] + 6);
		else if (!strncmp(argv[i], "rport=", 6))
			m[o.n_match++].rport = (uint16_t)atoi(argv[i] + 6);
		snprintf(m[o.n_match ? o.n_match - 1 : 0].label, 32, "%s", argv[i]);
	}
	o.match = m;
	o.udp_match = um;
	clock_gettime(CLOCK_MONOTONIC, &o.t0);
	rc = sampler_start(&o, &s);
	if (rc) {
		fprintf(stderr, "sampler_start: %s\n", strerror(-rc));
		return 1;
	}
	d.tv_sec = dur_ms / 1000;
	d.tv_nsec = (long)(dur_ms % 1000) * 1000000;
	while (nanosleep(&d, &d) < 0 && errno == EINTR)
		;
	rc = sampler_stop(s, &st);
	getrusage(RUSAGE_SELF, &ru);
	printf("samples=%llu missed=%llu rows=%llu errors=%llu max_sample_us=%llu cpu_s=%.6f "
	       "proc_cpu_s=%.6f counted_fast=%llu\n",
	       (unsigned long long)st.samples, (unsigned long long)st.missed,
	       (unsigned long long)st.rows, (unsigned long long)st.errors,
	       (unsigned long long)st.max_sample_ns / 1000, st.cpu_s,
	       tv_s(ru.ru_utime) + tv_s(ru.ru_stime), (unsigned long long)st.counted_fast);
	if (st.udp)
		printf("udp_rows=%llu udp_unavailable=%d\n", (unsigned long long)st.udp_rows,
		       st.udp_unavailable);
	printf("user_s=%.3f sys_s=%.3f\n", tv_s(ru.ru_utime), tv_s(ru.ru_stime));
	return rc ? 1 : 0;
}

static int do_states(const char *ns)
{
	struct sampler_counts c;
	int fd = open_ns(ns), rc;

	if (fd < 0)
		return 1;
	rc = sampler_count_states(fd, &c);
	if (rc) {
		fprintf(stderr, "count: %s\n", strerror(-rc));
		return 1;
	}
	for (unsigned i = 1; i <= 11; i++)
		printf("%s=%u\n", sampler_state_name(i), c.state[i]);
	printf("total=%u\n", c.total);
	return 0;
}

static int run_cmd(char **argv)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int do_counters(const char *ns, char **cmd)
{
	struct counters *a = NULL, *b = NULL;
	json_t *j;
	int fd = open_ns(ns), rc;

	if (fd < 0)
		return 1;
	rc = counters_read(fd, &a);
	if (!rc) {
		run_cmd(cmd);
		rc = counters_read(fd, &b);
	}
	if (rc) {
		fprintf(stderr, "counters_read: %s\n", strerror(-rc));
		return 1;
	}
	j = counters_delta_json(a, b);
	json_dumpf(j, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	printf("\n");
	json_decref(j);
	counters_free(a);
	counters_free(b);
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The Flent way: one fork + exec of ss per sample, output through a pipe. */
/* Fork one `ss` with @ssargv inside namespace @fd; read and discard its
 * output. Returns the bytes read. */
static unsigned long long fork_one_ss(int fd, char **ssargv)
{
	static char buf[65536];
	unsigned long long bytes = 0;
	int p[2], st;
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		if (setns(fd, CLONE_NEWNET) < 0)
			_exit(126);
		execvp("ss", ssargv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		bytes += (unsigned long long)n;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	return bytes;
}

#define FORKSS_MAX 4

/* ARGS after NS INTERVAL_MS DURATION_MS: the ss arguments of one command;
 * several commands run one after the other at each tick when separated by
 * "+" (the way to get with `ss` what one sample of the sampler holds: the
 * state of every socket and a flow's tcp_info). None: `ss -tin`. */
static int do_forkss(char **argv, int argc)
{
	int fd = open_ns(argv[0]);
	int64_t iv = (int64_t)atoi(argv[1]) * 1000000, end, next;
	static char *cmds[FORKSS_MAX][16];
	int ncmd = 1, k = 1;
	unsigned long long runs = 0, missed = 0, bytes = 0;
	struct rusage self, kids;

	if (fd < 0)
		return 1;
	cmds[0][0] = "ss";
	if (argc <= 3)
		cmds[0][k++] = "-tin";
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "+")) {
			if (ncmd == FORKSS_MAX)
				return 2;
			cmds[ncmd - 1][k] = NULL;
			cmds[ncmd++][0] = "ss";
			k = 1;
		} else if (k < 15) {
			cmds[ncmd - 1][k++] = argv[i];
		}
	}
	cmds[ncmd - 1][k] = NULL;
	next = now_ns();
	end = next + (int64_t)atoi(argv[2]) * 1000000;
	while (next < end) {
		for (int c = 0; c < ncmd; c++)
			bytes += fork_one_ss(fd, cmds[c]);
		runs++;
		next += iv;
		if (now_ns() >= next) {
			int64_t m = (now_ns() - next) / iv + 1;

			missed += (unsigned long long)m;
			next += m * iv;
		}
		struct timespec ts = { .tv_sec = next / 1000000000, .tv_nsec = next % 1000000000 };
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	printf("runs=%llu missed=%llu out_bytes=%llu cpu_self_s=%.3f cpu_children_s=%.3f cpu_s=%.3f\n",
	       runs, missed, bytes, tv_s(self.ru_utime) + tv_s(self.ru_stime),
	       tv_s(kids.ru_utime) + tv_s(kids.ru_stime),
	       tv_s(self.ru_utime) + tv_s(self.ru_stime) + tv_s(kids.ru_utime) + tv_s(kids.ru_stime));
	return 0;
}

static int read_opens(void *p)
{
	static const char *const paths[] = { "/proc/net/snmp", "/proc/self/net/snmp",
					     "/proc/thread-self/net/snmp" };
	uint64_t *v = p;

	for (int i = 0; i < 3; i++) {
		char buf[8192];
		struct counters c = { 0 };
		int fd = open(paths[i], O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = '\0';
		counters_parse(&c, buf);
		counters_get(&c, "TcpActiveOpens", &v[i]);
		free(c.c);
	}
	return 0;
}

struct procnet_arg {
	int fd;
	uint64_t v[3];
};

static void *procnet_thread(void *p)
{
	struct procnet_arg *a = p;

	netns_run_in(a->fd, read_opens, a->v);
	return NULL;
}

static int do_procnet(const char *ns)
{
	struct procnet_arg a = { .fd = open_ns(ns) };
	pthread_t t;

	if (a.fd < 0 || pthread_create(&t, NULL, procnet_thread, &a))
		return 1;
	pthread_join(t, NULL);
	printf("proc_net=%llu self=%llu thread_self=%llu\n", (unsigned long long)a.v[0],
	       (unsigned long long)a.v[1], (unsigned long long)a.v[2]);
	return 0;
}

static int do_capture(char **argv, char **cmd)
{
	struct capture_opts o = { 0 };
	struct capture_stats st;
	struct capture *c;
	int fd = open_ns(argv[0]), rc;

	if (fd < 0)
		return 1;
	o.dir = argv[2];
	o.node = argv[3];
	o.snaplen = (unsigned)atoi(argv[4]);
	o.max_bytes = strtoull(argv[5], NULL, 10);
	o.filter = strcmp(argv[6], "-") ? argv[6] : NULL;
	rc = capture_start(fd, argv[1], &o, &c);
	if (rc)
		return 1;
	printf("path=%s\n", capture_path(c));
	fflush(stdout);
	run_cmd(cmd);
	rc = capture_stop(c, &st);
	printf("packets=%llu bytes=%llu recv=%llu drop=%llu ifdrop=%llu capped=%d\n",
	       (unsigned long long)st.packets, (unsigned long long)st.bytes,
	       (unsigned long long)st.recv, (unsigned long long)st.drop,
	       (unsigned long long)st.ifdrop, st.capped);
	return rc ? 1 : 0;
}

/* --- unit tests on loopback ---------------------------------------------- */

static void test_parse(void)
{
	static const char netstat[] = "TcpExt: SyncookiesSent ListenOverflows\n"
				      "TcpExt: 3 7\n"
				      "IpExt: InNoRoutes\nIpExt: 1\n";
	static const char snmp[] = "Tcp: RtoAlgorithm MaxConn CurrEstab\nTcp: 1 -1 4\n";
	static const char snmp6[] = "Ip6InReceives                   \t12\nUdp6InErrors 0\n";
	struct counters a = { 0 }, b = { 0 };
	uint64_t v = 0;
	json_t *j;

	tap_ok(counters_parse(&a, netstat) == 0 && counters_parse(&a, snmp) == 0 &&
		       counters_parse(&a, snmp6) == 0,
	       "counters_parse reads netstat, snmp and snmp6 layouts");
	tap_ok(counters_get(&a, "TcpExtListenOverflows", &v) == 0 && v == 7,
	       "netstat pairs get nstat's names (TcpExtListenOverflows = 7)");
	tap_ok(counters_get(&a, "Ip6InReceives", &v) == 0 && v == 12, "snmp6 lines keep their names");
	tap_ok(counters_get(&a, "TcpMaxConn", &v) == 0 && (int64_t)v == -1, "TcpMaxConn -1 survives");
	tap_is_int(counters_parse(&b, "TcpExt: A B\nTcpExt: 1\n"), -EINVAL, "a short value line is refused");
	tap_is_int(counters_parse(&b, "TcpExt: A B\n"), -EINVAL, "a name line without values is refused");
	counters_parse(&b, "TcpExt: SyncookiesSent ListenOverflows\nTcpExt: 10 7\n");
	counters_parse(&b, "Tcp: CurrEstab\nTcp: 1\n");
	j = counters_delta_json(&a, &b);
	tap_ok(json_integer_value(json_object_get(j, "TcpExtSyncookiesSent")) == 7 &&
		       json_integer_value(json_object_get(j, "TcpExtListenOverflows")) == 0 &&
		       json_integer_value(json_object_get(j, "TcpCurrEstab")) == -3,
	       "delta JSON: counter +7, zero kept, gauge goes negative");
	json_decref(j);
	free(a.c);
	free(b.c);
}

static int lo_pair(int *lfd, int *cfd, int *sfd, unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	*lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(*lfd, (void *)&a, sizeof(a)) < 0 || listen(*lfd, 8) < 0 ||
	    getsockname(*lfd, (void *)&a, &len) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(*cfd, (void *)&a, sizeof(a)) < 0)
		return -1;
	*sfd = accept(*lfd, NULL, NULL);
	return *sfd < 0 ? -1 : 0;
}

/* Column @name of a CSV header: index or -1. */
static int col_of(const char *hdr, const char *name)
{
	char *dup = xstrdup(hdr), *save = NULL, *t;
	int i = 0, r = -1;

	for (t = strtok_r(dup, ",\n", &save); t; t = strtok_r(NULL, ",\n", &save), i++)
		if (!strcmp(t, name)) {
			r = i;
			break;
		}
	free(dup);
	return r;
}

static const char *field(char *line, int idx)
{
	static char out[128];
	char *s = line;

	for (int i = 0; i < idx && s; i++) {
		s = strchr(s, ',');
		if (s)
			s++;
	}
	if (!s)
		return "";
	snprintf(out, sizeof(out), "%.*s", (int)strcspn(s, ",\n"), s);
	return out;
}

static void test_sampler(void)
{
	char dir[] = "/tmp/obs_driver.XXXXXX", path[256], hdr[4096], line[4096];
	struct sampler_opts o = { .nsfd = -1, .node = "lo", .interval_us = 10000 };
	struct sampler_match m = { .label = "flow1" };
	struct sampler_counts cnt;
	struct sampler_stats st;
	struct counters *before = NULL, *after = NULL;
	struct sampler *s = NULL;
	struct timespec d = { 0, 150 * 1000000 };
	int lfd, cfd, sfd, rows = 0, estab = 0, cwnd_ok = 0, rc;
	unsigned port;
	FILE *f;

	tap_ok(counters_read(-1, &before) == 0, "counters_read in the current namespace");
	if (!mkdtemp(dir) || lo_pair(&lfd, &cfd, &sfd, &port) < 0)
		tap_bail("loopback setup: %s", strerror(errno));
	tap_ok(write(cfd, "hello", 5) == 5, "write on loopback");
	tap_ok(counters_read(-1, &after) == 0, "counters_read again");
	if (before && after) {
		uint64_t x = 0, y = 0;

		counters_get(before, "TcpActiveOpens", &x);
		counters_get(after, "TcpActiveOpens", &y);
		tap_ok(y - x >= 1, "TcpActiveOpens grew by %llu after one connect",
		       (unsigned long long)(y - x));
	}
	counters_free(before);
	counters_free(after);

	memset(&cnt, 0, sizeof(cnt));
	rc = sampler_count_states(-1, &cnt);
	tap_ok(rc == 0 && cnt.state[1] >= 2 && cnt.state[10] >= 1,
	       "state counts: ESTAB %u >= 2, LISTEN %u >= 1", cnt.state[1], cnt.state[10]);
	o.dir = dir;
	o.interval_us = 5000;
	tap_is_int(sampler_start(&o, &s), -EINVAL, "an interval under 10 ms is refused");
	o.interval_us = 10000;
	m.rport = (uint16_t)port;
	o.match = &m;
	o.n_match = 1;
	clock_gettime(CLOCK_MONOTONIC, &o.t0);
	if (!tap_ok(sampler_start(&o, &s) == 0, "sampler_start on loopback every 10 ms"))
		return;
	nanosleep(&d, NULL);
	tap_ok(sampler_stop(s, &st) == 0, "sampler_stop");
	tap_diag("samples %llu missed %llu rows %llu max %llu us cpu %.4f s",
		 (unsigned long long)st.samples, (unsigned long long)st.missed,
		 (unsigned long long)st.rows, (unsigned long long)st.max_sample_ns / 1000, st.cpu_s);
	tap_ok(st.samples >= 10 && st.samples + st.missed <= 18,
	       "about one sample per 10 ms over 150 ms (%llu + %llu missed)",
	       (unsigned long long)st.samples, (unsigned long long)st.missed);
	tap_ok(st.rows == st.samples, "one row per sample for the one matched socket");
	snprintf(path, sizeof(path), "%s/lo-tcp.csv", dir);
	f = fopen(path, "r");
	if (!tap_ok(f && fgets(hdr, sizeof(hdr), f), "lo-tcp.csv has a header"))
		return;
	while (fgets(line, sizeof(line), f)) {
		rows++;
		estab += !strcmp(field(line, col_of(hdr, "state")), "ESTAB") &&
			 !strcmp(field(line, col_of(hdr, "flow")), "flow1") &&
			 atoi(field(line, col_of(hdr, "dport"))) == (int)port;
		cwnd_ok += atoi(field(line, col_of(hdr, "snd_cwnd"))) >= 10 &&
			   atoi(field(line, col_of(hdr, "snd_mss"))) > 0 &&
			   field(line, col_of(hdr, "cc"))[0] != '\0';
	}
	fclose(f);
	tap_ok(rows > 0 && estab == rows, "every row is the client socket, ESTAB (%d of %d)", estab, rows);
	tap_ok(cwnd_ok == rows, "cwnd, mss and cc are filled (%d of %d)", cwnd_ok, rows);
	snprintf(path, sizeof(path), "%s/lo-states.csv", dir);
	f = fopen(path, "r");
	tap_ok(f && fgets(hdr, sizeof(hdr), f) && !strncmp(hdr, "t_s,ESTAB,", 10) &&
		       fgets(line, sizeof(line), f) && atoi(field(line, 1)) >= 2,
	       "lo-states.csv: header and ESTAB >= 2");
	if (f) {
		int listen_rows = 1, all_rows = 1; /* the line read above */

		listen_rows = atoi(field(line, col_of(hdr, "LISTEN"))) >= 1;
		while (fgets(line, sizeof(line), f)) {
			all_rows++;
			listen_rows += atoi(field(line, col_of(hdr, "LISTEN"))) >= 1;
		}
		tap_ok(listen_rows == all_rows, "LISTEN (counted once a second) is carried in every row (%d of %d)",
		       listen_rows, all_rows);
		fclose(f);
	}
	close(cfd);
	close(sfd);
	close(lfd);
	if (getenv("OBS_KEEP"))
		return;
	unlink(path);
	snprintf(path, sizeof(path), "%s/lo-tcp.csv", dir);
	unlink(path);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 4 && !strcmp(argv[1], "serve"))
		return do_serve(argv[2], (unsigned)atoi(argv[3]));
	if (argc >= 6 && !strcmp(argv[1], "client"))
		return do_client(argv[2], (unsigned)atoi(argv[3]), strtoull(argv[4], NULL, 10),
				 (unsigned)atoi(argv[5]), argc > 6 ? (unsigned)atoi(argv[6]) : 1,
				 argc > 7 ? argv[7] : NULL);
	if (argc >= 6 && !strcmp(argv[1], "sample"))
		return do_sample(argv + 2, argc - 2);
	if (argc == 3 && !strcmp(argv[1], "states"))
		return do_states(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "probe")) {
		printf("currestab_counts_close_wait=%d\n", sampler_currestab_counts_close_wait());
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "counters") && !strcmp(argv[3], "--"))
		return do_counters(argv[2], argv + 4);
	if (argc >= 5 && !strcmp(argv[1], "forkss"))
		return do_forkss(argv + 2, argc - 2);
	if (argc == 3 && !strcmp(argv[1], "procnet"))
		return do_procnet(argv[2]);
	if (argc >= 11 && !strcmp(argv[1], "capture") && !strcmp(argv[9], "--"))
		return do_capture(argv + 2, argv + 10);
	if (argc > 1) {
		fprintf(stderr, "obs_driver: unknown mode (see the comment at the top)\n");
		return 2;
	}
	test_parse();
	test_sampler();
	return tap_done();
}
