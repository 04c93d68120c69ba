/* Unit tests of the qdisc module's pure parts: netem's BDP limit, the
 * shaper burst, the kinds a shape needs, probabilities, the jitter tables
 * (the computed normal table against iproute2's file), the warnings of
 * qdisc_check_plan(), and the ops entries of the kinds. No root, no
 * netlink. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "util/diag.h"
#include "net/qdisc.h"
#include "net/probe.h"
#include "net/qdisc_int.h"
#include "net/qdisc_ops.h"
#include "tap.h"
#include "vm/vm.h"

static struct tb_shape shape(void)
{
	struct tb_shape s = { .ecn = -1 };

	return s;
}

static void test_limits(void)
{
	struct qdisc_plan_hint h = { .tick_us = 1000 };
	struct tb_shape s = shape();

	s.set = TB_SH_DELAY | TB_SH_RATE | TB_SH_QUEUE | TB_SH_LIMIT;
	s.delay_us = 40000;
	s.rate = 100000000;
	s.queue = TB_QUEUE_FQ_CODEL;
	s.limit = 2000;
	tap_is_int(qdisc_bdp_packets(&s, &h), 331, "BDP of 100 Mbit/s x 40 ms in 1514-byte frames");
	tap_is_int(qdisc_netem_limit(&s, &h), 2 * 331 + 2000,
		   "netem + tbf + fq_codel: 2 x BDP + the fq_codel limit below netem");
	h.parts = TB_PART_NETEM;
	tap_is_int(qdisc_netem_limit(&s, &h), 1000, "netem alone at 100 Mbit/s x 40 ms: the 1000 floor");
	s.rate = 1000000000;
	s.delay_us = 100000;
	tap_is_int(qdisc_netem_limit(&s, &h), 16514, "1 Gbit/s x 100 ms: 16514, not 1000");
	h.path_rate = 10000000;
	tap_is_int(qdisc_bdp_packets(&s, &h), 83, "the path rate hint wins over the shape's rate");
	h.path_rate = 0;
	s.rate = 0;
	tap_is_int(qdisc_bdp_packets(&s, &h), 82563, "no rate anywhere: 10 Gbit/s is assumed");
	s.jitter_us = 10000;
	s.delay_us = 10000;
	s.rate = 100000000;
	s.dist = TB_DIST_NORMAL;
	tap_is_int(qdisc_bdp_packets(&s, &h), 413, "normal jitter spreads 4 x jitter (50 ms)");
	s.dist = TB_DIST_UNIFORM;
	tap_is_int(qdisc_bdp_packets(&s, &h), 166, "uniform jitter spreads 1 x jitter (20 ms)");
	s.netem_limit = 77;
	tap_is_int(qdisc_netem_limit(&s, &h), 77, "netem_limit from the file is kept");

	s = shape();
	s.rate = 50000000;
	tap_is_int(qdisc_burst(&s, &h), 6250, "burst: 1 ms at 50 Mbit/s");
	h.tick_us = 10000;
	tap_is_int(qdisc_burst(&s, &h), 62500, "burst: 10 ms at 50 Mbit/s on a HZ=100 guest");
	s.rate = 1000000;
	tap_is_int(qdisc_burst(&s, &h), 4 * 1514, "burst: never below 4 frames");
	s.burst = 3000;
	tap_is_int(qdisc_burst(&s, &h), 3000, "burst from the file is kept");
}

static void test_kinds(void)
{
	struct tb_shape s = shape();
	const char *k[3];
	int n;

	s.set = TB_SH_DELAY | TB_SH_LOSS | TB_SH_RATE | TB_SH_QUEUE;
	s.delay_us = 1000;
	s.rate = 10000000;
	s.queue = TB_QUEUE_FQ_CODEL;
	tap_is_int(qdisc_parts_needed(&s), TB_PART_ALL, "delay + rate + queue needs all parts");
	n = qdisc_kinds(&s, TB_PART_ALL, k);
	tap_ok(n == 3 && !strcmp(k[0], "netem") && !strcmp(k[1], "tbf") && !strcmp(k[2], "fq_codel"),
	       "kinds: netem tbf fq_codel");
	n = qdisc_kinds(&s, TB_PART_RATE | TB_PART_QUEUE, k);
	tap_ok(n == 2 && !strcmp(k[0], "tbf"), "kinds of rate + queue: tbf fq_codel");
	s.shaper = TB_SHAPER_HTB;
	n = qdisc_kinds(&s, TB_PART_RATE, k);
	tap_ok(n == 1 && !strcmp(k[0], "htb"), "shaper = htb");
	s.shaper = TB_SHAPER_TBF;
	s.queue = TB_QUEUE_CAKE;
	n = qdisc_kinds(&s, TB_PART_RATE | TB_PART_QUEUE, k);
	tap_ok(n == 1 && !strcmp(k[0], "cake"), "cake with a rate shapes by itself");
	s.set |= TB_SH_SHAPER;
	n = qdisc_kinds(&s, TB_PART_RATE | TB_PART_QUEUE, k);
	tap_ok(n == 2 && !strcmp(k[0], "tbf") && !strcmp(k[1], "cake"),
	       "cake under an explicitly named shaper");
	s = shape();
	tap_is_int(qdisc_parts_needed(&s), 0, "an empty shape needs nothing");
	tap_is_int(qdisc_pct_u32(100), UINT32_MAX, "100%% is ~0");
	tap_is_int(qdisc_pct_u32(0), 0, "0%% is 0");
	tap_is_int(qdisc_pct_u32(1), 42949673, "1%% as tc sends it");
	tap_is_int(qdisc_pct_u32(75), 3221225471u, "75%% (libnl's int could not carry it)");
}

static void test_tables(void)
{
	int16_t *tab = malloc(QDISC_DIST_MAX * sizeof(*tab));
	int16_t *file = malloc(QDISC_DIST_MAX * sizeof(*file));
	int n, m, diff = 0;

	n = qdisc_dist_normal(tab);
	tap_is_int(n, 4096, "the computed normal table has 4096 entries");
	tap_ok(tab[0] < -30000 && tab[4095] > 20000 && abs(tab[2048]) < 10,
	       "it spans about +-4 sigma around 0 (%d %d %d)", tab[0], tab[2048], tab[4095]);
	setenv("TB_TC_LIB", "/nonexistent", 1);
	m = qdisc_dist_table(TB_DIST_NORMAL, file);
	if (m == 4096 && !access("/usr/lib/x86_64-linux-gnu/tc/normal.dist", R_OK)) {
		for (int i = 0; i < 4096; i++)
			diff += tab[i] != file[i];
		tap_ok(diff == 0, "computed normal table equals iproute2's normal.dist (%d differ)",
		       diff);
	} else {
		tap_skip("no iproute2 normal.dist to compare against");
	}
	tap_is_int(qdisc_dist_table(TB_DIST_UNIFORM, file), 0, "uniform needs no table");
	tap_is_int(qdisc_dist_table(TB_DIST_NONE, file), 0, "no distribution: uniform");
	m = qdisc_dist_table(TB_DIST_PARETO, file);
	if (!access("/usr/lib/x86_64-linux-gnu/tc/pareto.dist", R_OK))
		tap_is_int(m, 4096, "pareto.dist read from iproute2's directory");
	else
		tap_is_int(m, -ENOENT, "pareto without iproute2's file: -ENOENT");
	unsetenv("TB_TC_LIB");
	free(tab);
	free(file);
}

/* c1 - r1 - r2 - s1, r1 and r2 forward; flow bulk c1 -> s1. */
static struct tb_config *dumbbell(void)
{
	static const char *names[] = { "c1", "r1", "r2", "s1" };
	struct tb_config *c = calloc(1, sizeof(*c));

