/* The user's processes of one run ([process NAME], docs/processes.md): each
 * is started inside its node at its time once the processes it waits for
 * are ready, watched until it is ready, reaped with its peak memory, and
 * stopped at the end of the run (a service: SIGTERM, then SIGKILL 2 s
 * later; a process that should have exited: the same, marked timed out).
 * Its output, status and times go to processes/NAME/ of the run. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/netns.h"
#include "net/nodeenter.h"
#include "net/topo.h"
#include "process.h"
#include "util/jsonfile.h"
#include "util/util.h"
#include "vm/vm_fpu.h"
#include "vm/vm_tier.h"

#define STOP_GRACE_S 2.0
#define READY_POLL_S 0.02

enum pstate { P_WAITING, P_RUNNING, P_ENDED };

struct proc {
	const struct tb_process *cfg;
	enum pstate state;
	pid_t pid;
	bool ready, timed_out, stopped, killed, exec_failed;
	int status;             /* wait status */
	long hwm_kb;            /* peak resident memory of the program, sampled */
	double started, ready_at, ended; /* seconds since t0; -1: not yet */
	char dir[1024];
	char path[4096];        /* the command's file */
	char **argv, **envp;
	char error[512];
};

struct procs {
	const struct tb_config *c;
	struct topo *t;
	struct timespec t0;
	struct proc *p;
	size_t n;
	char dir[4096];         /* the run's directory, absolute */
	char tls_cert[4200], tls_key[4200]; /* empty: none */
};

/* --- the command line and environment ------------------------------------ */

static const char *addr_of(void *arg, int node, int family)
{
	return topo_addr(arg, node, family);
}

/* The clean environment every process starts from (docs/processes.md). */
static const char *const base_env[] = { "PATH=" TB_PROCESS_PATH, "HOME=/root", "USER=root",
					"LOGNAME=root", "LANG=C.UTF-8", "TERM=dumb", NULL };

static void push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(char *));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

/* Whether @p sets env.@name itself. */
static bool has_env(const struct tb_process *p, const char *name)
{
	for (size_t i = 0; i < p->n_env; i++)
		if (!strcmp(p->env[i].name, name))
			return true;
	return false;
}

/* argv, envp and the command's path of @p; -errno with p->error set. */
static int prepare(struct procs *ps, struct proc *p)
{
	const struct tb_process *pc = p->cfg;
	struct tb_subst sb = { .addr = addr_of,
				.arg = ps->t,
				.out = p->dir,
				.tls_cert = *ps->tls_cert ? ps->tls_cert : NULL,
				.tls_key = *ps->tls_key ? ps->tls_key : NULL };
	size_t off, n = 0, ne = 0;
	char **words = NULL, *s;
	int rc = config_split_words(pc->cmd, &words, &off);

	for (size_t i = 0; !rc && words[i]; i++) {
		rc = config_expand(ps->c, words[i], &sb, &s, &off);
		if (!rc)
			push(&p->argv, &n, s);
	}
	tb_strv_free(words);
	for (const char *const *e = base_env; !rc && *e; e++)
		push(&p->envp, &ne, xstrdup(*e));
	if (!rc && vm_in_guest() && getenv("GLIBC_TUNABLES")) { /* vm/vm_fpu.c: AVX-512 hosts */
		push(&p->envp, &ne, xasprintf("GLIBC_TUNABLES=%s", getenv("GLIBC_TUNABLES")));
		if (!has_env(pc, "OPENSSL_ia32cap"))
			push(&p->envp, &ne, xstrdup(vm_fpu_openssl_env));
		if (!has_env(pc, "GNUTLS_CPUID_OVERRIDE"))
			push(&p->envp, &ne, xstrdup(vm_fpu_gnutls_env));
	}
	if (!rc) {
		push(&p->envp, &ne, xasprintf("TB_NODE=%s", ps->c->nodes[pc->node].name));
		push(&p->envp, &ne, xasprintf("TB_RUN=%s", topo_run_id(ps->t)));
		push(&p->envp, &ne, xasprintf("TB_OUT=%s", p->dir));
	}
	for (size_t i = 0; !rc && i < pc->n_env; i++) {
		rc = config_expand(ps->c, pc->env[i].value, &sb, &s, &off);
		if (!rc)
			push(&p->envp, &ne, xasprintf("%s=%s", pc->env[i].name, s));
		free(rc ? NULL : s);
	}
	if (rc) {
		snprintf(p->error, sizeof(p->error), "a { } substitution has no value (%s)",
			 strerror(-rc));
		return rc;
	}
	rc = p->argv ? config_which(p->argv[0], p->path, sizeof(p->path)) : -ENOENT;
	if (rc)
		snprintf(p->error, sizeof(p->error), "cannot run \"%s\": %s",
			 p->argv ? p->argv[0] : "", strerror(-rc));
	return rc;
}

