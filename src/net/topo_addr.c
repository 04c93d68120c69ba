/* Addresses and routes of the nodes, from the plan: installed once per node
 * by the build, and put back on a link's ends when an [event] brings the
 * link up again (the kernel deleted its routes via a gateway, and IPv6 its
 * addresses, when it went down).
 *
 * Every end also gets a permanent neighbour entry for the other end of its
 * link (ARP and NDP), from the MAC addresses the plan gives: nothing is
 * resolved on the wire, so the first packet of a run never waits for ARP,
 * and netem's loss or delay on a link cannot drop or hold a resolution (an
 * ARP request lost to 5% loss held r1's traffic for a second and dropped
 * ~1,000 datagrams in the neighbour queue; see docs/topology.md). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "topo_int.h"

enum { TAG_UP, TAG_ADDR4, TAG_ADDR6, TAG_ROUTE, TAG_NEIGH4, TAG_NEIGH6 };
#define TAG(kind, i) ((uint32_t)(kind) << 28 | (uint32_t)(i))

/*
 * Queue node @node's part of the plan on @nl. @only < 0: all of it, as the
 * build gives it (interfaces up, addresses, neighbours, routes), each a
 * create that fails if it exists. @only a link: the addresses and
 * neighbours of the node's ends on that link and the routes that leave
 * through them, as replacements, so that whatever survived the link's
 * down (IPv4 addresses) is not an error.
 */
static void queue_node(const struct topo *t, struct rtnl *nl, int node, int only)
{
	const struct tb_config *c = t->c;
	const struct plan *p = t->plan;
	const struct plan_node *pn = &p->nodes[node];
	bool replace = only >= 0;

	if (!replace)
		link_batch_up(nl, 1, TAG(TAG_UP, 0));
	for (size_t l = 0; l < c->n_links; l++)
		for (int e = 0; e < 2; e++) {
			const struct plan_end *pe = &p->ends[l][e], *peer = &p->ends[l][1 - e];
			int idx = t->ifindex[l][e];

			if (c->links[l].end[e].node != node || (replace && (int)l != only))
				continue;
			/* end 0 was created up; end 1 could not be */
			if (e == 1 && !replace)
				link_batch_up(nl, idx, TAG(TAG_UP, l * 2 + e));
			if (pe->has4)
				link_batch_addr(nl, AF_INET, idx, &pe->a4, pe->plen4, replace,
						TAG(TAG_ADDR4, l * 2 + e));
			if (pe->has6 && t->ipv6)
				link_batch_addr(nl, AF_INET6, idx, &pe->a6, pe->plen6, replace,
						TAG(TAG_ADDR6, l * 2 + e));
			if (pe->has4 && peer->has4)
				link_batch_neigh(nl, AF_INET, idx, &peer->a4, peer->mac, replace,
						 TAG(TAG_NEIGH4, l * 2 + e));
			if (pe->has6 && peer->has6 && t->ipv6)
				link_batch_neigh(nl, AF_INET6, idx, &peer->a6, peer->mac, replace,
						 TAG(TAG_NEIGH6, l * 2 + e));
		}
	for (size_t i = 0; i < pn->n_routes; i++) {
		const struct plan_route *r = &pn->routes[i];

		if ((r->family == AF_INET6 && !t->ipv6) || (replace && r->link != only))
			continue;
		link_batch_route(nl, r->family, &r->dst, r->plen, &r->gw, t->ifindex[r->link][r->end],
				 replace, TAG(TAG_ROUTE, i));
	}
}