	c->n_nodes = 4;
	c->nodes = calloc(4, sizeof(*c->nodes));
	for (int i = 0; i < 4; i++) {
		snprintf(c->nodes[i].name, TB_NAME_MAX, "%s", names[i]);
		c->nodes[i].forward = i == 1 || i == 2;
	}
	c->n_links = 3;
	c->links = calloc(3, sizeof(*c->links));
	for (int i = 0; i < 3; i++) {
		struct tb_link *l = &c->links[i];

		snprintf(l->name, sizeof(l->name), "%s-%s", names[i], names[i + 1]);
		l->end[0].node = i;
		l->end[1].node = i + 1;
		l->offload = -1;
		l->dir[0] = shape();
		l->dir[1] = shape();
		l->dir[0].loc.line = 10 * (i + 1);
		l->dir[1].loc.line = 10 * (i + 1) + 1;
	}
	c->n_flows = 1;
	c->flows = calloc(1, sizeof(*c->flows));
	snprintf(c->flows[0].name, TB_NAME_MAX, "bulk");
	c->flows[0].worker = TB_WORKER_BULK;
	c->flows[0].from = 0;
	c->flows[0].to = 3;
	return c;
}

static void free_cfg(struct tb_config *c)
{
	free(c->nodes);
	free(c->links);
	free(c->flows);
	free(c);
}

