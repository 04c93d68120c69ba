/* Debug subcommands for tests and for looking at one link by hand:
 *   testbed shape NETNS IFNAME [KEY=VALUE...]   install a shape (no keys: clear)
 *   testbed qstats NETNS [--all]                print qdisc statistics as JSON
 * Keys and units are those of a [link] section (docs/shaping.md), plus
 * parts=netem,rate,queue, path_rate=RATE, mtu=N and node=NAME for the hint.
 * NETNS "-" means the caller's own namespace. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "net/netns.h"
#include "net/qdisc.h"
#include "net/qstats.h"
#include "util/units.h"
#include "util/util.h"

static int enum_of(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -1;
}

static int pct(const char *v, double *out, const char **why)
{
	return units_percent(v, out, why);
}

static int time32(const char *v, uint32_t *out, const char **why)
{
	uint64_t us;
	int rc = units_time(v, &us, why);

	if (!rc && us > UINT32_MAX) {
		*why = "too long";
		rc = -ERANGE;
	}
	*out = (uint32_t)us;
	return rc;
}

static int count32(const char *v, uint32_t *out, const char **why)
{
	uint64_t n;
	int rc = units_count(v, &n, why);

	if (!rc && n > UINT32_MAX) {
		*why = "too large";
		rc = -ERANGE;
	}
	*out = (uint32_t)n;
	return rc;
}

static int parse_parts(const char *v, unsigned *parts)
{
	char *dup = xstrdup(v), *save = NULL;
	int rc = 0;

	*parts = 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "netem"))
			*parts |= QDISC_PART_NETEM;
		else if (!strcmp(t, "rate"))
			*parts |= QDISC_PART_RATE;
		else if (!strcmp(t, "queue"))
			*parts |= QDISC_PART_QUEUE;
		else if (!strcmp(t, "all"))
			*parts |= QDISC_PART_ALL;
		else
			rc = -EINVAL;
	}
	free(dup);
	return rc;
}

/* One KEY=VALUE into @sh or @h. */
static int shape_kv(const char *k, const char *v, struct tb_shape *sh, struct qdisc_plan_hint *h)
{
	static const char *const queues[] = { "default", "pfifo", "bfifo", "fq_codel",
					      "codel", "fq", "cake" };
	static const char *const dists[] = { "none", "uniform", "normal", "pareto", "paretonormal" };
	const char *why = "bad value";
	uint64_t u64;
	int rc = -EINVAL, e;

	if (!strcmp(k, "rate")) {
		rc = units_rate(v, &sh->rate, &why);
		sh->set |= TB_SH_RATE;
	} else if (!strcmp(k, "shaper")) {
		rc = !strcmp(v, "tbf") || !strcmp(v, "htb") ? 0 : -EINVAL;
		sh->shaper = !strcmp(v, "htb") ? TB_SHAPER_HTB : TB_SHAPER_TBF;
		sh->set |= TB_SH_SHAPER;
	} else if (!strcmp(k, "burst")) {
		rc = units_size(v, &u64, &why);
		sh->burst = (uint32_t)u64;
		sh->set |= TB_SH_BURST;
	} else if (!strcmp(k, "delay")) {
		rc = time32(v, &sh->delay_us, &why);
		sh->set |= TB_SH_DELAY;
	} else if (!strcmp(k, "jitter")) {
		rc = time32(v, &sh->jitter_us, &why);
		sh->set |= TB_SH_JITTER;
	} else if (!strcmp(k, "distribution")) {
		e = enum_of(v, dists, ARRAY_SIZE(dists));
		rc = e < 0 ? -EINVAL : 0;
		sh->dist = e < 0 ? TB_DIST_NONE : (enum tb_dist)e;
		sh->set |= TB_SH_DIST;
	} else if (!strcmp(k, "delay_correlation")) {
		rc = pct(v, &sh->delay_corr, &why);
	} else if (!strcmp(k, "loss")) {
		rc = pct(v, &sh->loss, &why);
		sh->set |= TB_SH_LOSS;
	} else if (!strcmp(k, "loss_correlation")) {
		rc = pct(v, &sh->loss_corr, &why);
	} else if (!strcmp(k, "loss_model")) {
		rc = !strcmp(v, "random") || !strcmp(v, "gemodel") ? 0 : -EINVAL;
		sh->loss_model = !strcmp(v, "gemodel") ? TB_LOSS_GEMODEL : TB_LOSS_RANDOM;
		sh->set |= TB_SH_LOSS;
	} else if (!strcmp(k, "ge_p")) {
		rc = pct(v, &sh->ge_p, &why);
		sh->set |= TB_SH_GEMODEL;
	} else if (!strcmp(k, "ge_r")) {
		rc = pct(v, &sh->ge_r, &why);
		sh->set |= TB_SH_GEMODEL;
	} else if (!strcmp(k, "ge_h")) {
		rc = pct(v, &sh->ge_h, &why);
		sh->set |= TB_SH_GEMODEL;
	} else if (!strcmp(k, "ge_k")) {
		rc = pct(v, &sh->ge_k, &why);
		sh->set |= TB_SH_GEMODEL;
	} else if (!strcmp(k, "duplicate")) {
		rc = pct(v, &sh->duplicate, &why);
		sh->set |= TB_SH_DUPLICATE;
	} else if (!strcmp(k, "reorder")) {
		rc = pct(v, &sh->reorder, &why);
		sh->set |= TB_SH_REORDER;
	} else if (!strcmp(k, "reorder_correlation")) {
		rc = pct(v, &sh->reorder_corr, &why);
	} else if (!strcmp(k, "reorder_gap")) {
		rc = count32(v, &sh->reorder_gap, &why);
	} else if (!strcmp(k, "corrupt")) {
		rc = pct(v, &sh->corrupt, &why);
		sh->set |= TB_SH_CORRUPT;
	} else if (!strcmp(k, "queue")) {
		e = enum_of(v, queues, ARRAY_SIZE(queues));
		rc = e < 0 ? -EINVAL : 0;
		sh->queue = e < 0 ? TB_QUEUE_DEFAULT : (enum tb_queue)e;
		sh->set |= TB_SH_QUEUE;
	} else if (!strcmp(k, "limit")) {
		rc = units_size(v, &u64, &why);
		sh->limit = (uint32_t)u64;
		sh->set |= TB_SH_LIMIT;
	} else if (!strcmp(k, "netem_limit")) {
		rc = count32(v, &sh->netem_limit, &why);
		sh->set |= TB_SH_NETEM_LIMIT;
	} else if (!strcmp(k, "target")) {
		rc = time32(v, &sh->target_us, &why);
		sh->set |= TB_SH_AQM;
	} else if (!strcmp(k, "interval")) {
		rc = time32(v, &sh->interval_us, &why);
		sh->set |= TB_SH_AQM;
	} else if (!strcmp(k, "flows")) {
		rc = count32(v, &sh->flows, &why);
		sh->set |= TB_SH_AQM;
	} else if (!strcmp(k, "ecn")) {
		rc = units_bool(v, &sh->ecn, &why);
		sh->set |= TB_SH_AQM;
	} else if (!strcmp(k, "parts")) {
		rc = parse_parts(v, &h->parts);
	} else if (!strcmp(k, "path_rate")) {
		rc = units_rate(v, &h->path_rate, &why);
	} else if (!strcmp(k, "mtu")) {
		rc = count32(v, &h->mtu, &why);
	} else if (!strcmp(k, "tick")) {
		rc = time32(v, &h->tick_us, &why);
	} else if (!strcmp(k, "node")) {
		h->node = v;
		rc = 0;
	} else {
		tb_err("shape: unknown key \"%s\"", k);
		return -EINVAL;
	}
	if (rc)
		tb_err("shape: %s=%s: %s", k, v, why);
	return rc;
}

