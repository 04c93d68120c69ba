/* Loading a run output directory: manifest.json, then per run its run.json,
 * worker results, counters and sampler CSVs. Nothing here is fatal except an
 * unreadable output directory: a missing file becomes a missing metric with
 * its reason, reported against the expectation that needed it. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "report_int.h"
#include "obs/sampler.h"
#include "util/util.h"

char *rp_path(const struct report *rp, const char *fmt, ...)
{
	va_list ap;
	char *rel, *p;

	va_start(ap, fmt);
	if (vasprintf(&rel, fmt, ap) < 0)
		abort();
	va_end(ap);
	p = xasprintf("%s/%s", rp->outdir, rel);
	free(rel);
	return p;
}

/* A JSON object file, or NULL; a broken one is warned about when @warn (a
 * run cut short leaves its workers' files half-written: no news). */
static json_t *load_json_if(const char *path, bool warn)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);

	if (!j && warn && access(path, F_OK) == 0)
		tb_warn("%s:%d: %s (ignored)", path, je.line, je.text);
	if (j && !json_is_object(j)) {
		if (warn)
			tb_warn("%s: not a JSON object (ignored)", path);
		json_decref(j);
		j = NULL;
	}
	return j;
}

static json_t *load_json(const char *path)
{
	return load_json_if(path, true);
}

size_t rp_case_index(const struct tb_config *c, const int *idx)
{
	size_t k = 0;

	for (size_t i = 0; i < c->n_sweeps; i++)
		k = k * c->sweeps[i].n_values + (size_t)idx[i];
	return k;
}

const struct tb_config *rp_case_cfg(const struct report *rp, size_t k)
{
	return rp->cases[k].cfg ? rp->cases[k].cfg : rp->c;
}

const struct rp_run *rp_first_run(const struct report *rp, size_t k)
{
	const struct rp_case *cs = &rp->cases[k];

	for (size_t i = 0; i < cs->n_runs; i++)
		if (rp->runs[cs->runs[i]].usable)
			return &rp->runs[cs->runs[i]];
	return NULL;
}

size_t rp_split_csv(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = 0;
	while (n < max) {
		f[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = 0;
	}
	return n;
}


/* Of each of the @nh columns of a states.csv header @hdr, the state it
 * counts (an index in metric_states), or -1. */
static void state_columns(char **hdr, size_t nh, int *col_state)
{
	for (size_t i = 0; i < nh; i++) {
		char a[32], b[32];

		col_state[i] = -1;
		rp_state_key(hdr[i], a, sizeof(a));
		for (int s = 0; metric_states[s]; s++) {
			rp_state_key(metric_states[s], b, sizeof(b));
			if (strcmp(a, b) == 0)
				col_state[i] = s;
		}
	}
}

/* Column peaks of <node>-states.csv, keyed in peak() spelling; NULL when it
 * has no row. */
static json_t *load_peaks(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *hdr[CSV_MAX], *row[CSV_MAX], *hline = NULL;
	size_t cap = 0, hcap = 0, nh;
	double peak[CSV_MAX] = { 0 };
	int col_state[CSV_MAX];
	json_t *o = NULL;
	bool rows = false;

	if (!f)
		return NULL;
	if (getline(&hline, &hcap, f) < 0)
		goto out;
	nh = rp_split_csv(hline, hdr, CSV_MAX);
	state_columns(hdr, nh, col_state);
	while (getline(&line, &cap, f) >= 0) {
		size_t n = rp_split_csv(line, row, CSV_MAX);

		for (size_t i = 0; i < n && i < nh; i++) {
			char *end;
			double v = strtod(row[i], &end);

			if (col_state[i] >= 0 && end != row[i] && v > peak[i])
				peak[i] = v;
		}
		rows = true;
	}
	if (rows)
		o = json_object();
	for (size_t i = 0; o && i < nh; i++)
		if (col_state[i] >= 0)
			json_object_set_new(o, metric_states[col_state[i]], json_real(peak[i]));
out:
	free(line);
	free(hline);
	fclose(f);
	return o;
}

/* Last total_retrans per socket, keyed by (flow, cookie): open addressing,
 * since a connection-per-request flow leaves tens of thousands of sockets. */
struct sock_last {
	char key[40];     /* cookie; "" : empty slot */
	int flow;
	double v;
};

struct sock_map {
	struct sock_last *s;
	size_t n, cap;    /* cap: a power of two */
};

static uint64_t fnv(const char *s, int flow)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)flow;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct sock_last *map_slot(struct sock_map *m, const char *key, int flow)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct sock_map g = { xcalloc(m->cap ? m->cap * 2 : 64, sizeof(*g.s)), 0,
				      m->cap ? m->cap * 2 : 64 };

		for (size_t j = 0; j < m->cap; j++)
			if (m->s[j].key[0]) {
				struct sock_last *d = map_slot(&g, m->s[j].key, m->s[j].flow);

				*d = m->s[j];
			}
		free(m->s);
		*m = g;
	}
	for (i = fnv(key, flow) & (m->cap - 1); m->s[i].key[0]; i = (i + 1) & (m->cap - 1))
		if (m->s[i].flow == flow && !strcmp(m->s[i].key, key))
			return &m->s[i];
	snprintf(m->s[i].key, sizeof(m->s[i].key), "%s", key);
	m->s[i].flow = flow;
	m->n++;
	return &m->s[i];
}

