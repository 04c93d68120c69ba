/* `testbed guest`: run one command inside a fresh UML guest (and, as the
 * guest's init, the guest side of that); `testbed probe`: what the running
 * kernel supports and which tier an experiment would get. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "net/probe.h"
#include "util/units.h"
#include "util/util.h"
#include "vm/vm.h"

static void guest_usage(FILE *f)
{
	fprintf(f,
		"Usage: testbed guest [--mem SIZE] [--timeout TIME] [--log FILE] [--modules LIST]\n"
		"                     [--kernel PATH] [--quiet] -- COMMAND [ARGS...]\n\n"
		"Boot a User-Mode Linux guest (" VM_DEFAULT_KERNEL ") with the host filesystem as\n"
		"its root, load the network modules (netem, fq_codel, fq, codel, cake, tbf, htb,\n"
		"veth, tcp_bbr, ... or just LIST, comma-separated), bring up lo, run COMMAND as\n"
		"root in the current directory, power off. COMMAND is a path (with a '/') or a\n"
		"testbed subcommand. Its stdout and stderr pass through and its exit status is\n"
		"testbed's. Does not need root.\n\n"
		"  --mem SIZE      guest memory (default %uM)\n"
		"  --timeout TIME  kill the guest after TIME (e.g. 30s; default 300s, 0 = none)\n"
		"  --log FILE      keep the guest's console (kernel) log in FILE\n"
		"  --quiet         do not print the kernel version and timings to stderr\n\n"
		"The whole guest runs on one host CPU, the last one testbed may use\n"
		"(TB_UML_CPU=N picks one, TB_UML_CPU=any lets the host move it).\n\n"
		"Exit status: COMMAND's; 1 if the guest failed or timed out; 3 if UML is missing\n"
		"(" VM_PACKAGE_HINT ").\n", VM_DEFAULT_MEM_MB);
}

/* "a,b,c" -> NULL-terminated vector pointing into @s (modified). */
static const char **split_list(char *s)
{
	size_t n = 0, cap = 0;
	const char **v = NULL;

	for (char *save = NULL, *t = strtok_r(s, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		v = tb_grow(v, &cap, n + 1, sizeof(*v));
		v[n++] = t;
	}
	v = tb_grow(v, &cap, n + 1, sizeof(*v));
	v[n] = NULL;
	return v;
}

/* --mem SIZE (at least 32M) into @o; false (said) when it is not one. */
static bool guest_mem(const char *arg, struct vm_opts *o)
{
	const char *why = NULL;
	uint64_t v;

	if (units_size(arg, &v, &why) < 0 || v < (32u << 20)) {
		tb_err("guest: --mem \"%s\": %s", arg, why ? why : "at least 32M");
		return false;
	}
	o->mem_mb = (unsigned)(v >> 20);
	return true;
}

/* --timeout TIME (0: none) into @o; false (said) when it is not a time. */
static bool guest_timeout(const char *arg, struct vm_opts *o)
{
	const char *why;
	uint64_t v;

	if (strcmp(arg, "0") && units_time(arg, &v, &why) < 0) {
		tb_err("guest: --timeout \"%s\": %s", arg, why);
		return false;
	}
	o->timeout_s = strcmp(arg, "0") ? (double)v / 1e6 : 0;
	return true;
}

/* --mem, --timeout, ... into @o; -1 to go on, else the exit code. */
static int guest_parse(int argc, char **argv, struct vm_opts *o, const char ***mods, bool *quiet)
{
	static const struct option opts[] = {
		{ "mem", required_argument, NULL, 'm' },   { "timeout", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },   { "modules", required_argument, NULL, 'M' },
		{ "kernel", required_argument, NULL, 'k' }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+m:t:l:M:k:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!guest_mem(optarg, o))
				return TB_EXIT_USAGE;
			break;
		case 't':
			if (!guest_timeout(optarg, o))
				return TB_EXIT_USAGE;
			break;
		case 'l':
			o->log_path = optarg;
			break;
		case 'M':
			free(*mods);
			*mods = split_list(optarg);
			o->modules = *mods;
			break;
		case 'k':
			o->kernel = optarg;
			break;
		case 'q':
			*quiet = true;
			break;
		case 'h':
			guest_usage(stdout);
			return TB_EXIT_OK;
		default:
			guest_usage(stderr);
			return TB_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		guest_usage(stderr);
		return TB_EXIT_USAGE;
	}
	return -1;
}

/* What vm_run() could not do, with the console's last lines; the code. */
static int guest_failed(int rc, const struct vm_result *r, const struct vm_opts *o)
{
	tb_err("guest: %s", r->error);
	if (r->log_tail[0])
		fprintf(stderr, "testbed: guest console, last lines%s%s%s:\n%s",
			o->log_path ? " (all in " : "", o->log_path ? o->log_path : "",
			o->log_path ? ")" : "", r->log_tail);
	if (r->signal)
		return 128 + r->signal;
	if (rc == -ENOEXEC)
		return 127; /* as a shell says "command not found" */
	if (rc == -EINVAL)
		return TB_EXIT_USAGE;
	return rc == -ENOENT || rc == -ENOTSUP ? TB_EXIT_ENV : TB_EXIT_FAIL;
}

/* The guest's warnings, and (unless @quiet) one line of its figures. */
static void guest_report(struct vm_result *r, bool quiet)
{
	char where[32] = "any host CPU";

	if (r->warnings[0])
		for (char *save = NULL, *w = strtok_r(r->warnings, "\n", &save); w;
		     w = strtok_r(NULL, "\n", &save))
			tb_warn("guest: %s", w);
	if (r->cpu >= 0)
		snprintf(where, sizeof(where), "host CPU %d", r->cpu);
	if (!quiet)
		fprintf(stderr,
			"testbed: guest %s: kernel %s, boot %.0f ms, %u modules in %.0f ms, total %.0f ms, "
			"%s, status %d\n",
			r->umid, r->release, r->boot_ms, r->modules_loaded, r->modules_ms, r->total_ms,
			where, r->status);
}