/* --- starting --------------------------------------------------------------- */



/* The child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn)) child(const struct proc *p, int nsfd, const char *node,
					    const char *hosts, int out, int err, int report)
{
	sigset_t none;
	int null = open("/dev/null", O_RDONLY);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++) /* a program starts with every default action */
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (node_enter(nsfd, node, hosts) < 0 || null < 0 || dup2(null, 0) < 0 ||
	    dup2(out, 1) < 0 || dup2(err, 2) < 0 || chdir(p->dir) < 0) {
		int e = errno;

		if (write(report, &e, sizeof(e)) < 0) {
			/* the parent sees the pipe close */
		}
		_exit(126);
	}
	execve(p->path, p->argv, p->envp);
	{
		int e = errno;

		if (write(report, &e, sizeof(e)) < 0) {
			/* as above */
		}
	}
	_exit(127);
}

static int open_out(const struct proc *p, const char *name)
{
	char path[1100];

	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/* Fork and exec @p in its node; an exec that fails is reported through a
 * close-on-exec pipe. 0 or -errno (p->error set). */
static int spawn(struct procs *ps, struct proc *p)
{
	int node = p->cfg->node, out = open_out(p, "stdout"), err = open_out(p, "stderr");
	int pfd[2] = { -1, -1 }, e = 0, rc = 0;

	if (out < 0 || err < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
		rc = -errno;
	} else {
		fflush(NULL);
		p->pid = fork();
		if (p->pid == 0)
			child(p, topo_node_nsfd(ps->t, node), ps->c->nodes[node].name,
			      topo_hosts_path(ps->t, node), out, err, pfd[1]);
		if (p->pid < 0)
			rc = -errno;
		close(pfd[1]);
		if (p->pid > 0 && read(pfd[0], &e, sizeof(e)) == (ssize_t)sizeof(e))
			rc = -e;
	}
	if (rc)
		snprintf(p->error, sizeof(p->error), "cannot start %s: %s", p->path, strerror(-rc));
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	if (pfd[0] >= 0)
		close(pfd[0]);
	return rc;
}

/* Start @p now: prepared, spawned; a failure ends it at once. Its times
 * are the clock's when it happens, not the loop's tick (processes started
 * together start one after another). */
static void start_one(struct procs *ps, struct proc *p)
{
	p->state = P_RUNNING;
	if (prepare(ps, p) == 0) {
		p->started = tb_since_s(&ps->t0);
		if (spawn(ps, p) == 0) {
			p->ready = p->cfg->ready_kind == TB_READY_NOW;
			if (p->ready)
				p->ready_at = p->started;
			return;
		}
	}
	if (p->started < 0)
		p->started = tb_since_s(&ps->t0);
	p->exec_failed = true;
	if (p->pid > 0) /* exec failed after the fork: collect the child */
		waitpid(p->pid, &p->status, 0);
	else
		p->status = 127 << 8;
	p->pid = 0;
	p->state = P_ENDED;
	p->ended = tb_since_s(&ps->t0);
}

/* Whether every process @p waits for is ready. */
static bool deps_ready(const struct procs *ps, const struct proc *p)
{
	for (size_t i = 0; i < p->cfg->n_after; i++)
		if (!ps->p[p->cfg->after_idx[i]].ready)
			return false;
	return true;
}

/* --- readiness ---------------------------------------------------------------- */

struct listen_q {
	unsigned port;
	bool found;
};

/* In the node's namespace: a TCP socket listening on the port (tcp, tcp6). */
static int find_listener(void *arg)
{
	struct listen_q *q = arg;
	static const char *const files[] = { "/proc/thread-self/net/tcp",
					     "/proc/thread-self/net/tcp6" };

	for (size_t i = 0; i < 2 && !q->found; i++) {
		FILE *f = fopen(files[i], "r");
		char line[512];

		while (f && fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':'), *port;
			unsigned st = 0;

			colon = colon ? strchr(colon + 1, ':') : NULL; /* local address:port */
			port = colon ? colon + 1 : NULL;
			if (port && sscanf(port, "%*x %*s %x", &st) == 1 && st == 0x0A &&
			    strtoul(port, NULL, 16) == q->port)
				q->found = true;
		}
		if (f)
			fclose(f);
	}
	return 0;
}