/* The columns flow, cookie and total_retrans of a tcp.csv header; false when one is missing. */
static bool retrans_columns(char **hdr, size_t nh, int *c_flow, int *c_cookie, int *c_retr)
{
	for (size_t i = 0; i < nh; i++) {
		if (!strcmp(hdr[i], "flow"))
			*c_flow = (int)i;
		else if (!strcmp(hdr[i], "cookie"))
			*c_cookie = (int)i;
		else if (!strcmp(hdr[i], "total_retrans"))
			*c_retr = (int)i;
	}
	return *c_flow >= 0 && *c_cookie >= 0 && *c_retr >= 0;
}

/* Each socket's last total_retrans of @m added to its flow's sum in @out (NaN: 0 so far). */
static void sum_retrans(const struct sock_map *m, double *out)
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->s[i].key[0])
			continue;
		if (isnan(out[m->s[i].flow]))
			out[m->s[i].flow] = 0;
		out[m->s[i].flow] += m->s[i].v;
	}
}

/* Per flow of @c whose client is on @node: the sum over its sockets (by
 * cookie) of the last total_retrans seen in <node>-tcp.csv. */
static void load_retrans(const struct tb_config *c, int node, const char *path, double *out)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *hdr[CSV_MAX], *row[CSV_MAX], *hline = NULL;
	size_t cap = 0, hcap = 0, nh;
	int c_flow = -1, c_cookie = -1, c_retr = -1;
	struct sock_map m = { 0 };

	if (!f)
		return;
	if (getline(&hline, &hcap, f) < 0)
		goto out;
	nh = rp_split_csv(hline, hdr, CSV_MAX);
	if (!retrans_columns(hdr, nh, &c_flow, &c_cookie, &c_retr))
		goto out;
	while (getline(&line, &cap, f) >= 0) {
		size_t n = rp_split_csv(line, row, CSV_MAX);
		char *end;
		double v;
		int fl;

		if (n <= (size_t)c_flow || n <= (size_t)c_cookie || n <= (size_t)c_retr ||
		    !row[c_cookie][0])
			continue;
		v = strtod(row[c_retr], &end);
		if (end == row[c_retr])
			continue; /* no tcp_info (TIME-WAIT, request sockets) */
		fl = config_flow(c, row[c_flow]);
		if (fl < 0 || c->flows[fl].from != node)
			continue;
		map_slot(&m, row[c_cookie], fl)->v = v;
	}
	sum_retrans(&m, out);
out:
	free(m.s);
	free(line);
	free(hline);
	fclose(f);
}

