/* netem: its message over libmnl, its jitter distribution tables and its
 * options read back (the ops entry's functions, qdisc_ops.c).
 *
 * libnl-route-3.7 has netem, but not the Gilbert-Elliott loss model, not the
 * 64-bit delay attributes, and it takes probabilities as a signed int (so
 * nothing above 50%); netem's TCA_OPTIONS is a struct followed by
 * attributes, which cannot be extended after libnl has written it. So the
 * whole netem message is built here. */
#include <errno.h>
#include <limits.h>
#include <linux/pkt_sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qdisc_int.h"
#include "util/util.h"

uint32_t qdisc_pct_u32(double pct)
{
	if (pct <= 0)
		return 0;
	if (pct >= 100)
		return UINT32_MAX;
	return (uint32_t)(pct / 100.0 * UINT32_MAX + 0.5);
}

/* psched ticks are 64 ns (PSCHED_SHIFT 6). */
static uint32_t us_to_ticks(uint64_t us)
{
	uint64_t t = us * 1000 >> 6;

	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static const char *dist_name(enum tb_dist d)
{
	switch (d) {
	case TB_DIST_NONE:
	case TB_DIST_UNIFORM:
		return NULL;
	case TB_DIST_NORMAL:
		return "normal";
	case TB_DIST_PARETO:
		return "pareto";
	case TB_DIST_PARETONORMAL:
		return "paretonormal";
	}
	return NULL;
}

/* iproute2's netem/normal.c, kept bit for bit: its table is what users of
 * "distribution normal" have always had. */
int qdisc_dist_normal(int16_t *tab)
{
	enum { SIZE = 16384, FACTOR = 8192 };
	double *t = xcalloc(SIZE + 1, sizeof(*t));
	int i, n = 0;

	for (double x = -10.0; x < 10.05; x += .00005) {
		i = (int)rint(SIZE * (.5 + .5 * erf(x / sqrt(2.0))));
		t[i] = x;
	}
	for (i = 0; i < SIZE; i += 4) {
		double v = rint(t[i] * FACTOR);

		tab[n++] = (int16_t)(v < SHRT_MIN ? SHRT_MIN : v > SHRT_MAX ? SHRT_MAX : v);
	}
	free(t);
	return n;
}

static int read_dist(const char *path, int16_t *tab)
{
	FILE *f = fopen(path, "re");
	char line[4096];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		if (*p == '#')
			continue;
		for (;;) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			if (n >= QDISC_DIST_MAX || v < SHRT_MIN || v > SHRT_MAX) {
				fclose(f);
				return -E2BIG;
			}
			tab[n++] = (int16_t)v;
			p = end;
		}
	}
	fclose(f);
	return n ? n : -ENODATA;
}

int qdisc_dist_table(enum tb_dist dist, int16_t *tab)
{
	static const char *const dirs[] = { "/usr/lib/x86_64-linux-gnu/tc", "/usr/lib/tc",
					    "/usr/lib64/tc", "/usr/share/tc",
					    "/usr/local/lib/tc" };
	const char *name = dist_name(dist), *env = getenv("TB_TC_LIB");
	char path[512];
	int rc;

	if (!name)
		return 0;
	if (env && *env) {
		snprintf(path, sizeof(path), "%s/%s.dist", env, name);
		rc = read_dist(path, tab);
		if (rc > 0)
			return rc;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s.dist", dirs[i], name);
		rc = read_dist(path, tab);
		if (rc > 0 || (rc != -ENOENT && rc != -ENOTDIR))
			return rc;
	}
	if (dist == TB_DIST_NORMAL)
		return qdisc_dist_normal(tab);
	return -ENOENT;
}

/* The file holds tc's "gemodel p r 1-h 1-k": 1-h is the loss probability
 * in the bad state, 1-k in the good one. The kernel wants h itself and 1-k
 * (as k1), so 1-h is flipped as tc does. r = 0 (the bad state never left)
 * and 1-h = 1-k = 0 (no loss at all) are meaningless, so zero means tc's
 * defaults there: r 100%, 1-h 100% (the simple Gilbert model). */
