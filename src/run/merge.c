/* testbed merge: shard directories of one experiment (shard.h) combined
 * into one run directory laid out as an unsharded run's: every shard's
 * runs/ copied, and one manifest that lists every run. The checks come
 * first and nothing is written unless they pass. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"
#include "shard.h"
#include "util/jsonfile.h"
#include "util/util.h"

struct merge {
	char *const *dirs;
	size_t n;
	json_t **m;          /* each directory's manifest */
	size_t n_cases, repeat, n_runs;
	int *owner;          /* per run (case * repeat + repeat): the directory, -1: none */
	json_t **row;        /* ... and its row of that manifest */
	struct merge_result *res;
};

static const char *str_at(const json_t *m, const char *a, const char *b)
{
	const json_t *v = json_object_get(m, a);

	return json_string_value(b ? json_object_get(v, b) : v) ?: "?";
}

/* Every manifest read: -ENOENT (or the like) naming the directory. */
static int load_manifests(struct merge *g)
{
	for (size_t i = 0; i < g->n; i++) {
		char *p = xasprintf("%s/manifest.json", g->dirs[i]);
		json_error_t je;

		g->m[i] = json_load_file(p, 0, &je);
		free(p);
		if (!g->m[i] || !json_is_object(g->m[i])) {
			g->res->why = xasprintf("%s: no readable manifest.json (%s): not a run "
						"directory",
						g->dirs[i], je.text);
			return -ENOENT;
		}
	}
	return 0;
}

/* Shard @i against the first: testbed version, seed, fingerprint; each
 * refusal with its own message. */
static int same_experiment(struct merge *g, size_t i)
{
	const json_t *a = g->m[0], *b = g->m[i];
	const char *da = g->dirs[0], *db = g->dirs[i];
	long long sa = json_integer_value(json_object_get(a, "seed"));
	long long sb = json_integer_value(json_object_get(b, "seed"));

	if (strcmp(str_at(a, "tools", "testbed"), str_at(b, "tools", "testbed")))
		g->res->why = xasprintf("%s and %s were run by different testbed versions (%s and "
					"%s): run every shard with one version",
					da, db, str_at(a, "tools", "testbed"),
					str_at(b, "tools", "testbed"));
	else if (sa != sb)
		g->res->why = xasprintf("%s and %s were run with different seeds (%lld and %lld): "
					"the shards of one experiment share its seed",
					da, db, sa, sb);
	else if (!json_object_get(a, "fingerprint") || !json_object_get(b, "fingerprint"))
		g->res->why = xasprintf("%s records no fingerprint (a run of a testbed before "
					"shards): it cannot be merged",
					json_object_get(a, "fingerprint") ? db : da);
	else if (strcmp(str_at(a, "fingerprint", NULL), str_at(b, "fingerprint", NULL)))
		g->res->why = xasprintf("%s and %s are runs of different experiments (%s of %s, "
					"%s of %s): merge shards of one file run with the same "
					"--duration and --repeat",
					da, db, str_at(a, "fingerprint", NULL),
					str_at(a, "experiment", NULL), str_at(b, "fingerprint", NULL),
					str_at(b, "experiment", NULL));
	return g->res->why ? -EINVAL : 0;
}

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Runs held twice: the first pair of directories that share runs, those
 * runs, and how many more runs other pairs share. */
struct overlap {
	int a, b;
	char *names;
	size_t more;
};

static void overlap_add(struct overlap *o, int a, int b, long long k, long long rep)
{
	char *l;

	if (o->names && (o->a != a || o->b != b)) {
		o->more++;
		return;
	}
	l = xasprintf("%s%sc%lld-r%lld", o->names ?: "", o->names ? ", " : "", k + 1, rep + 1);
	free(o->names);
	o->names = l;
	o->a = a;
	o->b = b;
}

/* The runs directory @i holds: its manifest's rows whose directory is
 * there; a run another directory holds too goes to @ov. */