static bool said(const struct tb_diag *d, int line, const char *what)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->msgs[i].line == line && strstr(d->msgs[i].text, what))
			return true;
	return false;
}

static void test_check(void)
{
	struct tb_config *c = dumbbell();
	struct tb_diag d = { 0 };
	struct tb_shape *s;
	int n;

	tap_is_int(qdisc_check_plan(c, false, &d), 0, "no shaping, no warnings");

	s = &c->links[0].dir[0]; /* c1's own egress, c1 sends bulk */
	s->set = TB_SH_DELAY;
	s->delay_us = 20000;
	s = &c->links[1].dir[0]; /* r1 -> r2: a forwarding hop */
	s->set = TB_SH_DELAY | TB_SH_LOSS;
	s->delay_us = 20000;
	s->loss = 1;
	s = &c->links[2].dir[1]; /* s1's egress: only ACKs of bulk */
	s->set = TB_SH_DELAY;
	s->delay_us = 1000;
	n = qdisc_check_plan(c, false, &d);
	tap_is_int(n, 1, "only the sender's own egress is flagged");
	tap_ok(said(&d, 10, "sender's own interface") && said(&d, 10, "\"bulk\""),
	       "netem on c1's egress, naming the flow");
	diag_free(&d);

	c = (free_cfg(c), dumbbell());
	s = &c->links[1].dir[0];
	s->set = TB_SH_RATE | TB_SH_QUEUE | TB_SH_AQM;
	s->rate = 10000000;
	s->queue = TB_QUEUE_PFIFO;
	s->target_us = 5000;
	s->ecn = 1;
	n = qdisc_check_plan(c, false, &d);
	for (size_t i = 0; i < d.n; i++)
		tap_diag("%d: %s", d.msgs[i].line, d.msgs[i].text);
	tap_ok(said(&d, 20, "holds 1211.2ms"), "pfifo of 1000 at 10 Mbit/s holds > 1 s (1.21 s)");
	tap_ok(said(&d, 20, "ignores them"), "target on a pfifo is flagged");
	tap_ok(said(&d, 20, "ecn = on has no effect"), "ecn on a pfifo without loss is flagged");
	tap_is_int(n, 3, "three warnings for that direction");
	diag_free(&d);
	s->rate = 100000000;
	s->target_us = 0;
	s->ecn = -1;
	tap_is_int(qdisc_check_plan(c, false, &d), 0, "the same pfifo at 100 Mbit/s (121 ms) is fine");
	tap_is_int(qdisc_check_plan(c, true, &d), 0, "100 Mbit/s is fine in the guest");
	s->rate = 1000000000;
	s->queue = TB_QUEUE_FQ_CODEL;
	tap_is_int(qdisc_check_plan(c, true, &d), 1, "1 Gbit/s in the guest is flagged");
	tap_ok(said(&d, 20, "User-Mode Linux"), "the guest warning says why");
	diag_free(&d);

	s->rate = 100000000;
	s->set |= TB_SH_DELAY | TB_SH_NETEM_LIMIT;
	s->delay_us = 50000;
	s->netem_limit = 100;
	tap_is_int(qdisc_check_plan(c, false, &d), 1, "netem_limit 100 below a BDP of 413");
	tap_ok(said(&d, 20, "below the bandwidth-delay product (413"), "and says the BDP");
	diag_free(&d);
	s->netem_limit = 0;
	s->loss_model = TB_LOSS_GEMODEL;
	s->loss = 1;
	s->reorder = 5;
	s->delay_us = 0;
	s->burst = 100;
	n = qdisc_check_plan(c, false, &d);
	tap_ok(said(&d, 20, "ignored with loss_model = gemodel"), "loss with gemodel is flagged");
	tap_ok(said(&d, 20, "reorder needs a delay"), "reorder without delay is flagged");
	tap_ok(said(&d, 20, "smaller than one frame"), "a burst below one frame is flagged");
	tap_is_int(n, 3, "three warnings");
	diag_free(&d);
	free_cfg(c);
}

