/* testbed run FILE: plan the runs, choose the kernel, perform every run in
 * a seed-shuffled order, write the manifest and hand over to the report. */
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "net/check.h"
#include "obs/clockwatch.h"
#include "net/probe.h"
#include "net/qdisc.h"
#include "report/report.h"
#include "run.h"
#include "util/units.h"
#include "util/util.h"
#include "vm/vm.h"

static const char usage_text[] =
	"Usage: testbed run FILE [--duration TIME] [--repeat N] [--out DIR]\n"
	"                        [--kernel auto|host|uml] [--quiet]\n\n"
	"Run an experiment: every case of its sweeps, each repeated, in an order shuffled\n"
	"by the experiment's seed; each run builds a fresh network and tears it down.\n"
	"Progress goes to stderr; the run directory is the last line of stdout:\n"
	"capture/<experiment>/<timestamp>-<id>/ (or --out) with manifest.json,\n"
	"summary.json, report.md, plots/ and runs/c<CASE>-r<REPEAT>/.\n\n"
	"  --duration TIME   measured time of each run (flows' and events' times\n"
	"                    scale with it, keeping their share of the run)\n"
	"  --repeat N        runs per case\n"
	"  --out DIR         output directory (created; must not exist or be empty:\n"
	"                    a run never writes over another; exit 2 otherwise)\n"
	"  --kernel K        auto (host kernel when it has every qdisc and congestion\n"
	"                    control needed, else a User-Mode Linux guest), host, uml\n"
	"  --quiet           no progress\n\n"
	"A guest runs on one host CPU (TB_UML_CPU=N|any, see testbed guest --help);\n"
	"report.md tells stalls of the host from a guest that fell behind.\n\n"
	"Exit status: 0 every expectation held, 1 one did not (or a run failed),\n"
	"2 bad file or usage, 3 environment (not root, missing kernel feature).\n";

/* splitmix64: a small, well-mixed generator for the run order. */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* --repeat, and --duration: flows and events keep their share of the run. */
static void apply_overrides(struct tb_config *c, uint64_t dur_us, unsigned repeat)
{
	double scale;

	if (repeat)
		c->exp.repeat = repeat;
	if (!dur_us)
		return;
	scale = (double)dur_us / c->exp.duration_us;
	for (size_t i = 0; i < c->n_flows; i++) {
		struct tb_flow *f = &c->flows[i];

		f->start_us = (uint32_t)(f->start_us * scale);
		f->duration_us = (uint32_t)(f->duration_us * scale);
	}
	for (size_t i = 0; i < c->n_events; i++)
		c->events[i].at_us = (uint32_t)(c->events[i].at_us * scale);
	c->exp.duration_us = (uint32_t)dur_us;
}

static void case_params(const struct tb_config *c, size_t k, char *buf, size_t len, json_t *obj)
{
	int *idx = xcalloc(c->n_sweeps + 1, sizeof(int));

	config_case_values(c, k, idx);
	buf[0] = 0;
	for (size_t i = 0; i < c->n_sweeps; i++) {
		const char *v = c->sweeps[i].values[idx[i]];
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "", c->sweeps[i].short_name, v);
		if (obj)
			json_object_set_new(obj, c->sweeps[i].key, json_string(v));
	}
	free(idx);
}

/* Qdisc kinds and congestion controls that the cases need. */
static void needs(const struct tb_config *c, const char ***qd, const char ***cc)
{
	size_t nq = 0, ncc = 0, cq = 0, ccap = 0;
	struct tb_diag d = { 0 };

	*qd = NULL;
	*cc = NULL;
	for (size_t k = 0; k < config_n_cases(c); k++) {
		struct tb_config *x = config_case(c, k, &d);

		for (size_t l = 0; x && l < x->n_links; l++) {
			for (int dir = 0; dir < 2; dir++) {
				const struct tb_shape *sh = &x->links[l].dir[dir];
				const char *kinds[3];
				int n = qdisc_kinds(sh, qdisc_parts_needed(sh), kinds);

				for (int i = 0; i < n; i++) {
					bool have = false;

					for (size_t j = 0; j < nq; j++)
						have |= !strcmp((*qd)[j], kinds[i]);
					if (!have) {
						*qd = tb_grow(*qd, &cq, nq + 1, sizeof(char *));
						(*qd)[nq++] = kinds[i];
					}
				}
			}
		}
		for (size_t i = 0; x && i < x->n_flows; i++) {
			bool have = false;

			if (!x->flows[i].cc[0])
				continue;
			for (size_t j = 0; j < ncc; j++)
				have |= !strcmp((*cc)[j], x->flows[i].cc);
			if (!have) {
				*cc = tb_grow(*cc, &ccap, ncc + 1, sizeof(char *));
				/* c outlives the list: point into the original's strings */
				(*cc)[ncc++] = xstrdup(x->flows[i].cc);
			}
		}
		config_free(x);
	}
	diag_free(&d);
}