static int take_runs(struct merge *g, size_t i, struct overlap *ov)
{
	size_t j;
	json_t *r;

	json_array_foreach(json_object_get(g->m[i], "runs"), j, r) {
		json_int_t k = json_integer_value(json_object_get(r, "case"));
		json_int_t rep = json_integer_value(json_object_get(r, "repeat"));
		char *p = xasprintf("%s/%s", g->dirs[i], str_at(r, "dir", NULL));
		bool there = is_dir(p);
		size_t x = (size_t)k * g->repeat + (size_t)rep;

		free(p);
		if (k < 0 || rep < 0 || (size_t)k >= g->n_cases || (size_t)rep >= g->repeat) {
			g->res->why = xasprintf("%s: %s is not a run of the experiment's %zu",
						g->dirs[i], str_at(r, "dir", NULL), g->n_runs);
			return -EINVAL;
		}
		if (!there)
			continue;
		if (g->owner[x] >= 0)
			overlap_add(ov, g->owner[x], (int)i, k, rep);
		g->owner[x] = (int)i;
		g->row[x] = r;
	}
	return 0;
}

/* The runs in no directory, "c2-r1, c3-r2", counted in @n. */
static char *missing_runs(const struct merge *g, size_t *n)
{
	char *list = xstrdup("");

	*n = 0;
	for (size_t x = 0; x < g->n_runs; x++) {
		char *l;

		if (g->owner[x] >= 0)
			continue;
		l = xasprintf("%s%sc%zu-r%zu", list, (*n)++ ? ", " : "", x / g->repeat + 1,
			      x % g->repeat + 1);
		free(list);
		list = l;
	}
	return list;
}

/* Every run's directory, or the refusals: overlaps, then (unless
 * @partial) runs in no shard, named. */
static int cover(struct merge *g, bool partial)
{
	struct overlap ov = { 0 };
	size_t n_missing = 0, n_ov;
	char *list = NULL;
	int rc = 0;

	for (size_t i = 0; i < g->n && !rc; i++)
		rc = take_runs(g, i, &ov);
	n_ov = ov.names ? 1 + (size_t)!!strchr(ov.names, ',') : 0;
	if (!rc && ov.names) {
		g->res->why = xasprintf("run%s %s %s in both %s and %s (the same shard twice?)%s",
					n_ov > 1 ? "s" : "", ov.names, n_ov > 1 ? "are" : "is",
					g->dirs[ov.a], g->dirs[ov.b],
					ov.more ? "; other directories share runs too" : "");
		rc = -EINVAL;
	}
	if (!rc)
		list = missing_runs(g, &n_missing);
	if (!rc && n_missing && !partial) {
		g->res->why = xasprintf("run%s %s of %zu %s in no shard (give every shard, or "
					"--partial to merge what there is)",
					n_missing > 1 ? "s" : "", list, g->n_runs,
					n_missing > 1 ? "are" : "is");
		rc = -EINVAL;
	} else if (!rc && n_missing) {
		g->res->missing = list;
		list = NULL;
	}
	free(ov.names);
	free(list);
	return rc;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out, rc = 0;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while (!rc && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 || write(out, buf, (size_t)n) != n)
			rc = n < 0 || errno ? -errno : -EIO;
	}
	if (close(out) < 0 && !rc)
		rc = -errno;
	close(in);
	return rc;
}

/* @from copied into @to (created): directories, files and symbolic links. */
static int copy_tree(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -errno;
	if (mkdir(to, 0755) < 0)
		rc = -errno;
	while (!rc && (e = readdir(d))) {
		char *f = xasprintf("%s/%s", from, e->d_name), *t = xasprintf("%s/%s", to, e->d_name);
		char link[PATH_MAX];
		struct stat st;
		ssize_t n;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			;
		else if (lstat(f, &st) < 0)
			rc = -errno;
		else if (S_ISDIR(st.st_mode))
			rc = copy_tree(f, t);
		else if (S_ISREG(st.st_mode))
			rc = copy_file(f, t, st.st_mode);
		else if (S_ISLNK(st.st_mode) && (n = readlink(f, link, sizeof(link) - 1)) >= 0)
			rc = symlink((link[n] = 0, link), t) < 0 ? -errno : 0;
		free(f);
		free(t);
	}
	closedir(d);
	return rc;
}

