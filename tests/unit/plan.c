/* The address and route planner on hand-built models: no root, no kernel. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/plan.h"
#include "tap.h"
#include "util/util.h"

static struct tb_config *model(const char *const *nodes, const char *fwd, const char *const *links)
{
	struct tb_config *c = xcalloc(1, sizeof(*c));

	for (c->n_nodes = 0; nodes[c->n_nodes]; c->n_nodes++)
		;
	c->nodes = xcalloc(c->n_nodes, sizeof(*c->nodes));
	for (size_t i = 0; i < c->n_nodes; i++) {
		snprintf(c->nodes[i].name, sizeof(c->nodes[i].name), "%s", nodes[i]);
		c->nodes[i].forward = fwd[i] == 'f';
	}
	for (c->n_links = 0; links[c->n_links]; c->n_links++)
		;
	c->links = xcalloc(c->n_links, sizeof(*c->links));
	for (size_t l = 0; l < c->n_links; l++) {
		char a[32], b[32];

		sscanf(links[l], "%31[^-]-%31s", a, b);
		snprintf(c->links[l].name, sizeof(c->links[l].name), "%s", links[l]);
		for (size_t i = 0; i < c->n_nodes; i++) {
			if (!strcmp(c->nodes[i].name, a))
				c->links[l].end[0].node = (int)i;
			if (!strcmp(c->nodes[i].name, b))
				c->links[l].end[1].node = (int)i;
		}
		c->links[l].offload = -1;
	}
	return c;
}

static void free_model(struct tb_config *c)
{
	free(c->nodes);
	free(c->links);
	free(c);
}

static const char *addr(const struct plan *p, int l, int e, int fam, char *buf)
{
	const struct plan_end *pe = &p->ends[l][e];
	char a[64];

	plan_ntop(fam, fam == AF_INET ? &pe->a4 : &pe->a6, a, sizeof(a));
	sprintf(buf, "%s/%d", a, fam == AF_INET ? pe->plen4 : pe->plen6);
	return buf;
}

/* "dst/plen via gw dev ifname" of route @i of node @n */
static const char *route(const struct plan *p, int n, size_t i, char *buf)
{
	const struct plan_route *r = &p->nodes[n].routes[i];
	char d[64], g[64];

	sprintf(buf, "%s/%d via %s dev %s", plan_ntop(r->family, &r->dst, d, sizeof(d)), r->plen,
		plan_ntop(r->family, &r->gw, g, sizeof(g)), p->ends[r->link][r->end].ifname);
	return buf;
}

static bool has_route(const struct plan *p, int n, const char *want)
{
	char buf[200];

	for (size_t i = 0; i < p->nodes[n].n_routes; i++)
		if (!strcmp(route(p, n, i, buf), want))
			return true;
	return false;
}

static size_t count(const struct plan *p, int n, int fam)
{
	size_t k = 0;

	for (size_t i = 0; i < p->nodes[n].n_routes; i++)
		k += p->nodes[n].routes[i].family == fam;
	return k;
}

/* Plan @c as test @name; the plan, or NULL (the test failed) */
static struct plan *planned(struct tb_config *c, const char *name)
{
	struct plan *p = NULL;
	char msg[256] = "";

	tap_ok(plan_make(c, &p, msg, sizeof(msg)) == 0, "%s%s%s%s", name, *msg ? " (" : "", msg,
	       *msg ? ")" : "");
	return p;
}

static void dumbbell(void)
{
	static const char *const nodes[] = { "c1", "c2", "s1", "s2", "r1", "r2", NULL };
	static const char *const links[] = { "c1-r1", "c2-r1", "r1-r2", "r2-s1", "r2-s2", NULL };
	struct tb_config *c = model(nodes, "....ff", links);
	struct plan *p = planned(c, "dumbbell plans");
	char buf[200];
	bool counts = true;

	if (!p)
		goto out;
	tap_is_str(addr(p, 0, 0, AF_INET, buf), "198.18.0.1/24", "c1-r1: c1 gets .1 of the first /24");
	tap_is_str(addr(p, 2, 1, AF_INET, buf), "198.18.2.2/24", "r1-r2: r2 gets .2 of the third /24");
	tap_is_str(addr(p, 4, 0, AF_INET6, buf), "fd74:6200:0:4::1/64", "r2-s2: IPv6 /64 per link");
	tap_is_str(p->ends[2][0].ifname, "eth2", "r1's third link end is eth2");
	tap_is_str(p->ends[3][0].ifname, "eth1", "r2's second link end is eth1");
	tap_ok(!memcmp(p->ends[2][1].mac, "\x02\x74\x62\x00\x02\x02", 6), "deterministic MAC 02:74:62:00:02:02");
	tap_ok(has_route(p, 0, "198.18.4.0/24 via 198.18.0.2 dev eth0"), "c1 -> r2-s2 subnet via r1");
	tap_ok(has_route(p, 4, "198.18.3.0/24 via 198.18.2.2 dev eth2"), "r1 -> r2-s1 subnet via r2");
	tap_ok(has_route(p, 2, "fd74:6200:0:1::/64 via fd74:6200:0:3::1 dev eth0"), "s1 -> c2-r1 v6 via r2");
	for (size_t n = 0; n < c->n_nodes; n++) {
		size_t deg = (size_t)p->nodes[n].n_ports, want = c->n_links - deg;

		if (count(p, (int)n, AF_INET) != want || count(p, (int)n, AF_INET6) != want) {
			tap_diag("%s: %zu/%zu routes, want %zu", c->nodes[n].name, count(p, (int)n, AF_INET),
				 count(p, (int)n, AF_INET6), want);
			counts = false;
		}
	}
	tap_ok(counts, "every node: one route per family to every subnet it is not on");
out:
	plan_free(p);
	free_model(c);
}

