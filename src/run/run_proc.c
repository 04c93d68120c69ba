/* Worker command lines from the validated model, and their launch inside a
 * node's namespace: fork, setns, execv (no shell). Option names are the
 * flow keys of docs/config.md; docs/workers.md documents each worker. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "net/plan.h"
#include "run.h"
#include "net/topo.h"
#include "util/util.h"

struct argv_buf {
	char **v;
	size_t n, cap;
};

static void add(struct argv_buf *a, const char *s)
{
	a->v = tb_grow(a->v, &a->cap, a->n + 1, sizeof(char *));
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void addf(struct argv_buf *a, const char *opt, const char *fmt, ...) TB_PRINTF(3, 4);

static void addf(struct argv_buf *a, const char *opt, const char *fmt, ...)
{
	va_list ap;
	char *s;

	add(a, opt);
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	a->v[a->n] = s;
	a->n++;
	a->v = tb_grow(a->v, &a->cap, a->n + 1, sizeof(char *));
	a->v[a->n] = NULL;
}

void run_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

const char *run_flow_addr(const struct tb_config *c, const struct topo *t, int flow)
{
	const struct tb_flow *f = &c->flows[flow];

	return topo_addr(t, f->to, f->family == TB_FAMILY_IPV6 ? 6 : 4);
}

static void socket_opts(struct argv_buf *a, const struct tb_flow *f)
{
	if (f->cc[0])
		addf(a, "--cc", "%s", f->cc);
	if (f->nodelay)
		add(a, "--nodelay");
	if (f->sndbuf)
		addf(a, "--sndbuf", "%u", f->sndbuf);
	if (f->rcvbuf)
		addf(a, "--rcvbuf", "%u", f->rcvbuf);
}

static const char *closer(enum tb_closer c)
{
	return c == TB_CLOSE_SERVER ? "server" : "client";
}

int run_argv(const struct tb_config *c, const struct topo *t, int flow, bool server,
	     const char *workers, const char *files, uint32_t run_us, char ***argv)
{
	const struct tb_flow *f = &c->flows[flow];
	struct argv_buf a = { 0 };
	uint32_t dur = f->duration_us ? f->duration_us : run_us - f->start_us;
	const char *addr = run_flow_addr(c, t, flow);
	char buf[4096];

	*argv = NULL;
	if (!addr)
		return -EADDRNOTAVAIL;
	if (server) {
		const char *mode = "rr";

		if (config_flow_server(c, flow) != flow)
			return -ENOENT; /* another flow's listener serves it */
		if (f->worker == TB_WORKER_BULK)
			mode = "sink";
		else if (f->worker == TB_WORKER_UDP)
			mode = "udp";
		snprintf(buf, sizeof(buf), "%s/tb-server", workers);
		add(&a, buf);
		addf(&a, "--mode", "%s", mode);
		addf(&a, "--host", "%s", f->family == TB_FAMILY_IPV6 ? "::" : "0.0.0.0");
		addf(&a, "--port", "%u", config_flow_port(c, flow));
		addf(&a, "--backlog", "%u", f->server.backlog);
		if (f->worker != TB_WORKER_BULK && f->worker != TB_WORKER_UDP) {
			static const char *const arch[] = { "epoll", "thread", "iterative" };

			addf(&a, "--arch", "%s", arch[f->server.arch]);
			addf(&a, "--close", "%s", closer(f->server.close));
			if (f->worker == TB_WORKER_RR)
				addf(&a, "--response", "%u", f->response);
		}
		if (f->server.accept_rate > 0)
			addf(&a, "--accept-rate", "%g", f->server.accept_rate);
		if (f->server.accept_delay_us)
			addf(&a, "--accept-delay", "%uus", f->server.accept_delay_us);
		if (f->server.read_rate)
			addf(&a, "--read-rate", "%llubit", (unsigned long long)f->server.read_rate);
		if (f->server.leak)
			add(&a, "--leak");
		if (f->server.reject)
			add(&a, "--reject");
		if (f->server.nodelay)
			add(&a, "--nodelay");
		if (f->worker != TB_WORKER_UDP && f->cc[0])
			addf(&a, "--cc", "%s", f->cc);
		/* the receive buffer that bounds the window is the receiver's:
		 * set on the listener, before the handshake fixes the scale */
		if (f->rcvbuf && f->worker != TB_WORKER_UDP)
			addf(&a, "--rcvbuf", "%u", f->rcvbuf);
		addf(&a, "--ready", "%s/%s.ready", files, f->name);
		addf(&a, "--result", "%s/%s.server.json", files, f->name);
		/* servers run until stopped; the deadline is a backstop */
		addf(&a, "--deadline", "%uus", run_us + 60000000u);
		*argv = a.v;
		return 0;
	}

	snprintf(buf, sizeof(buf), "%s/tb-%s", workers, config_worker_name(f->worker));
	add(&a, buf);
	addf(&a, "--host", "%s", addr);
	addf(&a, "--port", "%u", config_flow_port(c, flow));
	addf(&a, "--duration", "%uus", dur);
	addf(&a, "--deadline", "%uus", dur + 10000000u);
	addf(&a, "--result", "%s/%s.json", files, f->name);
	switch (f->worker) {
	case TB_WORKER_BULK:
		socket_opts(&a, f);
		if (f->bytes)
			addf(&a, "--bytes", "%llu", (unsigned long long)f->bytes);
		break;
	case TB_WORKER_RR:
		socket_opts(&a, f);
		addf(&a, "--request", "%u", f->request);
		addf(&a, "--response", "%u", f->response);
		addf(&a, "--concurrency", "%u", f->concurrency);
		addf(&a, "--rate", "%g", f->rate);
		addf(&a, "--conn", "%s", f->conn == TB_CONN_POOL ? "pool" : "per-request");
		if (f->conn == TB_CONN_POOL)
			addf(&a, "--pool", "%u", f->pool);
		if (f->conn == TB_CONN_POOL && config_flow_has(f, "streams"))
			addf(&a, "--streams", "%u", f->streams);
		addf(&a, "--write", "%s", f->write == TB_WRITE_SPLIT ? "split" : "single");
		addf(&a, "--close", "%s", closer(f->close));
		addf(&a, "--timeout", "%uus", f->timeout_us);
		break;
	case TB_WORKER_CHURN:
		socket_opts(&a, f);
		addf(&a, "--rate", "%g", f->rate);
		addf(&a, "--concurrency", "%u", f->concurrency);
		addf(&a, "--close", "%s", closer(f->close));
		addf(&a, "--timeout", "%uus", f->timeout_us);
		break;
	case TB_WORKER_SYNFLOOD:
		addf(&a, "--rate", "%g", f->rate);
		if (plan_spoof(c, flow, buf, sizeof(buf))) {
			run_argv_free(a.v);
			return -EINVAL;
		}
		addf(&a, "--spoof", "%s", buf);
		break;
	case TB_WORKER_UDP:
		addf(&a, "--rate", "%g", f->rate);
		addf(&a, "--size", "%u", f->size);
		addf(&a, "--transport", "%s", f->transport == TB_TRANSPORT_TCP ? "tcp" : "udp");
		if (f->transport == TB_TRANSPORT_TCP)
			socket_opts(&a, f);
		break;
	case TB_WORKER_IDLE:
		socket_opts(&a, f);
		addf(&a, "--count", "%u", f->count);
		addf(&a, "--rate", "%g", f->rate);
		addf(&a, "--concurrency", "%u", f->concurrency);
		addf(&a, "--timeout", "%uus", f->timeout_us);
		if (f->interval_us)
			addf(&a, "--interval-heartbeat", "%uus", f->interval_us);
		if (f->ka_idle_us)
			addf(&a, "--keepalive-idle", "%uus", f->ka_idle_us);
		if (f->ka_intvl_us)
			addf(&a, "--keepalive-interval", "%uus", f->ka_intvl_us);
		if (f->ka_cnt)
			addf(&a, "--keepalive-count", "%u", f->ka_cnt);
		break;
	}
	if (f->worker != TB_WORKER_SYNFLOOD) {
		addf(&a, "--series", "%s/%s.series.jsonl", files, f->name);
		addf(&a, "--interval", "%s", "1s");
	}
	*argv = a.v;
	return 0;
}

pid_t run_spawn(int nsfd, char **argv, const char *log)
{
	pid_t parent = getpid();
	pid_t pid;
	int fd;

	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	if (pid == 0) {
		sigset_t all;

		/* only async-signal-safe calls between fork and exec */
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (setns(nsfd, CLONE_NEWNET) < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd);
	return pid;
}
