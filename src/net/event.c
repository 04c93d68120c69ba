/* Timed events: link down/up over raw rtnetlink (RTM_NEWLINK with
 * ifi_change = IFF_UP), sent from a socket opened inside each end's
 * namespace. Both ends go down so that neither side can send a FIN or an
 * RST through the link: to the endpoints the peer simply falls silent.
 * Going down costs the link's routes via a gateway (and its IPv6 addresses);
 * `up` puts them back from the plan, so a routed path heals too. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "netns.h"

const char *event_action_name(enum tb_event_action a)
{
	switch (a) {
	case TB_EVENT_DOWN:
		return "down";
	case TB_EVENT_UP:
		return "up";
	}
	return "?";
}

/* Set interface @ifindex in namespace @nsfd up or down; waits for the ack. */
static int set_updown(int nsfd, int ifindex, bool up, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = NULL;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	unsigned seq = (unsigned)time(NULL);
	int fd, rc;
	ssize_t n;

	fd = netns_socket(nsfd, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(-fd));
		return fd;
	}
	nl = mnl_socket_fdopen(fd);
	if (!nl) {
		rc = -errno;
		close(fd);
		snprintf(err, errlen, "netlink socket: %s", strerror(-rc));
		return rc;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		snprintf(err, errlen, "netlink bind: %s", strerror(-rc));
		goto out;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		snprintf(err, errlen, "netlink send: %s", strerror(-rc));
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0) {
		rc = -errno;
		snprintf(err, errlen, "netlink receive: %s", strerror(-rc));
		goto out;
	}
	rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL, NULL);
	if (rc < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s", strerror(-rc));
		goto out;
	}
	rc = 0;
out:
	mnl_socket_close(nl);
	return rc;
}

int event_apply(const struct tb_config *c, const struct topo *t, const struct tb_event *v,
		char *err, size_t errlen)
{
	bool up = v->action == TB_EVENT_UP;
	struct topo_err te = { 0 };

	for (int e = 0; e < 2; e++) {
		int node = c->links[v->link].end[e].node;
		char why[256] = "";
		int rc = set_updown(topo_node_nsfd(t, node), topo_ifindex(t, v->link, e), up, why,
				    sizeof(why));

		if (rc) {
			snprintf(err, errlen, "event %s: set %s/%s %s: %s", v->name,
				 c->nodes[node].name, topo_ifname(t, v->link, e), up ? "up" : "down",
				 why);
			return rc;
		}
	}
	if (up && topo_restore_link(t, v->link, &te)) {
		snprintf(err, errlen, "event %s: %s", v->name, te.msg);
		return te.code;
	}
	return 0;
}