/* Each run's directory into @out/runs. */
static int copy_runs(struct merge *g, const char *out)
{
	int rc = 0;

	for (size_t x = 0; x < g->n_runs && !rc; x++) {
		const char *dir = str_at(g->row[x], "dir", NULL);
		char *from, *to;

		if (g->owner[x] < 0)
			continue;
		from = xasprintf("%s/%s", g->dirs[g->owner[x]], dir);
		to = xasprintf("%s/%s", out, dir);
		rc = copy_tree(from, to);
		if (rc)
			g->res->why = xasprintf("copying %s to %s: %s", from, to, strerror(-rc));
		else
			g->res->n_merged++;
		free(from);
		free(to);
	}
	return rc;
}

static int by_order(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "order"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "order"));

	return (x > y) - (x < y);
}

/* The manifest's runs: every run held, in the shuffled order, then those in
 * no shard (--partial) as missing. */
static json_t *merged_runs(const struct merge *g)
{
	json_t **rows = xcalloc(g->n_runs + 1, sizeof(*rows)), *a = json_array();
	size_t n = 0;

	for (size_t x = 0; x < g->n_runs; x++)
		if (g->owner[x] >= 0)
			rows[n++] = g->row[x];
	qsort(rows, n, sizeof(*rows), by_order);
	for (size_t i = 0; i < n; i++)
		json_array_append(a, rows[i]);
	for (size_t x = 0; x < g->n_runs; x++) {
		char dir[64];

		if (g->owner[x] >= 0)
			continue;
		snprintf(dir, sizeof(dir), "runs/c%zu-r%zu", x / g->repeat + 1, x % g->repeat + 1);
		json_array_append_new(a, json_pack("{ss sI sI ss}", "dir", dir, "case",
						   (json_int_t)(x / g->repeat), "repeat",
						   (json_int_t)(x % g->repeat), "status", "missing"));
	}
	free(rows);
	return a;
}

/* Whether the runs of input @m all ran: a shard that completed, or a merge
 * whose own inputs did (its runs in no shard are another input's now). */
static bool input_complete(const json_t *m)
{
	const json_t *sh, *mg = json_object_get(m, "merged");
	size_t i;

	if (!mg)
		return json_is_true(json_object_get(m, "complete"));
	json_array_foreach(json_object_get(mg, "shards"), i, sh)
		if (!json_is_true(json_object_get(sh, "complete")))
			return false;
	return true;
}

/* manifest.json "merged": where the runs came from. Whether every shard
 * completed; kernels that differ are noted in res. */
static json_t *merged_from(const struct merge *g, bool *complete)
{
	json_t *shards = json_array(), *o;
	const char *rel0 = str_at(g->m[0], "kernel", "release");

	*complete = !g->res->missing;
	for (size_t i = 0; i < g->n; i++) {
		const json_t *m = g->m[i];
		const char *rel = str_at(m, "kernel", "release");
		size_t held = 0;

		for (size_t x = 0; x < g->n_runs; x++)
			held += g->owner[x] == (int)i;
		*complete &= input_complete(m);
		json_array_append_new(shards, json_pack("{ss sO* sI sO* sO*}", "dir", g->dirs[i],
							"shard", json_object_get(m, "shard"),
							"runs", (json_int_t)held, "complete",
							json_object_get(m, "complete"), "kernel",
							json_object_get(m, "kernel")));
		if (strcmp(rel, rel0) && !g->res->kernels)
			g->res->kernels = xasprintf("%s (%s), %s (%s)", rel0, g->dirs[0], rel,
						    g->dirs[i]);
	}
	o = json_pack("{so sb}", "shards", shards, "partial", g->res->missing != NULL);
	if (g->res->missing)
		json_object_set_new(o, "missing", json_string(g->res->missing));
	return o;
}