int cmd_guest(int argc, char **argv)
{
	const char **mods = NULL;
	struct vm_result r;
	struct vm_opts o;
	bool quiet = false;
	int rc;

	/* The guest's kernel starts us as `testbed guest` with no arguments. */
	if (argc == 1 && getpid() == 1 && getenv(VM_ENV_DIR))
		return guest_init_main();
	vm_opts_init(&o);
	o.timeout_s = 300;
	rc = guest_parse(argc, argv, &o, &mods, &quiet);
	if (rc < 0) {
		rc = vm_run(&o, argv + optind, &r);
		if (rc < 0) {
			rc = guest_failed(rc, &r, &o);
		} else {
			guest_report(&r, quiet);
			rc = r.status;
		}
	}
	free(mods);
	return rc;
}

static void print_kinds(const char *title, const char *const *kinds, bool (*has)(const struct probe *, const char *),
			const struct probe *p, bool want)
{
	bool first = true;

	printf("%s", title);
	for (int i = 0; kinds[i]; i++)
		if (has(p, kinds[i]) == want) {
			printf("%s%s", first ? " " : ", ", kinds[i]);
			first = false;
		}
	printf("%s\n", first ? " -" : "");
}

static void probe_usage(FILE *f)
{
	fprintf(f, "Usage: testbed probe [--kernel auto|host|uml] [--qdiscs LIST] [--ccs LIST]\n\n"
		   "Print what the running kernel supports (qdisc kinds, link kinds, congestion\n"
		   "controls) and whether the UML tier is available. With --qdiscs/--ccs\n"
		   "(comma-separated), also print the tier an experiment needing them gets; exit 3\n"
		   "when no tier provides them.\n");
}

/* --kernel, --qdiscs, --ccs; -1 to go on, else the exit code. */
static int probe_parse(int argc, char **argv, const char **mode, const char ***qd, const char ***cc)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' }, { "qdiscs", required_argument, NULL, 'q' },
		{ "ccs", required_argument, NULL, 'c' },     { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:q:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			*mode = optarg;
			break;
		case 'q':
			free(*qd);
			*qd = split_list(optarg);
			break;
		case 'c':
			free(*cc);
			*cc = split_list(optarg);
			break;
		case 'h':
			probe_usage(stdout);
			return TB_EXIT_OK;
		default:
			probe_usage(stderr);
			return TB_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		probe_usage(stderr);
		return TB_EXIT_USAGE;
	}
	return -1;
}

/* What the running kernel supports, as probe_kernel found it. */
static void print_kernel(const struct probe *p)
{
	printf("kernel:      %s%s%s\n", p->release, vm_in_guest() ? " (UML guest)" : "",
	       p->modules ? "" : " (no loadable modules)");
	if (p->qdiscs_probed) {
		print_kinds("qdiscs:     ", probe_qdisc_kinds(), probe_has_qdisc, p, true);
		print_kinds("no qdiscs:  ", probe_qdisc_kinds(), probe_has_qdisc, p, false);
		print_kinds("links:      ", probe_link_kinds(), probe_has_link, p, true);
		print_kinds("no links:   ", probe_link_kinds(), probe_has_link, p, false);
	} else {
		printf("qdiscs:      not probed (%s)\n", strerror(p->qdisc_errno));
	}
	printf("cc:          %s\n", p->cc_available);
	printf("cc allowed:  %s\n", p->cc_allowed);
	printf("probe took:  %.1f ms\n", p->elapsed_ms);
}

/* Whether the UML tier can run here: its kernel and modules. */
static void print_uml(void)
{
	char rel[65];

	if (vm_unsupported())
		printf("uml tier:    unavailable: %s\n", vm_unsupported());
	else if (vm_kernel_release(NULL, rel, sizeof(rel)) == 0)
		printf("uml tier:    %s %s, modules in %s/%s\n", vm_kernel_path(NULL), rel, VM_DEFAULT_MODDIR, rel);
	else
		printf("uml tier:    unavailable: no %s (%s)\n", vm_kernel_path(NULL), VM_PACKAGE_HINT);
}

/* The tier an experiment of @mode needing qdiscs @qd and ccs @cc gets. */
static int print_tier(const char *mode, const char **qd, const char **cc)
{
	struct vm_needs need = { .qdiscs = qd, .ccs = cc };
	enum vm_tier tier;
	int rc;

	fflush(stdout);
	rc = vm_choose_tier(mode, NULL, &need, &tier);
	if (rc == TB_EXIT_OK)
		printf("tier:        %s\n", tier == VM_TIER_HOST ? "host" : "uml");
	return rc;
}

int cmd_probe(int argc, char **argv)
{
	const char *mode = NULL, **qd = NULL, **cc = NULL;
	struct probe p;
	int rc = probe_parse(argc, argv, &mode, &qd, &cc);

	if (rc >= 0)
		goto out;
	rc = TB_EXIT_OK;
	if (probe_kernel(&p) < 0) {
		tb_err("probe: %m");
		rc = TB_EXIT_ENV;
		goto out;
	}
	print_kernel(&p);
	print_uml();
	if (mode || qd || cc)
		rc = print_tier(mode, qd, cc);
out:
	free(qd);
	free(cc);
	return rc;
}
