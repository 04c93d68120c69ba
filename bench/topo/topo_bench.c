/* bench/topo helper, built by bench/topo/run.
 *   topo_bench FILE [REPS]        build and tear down FILE through the library
 *                                 API; prints "build_ms teardown_ms" per rep
 *   topo_bench --ip PREFIX FILE   print the iproute2 commands that build the
 *                                 same network (same plan: names, MACs,
 *                                 addresses, routes, sysctls), one process
 *                                 per object, then "#down" and the teardown */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "config/config.h"
#include "net/plan.h"
#include "net/topo.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int ip_script(const char *prefix, const struct tb_config *c)
{
	struct plan *p;
	char msg[256], a[64], g[64];

	if (plan_make(c, &p, msg, sizeof(msg))) {
		fprintf(stderr, "topo_bench: %s\n", msg);
		return 1;
	}
	for (size_t n = 0; n < c->n_nodes; n++)
		printf("ip netns add %s-%s\n", prefix, c->nodes[n].name);
	for (size_t n = 0; n < c->n_nodes; n++) {
		int f = c->nodes[n].forward;

		printf("ip netns exec %s-%s sysctl -qw net.ipv4.ip_forward=%d "
		       "net.ipv6.conf.all.forwarding=%d net.ipv6.conf.default.accept_dad=0\n",
		       prefix, c->nodes[n].name, f, f);
		printf("ip -n %s-%s link set lo up\n", prefix, c->nodes[n].name);
	}
	for (size_t l = 0; l < c->n_links; l++) {
		const struct plan_end *e = p->ends[l];
		const char *na = c->nodes[c->links[l].end[0].node].name;
		const char *nb = c->nodes[c->links[l].end[1].node].name;
		const uint8_t *ma = e[0].mac, *mb = e[1].mac;

		printf("ip -n %s-%s link add %s address %02x:%02x:%02x:%02x:%02x:%02x type veth peer %s "
		       "address %02x:%02x:%02x:%02x:%02x:%02x netns %s-%s\n",
		       prefix, na, e[0].ifname, ma[0], ma[1], ma[2], ma[3], ma[4], ma[5], e[1].ifname, mb[0],
		       mb[1], mb[2], mb[3], mb[4], mb[5], prefix, nb);
		for (int k = 0; k < 2; k++) {
			const char *nn = k ? nb : na;

			printf("ip -n %s-%s link set %s up\n", prefix, nn, e[k].ifname);
			printf("ip -n %s-%s addr add %s/%d dev %s\n", prefix, nn,
			       plan_ntop(AF_INET, &e[k].a4, a, sizeof(a)), e[k].plen4, e[k].ifname);
			if (p->ipv6)
				printf("ip -n %s-%s addr add %s/%d dev %s nodad\n", prefix, nn,
				       plan_ntop(AF_INET6, &e[k].a6, a, sizeof(a)), e[k].plen6, e[k].ifname);
		}
	}
	for (size_t n = 0; n < c->n_nodes; n++)
		for (size_t i = 0; i < p->nodes[n].n_routes; i++) {
			const struct plan_route *r = &p->nodes[n].routes[i];

			printf("ip -n %s-%s %sroute add %s/%d via %s dev %s\n", prefix, c->nodes[n].name,
			       r->family == AF_INET6 ? "-6 " : "", plan_ntop(r->family, &r->dst, a, sizeof(a)),
			       r->plen, plan_ntop(r->family, &r->gw, g, sizeof(g)),
			       p->ends[r->link][r->end].ifname);
		}
	printf("#down\n");
	for (size_t n = 0; n < c->n_nodes; n++)
		printf("ip netns del %s-%s\n", prefix, c->nodes[n].name);
	plan_free(p);
	return 0;
}

int main(int argc, char **argv)
{
	struct tb_diag d = { 0 };
	struct tb_config *c;
	bool ip = argc == 4 && !strcmp(argv[1], "--ip");
	const char *file = ip ? argv[3] : argv[1];
	int reps = !ip && argc > 2 ? atoi(argv[2]) : 1, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: topo_bench FILE [REPS] | topo_bench --ip PREFIX FILE\n");
		return 2;
	}
	c = config_load(file, &d);
	if (!c || diag_errors(&d)) {
		diag_print(&d, stderr);
		return 2;
	}
	if (ip)
		rc = ip_script(argv[2], c);
	for (int i = 0; !ip && i < reps; i++) {
		struct topo_opts o = { .quiet = true };
		struct topo_err err;
		struct topo *t;
		double t0 = now_ms(), t1, t2;

		if (topo_build(c, &o, &t, &err)) {
			fprintf(stderr, "topo_bench: %s\n", err.msg);
			rc = 1;
			break;
		}
		t1 = now_ms();
		if (topo_destroy(t)) {
			rc = 1;
			break;
		}
		t2 = now_ms();
		printf("%.1f %.1f\n", t1 - t0, t2 - t1);
		fflush(stdout);
	}
	config_free(c);
	diag_free(&d);
	return rc;
}
