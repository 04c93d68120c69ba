#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

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
