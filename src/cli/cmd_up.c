/* testbed up / exec / down / list / cleanup: a topology's lifecycle from the
 * command line. Signals are blocked and read through a signalfd, so a
 * SIGINT, SIGTERM or SIGHUP during a build or while up ends in a full
 * teardown run from the main loop, never from a handler. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/check.h"
#include "cli.h"
#include "config/config.h"
#include "net/journal.h"
#include "net/netns.h"
#include "net/probe.h"
#include "net/nodeenter.h"
#include "net/qdisc.h"
#include "net/topo.h"
#include "run/run.h"
#include "util/util.h"
#include "vm/vm.h"

static int env_check(const char *what)
{
	if (geteuid() != 0) {
		tb_err("%s needs root (network namespaces, veth links)", what);
		return TB_EXIT_ENV;
	}
	if (access("/proc/self/ns/net", F_OK) < 0) {
		tb_err("%s: this kernel has no network namespace support", what);
		return TB_EXIT_ENV;
	}
	return 0;
}

int up_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Nonblocking: the pending signal's number, or 0. */
static int poll_signal(void *arg)
{
	struct signalfd_siginfo si;
	int fd = *(int *)arg;

	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		return (int)si.ssi_signo;
	return 0;
}

static int wait_signal(int fd)
{
	fd_set rd;

	for (;;) {
		int sig;

		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		if (select(fd + 1, &rd, NULL, NULL, NULL) < 0 && errno != EINTR)
			return SIGTERM;
		sig = poll_signal(&fd);
		if (sig)
			return sig;
	}
}

/* The shaping hook: every part of the direction's shape on its egress end,
 * as `testbed run` does (run_one.c). */
static int shape_link(void *arg, const struct topo *t, int link, int dir, struct topo_err *err)
{
	const struct tb_config *c = topo_config(t);
	const struct tb_link *l = &c->links[link];
	struct qdisc_plan_hint hint = { 0 };
	struct qdisc_err qe = { 0 };
	int rc;

	(void)arg;
	hint.mtu = l->mtu;
	hint.node = c->nodes[l->end[dir].node].name;
	rc = qdisc_apply(topo_node_nsfd(t, l->end[dir].node), topo_ifindex(t, link, dir),
			 topo_ifname(t, link, dir), &l->dir[dir], &hint, &qe);
	if (rc)
		snprintf(err->msg, sizeof(err->msg), "link %s: %s", l->name, qe.msg);
	return rc;
}

/* `up` builds on this kernel only: a file that needs what it lacks (netem
 * here) is refused before anything is built, with the commands that use a
 * guest. 0 or TB_EXIT_ENV (said). */
static int up_kernel_check(const struct tb_config *c, const char *file)
{
	struct vm_needs vn;
	struct probe p;
	char *miss = NULL;

	if (probe_kernel(&p) < 0) {
		tb_err("up: cannot probe the running kernel: %m");
		return TB_EXIT_ENV;
	}
	run_needs_one(c, &vn);
	miss = vm_host_missing(&vn, &p);
	run_needs_free(&vn);
	if (!miss)
		return 0;
	tb_err("up: %s needs what the kernel %s lacks: %s. 'testbed up' uses this kernel only; "
	       "'testbed shell %s' (or 'testbed run') builds it in a User-Mode Linux guest",
	       file, p.release, miss, file);
	free(miss);
	return TB_EXIT_ENV;
}

static void up_usage(FILE *f)
{
	fprintf(f, "Usage: testbed up [--foreground] [--run-id ID] FILE\n"
		   "Build the topology of FILE (a topology or an experiment, shaping included) and\n"
		   "leave it up. Prints a summary and, as the last line, the run id. A keeper\n"
		   "process owns the run in the background; 'testbed down ID' ends it.\n"
		   "Node names resolve inside the nodes (testbed exec ID c1 -- ping s1).\n"
		   "Builds on this kernel only: a file that needs a qdisc or congestion control\n"
		   "it lacks exits 3 before anything is built ('testbed shell FILE' builds it in a\n"
		   "User-Mode Linux guest).\n"
		   "  -f, --foreground  stay in the foreground; Ctrl-C tears the topology down\n"
		   "      --run-id ID   use ID ([a-z][a-z0-9]*, < 16 chars) instead of a fresh id\n");
}

struct up_args {
	const char *file, *run_id;
	bool fg;
};

