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
#include "util/util.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* Requests per batch are bounded by the buffer; 64 KiB holds ~600 routes. */
#define BATCH_SIZE (64 * 1024)
#define REQ_SIZE 1024

struct link_nl {
	struct mnl_socket *sock;
	unsigned portid;
	uint32_t seq;
	char ext_ack[256];
	/* the batch */
	char *buf;
	size_t len;
	uint32_t first_seq;
	uint32_t *tags;
	size_t n, cap;
	int pending_err; /* an error from an automatic flush */
	uint32_t pending_tag;
};

struct open_args {
	struct mnl_socket *sock;
	int err;
};

static int open_sock(void *p)
{
	struct open_args *a = p;

	a->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!a->sock)
		a->err = -errno;
	return 0;
}

int link_nl_open(int nsfd, struct link_nl **out)
{
	struct open_args a = { NULL, 0 };
	struct link_nl *nl;
	int one = 1, rcvbuf = 4 << 20, rc;

	rc = nsfd >= 0 ? netns_run_in(nsfd, open_sock, &a) : open_sock(&a);
	if (rc)
		return rc;
	if (!a.sock)
		return a.err;
	nl = xcalloc(1, sizeof(*nl));
	nl->sock = a.sock;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		mnl_socket_close(nl->sock);
		free(nl);
		return rc;
	}
	/* best effort: the ext ack text and short acks are nice to have */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = 1;
	nl->buf = xmalloc(BATCH_SIZE);
	*out = nl;
	return 0;
}

void link_nl_close(struct link_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl->tags);
	free(nl);
}

const char *link_nl_ext_ack(const struct link_nl *nl)
{
	return nl->ext_ack;
}

static int ext_ack_cb(const struct nlattr *attr, void *data)
{
	struct link_nl *nl = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0) {
		snprintf(nl->ext_ack, sizeof(nl->ext_ack), "%s", mnl_attr_get_str(attr));
		/* the kernel's text sometimes ends in a newline or a space */
		nl->ext_ack[strcspn(nl->ext_ack, "\n")] = 0;
	}
	return MNL_CB_OK;
}

/* The error code of an NLMSG_ERROR; saves the ext ack text when it failed. */
static int parse_err(struct link_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -EBADMSG;
	if (!e->error)
		return 0;
	nl->ext_ack[0] = 0;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (MNL_NLMSG_HDRLEN + off <= nlh->nlmsg_len)
			mnl_attr_parse(nlh, (unsigned)off, ext_ack_cb, nl);
	}
	return e->error;
}

/* Send one request and wait for its answer; @cb (optional) sees replies. */
static int request(struct link_nl *nl, struct nlmsghdr *nlh, int (*cb)(const struct nlmsghdr *, void *),
		   void *data)
{
	char buf[8192];
	uint32_t seq = nlh->nlmsg_seq = nl->seq++;
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nl->ext_ack[0] = 0;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *r = (struct nlmsghdr *)buf; mnl_nlmsg_ok(r, (int)n);
		     r = mnl_nlmsg_next(r, (int *)&n)) {
			if (r->nlmsg_seq != seq)
				continue;
			if (r->nlmsg_type == NLMSG_ERROR)
				return parse_err(nl, r);
			if (cb)
				cb(r, data);
		}
	}
}

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

static int veth_add_once(struct link_nl *nl, struct link_veth_end *a, struct link_veth_end *b)
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
	return request(nl, nlh, NULL, NULL);
}

int link_veth_add(struct link_nl *nl, struct link_veth_end *a, struct link_veth_end *b)
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

int link_delete(struct link_nl *nl, const char *ifname)
{
	char buf[REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = put_link_hdr(buf, RTM_DELLINK, 0, 0, &ifm);
	int rc;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	rc = request(nl, nlh, NULL, NULL);
	return rc == -ENODEV ? 0 : rc;
}

int link_delete_in(const char *nsname, const char *ifname)
{
	struct link_nl *nl;
	int fd = netns_open(nsname), rc;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	rc = link_nl_open(fd, &nl);
	close(fd);
	if (rc)
		return rc;
	rc = link_delete(nl, ifname);
	link_nl_close(nl);
	return rc;
}

static int getlink_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWLINK)
		*(int *)data = ifm->ifi_index;
	return MNL_CB_OK;
}

