/* Links, addresses, routes, neighbours and offloads: the requests, built
 * on the rtnetlink layer (rtnl.h), which sends them and keeps the kernel's
 * extended-ack text of a failure (rtnl_ext_ack()). A veth pair is created
 * with both ends directly in their namespaces, up, with MTU, MAC and
 * ifindex in one request; addresses and routes go in batches. */
#ifndef TB_LINK_H
#define TB_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtnl.h"

/** One end of a veth pair to create. */
struct link_veth_end {
	int nsfd;          /* namespace the end is created in; -1: the socket's */
	const char *ifname;
	int ifindex;       /* wanted ifindex (0: kernel's choice); set on return */
	unsigned mtu;      /* 0: default */
	const uint8_t *mac; /* 6 bytes or NULL */
};

/**
 * Create a veth pair with each end directly in its namespace, @a up (@b
 * cannot be brought up in the same request: set it up afterwards).
 * A wanted ifindex of @a is looked up in @nl's namespace (rtnetlink finds
 * existing devices by index there), so send from a socket in @a's
 * namespace with @a->nsfd = -1 when asking for indexes.
 * When the wanted ifindex is taken (-EBUSY) it retries with the kernel's
 * choice and looks the indexes up. 0 or -errno (ext ack in @nl).
 */
int link_veth_add(struct rtnl *nl, struct link_veth_end *a, struct link_veth_end *b);

/** Delete interface @ifname (in @nl's namespace); already gone is 0. */
int link_delete(struct rtnl *nl, const char *ifname);

/** Delete interface @ifname in the namespace /run/netns/@nsname; a missing
 * namespace or interface is 0. */
int link_delete_in(const char *nsname, const char *ifname);

/** Index of @ifname in @nl's namespace, or -errno. */
int link_ifindex(struct rtnl *nl, const char *ifname);

/*
 * Batched requests: queued into one buffer, sent with rtnl_batch_flush()
 * (and automatically when the buffer fills). Each carries a caller @tag that
 * rtnl_batch_flush() reports for the first request that failed.
 */
/** Queue: set interface @ifindex up. */
void link_batch_up(struct rtnl *nl, int ifindex, uint32_t tag);
/** Queue: add address @addr/@plen (4 or 16 bytes by @family) to @ifindex;
 * IPv6 addresses get IFA_F_NODAD so they are usable at once. @replace: an
 * existing one is updated in place instead of failing with EEXIST. */
void link_batch_addr(struct rtnl *nl, int family, int ifindex, const void *addr, int plen,
		     bool replace, uint32_t tag);
/** Queue: add route @dst/@plen via @gw dev @oif (main table, proto static);
 * @replace as for link_batch_addr(). */
void link_batch_route(struct rtnl *nl, int family, const void *dst, int plen, const void *gw,
		      int oif, bool replace, uint32_t tag);
/** Queue: a permanent neighbour entry @addr -> @mac on @ifindex (ARP for
 * AF_INET, NDP for AF_INET6), so that nothing is ever resolved on the wire;
 * @replace as for link_batch_addr(). */
void link_batch_neigh(struct rtnl *nl, int family, int ifindex, const void *addr,
		      const uint8_t mac[6], bool replace, uint32_t tag);
/* (send them with rtnl_batch_flush()) */

/** Add a route now: @dst/@plen via @gw dev @oif, or, with @gw NULL, a
 * black hole (the packets are dropped). 0 or -errno (ext ack in @nl). */
int link_route_add(struct rtnl *nl, int family, const void *dst, int plen, const void *gw,
		   int oif);

/** Set interface @ifindex up or down now. 0 or -errno (ext ack in @nl). */
int link_set_up(struct rtnl *nl, int ifindex, bool up);

/** Switch TSO, GSO and GRO of @ifname on or off, through the ethtool ioctl
 * on @sockfd (any socket in the interface's namespace). 0 or -errno. */
int link_offloads(int sockfd, const char *ifname, bool on);

/** Read one ethtool offload flag (ETHTOOL_GTSO/GGSO/GGRO) for tests. */
int link_offload_get(int sockfd, const char *ifname, unsigned cmd);

#endif
