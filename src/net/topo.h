/* Build and tear down the network of a topology: one namespace per node
 * (/run/netns/<run-id>-<node>), one veth pair per link created directly in
 * its namespaces, addresses and routes from the plan (plan.h), forwarding
 * and per-node sysctls, offloads, a hook per shaped direction, and each
 * node's hosts file (node names resolve inside the nodes). Every
 * object is journaled (journal.h) the moment it exists; a failure halfway
 * rolls back everything built so far. See docs/topology.md. */
#ifndef TB_TOPO_H
#define TB_TOPO_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "topo_err.h"

struct topo;

struct topo_opts {
	/* Run id to use instead of a fresh random one (tests, reproducible
	 * names); NULL for a fresh one. */
	const char *run_id;
	/* Recorded in the journal's info for `testbed list`. */
	const char *config_path;
	/*
	 * Shaping hook: called once per shaped direction (link->dir[dir].set
	 * != 0) after both ends are up, addressed, routed and have offloads
	 * off. Use topo_node_nsfd(), topo_ifindex(), topo_ifname() for the
	 * egress end @dir of @link. Whatever it installs lives in the
	 * namespace and goes with it. Nonzero return (-errno, with @err
	 * filled) rolls the build back. NULL: links stay unshaped.
	 */
	int (*shape)(void *arg, const struct topo *t, int link, int dir, struct topo_err *err);
	void *shape_arg;
	/* Polled between steps; a nonzero return (the signal number) stops the
	 * build and rolls it back. NULL: never interrupted. */
	int (*interrupted)(void *arg);
	void *intr_arg;
	/* Don't warn about stale runs found under /run/testbed. */
	bool quiet;
};

/**
 * Build the topology of @c (which must outlive the topo). On success *@out
 * is the running topology. On failure everything built is undone and @err
 * says what failed, e.g. "node s1: create namespace tbab12-s1: File exists".
 * Returns 0, -EPERM (not root), -EOPNOTSUPP (no netns support), -EINTR
 * (interrupted), or another -errno.
 */
int topo_build(const struct tb_config *c, const struct topo_opts *o, struct topo **out,
	       struct topo_err *err);

/**
 * After link @link was down and both its ends are up again: put back what
 * the kernel deleted when it went down, the IPv6 addresses of its ends and
 * the plan's routes that leave through them (IPv4 routes via a gateway on
 * that link, every IPv6 route on it). Replaces, so what survived is no
 * error; IPv6 addresses come back without DAD, usable at once. Opens a
 * netlink socket in each end's namespace. 0 or -errno with @err filled
 * ("node r1: restore route 10.0.2.0/24 via 10.0.1.2 dev eth0: ...").
 */
int topo_restore_link(const struct topo *t, int link, struct topo_err *err);

/**
 * Route IPv4 @prefix on @node: into a black hole (@link < 0; packets are
 * dropped), or toward the far end of @link from its end @end on @node.
 * Already there is 0. 0 or -errno with @err filled, the kernel's text in it.
 */
int topo_blackhole(const struct topo *t, int node, const char *prefix, int link, int end,
		   struct topo_err *err);

/** Tear down through the journal (kills processes left inside the
 * namespaces, removes namespaces, veths) and free. NULL-safe; returns 0 or
 * the first error (printed). */
int topo_destroy(struct topo *t);

/** Free the handle but leave the run up (its journal stays under
 * /run/testbed for `testbed down`). NULL-safe. */
void topo_detach(struct topo *t);

/** Record the calling process as the run's owner and mark it up (after a
 * keeper process forked off the builder). 0 or -errno. */
int topo_set_owner(struct topo *t);

/** The run id ("tbk3mz"). */
const char *topo_run_id(const struct topo *t);
/** The config it was built from. */
const struct tb_config *topo_config(const struct topo *t);
/** fd of node @node's namespace (owned by the topo; do not close). */
int topo_node_nsfd(const struct topo *t, int node);
/** Namespace name of node @node ("tbk3mz-r1"), as `ip netns` shows it. */
const char *topo_node_nsname(const struct topo *t, int node);
/** Interface name of end @end of link @link ("eth1"). */
const char *topo_ifname(const struct topo *t, int link, int end);
/** ifindex of end @end of link @link inside its namespace. */
int topo_ifindex(const struct topo *t, int link, int end);
/** Node index of end @end of link @link. */
int topo_end_node(const struct topo *t, int link, int end);
/** Address (no prefix length) of end @end of @link for @family (AF_INET,
 * AF_INET6 or 4/6), or NULL when it has none. */
const char *topo_end_addr(const struct topo *t, int link, int end, int family);
/** Prefix length of that address, or -1. */
int topo_end_plen(const struct topo *t, int link, int end, int family);
/** The address a flow to @node should use: the node's address on its first
 * link (in file order) for @family; NULL when it has none. Reachable from
 * every node that can reach @node (the routes make sure of it). */
const char *topo_addr(const struct topo *t, int node, int family);
/** The hosts file of node @node (TB_RUN_DIR/<run-id>/hosts/<node>: localhost
 * and every node's name at its topo_addr() for IPv4 and IPv6), for
 * node_enter() to put over /etc/hosts; NULL when it has none. */
const char *topo_hosts_path(const struct topo *t, int node);
/** The same for node @node of run @run_id, built by any process (`testbed
 * exec`): its path into @buf. 0 when the file is there, -ENOENT when not,
 * -EINVAL for a malformed run id or node name, -ENAMETOOLONG. */
int topo_hosts_path_of(const char *run_id, const char *node, char *buf, size_t len);
/** Whether IPv6 is configured in this run. */
bool topo_has_ipv6(const struct topo *t);

/** Print a short summary: one line per node with its interfaces and
 * addresses. */
void topo_print_summary(const struct topo *t, FILE *f);

#endif
