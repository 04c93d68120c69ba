/* Worker command lines from the validated model, and their launch inside a
 * node's namespace: fork, node_enter, execv (no shell). The options that flow
 * keys become come from the key table (config_flow_options); this file adds
 * what is no key's value: addresses, ports, durations, files, the spoofed
 * prefix, the server's mode. docs/workers.md documents each worker. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "net/nodeenter.h"
#include "net/plan.h"
#include "run.h"
#include "net/topo.h"
#include "util/util.h"

struct argv_buf {
	char **v;
	size_t n, cap;
};

/* Append @s (allocated; the buffer owns it). */
static void add_own(struct argv_buf *a, char *s)
{
	a->v = tb_grow(a->v, &a->cap, a->n + 1, sizeof(char *));
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void addf(struct argv_buf *a, const char *opt, const char *fmt, ...) TB_PRINTF(3, 4);

/* Append option @opt and its value. */
static void addf(struct argv_buf *a, const char *opt, const char *fmt, ...)
{
	va_list ap;
	char *s;

	add_own(a, xstrdup(opt));
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	add_own(a, s);
}

/* config_flow_options' emitter: an option, and its value unless a flag. */
static void add_option(void *arg, const char *opt, const char *value)
{
	add_own(arg, xstrdup(opt));
	if (value)
		add_own(arg, xstrdup(value));
}

const char *run_flow_addr(const struct tb_config *c, const struct topo *t, int flow)
{
	const struct tb_flow *f = &c->flows[flow];

	return topo_addr(t, f->to, f->family == TB_FAMILY_IPV6 ? 6 : 4);
}

/* tb-web's files: the client's log of every request's times; with TLS or
 * QUIC the server's certificate and key (it makes them; the client trusts
 * that certificate), the client's key log for decrypting the capture, and
 * QUIC's qlogs. */
static void web_files(struct argv_buf *a, const struct tb_flow *f, bool server, const char *files)
{
	bool quic = f->http == TB_HTTP_3;

	if (!config_flow_web(f))
		return;
	if (!server)
		addf(a, "--requests", "%s/%s.requests.csv", files, f->name);
	if (f->tls == TB_TLS_NO && !quic)
		return;
	if (server) {
		addf(a, "--cert", "%s/%s.cert.pem", files, f->name);
		addf(a, "--key", "%s/%s.key.pem", files, f->name);
		return;
	}
	addf(a, "--ca", "%s/%s.cert.pem", files, f->name);
	addf(a, "--keylog", "%s/%s.keylog", files, f->name);
	if (quic)
		addf(a, "--qlog", "%s/%s.qlog", files, f->name);
}

static const char *server_mode(enum tb_worker w)
{
	return w == TB_WORKER_BULK ? "sink" : w == TB_WORKER_UDP ? "udp" : "rr";
}

/* tb-server for flow @flow: its mode, listening address, the options of
 * its keys, files, and a deadline as a backstop (it runs until stopped). */
static int server_argv(struct argv_buf *a, const struct tb_config *c, int flow,
		       const char *workers, const char *files, uint32_t run_us)
{
	const struct tb_flow *f = &c->flows[flow];

	if (config_flow_server(c, flow) != flow)
		return -ENOENT; /* another flow's listener serves it */
	if (config_flow_web(f)) {
		add_own(a, xasprintf("%s/tb-web", workers));
		add_own(a, xstrdup("--serve"));
	} else {
		add_own(a, xasprintf("%s/tb-server", workers));
		addf(a, "--mode", "%s", server_mode(f->worker));
	}
	addf(a, "--host", "%s", f->family == TB_FAMILY_IPV6 ? "::" : "0.0.0.0");
	addf(a, "--port", "%u", config_flow_port(c, flow));
	config_flow_options(f, true, add_option, a);
	web_files(a, f, true, files);
	addf(a, "--ready", "%s/%s.ready", files, f->name);
	addf(a, "--result", "%s/%s.server.json", files, f->name);
	addf(a, "--deadline", "%uus", run_us + 60000000u);
	return 0;
}

/* The client worker of flow @flow, connecting to @addr. */
static int client_argv(struct argv_buf *a, const struct tb_config *c, int flow, const char *addr,
		       const char *workers, const char *files, uint32_t run_us)
{
	const struct tb_flow *f = &c->flows[flow];
	uint32_t dur = f->duration_us ? f->duration_us : run_us - f->start_us;
	char spoof[64];

	add_own(a, xasprintf("%s/tb-%s", workers, config_flow_program(f)));
	addf(a, "--host", "%s", addr);
	addf(a, "--port", "%u", config_flow_port(c, flow));
	addf(a, "--duration", "%uus", dur);
	addf(a, "--deadline", "%uus", dur + 10000000u);
	addf(a, "--result", "%s/%s.json", files, f->name);
	config_flow_options(f, false, add_option, a);
	web_files(a, f, false, files);
	if (f->worker == TB_WORKER_SYNFLOOD) {
		if (plan_spoof(c, flow, spoof, sizeof(spoof)))
			return -EINVAL;
		addf(a, "--spoof", "%s", spoof);
		return 0;
	}
	addf(a, "--series", "%s/%s.series.jsonl", files, f->name);
	addf(a, "--interval", "%s", "1s");
	return 0;
}

int run_argv(const struct tb_config *c, int flow, bool server, const char *addr,
	     const char *workers, const char *files, uint32_t run_us, char ***argv)
{
	struct argv_buf a = { 0 };
	int rc;

	*argv = NULL;
	if (!addr)
		return -EADDRNOTAVAIL;
	if (server)
		rc = server_argv(&a, c, flow, workers, files, run_us);
	else
		rc = client_argv(&a, c, flow, addr, workers, files, run_us);
	if (rc) {
		tb_strv_free(a.v);
		return rc;
	}
	*argv = a.v;
	return 0;
}

pid_t run_spawn(int nsfd, const char *hosts, char **argv, const char *log)
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
		if (node_enter(nsfd, "sysfs", hosts) < 0)
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