static void not_forwarding(void)
{
	/* a - b - c with b a plain host: a reaches b (both of b's addresses)
	 * but nothing behind b */
	static const char *const nodes[] = { "a", "b", "c", NULL };
	static const char *const links[] = { "a-b", "b-c", NULL };
	struct tb_config *c = model(nodes, "...", links);
	struct plan *p = planned(c, "a-b-c plans");

	if (!p)
		goto out;
	tap_ok(has_route(p, 0, "198.18.1.0/24 via 198.18.0.2 dev eth0"), "a -> b-c subnet via b (b's own address there)");
	tap_is_int((long long)count(p, 0, AF_INET), 1, "a has no host route to c: b does not forward");
	tap_is_int((long long)count(p, 2, AF_INET), 1, "c likewise has one route, toward b");
out:
	plan_free(p);
	free_model(c);
}

static void multihomed(void)
{
	/* s - r1 - r2 - h and h - r3, r3 a router only h reaches: s reaches the
	 * h-r3 subnet through h? No: h does not forward. The subnet route goes
	 * toward h (nearest end) and r3's address is unreachable from s. */
	static const char *const nodes[] = { "s", "r1", "r2", "h", "r3", NULL };
	static const char *const links[] = { "s-r1", "r1-r2", "r2-h", "h-r3", "r1-h", NULL };
	struct tb_config *c = model(nodes, ".ff.f", links);
	struct plan *p = planned(c, "multi-homed host plans");

	if (!p)
		goto out;
	/* from r2: link r1-h has ends r1 (1 hop) and h (1 hop): the tie goes to
	 * r1, which forwards; no host route needed */
	tap_ok(has_route(p, 2, "198.18.4.0/24 via 198.18.1.1 dev eth0"), "r2 -> r1-h subnet via r1 (tie: the forwarding end)");
	/* from s: link r2-h: r2 and h both 2 hops, r2 forwards: via r1 */
	tap_ok(has_route(p, 0, "198.18.2.0/24 via 198.18.0.2 dev eth0"), "s -> r2-h subnet via r1");
	/* from r3: link r1-r2 reachable only through h, which does not forward */
	tap_is_int((long long)count(p, 4, AF_INET), 2,
		   "r3 behind a host: routes only to the host's other two subnets (its own addresses)");
	tap_ok(!has_route(p, 4, "198.18.1.0/24 via 198.18.3.1 dev eth0"), "r3 has no route to r1-r2 through the host");
	/* from r2: link h-r3: nearest end h (1 hop) does not forward and r3 is
	 * unreachable: one subnet route, no host route */
	tap_ok(has_route(p, 2, "198.18.3.0/24 via 198.18.2.2 dev eth1"), "r2 -> h-r3 subnet via h");
out:
	plan_free(p);
	free_model(c);
}

static void hostroute(void)
{
	/* x - r1 - h - r2 - y, plus h directly... h has two links to two routers.
	 * From x, link h-r2: h is 2 hops, r2 is 3 hops (via r1? no: r1-h-r2
	 * needs h to forward). Add r1-r2 so r2 is reachable: r2 at 2 hops too,
	 * tie -> r2 (forwards). Make r2 farther: r1 - m - r2 with m forwarding. */
	static const char *const nodes[] = { "x", "r1", "h", "m", "r2", NULL };
	static const char *const links[] = { "x-r1", "r1-h", "h-r2", "r1-m", "m-r2", NULL };
	struct tb_config *c = model(nodes, ".f.ff", links);
	struct plan *p = planned(c, "host route case plans");

	if (!p)
		goto out;
	/* from x: link h-r2: h 2 hops (x r1 h), r2 3 hops (x r1 m r2). The
	 * subnet goes toward h, which cannot pass packets on to r2's address:
	 * a /32 to r2's address follows r2's own path (via r1). */
	tap_ok(has_route(p, 0, "198.18.2.0/24 via 198.18.0.2 dev eth0"), "x -> h-r2 subnet toward h");
	tap_ok(has_route(p, 0, "198.18.2.2/32 via 198.18.0.2 dev eth0"), "x -> host route to r2's address on h-r2");
	tap_ok(has_route(p, 0, "fd74:6200:0:2::2/128 via fd74:6200::2 dev eth0"), "and its IPv6 twin");
out:
	plan_free(p);
	free_model(c);
}