/* Send what queue_node() queued; on failure say which request failed. */
static int flush_node(const struct topo *t, struct rtnl *nl, int node, const char *verb,
		      struct topo_err *err)
{
	const struct tb_config *c = t->c;
	const struct plan *p = t->plan;
	uint32_t tag = 0;
	char buf[300], a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];
	int rc = rtnl_batch_flush(nl, &tag);

	if (!rc)
		return 0;
	switch (tag >> 28) {
	case TAG_UP: {
		size_t i = tag & 0x0fffffff;

		return topo_fail(err, rc, "node %s: set %s up: %s", c->nodes[node].name,
				 i ? p->ends[i / 2][i % 2].ifname : "lo",
				 topo_why(rc, nl, buf, sizeof(buf)));
	}
	case TAG_ADDR4:
	case TAG_ADDR6: {
		size_t i = tag & 0x0fffffff, l = i / 2;
		int e = (int)(i % 2), v6 = (tag >> 28) == TAG_ADDR6;
		const struct plan_end *pe = &p->ends[l][e];

		return topo_fail(err, rc, "node %s: %s address %s/%d on %s: %s", c->nodes[node].name,
				 verb, plan_ntop(v6 ? AF_INET6 : AF_INET, v6 ? &pe->a6 : &pe->a4, a, sizeof(a)),
				 v6 ? pe->plen6 : pe->plen4, pe->ifname, topo_why(rc, nl, buf, sizeof(buf)));
	}
	case TAG_NEIGH4:
	case TAG_NEIGH6: {
		size_t i = tag & 0x0fffffff, l = i / 2;
		int e = (int)(i % 2), v6 = (tag >> 28) == TAG_NEIGH6;
		const struct plan_end *peer = &p->ends[l][1 - e];

		return topo_fail(err, rc, "node %s: %s neighbour %s on %s: %s", c->nodes[node].name,
				 verb, plan_ntop(v6 ? AF_INET6 : AF_INET, v6 ? &peer->a6 : &peer->a4, a, sizeof(a)),
				 p->ends[l][e].ifname, topo_why(rc, nl, buf, sizeof(buf)));
	}
	default: {
		const struct plan_route *r = &p->nodes[node].routes[tag & 0x0fffffff];

		return topo_fail(err, rc, "node %s: %s route %s/%d via %s dev %s: %s", c->nodes[node].name,
				 verb, plan_ntop(r->family, &r->dst, a, sizeof(a)), r->plen,
				 plan_ntop(r->family, &r->gw, g, sizeof(g)), p->ends[r->link][r->end].ifname,
				 topo_why(rc, nl, buf, sizeof(buf)));
	}
	}
}

/* One or a few sendmsg() calls per node. */
int topo_address_node(struct topo *t, int node, struct topo_err *err)
{
	queue_node(t, t->nodes[node].nl, node, -1);
	return flush_node(t, t->nodes[node].nl, node, "add", err);
}

int topo_restore_link(const struct topo *t, int link, struct topo_err *err)
{
	const struct tb_link *lk = &t->c->links[link];

	for (int e = 0; e < 2; e++) {
		int node = lk->end[e].node, rc;
		struct rtnl *nl;

		if (e == 1 && node == lk->end[0].node)
			break; /* one pass covers both ends of a node */
		rc = rtnl_open(t->nodes[node].nsfd, &nl);
		if (rc)
			return topo_fail(err, rc, "node %s: open rtnetlink: %s", t->c->nodes[node].name,
					 strerror(-rc));
		queue_node(t, nl, node, link);
		rc = flush_node(t, nl, node, "restore", err);
		rtnl_close(nl);
		if (rc)
			return rc;
	}
	return 0;
}

int topo_blackhole(const struct topo *t, int node, const char *prefix, int link, int end,
		   struct topo_err *err)
{
	const char *name = t->c->nodes[node].name;
	union plan_addr dst, gw;
	uint8_t plen = 0;
	struct rtnl *nl;
	char why[512];
	int rc;

	if (plan_parse_prefix(AF_INET, prefix, &dst, &plen))
		return topo_fail(err, -EINVAL, "node %s: bad prefix %s", name, prefix);
	if (link >= 0)
		gw = t->plan->ends[link][1 - end].a4;
	rc = rtnl_open(t->nodes[node].nsfd, &nl);
	if (rc)
		return topo_fail(err, rc, "node %s: open rtnetlink: %s", name, strerror(-rc));
	rc = link_route_add(nl, AF_INET, &dst, plen, link >= 0 ? &gw : NULL,
			    link >= 0 ? t->ifindex[link][end] : 0);
	if (rc && rc != -EEXIST)
		topo_fail(err, rc, "node %s: add %s route %s: %s", name,
			  link >= 0 ? "a" : "a black-hole", prefix, topo_why(rc, nl, why, sizeof(why)));
	rtnl_close(nl);
	return rc == -EEXIST ? 0 : rc;
}