/* --out must name a directory that does not exist or is empty: a run never
 * writes over an earlier one. 0, -ENOTEMPTY or -ENOTDIR. */
static int out_free(const char *out)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (stat(out, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	d = opendir(out);
	if (!d)
		return -errno;
	while (!rc && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = -ENOTEMPTY;
	closedir(d);
	return rc;
}

/* Take the output directory: its runs/ made here and now, so that two runs
 * never share one (the second finds runs/ taken). In a guest the host has
 * taken it already. */
static int make_outdir(const struct tb_config *c, const char *out, char *dir, size_t len)
{
	char ts[32], runs[PATH_MAX];
	time_t now = time(NULL);
	uint64_t s = (uint64_t)now ^ ((uint64_t)getpid() << 32);

	if (vm_in_guest()) {
		snprintf(dir, len, "%s", out);
		return 0;
	}
	for (int tries = 0;; tries++) {
		if (out) {
			snprintf(dir, len, "%s", out);
		} else {
			strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", localtime(&now));
			mkdir("capture", 0755);
			snprintf(dir, len, "capture/%s", c->exp.name);
			mkdir(dir, 0755);
			snprintf(dir, len, "capture/%s/%s-%04x", c->exp.name, ts,
				 (unsigned)(mix(&s) & 0xffff));
		}
		if (mkdir(dir, 0755) == 0 || (out && errno == EEXIST))
			break;
		if (errno != EEXIST || tries >= 8)
			return -errno;
	}
	snprintf(runs, sizeof(runs), "%s/runs", dir);
	if (mkdir(runs, 0755) < 0)
		return errno == EEXIST ? -EBUSY : -errno;
	return 0;
}

/* DIR/manifest.json, replaced whole (written aside, then renamed): a reader,
 * or a kill in the middle, never sees half of one. */
static int write_manifest(json_t *manifest, const char *dir)
{
	char tmp[PATH_MAX + 32], path[PATH_MAX + 32];

	snprintf(tmp, sizeof(tmp), "%s/.manifest.json.part", dir);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	errno = 0;
	if (json_dump_file(manifest, tmp, JSON_INDENT(1))) {
		int rc = errno ? -errno : -EIO;

		unlink(tmp);
		tb_err("run: cannot write %s: %s", path, strerror(-rc));
		return rc;
	}
	return rename(tmp, path) < 0 ? -errno : 0;
}

/* Room for one more run in DIR: a full disk made every part of a run fail
 * in its own misleading way ("servers did not listen within 10 s"). */
#define RUN_MIN_FREE (8u << 20)

static int room_for_a_run(const char *dir)
{
	struct statvfs v;
	unsigned long long avail;

	if (statvfs(dir, &v) < 0)
		return 0; /* cannot tell: let the writes say */
	avail = (unsigned long long)v.f_bavail * v.f_frsize;
	if (avail >= RUN_MIN_FREE)
		return 0;
	tb_err("run: %s: %llu kB free on its file system, less than a run needs (%u MB): "
	       "stopping here (No space left on device)",
	       dir, avail >> 10, RUN_MIN_FREE >> 20);
	return -ENOSPC;
}

static void self_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0) {
		snprintf(buf, len, ".");
		return;
	}
	buf[n] = 0;
	slash = strrchr(buf, '/');
	if (slash)
		*slash = 0;
}

/* Run the guest with the host's clock check beside it: the guest's samplers
 * see a late wake-up whether the host or the guest fell behind; the host's
 * own check, in DIR/host-clock.json, tells the report which one it was. */
static int run_watched_guest(const struct vm_opts *vo, char **gargv, const char *dir, int *status)
{
	struct clockwatch *w = NULL;
	char path[PATH_MAX + 32];
	json_t *seen;
	int rc;

	if (clockwatch_start(vm_guest_cpu(vo), &w))
		tb_warn("run: the host's clock check did not start: host and guest stalls will "
			"not be told apart");
	rc = vm_run_testbed(vo, gargv, status);
	seen = clockwatch_stop(w);
	snprintf(path, sizeof(path), "%s/host-clock.json", dir);
	if (seen && json_dump_file(seen, path, JSON_INDENT(1)))
		tb_warn("run: cannot write %s", path);
	json_decref(seen);
	return rc;
}

