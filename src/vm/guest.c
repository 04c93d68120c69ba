/* Init of a UML guest booted by vm_run(). The guest's root is the host's
 * filesystem (hostfs), so this is the same testbed binary, and everything
 * it needs arrives as files in the state directory named by TB_GUEST_DIR:
 * it mounts the pseudo filesystems, loads kernel modules with finit_module(2)
 * (dependencies from modules.dep, no kmod), brings up lo, runs the command
 * with its stdout/stderr on consoles 1 and 2 (pipes on the host), or on
 * console 3 (the host's terminal) as its controlling terminal, writes the
 * command's status to the state directory and powers off. It must never
 * exit: init exiting is a kernel panic. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "vm.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

static char status_buf[4096];
static size_t status_len;

TB_PRINTF(1, 2) static void status_add(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(status_buf + status_len, sizeof(status_buf) - status_len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(status_buf) - status_len)
		status_len += (size_t)n;
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char *path = xasprintf("%s/%s", dir, name), *buf = NULL;
	size_t cap = 0, n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	free(path);
	if (fd < 0)
		return NULL;
	do {
		buf = tb_grow(buf, &cap, n + 4097, 1);
		r = read(fd, buf + n, 4096);
		if (r > 0)
			n += (size_t)r;
	} while (r > 0 || (r < 0 && errno == EINTR));
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* NUL-separated list into a NULL-terminated vector pointing into @buf. */
static char **split0(char *buf, size_t len)
{
	size_t n = 0, cap = 0;
	char **v = NULL;

	for (size_t off = 0; off < len; off += strlen(buf + off) + 1) {
		v = tb_grow(v, &cap, n + 1, sizeof(*v));
		v[n++] = buf + off;
	}
	v = tb_grow(v, &cap, n + 1, sizeof(*v));
	v[n] = NULL;
	return v;
}

static void mount_fs(const char *src, const char *dst, const char *type, const char *opts)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, MS_NOSUID | (strcmp(type, "devtmpfs") ? MS_NODEV : 0), opts) < 0 &&
	    errno != EBUSY)
		status_add("warning=mount %s on %s: %s\n", type, dst, strerror(errno));
}

/* ---- modules ---------------------------------------------------------------- */

struct loader {
	char verdir[256];
	unsigned loaded;
	int depth;
};

static int load_path(struct loader *l, const char *rel)
{
	char *path = xasprintf("%s/%s", l->verdir, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags = 0, rc = 0;
	size_t len = strlen(rel);

	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	/* A compressed module is handed to the kernel as is: it decompresses
	 * when built with CONFIG_MODULE_DECOMPRESS, else says EINVAL. */
	if ((len > 3 && !strcmp(rel + len - 3, ".xz")) || (len > 3 && !strcmp(rel + len - 3, ".gz")) ||
	    (len > 4 && !strcmp(rel + len - 4, ".zst")))
		flags = MODULE_INIT_COMPRESSED_FILE;
	if (syscall(SYS_finit_module, fd, "", flags) < 0 && errno != EEXIST)
		rc = -errno;
	else if (rc == 0)
		l->loaded++;
	close(fd);
out:
	if (rc < 0)
		status_add("warning=load %s: %s\n", path, strerror(-rc));
	free(path);
	return rc;
}

/* Load @name after its dependencies, which modules.dep lists with the
 * deepest last (modprobe loads that list back to front). */
static int load_module(struct loader *l, const char *name, bool required)
{
	char *line = NULL, *deps, *tok[64];
	int n = 0, rc;

	rc = vm_module_lookup(l->verdir, name, &line);
	if (rc <= 0) {
		if (required)
			status_add("warning=module %s: %s\n", name,
				   rc == 0 ? "not found in modules.dep" : strerror(-rc));
		return rc == 0 ? -ENOENT : rc;
	}
	if (rc == 2)
		return 0; /* built in */
	deps = strchr(line, ':');
	if (!deps) {
		free(line);
		return -EINVAL;
	}
	*deps++ = '\0';
	for (char *save = NULL, *t = strtok_r(deps, " \t", &save); t && n < 64;
	     t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	for (int i = n - 1; i >= 0; i--)
		load_path(l, tok[i]);
	rc = load_path(l, line);
	free(line);
	return rc;
}

static void load_modules(const char *dir)
{
	struct loader l = { 0 };
	struct utsname u;
	char *list = slurp(dir, "modules", NULL), *moddir = slurp(dir, "moddir", NULL);
	double t0 = tb_clock_ms(CLOCK_BOOTTIME);

	uname(&u);
	snprintf(l.verdir, sizeof(l.verdir), "%s/%s", moddir && *moddir ? moddir : VM_DEFAULT_MODDIR,
		 u.release);
	free(moddir);
	for (char *save = NULL, *m = list ? strtok_r(list, "\n", &save) : NULL; m;
	     m = strtok_r(NULL, "\n", &save)) {
		bool dflt = false;

		for (const char *const *d = vm_default_modules(); *d && !dflt; d++)
			dflt = !strcmp(*d, m);
		load_module(&l, m, !dflt);
	}
	free(list);
	status_add("modules=%u\nmodules_ms=%.1f\n", l.loaded, tb_clock_ms(CLOCK_BOOTTIME) - t0);
}

static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			status_add("warning=bring up lo: %s\n", strerror(errno));
	}
	close(fd);
}

