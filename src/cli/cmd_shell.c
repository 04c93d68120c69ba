/* testbed shell FILE: the network of FILE (one case of it) built on this
 * kernel, or in a User-Mode Linux guest when this kernel lacks what it
 * needs (chosen as `testbed run` chooses), and a command run beside it on
 * the host side of the nodes (an interactive shell by default) with TB_RUN
 * and TB_NODES set. The network goes when the command ends, or on a
 * SIGINT, SIGTERM or SIGHUP to testbed; testbed exits with the command's
 * status. In a guest the same command runs inside it with --kernel host,
 * on the host's terminal when there is one (vm_opts.tty). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "net/check.h"
#include "net/topo.h"
#include "run/run.h"
#include "util/util.h"
#include "vm/vm.h"

static const char usage_text[] =
	"Usage: testbed shell FILE [--case NAME] [--set KEY=VALUE]... [--kernel auto|host|uml]\n"
	"                          [-- CMD [ARGS...]]\n\n"
	"Build the network of FILE (a topology or an experiment, shaping included; its\n"
	"flows are not started) and run CMD beside it, on the host side of the nodes:\n"
	"by default an interactive shell ($SHELL, else /bin/bash, else /bin/sh). In it\n"
	"TB_RUN is the run id and TB_NODES the node names, so that\n"
	"    testbed exec $TB_RUN NODE -- CMD...\n"
	"runs a command inside a node, where node names resolve (ping s1: each node's\n"
	"/etc/hosts is the run's, see docs/topology.md); testbed's directory ends PATH.\n"
	"When CMD ends, or testbed gets SIGINT, SIGTERM or SIGHUP, the network is torn\n"
	"down (Ctrl-C in the terminal goes to CMD, not to testbed).\n\n"
	"  --case NAME       the named [case NAME] of an experiment (default: the file's\n"
	"                    own values, no sweep applied)\n"
	"  --set KEY=VALUE   a sweep-style key (link.c1-s1.delay=20ms, flow.bulk.cc=bbr,\n"
	"                    node.s1.sysctl.net.ipv4.tcp_syncookies=0), after --case\n"
	"  --kernel K        auto (this kernel when it has every qdisc and congestion\n"
	"                    control the network needs, else a User-Mode Linux guest),\n"
	"                    host, uml; default: the experiment's kernel key, else auto\n\n"
	"In a guest, CMD runs inside it (with the guest's testbed and kernel) and the\n"
	"host's filesystem; when stdin and stdout are a terminal, CMD gets it as its\n"
	"controlling terminal (line editing, Ctrl-C to its foreground job), otherwise\n"
	"its stdin is /dev/null and its output comes back through pipes.\n\n"
	"Exit status: CMD's (128+N when it died of signal N); 2 bad file or usage, 3\n"
	"environment (not root, no kernel with what the network needs), 1 the network\n"
	"could not be built; 128+N when signal N to testbed ended it.\n";

struct shell_args {
	const char *file, *kernel, *case_name;
	char **sets; /* KEY=VALUE, NULL-terminated */
	char **cmd;  /* after "--"; NULL: a shell */
};