/* One ops entry per kind (qdisc_ops.h): every queue kind of the model has
 * one, found by the model's name; the probe tries them all; the guest
 * loads their modules; check's tier guess reads ci_lacks. */
static void test_ops(void)
{
	const char *const *probed = probe_qdisc_kinds();
	const struct qdisc_ops *o;
	int found = 0, bad = 0;
	char lacks[128] = "";

	for (int q = TB_QUEUE_DEFAULT + 1; q < TB_QUEUE_N; q++) {
		const char *name = config_queue_kind(q)->name;

		found += qdisc_ops_find(name) == &qdisc_queue_ops[q] && qdisc_queue_ops[q].add &&
			 !strcmp(qdisc_ops_kind(&qdisc_queue_ops[q]), name);
	}
	tap_is_int(found, TB_QUEUE_N - 1, "every queue kind has an entry, named by the model");
	tap_ok(!qdisc_ops_find("default") && !qdisc_ops_find("sfq") && !qdisc_queue_ops[0].add,
	       "the default queue and kinds the testbed never installs have none");
	tap_ok(qdisc_ops_find("netem") == &qdisc_netem_ops &&
		       qdisc_ops_find("tbf") == &qdisc_shaper_ops[TB_SHAPER_TBF] &&
		       qdisc_ops_find("htb") == &qdisc_shaper_ops[TB_SHAPER_HTB],
	       "netem, tbf and htb have theirs");
	for (size_t i = 0; (o = qdisc_ops_at(i)); i++) {
		const char *k = qdisc_ops_kind(o), *m = vm_qdisc_module(k);
		size_t j = 0;

		while (probed[j] && strcmp(probed[j], k))
			j++;
		bad += !probed[j] || (m != o->module && (!m || !o->module || strcmp(m, o->module)));
		if (o->ci_lacks)
			snprintf(lacks + strlen(lacks), sizeof(lacks) - strlen(lacks), "%s%s",
				 lacks[0] ? " " : "", k);
	}
	tap_is_int(bad, 0, "the probe tries every kind; the guest loads each entry's module");
	tap_ok(!vm_qdisc_module("pfifo") && !strcmp(vm_qdisc_module("fq_codel"), "sch_fq_codel") &&
		       !strcmp(vm_qdisc_module("fq_pie"), "sch_fq_pie"),
	       "modules: pfifo built in, fq_codel's, and sch_KIND for other kinds");
	tap_is_str(lacks, "netem fq_codel codel fq cake",
		   "minimal host kernels lack netem, fq_codel, codel, fq, cake (check's tier guess)");
}

/* The queue table's defaults where the sizes use them. */
static void test_queue_defaults(void)
{
	struct qdisc_plan_hint h = { .tick_us = 1000 };
	struct tb_shape s = shape();

	s.set = TB_SH_DELAY | TB_SH_QUEUE | TB_SH_LIMIT;
	s.delay_us = 1000;
	s.queue = TB_QUEUE_CAKE;
	s.limit = 50000;
	/* no rate: 10 Gbit/s x 1 ms = 826 frames in flight */
	tap_is_int(qdisc_netem_limit(&s, &h), 2 * 826 + 10240,
		   "cake takes no limit: netem counts its 10240 below");
	s.queue = TB_QUEUE_BFIFO;
	s.limit = 0;
	tap_is_int(qdisc_queue_limit(&s, &h), 1000 * 1514, "bfifo's default: 1000 frames, in bytes");
	tap_is_int(qdisc_netem_limit(&s, &h), 2 * 826 + 1001, "... which netem counts as 1001");
	s.queue = TB_QUEUE_FQ;
	tap_is_int(qdisc_netem_limit(&s, &h), 2 * 826 + 10240, "fq: the kernel's 10240");
}

int main(void)
{
	test_limits();
	test_kinds();
	test_tables();
	test_check();
	test_ops();
	test_queue_defaults();
	return tap_done();
}