static double num_or_nan(json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* run.json "load": the measured time's wall clock and CPU use. */
static void load_run_load(struct rp_run *r, json_t *l)
{
	r->in_guest = !strcmp(json_string_value(json_object_get(l, "cpu_of")) ?: "", "guest");
	r->start_unix = num_or_nan(json_object_get(l, "start_unix"));
	r->end_unix = num_or_nan(json_object_get(l, "end_unix"));
	r->cpu_busy = num_or_nan(json_object_get(l, "cpu_busy_pct"));
	r->cpu_busiest = num_or_nan(json_object_get(l, "cpu_busiest_pct"));
}

/* The host's clock check during run @r's measured time: its latest listed
 * wake-up (those under CLOCKWATCH_LIST_MS are not listed: 0 then). */
static void host_clock_in(const struct report *rp, struct rp_run *r)
{
	json_t *late = json_object_get(rp->host_clock, "late"), *e;
	size_t i;

	r->host_late_ms = NAN;
	r->host_stalls = 0;
	r->host_cpu_busiest = NAN;
	if (!rp->host_clock || isnan(r->start_unix) || isnan(r->end_unix))
		return;
	json_array_foreach(json_object_get(rp->host_clock, "cpu_busy"), i, e) {
		double at = num_or_nan(json_array_get(e, 0)), pct = num_or_nan(json_array_get(e, 1));

		/* the seconds inside the measured time (stamped at their end) */
		if (at - 1.0 < r->start_unix - 0.2 || at > r->end_unix + 0.2 || isnan(pct))
			continue;
		if (isnan(r->host_cpu_busiest) || pct > r->host_cpu_busiest)
			r->host_cpu_busiest = pct;
	}
	r->host_late_ms = 0;
	json_array_foreach(late, i, e) {
		double at = num_or_nan(json_array_get(e, 0)), ms = num_or_nan(json_array_get(e, 1));

		/* a stall that began before the start and ran into it counts */
		if (at > r->end_unix || at + ms / 1e3 < r->start_unix)
			continue;
		if (ms > r->host_late_ms)
			r->host_late_ms = ms;
		r->host_stalls += ms > SAMPLER_STALL_NS / 1e6;
	}
}

/* Who stalled in run @r (see struct rp_run). */
static void attribute_stalls(const struct report *rp, struct rp_run *r)
{
	r->guest_late_ms = NAN;
	r->guest_stalls = 0;
	r->host_cpu_busiest = NAN;
	if (!r->in_guest) {
		r->host_late_ms = r->late_max_ms;
		r->host_stalls = r->stalls;
		return;
	}
	host_clock_in(rp, r);
	r->guest_late_ms = r->late_max_ms;
	/* a guest late while its host stalled was late because of the host */
	r->guest_stalls = r->host_stalls > 0 ? 0 : r->stalls;
}

static void max_of(double *m, double v)
{
	if (!isnan(v) && (isnan(*m) || v > *m))
		*m = v;
}

static void count_stall(struct rp_stalls *s, double late_ms, long stalls, double cpu_busiest,
			double host_cpu_busiest)
{
	if (isnan(late_ms))
		return;
	s->n_measured++;
	if (stalls > 0 && !s->n_stalled++) /* from now on, of the stalled runs only */
		s->cpu_busiest = s->host_cpu_busiest = NAN;
	max_of(&s->worst_ms, late_ms);
	if (stalls > 0 || !s->n_stalled) {
		max_of(&s->cpu_busiest, cpu_busiest);
		max_of(&s->host_cpu_busiest, host_cpu_busiest);
	}
}

/* Run @r's status, and its error, from its run.json @rj (NULL: absent) or
 * from its directory's absence. */
static void load_status(const struct report *rp, struct rp_run *r, json_t *rj)
{
	char *p = rp_path(rp, "%s", r->dir);
	struct stat sb;

	if (stat(p, &sb) < 0) {
		snprintf(r->status, sizeof(r->status), "missing");
		r->error = xasprintf("%s: %s", r->dir, strerror(errno));
	} else if (!rj) {
		snprintf(r->status, sizeof(r->status), "incomplete");
		r->error = xasprintf("%s/run.json absent: the run did not finish", r->dir);
	} else {
		const char *st = json_string_value(json_object_get(rj, "status"));
		const char *er = json_string_value(json_object_get(rj, "error"));

		snprintf(r->status, sizeof(r->status), "%s", st ? st : "incomplete");
		if (er && *er)
			r->error = xstrdup(er);
	}
	free(p);
}

/* run.json "sampler": the latest wake-up over the nodes, and the most stalls
 * of one node. */
static void run_sampler(struct rp_run *r, json_t *sampler)
{
	const char *node;
	json_t *v;

	r->late_max_ms = NAN;
	json_object_foreach(sampler, node, v) {
		json_t *l = json_object_get(v, "late_max_ms");
		long n = (long)json_integer_value(json_object_get(v, "stalls"));

		if (json_is_number(l) && (isnan(r->late_max_ms) || json_number_value(l) > r->late_max_ms))
			r->late_max_ms = json_number_value(l);
		if (n > r->stalls)
			r->stalls = n;
	}
}

/* Run @r's files: per flow its client's and server's results, per node its
 * counters, socket state peaks and the retransmissions of the flows it is
 * the client of. A broken file is warned about in a complete run only. */
static void load_run_files(const struct report *rp, struct rp_run *r)
{
	const struct tb_config *c = rp->c;
	char *p;

	r->client = xcalloc(c->n_flows, sizeof(*r->client));
	r->server = xcalloc(c->n_flows, sizeof(*r->server));
	r->retrans_csv = xcalloc(c->n_flows, sizeof(*r->retrans_csv));
	r->counters = xcalloc(c->n_nodes, sizeof(*r->counters));
	r->peaks = xcalloc(c->n_nodes, sizeof(*r->peaks));
	for (size_t f = 0; f < c->n_flows; f++) {
		r->retrans_csv[f] = NAN;
		p = rp_path(rp, "%s/flows/%s.json", r->dir, c->flows[f].name);
		r->client[f] = load_json_if(p, r->usable);
		free(p);
		p = rp_path(rp, "%s/flows/%s.server.json", r->dir, c->flows[f].name);
		r->server[f] = load_json_if(p, r->usable);
		free(p);
	}
	for (size_t n = 0; n < c->n_nodes; n++) {
		p = rp_path(rp, "%s/counters/%s.json", r->dir, c->nodes[n].name);
		r->counters[n] = load_json_if(p, r->usable);
		free(p);
		p = rp_path(rp, "%s/sockets/%s-states.csv", r->dir, c->nodes[n].name);
		r->peaks[n] = load_peaks(p);
		free(p);
		p = rp_path(rp, "%s/sockets/%s-tcp.csv", r->dir, c->nodes[n].name);
		load_retrans(c, (int)n, p, r->retrans_csv);
		free(p);
	}
	rp_load_processes(rp, r);
	rp_load_udp(rp, r);
}

/* Run @r: its run.json, then its files. */
static void load_run(const struct report *rp, struct rp_run *r)
{
	char *p = rp_path(rp, "%s/run.json", r->dir);
	json_t *rj = load_json(p);

	free(p);
	load_status(rp, r, rj);
	load_run_load(r, json_object_get(rj, "load"));
	run_sampler(r, json_object_get(rj, "sampler"));
	rp_udp_diag(r, json_object_get(rj, "sampler"));
	json_decref(rj);
	r->usable = !strcmp(r->status, "complete");
	load_run_files(rp, r);
}

static struct rp_run *add_run(struct report *rp, const char *dir, int k, int rep, int order)
{
	struct rp_run *r;

	rp->runs = tb_grow(rp->runs, &rp->cap_runs, rp->n_runs, sizeof(*rp->runs));
	r = &rp->runs[rp->n_runs++];
	memset(r, 0, sizeof(*r));
	r->dir = xstrdup(dir);
	r->kase = k;
	r->repeat = rep;
	r->order = order;
	return r;
}

/* Without a manifest's run list: the runs/c<K>-r<R> directories present. */
static void scan_runs(struct report *rp)
{
	char *p = rp_path(rp, "runs");
	DIR *d = opendir(p);
	struct dirent *de;

	free(p);
	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned k, r;
		char tail;

		if (sscanf(de->d_name, "c%u-r%u%c", &k, &r, &tail) == 2 && k > 0 && r > 0) {
			char *dir = xasprintf("runs/%s", de->d_name);

			add_run(rp, dir, (int)k - 1, (int)r - 1, -1);
			free(dir);
		}
	}
	closedir(d);
}

