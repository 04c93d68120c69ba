/* Host side of the UML tier. A guest is a linux.uml process tree (UML makes
 * one host process per guest address space plus I/O helpers, and calls
 * setsid itself). To be sure nothing outlives a run, the tree lives in its
 * own PID namespace under a tiny reaper process of ours: killing the reaper
 * (its namespace's init) makes the kernel kill everything inside, and the
 * reaper dies with us through PR_SET_PDEATHSIG (without root, the PID
 * namespace comes with a user namespace mapping our own uid and gid only).
 * linux.uml itself cannot be
 * that init: as a namespace init it ignores its own SIGABRT, so a guest
 * panic would spin forever instead of exiting. Without the right to make a
 * PID namespace we fall back to killing UML's session/process group.
 *
 * The guest cannot return an exit status, so the command's status and what
 * the guest knows about itself come back in a file on hostfs; the command's
 * stdout and stderr come back live through the guest's consoles 1 and 2,
 * which UML maps to pipes we read. Console 0 (the kernel log) goes to a
 * file. */
#include "vm.h"
#include "vm_fpu.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

extern char **environ;

void vm_opts_init(struct vm_opts *o)
{
	const char *cpu = getenv("TB_UML_CPU");

	memset(o, 0, sizeof(*o));
	o->out_fd = 1;
	o->err_fd = 2;
	o->cpu = VM_CPU_AUTO;
	if (cpu && !strcmp(cpu, "any"))
		o->cpu = VM_CPU_ANY;
	else if (cpu && *cpu >= '0' && *cpu <= '9')
		o->cpu = atoi(cpu);
}

int vm_guest_cpu(const struct vm_opts *o)
{
	int want = o->cpu;
	cpu_set_t set;
	int last = -1;

	if (want == VM_CPU_ANY || sched_getaffinity(0, sizeof(set), &set))
		return -1;
	if (want >= 0 && want < CPU_SETSIZE && CPU_ISSET(want, &set))
		return want;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			last = i;
	return last;
}

/* ---- state directory ------------------------------------------------------ */

/* Remove @name under directory @dfd and all below it, relative to directory
 * descriptors and never through a symbolic link (a link is removed, not its
 * target), so that nothing outside can be reached by swapping a name. */
static void rm_tree_at(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	if (fd < 0) {
		unlinkat(dfd, name, 0);
		return;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rm_tree_at(fd, e->d_name);
	closedir(d);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

static int write_blob(const char *dir, const char *name, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc = 0;

	free(path);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len)
		rc = -EIO;
	close(fd);
	return rc;
}

/* NUL-separated list, with @extra appended when not NULL. */
/* What the guest command's environment adds to ours (the workers inherit it). */
static const char *const plain_env[] = { VM_ENV_IN_GUEST "=1", NULL };
static const char *const fpu_env[] = { VM_ENV_IN_GUEST "=1", vm_fpu_env, vm_fpu_gnutls_env, NULL };

static int write_strv(const char *dir, const char *name, const char *first,
		      char *const *v, const char *const *extras)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int rc;

#define ADD(s) do { size_t l_ = strlen(s) + 1; buf = tb_grow(buf, &cap, len + l_, 1); \
		    memcpy(buf + len, (s), l_); len += l_; } while (0)
	if (first)
		ADD(first);
	for (; v && *v; v++)
		ADD(*v);
	for (; extras && *extras; extras++)
		ADD(*extras);
#undef ADD
	rc = write_blob(dir, name, buf ? buf : "", len);
	free(buf);
	return rc;
}

/* Where this user's guests keep their state: $TMPDIR/testbed-vm-<uid>,
 * a directory of ours that only we may enter (0700). Not under /run or
 * /dev/shm: the guest mounts fresh tmpfs there, and it must see this. No
 * whitespace: it goes on the kernel command line. In a shared /tmp anyone
 * can create that name first: if it is not a private directory of ours
 * (a link, another user's), it is refused, never used or cleaned. */
