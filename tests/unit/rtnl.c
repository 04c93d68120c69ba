/* The rtnetlink layer against the kernel, in a network namespace of its own
 * (unshared: nothing is visible outside, everything goes with the process):
 * a failed request comes back with the kernel's own text, for one request,
 * for a batch (naming which request failed), for a link set up or down as
 * an event does, and on the probe's allocation-free path. Needs root. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/link.h"
#include "net/rtnl.h"
#include "net/topo_err.h"
#include "tap.h"

static void test_request(struct rtnl *nl, int ifindex)
{
	struct in_addr dst, gw;
	char why[512];
	int rc;

	inet_pton(AF_INET, "10.9.0.0", &dst);
	inet_pton(AF_INET, "10.1.1.1", &gw); /* on no link: the kernel refuses it */
	rc = link_route_add(nl, AF_INET, &dst, 24, &gw, ifindex);
	tap_diag("route via a gateway on no link: %s", topo_why(rc, nl, why, sizeof(why)));
	tap_ok(rc < 0, "a route via a gateway on no link is refused (%s)", strerror(-rc));
	tap_ok(strstr(rtnl_ext_ack(nl), "gateway") != NULL, "... with the kernel's text: \"%s\"",
	       rtnl_ext_ack(nl));
	tap_ok(strstr(why, "(kernel: ") != NULL, "topo_why() puts the kernel's text beside errno's");
	rc = link_route_add(nl, AF_INET, &dst, 24, NULL, 0);
	tap_is_int(rc, 0, "a black-hole route is added");
	tap_is_str(rtnl_ext_ack(nl), "", "a request that worked leaves no text behind");
}

static void test_batch(struct rtnl *nl, int ifindex)
{
	struct in_addr a, net, gw;
	uint32_t tag = 0;
	int rc;

	inet_pton(AF_INET, "10.2.0.1", &a);
	inet_pton(AF_INET, "10.3.0.0", &net);
	inet_pton(AF_INET, "10.8.8.8", &gw);
	link_batch_addr(nl, AF_INET, ifindex, &a, 24, false, 1);
	link_batch_route(nl, AF_INET, &net, 24, &gw, ifindex, false, 2);
	link_batch_addr(nl, AF_INET, ifindex, &a, 24, true, 3);
	rc = rtnl_batch_flush(nl, &tag);
	tap_diag("batch: %s, tag %u, kernel: \"%s\"", strerror(-rc), tag, rtnl_ext_ack(nl));
	tap_ok(rc < 0, "a batch with a bad route fails (%s)", strerror(-rc));
	tap_is_int(tag, 2, "... naming the request that failed (its tag)");
	tap_ok(strstr(rtnl_ext_ack(nl), "gateway") != NULL, "... with its kernel text");
}

static void test_updown(struct rtnl *nl, int ifindex)
{
	tap_is_int(link_set_up(nl, ifindex, false), 0, "an event's link down");
	tap_is_int(link_set_up(nl, ifindex, true), 0, "an event's link up");
	tap_is_int(link_set_up(nl, 99999, true), -ENODEV, "a link that does not exist: ENODEV");
}

static void test_talk_fd(void)
{
	char buf[512], ack[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tc;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), one = 1, rc;

	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	nlh->nlmsg_type = RTM_NEWQDISC;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = 7;
	tc = mnl_nlmsg_put_extra_header(nlh, sizeof(*tc));
	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = (int)if_nametoindex("lo");
	tc->tcm_parent = TC_H_ROOT;
	mnl_attr_put_strz(nlh, TCA_KIND, "nosuchqdisc");
	rc = rtnl_talk_fd(fd, nlh, ack, sizeof(ack));
	close(fd);
	tap_diag("unknown qdisc kind: %s, kernel: \"%s\"", strerror(-rc), ack);
	tap_is_int(rc, -ENOENT, "the probe's path: an unknown qdisc kind is ENOENT");
	tap_ok(ack[0] != 0, "... with the kernel's text");
}

int main(void)
{
	struct link_veth_end a = { .nsfd = -1, .ifname = "tbx0" }, b = { .nsfd = -1, .ifname = "tbx1" };
	struct rtnl *nl;
	int rc;

	if (geteuid() != 0)
		tap_skip_all("needs root (a network namespace of its own)");
	if (unshare(CLONE_NEWNET) < 0)
		tap_skip_all("unshare(CLONE_NEWNET): %s", strerror(errno));
	rc = rtnl_open(-1, &nl);
	if (rc)
		tap_bail("rtnl_open: %s", strerror(-rc));
	rc = link_veth_add(nl, &a, &b);
	if (rc)
		tap_bail("veth: %s (%s)", strerror(-rc), rtnl_ext_ack(nl));
	tap_ok(a.ifindex > 0 || if_nametoindex("tbx0") > 0, "a veth pair in the test's namespace");
	a.ifindex = (int)if_nametoindex("tbx0");
	test_request(nl, a.ifindex);
	test_batch(nl, a.ifindex);
	test_updown(nl, a.ifindex);
	test_talk_fd();
	rtnl_close(nl);
	return tap_done();
}