static bool is_ready(struct procs *ps, struct proc *p, double t)
{
	const struct tb_process *pc = p->cfg;
	struct listen_q q = { .port = pc->ready_port };
	char path[2048];

	switch (pc->ready_kind) {
	case TB_READY_NOW:
		return true;
	case TB_READY_TIME:
		return t - p->started >= pc->ready_us / 1e6;
	case TB_READY_PORT:
		netns_run_in(topo_node_nsfd(ps->t, pc->node), find_listener, &q);
		return q.found;
	case TB_READY_FILE:
		if (pc->ready_file[0] == '/')
			snprintf(path, sizeof(path), "%s", pc->ready_file);
		else
			snprintf(path, sizeof(path), "%s/%s", p->dir, pc->ready_file);
		return access(path, F_OK) == 0;
	}
	return false;
}

/* --- the run loop's side -------------------------------------------------------- */

/* The program's peak resident memory so far (VmHWM: its own, since exec;
 * wait4's ru_maxrss would count testbed's before the exec). */
static void sample_hwm(struct proc *p)
{
	char path[64], line[256];
	FILE *f;
	long kb;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1 && kb > p->hwm_kb)
			p->hwm_kb = kb;
	if (f)
		fclose(f);
}

static void reap(const struct procs *ps, struct proc *p)
{
	int st;

	if (p->state != P_RUNNING || p->pid <= 0 || waitpid(p->pid, &st, WNOHANG) != p->pid)
		return;
	p->status = st;
	p->state = P_ENDED;
	p->ended = tb_since_s(&ps->t0);
	kill(-p->pid, SIGKILL); /* what it left in its process group */
}

struct procs *procs_new(const struct tb_config *c, struct topo *t, const char *dir,
			const char *tls_dir, const struct timespec *t0)
{
	struct procs *ps = xcalloc(1, sizeof(*ps));
	char abs[4096];

	if (tls_dir && realpath(tls_dir, abs)) {
		snprintf(ps->tls_cert, sizeof(ps->tls_cert), "%s/cert.pem", abs);
		snprintf(ps->tls_key, sizeof(ps->tls_key), "%s/key.pem", abs);
	}

	ps->c = c;
	ps->t = t;
	ps->t0 = *t0;
	ps->n = c->n_processes;
	ps->p = xcalloc(ps->n + 1, sizeof(*ps->p));
	if (!realpath(dir, ps->dir)) /* {out} and the working directory: absolute */
		snprintf(ps->dir, sizeof(ps->dir), "%s", dir);
	for (size_t i = 0; i < ps->n; i++) {
		struct proc *p = &ps->p[i];

		p->cfg = &c->processes[i];
		p->started = p->ready_at = p->ended = -1;
		snprintf(p->dir, sizeof(p->dir), "%s/processes", ps->dir);
		mkdir(p->dir, 0755);
		snprintf(p->dir, sizeof(p->dir), "%s/processes/%s", ps->dir, p->cfg->name);
		if (mkdir(p->dir, 0755) < 0 && errno != EEXIST)
			snprintf(p->error, sizeof(p->error), "cannot create %s: %s", p->dir,
				 strerror(errno));
	}
	return ps;
}