static int base_dir(char *buf, size_t size)
{
	const char *t = getenv("TMPDIR");
	struct stat st;

	if (!t || t[0] != '/' || strpbrk(t, " \t\n\"'") || !strncmp(t, "/run", 4) ||
	    !strncmp(t, "/dev", 4))
		t = "/tmp";
	snprintf(buf, size, "%s/testbed-vm-%u", t, (unsigned)geteuid());
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(buf, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		return -EPERM;
	return 0;
}

/* A fresh state directory for one guest, or NULL with errno set. */
static char *make_state_dir(char *base, size_t size)
{
	for (int tries = 0; tries < 3; tries++) {
		char *tmpl;
		int rc = base_dir(base, size);

		if (rc) {
			errno = -rc;
			return NULL;
		}
		tmpl = xasprintf("%s/XXXXXX", base);
		if (mkdtemp(tmpl))
			return tmpl;
		free(tmpl);
		if (errno != ENOENT) /* else another testbed removed the empty base */
			return NULL;
	}
	return NULL;
}

/* Remove a guest's state directory, and the base when it is left empty. */
static void remove_state_dir(const char *base, const char *dir)
{
	int fd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	rm_tree_at(fd, dir + strlen(base) + 1);
	close(fd);
	rmdir(base); /* fails while another guest of ours uses it */
}

static void log_tail(const char *path, char *out, size_t size)
{
	char buf[8192];
	ssize_t n = 0;
	off_t end;
	int fd = open(path, O_RDONLY | O_CLOEXEC), lines = 0;

	out[0] = '\0';
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end > 0) {
		off_t from = end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0;

		n = pread(fd, buf, sizeof(buf) - 1, from);
	}
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* The last dozen lines, within @size. */
	for (char *p = buf + n - 1; p > buf; p--)
		if (*p == '\n' && p[1] && (++lines >= 12 || (size_t)(buf + n - p) >= size - 1)) {
			snprintf(out, size, "%s", p + 1);
			return;
		}
	snprintf(out, size, "%s", buf + ((size_t)n >= size ? (size_t)n - size + 1 : 0));
}

static void read_status(const char *dir, struct vm_result *res)
{
	char *path = xasprintf("%s/status", dir), line[512];
	FILE *f = fopen(path, "re");

	free(path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		if (!strcmp(line, "exit")) {
			res->status = atoi(v);
			res->have_status = true;
		} else if (!strcmp(line, "signal")) {
			res->status = 128 + atoi(v);
			res->have_status = true;
		} else if (!strcmp(line, "release")) {
			snprintf(res->release, sizeof(res->release), "%s", v);
		} else if (!strcmp(line, "version")) {
			snprintf(res->version, sizeof(res->version), "%s", v);
		} else if (!strcmp(line, "boot_ms")) {
			res->boot_ms = atof(v);
		} else if (!strcmp(line, "modules_ms")) {
			res->modules_ms = atof(v);
		} else if (!strcmp(line, "modules")) {
			res->modules_loaded = (unsigned)atoi(v);
		} else if (!strcmp(line, "warning")) {
			size_t l = strlen(res->warnings);

			snprintf(res->warnings + l, sizeof(res->warnings) - l, "%s\n", v);
		} else if (!strcmp(line, "error")) {
			snprintf(res->error, sizeof(res->error), "guest: %s", v);
		}
	}
	fclose(f);
}

/* A UML process left by a run that died (only possible without a PID
 * namespace): its pid file, if that process is really this dir's guest. */
