/* Entering a node from a forked child, between fork and exec: the node's
 * network namespace, a mount namespace of the child's own in which /sys
 * shows the node's interfaces and /etc/hosts is the run's hosts file of
 * the node (topo_hosts_path()), so that node names resolve. Used by
 * `testbed exec`, `testbed shell` and the workers a run spawns. */
#ifndef TB_NODEENTER_H
#define TB_NODEENTER_H

/**
 * Move the calling process into network namespace @nsfd (node @node, the
 * sysfs' source name), then, best effort: unshare its mount namespace, make
 * every mount a slave (nothing propagates back to the host), remount /sys
 * as the sysfs of the node's namespace and bind-mount @hosts over
 * /etc/hosts when @hosts is not NULL and exists. Only async-signal-safe
 * calls (no malloc, no stdio): for a child between fork and exec. Returns 0,
 * or -errno when setns fails (the only failure that matters: the rest
 * leaves the host's /sys or /etc/hosts in place).
 */
int node_enter(int nsfd, const char *node, const char *hosts);

#endif