void procs_tick(struct procs *ps, double t)
{
	for (size_t i = 0; i < ps->n; i++) {
		struct proc *p = &ps->p[i];

		if (p->state == P_RUNNING)
			sample_hwm(p);
		reap(ps, p);
		if (p->state == P_WAITING && t >= p->cfg->start_us / 1e6 && deps_ready(ps, p))
			start_one(ps, p);
		if (p->state == P_RUNNING && !p->ready && is_ready(ps, p, t)) {
			p->ready = true;
			p->ready_at = tb_since_s(&ps->t0);
		}
	}
}

double procs_next(const struct procs *ps, double t)
{
	double due = 1e18;

	for (size_t i = 0; i < ps->n; i++) {
		const struct proc *p = &ps->p[i];
		double d = 1e18;

		if (p->state == P_WAITING && deps_ready(ps, p))
			d = p->cfg->start_us / 1e6;
		else if (p->state == P_RUNNING && !p->ready)
			d = p->cfg->ready_kind == TB_READY_TIME ? p->started + p->cfg->ready_us / 1e6
								 : t + READY_POLL_S;
		if (d < due)
			due = d;
	}
	return due;
}

bool procs_running(const struct procs *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->p[i].cfg->stop == TB_PSTOP_EXIT && ps->p[i].state == P_RUNNING)
			return true;
	return false;
}

bool procs_done(const struct procs *ps)
{
	bool any = false;

	for (size_t i = 0; i < ps->n; i++) {
		if (ps->p[i].cfg->stop != TB_PSTOP_EXIT)
			continue;
		any = true;
		if (ps->p[i].state != P_ENDED)
			return false;
	}
	return any;
}

/* --- the end of the run ---------------------------------------------------------- */

static bool any_running(struct procs *ps)
{
	bool left = false;

	for (size_t i = 0; i < ps->n; i++) {
		reap(ps, &ps->p[i]);
		left |= ps->p[i].state == P_RUNNING;
	}
	return left;
}

void procs_stop(struct procs *ps)
{
	struct timespec now;

	for (size_t i = 0; i < ps->n; i++) {
		struct proc *p = &ps->p[i];

		if (p->state == P_RUNNING)
			sample_hwm(p);
		reap(ps, p);
		if (p->state != P_RUNNING)
			continue;
		p->timed_out = p->cfg->stop == TB_PSTOP_EXIT;
		p->stopped = true;
		kill(-p->pid, SIGTERM);
		kill(p->pid, SIGTERM); /* if it left its process group */
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	while (any_running(ps) && tb_since_s(&now) < STOP_GRACE_S)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	for (size_t i = 0; i < ps->n; i++) {
		struct proc *p = &ps->p[i];

		if (p->state != P_RUNNING)
			continue;
		p->killed = true;
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &p->status, 0);
		p->state = P_ENDED;
		p->ended = tb_since_s(&ps->t0);
	}
}

/* How @p ended, for status.json and the report; *@failed when that fails
 * the run (unless an expectation is about it). */