/* -1 to go on, else the exit code. */
static int up_parse(int argc, char **argv, struct up_args *a)
{
	static const struct option opts[] = { { "foreground", no_argument, NULL, 'f' },
					      { "run-id", required_argument, NULL, 'r' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			a->fg = true;
			break;
		case 'r':
			a->run_id = optarg;
			break;
		case 'h':
			up_usage(stdout);
			return TB_EXIT_OK;
		default:
			up_usage(stderr);
			return TB_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		up_usage(stderr);
		return TB_EXIT_USAGE;
	}
	if (a->run_id && !journal_id_valid(a->run_id)) {
		tb_err("up: bad run id \"%s\": [a-z][a-z0-9]*, at most 15 characters", a->run_id);
		return TB_EXIT_USAGE;
	}
	a->file = argv[optind];
	return -1;
}

/* --foreground: the run lives until a signal. */
static int up_foreground(struct topo *t, int sfd)
{
	int sig;

	topo_print_summary(t, stdout);
	printf("%s\n", topo_run_id(t));
	fflush(stdout);
	sig = wait_signal(sfd);
	fprintf(stderr, "testbed: SIG%s: tearing down run %s\n", sigabbrev_np(sig), topo_run_id(t));
	return topo_destroy(t) ? TB_EXIT_FAIL : TB_EXIT_OK;
}

/* The keeper process: owns the run until `testbed down` signals it. */
static void __attribute__((noreturn)) keeper(struct topo *t, int sfd, int ready_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	char ok = topo_set_owner(t) == 0 ? 1 : 0;

	setsid();
	if (chdir("/") < 0) {
		/* stays where it is; harmless */
	}
	if (write(ready_fd, &ok, 1) != 1 || !ok) {
		topo_destroy(t);
		_exit(1);
	}
	close(ready_fd);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	wait_signal(sfd);
	_exit(topo_destroy(t) ? 1 : 0);
}

/* Hand the run to a keeper process and report once it has taken over. */
static int up_detach(struct topo *t, int sfd)
{
	int pfd[2];
	char ok = 0;
	pid_t pid;

	fflush(NULL);
	if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		tb_err("up: fork keeper: %m");
		topo_destroy(t);
		return TB_EXIT_FAIL;
	}
	if (pid == 0) {
		close(pfd[0]);
		keeper(t, sfd, pfd[1]);
	}
	close(pfd[1]);
	if (read(pfd[0], &ok, 1) != 1 || !ok) {
		tb_err("up: the keeper process of run %s failed to start", topo_run_id(t));
		close(pfd[0]);
		waitpid(pid, NULL, 0);
		topo_detach(t);
		return TB_EXIT_FAIL;
	}
	close(pfd[0]);
	if (poll_signal(&sfd)) {
		/* a Ctrl-C that arrived after the last check of the build: the
		 * keeper did not inherit it, so pass it on and report as usual */
		tb_err("interrupted: tearing down run %s", topo_run_id(t));
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		topo_detach(t);
		return 130;
	}
	topo_print_summary(t, stdout);
	printf("owner: pid %d (testbed down %s)\n%s\n", (int)pid, topo_run_id(t), topo_run_id(t));
	topo_detach(t);
	return TB_EXIT_OK;
}

int up_build(const struct tb_config *c, const char *file, const char *run_id, int *sfd,
	     struct topo **t)
{
	struct topo_opts o = { .run_id = run_id, .config_path = file,
			       .interrupted = poll_signal, .intr_arg = sfd, .shape = shape_link };
	struct topo_err err = { 0 };

	if (!topo_build(c, &o, t, &err))
		return 0;
	tb_err("%s", err.msg);
	return err.code == -EPERM || err.code == -EOPNOTSUPP ? TB_EXIT_ENV
	       : err.code == -EINTR			     ? 130
							     : TB_EXIT_FAIL;
}

int cmd_up(int argc, char **argv)
{
	struct up_args a = { 0 };
	struct tb_diag d = { 0 };
	struct tb_config *c;
	struct topo *t = NULL;
	int sfd = -1, rc = up_parse(argc, argv, &a);

	if (rc >= 0)
		return rc;
	c = check_load(a.file, &d);
	diag_print(&d, stderr);
	rc = !c || diag_errors(&d) ? TB_EXIT_USAGE : env_check("up");
	rc = rc ?: up_kernel_check(c, a.file);
	if (!rc) {
		sfd = up_signalfd();
		if (sfd < 0) {
			tb_err("up: signalfd: %s", strerror(-sfd));
			rc = TB_EXIT_FAIL;
		}
	}
	rc = rc ?: up_build(c, a.file, a.run_id, &sfd, &t);
	if (!rc)
		rc = a.fg ? up_foreground(t, sfd) : up_detach(t, sfd);
	if (sfd >= 0)
		close(sfd);
	config_free(c);
	diag_free(&d);
	return rc;
}