static void pools(void)
{
	static const char *const nodes[] = { "a", "b", "c", "d", NULL };
	static const char *const links[] = { "a-b", "b-c", "c-d", NULL };
	struct tb_config *c = model(nodes, ".ff.", links);
	struct plan *p = NULL;
	char msg[256] = "", buf[200];

	snprintf(c->topo.pool4, sizeof(c->topo.pool4), "10.0.0.0/23");
	tap_ok(plan_make(c, &p, msg, sizeof(msg)) == 0, "3 links in a /23: /30s");
	if (p) {
		tap_is_str(addr(p, 2, 1, AF_INET, buf), "10.0.0.10/30", "third /30, second host");
		plan_free(p);
		p = NULL;
	}
	snprintf(c->topo.pool4, sizeof(c->topo.pool4), "10.0.0.0/30");
	snprintf(c->links[0].end[0].addr4, sizeof(c->links[0].end[0].addr4), "192.0.2.9/24");
	tap_ok(plan_make(c, &p, msg, sizeof(msg)) == -EINVAL, "a /30 pool for 2 automatic links fails");
	tap_diag("message: %s", msg);
	tap_ok(strstr(msg, "10.0.0.0/30") && strstr(msg, "c-d"), "the message names the pool and the link");
	plan_free(p);
	p = NULL;

	c->topo.pool4[0] = 0;
	msg[0] = 0;
	snprintf(c->links[1].end[1].addr4, sizeof(c->links[1].end[1].addr4), "198.18.0.7/24");
	tap_ok(plan_make(c, &p, msg, sizeof(msg)) == 0, "given addresses plan (%s)", msg);
	if (p) {
		tap_is_str(addr(p, 0, 1, AF_INET, buf), "192.0.2.1/24", "one end given: the other takes the first free host");
		tap_is_str(addr(p, 1, 0, AF_INET, buf), "198.18.0.1/24", "b-c: b gets a host next to the given .7");
		tap_is_str(addr(p, 2, 0, AF_INET, buf), "198.18.1.1/24", "c-d: the pool skips the /24 the file uses");
		tap_ok(has_route(p, 3, "192.0.2.0/24 via 198.18.1.1 dev eth0"), "d routes to the given subnet");
		plan_free(p);
	}
	free_model(c);
}

/* Longest-prefix match of IPv4 @a in node @n's planned routes: the
 * route's index, or -1. */
static int lpm4(const struct plan *p, int n, uint32_t a)
{
	int best = -1, best_len = -1;

	for (size_t i = 0; i < p->nodes[n].n_routes; i++) {
		const struct plan_route *r = &p->nodes[n].routes[i];
		uint32_t m;

		if (r->family != AF_INET)
			continue;
		m = r->plen ? ~0u << (32 - r->plen) : 0;
		if ((ntohl(r->dst.v4.s_addr) & m) == (a & m) && r->plen > best_len) {
			best = (int)i;
			best_len = r->plen;
		}
	}
	return best;
}

static void aggregated(void)
{
	enum { N = 100 };
	const char *nodes[N + 1] = { 0 }, *links[N] = { 0 };
	char names[N][8], lnames[N][16], fwd[N + 1];
	char what[32];
	struct tb_config *c;
	struct plan *p;
	int wrong = 0, k = 50;
	size_t n4 = 0;

	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d", i + 1);
		nodes[i] = names[i];
		fwd[i] = i == 0 || i == N - 1 ? '.' : 'f';
		if (i + 1 < N) {
			snprintf(lnames[i], sizeof(lnames[i]), "n%d-n%d", i + 1, i + 2);
			links[i] = lnames[i];
		}
	}
	fwd[N] = 0;
	c = model(nodes, fwd, links);
	snprintf(what, sizeof(what), "chain of %d plans", N);
	p = planned(c, what);
	if (!p)
		goto out;
	n4 = count(p, k, AF_INET);
	tap_diag("chain %d: node n%d has %zu IPv4 routes for %d subnets", N, k + 1, n4, N - 3);
	tap_ok(n4 > 0 && n4 <= 16, "a big table is aggregated (%zu routes instead of %d)", n4, N - 3);
	/* every subnet n(k+1) is not on goes to the right neighbour */
	for (int j = 0; j < N - 1; j++) {
		uint32_t a = ntohl(p->ends[j][0].a4.v4.s_addr);
		int r = lpm4(p, k, a);
		int want_link = j < k - 1 ? k - 1 : k; /* left: link k-1, right: link k */

		if (j == k - 1 || j == k)
			continue; /* connected */
		if (r < 0 || p->nodes[k].routes[r].link != want_link)
			wrong++;
	}
	tap_is_int(wrong, 0, "longest-prefix match sends every other subnet the shortest way");
	tap_is_int(lpm4(p, k, 0xc6120000u + (99u << 8) + 1), -1,
		   "no route covers pool space no link uses (198.18.99.1)");
	tap_is_int((long long)count(p, 0, AF_INET6) <= 16, 1, "IPv6 is aggregated too");
out:
	plan_free(p);
	free_model(c);
}

int main(void)
{
	dumbbell();
	not_forwarding();
	multihomed();
	hostroute();
	pools();
	aggregated();
	return tap_done();
}