static const char *state_of(const struct proc *p, bool *failed)
{
	bool ok_exit = WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0;

	*failed = true;
	if (p->state == P_WAITING)
		return "not started";
	if (p->exec_failed)
		return "failed to start";
	if (p->timed_out)
		return "timed out";
	*failed = !p->ready;
	if (p->killed)
		return "killed";
	if (p->stopped)
		return "stopped";
	*failed = !ok_exit || !p->ready;
	return WIFSIGNALED(p->status) ? "signalled" : "exited";
}

static json_t *time_or_null(double s)
{
	return s >= 0 ? json_real(s) : json_null();
}

static json_t *status_json(const struct proc *p, const char *state)
{
	json_t *j = json_object(), *argv = json_array();
	int code = WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 128 + WTERMSIG(p->status);

	for (char **a = p->argv; a && *a; a++)
		json_array_append_new(argv, json_string(*a));
	json_object_set_new(j, "name", json_string(p->cfg->name));
	json_object_set_new(j, "argv", argv);
	json_object_set_new(j, "state", json_string(state));
	json_object_set_new(j, "exit", p->state == P_ENDED ? json_integer(code) : json_null());
	if (p->state == P_ENDED && WIFSIGNALED(p->status))
		json_object_set_new(j, "signal", json_string(sigabbrev_np(WTERMSIG(p->status))));
	json_object_set_new(j, "ready", json_boolean(p->ready));
	json_object_set_new(j, "started_s", time_or_null(p->started));
	json_object_set_new(j, "ready_s", time_or_null(p->ready_at));
	json_object_set_new(j, "ended_s", time_or_null(p->ended));
	json_object_set_new(j, "runtime_s", p->started >= 0 && p->ended >= 0 && !p->exec_failed
						    ? json_real(p->ended - p->started)
						    : json_null());
	json_object_set_new(j, "peak_rss_bytes",
			    p->hwm_kb ? json_integer((json_int_t)p->hwm_kb * 1024) : json_null());
	if (p->error[0])
		json_object_set_new(j, "error", json_string(p->error));
	return j;
}

/* Why @p (state @state) failed the run, into @err. */
static void failure(const struct procs *ps, const struct proc *p, const char *state, char *err,
		    size_t len)
{
	const char *n = p->cfg->name;

	if (!strcmp(state, "not started"))
		snprintf(err, len, "process %s: not started: %s", n,
			 deps_ready(ps, p) ? "its start time was not reached"
					   : "a process it runs after never became ready");
	else if (p->error[0])
		snprintf(err, len, "process %s: %s", n, p->error);
	else if (!p->ready && strcmp(state, "timed out"))
		snprintf(err, len, "process %s: never became ready (ready = %s)", n, p->cfg->ready);
	else if (!strcmp(state, "timed out"))
		snprintf(err, len, "process %s: still running at the end of the run: timed out", n);
	else
		snprintf(err, len, "process %s: %s with status %d (see processes/%s/stderr)", n,
			 state, WIFEXITED(p->status) ? WEXITSTATUS(p->status)
						     : 128 + WTERMSIG(p->status), n);
}

int procs_finish(struct procs *ps, char *err, size_t len, bool *write_failed)
{
	int rc = 0;

	for (size_t i = 0; i < ps->n; i++) {
		struct proc *p = &ps->p[i];
		char path[1100];
		bool failed;
		const char *state = state_of(p, &failed);
		json_t *j;

		if (p->state == P_WAITING && !p->argv) /* what would have run */
			prepare(ps, p);
		j = status_json(p, state);

		snprintf(path, sizeof(path), "%s/status.json", p->dir);
		if (tb_json_write(j, path, JSON_INDENT(1)))
			*write_failed = true;
		json_decref(j);
		if (failed && !rc && !config_process_judged(ps->c, (int)i)) {
			failure(ps, p, state, err, len);
			rc = -ECHILD;
		}
	}
	return rc;
}

void procs_free(struct procs *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n; i++) {
		tb_strv_free(ps->p[i].argv);
		tb_strv_free(ps->p[i].envp);
	}
	free(ps->p);
	free(ps);
}