/* --- exec ------------------------------------------------------------- */

static int open_node(const char *run, const char *node)
{
	char name[JOURNAL_ID_MAX + TB_NAME_MAX + 2], dir[64];
	int fd;

	if (!journal_id_valid(run)) {
		tb_err("bad run id \"%s\"", run);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%s-%.31s", run, node);
	fd = netns_open(name);
	if (fd >= 0)
		return fd;
	snprintf(dir, sizeof(dir), "%s/%s", TB_RUN_DIR, run);
	if (fd == -ENOENT && access(dir, F_OK) < 0)
		tb_err("no run \"%s\" (see 'testbed list')", run);
	else if (fd == -ENOENT)
		tb_err("run %s has no node \"%s\"", run, node);
	else
		tb_err("open namespace %s: %s", name, strerror(-fd));
	return fd;
}

/* The child: into namespace @fd of node @node, with a /sys of its own and
 * the run's hosts file @hosts (NULL: none) as /etc/hosts, then @argv (no shell). */
static void __attribute__((noreturn)) exec_in_node(int fd, const char *node, const char *hosts,
						   char **argv)
{
	int rc = node_enter(fd, node, hosts);

	if (rc < 0) {
		tb_err("exec: enter namespace of %s: %s", node, strerror(-rc));
		_exit(TB_EXIT_ENV);
	}
	execvp(argv[0], argv);
	tb_err("exec %s: %m", argv[0]);
	_exit(errno == ENOENT ? 127 : 126);
}

int cmd_exec(int argc, char **argv)
{
	char hosts[PATH_MAX];
	int fd, status, i = 3;
	pid_t pid;

	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		printf("Usage: testbed exec RUN NODE -- CMD [ARGS...]\n"
		       "Run CMD inside NODE's namespace (no shell), with a /sys of the node and the\n"
		       "run's hosts file as /etc/hosts (node names resolve); exits with CMD's status.\n");
		return TB_EXIT_OK;
	}
	if (argc > 3 && !strcmp(argv[3], "--"))
		i = 4;
	if (argc <= i) {
		fprintf(stderr, "Usage: testbed exec RUN NODE -- CMD [ARGS...]\n");
		return TB_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		tb_err("exec needs root (entering a network namespace)");
		return TB_EXIT_ENV;
	}
	fd = open_node(argv[1], argv[2]);
	if (fd < 0)
		return fd == -EINVAL ? TB_EXIT_USAGE : TB_EXIT_FAIL;
	/* a run built by an older testbed has none: names do not resolve */
	if (topo_hosts_path_of(argv[1], argv[2], hosts, sizeof(hosts)) < 0)
		hosts[0] = 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		tb_err("exec: fork: %m");
		close(fd);
		return TB_EXIT_FAIL;
	}
	if (pid == 0)
		exec_in_node(fd, argv[2], hosts[0] ? hosts : NULL, argv + i);
	close(fd);
	/* the terminal's Ctrl-C goes to the command; we only report its end */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return TB_EXIT_FAIL;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* --- down, list, cleanup ------------------------------------------------ */

static pid_t run_owner(const char *id)
{
	struct journal_run *runs;
	size_t n;
	pid_t pid = 0;

	if (journal_list(&runs, &n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(runs[i].id, id) && runs[i].live)
			pid = runs[i].pid;
	free(runs);
	return pid;
}

static int down_one(const char *id)
{
	struct journal *j = NULL;
	int rc = journal_open(id, &j);

	if (rc == -EBUSY) {
		/* alive: ask the owner to tear down, then wait for its lock */
		pid_t pid = run_owner(id);

		if (pid > 0 && kill(pid, SIGTERM) < 0 && errno != ESRCH) {
			tb_err("down %s: signal owner %d: %m", id, (int)pid);
			return TB_EXIT_FAIL;
		}
		for (int i = 0; i < 3000 && rc == -EBUSY; i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			rc = journal_open(id, &j);
		}
		if (rc == -ENOENT)
			return TB_EXIT_OK; /* the owner finished it */
		if (rc == -EBUSY) {
			tb_err("down %s: owner %d did not finish within 30 s", id, (int)pid);
			return TB_EXIT_FAIL;
		}
	}
	if (rc == -ENOENT || rc == -EINVAL) {
		tb_err("no run \"%s\" (see 'testbed list')", id);
		return TB_EXIT_FAIL;
	}
	if (rc) {
		tb_err("down %s: %s", id, strerror(-rc));
		return TB_EXIT_FAIL;
	}
	return journal_undo(j) ? TB_EXIT_FAIL : TB_EXIT_OK;
}

int cmd_down(int argc, char **argv)
{
	int rc = TB_EXIT_OK;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		printf("Usage: testbed down RUN...\nTear down runs (the owner's if it is alive).\n");
		return argc < 2 ? TB_EXIT_USAGE : TB_EXIT_OK;
	}
	if (geteuid() != 0) {
		tb_err("down needs root");
		return TB_EXIT_ENV;
	}
	for (int i = 1; i < argc; i++) {
		int r = down_one(argv[i]);

		if (r)
			rc = r;
	}
	return rc;
}