/* -1 to go on, else the exit code. Options end at "--"; FILE may be among them. */
static int shell_parse(int argc, char **argv, struct shell_args *a, size_t *n_sets)
{
	static const struct option lo[] = {
		{ "case", required_argument, NULL, 'c' },   { "set", required_argument, NULL, 's' },
		{ "kernel", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, end = 1;

	while (end < argc && strcmp(argv[end], "--"))
		end++;
	if (end < argc && end + 1 < argc)
		a->cmd = argv + end + 1;
	optind = 1;
	while ((opt = getopt_long(end, argv, "h", lo, NULL)) != -1) {
		if (opt == 'c')
			a->case_name = optarg;
		else if (opt == 'k')
			a->kernel = optarg;
		else if (opt == 's' && strchr(optarg, '='))
			a->sets[(*n_sets)++] = optarg;
		else {
			if (opt == 's')
				tb_err("shell: --set \"%s\": expected KEY=VALUE", optarg);
			fputs(usage_text, opt == 'h' ? stdout : stderr);
			return opt == 'h' ? TB_EXIT_OK : TB_EXIT_USAGE;
		}
	}
	if (optind != end - 1 || (end < argc && !a->cmd)) {
		fputs(usage_text, stderr);
		return TB_EXIT_USAGE;
	}
	a->file = argv[optind];
	return -1;
}

/* The named case @name of @c into @x; 0 or TB_EXIT_USAGE (said). */
static int apply_case(struct tb_config *x, const struct tb_config *c, const char *name,
		      struct tb_diag *d)
{
	const struct tb_casedef *cd = NULL;
	char names[256] = "";

	for (size_t i = 0; i < c->n_casedefs; i++) {
		size_t l = strlen(names);

		if (!strcmp(c->casedefs[i].name, name))
			cd = &c->casedefs[i];
		snprintf(names + l, sizeof(names) - l, "%s%s", l ? ", " : "", c->casedefs[i].name);
	}
	if (!cd) {
		tb_err("shell: %s has no case \"%s\"%s%s", c->path ? c->path : "the file", name,
		       names[0] ? "; its cases: " : " (it has no [case] section)", names);
		return TB_EXIT_USAGE;
	}
	for (size_t j = 0; j < cd->n_set; j++)
		if (config_set(x, cd->set[j].key, cd->set[j].value, &cd->set[j].loc, d))
			return TB_EXIT_USAGE;
	return 0;
}

/* The configuration to build: the file's own values, its case, the --set keys. */
static struct tb_config *pick(const struct tb_config *c, const struct shell_args *a)
{
	static const struct tb_loc where = { .file = "--set" };
	struct tb_config *x = config_dup(c);
	struct tb_diag d = { 0 };
	int rc = a->case_name ? apply_case(x, c, a->case_name, &d) : 0;

	for (char **s = a->sets; !rc && *s; s++) {
		char *eq = strchr(*s, '='), *key = xstrndup(*s, (size_t)(eq - *s));

		rc = config_set(x, key, eq + 1, &where, &d);
		free(key);
	}
	diag_print(&d, stderr);
	diag_free(&d);
	if (rc) {
		config_free(x);
		return NULL;
	}
	return x;
}

/* --- the command ---------------------------------------------------------- */

/* TB_RUN, TB_NODES, and testbed's own directory at the end of PATH. */
static void command_env(const struct topo *t)
{
	const struct tb_config *c = topo_config(t);
	char self[PATH_MAX], *nodes = xstrdup(""), *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *path = getenv("PATH");

	for (size_t i = 0; i < c->n_nodes; i++) {
		char *x = xasprintf("%s%s%s", nodes, i ? " " : "", c->nodes[i].name);

		free(nodes);
		nodes = x;
	}
	setenv("TB_RUN", topo_run_id(t), 1);
	setenv("TB_NODES", nodes, 1);
	free(nodes);
	if (n > 0 && (self[n] = 0, slash = strrchr(self, '/'))) {
		char *p;

		*slash = 0;
		p = xasprintf("%s%s%s", path && *path ? path : "", path && *path ? ":" : "",
			      self[0] ? self : "/");
		setenv("PATH", p, 1);
		free(p);
	}
}

/* $SHELL, /bin/bash or /bin/sh: the first that can be run. */
static const char *default_shell(void)
{
	const char *sh = getenv("SHELL");

	if (sh && sh[0] == '/' && access(sh, X_OK) == 0)
		return sh;
	return access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
}

/* The command's process: signals as they were before testbed, then @argv. */
static pid_t start_command(char **argv)
{
	sigset_t none;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid < 0 ? -errno : pid;
	/* the terminal's Ctrl-C and Ctrl-\ are the command's, even when testbed
	 * was started with them ignored (a background job of a script) */
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
	tb_err("shell: exec %s: %m", argv[0]);
	_exit(errno == ENOENT ? 127 : 126);
}

/* Command @pid ended by testbed: a hangup, as when its terminal goes (an
 * interactive shell ignores SIGTERM), then SIGKILL after 2 s. Its status. */
static int stop_command(pid_t pid)
{
	int status;

	kill(pid, SIGHUP);
	kill(-pid, SIGHUP); /* its job, when it leads one */
	kill(pid, SIGCONT);
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* Wait for command @pid, or a signal on @sfd that is not the terminal's
 * Ctrl-C (that one is the command's). Its exit code, shell-style, or
 * 128+N for signal N to testbed. */
static int wait_command(pid_t pid, int sfd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status, rc = -1;

	while (rc < 0) {
		struct pollfd pf[2] = { { .fd = sfd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		struct signalfd_siginfo si;

		if (poll(pf, 2, pidfd < 0 ? 100 : -1) < 0 && errno != EINTR)
			break;
		if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
		    !(si.ssi_signo == SIGINT && si.ssi_code == SI_KERNEL)) {
			fprintf(stderr, "testbed: SIG%s: ending the command and run %s\n",
				sigabbrev_np((int)si.ssi_signo), getenv("TB_RUN"));
			stop_command(pid);
			rc = 128 + (int)si.ssi_signo;
		} else if (waitpid(pid, &status, WNOHANG) == pid) {
			rc = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return rc < 0 ? TB_EXIT_FAIL : rc;
}

/* What the user reads before the command starts. */
static void announce(const struct topo *t)
{
	struct utsname u = { 0 };

	uname(&u);
	fprintf(stderr,
		"testbed: run %s is up on %s kernel %s; nodes: %s\n"
		"testbed: inside a node: testbed exec $TB_RUN NODE -- CMD (node names resolve "
		"there); exit to tear it down\n",
		topo_run_id(t), vm_in_guest() ? "a User-Mode Linux guest's" : "the host", u.release,
		getenv("TB_NODES"));
}

/* On this kernel: build, run the command, tear down. */
static int shell_host(const struct tb_config *c, const struct shell_args *a)
{
	char *sh[] = { (char *)default_shell(), NULL };
	struct topo *t = NULL;
	int sfd = up_signalfd(), rc;
	pid_t pid;

	if (sfd < 0) {
		tb_err("shell: signalfd: %s", strerror(-sfd));
		return TB_EXIT_FAIL;
	}
	rc = up_build(c, a->file, NULL, &sfd, &t);
	if (!rc) {
		command_env(t);
		announce(t);
		signal(SIGQUIT, SIG_IGN); /* the terminal's: the command's */
		pid = start_command(a->cmd ? a->cmd : sh);
		if (pid < 0) {
			tb_err("shell: fork: %s", strerror((int)-pid));
			rc = TB_EXIT_FAIL;
		} else {
			rc = wait_command(pid, sfd);
		}
		signal(SIGQUIT, SIG_DFL);
		if (topo_destroy(t) && rc == 0)
			rc = TB_EXIT_FAIL;
	}
	close(sfd);
	return rc;
}

/* --- in a guest ------------------------------------------------------------ */

/* This command for the guest: "shell --kernel host" and the rest as given. */
static char **guest_argv(int argc, char **argv)
{
	char **g = xcalloc((size_t)argc + 4, sizeof(char *));
	int n = 0, i = 1;

	g[n++] = "shell";
	g[n++] = "--kernel";
	g[n++] = "host";
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--kernel")) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--kernel=", 9))
			g[n++] = argv[i];
	}
	for (; i < argc; i++)
		g[n++] = argv[i];
	return g;
}

/* Boot a guest with what @vn needs and run this command in it. */
static int shell_guest(const struct tb_config *c, const char *file, int argc, char **argv,
		       const struct vm_needs *vn)
{
	const char **mods = vm_modules_for(vn);
	char **gargv = guest_argv(argc, argv);
	struct vm_result res;
	struct vm_opts vo;
	int rc;

	fprintf(stderr, "testbed: building %s in a User-Mode Linux guest (the host kernel lacks "
			"what it needs, or --kernel uml)\n",
		file);
	vm_opts_init(&vo);
	vo.modules = mods;
	vo.mem_mb = (unsigned)(c->exp.uml_mem >> 20);
	vo.tty = isatty(0) && isatty(1);
	rc = vm_run(&vo, gargv, &res);
	free(gargv);
	vm_modules_free(mods);
	if (rc == -EINTR)
		return 128 + res.signal;
	if (rc < 0) {
		tb_err("shell: %s", res.error);
		if (res.log_tail[0])
			fprintf(stderr, "testbed: last lines of the guest console log:\n%s\n",
				res.log_tail);
		return rc == -ENOENT || rc == -ENOTSUP ? TB_EXIT_ENV : TB_EXIT_FAIL;
	}
	return res.status;
}

/* --- testbed shell ---------------------------------------------------------- */

/* The file as check sees it, then the configuration to build; NULL: exit 2 (said). */
static struct tb_config *shell_load(const struct shell_args *a, struct tb_config **file)
{
	struct tb_diag d = { 0 };
	struct tb_config *c = check_load(a->file, &d);
	bool bad = !c || diag_errors(&d);

	diag_print(&d, stderr);
	diag_free(&d);
	*file = c;
	return bad ? NULL : pick(c, a);
}

int cmd_shell(int argc, char **argv)
{
	struct shell_args a = { .sets = xcalloc((size_t)argc + 1, sizeof(char *)) };
	struct tb_config *file = NULL, *c = NULL;
	enum vm_tier tier = VM_TIER_HOST;
	struct vm_needs vn = { 0 };
	struct vm_opts vo;
	size_t n_sets = 0;
	int rc = shell_parse(argc, argv, &a, &n_sets);

	if (rc >= 0) { /* --help, or bad usage */
		free(a.sets);
		return rc;
	}
	c = shell_load(&a, &file);
	rc = c ? 0 : TB_EXIT_USAGE;
	if (!rc && geteuid() != 0) {
		tb_err("shell: needs root (network namespaces, veth, qdiscs): run it with sudo");
		rc = TB_EXIT_ENV;
	}
	if (!rc) {
		run_needs_one(c, &vn);
		vm_opts_init(&vo);
		rc = vm_choose_tier(a.kernel ? a.kernel : config_kernel_name(c->exp.kernel), &vo, &vn,
				    &tier);
	}
	if (!rc)
		rc = tier == VM_TIER_UML ? shell_guest(c, a.file, argc, argv, &vn) : shell_host(c, &a);
	run_needs_free(&vn);
	config_free(c);
	config_free(file);
	free(a.sets);
	return rc;
}
