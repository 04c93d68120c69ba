/* Kernel feature probe. Qdisc kinds cannot be listed, only tried: a child
 * process enters a fresh network namespace (so nothing it does is visible
 * anywhere else, and everything vanishes with it), asks for each kind as
 * the root qdisc of its loopback device, and reports which the kernel knew.
 * The kernel answers ENOENT ("Specified qdisc kind is unknown") before it
 * looks at any option, so a request without options tells present (0,
 * EINVAL, ...) from absent (ENOENT) for every kind. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qdisc_ops.h"
#include "rtnl.h"
#include "util/util.h"

/* Kinds probed besides those the testbed installs (qdisc_ops.h). */
static const char *const other_qdisc_kinds[] = {
	"pfifo_fast", "sfq", "prio", "pie", "red", "hfsc", "drr", "choke", "ingress", "clsact", NULL,
};

/* Every kind probed, bit i of probe.qdiscs for qdisc_kinds[i]: filled
 * before the first probe forks (the child allocates nothing). */
static const char *qdisc_kinds[33];

static const char *const link_kinds[] = { "veth", "dummy", "ifb", NULL };

static struct probe cached;
static bool have_cached;

const char *const *probe_qdisc_kinds(void)
{
	const struct qdisc_ops *o;
	size_t n = 0;

	if (qdisc_kinds[0])
		return qdisc_kinds;
	for (size_t i = 0; (o = qdisc_ops_at(i)) && n < 32; i++)
		qdisc_kinds[n++] = qdisc_ops_kind(o);
	for (size_t i = 0; other_qdisc_kinds[i] && n < 32; i++)
		qdisc_kinds[n++] = other_qdisc_kinds[i];
	return qdisc_kinds;
}
const char *const *probe_link_kinds(void) { return link_kinds; }

static int kind_index(const char *const *kinds, const char *kind)
{
	for (int i = 0; kinds[i]; i++)
		if (!strcmp(kinds[i], kind))
			return i;
	return -1;
}

/* One request; the kernel's verdict (0 or -errno). */
static int nl_talk(int fd, struct nlmsghdr *nlh)
{
	char ack[128];

	return rtnl_talk_fd(fd, nlh, ack, sizeof(ack));
}

static int qdisc_msg(int fd, int type, int flags, const char *kind, unsigned seq)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tc;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	tc = mnl_nlmsg_put_extra_header(nlh, sizeof(*tc));
	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = (int)if_nametoindex("lo");
	if (!strcmp(kind, "ingress") || !strcmp(kind, "clsact")) {
		tc->tcm_parent = !strcmp(kind, "ingress") ? TC_H_INGRESS : TC_H_CLSACT;
		tc->tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
	} else {
		tc->tcm_parent = TC_H_ROOT;
	}
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	return nl_talk(fd, nlh);
}

static int link_msg(int fd, const char *kind, unsigned seq)
{
	char buf[512], name[IFNAMSIZ];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct nlattr *info;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	snprintf(name, sizeof(name), "tbprobe%u", seq);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, info);
	return nl_talk(fd, nlh);
}

/* Child side: runs in its own process, so the namespace switch never
 * touches the caller's threads. Only stack buffers: the caller may have
 * other threads holding the malloc lock at fork time. */
static void child_probe(int out)
{
	uint32_t res[3] = { 0, 0, 0 }; /* errno of unshare, qdisc bits, link bits */
	unsigned seq = 1;
	int fd, rc;

	if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
		res[0] = (uint32_t)errno;
		goto out;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		res[0] = (uint32_t)errno;
		goto out;
	}
	for (int i = 0; qdisc_kinds[i]; i++) {
		rc = qdisc_msg(fd, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, qdisc_kinds[i], seq++);
		if (rc != -ENOENT && rc != -EPERM)
			res[1] |= 1u << i;
		/* Roll back, so the next kind finds the root free again. */
		if (rc == 0)
			qdisc_msg(fd, RTM_DELQDISC, 0, qdisc_kinds[i], seq++);
	}
	for (int i = 0; link_kinds[i]; i++) {
		rc = link_msg(fd, link_kinds[i], seq++);
		if (rc != -EOPNOTSUPP && rc != -ENOENT && rc != -EPERM)
			res[2] |= 1u << i;
	}
	close(fd);
out:
	if (write(out, res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(1);
	_exit(0);
}

static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* The qdisc and link kinds into @p, from child_probe in a process of its own; -errno: no pipe. */
static int probe_in_child(struct probe *p)
{
	uint32_t res[3];
	int pfd[2], status;
	pid_t pid;
	ssize_t n;

	probe_qdisc_kinds();
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		p->qdisc_errno = errno;
		close(pfd[0]);
		close(pfd[1]);
		return 0;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_probe(pfd[1]);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], res, sizeof(res));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(res)) {
		p->qdisc_errno = EIO;
	} else if (res[0]) {
		p->qdisc_errno = (int)res[0];
	} else {
		p->qdiscs_probed = true;
		p->qdiscs = res[1];
		p->links = res[2];
	}
	return 0;
}

int probe_kernel_files(struct probe *p)
{
	struct utsname u;

	memset(p, 0, sizeof(*p));
	if (uname(&u) < 0)
		return -errno;
	snprintf(p->release, sizeof(p->release), "%s", u.release);
	p->modules = access("/proc/modules", F_OK) == 0;
	read_line("/proc/sys/net/ipv4/tcp_available_congestion_control", p->cc_available,
		  sizeof(p->cc_available));
	read_line("/proc/sys/net/ipv4/tcp_allowed_congestion_control", p->cc_allowed,
		  sizeof(p->cc_allowed));
	return 0;
}

static int probe_now(struct probe *p)
{
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = probe_kernel_files(p);
	if (rc)
		return rc;
	rc = probe_in_child(p);
	if (rc)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	p->elapsed_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	return 0;
}

int probe_kernel(struct probe *out)
{
	int rc;

	if (!have_cached) {
		rc = probe_now(&cached);
		if (rc < 0)
			return rc;
		have_cached = true;
	}
	*out = cached;
	return 0;
}

void probe_reset(void)
{
	have_cached = false;
}

bool probe_has_qdisc(const struct probe *p, const char *kind)
{
	int i = kind_index(probe_qdisc_kinds(), kind);

	return p->qdiscs_probed && i >= 0 && (p->qdiscs & (1u << i));
}

bool probe_has_link(const struct probe *p, const char *kind)
{
	int i = kind_index(link_kinds, kind);

	return p->qdiscs_probed && i >= 0 && (p->links & (1u << i));
}

bool probe_has_cc(const struct probe *p, const char *cc)
{
	size_t len = strlen(cc);

	for (const char *s = p->cc_available; *s;) {
		size_t w = strcspn(s, " \t");

		if (w == len && !strncmp(s, cc, len))
			return true;
		s += w;
		s += strspn(s, " \t");
	}
	return false;
}