int cmd_list(int argc, char **argv)
{
	struct journal_run *runs;
	size_t n;
	int rc;

	if (argc >= 2) {
		printf("Usage: testbed list\nRuns under %s: live (owner alive) or stale (owner died: "
		       "'testbed cleanup' removes them).\n",
		       TB_RUN_DIR);
		return strcmp(argv[1], "--help") ? TB_EXIT_USAGE : TB_EXIT_OK;
	}
	rc = journal_list(&runs, &n);
	if (rc) {
		tb_err("list %s: %s", TB_RUN_DIR, strerror(-rc));
		return TB_EXIT_FAIL;
	}
	if (n)
		printf("%-15s %-13s %-7s %5s %7s  %-20s %s\n", "RUN", "STATE", "OWNER", "NODES", "OBJECTS",
		       "CREATED", "CONFIG");
	for (size_t i = 0; i < n; i++) {
		char state[32];

		snprintf(state, sizeof(state), "%s", runs[i].live ? runs[i].state : "stale");
		printf("%-15s %-13s %-7d %5u %7u  %-20s %s\n", runs[i].id, state, (int)runs[i].pid,
		       runs[i].nodes, runs[i].objects, runs[i].created, runs[i].config);
	}
	free(runs);
	return TB_EXIT_OK;
}

/* Finish the journal of each stale run of @runs, counted in *@done; TB_EXIT_FAIL if one fails. */
static int undo_stale_runs(const struct journal_run *runs, size_t n, size_t *done)
{
	int rc = TB_EXIT_OK;

	for (size_t i = 0; i < n; i++) {
		struct journal *j;
		int r;

		if (runs[i].live)
			continue;
		r = journal_open(runs[i].id, &j);
		if (r == -EBUSY || r == -ENOENT)
			continue; /* someone else is on it */
		if (r) {
			tb_err("cleanup %s: %s", runs[i].id, strerror(-r));
			rc = TB_EXIT_FAIL;
			continue;
		}
		if (journal_undo(j)) {
			rc = TB_EXIT_FAIL;
			continue;
		}
		printf("removed stale run %s (%u objects, %s)\n", runs[i].id, runs[i].objects,
		       runs[i].config);
		(*done)++;
	}
	return rc;
}

int cmd_cleanup(int argc, char **argv)
{
	struct journal_run *runs;
	size_t n, done = 0;
	int rc;

	if (argc >= 2) {
		printf("Usage: testbed cleanup\nFinish the journal of every stale run (its owner died): "
		       "remove what it created, nothing else.\nAlso removes the state of UML guests "
		       "whose testbed died, in root's own $TMPDIR/testbed-vm-0\n(never another "
		       "user's, never through a link).\n");
		return strcmp(argv[1], "--help") ? TB_EXIT_USAGE : TB_EXIT_OK;
	}
	if (geteuid() != 0) {
		tb_err("cleanup needs root");
		return TB_EXIT_ENV;
	}
	if (journal_list(&runs, &n)) {
		tb_err("cleanup: cannot read %s: %m", TB_RUN_DIR);
		return TB_EXIT_FAIL;
	}
	rc = undo_stale_runs(runs, n, &done);
	{
		/* UML guests of a testbed killed with SIGKILL leave their state dir */
		int g = vm_cleanup_stale();

		if (g > 0) {
			printf("removed %d stale guest director%s\n", g, g == 1 ? "y" : "ies");
			done += (size_t)g;
		}
	}
	if (!done && rc == TB_EXIT_OK)
		printf("no stale runs\n");
	free(runs);
	return rc;
}
