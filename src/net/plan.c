#include "plan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/util.h"

#define DEFAULT_POOL4 "198.18.0.0/15"
#define DEFAULT_POOL6 "fd74:6200::/48"

typedef unsigned __int128 u128;

static u128 to128(const union plan_addr *a)
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = v << 8 | a->b[i];
	return v;
}

static void from128(u128 v, union plan_addr *a)
{
	for (int i = 15; i >= 0; i--) {
		a->b[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint32_t to32(const union plan_addr *a)
{
	return ntohl(a->v4.s_addr);
}

static void from32(uint32_t v, union plan_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->v4.s_addr = htonl(v);
}

static uint32_t mask32(int plen)
{
	return plen <= 0 ? 0 : plen >= 32 ? 0xffffffffu : ~((1u << (32 - plen)) - 1);
}

static u128 mask128(int plen)
{
	return plen <= 0 ? 0 : plen >= 128 ? ~(u128)0 : ~(((u128)1 << (128 - plen)) - 1);
}

const char *plan_ntop(int family, const union plan_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(family, a->b, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* "addr[/len]" -> address and prefix length (@dflt when not given). */
static int parse_prefix(int family, const char *s, union plan_addr *a, uint8_t *plen, int dflt)
{
	char tmp[80], *slash, *end;
	int max = family == AF_INET ? 32 : 128;
	long l = dflt;

	if (snprintf(tmp, sizeof(tmp), "%s", s) >= (int)sizeof(tmp))
		return -EINVAL;
	slash = strchr(tmp, '/');
	if (slash) {
		*slash++ = 0;
		l = strtol(slash, &end, 10);
		if (!*slash || *end || l < 0 || l > max)
			return -EINVAL;
	}
	memset(a, 0, sizeof(*a));
	if (inet_pton(family, tmp, a->b) != 1)
		return -EINVAL;
	*plen = (uint8_t)l;
	return 0;
}

int plan_parse_prefix(int family, const char *s, union plan_addr *a, uint8_t *plen)
{
	return parse_prefix(family, s, a, plen, family == AF_INET ? 32 : 128);
}

/* Does a/alen overlap b/blen (one contains the other)? */
static bool overlaps(int family, const union plan_addr *a, int alen, const union plan_addr *b, int blen)
{
	int l = alen < blen ? alen : blen;

	if (family == AF_INET)
		return ((to32(a) ^ to32(b)) & mask32(l)) == 0;
	return ((to128(a) ^ to128(b)) & mask128(l)) == 0;
}

struct fam {
	int family;
	const char *pool;
	union plan_addr base;
	uint8_t pool_len, sub_len;
	u128 next, count; /* next subnet index, subnets in the pool */
};

static bool given_overlap(const struct tb_config *c, const struct plan *p, struct fam *f,
			  const union plan_addr *net)
{
	for (size_t l = 0; l < c->n_links; l++)
		for (int e = 0; e < 2; e++) {
			const char *s = f->family == AF_INET ? c->links[l].end[e].addr4 : c->links[l].end[e].addr6;
			const struct plan_end *pe = &p->ends[l][e];

			if (!*s)
				continue;
			if (f->family == AF_INET && overlaps(AF_INET, net, f->sub_len, &pe->a4, pe->plen4))
				return true;
			if (f->family == AF_INET6 && overlaps(AF_INET6, net, f->sub_len, &pe->a6, pe->plen6))
				return true;
		}
	return false;
}

/* Host @h of subnet @net/@plen. */
static void host_of(int family, const union plan_addr *net, int plen, u128 h, union plan_addr *out)
{
	if (family == AF_INET)
		from32((to32(net) & mask32(plen)) + (uint32_t)h, out);
	else
		from128((to128(net) & mask128(plen)) + h, out);
}

static int next_subnet(const struct tb_config *c, const struct plan *p, struct fam *f, union plan_addr *net)
{
	while (f->next < f->count) {
		u128 k = f->next++;

		if (f->family == AF_INET)
			from32(to32(&f->base) + ((uint32_t)k << (32 - f->sub_len)), net);
		else
			from128(to128(&f->base) + (k << (128 - f->sub_len)), net);
		if (!given_overlap(c, p, f, net))
			return 0;
	}
	return -ENOSPC;
}

static int assign(const struct tb_config *c, struct plan *p, struct fam *f, char *msg, size_t len,
		  int *bad)
{
	int v4 = f->family == AF_INET;

	for (size_t l = 0; l < c->n_links; l++) {
		const struct tb_link *lk = &c->links[l];
		const char *g[2] = { v4 ? lk->end[0].addr4 : lk->end[0].addr6,
				     v4 ? lk->end[1].addr4 : lk->end[1].addr6 };
		union plan_addr *a[2] = { v4 ? &p->ends[l][0].a4 : &p->ends[l][0].a6,
					  v4 ? &p->ends[l][1].a4 : &p->ends[l][1].a6 };
		uint8_t *pl[2] = { v4 ? &p->ends[l][0].plen4 : &p->ends[l][0].plen6,
				   v4 ? &p->ends[l][1].plen4 : &p->ends[l][1].plen6 };
		union plan_addr net;

		if (*g[0] && *g[1])
			continue;
		if (*g[0] || *g[1]) {
			/* one end given: the other takes the first free host of its subnet */
			int k = *g[0] ? 0 : 1, maxlen = v4 ? 32 : 128;
			u128 h = *pl[k] >= maxlen - 1 ? 0 : 1;

			for (;; h++) {
				host_of(f->family, a[k], *pl[k], h, a[1 - k]);
				if (memcmp(a[1 - k], a[k], sizeof(*a[k])))
					break;
			}
			*pl[1 - k] = *pl[k];
			continue;
		}
		if (next_subnet(c, p, f, &net)) {
			snprintf(msg, len, "link %s: address pool %s has no free /%d for it (%zu links)",
				 lk->name, f->pool, f->sub_len, c->n_links);
			*bad = (int)l;
			return -EINVAL;
		}
		for (int e = 0; e < 2; e++) {
			host_of(f->family, &net, f->sub_len, (u128)e + 1, a[e]);
			*pl[e] = f->sub_len;
			if (v4)
				p->ends[l][e].pool4 = true;
			else
				p->ends[l][e].pool6 = true;
		}
	}
	return 0;
}

static int setup_family(const struct tb_config *c, struct fam *f, int family, char *msg, size_t len)
{
	int v4 = family == AF_INET;
	const char *pool = v4 ? c->topo.pool4 : c->topo.pool6;
	u128 n_links = c->n_links;

	f->family = family;
	f->pool = *pool ? pool : v4 ? DEFAULT_POOL4 : DEFAULT_POOL6;
	if (parse_prefix(family, f->pool, &f->base, &f->pool_len, -1) || f->pool_len == (uint8_t)-1) {
		snprintf(msg, len, "bad address pool \"%s\"", f->pool);
		return -EINVAL;
	}
	if (v4) {
		f->base.v4.s_addr &= htonl(mask32(f->pool_len));
		/* /24 per link reads best; /30 when the pool is too small for that */
		f->sub_len = f->pool_len <= 24 && ((u128)1 << (24 - f->pool_len)) >= n_links ? 24 : 30;
		if (f->pool_len > f->sub_len) {
			snprintf(msg, len, "address pool %s is smaller than one /30", f->pool);
			return -EINVAL;
		}
	} else {
		from128(to128(&f->base) & mask128(f->pool_len), &f->base);
		f->sub_len = 64;
		if (f->pool_len > 64) {
			snprintf(msg, len, "address pool %s is smaller than one /64", f->pool);
			return -EINVAL;
		}
	}
	f->count = f->sub_len - f->pool_len >= 64 ? ((u128)1 << 64) : (u128)1 << (f->sub_len - f->pool_len);
	f->next = 0;
	return 0;
}

static void add_route(struct plan_node *n, int family, const union plan_addr *dst, int plen,
		      const union plan_addr *gw, int link, int end)
{
	struct plan_route *r;

	n->routes = tb_grow(n->routes, &n->cap_routes, n->n_routes, sizeof(*n->routes));
	r = &n->routes[n->n_routes++];
	memset(r, 0, sizeof(*r));
	r->family = (uint8_t)family;
	r->plen = (uint8_t)plen;
	if (family == AF_INET)
		from32(to32(dst) & mask32(plen), &r->dst);
	else
		from128(to128(dst) & mask128(plen), &r->dst);
	r->gw = *gw;
	r->link = link;
	r->end = end;
}

struct port {
	int link, end;
};

/* The graph walk of one source, its buffers reused for every node. */
struct walk {
	struct port **adj;  /* per node: its ports */
	size_t *n_adj, *cap_adj;
	int *dist;          /* hops from the source, -1: not reached */
	struct port *hop;   /* the source's own port on the first link toward a node */
	int *queue;
};

/* Adjacency of @c's nodes and the buffers of a walk. */
static void walk_init(const struct tb_config *c, struct walk *w)
{
	w->adj = xcalloc(c->n_nodes + 1, sizeof(*w->adj));
	w->n_adj = xcalloc(c->n_nodes + 1, sizeof(*w->n_adj));
	w->cap_adj = xcalloc(c->n_nodes + 1, sizeof(*w->cap_adj));
	for (size_t l = 0; l < c->n_links; l++)
		for (int e = 0; e < 2; e++) {
			int n = c->links[l].end[e].node;

			w->adj[n] = tb_grow(w->adj[n], &w->cap_adj[n], w->n_adj[n], sizeof(**w->adj));
			w->adj[n][w->n_adj[n]++] = (struct port){ (int)l, e };
		}
	w->dist = xcalloc(c->n_nodes + 1, sizeof(*w->dist));
	w->queue = xcalloc(c->n_nodes + 1, sizeof(*w->queue));
	w->hop = xcalloc(c->n_nodes + 1, sizeof(*w->hop));
}

/* Free what walk_init allocated. */
static void walk_free(const struct tb_config *c, struct walk *w)
{
	for (size_t n = 0; n < c->n_nodes; n++)
		free(w->adj[n]);
	free(w->adj);
	free(w->n_adj);
	free(w->cap_adj);
	free(w->dist);
	free(w->queue);
	free(w->hop);
}

/* BFS from @s where only @s itself and forwarding nodes pass packets on. */
static void bfs(const struct tb_config *c, int s, struct walk *w)
{
	size_t head = 0, tail = 0;

	for (size_t i = 0; i < c->n_nodes; i++)
		w->dist[i] = -1;
	w->dist[s] = 0;
	w->queue[tail++] = s;
	while (head < tail) {
		int v = w->queue[head++];

		if (v != s && !c->nodes[v].forward)
			continue;
		for (size_t i = 0; i < w->n_adj[v]; i++) {
			struct port pt = w->adj[v][i];
			int u = c->links[pt.link].end[1 - pt.end].node;

			if (w->dist[u] >= 0)
				continue;
			w->dist[u] = w->dist[v] + 1;
			w->hop[u] = v == s ? pt : w->hop[v];
			w->queue[tail++] = u;
		}
	}
}

/* Link @l's end nearest the source (tie: one that forwards, then end 0); -1: unreached. */
static int near_end(const struct tb_config *c, const int *dist, size_t l)
{
	int a = c->links[l].end[0].node, b = c->links[l].end[1].node;

	if (dist[a] < 0 && dist[b] < 0)
		return -1;
	if (dist[a] < 0)
		return 1;
	if (dist[b] < 0)
		return 0;
	if (dist[a] != dist[b])
		return dist[a] < dist[b] ? 0 : 1;
	return !c->nodes[a].forward && c->nodes[b].forward ? 1 : 0;
}

/* @pe's address of family index @fam (0 IPv4, 1 IPv6). */
static const union plan_addr *end_addr(const struct plan_end *pe, int fam)
{
	return fam ? &pe->a6 : &pe->a4;
}

/* Whether @pe has an address of family index @fam. */
static bool end_has(const struct plan_end *pe, int fam)
{
	return fam ? pe->has6 : pe->has4;
}

/* Route @s to @dst/@plen out of its port @h if it and the next hop have @fam; else false. */
static bool route_via(struct plan *p, int s, int fam, const struct plan_end *dst, int plen,
		      struct port h)
{
	const struct plan_end *gw = &p->ends[h.link][1 - h.end];

	if (!end_has(dst, fam) || !end_has(gw, fam))
		return false;
	add_route(&p->nodes[s], fam ? AF_INET6 : AF_INET, end_addr(dst, fam), plen,
		  end_addr(gw, fam), h.link, h.end);
	return true;
}

/* Route @s to link @l's subnet via end @x, and to the far end when @x cannot forward. */
static void route_to_link(const struct tb_config *c, struct plan *p, int s, size_t l, int x,
			  int fam, const struct walk *w)
{
	int y = 1 - x, xn = c->links[l].end[x].node, yn = c->links[l].end[y].node;
	const struct plan_end *dx = &p->ends[l][x];

	if (fam && !p->ipv6)
		return;
	if (!route_via(p, s, fam, dx, fam ? dx->plen6 : dx->plen4, w->hop[xn]))
		return;
	if (!c->nodes[xn].forward && w->dist[yn] >= 0 && yn != xn)
		route_via(p, s, fam, &p->ends[l][y], fam ? 128 : 32, w->hop[yn]);
}

/* Routes of source @s to every link subnet it is not on. */
static void routes_from(const struct tb_config *c, struct plan *p, int s, struct walk *w)
{
	bfs(c, s, w);
	for (size_t l = 0; l < c->n_links; l++) {
		int x;

		if (c->links[l].end[0].node == s || c->links[l].end[1].node == s)
			continue;
		x = near_end(c, w->dist, l);
		if (x < 0)
			continue;
		for (int fam = 0; fam < 2; fam++)
			route_to_link(c, p, s, l, x, fam, w);
	}
}

/* --- aggregation of big route tables ------------------------------------ */

enum { AG_DONT_CARE = -1, AG_UNREACH = -2 };

struct agg {
	const int *val;
	size_t k;            /* subnets handed out (indexes 0..k-1) */
	struct plan *p;
	int node;
	const struct fam *f;
};

static size_t sub_index(const struct fam *f, const union plan_addr *a)
{
	int host_bits = (f->family == AF_INET ? 32 : 128) - f->sub_len;

	if (f->family == AF_INET)
		return (to32(a) - to32(&f->base)) >> host_bits;
	return (size_t)((to128(a) - to128(&f->base)) >> host_bits);
}

static void agg_emit(struct agg *g, size_t lo, size_t size, int nh)
{
	const struct fam *f = g->f;
	int host_bits = (f->family == AF_INET ? 32 : 128) - f->sub_len, plen = f->sub_len;
	int link = nh / 2, end = nh % 2;
	const struct plan_end *gw = &g->p->ends[link][1 - end];
	union plan_addr dst;

	for (size_t s = size; s > 1; s >>= 1)
		plen--;
	if (f->family == AF_INET)
		from32(to32(&f->base) + ((uint32_t)lo << host_bits), &dst);
	else
		from128(to128(&f->base) + ((u128)lo << host_bits), &dst);
	add_route(&g->p->nodes[g->node], f->family, &dst, plen, f->family == AF_INET ? &gw->a4 : &gw->a6,
		  link, end);
}

static void agg_block(struct agg *g, size_t lo, size_t size)
{
	bool unreach = lo + size > g->k, mixed = false;
	int common = AG_DONT_CARE;

	if (lo >= g->k)
		return;
	for (size_t i = lo; i < lo + size && i < g->k; i++) {
		int v = g->val[i];

		if (v == AG_UNREACH)
			unreach = true;
		else if (v >= 0 && common == AG_DONT_CARE)
			common = v;
		else if (v >= 0 && v != common)
			mixed = true;
	}
	if (common == AG_DONT_CARE)
		return;
	if ((!unreach && !mixed) || size == 1) {
		agg_emit(g, lo, size, common);
		return;
	}
	agg_block(g, lo, size / 2);
	agg_block(g, lo + size / 2, size / 2);
}

static void aggregate(const struct tb_config *c, struct plan *p, int node, const struct fam *f)
{
	struct plan_node *pn = &p->nodes[node];
	size_t n_pool = 0, k = (size_t)f->next, top = 1, kept = 0;
	int v4 = f->family == AF_INET, *val;
	struct agg g;

	for (size_t i = 0; i < pn->n_routes; i++)
		n_pool += pn->routes[i].family == f->family && pn->routes[i].plen == f->sub_len;
	if (n_pool <= PLAN_AGGREGATE_OVER || !k)
		return;
	val = xcalloc(k, sizeof(*val));
	for (size_t i = 0; i < k; i++)
		val[i] = AG_UNREACH; /* pool space no link uses counts as unreachable */
	for (size_t l = 0; l < c->n_links; l++) {
		const struct plan_end *pe = &p->ends[l][0];

		if (!(v4 ? pe->pool4 : pe->pool6))
			continue;
		if (c->links[l].end[0].node == node || c->links[l].end[1].node == node)
			val[sub_index(f, v4 ? &pe->a4 : &pe->a6)] = AG_DONT_CARE; /* connected */
	}
	/* keep host routes and routes to the file's own subnets as they are */
	for (size_t i = 0; i < pn->n_routes; i++) {
		struct plan_route *r = &pn->routes[i];
		size_t idx;

		if (r->family == f->family && r->plen == f->sub_len) {
			union plan_addr lo = f->base;

			idx = sub_index(f, &r->dst);
			if (idx < k && (v4 ? to32(&r->dst) >= to32(&lo) : to128(&r->dst) >= to128(&lo))) {
				val[idx] = r->link * 2 + r->end;
				continue;
			}
		}
		pn->routes[kept++] = *r;
	}
	pn->n_routes = kept;
	while (top < k)
		top <<= 1;
	g = (struct agg){ val, k, p, node, f };
	agg_block(&g, 0, top);
	free(val);
}

static void name_ifaces(const struct tb_config *c, struct plan *p)
{
	for (size_t n = 0; n < c->n_nodes; n++) {
		int k = 0;

		for (size_t l = 0; l < c->n_links; l++)
			for (int e = 0; e < 2; e++) {
				struct plan_end *pe = &p->ends[l][e];
				bool taken;

				if (c->links[l].end[e].node != (int)n || *pe->ifname)
					continue;
				do {
					taken = false;
					snprintf(pe->ifname, sizeof(pe->ifname), "eth%d", k++);
					for (size_t l2 = 0; l2 < c->n_links && !taken; l2++)
						for (int e2 = 0; e2 < 2; e2++)
							if (c->links[l2].end[e2].node == (int)n &&
							    !strcmp(c->links[l2].end[e2].ifname, pe->ifname))
								taken = true;
				} while (taken);
			}
	}
}

/* @msg about link @l (into *@bad); -EINVAL. */
static int link_error(int l, int *bad, char *msg, size_t len, const char *fmt, ...)
	TB_PRINTF(5, 6);

static int link_error(int l, int *bad, char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	*bad = l;
	return -EINVAL;
}

/* End @e of link @l: given name, MAC and addresses; a port of its node. */
static int plan_end(const struct tb_config *c, struct plan *p, size_t l, int e, char *msg,
		    size_t len, int *bad)
{
	const struct tb_end *te = &c->links[l].end[e];
	struct plan_end *pe = &p->ends[l][e];
	struct plan_node *pn;

	if (te->node < 0 || (size_t)te->node >= c->n_nodes)
		return link_error((int)l, bad, msg, len, "link %s: end %d has no node",
				  c->links[l].name, e);
	pn = &p->nodes[te->node];
	snprintf(pe->ifname, sizeof(pe->ifname), "%s", te->ifname);
	pe->mac[0] = 0x02;
	pe->mac[1] = 0x74;
	pe->mac[2] = 0x62;
	pe->mac[3] = (uint8_t)(l >> 8);
	pe->mac[4] = (uint8_t)l;
	pe->mac[5] = (uint8_t)(e + 1);
	if (*te->addr4 && parse_prefix(AF_INET, te->addr4, &pe->a4, &pe->plen4, 24))
		return link_error((int)l, bad, msg, len, "link %s: bad IPv4 address \"%s\"",
				  c->links[l].name, te->addr4);
	if (*te->addr6 && parse_prefix(AF_INET6, te->addr6, &pe->a6, &pe->plen6, 64))
		return link_error((int)l, bad, msg, len, "link %s: bad IPv6 address \"%s\"",
				  c->links[l].name, te->addr6);
	if (pn->first_link < 0) {
		pn->first_link = (int)l;
		pn->first_end = e;
	}
	pn->n_ports++;
	return 0;
}

/* Every end of every link (plan_end), in link order. */
static int plan_ends(const struct tb_config *c, struct plan *p, char *msg, size_t len, int *bad)
{
	for (size_t n = 0; n < c->n_nodes; n++)
		p->nodes[n].first_link = p->nodes[n].first_end = -1;
	for (size_t l = 0; l < c->n_links; l++)
		for (int e = 0; e < 2; e++) {
			int rc = plan_end(c, p, l, e, msg, len, bad);

			if (rc)
				return rc;
		}
	return 0;
}

/* The addresses the file leaves to the pools: IPv4, then IPv6 unless off. */
static int plan_addresses(const struct tb_config *c, struct plan *p, struct fam *f4,
			  struct fam *f6, char *msg, size_t len, int *bad)
{
	int rc = setup_family(c, f4, AF_INET, msg, len);

	if (!rc)
		rc = assign(c, p, f4, msg, len, bad);
	if (!rc && p->ipv6) {
		rc = setup_family(c, f6, AF_INET6, msg, len);
		if (!rc)
			rc = assign(c, p, f6, msg, len, bad);
	}
	if (rc)
		return rc;
	for (size_t l = 0; l < c->n_links; l++)
		for (int e = 0; e < 2; e++) {
			p->ends[l][e].has4 = true;
			p->ends[l][e].has6 = p->ipv6;
		}
	return 0;
}

/* Every node's routes, merged where its table is big. */
static void plan_routes(const struct tb_config *c, struct plan *p, const struct fam *f4,
			const struct fam *f6)
{
	struct walk w;

	walk_init(c, &w);
	for (size_t s = 0; s < c->n_nodes; s++)
		routes_from(c, p, (int)s, &w);
	for (size_t s = 0; s < c->n_nodes; s++) {
		aggregate(c, p, (int)s, f4);
		if (p->ipv6)
			aggregate(c, p, (int)s, f6);
	}
	walk_free(c, &w);
}

/* plan_make(); on failure *@bad is the link the message is about (-1: none). */
static int make(const struct tb_config *c, struct plan **out, char *msg, size_t len, int *bad)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	struct fam f4 = { 0 }, f6 = { 0 };
	int rc;

	p->n_nodes = c->n_nodes;
	p->n_links = c->n_links;
	p->ends = xcalloc(c->n_links + 1, sizeof(*p->ends));
	p->nodes = xcalloc(c->n_nodes + 1, sizeof(*p->nodes));
	p->ipv6 = strcmp(c->topo.pool6, "none") != 0;
	if (c->n_links > 0xffff)
		rc = link_error(0xffff, bad, msg, len, "%zu links: at most 65535 are supported",
				c->n_links);
	else
		rc = plan_ends(c, p, msg, len, bad);
	if (!rc) {
		name_ifaces(c, p);
		rc = plan_addresses(c, p, &f4, &f6, msg, len, bad);
	}
	if (rc) {
		plan_free(p);
		return rc;
	}
	plan_routes(c, p, &f4, &f6);
	*out = p;
	return 0;
}

int plan_make(const struct tb_config *c, struct plan **out, char *msg, size_t len)
{
	int bad = -1;

	return make(c, out, msg, len, &bad);
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t n = 0; n < p->n_nodes; n++)
		free(p->nodes[n].routes);
	free(p->nodes);
	free(p->ends);
	free(p);
}

int plan_spoof(const struct tb_config *c, int flow, char *buf, size_t len)
{
	union plan_addr a;
	uint8_t plen;
	char net[INET6_ADDRSTRLEN];

	if (c->flows[flow].spoof[0]) {
		snprintf(buf, len, "%s", c->flows[flow].spoof);
		return 0;
	}
	if (parse_prefix(AF_INET, c->topo.pool4, &a, &plen, -1) || plen > 24)
		return -EINVAL;
	/* the last /24 of the pool: the planner hands out subnets from the start */
	from32((to32(&a) | ~mask32(plen)) & ~0xffu, &a);
	snprintf(buf, len, "%s/24", plan_ntop(AF_INET, &a, net, sizeof(net)));
	return 0;
}

static const char *prefix_text(int family, const union plan_addr *a, int plen, char *buf,
			       size_t len)
{
	char net[INET6_ADDRSTRLEN];
	union plan_addr n;

	host_of(family, a, plen, 0, &n);
	snprintf(buf, len, "%s/%d", plan_ntop(family, &n, net, sizeof(net)), plen);
	return buf;
}

/* Links whose given subnets overlap: the routes toward one would carry the
 * other's packets, and the kernel refuses the second route. */
static void check_given(const struct tb_config *c, struct tb_diag *d, int family)
{
	union plan_addr *net = xcalloc(c->n_links + 1, sizeof(*net));
	uint8_t *plen = xcalloc(c->n_links + 1, 1);
	int *link = xcalloc(c->n_links + 1, sizeof(*link));
	size_t n = 0;

	for (size_t l = 0; l < c->n_links; l++) {
		const char *s = family == AF_INET ? c->links[l].end[0].addr4 : c->links[l].end[0].addr6;
		char a[64], b[64];

		if (!*s || parse_prefix(family, s, &net[n], &plen[n], family == AF_INET ? 24 : 64))
			continue;
		for (size_t i = 0; i < n; i++)
			if (overlaps(family, &net[i], plen[i], &net[n], plen[n])) {
				diag_error(d, &c->links[l].loc,
					   "link %s: its subnet %s overlaps link %s's %s",
					   c->links[l].name, prefix_text(family, &net[n], plen[n], a, sizeof(a)),
					   c->links[link[i]].name,
					   prefix_text(family, &net[i], plen[i], b, sizeof(b)));
				break;
			}
		link[n++] = (int)l;
	}
	free(net);
	free(plen);
	free(link);
}

/* A flood spoofs only the testbed's own addresses: inside its IPv4 pool,
 * and on no link (their SYN-ACKs would reach real nodes). */
static void check_spoof(const struct tb_config *c, const struct plan *p, struct tb_diag *d)
{
	union plan_addr pool, s;
	uint8_t pool_len, slen;
	char buf[64], a[64];

	if (parse_prefix(AF_INET, c->topo.pool4, &pool, &pool_len, -1))
		return;
	for (size_t i = 0; i < c->n_flows; i++) {
		const struct tb_flow *f = &c->flows[i];

		if (f->worker != TB_WORKER_SYNFLOOD)
			continue;
		if (plan_spoof(c, (int)i, buf, sizeof(buf))) {
			diag_error(d, &f->loc,
				   "flow %s: the IPv4 pool %s has no /24 to spoof from: give spoof = "
				   "PREFIX inside it",
				   f->name, c->topo.pool4);
			continue;
		}
		if (parse_prefix(AF_INET, buf, &s, &slen, 32))
			continue;
		if (slen < pool_len || !overlaps(AF_INET, &s, slen, &pool, pool_len)) {
			diag_error(d, &f->loc,
				   "flow %s: spoof %s is outside the testbed's IPv4 pool %s (a flood "
				   "spoofs only the testbed's own addresses)",
				   f->name, buf, c->topo.pool4);
			continue;
		}
		for (size_t l = 0; l < p->n_links; l++)
			if (overlaps(AF_INET, &s, slen, &p->ends[l][0].a4, p->ends[l][0].plen4)) {
				diag_error(d, &f->loc, "flow %s: spoof %s overlaps link %s's subnet %s",
					   f->name, buf, c->links[l].name,
					   prefix_text(AF_INET, &p->ends[l][0].a4, p->ends[l][0].plen4, a,
						       sizeof(a)));
				break;
			}
	}
}

void plan_check(const struct tb_config *c, struct tb_diag *d)
{
	struct tb_loc whole = { c->path, 0, 0 };
	struct plan *p = NULL;
	size_t before = diag_errors(d);
	char msg[256];
	int bad = -1;

	check_given(c, d, AF_INET);
	check_given(c, d, AF_INET6);
	if (diag_errors(d) > before)
		return;
	if (make(c, &p, msg, sizeof(msg), &bad)) {
		diag_error(d, bad >= 0 && (size_t)bad < c->n_links ? &c->links[bad].loc : &whole, "%s",
			   msg);
		return;
	}
	check_spoof(c, p, d);
	plan_free(p);
}