int link_ifindex(struct link_nl *nl, const char *ifname)
{
	char buf[REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = put_link_hdr(buf, RTM_GETLINK, 0, 0, &ifm);
	int idx = 0, rc;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	rc = request(nl, nlh, getlink_cb, &idx);
	if (rc)
		return rc;
	return idx > 0 ? idx : -ENODEV;
}

/* --- batches ---------------------------------------------------------- */

static int batch_send(struct link_nl *nl, uint32_t *tag);

static struct nlmsghdr *batch_msg(struct link_nl *nl, uint32_t tag)
{
	struct nlmsghdr *nlh;

	if (nl->len + REQ_SIZE > BATCH_SIZE) {
		uint32_t t = 0;
		int rc = batch_send(nl, &t);

		if (rc && !nl->pending_err) {
			nl->pending_err = rc;
			nl->pending_tag = t;
		}
	}
	if (nl->n == 0)
		nl->first_seq = nl->seq;
	nl->tags = tb_grow(nl->tags, &nl->cap, nl->n, sizeof(*nl->tags));
	nl->tags[nl->n++] = tag;
	nlh = mnl_nlmsg_put_header(nl->buf + nl->len);
	nlh->nlmsg_seq = nl->seq++;
	return nlh;
}

static void batch_end(struct link_nl *nl, struct nlmsghdr *nlh)
{
	nl->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

void link_batch_up(struct link_nl *nl, int ifindex, uint32_t tag)
{
	struct nlmsghdr *nlh = batch_msg(nl, tag);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = ifindex;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	batch_end(nl, nlh);
}

/* A batched create request of @type with a zeroed @hdrlen-byte header;
 * @replace replaces what exists instead of failing with EEXIST. */
static void *batch_create(struct link_nl *nl, uint16_t type, size_t hdrlen, bool replace,
			  uint32_t tag, struct nlmsghdr **nlh)
{
	*nlh = batch_msg(nl, tag);
	(*nlh)->nlmsg_type = type;
	(*nlh)->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
	return mnl_nlmsg_put_extra_header(*nlh, hdrlen);
}

void link_batch_addr(struct link_nl *nl, int family, int ifindex, const void *addr, int plen,
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
	batch_end(nl, nlh);
}

void link_batch_route(struct link_nl *nl, int family, const void *dst, int plen, const void *gw,
		      int oif, bool replace, uint32_t tag)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm = batch_create(nl, RTM_NEWROUTE, sizeof(*rtm), replace, tag, &nlh);
	size_t alen = family == AF_INET ? 4 : 16;

	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = (uint8_t)plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, alen, dst);
	mnl_attr_put(nlh, RTA_GATEWAY, alen, gw);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	batch_end(nl, nlh);
}

void link_batch_neigh(struct link_nl *nl, int family, int ifindex, const void *addr,
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
	batch_end(nl, nlh);
}

/* Only the last request asks for an ack: the kernel answers a request
 * without NLM_F_ACK only when it fails, so one ack closes the batch. */
static int batch_send(struct link_nl *nl, uint32_t *tag)
{
	char buf[16384], first_ack[sizeof(nl->ext_ack)] = "";
	struct nlmsghdr *last = NULL;
	uint32_t last_seq;
	int first_err = 0;
	ssize_t n;

	if (!nl->n)
		return 0;
	for (size_t off = 0; off < nl->len;) {
		last = (struct nlmsghdr *)(nl->buf + off);
		off += NLMSG_ALIGN(last->nlmsg_len);
	}
	last->nlmsg_flags |= NLM_F_ACK;
	last_seq = last->nlmsg_seq;
	if (mnl_socket_sendto(nl->sock, nl->buf, nl->len) < 0) {
		first_err = -errno;
		*tag = nl->tags[0];
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0) {
			if (!first_err) {
				first_err = -errno;
				*tag = nl->tags[0];
			}
			goto out;
		}
		for (struct nlmsghdr *r = (struct nlmsghdr *)buf; mnl_nlmsg_ok(r, (int)n);
		     r = mnl_nlmsg_next(r, (int *)&n)) {
			int e;

			if (r->nlmsg_type != NLMSG_ERROR)
				continue;
			e = parse_err(nl, r);
			if (e && !first_err && r->nlmsg_seq - nl->first_seq < nl->n) {
				first_err = e;
				*tag = nl->tags[r->nlmsg_seq - nl->first_seq];
				memcpy(first_ack, nl->ext_ack, sizeof(first_ack));
			}
			if (r->nlmsg_seq == last_seq)
				goto out;
		}
	}
out:
	if (first_err)
		memcpy(nl->ext_ack, first_ack, sizeof(first_ack));
	nl->len = 0;
	nl->n = 0;
	return first_err;
}

int link_batch_flush(struct link_nl *nl, uint32_t *tag)
{
	uint32_t t = 0;
	int rc = batch_send(nl, &t);

	if (nl->pending_err) {
		rc = nl->pending_err;
		t = nl->pending_tag;
		nl->pending_err = 0;
	}
	if (rc && tag)
		*tag = t;
	return rc;
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
