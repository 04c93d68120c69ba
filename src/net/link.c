#include "link.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"
#include "rtnl.h"
#include "util/util.h"

#define REQ_SIZE 1024

static struct nlmsghdr *put_link_hdr(char *buf, uint16_t type, uint16_t flags, int ifindex,
				     struct ifinfomsg **ifm)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	*ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(**ifm));
	(*ifm)->ifi_family = AF_UNSPEC;
	(*ifm)->ifi_index = ifindex;
	return nlh;
}

static void put_end(struct nlmsghdr *nlh, const struct link_veth_end *e)
{
	mnl_attr_put_strz(nlh, IFLA_IFNAME, e->ifname);
	if (e->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, e->mtu);
	if (e->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, e->mac);
	if (e->nsfd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)e->nsfd);
}

static int veth_add_once(struct rtnl *nl, struct link_veth_end *a, struct link_veth_end *b)
{
	char buf[REQ_SIZE];
	struct ifinfomsg *ifm, *peer;
	struct nlmsghdr *nlh;
	struct nlattr *info, *data, *pn;

	nlh = put_link_hdr(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, a->ifindex, &ifm);
	/* up at creation (rtnl_configure_link() applies ifi_flags); the peer
	 * cannot be: veth_open() of the peer fails with ENOTCONN before the
	 * pair is linked, so it is set up afterwards */
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	put_end(nlh, a);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* no NLA_F_NESTED here: the peer is an ifinfomsg followed by attributes,
	 * and strict validation would take the flag as "attributes only" */
	pn = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pn->nla_type = VETH_INFO_PEER;
	peer = mnl_nlmsg_put_extra_header(nlh, sizeof(*peer));
	peer->ifi_family = AF_UNSPEC;
	peer->ifi_index = b->ifindex;
	put_end(nlh, b);
	mnl_attr_nest_end(nlh, pn);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return rtnl_request(nl, nlh, NULL, NULL);
}

int link_veth_add(struct rtnl *nl, struct link_veth_end *a, struct link_veth_end *b)
{
	int rc = veth_add_once(nl, a, b);

	if ((rc == -EBUSY || rc == -EEXIST) && (a->ifindex || b->ifindex)) {
		/* a wanted ifindex was taken (a device the kernel adds to every
		 * namespace, e.g. a fallback tunnel): let the kernel choose. A
		 * name conflict fails again, with its own EEXIST. */
		a->ifindex = 0;
		b->ifindex = 0;
		rc = veth_add_once(nl, a, b);
	}
	return rc;
}

int link_delete(struct rtnl *nl, const char *ifname)
{
	char buf[REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = put_link_hdr(buf, RTM_DELLINK, 0, 0, &ifm);
	int rc;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	rc = rtnl_request(nl, nlh, NULL, NULL);
	return rc == -ENODEV ? 0 : rc;
}

int link_delete_in(const char *nsname, const char *ifname)
{
	struct rtnl *nl;
	int fd = netns_open(nsname), rc;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	rc = rtnl_open(fd, &nl);
	close(fd);
	if (rc)
		return rc;
	rc = link_delete(nl, ifname);
	rtnl_close(nl);
	return rc;
}

static int getlink_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWLINK)
		*(int *)data = ifm->ifi_index;
	return MNL_CB_OK;
}

int link_ifindex(struct rtnl *nl, const char *ifname)
{
	char buf[REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = put_link_hdr(buf, RTM_GETLINK, 0, 0, &ifm);
	int idx = 0, rc;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	rc = rtnl_request(nl, nlh, getlink_cb, &idx);
	if (rc)
		return rc;
	return idx > 0 ? idx : -ENODEV;
}

int link_set_up(struct rtnl *nl, int ifindex, bool up)
{
	char buf[REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = put_link_hdr(buf, RTM_NEWLINK, 0, ifindex, &ifm);

	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = up ? IFF_UP : 0;
	return rtnl_request(nl, nlh, NULL, NULL);
}

/* --- batches ---------------------------------------------------------- */

void link_batch_up(struct rtnl *nl, int ifindex, uint32_t tag)
{
	struct nlmsghdr *nlh = rtnl_batch_msg(nl, RTM_NEWLINK, 0, tag);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_index = ifindex;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	rtnl_batch_end(nl, nlh);
}

/* A batched create request of @type with a zeroed @hdrlen-byte header;
 * @replace replaces what exists instead of failing with EEXIST. */
static void *batch_create(struct rtnl *nl, uint16_t type, size_t hdrlen, bool replace,
			  uint32_t tag, struct nlmsghdr **nlh)
{
	*nlh = rtnl_batch_msg(nl, type, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL), tag);
	return mnl_nlmsg_put_extra_header(*nlh, hdrlen);
}

void link_batch_addr(struct rtnl *nl, int family, int ifindex, const void *addr, int plen,
		     bool replace, uint32_t tag)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa = batch_create(nl, RTM_NEWADDR, sizeof(*ifa), replace, tag, &nlh);
	size_t alen = family == AF_INET ? 4 : 16;

	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)plen;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
	if (family == AF_INET6) {
		/* no duplicate address detection: usable the moment it is added */
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	rtnl_batch_end(nl, nlh);
}

