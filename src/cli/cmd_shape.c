/* Debug subcommands for tests and for looking at one link by hand:
 *   testbed shape NETNS IFNAME [KEY=VALUE...]   install a shape (no keys: clear)
 *   testbed qstats NETNS [--all]                print qdisc statistics as JSON
 * The shaping keys are parsed by the [link] section's own key table
 * (config_shape_set): the same units, ranges and messages as in a file.
 * parts=netem,rate,queue, path_rate=RATE, mtu=N, tick=TIME and node=NAME
 * fill the hint. NETNS "-" means the caller's own namespace. */
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

static int parse_parts(const char *v, unsigned *parts, const char **why)
{
	char *dup = xstrdup(v), *save = NULL;
	int rc = 0;

	*parts = 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "netem"))
			*parts |= TB_PART_NETEM;
		else if (!strcmp(t, "rate"))
			*parts |= TB_PART_RATE;
		else if (!strcmp(t, "queue"))
			*parts |= TB_PART_QUEUE;
		else if (!strcmp(t, "all"))
			*parts |= TB_PART_ALL;
		else
			rc = -EINVAL;
	}
	free(dup);
	*why = "expected netem, rate, queue or all, separated by commas";
	return rc;
}

/* A key of the hint into @h: false when @k is none (then it is a shaping
 * key); a bad value is reported into @d as a file's would be. */
static bool hint_kv(const char *k, const char *v, struct qdisc_plan_hint *h, struct tb_diag *d,
		    const struct tb_loc *loc)
{
	const char *why = "";
	int rc = 0;

	if (!strcmp(k, "parts"))
		rc = parse_parts(v, &h->parts, &why);
	else if (!strcmp(k, "path_rate"))
		rc = units_rate(v, &h->path_rate, &why);
	else if (!strcmp(k, "mtu"))
		rc = count32(v, &h->mtu, &why);
	else if (!strcmp(k, "tick"))
		rc = time32(v, &h->tick_us, &why);
	else if (!strcmp(k, "node"))
		h->node = v;
	else
		return false;
	if (rc)
		diag_error(d, loc, "%s: invalid value \"%s\": %s", k, v, why);
	return true;
}

/* The KEY=VALUE arguments into @sh and @h; every bad one is printed.
 * 0 or -EINVAL. */
static int parse_args(int argc, char **argv, struct tb_shape *sh, struct qdisc_plan_hint *h)
{
	static const struct tb_loc where = { .file = "testbed shape" };
	struct tb_diag d = { 0 };
	size_t errors;

	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq) {
			diag_error(&d, &where, "\"%s\" is not KEY=VALUE", argv[i]);
			continue;
		}
		*eq = 0;
		if (!hint_kv(argv[i], eq + 1, h, &d, &where))
			config_shape_set(sh, argv[i], eq + 1, &where, &d);
	}
	if (sh->set & TB_SH_TRACE) /* followed by a run's thread (net/trace_run.h) */
		diag_error(&d, NULL, "trace: only a run follows a trace; give rate= here");
	diag_print(&d, stderr);
	errors = diag_errors(&d);
	diag_free(&d);
	return errors ? -EINVAL : 0;
}

static void shape_usage(FILE *f)
{
	fprintf(f, "Usage: testbed shape NETNS IFNAME [KEY=VALUE...]\n"
		   "Install a link shape on IFNAME's egress inside NETNS (\"-\": this one);\n"
		   "no keys clears it. The keys of a [link] section, with the same units,\n"
		   "ranges and messages (docs/config.md, docs/shaping.md):\n");
	config_shape_help(f);
	fprintf(f, "and the hint (where the parts go; testbed run puts all on one end):\n"
		   "  parts=netem,rate,queue  path_rate=RATE  mtu=N  tick=TIME  node=NAME\n");
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
	struct tb_shape sh;
	struct qdisc_plan_hint h = { 0 };
	struct qdisc_err err;
	struct ifidx_arg a;
	int nsfd, idx, rc, ret = TB_EXIT_USAGE;

	if (argc < 3 || !strcmp(argv[1], "--help")) {
		bool help = argc >= 2 && !strcmp(argv[1], "--help");

		shape_usage(help ? stdout : stderr);
		return help ? TB_EXIT_OK : TB_EXIT_USAGE;
	}
	config_shape_defaults(&sh);
	if (parse_args(argc - 3, argv + 3, &sh, &h))
		return TB_EXIT_USAGE;
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
	if (sh.set & config_shape_bits(TB_PART_NETEM))
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