static void kill_stale_uml(const char *dir, const char *umid)
{
	char *pidf = xasprintf("%s/%s/pid", dir, umid), *cmdf = NULL, *want = NULL, buf[4096];
	FILE *f = fopen(pidf, "re");
	ssize_t n;
	int pid = 0, fd;

	if (f && fscanf(f, "%d", &pid) == 1 && pid > 1) {
		cmdf = xasprintf("/proc/%d/cmdline", pid);
		want = xasprintf("uml_dir=%s", dir);
		fd = open(cmdf, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		for (ssize_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		if (n > 0 && (buf[n] = '\0', strstr(buf, want)))
			kill(-pid, SIGKILL);
	}
	if (f)
		fclose(f);
	free(pidf);
	free(cmdf);
	free(want);
}

/* The pid in @dfd/owner, 0 when unreadable; never through a link. */
static int owner_pid(int dfd)
{
	char line[32] = "";
	int fd = openat(dfd, "owner", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, line, sizeof(line) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	line[n] = 0;
	return atoi(line);
}

/* State directory @name of @base (open as @bfd): when its testbed is gone,
 * kill what UML left of it and remove it. 1 when removed. */
static int clean_state_dir(int bfd, const char *base, const char *name)
{
	int sfd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), pid;
	char *dir;
	DIR *sub;
	struct dirent *s;

	if (sfd < 0)
		return 0;
	pid = owner_pid(sfd);
	if (pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH)) {
		close(sfd);
		return 0; /* still running, or not ours to judge */
	}
	dir = xasprintf("%s/%s", base, name);
	sub = fdopendir(sfd);
	while (sub && (s = readdir(sub)))
		if (!strncmp(s->d_name, "tb", 2))
			kill_stale_uml(dir, s->d_name);
	if (sub)
		closedir(sub);
	else
		close(sfd);
	rm_tree_at(bfd, name);
	free(dir);
	return 1;
}

int vm_cleanup_stale(void)
{
	char base[PATH_MAX];
	struct dirent *e;
	int removed = 0, bfd;
	DIR *d;

	/* only this user's own private directory: other users' are theirs */
	if (base_dir(base, sizeof(base)))
		return 0;
	bfd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = bfd < 0 ? NULL : fdopendir(bfd);
	if (!d) {
		if (bfd >= 0)
			close(bfd);
		return -errno;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			removed += clean_state_dir(bfd, base, e->d_name);
	closedir(d);
	rmdir(base);
	return removed;
}

/* ---- spawning -------------------------------------------------------------- */

struct spawn {
	char *const *uml_argv;
	const char *cwd;
	int log_fd, out_fd, err_fd;
	bool tty;              /* fds 0 and 1 become the guest's console 3 (fds 6 and 7) */
	int cpu;               /* keep the guest on this host CPU; -1: anywhere */
	bool pidns;
	bool fpu_fallback;     /* vm_fpu.c: this CPU's XSAVE area is too large for UML */
};

/* In the child, after fork/clone: only async-signal-safe calls. */
static void exec_uml(const struct spawn *s)
{
	static char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR=/dev/shm", NULL };
	sigset_t none;
	int fds[5], null;

	/* Move them above fd 7 first so the dup2s below cannot clobber. */
	fds[0] = fcntl(s->log_fd, F_DUPFD_CLOEXEC, 10);
	fds[1] = fcntl(s->out_fd, F_DUPFD_CLOEXEC, 10);
	fds[2] = fcntl(s->err_fd, F_DUPFD_CLOEXEC, 10);
	fds[3] = s->tty ? fcntl(0, F_DUPFD_CLOEXEC, 10) : 10;
	fds[4] = s->tty ? fcntl(1, F_DUPFD_CLOEXEC, 10) : 10;
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || fds[3] < 0 || fds[4] < 0 || null < 0 ||
	    dup2(null, 0) < 0 || dup2(fds[0], 1) < 0 || dup2(fds[0], 2) < 0 ||
	    dup2(fds[0], 3) < 0 || dup2(fds[1], 4) < 0 || dup2(fds[2], 5) < 0 ||
	    (s->tty && (dup2(fds[3], 6) < 0 || dup2(fds[4], 7) < 0)))
		_exit(126);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (s->cpu >= 0) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(s->cpu, &one);
		sched_setaffinity(0, sizeof(one), &one); /* linux.uml's processes inherit it */
	}
	/* UML opens ./root_fs as its default disk: start it somewhere empty. */
	if (s->cwd && chdir(s->cwd) < 0)
		_exit(126);
	if (s->fpu_fallback && vm_fpu_filter() < 0)
		_exit(126);
	execve(s->uml_argv[0], s->uml_argv, env);
	_exit(127);
}

/* PID 1 of the guest's PID namespace: start linux.uml, reap whatever gets
 * reparented to us, and leave when linux.uml does (taking the namespace and
 * everything in it along). */