/* The body of a route to @dst/@plen of @type: via @gw dev @oif when @gw. */
static void put_route(struct nlmsghdr *nlh, struct rtmsg *rtm, int family, const void *dst,
		      int plen, uint8_t type, const void *gw, int oif)
{
	size_t alen = family == AF_INET ? 4 : 16;

	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = (uint8_t)plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = type;
	mnl_attr_put(nlh, RTA_DST, alen, dst);
	if (gw) {
		mnl_attr_put(nlh, RTA_GATEWAY, alen, gw);
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	}
}

void link_batch_route(struct rtnl *nl, int family, const void *dst, int plen, const void *gw,
		      int oif, bool replace, uint32_t tag)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm = batch_create(nl, RTM_NEWROUTE, sizeof(*rtm), replace, tag, &nlh);

	put_route(nlh, rtm, family, dst, plen, RTN_UNICAST, gw, oif);
	rtnl_batch_end(nl, nlh);
}

int link_route_add(struct rtnl *nl, int family, const void *dst, int plen, const void *gw,
		   int oif)
{
	struct nlmsghdr *nlh = rtnl_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	put_route(nlh, rtm, family, dst, plen, gw ? RTN_UNICAST : RTN_BLACKHOLE, gw, oif);
	return rtnl_request(nl, nlh, NULL, NULL);
}

void link_batch_neigh(struct rtnl *nl, int family, int ifindex, const void *addr,
		      const uint8_t mac[6], bool replace, uint32_t tag)
{
	struct nlmsghdr *nlh;
	struct ndmsg *nd = batch_create(nl, RTM_NEWNEIGH, sizeof(*nd), replace, tag, &nlh);

	nd->ndm_family = (uint8_t)family;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = NUD_PERMANENT;
	nd->ndm_type = RTN_UNICAST;
	mnl_attr_put(nlh, NDA_DST, family == AF_INET ? 4 : 16, addr);
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	rtnl_batch_end(nl, nlh);
}

/* --- offloads ----------------------------------------------------------- */

static int ethtool_value(int fd, const char *ifname, unsigned cmd, unsigned *val)
{
	struct ethtool_value ev = { .cmd = cmd, .data = *val };
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return -errno;
	*val = ev.data;
	return 0;
}

/* Is feature @name one of the segmentation/GRO offloads we switch? Every
 * TCP segmentation variant (the legacy ETHTOOL_STSO misses newer ones such
 * as tx-tcp-accecn-segmentation), generic segmentation, and GRO. */
static bool offload_feature(const char *name)
{
	size_t n = strlen(name);

	if (!strncmp(name, "tx-tcp", 6) && n > 12 && !strcmp(name + n - 12, "segmentation"))
		return true;
	return !strcmp(name, "tx-generic-segmentation") || !strcmp(name, "rx-gro") ||
	       !strcmp(name, "rx-gro-list") || !strcmp(name, "rx-udp-gro-forwarding");
}

/* Feature bit indexes by name are global to the kernel: look them up once. */
static int offload_bits(int fd, const char *ifname, uint32_t **mask, uint32_t *words)
{
	static uint32_t *cache;
	static uint32_t cache_words;
	union { /* the header and its one data word (the feature count) */
		struct ethtool_sset_info hdr;
		uint8_t raw[sizeof(struct ethtool_sset_info) + sizeof(uint32_t)];
	} info = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_FEATURES } };
	struct ethtool_gstrings *gs;
	struct ifreq ifr = { 0 };
	uint32_t n;

	if (cache) {
		*mask = cache;
		*words = cache_words;
		return 0;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return -errno;
	n = info.hdr.sset_mask ? info.hdr.data[0] : 0;
	if (!n)
		return -EOPNOTSUPP;
	gs = xcalloc(1, sizeof(*gs) + (size_t)n * ETH_GSTRING_LEN);
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = n;
	ifr.ifr_data = (void *)gs;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
		int rc = -errno;

		free(gs);
		return rc;
	}
	cache_words = (n + 31) / 32;
	cache = xcalloc(cache_words, sizeof(*cache));
	for (uint32_t i = 0; i < n; i++) {
		char name[ETH_GSTRING_LEN + 1];

		memcpy(name, gs->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		name[ETH_GSTRING_LEN] = 0;
		if (offload_feature(name))
			cache[i / 32] |= 1u << (i % 32);
	}
	free(gs);
	*mask = cache;
	*words = cache_words;
	return 0;
}

int link_offloads(int sockfd, const char *ifname, bool on)
{
	struct ethtool_sfeatures *sf;
	struct ifreq ifr = { 0 };
	uint32_t *mask = NULL, words = 0;
	int rc = offload_bits(sockfd, ifname, &mask, &words);

	if (rc) {
		/* no feature strings: the legacy per-offload commands */
		static const unsigned cmds[] = { ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO };

		for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
			unsigned v = on;

			rc = ethtool_value(sockfd, ifname, cmds[i], &v);
			if (rc)
				return rc;
		}
		return 0;
	}
	sf = xcalloc(1, sizeof(*sf) + words * sizeof(sf->features[0]));
	sf->cmd = ETHTOOL_SFEATURES;
	sf->size = words;
	for (uint32_t i = 0; i < words; i++) {
		sf->features[i].valid = mask[i];
		sf->features[i].requested = on ? mask[i] : 0;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)sf;
	/* a positive return only says some features could not be changed (the
	 * fixed ones): what can be off is off */
	rc = ioctl(sockfd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
	free(sf);
	return rc;
}

int link_offload_get(int sockfd, const char *ifname, unsigned cmd)
{
	unsigned v = 0;
	int rc = ethtool_value(sockfd, ifname, cmd, &v);

	return rc ? rc : (int)v;
}
