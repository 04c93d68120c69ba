/* The address plan and static routes of a topology: pure computation from a
 * struct tb_config, no system access (`testbed check` may call it).
 *
 * - Interface names: ends the file leaves unnamed get eth0, eth1, ... per
 *   node in link order, skipping names the file uses.
 * - IPv4: each link without addresses gets the next /24 of topo.pool4
 *   (a /30 when the pool has fewer /24s than links); end 0 gets .1, end 1 .2.
 * - IPv6: each link gets the next /64 of topo.pool6; ends ::1 and ::2.
 *   Pool subnets that overlap an address the file gives are skipped.
 * - MACs: 02:74:62:LL:LL:0E (locally administered, link index, end + 1).
 * - Routes: for every node and every link subnet the node is not on, a route
 *   toward the nearest end of that link along a shortest path (BFS, hop
 *   count) that only passes through forwarding nodes; when that nearest end
 *   cannot forward, a host route to the other end follows its own path.
 *   A node with more than PLAN_AGGREGATE_OVER such routes in a family (big
 *   topologies) gets them merged: aligned blocks of pool subnets that all
 *   leave through the same next hop become one shorter prefix. A block
 *   never covers a subnet the node cannot reach or pool space no link
 *   uses, so no packet is sent anywhere it could not be delivered. */
#ifndef TB_PLAN_H
#define TB_PLAN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/diag.h"

#define PLAN_AGGREGATE_OVER 64

union plan_addr {
	struct in_addr v4;
	struct in6_addr v6;
	uint8_t b[16];
};

struct plan_end {
	char ifname[TB_IFNAME_MAX];
	uint8_t mac[6];
	bool has4, has6;
	bool pool4, pool6;  /* the subnet came from the pool (not the file) */
	union plan_addr a4, a6;
	uint8_t plen4, plen6;
};

struct plan_route {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t plen;
	union plan_addr dst; /* network address (host address for host routes) */
	union plan_addr gw;
	int link, end; /* the local end it leaves through */
};

struct plan_node {
	struct plan_route *routes;
	size_t n_routes, cap_routes;
	int n_ports;           /* link ends on this node */
	int first_link, first_end; /* its first end in link order, -1 if none */
};

struct plan {
	size_t n_nodes, n_links;
	struct plan_end (*ends)[2]; /* [link][end] */
	struct plan_node *nodes;
	bool ipv6;             /* false when pool6 is "none" */
};

/**
 * Compute the plan of @c. On failure returns -EINVAL with a message in @msg
 * (e.g. "pool 198.18.0.0/15 has room for 512 links, the topology has 600").
 */
int plan_make(const struct tb_config *c, struct plan **out, char *msg, size_t len);

/** Free; NULL-safe. */
void plan_free(struct plan *p);

/**
 * What `testbed check` promises of the plan, as errors in @d at the link or
 * flow they are about: no two links' given subnets overlap, the pools have
 * room for every link, and each synflood's spoofed prefix lies inside the
 * IPv4 pool on no link.
 */
void plan_check(const struct tb_config *c, struct tb_diag *d);

/** The synflood source prefix of flow @flow: the file's `spoof`, else the
 * last /24 of the IPv4 pool. -EINVAL when the pool is smaller than a /24. */
int plan_spoof(const struct tb_config *c, int flow, char *buf, size_t len);

/** "ADDR[/LEN]" of @family into @a and @plen (a host when no /LEN).
 * 0 or -EINVAL. */
int plan_parse_prefix(int family, const char *s, union plan_addr *a, uint8_t *plen);

/** Format @a of @family (no prefix length) into @buf (INET6_ADDRSTRLEN). */
const char *plan_ntop(int family, const union plan_addr *a, char *buf, size_t len);

#endif