static void reaper(const struct spawn *s)
{
	int status;
	pid_t uml, p;

	uml = fork();
	if (uml < 0)
		_exit(125);
	if (uml == 0)
		exec_uml(s);
	close(s->log_fd);
	close(s->out_fd);
	close(s->err_fd);
	for (;;) {
		p = waitpid(-1, &status, 0);
		if (p == uml)
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		if (p < 0 && errno != EINTR)
			_exit(125);
	}
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0) {
			/* unmapped ids only change how ids look inside */
		}
		close(fd);
	}
}

static pid_t spawn_guest(struct spawn *s)
{
	char umap[32], gmap[32];
	bool userns = false;
	pid_t pid;

	snprintf(umap, sizeof(umap), "%u %u 1", (unsigned)geteuid(), (unsigned)geteuid());
	snprintf(gmap, sizeof(gmap), "%u %u 1", (unsigned)getegid(), (unsigned)getegid());
	/* A raw clone(2) with no stack behaves like fork, in a new PID ns;
	 * without CAP_SYS_ADMIN, in a user namespace of our own (same ids). */
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0 && errno == EPERM) {
		pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, NULL, NULL,
				     NULL, NULL);
		userns = true;
	}
	s->pidns = pid >= 0;
	if (pid < 0 && (errno == EPERM || errno == EINVAL || errno == ENOSPC || errno == EUSERS))
		pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (s->pidns && userns) {
		put("/proc/self/setgroups", "deny");
		put("/proc/self/uid_map", umap);
		put("/proc/self/gid_map", gmap);
	}
	if (s->pidns)
		reaper(s);
	exec_uml(s);
	return -1; /* not reached */
}

/* ---- supervising ----------------------------------------------------------- */

static void kill_guest(pid_t pid, bool pidns)
{
	kill(pid, SIGKILL);
	if (!pidns)
		kill(-pid, SIGKILL); /* UML's own session: it calls setsid() */
}

/* Copy what is available on @fd to @to; returns false at EOF/error. */
static bool forward(int fd, int *to)
{
	char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	for (ssize_t off = 0, w; *to >= 0 && off < n; off += w) {
		w = write(*to, buf + off, (size_t)(n - off));
		if (w < 0) {
			if (errno != EINTR) {
				/* The reader went away (EPIPE...): keep draining, drop. */
				*to = -1;
				break;
			}
			w = 0;
		}
	}
	return true;
}

struct watch {
	pid_t pid;
	bool pidns;
	int pipes[2], to[2];
	int sfd;
	double deadline; /* monotonic ms; 0: none */
};

/* The poll @timeout shortened to the deadline; false when it has passed (the guest then killed). */
static bool before_deadline(struct watch *w, int *timeout)
{
	double left;

	if (w->deadline <= 0)
		return true;
	left = w->deadline - tb_clock_ms(CLOCK_MONOTONIC);
	if (left <= 0) {
		kill_guest(w->pid, w->pidns);
		w->deadline = 0;
		return false;
	}
	if (*timeout < 0 || left < *timeout)
		*timeout = (int)left + 1;
	return true;
}

/* The guest's output that poll found, forwarded; a pipe that has ended is closed. */
static void forward_ready(struct watch *w, const struct pollfd *pf)
{
	for (int i = 0; i < 2; i++)
		if (pf[i].revents && !forward(w->pipes[i], &w->to[i])) {
			close(w->pipes[i]);
			w->pipes[i] = -1;
		}
}

/* A signal read from w->sfd: true for the first, kept in *@sig, which kills the guest. */
static bool take_signal(struct watch *w, int *sig)
{
	struct signalfd_siginfo si;

	if (read(w->sfd, &si, sizeof(si)) != (ssize_t)sizeof(si) || *sig)
		return false;
	*sig = (int)si.ssi_signo;
	kill_guest(w->pid, w->pidns);
	w->deadline = 0;
	return true;
}