/* The first manifest made the whole experiment's: every run, where they
 * came from, whether it completed. */
static int write_manifest(const struct merge *g, const char *out)
{
	json_t *m = json_deep_copy(g->m[0]);
	char *path;
	bool complete;
	int rc;

	json_object_del(m, "shard");
	json_object_del(m, "interrupted");
	json_object_del(m, "tls"); /* each shard made its own pair; runs/ is what is copied */
	json_object_set_new(m, "runs", merged_runs(g));
	json_object_set_new(m, "merged", merged_from(g, &complete));
	json_object_set_new(m, "complete", json_boolean(complete));
	for (size_t i = 0; i < g->n; i++)
		if (json_object_get(g->m[i], "interrupted") && !json_object_get(m, "interrupted"))
			json_object_set(m, "interrupted", json_object_get(g->m[i], "interrupted"));
	path = xasprintf("%s/manifest.json", out);
	rc = tb_json_write(m, path, JSON_INDENT(1));
	if (rc)
		g->res->why = xasprintf("cannot write %s: %s", path, strerror(-rc));
	free(path);
	json_decref(m);
	return rc;
}

/* The output directory and its runs/, new. */
static int take_out(struct merge *g, const char *out)
{
	char *runs = xasprintf("%s/runs", out);
	int rc = run_out_free(out);

	if (rc == -ENOTEMPTY || rc == -ENOTDIR)
		g->res->why = xasprintf("--out %s: %s: give a new directory", out,
					rc == -ENOTEMPTY ? "not empty" : strerror(-rc));
	else if ((mkdir(out, 0755) < 0 && errno != EEXIST) || mkdir(runs, 0755) < 0)
		rc = -errno;
	if (rc && !g->res->why)
		g->res->why = xasprintf("cannot create %s: %s", runs, strerror(-rc));
	free(runs);
	return rc;
}

/* The checks, in the order their messages are most useful. */
static int check_all(struct merge *g, bool partial)
{
	int rc = load_manifests(g);

	for (size_t i = 1; i < g->n && !rc; i++)
		rc = same_experiment(g, i);
	if (rc)
		return rc;
	g->n_cases = json_array_size(json_object_get(g->m[0], "cases"));
	g->repeat = (size_t)json_integer_value(json_object_get(g->m[0], "repeat"));
	g->n_runs = g->n_cases * g->repeat;
	g->res->n_runs = g->n_runs;
	if (!g->n_runs) {
		g->res->why = xasprintf("%s: its manifest lists no case", g->dirs[0]);
		return -EINVAL;
	}
	g->owner = xcalloc(g->n_runs, sizeof(*g->owner));
	g->row = xcalloc(g->n_runs, sizeof(*g->row));
	for (size_t x = 0; x < g->n_runs; x++)
		g->owner[x] = -1;
	return cover(g, partial);
}

int merge_dirs(char *const *dirs, size_t n, const char *out, bool partial,
	       struct merge_result *res)
{
	struct merge g = { .dirs = dirs, .n = n, .m = xcalloc(n + 1, sizeof(json_t *)), .res = res };
	int rc;

	memset(res, 0, sizeof(*res));
	rc = check_all(&g, partial);
	if (!rc)
		rc = take_out(&g, out);
	if (!rc)
		rc = copy_runs(&g, out);
	if (!rc)
		rc = write_manifest(&g, out);
	for (size_t i = 0; i < n; i++)
		json_decref(g.m[i]);
	free(g.m);
	free(g.owner);
	free(g.row);
	return rc;
}

void merge_result_free(struct merge_result *res)
{
	if (!res)
		return;
	free(res->why);
	free(res->missing);
	free(res->kernels);
	memset(res, 0, sizeof(*res));
}