/* Console @n (a pipe on the host) as a raw, byte-exact output. */
static int open_console(int n)
{
	char path[32];
	struct termios t;
	int fd;

	snprintf(path, sizeof(path), "/dev/tty%d", n);
	fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		status_add("warning=open %s: %s\n", path, strerror(errno));
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	}
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static void write_status(const char *dir)
{
	char *path = xasprintf("%s/status", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	free(path);
	if (fd >= 0) {
		if (write(fd, status_buf, status_len) < 0) {
			/* nothing to do: the host reports a missing status */
		}
		fsync(fd);
		close(fd);
	}
}

static void power_off(const char *dir, int out, int err)
{
	if (dir)
		write_status(dir);
	sync();
	if (out >= 0)
		tcdrain(out);
	if (err >= 0)
		tcdrain(err);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/* The host's terminal (VM_TTY_CONSOLE) as the controlling terminal of the
 * calling session leader, with the window size @size ("ROWS COLS"); an
 * O_CLOEXEC fd or -1. The guest's line discipline edits lines and sends
 * ^C's SIGINT to the foreground job. */
static int take_tty(const char *size)
{
	struct winsize ws = { 0 };
	struct termios t;
	char path[32];
	unsigned r = 0, c = 0;
	int fd;

	snprintf(path, sizeof(path), "/dev/tty%d", VM_TTY_CONSOLE);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		return -1;
	if (sscanf(size, "%u %u", &r, &c) == 2 && r && c) {
		ws.ws_row = (unsigned short)r;
		ws.ws_col = (unsigned short)c;
		ioctl(fd, TIOCSWINSZ, &ws);
	}
	if (tcgetattr(fd, &t) == 0) { /* a terminal's usual modes, whatever it had */
		t.c_iflag |= ICRNL | IXON;
		t.c_oflag |= OPOST | ONLCR;
		t.c_lflag |= ICANON | ISIG | IEXTEN | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE;
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

/* The command's child: its own session, stdin @null, stdout @out, stderr @err
 * (all three the host's terminal when @tty is not NULL), then exec. */
static void __attribute__((noreturn)) exec_command(int null, int out, int err, const char *tty,
						   const char *cwd, char **argv, char **envp)
{
	setsid();
	if (tty) {
		int fd = take_tty(tty);

		if (fd < 0) {
			dprintf(err, "testbed guest: the terminal (tty%d): %s\n", VM_TTY_CONSOLE,
				strerror(errno));
			_exit(126);
		}
		null = out = err = fd;
	}
	if (dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	if (chdir(cwd) < 0)
		dprintf(2, "testbed guest: chdir %s: %s\n", cwd, strerror(errno));
	execve(argv[0], argv + 1, envp);
	dprintf(2, "testbed guest: exec %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* What the command wrote to the host's terminal, out before the power-off. */
static void drain_tty(void)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/tty%d", VM_TTY_CONSOLE);
	fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		tcdrain(fd);
		close(fd);
	}
}

/* Run the command; its status, shell-style, into the status buffer. */
static void run_command(const char *dir, int out, int err)
{
	size_t alen = 0, elen = 0;
	char *abuf = slurp(dir, "argv", &alen), *ebuf = slurp(dir, "env", &elen);
	char *cwd = slurp(dir, "cwd", NULL), *tty = slurp(dir, "tty", NULL), **argv, **envp;
	double t0 = tb_clock_ms(CLOCK_BOOTTIME);
	int status, null;
	pid_t pid, p;

	if (!abuf || !ebuf || !cwd || alen == 0) {
		status_add("error=cannot read the command from %s\n", dir);
		return;
	}
	argv = split0(abuf, alen);
	envp = split0(ebuf, elen);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid = fork();
	if (pid == 0)
		exec_command(null, out, err, tty, cwd, argv, envp);
	if (pid < 0) {
		status_add("error=fork: %s\n", strerror(errno));
		goto out;
	}
	/* As init, reap every orphan until our command ends. */
	while ((p = wait(&status)) != pid)
		if (p < 0 && errno != EINTR) {
			status_add("error=wait: %s\n", strerror(errno));
			goto out;
		}
	status_add("run_ms=%.1f\n", tb_clock_ms(CLOCK_BOOTTIME) - t0);
	if (tty)
		drain_tty();
	if (WIFEXITED(status))
		status_add("exit=%d\n", WEXITSTATUS(status));
	else
		status_add("signal=%d\n", WTERMSIG(status));
out:
	if (null >= 0)
		close(null);
	free(argv);
	free(envp);
	free(abuf);
	free(ebuf);
	free(cwd);
	free(tty);
}

int guest_init_main(void)
{
	const char *dir = getenv(VM_ENV_DIR);
	struct utsname u;
	int out, err;

	if (getpid() != 1 || !dir) {
		tb_err("guest: init mode is for the UML guest's PID 1 only");
		return TB_EXIT_USAGE;
	}
	status_add("boot_ms=%.1f\n", tb_clock_ms(CLOCK_BOOTTIME));
	mount_fs("proc", "/proc", "proc", NULL);
	mount_fs("sysfs", "/sys", "sysfs", NULL);
	if (access("/dev/tty1", F_OK) < 0)
		mount_fs("devtmpfs", "/dev", "devtmpfs", NULL);
	mount_fs("devpts", "/dev/pts", "devpts", "newinstance,ptmxmode=0666");
	mount_fs("tmpfs", "/dev/shm", "tmpfs", "mode=1777");
	mount_fs("tmpfs", "/run", "tmpfs", "mode=0755");
	mkdir("/run/netns", 0755);
	mkdir("/run/lock", 01777);
	if (uname(&u) == 0)
		status_add("release=%s\nversion=%s\n", u.release, u.version);
	out = open_console(1);
	err = open_console(2);
	/* Requests for modules we did not load must fail fast, not exec a
	 * modprobe that looks in the host's /lib/modules. */
	{
		int fd = open("/proc/sys/kernel/modprobe", O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (write(fd, "\n", 1) < 0) {
				/* an unusable modprobe fails the same way */
			}
			close(fd);
		}
	}
	load_modules(dir);
	lo_up();
	run_command(dir, out, err);
	power_off(dir, out, err);
	return TB_EXIT_FAIL; /* not reached */
}
