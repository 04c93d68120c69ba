/* Timed events: link down/up (link_set_up(), rtnetlink from a socket
 * opened inside each end's namespace; a failure carries the kernel's text).
 * Both ends go down so that neither side can send a FIN or an RST through
 * the link: to the endpoints the peer simply falls silent.
 * Going down costs the link's routes via a gateway (and its IPv6 addresses);
 * `up` puts them back from the plan, so a routed path heals too.
 * `set` changes shape keys in place (qdisc_change(): the kernel's change of
 * each qdisc at its handle), never deleting and re-adding a qdisc. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "link.h"
#include "qdisc.h"

const char *event_action_name(enum tb_event_action a)
{
	switch (a) {
	case TB_EVENT_DOWN:
		return "down";
	case TB_EVENT_UP:
		return "up";
	case TB_EVENT_SET:
		return "set";
	case TB_EVENT_STOP:
		return "stop";
	case TB_EVENT_START:
		return "start";
	}
	return "?";
}

/* Set interface @ifindex in namespace @nsfd up or down; the kernel's own
 * text of a failure into @err. */
static int set_updown(int nsfd, int ifindex, bool up, char *err, size_t errlen)
{
	struct rtnl *nl;
	int rc = rtnl_open(nsfd, &nl);

	if (rc) {
		snprintf(err, errlen, "netlink socket: %s", strerror(-rc));
		return rc;
	}
	rc = link_set_up(nl, ifindex, up);
	if (rc)
		snprintf(err, errlen, "%s%s%s", strerror(-rc), *rtnl_ext_ack(nl) ? ": " : "",
			 rtnl_ext_ack(nl));
	rtnl_close(nl);
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

int event_set(const struct tb_config *c, const struct topo *t, const struct tb_event *v,
	      double frac, struct tb_shape now[2], char *done, size_t donelen, char *err,
	      size_t errlen)
{
	const struct tb_link *l = &c->links[v->link];
	size_t n = 0;

	done[0] = 0;
	for (int d = 0; d < 2; d++) {
		int node = l->end[d].node;
		struct qdisc_plan_hint hint = { .node = c->nodes[node].name, .mtu = l->mtu };
		struct qdisc_err qe = { 0 };
		char what[256];

		if (!v->keys[d])
			continue;
		config_event_shape(v, d, frac, &now[d]);
		if (qdisc_change(topo_node_nsfd(t, node), topo_ifindex(t, v->link, d),
				 topo_ifname(t, v->link, d), &l->dir[d], &now[d],
				 config_event_parts(v, d), &hint, &qe)) {
			snprintf(err, errlen, "event %s: %s", v->name, qe.msg);
			return qe.code;
		}
		config_event_describe(v, d, &now[d], what, sizeof(what));
		n += (size_t)snprintf(done + n, n < donelen ? donelen - n : 0, "%s%s->%s: %s",
				      n ? "; " : "", c->nodes[node].name,
				      c->nodes[l->end[1 - d].node].name, what);
	}
	return 0;
}
