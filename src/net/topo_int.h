/* Inside the topology builder: the state topo.c and topo_addr.c share.
 * Not for other modules; they use topo.h. */
#ifndef TB_TOPO_INT_H
#define TB_TOPO_INT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>

#include "journal.h"
#include "link.h"
#include "plan.h"
#include "topo.h"
#include "util/util.h"

struct topo_node {
	char nsname[JOURNAL_ID_MAX + TB_NAME_MAX + 2];
	int nsfd;
	int iofd;             /* ioctl socket for ethtool, opened when needed */
	struct rtnl *nl;   /* rtnetlink inside the namespace (build only) */
	int next_ifindex;
	bool *deferred;       /* sysctls not there before the links exist */
	char hosts[96];       /* its hosts file (topo_hosts.c); "" when none */
};

struct topo {
	const struct tb_config *c;
	struct plan *plan;
	struct journal *j;
	struct topo_node *nodes;
	int (*ifindex)[2];
	char (*addr4)[2][INET_ADDRSTRLEN];
	char (*addr6)[2][INET6_ADDRSTRLEN];
	bool ipv6;
	/* Nodes are created from a throwaway namespace so that each gets its
	 * own TCP established hash (-1: the kernel cannot), with the TIME-WAIT
	 * and SYN backlog limits a namespace gets on this host by default
	 * (the kernel would size them from the smaller hash). */
	int parent_fd;
	char max_tw[24], max_syn[24];
};

/** Build step: set node @node's interfaces up and give them their
 * addresses and routes from the plan, through its build socket. 0 or
 * -errno with @err filled ("node c1: add route ..."). */
int topo_address_node(struct topo *t, int node, struct topo_err *err);

/** Build step: every node's hosts file in the run's directory
 * (topo_hosts.c). 0 or -errno with @err filled. */
int topo_write_hosts(struct topo *t, struct topo_err *err);

#endif
