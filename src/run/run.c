/* testbed run on this kernel: every case of the experiment, each repeated,
 * in a seed-shuffled order, into one output directory: its manifest first
 * (incomplete until the end says otherwise), each run's run.json as the run
 * ends, then the report. run_guest.c does it through a User-Mode Linux
 * guest; cli/cmd_run.c is the command. */
#include <dirent.h>
#include <errno.h>
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

#include "net/qdisc.h"
#include "report/report.h"
#include "run.h"
#include "shard.h"
#include "util/jsonfile.h"
#include "util/tls_cert.h"
#include "util/util.h"
#include "vm/vm_tier.h"

/* splitmix64: a small, well-mixed generator for the run order. */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void run_apply_overrides(struct tb_config *c, uint64_t dur_us, unsigned repeat)
{
	if (repeat)
		c->exp.repeat = repeat;
	if (dur_us)
		config_set_duration(c, (uint32_t)dur_us);
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

static void add_once(const char ***list, size_t *n, size_t *cap, const char *s, bool copy)
{
	for (size_t j = 0; j < *n; j++)
		if (!strcmp((*list)[j], s))
			return;
	*list = tb_grow(*list, cap, *n + 1, sizeof(char *));
	(*list)[(*n)++] = copy ? xstrdup(s) : s;
	(*list)[*n] = NULL;
}

/* The kinds of direction @dir of link @l as needs. */
static void shape_needs(const struct tb_link *l, int dir, run_need_fn fn, void *arg)
{
	const struct tb_shape *sh = &l->dir[dir];
	const char *kinds[3];
	int n = qdisc_kinds(sh, qdisc_parts_needed(sh), kinds);

	for (int i = 0; i < n; i++)
		fn(arg, &(struct run_need){ false, kinds[i], l->name, &sh->loc });
}

/* What one configuration @x needs of a kernel: its shapes' qdisc kinds,
 * its flows' congestion controls. */
static void config_needs(const struct tb_config *x, run_need_fn fn, void *arg)
{
	for (size_t l = 0; l < x->n_links; l++)
		for (int dir = 0; dir < 2; dir++)
			shape_needs(&x->links[l], dir, fn, arg);
	for (size_t i = 0; i < x->n_flows; i++) {
		const struct tb_flow *f = &x->flows[i];

		if (f->cc[0])
			fn(arg, &(struct run_need){ true, f->cc, f->name, &f->cc_loc });
	}
}

void run_needs_each(const struct tb_config *c, run_need_fn fn, void *arg)
{
	struct tb_diag d = { 0 };

	for (size_t k = 0; k < config_n_cases(c); k++) {
		struct tb_config *x = config_case(c, k, &d);

		if (x)
			config_needs(x, fn, arg);
		config_free(x);
	}
	diag_free(&d);
}

struct needs_lists {
	const char **qd, **cc;
	size_t nq, ncc, cq, ccap;
};

static void need_add(void *arg, const struct run_need *n)
{
	struct needs_lists *v = arg;

	if (n->cc) /* copied: the case is freed next */
		add_once(&v->cc, &v->ncc, &v->ccap, n->name, true);
	else
		add_once(&v->qd, &v->nq, &v->cq, n->name, false);
}

void run_needs(const struct tb_config *c, struct vm_needs *vn)
{
	struct needs_lists v = { 0 };

	run_needs_each(c, need_add, &v);
	*vn = (struct vm_needs){ .qdiscs = v.qd, .ccs = v.cc };
}

void run_needs_one(const struct tb_config *c, struct vm_needs *vn)
{
	struct needs_lists v = { 0 };

	config_needs(c, need_add, &v);
	*vn = (struct vm_needs){ .qdiscs = v.qd, .ccs = v.cc };
}

void run_needs_free(struct vm_needs *vn)
{
	for (size_t i = 0; vn->ccs && vn->ccs[i]; i++)
		free((char *)vn->ccs[i]);
	free((void *)vn->ccs);
	free((void *)vn->qdiscs);
	memset(vn, 0, sizeof(*vn));
}

/* --out must name a directory that does not exist or is empty: a run never
 * writes over an earlier one. 0, -ENOTEMPTY or -ENOTDIR. */
int run_out_free(const char *out)
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
int run_take_outdir(const struct tb_config *c, const char *out, char *dir, size_t len)
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

int run_write_manifest(const json_t *manifest, const char *dir)
{
	char path[PATH_MAX + 32];
	int rc;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	rc = tb_json_write(manifest, path, JSON_INDENT(1));
	if (rc)
		tb_err("run: cannot write %s: %s", path, strerror(-rc));
	return rc;
}

static json_t *sources_json(const struct tb_config *c)
{
	json_t *a = json_array();

	for (int i = 0; i < 2 && c->sources[i].path; i++)
		json_array_append_new(a, json_pack("{ss ss}", "path", c->sources[i].path, "text",
						   c->sources[i].text));
	return a;
}

json_t *run_manifest_new(const struct tb_config *c)
{
	json_t *m = json_object(), *cases = json_array();
	struct tb_diag d = { 0 };
	struct utsname u;
	char fp[64];

	uname(&u);
	json_object_set_new(m, "experiment", json_string(c->exp.name));
	json_object_set_new(m, "file", json_string(c->path));
	json_object_set_new(m, "description", json_string(c->exp.description ? c->exp.description : ""));
	json_object_set_new(m, "seed", json_integer((json_int_t)c->exp.seed));
	json_object_set_new(m, "duration_s", json_real(c->exp.duration_us / 1e6));
	json_object_set_new(m, "repeat", json_integer(c->exp.repeat));
	json_object_set_new(m, "kernel", json_pack("{ss ss ss}", "tier", vm_in_guest() ? "uml" : "host",
						   "release", u.release, "machine", u.machine));
	json_object_set_new(m, "tools",
			    json_pack("{ss ss}", "testbed", TB_VERSION, "jansson", JANSSON_VERSION));
	for (size_t k = 0; k < config_n_cases(c); k++) {
		json_t *params = json_object();
		char buf[256];
		struct tb_config *ck = config_case(c, k, &d);

		case_params(c, k, buf, sizeof(buf), params);
		/* the configuration this case ran with: every sysctl and shape */
		json_array_append_new(cases, json_pack("{sI so so}", "index", (json_int_t)k, "params",
						       params, "config",
						       ck ? config_to_json(ck) : json_null()));
		config_free(ck);
	}
	diag_free(&d);
	json_object_set_new(m, "cases", cases);
	json_object_set_new(m, "config", config_to_json(c));
	/* the files as read: `testbed report` judges the run again from these */
	json_object_set_new(m, "sources", sources_json(c));
	json_object_set_new(m, "qdisc_dumps",
			    json_string("runs/c<CASE>-r<REPEAT>/qdisc.json: every qdisc installed, "
					"with its options and statistics at the end of the run"));
	json_object_set_new(m, "runs", json_array());
	/* incomplete until the end says otherwise: a run killed with SIGKILL
	 * leaves a directory that says so, and that testbed report reads */
	json_object_set_new(m, "complete", json_false());
	/* what `testbed merge` checks shards by */
	shard_fingerprint(m, fp, sizeof(fp));
	json_object_set_new(m, "fingerprint", json_string(fp));
	return m;
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

/* One `testbed run` on this kernel. */
struct experiment {
	const struct tb_config *c;
	const char *dir;
	struct run_opts ro;
	const struct run_shard *shard; /* NULL: every run */
	size_t n_cases, n_runs, *order;
	size_t n_mine, n_done; /* runs of this shard, and those done */
	double done_s, total_s;
	json_t *manifest;
	int signo;        /* the signal that ended it early */
	bool env;         /* a run met an environment problem: stop */
	bool any_failed;  /* a run did not complete */
	bool write_failed; /* the output directory could not be written */
};

/* Cases x repeats, shuffled by the experiment's seed (Fisher-Yates). */
static size_t *shuffled_order(const struct tb_config *c, size_t n_runs)
{
	size_t *order = xcalloc(n_runs + 1, sizeof(size_t));
	uint64_t seed = c->exp.seed;

	for (size_t i = 0; i < n_runs; i++)
		order[i] = i;
	for (size_t i = n_runs; i > 1; i--) {
		size_t j = (size_t)(mix(&seed) % i), t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	return order;
}

/* SIGINT/SIGTERM/SIGHUP end the experiment after tearing down; SIGCHLD
 * wakes the run loop when a client exits. All read from one signalfd. */
static int open_signals(sigset_t *mask)
{
	int fd;

	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		sigprocmask(SIG_UNBLOCK, mask, NULL);
	}
	return fd;
}

/* runs/cK-rR/run.json from what run_one() returned, and its row in the
 * manifest, written again at once. */
static void record_run(struct experiment *x, size_t i, const char *rdir, json_t *info)
{
	size_t k = x->order[i] / x->c->exp.repeat;
	unsigned r = (unsigned)(x->order[i] % x->c->exp.repeat);
	json_t *params = json_object();
	char path[PATH_MAX + 64], buf[256];
	int rc;

	case_params(x->c, k, buf, sizeof(buf), params);
	json_object_set_new(info, "case", json_integer((json_int_t)k));
	json_object_set_new(info, "repeat", json_integer(r));
	json_object_set_new(info, "order", json_integer((json_int_t)i));
	json_object_set_new(info, "params", params);
	snprintf(path, sizeof(path), "%s/run.json", rdir);
	rc = tb_json_write(info, path, JSON_INDENT(1));
	if (rc) {
		tb_err("run: cannot write %s: %s", path, strerror(-rc));
		x->write_failed = true;
	}
	json_array_append_new(json_object_get(x->manifest, "runs"),
			      json_pack("{ss+ sI sI sI ss}", "dir", "runs/", strrchr(rdir, '/') + 1,
					"case", (json_int_t)k, "repeat", (json_int_t)r, "order",
					(json_int_t)i, "status",
					json_string_value(json_object_get(info, "status"))));
	if (run_write_manifest(x->manifest, x->dir))
		x->write_failed = true;
}

/* Run @i of the shuffled order. */
static void one_run(struct experiment *x, size_t i)
{
	const struct tb_config *c = x->c;
	size_t k = x->order[i] / c->exp.repeat;
	unsigned r = (unsigned)(x->order[i] % c->exp.repeat);
	struct run_progress pr = { x->n_done + 1, x->n_mine, k + 1, x->n_cases, r + 1, c->exp.repeat,
				   x->done_s, x->total_s, "" };
	struct tb_diag d = { 0 };
	struct tb_config *ck = config_case(c, k, &d);
	char rdir[PATH_MAX + 32];
	json_t *info = NULL;

	if (!ck) { /* check made every case; a failure here is a bug */
		diag_print(&d, stderr);
		diag_free(&d);
		x->any_failed = x->env = true;
		return;
	}
	case_params(c, k, pr.params, sizeof(pr.params), NULL);
	snprintf(rdir, sizeof(rdir), "%s/runs/c%zu-r%u", x->dir, k + 1, r + 1);
	if (run_one(ck, rdir, &x->ro, &pr, &x->signo, &x->env, &info) != RUN_COMPLETE)
		x->any_failed = true;
	config_free(ck);
	x->done_s += c->exp.duration_us / 1e6;
	x->n_done++;
	record_run(x, i, rdir, info);
	json_decref(info);
}

/* The end: the manifest says whether the experiment completed, the report
 * judges the expectations, and the exit code says what happened. */
static int finish(struct experiment *x)
{
	struct report_outcome o = { 0 };
	bool complete = !x->signo && !x->env && !x->write_failed;

	json_object_set_new(x->manifest, "complete", json_boolean(complete));
	if (x->signo)
		json_object_set_new(x->manifest, "interrupted", json_string(strsignal(x->signo)));
	if (run_write_manifest(x->manifest, x->dir))
		x->write_failed = true;
	/* on a full disk the one message said it; `testbed report` works later */
	if (!x->write_failed && report_write(x->c, x->dir, &o) < 0)
		x->write_failed = true;
	if (x->signo) {
		tb_err("run: interrupted by %s; the network is torn down and %s is marked incomplete",
		       strsignal(x->signo), x->dir);
		report_outcome_free(&o);
		return 128 + x->signo;
	}
	if (!vm_in_guest()) /* the host's clock check is added once the guest is gone */
		report_stall_warn(&o);
	if (x->shard && o.n_failed) /* judged over every shard's runs by the merge */
		tb_warn("shard %u/%u: %zu of %zu expectations not held over its %zu runs alone; "
			"testbed merge judges them over every shard's",
			x->shard->k, x->shard->n, o.n_failed, o.n_expect, x->n_mine);
	for (size_t i = 0; !x->shard && i < o.n_failed; i++)
		tb_err("expectation not held: %s", o.failed[i]);
	if (o.n_failed && !x->shard)
		x->any_failed = true;
	report_outcome_free(&o);
	if (x->env || x->write_failed)
		return TB_EXIT_ENV;
	return x->any_failed ? TB_EXIT_FAIL : TB_EXIT_OK;
}

/* DIR/tls/cert.pem and key.pem, made once for every run of the experiment
 * when a process takes {tls_cert} or {tls_key} (kept in the run directory,
 * so that a capture can be checked against them); @tls: that directory. */
static void make_tls(struct experiment *x, char *tls, size_t len)
{
	char cert[PATH_MAX + 32], key[PATH_MAX + 32], err[256] = "";

	if (!config_uses_subst(x->c, TB_SUBST_TLS_CERT) &&
	    !config_uses_subst(x->c, TB_SUBST_TLS_KEY))
		return;
	snprintf(tls, len, "%s/tls", x->dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", tls);
	snprintf(key, sizeof(key), "%s/key.pem", tls);
	if (mkdir(tls, 0755) < 0 && errno != EEXIST)
		snprintf(err, sizeof(err), "%s", strerror(errno));
	else if (tb_tls_cert_make(cert, key, err, sizeof(err)) == 0)
		*err = 0;
	if (*err) {
		tb_err("run: the TLS certificate in %s: %s", tls, err);
		x->env = true;
		return;
	}
	x->ro.tls_dir = tls;
	json_object_set_new(x->manifest, "tls",
			    json_pack("{ssss}", "cert", "tls/cert.pem", "key", "tls/key.pem"));
}

/* The runs of this shard, in the shuffled order, while nothing stops them. */
static void run_all(struct experiment *x)
{
	for (size_t i = 0; i < x->n_runs && !x->signo && !x->env && !x->write_failed; i++) {
		if (!shard_holds(x->shard, i))
			continue;
		one_run(x, i);
		if (x->n_done < x->n_mine && room_for_a_run(x->dir))
			x->write_failed = true;
	}
}

/* The manifest of @x before its first run: with its shard's runs, if one. */
static void start_manifest(struct experiment *x)
{
	x->manifest = run_manifest_new(x->c);
	if (x->shard && !x->n_mine)
		tb_warn("run: shard %u/%u holds no run: the experiment has %zu", x->shard->k,
			x->shard->n, x->n_runs);
	if (x->shard)
		json_object_set_new(x->manifest, "shard",
				    shard_json(x->shard, x->order, x->n_runs, x->c->exp.repeat));
	x->write_failed = run_write_manifest(x->manifest, x->dir) || room_for_a_run(x->dir);
}

int run_host(const struct tb_config *c, const char *dir, const struct run_shard *shard,
	     bool quiet)
{
	struct experiment x = { .c = c, .dir = dir, .ro = { .quiet = quiet, .tier = "host" },
				.shard = shard && shard->n ? shard : NULL };
	char workers[PATH_MAX], tls[PATH_MAX + 8];
	sigset_t mask;
	int rc;

	x.ro.sigfd = open_signals(&mask);
	if (x.ro.sigfd < 0) {
		tb_err("run: signalfd: %s", strerror(-x.ro.sigfd));
		return TB_EXIT_ENV;
	}
	self_dir(workers, sizeof(workers));
	strncat(workers, "/workers", sizeof(workers) - strlen(workers) - 1);
	x.ro.workers = workers;
	x.n_cases = config_n_cases(c);
	x.n_runs = x.n_cases * c->exp.repeat;
	for (size_t i = 0; i < x.n_runs; i++)
		x.n_mine += shard_holds(x.shard, i);
	x.total_s = (double)x.n_mine * c->exp.duration_us / 1e6;
	x.order = shuffled_order(c, x.n_runs);
	start_manifest(&x);
	make_tls(&x, tls, sizeof(tls));
	run_all(&x);
	rc = finish(&x);
	json_decref(x.manifest);
	free(x.order);
	close(x.ro.sigfd);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	return rc;
}