static int cmp_run(const void *a, const void *b)
{
	const struct rp_run *x = a, *y = b;

	if (x->kase != y->kase)
		return x->kase - y->kase;
	return x->repeat - y->repeat;
}

static void build_cases(struct report *rp)
{
	const struct tb_config *c = rp->c;

	rp->n_cases = config_n_cases(c);
	rp->cases = xcalloc(rp->n_cases, sizeof(*rp->cases));
	for (size_t k = 0; k < rp->n_cases; k++) {
		struct rp_case *cs = &rp->cases[k];
		struct tb_diag d = { 0 };
		char *label = xstrdup("");

		cs->index = k;
		cs->idx = xcalloc(c->n_sweeps ? c->n_sweeps : 1, sizeof(int));
		config_case_values(c, k, cs->idx);
		cs->cfg = config_case(c, k, &d);
		diag_free(&d);
		for (size_t s = 0; s < c->n_sweeps; s++) {
			const struct tb_sweep *sw = &c->sweeps[s];
			const char *v = sw->values[cs->idx[s]];
			char *nl;

			if (!strcmp(sw->key, "case")) {
				nl = xasprintf("%s%s%s", label, *label ? ", " : "", v);
				for (size_t i = 0; i < c->n_casedefs; i++)
					if (!strcmp(c->casedefs[i].name, v))
						cs->note = c->casedefs[i].note;
			} else {
				nl = xasprintf("%s%s%s=%s", label, *label ? ", " : "", sw->short_name, v);
			}
			free(label);
			label = nl;
		}
		if (!*label) {
			free(label);
			label = xstrdup("all");
		}
		cs->label = label;
	}
}