static int open_ns(const char *name)
{
	int fd;

	if (!strcmp(name, "-"))
		return -1;
	fd = netns_open(name);
	if (fd < 0)
		tb_err("netns %s: %s", name, strerror(-fd));
	return fd < 0 ? -2 : fd;
}

struct ifidx_arg {
	const char *name;
};

static int ifidx_in(void *p)
{
	struct ifidx_arg *a = p;
	unsigned idx = if_nametoindex(a->name);

	return idx ? (int)idx : -errno;
}

int cmd_shape(int argc, char **argv)
{
	struct tb_shape sh = { .ecn = -1 };
	struct qdisc_plan_hint h = { 0 };
	struct qdisc_err err;
	struct ifidx_arg a;
	int nsfd, idx, rc, ret = TB_EXIT_USAGE;

	if (argc < 3 || !strcmp(argv[1], "--help")) {
		printf("Usage: testbed shape NETNS IFNAME [KEY=VALUE...]\n"
		       "Install a link shape on IFNAME's egress inside NETNS (\"-\": this one);\n"
		       "no keys clears it. Keys as in a [link] section (docs/shaping.md), plus\n"
		       "parts=netem,rate,queue path_rate=RATE mtu=N tick=TIME node=NAME.\n");
		return argc < 3 && (argc < 2 || strcmp(argv[1], "--help")) ? TB_EXIT_USAGE
									    : TB_EXIT_OK;
	}
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq) {
			tb_err("shape: \"%s\" is not KEY=VALUE", argv[i]);
			return TB_EXIT_USAGE;
		}
		*eq = 0;
		if (shape_kv(argv[i], eq + 1, &sh, &h))
			return TB_EXIT_USAGE;
	}
	nsfd = open_ns(argv[1]);
	if (nsfd == -2)
		return TB_EXIT_ENV;
	a.name = argv[2];
	idx = nsfd >= 0 ? netns_run_in(nsfd, ifidx_in, &a) : ifidx_in(&a);
	if (idx < 0) {
		tb_err("%s: %s: %s", argv[1], argv[2], strerror(-idx));
		ret = TB_EXIT_FAIL;
		goto out;
	}
	if (!h.node && strcmp(argv[1], "-"))
		h.node = argv[1];
	rc = argc > 3 ? qdisc_apply(nsfd, idx, argv[2], &sh, &h, &err)
		      : qdisc_clear(nsfd, idx, argv[2], &err);
	if (rc) {
		tb_err("%s", err.msg);
		ret = rc == -EPERM ? TB_EXIT_ENV : TB_EXIT_FAIL;
		goto out;
	}
	if (sh.set & TB_SH_NETEM_MASK)
		printf("netem limit %u\n", qdisc_netem_limit(&sh, &h));
	if (sh.rate)
		printf("burst %u\n", qdisc_burst(&sh, &h));
	ret = TB_EXIT_OK;
out:
	if (nsfd >= 0)
		close(nsfd);
	return ret;
}

int cmd_qstats(int argc, char **argv)
{
	struct qdisc_err err;
	json_t *arr = NULL;
	bool all = argc > 2 && !strcmp(argv[2], "--all");
	int nsfd, rc;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		printf("Usage: testbed qstats NETNS [--all]\n"
		       "Print the statistics of the qdiscs in NETNS (\"-\": this one) as JSON;\n"
		       "--all adds the kernel's default qdiscs.\n");
		return argc < 2 ? TB_EXIT_USAGE : TB_EXIT_OK;
	}
	nsfd = open_ns(argv[1]);
	if (nsfd == -2)
		return TB_EXIT_ENV;
	rc = qstats_collect(nsfd, all, &arr, &err);
	if (nsfd >= 0)
		close(nsfd);
	if (rc) {
		tb_err("%s: %s", argv[1], err.msg);
		return TB_EXIT_FAIL;
	}
	json_dumpf(arr, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(arr);
	return TB_EXIT_OK;
}