/* The guest killed and reaped unless it @exited; without a namespace, its group waited for. */
static void reap_guest(struct watch *w, bool exited)
{
	int status;

	if (!exited) {
		kill_guest(w->pid, w->pidns);
		while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	/* Without a namespace, wait (bounded) until the group is really gone. */
	for (int i = 0; !w->pidns && i < 200 && kill(-w->pid, 0) == 0; i++)
		usleep(10000);
}

/* Wait for the guest to end (and its output to drain), the deadline, or a
 * signal. Returns 0, -ETIMEDOUT or -EINTR (with *sig). */
static int supervise(struct watch *w, int *sig)
{
	int pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0), status, rc = 0;
	bool exited = false;

	while (!exited || w->pipes[0] >= 0 || w->pipes[1] >= 0) {
		struct pollfd pf[4] = {
			{ .fd = w->pipes[0], .events = POLLIN }, { .fd = w->pipes[1], .events = POLLIN },
			{ .fd = exited ? -1 : pidfd, .events = POLLIN }, { .fd = w->sfd, .events = POLLIN },
		};
		int timeout = pidfd < 0 && !exited ? 50 : -1;

		if (!before_deadline(w, &timeout)) {
			rc = -ETIMEDOUT;
			continue;
		}
		if (poll(pf, 4, timeout) < 0 && errno != EINTR)
			break;
		forward_ready(w, pf);
		if (pf[3].revents && take_signal(w, sig))
			rc = -EINTR;
		if (!exited && waitpid(w->pid, &status, WNOHANG) == w->pid) {
			exited = true;
			/* Without a namespace, helpers may outlive UML and hold the pipes. */
			if (!w->pidns)
				kill(-w->pid, SIGKILL);
			if (w->deadline == 0 || w->deadline > tb_clock_ms(CLOCK_MONOTONIC) + 2000)
				w->deadline = tb_clock_ms(CLOCK_MONOTONIC) + 2000; /* bound the drain */
		} else if (exited && w->deadline > 0 && tb_clock_ms(CLOCK_MONOTONIC) >= w->deadline) {
			break;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	reap_guest(w, exited);
	return rc;
}

/* ---- vm_run ---------------------------------------------------------------- */

static unsigned guest_counter;

static char *self_exe(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	size_t len;

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	/* Rebuilt while we run: the new binary at the same path will do. */
	len = (size_t)n;
	if (len > 10 && !strcmp(buf + len - 10, " (deleted)"))
		buf[len - 10] = '\0';
	return xstrdup(buf);
}

/* One guest from its checks to its end. */
struct boot {
	const struct vm_opts *o;
	struct vm_result *res;
	const char *kernel, *moddir;
	char *self, *cwd, *exec_path, *dir, *log_path, *modlist;
	char base[PATH_MAX];
	int log_fd, op[2], ep[2], sfd;
	char *owned[5]; /* the uml_argv strings made here */
	char *uml_argv[24];
	bool tty;                /* o->tty, and fds 0 and 1 are terminals */
	struct termios tt[2];    /* their modes, put back after the guest */
	struct sigaction oldpipe;
	sigset_t old;
	bool masked;
};

static int boot_fail(struct boot *b, int rc, const char *fmt, ...) TB_PRINTF(3, 4);

/* res->error from @fmt; returns @rc. */
static int boot_fail(struct boot *b, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->res->error, sizeof(b->res->error), fmt, ap);
	va_end(ap);
	return rc;
}

/* The kernel and its modules are there. */
static int check_kernel(struct boot *b)
{
	char *depfile;
	int rc = 0;

	if (vm_kernel_release(b->o, b->res->release, sizeof(b->res->release)) < 0)
		return boot_fail(b, -ENOENT, "no usable UML kernel at %s (%s)", b->kernel,
				 VM_PACKAGE_HINT);
	depfile = xasprintf("%s/%s/modules.dep", b->moddir, b->res->release);
	if (access(depfile, R_OK) < 0)
		rc = boot_fail(b, -ENOENT, "no modules for UML kernel %s: %s missing (%s)",
			       b->res->release, depfile, VM_PACKAGE_HINT);
	free(depfile);
	return rc;
}

/* This binary (the guest's init, through hostfs), the working directory,
 * and the command to run. */
static int find_self(struct boot *b, char *const argv[])
{
	b->self = self_exe();
	b->cwd = getcwd(NULL, 0);
	if (!b->self || !b->cwd)
		return boot_fail(b, -errno, "cannot find own executable or cwd: %s", strerror(errno));
	/* It becomes init= on the kernel command line, read through hostfs. */
	if (strpbrk(b->self, " \t\n\"") || !strncmp(b->self, "/run/", 5) ||
	    !strncmp(b->self, "/dev/", 5))
		return boot_fail(b, -ENOTSUP,
				 "cannot boot %s as a guest's init (blanks in the path, or under "
				 "/run or /dev)",
				 b->self);
	if (!strchr(argv[0], '/'))
		b->exec_path = xstrdup(b->self); /* a testbed subcommand */
	else
		b->exec_path = argv[0][0] == '/' ? xstrdup(argv[0])
						 : xasprintf("%s/%s", b->cwd, argv[0]);
	if (access(b->exec_path, X_OK) < 0)
		return boot_fail(b, -ENOEXEC, "%s: %s", b->exec_path, strerror(errno));
	return 0;
}

static int make_state(struct boot *b)
{
	int rc;

	b->dir = make_state_dir(b->base, sizeof(b->base));
	if (b->dir)
		return 0;
	rc = -errno;
	if (rc == -EPERM)
		return boot_fail(b, rc,
				 "%s is not a private directory of ours (a link, another user's, or "
				 "open to others): remove it",
				 b->base);
	return boot_fail(b, rc, "cannot make a state directory in %s: %s", b->base, strerror(-rc));
}

/* The modules to load, one per line; every name must exist. */
static int make_modlist(struct boot *b)
{
	const struct vm_opts *o = b->o;
	size_t mlen = 0, mcap = 0;

	for (const char *const *m = o->modules ? o->modules : vm_default_modules(); *m; m++) {
		char *verdir = xasprintf("%s/%s", b->moddir, b->res->release);
		int found = o->modules ? vm_module_lookup(verdir, *m, NULL) : 1;

		free(verdir);
		if (found <= 0)
			return boot_fail(b, -EINVAL, "no module \"%s\" for UML kernel %s in %s", *m,
					 b->res->release, b->moddir);
		b->modlist = tb_grow(b->modlist, &mcap, mlen + strlen(*m) + 2, 1);
		mlen += (size_t)sprintf(b->modlist + mlen, "%s\n", *m);
	}
	if (mlen == 0)
		b->modlist = xstrdup("");
	return 0;
}

/* With o->tty and a terminal on fds 0 and 1: their modes kept for
 * tty_restore() and "tty" (the window size) for the guest's init. */
static int write_tty(struct boot *b)
{
	struct winsize ws = { 0 };
	char buf[32];

	b->tty = b->o->tty && tcgetattr(0, &b->tt[0]) == 0 && tcgetattr(1, &b->tt[1]) == 0;
	if (!b->tty)
		return 0;
	if (ioctl(1, TIOCGWINSZ, &ws) < 0 || !ws.ws_row || !ws.ws_col)
		ws = (struct winsize){ .ws_row = 24, .ws_col = 80 };
	snprintf(buf, sizeof(buf), "%u %u\n", ws.ws_row, ws.ws_col);
	return write_blob(b->dir, "tty", buf, strlen(buf));
}

/* The terminal as it was before UML made it raw (a killed guest leaves it so). */
static void tty_restore(const struct boot *b)
{
	if (!b->tty)
		return;
	tcsetattr(1, TCSADRAIN, &b->tt[1]);
	tcsetattr(0, TCSADRAIN, &b->tt[0]);
}

/* What the guest's init reads from the state directory. */
static int write_state(struct boot *b, char *const argv[])
{
	char pidbuf[32];
	int rc;

	if (!strchr(argv[0], '/')) {
		/* exec path, then argv: "testbed" followed by the subcommand words */
		size_t k = 0;
		char **v;

		while (argv[k])
			k++;
		v = xcalloc(k + 2, sizeof(*v));
		v[0] = "testbed";
		memcpy(v + 1, argv, k * sizeof(*v));
		rc = write_strv(b->dir, "argv", b->exec_path, v, NULL);
		free(v);
	} else {
		rc = write_strv(b->dir, "argv", b->exec_path, argv, NULL);
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
	rc = rc ?: write_blob(b->dir, "owner", pidbuf, strlen(pidbuf));
	rc = rc ?: write_strv(b->dir, "env", NULL, environ, vm_fpu_fallback() ? fpu_env : plain_env);
	rc = rc ?: write_blob(b->dir, "cwd", b->cwd, strlen(b->cwd));
	rc = rc ?: write_blob(b->dir, "modules", b->modlist, strlen(b->modlist));
	rc = rc ?: write_blob(b->dir, "moddir", b->moddir, strlen(b->moddir));
	rc = rc ?: write_tty(b);
	return rc ? boot_fail(b, rc, "write %s: %s", b->dir, strerror(-rc)) : 0;
}

/* The console log and the pipes of the command's stdout and stderr. */
static int open_outputs(struct boot *b)
{
	b->log_path = b->o->log_path ? xstrdup(b->o->log_path) : xasprintf("%s/console.log", b->dir);
	b->log_fd = open(b->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (b->log_fd < 0)
		return boot_fail(b, -errno, "open %s: %s", b->log_path, strerror(errno));
	if (pipe2(b->op, O_CLOEXEC) < 0 || pipe2(b->ep, O_CLOEXEC) < 0)
		return boot_fail(b, -errno, "pipe: %s", strerror(errno));
	return 0;
}

static void build_uml_argv(struct boot *b)
{
	const struct vm_opts *o = b->o;
	char **v = b->uml_argv;
	int n = 0;

	snprintf(b->res->umid, sizeof(b->res->umid), "tb%d-%u-%04lx", (int)getpid(),
		 guest_counter++, (unsigned long)(tb_clock_ms(CLOCK_MONOTONIC) * 1000) & 0xffff);
	b->owned[0] = xasprintf("mem=%uM", o->mem_mb ? o->mem_mb : VM_DEFAULT_MEM_MB);
	b->owned[1] = xasprintf("umid=%s", b->res->umid);
	b->owned[2] = xasprintf("uml_dir=%s", b->dir);
	b->owned[3] = xasprintf("init=%s", b->self);
	b->owned[4] = xasprintf(VM_ENV_DIR "=%s", b->dir);
	v[n++] = (char *)b->kernel;
	v[n++] = b->owned[0];
	v[n++] = b->owned[1];
	v[n++] = b->owned[2];
	v[n++] = "rootfstype=hostfs";
	v[n++] = "rootflags=/";
	v[n++] = "rw";
	v[n++] = "printk.time=1";
	/* 0.8 s of every boot is the raid6 algorithm benchmark (Debian builds
	 * with CONFIG_RAID6_PQ_BENCHMARK); only btrfs/md RAID5/6 need it. */
	v[n++] = "initcall_blacklist=raid6_select_algo";
	v[n++] = "con=null";
	v[n++] = "ssl=null";
	v[n++] = "con0=null,fd:3";
	v[n++] = "con1=null,fd:4";
	v[n++] = "con2=null,fd:5";
	if (b->tty)
		v[n++] = "con3=fd:6,fd:7"; /* VM_TTY_CONSOLE */
	v[n++] = b->owned[3];
	v[n++] = b->owned[4];
	if (vm_fpu_fallback()) /* init's environment too (vm_fpu.c) */
		v[n++] = (char *)vm_fpu_env;
	v[n++] = "guest"; /* argv[1] of init: runs cmd_guest in init mode */
	v[n] = NULL;
}

/* A closed stdout must not kill us with the guest running; SIGINT, SIGTERM
 * and SIGHUP are read from a signalfd (unless the caller takes them). */
static void take_signals(struct boot *b)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t mask;

	sigaction(SIGPIPE, &ign, &b->oldpipe);
	b->masked = true;
	if (b->o->quiet_signals)
		return;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &b->old);
	b->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Start the guest, forward its output until it ends, and read its status. */
static int watch_guest(struct boot *b, double t0)
{
	struct spawn sp = { .uml_argv = b->uml_argv, .cwd = b->dir, .log_fd = b->log_fd,
			    .fpu_fallback = vm_fpu_fallback(),
			    .out_fd = b->op[1], .err_fd = b->ep[1], .tty = b->tty };
	struct vm_result *res = b->res;
	struct watch w = { 0 };
	int rc, sig = 0;

	sp.cpu = res->cpu = vm_guest_cpu(b->o);
	fflush(NULL);
	w.pid = spawn_guest(&sp);
	if (w.pid < 0)
		return boot_fail(b, -errno, "fork: %s", strerror(errno));
	close(b->op[1]);
	close(b->ep[1]);
	b->op[1] = b->ep[1] = -1;
	w.pidns = sp.pidns;
	w.pipes[0] = b->op[0];
	w.pipes[1] = b->ep[0];
	w.to[0] = b->o->out_fd;
	w.to[1] = b->o->err_fd;
	w.sfd = b->sfd;
	w.deadline = b->o->timeout_s > 0 ? t0 + b->o->timeout_s * 1e3 : 0;
	b->op[0] = b->ep[0] = -1; /* supervise closes them */
	rc = supervise(&w, &sig);
	for (int i = 0; i < 2; i++)
		if (w.pipes[i] >= 0)
			close(w.pipes[i]);
	res->total_ms = tb_clock_ms(CLOCK_MONOTONIC) - t0;
	res->timed_out = rc == -ETIMEDOUT;
	res->signal = sig;
	read_status(b->dir, res);
	if (rc == -ETIMEDOUT)
		rc = boot_fail(b, rc, "guest %s did not finish within %gs; killed", res->umid,
			       b->o->timeout_s);
	else if (rc == -EINTR)
		rc = boot_fail(b, rc, "interrupted by %s; guest %s killed", strsignal(sig), res->umid);
	else if (!res->have_status)
		rc = res->error[0] ? -EPROTO
				   : boot_fail(b, -EPROTO, "guest %s ended without reporting a status",
					       res->umid);
	if (rc < 0)
		log_tail(b->log_path, res->log_tail, sizeof(res->log_tail));
	return rc;
}

static void boot_free(struct boot *b)
{
	tty_restore(b);
	if (b->masked) {
		sigaction(SIGPIPE, &b->oldpipe, NULL);
		if (!b->o->quiet_signals)
			sigprocmask(SIG_SETMASK, &b->old, NULL);
		if (b->sfd >= 0)
			close(b->sfd);
	}
	for (int i = 0; i < 2; i++) {
		if (b->op[i] >= 0)
			close(b->op[i]);
		if (b->ep[i] >= 0)
			close(b->ep[i]);
	}
	if (b->log_fd >= 0)
		close(b->log_fd);
	if (b->dir)
		remove_state_dir(b->base, b->dir);
	for (size_t i = 0; i < ARRAY_SIZE(b->owned); i++)
		free(b->owned[i]);
	free(b->dir);
	free(b->self);
	free(b->cwd);
	free(b->exec_path);
	free(b->log_path);
	free(b->modlist);
}

int vm_run(const struct vm_opts *o, char *const argv[], struct vm_result *res)
{
	struct boot b = { .o = o, .res = res, .kernel = vm_kernel_path(o),
			  .moddir = o->moddir ? o->moddir : VM_DEFAULT_MODDIR, .log_fd = -1,
			  .op = { -1, -1 }, .ep = { -1, -1 }, .sfd = -1 };
	double t0 = tb_clock_ms(CLOCK_MONOTONIC);
	int rc;

	memset(res, 0, sizeof(*res));
	if (vm_unsupported())
		return boot_fail(&b, -ENOTSUP, "%s", vm_unsupported());
	if (!argv || !argv[0])
		return boot_fail(&b, -EINVAL, "no command to run");
	rc = check_kernel(&b);
	rc = rc ?: find_self(&b, argv);
	rc = rc ?: make_state(&b);
	rc = rc ?: make_modlist(&b);
	rc = rc ?: write_state(&b, argv);
	rc = rc ?: open_outputs(&b);
	if (!rc) {
		build_uml_argv(&b);
		take_signals(&b);
		rc = watch_guest(&b, t0);
	}
	boot_free(&b);
	return rc;
}