/* The guest wrote the report before the host's clock check was saved: write
 * it again with it, so that host and guest stalls are told apart, and say
 * which happened (the guest has printed the expectations already). */
static void report_with_host_clock(const struct tb_config *c, const char *dir)
{
	struct report_outcome o = { 0 };
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/summary.json", dir);
	if (access(path, F_OK))
		return; /* the guest did not get as far as a report */
	if (report_write(c, dir, &o) == 0)
		report_stall_warn(&o);
	report_outcome_free(&o);
}

static int run_in_guest(const struct tb_config *c, int argc, char **argv, const char *dir,
			const struct vm_needs *vn)
{
	struct vm_opts vo;
	const char **mods = vm_modules_for(vn);
	char **gargv = xcalloc((size_t)argc + 8, sizeof(char *));
	char log[PATH_MAX], absdir[PATH_MAX];
	int n = 0, status = 0, rc;

	/* the same command inside the guest, on its kernel, into the same directory */
	if (!realpath(dir, absdir))
		snprintf(absdir, sizeof(absdir), "%s", dir);
	gargv[n++] = "run";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kernel") || !strcmp(argv[i], "--out")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--kernel=", 9) || !strncmp(argv[i], "--out=", 6))
			continue;
		gargv[n++] = argv[i];
	}
	gargv[n++] = "--kernel";
	gargv[n++] = "host";
	gargv[n++] = "--out";
	gargv[n++] = absdir;
	vm_opts_init(&vo);
	vo.modules = mods; /* only what the experiment needs: a faster boot */
	vo.mem_mb = (unsigned)(c->exp.uml_mem >> 20);
	snprintf(log, sizeof(log), "%s/guest-console.log", absdir);
	vo.log_path = log;
	vo.timeout_s = 120.0 + (double)config_n_cases(c) * c->exp.repeat *
				       (c->exp.duration_us / 1e6 + 30.0);
	rc = run_watched_guest(&vo, gargv, absdir, &status);
	free(gargv);
	vm_modules_free(mods);
	if (rc)
		return rc;
	return status;
}