static void put_gemodel(struct nlmsghdr *nlh, const struct tb_shape *sh)
{
	double r = sh->ge_r > 0 ? sh->ge_r : 100;
	double one_h = sh->ge_h > 0 || sh->ge_k > 0 ? sh->ge_h : 100;
	struct tc_netem_gemodel ge = { qdisc_pct_u32(sh->ge_p), qdisc_pct_u32(r),
				       qdisc_pct_u32(100 - one_h), qdisc_pct_u32(sh->ge_k) };
	struct nlattr *loss = mnl_attr_nest_start(nlh, TCA_NETEM_LOSS);

	mnl_attr_put(nlh, NETEM_LOSS_GE, sizeof(ge), &ge);
	mnl_attr_nest_end(nlh, loss);
}

/* The fixed struct: delay and jitter in ticks, limit, random loss,
 * duplicate, and the reorder gap. */
static void put_qopt(struct qctx *c, struct nlmsghdr *nlh)
{
	const struct tb_shape *sh = c->sh;
	struct tc_netem_qopt *qopt = mnl_nlmsg_put_extra_header(nlh, NLA_ALIGN(sizeof(*qopt)));

	qopt->latency = us_to_ticks(sh->delay_us);
	qopt->jitter = us_to_ticks(sh->jitter_us);
	qopt->limit = qdisc_netem_limit(sh, c->hint);
	if (sh->loss_model == TB_LOSS_RANDOM)
		qopt->loss = qdisc_pct_u32(sh->loss);
	qopt->duplicate = qdisc_pct_u32(sh->duplicate);
	/* as tc does: reordering without a gap means every other packet */
	if (sh->reorder > 0)
		qopt->gap = sh->reorder_gap ? sh->reorder_gap : 1;
}

/* The attributes after the struct: correlations, reorder, corrupt, the
 * loss model, ECN, the table of @n entries and the exact delays. */
static void put_attrs(struct nlmsghdr *nlh, const struct tb_shape *sh, const int16_t *tab, int n)
{
	/* netem marks ECN-capable packets instead of dropping them only when
	 * the queue below cannot */
	bool ecn = sh->ecn == 1 && sh->loss > 0 && !config_queue_kind(sh->queue)->marks;

	if (sh->delay_corr > 0 || sh->loss_corr > 0) {
		struct tc_netem_corr corr = {
			.delay_corr = qdisc_pct_u32(sh->delay_corr),
			.loss_corr = qdisc_pct_u32(sh->loss_corr),
		};

		mnl_attr_put(nlh, TCA_NETEM_CORR, sizeof(corr), &corr);
	}
	if (sh->reorder > 0) {
		struct tc_netem_reorder r = { qdisc_pct_u32(sh->reorder),
					      qdisc_pct_u32(sh->reorder_corr) };

		mnl_attr_put(nlh, TCA_NETEM_REORDER, sizeof(r), &r);
	}
	if (sh->corrupt > 0) {
		struct tc_netem_corrupt r = { qdisc_pct_u32(sh->corrupt), 0 };

		mnl_attr_put(nlh, TCA_NETEM_CORRUPT, sizeof(r), &r);
	}
	if (sh->loss_model == TB_LOSS_GEMODEL)
		put_gemodel(nlh, sh);
	if (ecn)
		mnl_attr_put_u32(nlh, TCA_NETEM_ECN, 1);
	if (n > 0)
		mnl_attr_put(nlh, TCA_NETEM_DELAY_DIST, n * sizeof(*tab), tab);
	/* exact nanoseconds; the tick fields above round to 64 ns */
	if (sh->delay_us) {
		int64_t ns = (int64_t)sh->delay_us * 1000;

		mnl_attr_put(nlh, TCA_NETEM_LATENCY64, sizeof(ns), &ns);
	}
	if (sh->jitter_us) {
		int64_t ns = (int64_t)sh->jitter_us * 1000;

		mnl_attr_put(nlh, TCA_NETEM_JITTER64, sizeof(ns), &ns);
	}
}