/* The output directory is a directory: 0, or -errno (printed). */
static int check_outdir(const struct report *rp)
{
	struct stat sb;

	if (stat(rp->outdir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		int e = errno ? errno : ENOTDIR;

		tb_err("report: %s: %s", rp->outdir, strerror(e));
		return -e;
	}
	return 0;
}

/* manifest.json, or (with a warning) an empty object. */
static void load_manifest(struct report *rp)
{
	char *p = rp_path(rp, "manifest.json");

	rp->manifest = load_json(p);
	if (!rp->manifest) {
		tb_warn("report: %s absent or unreadable: using the run directories found", p);
		rp->manifest = json_object();
	}
	free(p);
}

/* The runs the manifest lists. */
static void manifest_runs(struct report *rp, json_t *runs)
{
	size_t i;
	json_t *r;

	json_array_foreach(runs, i, r) {
		const char *dir = json_string_value(json_object_get(r, "dir"));
		int k = (int)json_integer_value(json_object_get(r, "case"));
		int rep = (int)json_integer_value(json_object_get(r, "repeat"));
		json_t *o = json_object_get(r, "order");

		if (!dir)
			continue;
		add_run(rp, dir, k, rep, json_is_integer(o) ? (int)json_integer_value(o) : -1);
	}
}

/* The runs: the manifest's list, or the run directories present without
 * one; in the order of their cases and repeats. */
static void list_runs(struct report *rp)
{
	json_t *runs = json_object_get(rp->manifest, "runs");

	if (json_is_array(runs) && json_array_size(runs))
		manifest_runs(rp, runs);
	else
		scan_runs(rp);
	if (rp->n_runs) /* qsort(NULL, 0) is undefined */
		qsort(rp->runs, rp->n_runs, sizeof(*rp->runs), cmp_run);
}

/* host-clock.json of a UML run; NULL when absent. */
static void load_host_clock(struct report *rp)
{
	char *p = rp_path(rp, "host-clock.json");

	rp->host_clock = access(p, F_OK) == 0 ? load_json(p) : NULL;
	free(p);
}

/* Run @r's stalls counted: the host's, and the guest's when its host ran on
 * time. */
static void count_run_stalls(struct report *rp, const struct rp_run *r)
{
	rp->n_guest_runs += r->in_guest;
	count_stall(&rp->stalls, r->host_late_ms, r->host_stalls, r->in_guest ? NAN : r->cpu_busiest,
		    NAN);
	/* a run whose host stalled says nothing of the guest */
	count_stall(&rp->guest, r->host_stalls > 0 ? NAN : r->guest_late_ms, r->guest_stalls,
		    r->cpu_busiest, r->host_cpu_busiest);
}

/* Run @i filed under its case (and counted when usable); a run of no case
 * of the experiment is warned about and not used. */
static void file_run(struct report *rp, size_t i)
{
	struct rp_run *r = &rp->runs[i];
	struct rp_case *cs;

	if (r->kase < 0 || (size_t)r->kase >= rp->n_cases) {
		tb_warn("report: %s: case %d is not a case of %s (ignored)", r->dir, r->kase + 1,
			rp->c->path ? rp->c->path : "the experiment");
		r->usable = false;
		return;
	}
	cs = &rp->cases[r->kase];
	cs->runs = xrealloc(cs->runs, (cs->n_runs + 1) * sizeof(*cs->runs));
	cs->runs[cs->n_runs++] = i;
	if (r->usable) {
		cs->n_usable++;
		rp->n_usable++;
	}
}

int rp_load(struct report *rp)
{
	int rc = check_outdir(rp);

	if (rc)
		return rc;
	load_manifest(rp);
	build_cases(rp);
	list_runs(rp);
	rp->stalls = (struct rp_stalls){ .worst_ms = NAN, .cpu_busiest = NAN,
					 .host_cpu_busiest = NAN };
	rp->guest = rp->stalls;
	load_host_clock(rp);
	for (size_t i = 0; i < rp->n_runs; i++) {
		load_run(rp, &rp->runs[i]);
		attribute_stalls(rp, &rp->runs[i]);
		count_run_stalls(rp, &rp->runs[i]);
		file_run(rp, i);
	}
	return 0;
}

/* What run @r holds. */
static void free_run(const struct report *rp, struct rp_run *r)
{
	for (size_t f = 0; r->client && f < rp->c->n_flows; f++) {
		json_decref(r->client[f]);
		json_decref(r->server[f]);
	}
	for (size_t n = 0; r->counters && n < rp->c->n_nodes; n++) {
		json_decref(r->counters[n]);
		json_decref(r->peaks[n]);
	}
	rp_free_processes(rp, r);
	free(r->client);
	free(r->server);
	free(r->counters);
	free(r->peaks);
	free(r->retrans_csv);
	free(r->udp_drops);
	free(r->udp_rqueue);
	free(r->udp_diag);
	free(r->dir);
	free(r->error);
}

/* The evaluated expectations. */
static void free_expects(struct report *rp)
{
	for (size_t i = 0; i < rp->n_ex; i++) {
		for (size_t j = 0; j < rp->ex[i].n_combos; j++) {
			struct rp_combo *cb = &rp->ex[i].combos[j];

			for (size_t t = 0; t < cb->n_terms; t++)
				free(cb->terms[t].text);
			free(cb->terms);
			free(cb->where);
			json_decref(cb->where_obj);
			free(cb->reason);
		}
		free(rp->ex[i].combos);
		free(rp->ex[i].why_not);
	}
	free(rp->ex);
}

void rp_free(struct report *rp)
{
	if (!rp)
		return;
	for (size_t i = 0; i < rp->n_runs; i++)
		free_run(rp, &rp->runs[i]);
	free(rp->runs);
	json_decref(rp->series);
	for (size_t k = 0; k < rp->n_cases; k++) {
		free(rp->cases[k].idx);
		config_free(rp->cases[k].cfg);
		free(rp->cases[k].label);
		free(rp->cases[k].runs);
	}
	free(rp->cases);
	free_expects(rp);
	for (size_t i = 0; i < rp->n_plots; i++) {
		free(rp->plots[i]);
		free(rp->plot_titles[i]);
	}
	free(rp->plots);
	free(rp->plot_titles);
	free(rp->plot_note);
	json_decref(rp->manifest);
	json_decref(rp->host_clock);
	free(rp->outdir);
}

int rp_write_file(struct report *rp, const char *name, void (*fill)(FILE *f, struct report *rp))
{
	char *path = rp_path(rp, "%s", name), *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int rc = 0;

	if (!f) {
		rc = -errno;
		tb_err("report: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fill(f, rp);
	if (fclose(f) || rename(tmp, path)) {
		rc = -(errno ? errno : EIO);
		tb_err("report: cannot write %s: %s", path, strerror(-rc));
		unlink(tmp);
	}
out:
	free(tmp);
	free(path);
	return rc;
}