int cmd_run(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "duration", required_argument, NULL, 'd' }, { "repeat", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },      { "kernel", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },	      { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *kernel = NULL, *why = "";
	uint64_t dur_us = 0, rep = 0;
	struct run_opts ro = { 0 };
	struct tb_diag d = { 0 };
	struct tb_config *c = NULL;
	char dir[PATH_MAX], workers[PATH_MAX];
	size_t n_cases, n_runs, *order = NULL;
	json_t *manifest = NULL, *runs;
	sigset_t mask;
	int opt, rc = TB_EXIT_OK;
	enum vm_tier tier = VM_TIER_HOST;
	bool env = false, any_failed = false;
	int signo = 0;
	uint64_t seed;
	const char **qd = NULL, **cc = NULL, **q0 = NULL, **c0 = NULL;
	struct vm_needs vn = { 0 };

	optind = 1;
	while ((opt = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (units_time(optarg, &dur_us, &why) || dur_us < 100000) {
				tb_err("run: --duration \"%s\": %s", optarg, *why ? why : "at least 100ms");
				return TB_EXIT_USAGE;
			}
			break;
		case 'r':
			if (units_count(optarg, &rep, &why) || rep < 1 || rep > 1000) {
				tb_err("run: --repeat \"%s\": expected 1..1000", optarg);
				return TB_EXIT_USAGE;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'k':
			kernel = optarg;
			break;
		case 'q':
			ro.quiet = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return TB_EXIT_OK;
		default:
			fputs(usage_text, stderr);
			return TB_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(usage_text, stderr);
		return TB_EXIT_USAGE;
	}
	c = check_load(argv[optind], &d);
	diag_print(&d, stderr);
	if (!c || diag_errors(&d)) {
		diag_free(&d);
		config_free(c);
		return TB_EXIT_USAGE;
	}
	diag_free(&d);
	if (!c->exp.present) {
		tb_err("run: %s is a topology, not an experiment (try 'testbed up')", argv[optind]);
		config_free(c);
		return TB_EXIT_USAGE;
	}
	apply_overrides(c, dur_us, (unsigned)rep);
	rc = out && !vm_in_guest() ? out_free(out) : 0;
	if (rc < 0) {
		tb_err("run: --out %s: %s: give a new directory (a run never writes over another)",
		       out, rc == -ENOTEMPTY ? "not empty" : strerror(-rc));
		config_free(c);
		return TB_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		tb_err("run: needs root (network namespaces, veth, qdiscs): run it with sudo");
		config_free(c);
		return TB_EXIT_ENV;
	}
	if (!kernel)
		kernel = config_kernel_name(c->exp.kernel);
	needs(c, &qd, &cc);
	{
		size_t nq = 0, ncc = 0;
		struct vm_opts vo;

		for (; qd && qd[nq]; nq++)
			;
		for (; cc && cc[ncc]; ncc++)
			;
		q0 = xcalloc(nq + 1, sizeof(char *));
		c0 = xcalloc(ncc + 1, sizeof(char *));
		if (nq)
			memcpy(q0, qd, nq * sizeof(char *));
		if (ncc)
			memcpy(c0, cc, ncc * sizeof(char *));
		free(qd);
		free(cc);
		vn = (struct vm_needs){ .qdiscs = q0, .ccs = c0, .links = NULL };
		vm_opts_init(&vo);
		rc = vm_choose_tier(kernel, &vo, &vn, &tier);
		if (rc)
			goto done;
	}
	rc = make_outdir(c, out, dir, sizeof(dir));
	if (rc < 0) {
		tb_err("run: cannot take the output directory %s: %s", dir,
		       rc == -EBUSY ? "another run took it" : strerror(-rc));
		rc = rc == -EBUSY ? TB_EXIT_USAGE : TB_EXIT_ENV;
		goto done;
	}
	if (tier == VM_TIER_UML) {
		if (!ro.quiet)
			fprintf(stderr, "testbed: the host kernel lacks what %s needs; running it in a "
					"User-Mode Linux guest\n",
				c->exp.name);
		rc = run_in_guest(c, argc, argv, dir, &vn);
		report_with_host_clock(c, dir);
		printf("%s\n", dir);
		goto done;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD); /* wakes the run loop when a client exits */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	ro.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	self_dir(workers, sizeof(workers));
	strncat(workers, "/workers", sizeof(workers) - strlen(workers) - 1);
	ro.workers = workers;
	ro.tier = "host";

	n_cases = config_n_cases(c);
	n_runs = n_cases * c->exp.repeat;
	order = xcalloc(n_runs, sizeof(size_t));
	for (size_t i = 0; i < n_runs; i++)
		order[i] = i;
	seed = c->exp.seed;
	for (size_t i = n_runs; i > 1; i--) { /* Fisher-Yates, seeded */
		size_t j = (size_t)(mix(&seed) % i), t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}

	manifest = json_object();
	{
		struct utsname u;
		json_t *cases = json_array();

		uname(&u);
		json_object_set_new(manifest, "experiment", json_string(c->exp.name));
		json_object_set_new(manifest, "file", json_string(c->path));
		json_object_set_new(manifest, "description",
				    json_string(c->exp.description ? c->exp.description : ""));
		json_object_set_new(manifest, "seed", json_integer((json_int_t)c->exp.seed));
		json_object_set_new(manifest, "duration_s", json_real(c->exp.duration_us / 1e6));
		json_object_set_new(manifest, "repeat", json_integer(c->exp.repeat));
		json_object_set_new(manifest, "kernel",
				    json_pack("{ss ss ss}", "tier", vm_in_guest() ? "uml" : "host",
					      "release", u.release, "machine", u.machine));
		json_object_set_new(manifest, "tools",
				    json_pack("{ss ss}", "testbed", TB_VERSION, "jansson", JANSSON_VERSION));
		for (size_t k = 0; k < n_cases; k++) {
			json_t *params = json_object();
			char buf[256];

			struct tb_config *ck = config_case(c, k, &d);

			case_params(c, k, buf, sizeof(buf), params);
			/* the configuration this case ran with: every sysctl and shape */
			json_array_append_new(cases, json_pack("{sI so so}", "index", (json_int_t)k,
							       "params", params, "config",
							       ck ? config_to_json(ck) : json_null()));
			config_free(ck);
		}
		json_object_set_new(manifest, "cases", cases);
		json_object_set_new(manifest, "config", config_to_json(c));
		json_object_set_new(manifest, "qdisc_dumps",
				    json_string("runs/c<CASE>-r<REPEAT>/qdisc.json: every qdisc installed, "
						"with its options and statistics at the end of the run"));
	}
	runs = json_array();
	json_object_set_new(manifest, "runs", runs);
	/* incomplete until the end says otherwise: a run killed with SIGKILL
	 * leaves a directory that says so, and that testbed report reads */
	json_object_set_new(manifest, "complete", json_false());
	if (write_manifest(manifest, dir) || room_for_a_run(dir))
		rc = TB_EXIT_ENV;

	{
		double total = (double)n_runs * c->exp.duration_us / 1e6, done = 0;

		for (size_t i = 0; i < n_runs && !signo && rc == TB_EXIT_OK; i++) {
			size_t k = order[i] / c->exp.repeat;
			unsigned r = (unsigned)(order[i] % c->exp.repeat);
			struct run_progress pr = { i + 1, n_runs, k + 1, n_cases, r + 1, c->exp.repeat,
						   done, total, "" };
			char rdir[PATH_MAX + 32], part[PATH_MAX + 64], final[PATH_MAX + 64];
			struct tb_config *cc_k;
			enum run_status st;
			json_t *info, *params = json_object();

			case_params(c, k, pr.params, sizeof(pr.params), params);
			snprintf(rdir, sizeof(rdir), "%s/runs/c%zu-r%u", dir, k + 1, r + 1);
			cc_k = config_case(c, k, &d);
			if (!cc_k) {
				diag_print(&d, stderr);
				diag_free(&d);
				json_decref(params);
				rc = TB_EXIT_USAGE;
				break;
			}
			st = run_one(cc_k, rdir, &ro, &pr, &signo, &env);
			config_free(cc_k);
			done += c->exp.duration_us / 1e6;
			snprintf(part, sizeof(part), "%s/run.part.json", rdir);
			snprintf(final, sizeof(final), "%s/run.json", rdir);
			info = json_load_file(part, 0, NULL);
			if (!info)
				info = json_object();
			json_object_set_new(info, "case", json_integer((json_int_t)k));
			json_object_set_new(info, "repeat", json_integer(r));
			json_object_set_new(info, "order", json_integer((json_int_t)i));
			json_object_set(info, "params", params);
			json_dump_file(info, final, JSON_INDENT(1));
			unlink(part);
			json_array_append_new(runs, json_pack("{ss+ sI sI sI ss}", "dir", "runs/",
							      strrchr(rdir, '/') + 1, "case", (json_int_t)k,
							      "repeat", (json_int_t)r, "order", (json_int_t)i,
							      "status", json_string_value(json_object_get(info, "status"))));
			json_decref(info);
			json_decref(params);
			if (write_manifest(manifest, dir) || (i + 1 < n_runs && room_for_a_run(dir)))
				rc = TB_EXIT_ENV;
			if (st != RUN_COMPLETE)
				any_failed = true;
			if (env)
				break;
		}
	}
	json_object_set_new(manifest, "complete", json_boolean(!signo && !env && rc == TB_EXIT_OK));
	if (signo)
		json_object_set_new(manifest, "interrupted", json_string(strsignal(signo)));
	write_manifest(manifest, dir);
	json_decref(manifest);
	if (rc == TB_EXIT_OK) {
		struct report_outcome ro2 = { 0 };

		if (report_write(c, dir, &ro2) < 0)
			any_failed = true;
		if (!vm_in_guest()) /* the host's clock check is added once the guest is gone */
			report_stall_warn(&ro2);
		if (ro2.n_failed) {
			any_failed = true;
			for (size_t i = 0; i < ro2.n_failed; i++)
				tb_err("expectation not held: %s", ro2.failed[i]);
		}
		report_outcome_free(&ro2);
	}
	if (rc == TB_EXIT_OK)
		rc = env ? TB_EXIT_ENV : (any_failed || signo) ? TB_EXIT_FAIL : TB_EXIT_OK;
	if (signo)
		tb_err("run: interrupted by %s; the network is torn down and %s is marked incomplete",
		       strsignal(signo), dir);
	if (!vm_in_guest()) /* the host prints it once the guest is gone */
		printf("%s\n", dir);
	free(order);
	close(ro.sigfd);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
done:
	for (size_t i = 0; c0 && c0[i]; i++)
		free((char *)c0[i]);
	free(q0);
	free(c0);
	config_free(c);
	return rc;
}