int qdisc_netem_add(struct qctx *c, uint32_t parent, uint32_t handle)
{
	const struct tb_shape *sh = c->sh;
	struct nlmsghdr *nlh;
	struct nlattr *opt;
	int16_t *tab = NULL;
	char kmsg[256];
	int n = 0, rc;

	if (sh->jitter_us && dist_name(sh->dist)) {
		tab = xmalloc(QDISC_DIST_MAX * sizeof(*tab));
		n = qdisc_dist_table(sh->dist, tab);
		if (n < 0) {
			snprintf(kmsg, sizeof(kmsg), "no %s.dist table (install iproute2)",
				 dist_name(sh->dist));
			rc = qdisc_fail(c, n, "add", "qdisc netem", kmsg);
			goto out;
		}
	}
	nlh = qdisc_msg_start(c->nl, RTM_NEWQDISC, qdisc_new_flags(c), c->ifindex, parent,
			      handle, "netem");
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	put_qopt(c, nlh);
	put_attrs(nlh, sh, tab, n);
	mnl_attr_nest_end(nlh, opt);
	rc = qdisc_send(c, nlh, qdisc_verb(c), "qdisc netem");
out:
	free(tab);
	return rc;
}

/* --- read back -------------------------------------------------------------- */

static void netem_attr(json_t *o, const struct nlattr *attr)
{
	const struct nlattr *l;

	switch (mnl_attr_get_type(attr)) {
	case TCA_NETEM_LATENCY64:
		qdisc_json_u64(o, "delay_us", (int64_t)mnl_attr_get_u64(attr) / 1000);
		break;
	case TCA_NETEM_JITTER64:
		qdisc_json_u64(o, "jitter_us", (int64_t)mnl_attr_get_u64(attr) / 1000);
		break;
	case TCA_NETEM_REORDER: {
		const struct tc_netem_reorder *r = mnl_attr_get_payload(attr);

		json_object_set_new(o, "reorder_pct", json_real(qdisc_u32_pct(r->probability)));
		break;
	}
	case TCA_NETEM_CORRUPT: {
		const struct tc_netem_corrupt *r = mnl_attr_get_payload(attr);

		json_object_set_new(o, "corrupt_pct", json_real(qdisc_u32_pct(r->probability)));
		break;
	}
	case TCA_NETEM_ECN:
		qdisc_json_u64(o, "ecn", mnl_attr_get_u32(attr));
		break;
	case TCA_NETEM_LOSS:
		mnl_attr_for_each_nested(l, attr)
		{
			const struct tc_netem_gemodel *g = mnl_attr_get_payload(l);

			if (mnl_attr_get_type(l) != NETEM_LOSS_GE)
				continue;
			json_object_set_new(o, "gemodel",
					    json_pack("{s:f,s:f,s:f,s:f}", "p", qdisc_u32_pct(g->p),
						      "r", qdisc_u32_pct(g->r), "1-h",
						      100 - qdisc_u32_pct(g->h), "1-k",
						      qdisc_u32_pct(g->k1)));
		}
		break;
	}
}

void qdisc_netem_options(json_t *o, const struct nlattr *opt)
{
	const struct tc_netem_qopt *q = mnl_attr_get_payload(opt);
	size_t skip = NLA_ALIGN(sizeof(*q));
	const struct nlattr *attr;
	const char *p = mnl_attr_get_payload(opt);
	size_t len = mnl_attr_get_payload_len(opt);

	if (len < sizeof(*q))
		return;
	qdisc_json_u64(o, "limit", q->limit);
	qdisc_json_u64(o, "delay_us", (uint64_t)q->latency * 64 / 1000);
	qdisc_json_u64(o, "jitter_us", (uint64_t)q->jitter * 64 / 1000);
	json_object_set_new(o, "loss_pct", json_real(qdisc_u32_pct(q->loss)));
	json_object_set_new(o, "duplicate_pct", json_real(qdisc_u32_pct(q->duplicate)));
	qdisc_json_u64(o, "gap", q->gap);
	if (len <= skip)
		return;
	mnl_attr_for_each_payload((const void *)(p + skip), len - skip)
		netem_attr(o, attr);
}
