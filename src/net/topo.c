#include "topo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "link.h"
#include "netns.h"
#include "plan.h"
#include "sysctl.h"
#include "topo_int.h"
#include "util/util.h"

/* Buckets of each node's TCP established hash: an empty dump of a
 * namespace walks them all (the host's is 262,144 on the development
 * machine), and 4096 keep chains short up to a few thousand sockets. */
#define TOPO_EHASH_ENTRIES 4096

/* "file:line: " of a config object, or "" */
static const char *loc_prefix(const struct tb_loc *loc, char *buf, size_t len)
{
	buf[0] = 0;
	if (loc && loc->file && loc->line > 0)
		snprintf(buf, len, "%s:%d: ", loc->file, loc->line);
	return buf;
}

/* TESTBED_PROFILE=1: time of each build phase on stderr (bench/topo) */
static void prof(const char *what)
{
	static double last;
	struct timespec ts;
	double now;

	if (!getenv("TESTBED_PROFILE"))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
	if (last)
		fprintf(stderr, "profile: %-28s %8.1f ms\n", what, now - last);
	last = now;
}

static int check_interrupt(const struct topo_opts *o, struct topo_err *err)
{
	int sig = o->interrupted ? o->interrupted(o->intr_arg) : 0;

	if (sig)
		return topo_fail(err, -EINTR, "interrupted by SIG%s: rolled back",
				 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
	return 0;
}

/* A build holds a namespace fd and a netlink socket per node (and an ioctl
 * socket per node with shaped links): big topologies need more than the
 * usual soft limit of 1024. */
static void raise_fd_limit(size_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void warn_stale(void)
{
	struct journal_run *runs;
	size_t n, stale = 0;
	char ids[128] = "";

	if (journal_list(&runs, &n))
		return;
	for (size_t i = 0; i < n; i++)
		if (!runs[i].live) {
			size_t l = strlen(ids);

			if (l < sizeof(ids) - 20)
				snprintf(ids + l, sizeof(ids) - l, "%s%s", stale ? " " : "", runs[i].id);
			stale++;
		}
	if (stale)
		tb_warn("%zu stale run%s (%s) left by a process that died: run 'testbed cleanup'", stale,
			stale > 1 ? "s" : "", ids);
	free(runs);
}

struct node_setup {
	const struct tb_config *c;
	struct topo *t;
	int node;
	bool late;            /* second pass, after the links exist */
	struct rtnl *nl;
	struct topo_err *err;
};

/* First pass: the node's rtnetlink socket, forwarding, no DAD, the namespace's socket limits. */
static int node_defaults(struct node_setup *a, const struct tb_node *n)
{
	int rc;

	rc = rtnl_open(-1, &a->nl);
	if (rc)
		return topo_fail(a->err, rc, "node %s: open rtnetlink: %s", n->name, strerror(-rc));
	/* explicit either way: a new namespace may inherit the host's
	 * IPv4 forwarding (net.core.devconf_inherit_init_net = 0) */
	rc = sysctl_write("net.ipv4.ip_forward", n->forward ? "1" : "0");
	if (!rc && a->t->ipv6)
		rc = sysctl_write("net.ipv6.conf.all.forwarding", n->forward ? "1" : "0");
	/* no DAD on the interfaces to come: a tentative link-local address
	 * cannot source neighbour solicitations, and the first packets to a
	 * fresh router would wait a second for it */
	if (!rc && a->t->ipv6)
		rc = sysctl_write("net.ipv6.conf.default.accept_dad", "0");
	if (rc)
		return topo_fail(a->err, rc, "node %s: forwarding and DAD sysctls: %s", n->name,
				 strerror(-rc));
	/* before the node's own sysctls, which may set them */
	if (a->t->parent_fd >= 0) {
		rc = sysctl_write("net.ipv4.tcp_max_tw_buckets", a->t->max_tw);
		if (!rc)
			rc = sysctl_write("net.ipv4.tcp_max_syn_backlog", a->t->max_syn);
		if (rc)
			return topo_fail(a->err, rc, "node %s: TIME-WAIT and SYN backlog limits: %s",
					 n->name, strerror(-rc));
	}
	return 0;
}

/* The node's own sysctls; an interface key not there yet waits for the late pass. */
static int node_sysctls(struct node_setup *a, const struct tb_node *n, struct topo_node *tn)
{
	char where[300];
	int rc;

	for (size_t i = 0; i < n->n_sysctls; i++) {
		const struct tb_sysctl *s = &n->sysctls[i];

		if (a->late && !tn->deferred[i])
			continue;
		if (!sysctl_exists(s->key)) {
			/* interface keys (net.ipv4.conf.eth0.*) appear with the links */
			if (!a->late) {
				tn->deferred[i] = true;
				continue;
			}
			return topo_fail(a->err, -ENOENT, "%snode %s: sysctl %s: %s",
					 loc_prefix(&s->loc, where, sizeof(where)), n->name, s->key,
					 "no such key inside a network namespace");
		}
		/* host-wide net.* keys show up read-only inside a namespace */
		if (!sysctl_writable(s->key))
			return topo_fail(a->err, -EACCES,
					 "%snode %s: sysctl %s is host-wide (read-only inside a network "
					 "namespace): refused",
					 loc_prefix(&s->loc, where, sizeof(where)), n->name, s->key);
		rc = sysctl_write(s->key, s->value);
		if (rc)
			return topo_fail(a->err, rc, "%snode %s: sysctl %s = %s: %s",
					 loc_prefix(&s->loc, where, sizeof(where)), n->name, s->key, s->value,
					 strerror(-rc));
	}
	return 0;
}

/* Runs inside the node's namespace. */
static int node_setup(void *p)
{
	struct node_setup *a = p;
	const struct tb_node *n = &a->c->nodes[a->node];
	int rc;

	if (!a->late) {
		rc = node_defaults(a, n);
		if (rc)
			return rc;
	}
	return node_sysctls(a, n, &a->t->nodes[a->node]);
}

/* A key that exists on the host but not in the node's namespace is a
 * host-wide one: say so instead of "no such key". */
static void explain_sysctl(struct topo_err *err, const struct tb_config *c, int node)
{
	const struct tb_node *n = &c->nodes[node];

	for (size_t i = 0; i < n->n_sysctls; i++)
		if (strstr(err->msg, n->sysctls[i].key) && sysctl_exists(n->sysctls[i].key)) {
			char where[300];

			snprintf(err->msg, sizeof(err->msg),
				 "%snode %s: sysctl %s is host-wide, not per network namespace: refused "
				 "(set it on the host if you mean it)",
				 loc_prefix(&n->sysctls[i].loc, where, sizeof(where)), n->name,
				 n->sysctls[i].key);
			return;
		}
}

static int create_node(struct topo *t, const struct topo_opts *o, size_t i, struct topo_err *err)
{
	const struct tb_config *c = t->c;
	struct topo_node *tn = &t->nodes[i];
	struct node_setup a = { c, t, (int)i, false, NULL, err };
	int rc = check_interrupt(o, err);

	if (rc)
		return rc;
	snprintf(tn->nsname, sizeof(tn->nsname), "%s-%s", journal_id(t->j), c->nodes[i].name);
	/* the intent first: killed between the two, the run leaves an empty
	 * placeholder under /run/netns that cleanup must find (journal.c) */
	rc = journal_add(t->j, "nsresv %s", tn->nsname);
	if (rc)
		return topo_fail(err, rc, "node %s: journal: %s", c->nodes[i].name, strerror(-rc));
	rc = netns_reserve(tn->nsname);
	if (rc)
		return topo_fail(err, rc, "node %s: create namespace %s: %s", c->nodes[i].name, tn->nsname,
				 strerror(-rc));
	rc = journal_add(t->j, "netns %s", tn->nsname);
	if (rc) {
		netns_remove(tn->nsname);
		return topo_fail(err, rc, "node %s: journal: %s", c->nodes[i].name, strerror(-rc));
	}
	tn->deferred = xcalloc(c->nodes[i].n_sysctls + 1, sizeof(bool));
	tn->next_ifindex = 2; /* lo is 1 in a new namespace */
	rc = netns_mount_from(tn->nsname, t->parent_fd, &tn->nsfd, node_setup, &a);
	tn->nl = a.nl;
	if (rc)
		return err->code ? rc
				 : topo_fail(err, rc, "node %s: create namespace %s: %s",
					     c->nodes[i].name, tn->nsname, strerror(-rc));
	return 0;
}

static int read_limits(void *p)
{
	struct topo *t = p;
	int rc = sysctl_read("net.ipv4.tcp_max_tw_buckets", t->max_tw, sizeof(t->max_tw));

	return rc ? rc : sysctl_read("net.ipv4.tcp_max_syn_backlog", t->max_syn, sizeof(t->max_syn));
}

/* The namespace the nodes are created from. Its own limits are the ones a
 * namespace created on this host gets (it shares the host's hash). Without
 * it (kernel before 6.1) the nodes share the host's hash, as before. */
static void open_parent(struct topo *t)
{
	int fd = netns_parent_open(TOPO_EHASH_ENTRIES), rc;

	if (fd < 0) {
		if (fd != -ENOENT)
			tb_warn("per-node TCP hash: %s; nodes share the host's", strerror(-fd));
		return;
	}
	rc = netns_run_in(fd, read_limits, t);
	if (rc) {
		tb_warn("per-node TCP hash: read TIME-WAIT and SYN backlog limits: %s; nodes share "
			"the host's hash", strerror(-rc));
		close(fd);
		return;
	}
	t->parent_fd = fd;
}

/*
 * Namespaces are created by a few threads at once: creating one is most of
 * a node's cost, and the kernel runs several setup_net() in parallel. Each
 * thread unshares and switches back its own namespace (a thread's network
 * namespace is its own), journal lines are single O_APPEND writes, and the
 * first error stops everyone. Links, addresses and routes are sequential:
 * the kernel serialises them on the RTNL anyway.
 */
struct node_pool {
	struct topo *t;
	const struct topo_opts *o;
	int (*fn)(struct topo *t, const struct topo_opts *o, size_t i, struct topo_err *err);
	pthread_mutex_t lock;
	size_t next;
	int rc;
	struct topo_err *err;
};

static void *node_worker(void *p)
{
	struct node_pool *np = p;

	for (;;) {
		struct topo_err e = { 0 };
		size_t i;
		int rc;

		pthread_mutex_lock(&np->lock);
		i = np->next++;
		rc = np->rc;
		pthread_mutex_unlock(&np->lock);
		if (rc || i >= np->t->c->n_nodes)
			return NULL;
		rc = np->fn(np->t, np->o, i, &e);
		if (rc) {
			pthread_mutex_lock(&np->lock);
			if (!np->rc) {
				np->rc = rc;
				*np->err = e;
			}
			pthread_mutex_unlock(&np->lock);
			return NULL;
		}
	}
}

/* fn(t, o, i, err) for every node i, from a few threads */
static int for_nodes(struct topo *t, const struct topo_opts *o,
		     int (*fn)(struct topo *t, const struct topo_opts *o, size_t i, struct topo_err *err),
		     struct topo_err *err)
{
	struct node_pool np = { t, o, fn, PTHREAD_MUTEX_INITIALIZER, 0, 0, err };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n_threads = cpus < 1 ? 1 : cpus > 4 ? 4 : (size_t)cpus;
	pthread_t th[4];
	size_t started = 0;

	if (t->c->n_nodes < 8)
		n_threads = 1;
	/* the calling thread works too */
	for (size_t k = 1; k < n_threads; k++)
		if (tb_thread_start(&th[started], node_worker, &np) == 0)
			started++;
	node_worker(&np);
	for (size_t k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	pthread_mutex_destroy(&np.lock);
	return np.rc;
}

static int create_links(struct topo *t, const struct topo_opts *o, struct topo_err *err)
{
	const struct tb_config *c = t->c;

	for (size_t l = 0; l < c->n_links; l++) {
		const struct tb_link *lk = &c->links[l];
		struct link_veth_end e[2];
		char buf[300];
		int rc = check_interrupt(o, err);

		if (rc)
			return rc;
		for (int k = 0; k < 2; k++) {
			struct topo_node *tn = &t->nodes[lk->end[k].node];

			e[k] = (struct link_veth_end){ tn->nsfd, t->plan->ends[l][k].ifname, tn->next_ifindex,
						       lk->mtu ? lk->mtu : c->topo.mtu ? c->topo.mtu : 1500,
						       t->plan->ends[l][k].mac };
		}
		/* sent from end 0's namespace: its wanted ifindex is looked up there */
		e[0].nsfd = -1;
		rc = link_veth_add(t->nodes[lk->end[0].node].nl, &e[0], &e[1]);
		if (rc)
			return topo_fail(err, rc, "link %s: add veth %s/%s: %s", lk->name,
					 c->nodes[lk->end[0].node].name, e[0].ifname,
					 topo_why(rc, t->nodes[lk->end[0].node].nl, buf, sizeof(buf)));
		rc = journal_add(t->j, "veth %s %s", t->nodes[lk->end[0].node].nsname, e[0].ifname);
		if (rc)
			return topo_fail(err, rc, "link %s: journal: %s", lk->name, strerror(-rc));
		for (int k = 0; k < 2; k++) {
			struct topo_node *tn = &t->nodes[lk->end[k].node];

			if (e[k].ifindex)
				tn->next_ifindex = e[k].ifindex + 1;
			else
				e[k].ifindex = link_ifindex(tn->nl, e[k].ifname);
			if (e[k].ifindex < 0)
				return topo_fail(err, e[k].ifindex, "link %s: find %s/%s: %s", lk->name,
						 c->nodes[lk->end[k].node].name, e[k].ifname,
						 strerror(-e[k].ifindex));
			t->ifindex[l][k] = e[k].ifindex;
		}
	}
	return 0;
}

/* "auto" turns offloads off on every link as soon as any link is shaped:
 * GRO on a router's unshaped ingress hands the shaped egress 64 KB
 * aggregates, and netem then drops several segments at once. */
static bool offloads_off(const struct tb_config *c, const struct tb_link *l)
{
	bool shaped = false;

	if (l->offload >= 0)
		return l->offload == 0;
	for (size_t i = 0; i < c->n_links && !shaped; i++)
		shaped = c->links[i].dir[0].set || c->links[i].dir[1].set;
	return shaped;
}

static int finish_links(struct topo *t, const struct topo_opts *o, struct topo_err *err)
{
	const struct tb_config *c = t->c;

	for (size_t l = 0; l < c->n_links; l++) {
		const struct tb_link *lk = &c->links[l];
		int rc;

		if (offloads_off(c, lk))
			for (int e = 0; e < 2; e++) {
				struct topo_node *tn = &t->nodes[lk->end[e].node];

				if (tn->iofd < 0) {
					tn->iofd = netns_socket(tn->nsfd, AF_INET, SOCK_DGRAM, 0);
					if (tn->iofd < 0)
						return topo_fail(err, tn->iofd, "node %s: socket: %s",
								 c->nodes[lk->end[e].node].name, strerror(-tn->iofd));
				}
				rc = link_offloads(tn->iofd, t->plan->ends[l][e].ifname, false);
				if (rc)
					return topo_fail(err, rc, "link %s: turn offloads off on %s/%s: %s", lk->name,
							 c->nodes[lk->end[e].node].name, t->plan->ends[l][e].ifname,
							 strerror(-rc));
			}
		for (int d = 0; d < 2 && o->shape; d++) {
			if (!lk->dir[d].set)
				continue;
			rc = check_interrupt(o, err);
			if (!rc) {
				err->code = 0;
				err->msg[0] = 0;
				rc = o->shape(o->shape_arg, t, (int)l, d, err);
			}
			if (rc) {
				if (!err->msg[0])
					topo_fail(err, rc, "link %s: shape %s/%s: %s", lk->name,
						  c->nodes[lk->end[d].node].name, t->plan->ends[l][d].ifname,
						  strerror(-rc));
				return rc;
			}
		}
	}
	return 0;
}

static void free_topo(struct topo *t)
{
	if (!t)
		return;
	if (t->parent_fd >= 0)
		close(t->parent_fd);
	for (size_t i = 0; t->nodes && i < t->c->n_nodes; i++) {
		struct topo_node *tn = &t->nodes[i];

		rtnl_close(tn->nl);
		if (tn->nsfd >= 0)
			close(tn->nsfd);
		if (tn->iofd >= 0)
			close(tn->iofd);
		free(tn->deferred);
	}
	free(t->nodes);
	free(t->ifindex);
	free(t->addr4);
	free(t->addr6);
	plan_free(t->plan);
	free(t);
}

/* Before anything is made: root, network namespaces, per-namespace sysctls. */
static int preflight(const struct tb_config *c, struct topo_err *err)
{
	if (geteuid() != 0)
		return topo_fail(err, -EPERM, "building a topology needs root (network namespaces, veth)");
	if (access("/proc/self/ns/net", F_OK) < 0)
		return topo_fail(err, -EOPNOTSUPP,
				 "this kernel has no network namespaces (/proc/self/ns/net)");
	for (size_t i = 0; i < c->n_nodes; i++)
		for (size_t k = 0; k < c->nodes[i].n_sysctls; k++)
			if (!sysctl_maybe_per_netns(c->nodes[i].sysctls[k].key)) {
				char where[300];

				return topo_fail(err, -EINVAL,
						 "%snode %s: sysctl %s is host-wide, not per network namespace: "
						 "refused",
						 loc_prefix(&c->nodes[i].sysctls[k].loc, where, sizeof(where)),
						 c->nodes[i].name, c->nodes[i].sysctls[k].key);
			}
	return 0;
}

/* Every end's addresses as text, IPv6 only when the topology has it. */
static void addr_texts(struct topo *t)
{
	const struct tb_config *c = t->c;

	t->addr4 = xcalloc(c->n_links + 1, sizeof(*t->addr4));
	t->addr6 = xcalloc(c->n_links + 1, sizeof(*t->addr6));
	for (size_t l = 0; l < c->n_links; l++)
		for (int e = 0; e < 2; e++) {
			const struct plan_end *pe = &t->plan->ends[l][e];

			if (pe->has4)
				plan_ntop(AF_INET, &pe->a4, t->addr4[l][e], sizeof(t->addr4[l][e]));
			if (pe->has6 && t->ipv6)
				plan_ntop(AF_INET6, &pe->a6, t->addr6[l][e], sizeof(t->addr6[l][e]));
		}
}

/* The topology of @c in memory (plan, nodes, address texts); nothing on the system yet. */
static int topo_new(const struct tb_config *c, struct topo **out, struct topo_err *err)
{
	struct topo *t = xcalloc(1, sizeof(*t));
	char msg[256];
	int rc;

	t->c = c;
	t->parent_fd = -1;
	rc = plan_make(c, &t->plan, msg, sizeof(msg));
	if (rc) {
		free_topo(t);
		return topo_fail(err, rc, "%s", msg);
	}
	t->ipv6 = t->plan->ipv6;
	if (t->ipv6 && access("/proc/sys/net/ipv6", F_OK) < 0) {
		tb_warn("this kernel has no IPv6: building an IPv4-only topology");
		t->ipv6 = false;
	}
	t->nodes = xcalloc(c->n_nodes + 1, sizeof(*t->nodes));
	for (size_t i = 0; i < c->n_nodes; i++)
		t->nodes[i].nsfd = t->nodes[i].iofd = -1;
	t->ifindex = xcalloc(c->n_links + 1, sizeof(*t->ifindex));
	addr_texts(t);
	*out = t;
	return 0;
}

/* The run's directories and its journal; @t is freed when they fail. */
static int open_run(struct topo *t, const struct topo_opts *o, struct topo_err *err)
{
	int rc;

	if (!o->quiet)
		warn_stale();
	rc = netns_prepare_dir();
	if (rc) {
		free_topo(t);
		return topo_fail(err, rc, "prepare %s: %s", TB_NETNS_DIR, strerror(-rc));
	}
	rc = journal_create(o->run_id, o->config_path ? o->config_path : t->c->path, &t->j);
	if (rc) {
		free_topo(t);
		if (rc == -EEXIST && o->run_id)
			return topo_fail(err, rc, "run %s exists already", o->run_id);
		return topo_fail(err, rc, "create run directory under %s: %s", TB_RUN_DIR, strerror(-rc));
	}
	return 0;
}

/* Every node's namespace, created from the parent namespace if there is one. */
static int create_nodes(struct topo *t, const struct topo_opts *o, struct topo_err *err)
{
	int rc;

	open_parent(t);
	rc = for_nodes(t, o, create_node, err);
	if (t->parent_fd >= 0)
		close(t->parent_fd);
	t->parent_fd = -1;
	return rc;
}

/* Addresses and routes of every node, one after the other. */
static int address_nodes(struct topo *t, const struct topo_opts *o, struct topo_err *err)
{
	int rc = 0;

	/* sequential: on other threads it measured no faster (RTNL) */
	for (size_t i = 0; !rc && i < t->c->n_nodes; i++) {
		rc = check_interrupt(o, err);
		if (!rc)
			rc = topo_address_node(t, (int)i, err);
	}
	return rc;
}

/* The sysctls deferred until the links exist (interface keys), per node. */
static int late_sysctls(struct topo *t, struct topo_err *err)
{
	const struct tb_config *c = t->c;
	int rc = 0;

	for (size_t i = 0; !rc && i < c->n_nodes; i++) {
		struct node_setup a = { c, t, (int)i, true, NULL, err };
		bool any = false;

		for (size_t k = 0; k < c->nodes[i].n_sysctls; k++)
			any |= t->nodes[i].deferred[k];
		if (any) {
			rc = netns_run_in(t->nodes[i].nsfd, node_setup, &a);
			if (rc == -ENOENT)
				explain_sysctl(err, c, (int)i);
		}
	}
	return rc;
}

/* The build stages in order, each after the last succeeded (profiled). */
static int build_stages(struct topo *t, const struct topo_opts *o, struct topo_err *err)
{
	int rc;

	prof("start");
	rc = create_nodes(t, o, err);
	prof("nodes");
	if (!rc)
		rc = create_links(t, o, err);
	prof("links");
	if (!rc)
		rc = address_nodes(t, o, err);
	if (!rc)
		rc = late_sysctls(t, err);
	if (!rc)
		rc = topo_write_hosts(t, err);
	prof("addr+routes+late sysctls");
	if (!rc)
		rc = finish_links(t, o, err);
	prof("finish");
	if (!rc)
		rc = journal_set_state(t->j, "up", (int)t->c->n_nodes);
	return rc;
}

/* A failed build: @rc with a message, everything made undone, @t freed. */
static int roll_back(struct topo *t, int rc, struct topo_err *err)
{
	if (!err->msg[0])
		topo_fail(err, rc, "build: %s", strerror(-rc));
	err->code = rc;
	journal_undo(t->j);
	t->j = NULL;
	free_topo(t);
	return rc;
}

int topo_build(const struct tb_config *c, const struct topo_opts *o, struct topo **out,
	       struct topo_err *err)
{
	static const struct topo_opts none;
	struct topo *t;
	int rc;

	o = o ? o : &none;
	err->code = 0;
	err->msg[0] = 0;
	rc = preflight(c, err);
	if (rc)
		return rc;
	raise_fd_limit(c->n_nodes * 3 + 64);
	rc = topo_new(c, &t, err);
	if (!rc)
		rc = open_run(t, o, err);
	if (rc)
		return rc;
	rc = build_stages(t, o, err);
	if (rc)
		return roll_back(t, rc, err);
	/* the build sockets are not needed any more; 250 nodes would hold 250 */
	for (size_t i = 0; i < c->n_nodes; i++) {
		rtnl_close(t->nodes[i].nl);
		t->nodes[i].nl = NULL;
	}
	*out = t;
	return 0;
}

int topo_destroy(struct topo *t)
{
	int rc;

	if (!t)
		return 0;
	prof("teardown start");
	/* close our own namespace fds first: they would keep namespaces alive */
	for (size_t i = 0; i < t->c->n_nodes; i++) {
		if (t->nodes[i].nsfd >= 0)
			close(t->nodes[i].nsfd);
		if (t->nodes[i].iofd >= 0)
			close(t->nodes[i].iofd);
		t->nodes[i].nsfd = t->nodes[i].iofd = -1;
	}
	prof("close fds");
	rc = journal_undo(t->j);
	prof("journal undo");
	t->j = NULL;
	free_topo(t);
	return rc;
}

void topo_detach(struct topo *t)
{
	if (!t)
		return;
	journal_close(t->j);
	free_topo(t);
}

int topo_set_owner(struct topo *t)
{
	return journal_set_state(t->j, "up", (int)t->c->n_nodes);
}

const char *topo_run_id(const struct topo *t)
{
	return journal_id(t->j);
}

const struct tb_config *topo_config(const struct topo *t)
{
	return t->c;
}

int topo_node_nsfd(const struct topo *t, int node)
{
	return t->nodes[node].nsfd;
}

const char *topo_node_nsname(const struct topo *t, int node)
{
	return t->nodes[node].nsname;
}

const char *topo_ifname(const struct topo *t, int link, int end)
{
	return t->plan->ends[link][end].ifname;
}

int topo_ifindex(const struct topo *t, int link, int end)
{
	return t->ifindex[link][end];
}

int topo_end_node(const struct topo *t, int link, int end)
{
	return t->c->links[link].end[end].node;
}

static bool is6(int family)
{
	return family == AF_INET6 || family == 6;
}

const char *topo_end_addr(const struct topo *t, int link, int end, int family)
{
	const char *s = is6(family) ? t->addr6[link][end] : t->addr4[link][end];

	return *s ? s : NULL;
}

int topo_end_plen(const struct topo *t, int link, int end, int family)
{
	const struct plan_end *pe = &t->plan->ends[link][end];

	if (!topo_end_addr(t, link, end, family))
		return -1;
	return is6(family) ? pe->plen6 : pe->plen4;
}

const char *topo_addr(const struct topo *t, int node, int family)
{
	const struct plan_node *pn = &t->plan->nodes[node];

	if (pn->first_link < 0)
		return NULL;
	return topo_end_addr(t, pn->first_link, pn->first_end, family);
}

bool topo_has_ipv6(const struct topo *t)
{
	return t->ipv6;
}

void topo_print_summary(const struct topo *t, FILE *f)
{
	const struct tb_config *c = t->c;

	fprintf(f, "run %s: %zu nodes, %zu links%s%s\n", journal_id(t->j), c->n_nodes, c->n_links,
		c->path ? " from " : "", c->path ? c->path : "");
	for (size_t n = 0; n < c->n_nodes; n++) {
		fprintf(f, "  %-8s %s%s", c->nodes[n].name, t->nodes[n].nsname,
			c->nodes[n].forward ? " (forwards)" : "");
		for (size_t l = 0; l < c->n_links; l++)
			for (int e = 0; e < 2; e++) {
				if (c->links[l].end[e].node != (int)n)
					continue;
				fprintf(f, "\n           %-6s %s/%d", topo_ifname(t, (int)l, e), t->addr4[l][e],
					topo_end_plen(t, (int)l, e, AF_INET));
				if (t->addr6[l][e][0])
					fprintf(f, "  %s/%d", t->addr6[l][e], topo_end_plen(t, (int)l, e, AF_INET6));
				fprintf(f, "  -> %s", c->nodes[c->links[l].end[1 - e].node].name);
			}
		fputc('\n', f);
	}
}
