#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/util.h"

int netns_open(const char *name)
{
	char path[256];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", TB_NETNS_DIR, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int netns_run_in(int nsfd, int (*fn)(void *arg), void *arg)
{
	int self, rc;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		rc = -errno;
		close(self);
		return rc;
	}
	rc = fn(arg);
	if (setns(self, CLONE_NEWNET) < 0) {
		tb_err("cannot return to the original network namespace: %m");
		abort();
	}
	close(self);
	return rc;
}

struct sock_args {
	int domain, type, proto;
};

static int open_sock(void *p)
{
	struct sock_args *a = p;
	int fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->proto);

	return fd < 0 ? -errno : fd;
}

int netns_socket(int nsfd, int domain, int type, int proto)
{
	struct sock_args a = { domain, type, proto };

	return netns_run_in(nsfd, open_sock, &a);
}

int netns_prepare_dir(void)
{
	if (mkdir(TB_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	/* Same dance as iproute2: make it shared; if it is not a mount point yet
	 * (EINVAL), bind it onto itself first. */
	if (mount("", TB_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(TB_NETNS_DIR, TB_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (mount("", TB_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return -errno;
	return 0;
}

static int ns_path(const char *name, char *path, size_t len)
{
	if (!*name || strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	if (snprintf(path, len, "%s/%s", TB_NETNS_DIR, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int netns_reserve(const char *name)
{
	char path[256];
	int fd, rc = ns_path(name, path, sizeof(path));

	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

void netns_unreserve(const char *name)
{
	char path[256];
	struct stat st;

	if (ns_path(name, path, sizeof(path)) || netns_inode(name) ||
	    lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size)
		return;
	unlink(path);
}

int netns_mount(const char *name, int *nsfd, int (*fn)(void *arg), void *arg)
{
	return netns_mount_from(name, -1, nsfd, fn, arg);
}

int netns_mount_from(const char *name, int parent, int *nsfd, int (*fn)(void *arg), void *arg)
{
	char path[256];
	int self, fd, rc = ns_path(name, path, sizeof(path));

	if (rc)
		return rc;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if ((parent >= 0 && setns(parent, CLONE_NEWNET) < 0) || unshare(CLONE_NEWNET) < 0) {
		rc = -errno;
		if (setns(self, CLONE_NEWNET) < 0) {
			tb_err("cannot return to the original network namespace: %m");
			abort();
		}
		close(self);
		return rc;
	}
	rc = 0;
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
		rc = -errno;
	fd = rc ? -1 : open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (!rc && fd < 0)
		rc = -errno;
	if (!rc && fn)
		rc = fn(arg);
	if (setns(self, CLONE_NEWNET) < 0) {
		tb_err("cannot return to the original network namespace: %m");
		abort();
	}
	close(self);
	if (rc) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	*nsfd = fd;
	return 0;
}

int netns_parent_open(unsigned ehash_entries)
{
	char val[16];
	int self, fd, rc = 0;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		rc = -errno;
		close(self);
		return rc;
	}
	/* /proc/sys/net is the opening thread's namespace: this one */
	fd = open("/proc/sys/net/ipv4/tcp_child_ehash_entries", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
	} else {
		int n = snprintf(val, sizeof(val), "%u", ehash_entries);

		if (write(fd, val, (size_t)n) != n)
			rc = -errno;
		close(fd);
	}
	fd = rc ? -1 : open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (!rc && fd < 0)
		rc = -errno;
	if (setns(self, CLONE_NEWNET) < 0) {
		tb_err("cannot return to the original network namespace: %m");
		abort();
	}
	close(self);
	return rc ? rc : fd;
}

int netns_remove(const char *name)
{
	char path[256];
	int rc = ns_path(name, path, sizeof(path));

	if (rc)
		return rc;
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

unsigned long netns_inode(const char *name)
{
	static dev_t dir_dev;
	static bool have_dir;
	char path[256];
	struct stat st, dir;

	if (ns_path(name, path, sizeof(path)) || stat(path, &st) < 0)
		return 0;
	if (!have_dir) {
		if (stat(TB_NETNS_DIR, &dir) < 0)
			return 0;
		dir_dev = dir.st_dev;
		have_dir = true;
	}
	/* The reserved placeholder lives on the directory's file system; a
	 * mounted namespace is an nsfs inode on another device. */
	return st.st_dev == dir_dev ? 0 : (unsigned long)st.st_ino;
}
