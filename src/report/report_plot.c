/* Plots: data files and one gnuplot script under OUT/plots, rendered to SVG
 * by gnuplot run with fork + exec (no shell). The data and script stay, so a
 * plot can be restyled and re-rendered by hand (`cd plots && gnuplot
 * plots.gp`). Without gnuplot they are still written and the report says
 * the plots are missing. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report_int.h"
#include "util/util.h"

#define GNUPLOT_DEFAULT "/usr/bin/gnuplot"
#define GNUPLOT_TIMEOUT_S 60
#define CWND_MAX_SOCKETS 8
#define TCP_PLOT_CASES 8

struct pctx {
	struct report *rp;
	char *dir;  /* OUT/plots */
	FILE *gp;   /* plots.gp */
	char **pending, **pending_titles;
	size_t n_pending;
};

static void gp_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static FILE *data_open(struct pctx *x, const char *name)
{
	char *p = xasprintf("%s/%s", x->dir, name);
	FILE *f = fopen(p, "w");

	if (!f)
		tb_warn("report: %s: %s", p, strerror(errno));
	free(p);
	return f;
}

static void begin_plot(struct pctx *x, const char *svg, const char *title, const char *xl,
		       const char *yl, bool logx)
{
	FILE *g = x->gp;

	fputs("reset\nset terminal svg size 860,480 dynamic noenhanced font \"sans,11\" "
	      "background rgb \"white\"\n",
	      g);
	fputs("set output ", g);
	gp_str(g, svg);
	fputs("\nset title ", g);
	gp_str(g, title);
	fputs("\nset xlabel ", g);
	gp_str(g, xl);
	fputs("\nset ylabel ", g);
	gp_str(g, yl);
	fputs("\nset grid\nset key outside right top\nset yrange [0:*]\n", g);
	if (logx)
		fputs("set logscale x 10\nset format x \"%g\"\n", g);
	x->pending = xrealloc(x->pending, (x->n_pending + 1) * sizeof(char *));
	x->pending_titles = xrealloc(x->pending_titles, (x->n_pending + 1) * sizeof(char *));
	x->pending[x->n_pending] = xasprintf("plots/%s", svg);
	x->pending_titles[x->n_pending] = xstrdup(title);
	x->n_pending++;
}

/* One line of a plot command: block @b of data file @dname, with columns
 * and style @how, titled @title; after a comma and a line break unless it
 * is the @first. */
static void plot_line(FILE *g, bool first, const char *dname, size_t b, const char *how,
		      const char *title)
{
	fputs(first ? "" : ", \\\n     ", g);
	gp_str(g, dname);
	fprintf(g, " index %zu using %s title ", b, how);
	gp_str(g, title);
}

/* Data file @name removed (a plot without data is not drawn). */
static void data_remove(struct pctx *x, const char *name)
{
	char *p = xasprintf("%s/%s", x->dir, name);

	unlink(p);
	free(p);
}

/* Scale and axis label of a unit. */
static double unit_scale(enum tb_unit u, const char **label)
{
	switch (u) {
	case TB_UNIT_RATE:
		*label = "Mbit/s";
		return 1e-6;
	case TB_UNIT_TIME:
		*label = "ms";
		return 1e3;
	case TB_UNIT_PCT:
		*label = "%";
		return 1;
	case TB_UNIT_PER_S:
		*label = "per second";
		return 1;
	case TB_UNIT_COUNT:
		*label = "count";
		return 1;
	}
	*label = "";
	return 1;
}

static bool numeric_sweep(const struct tb_sweep *s, double *xs)
{
	if (!strcmp(s->key, "case") || s->n_values < 2)
		return false;
	for (size_t i = 0; i < s->n_values; i++) {
		char *end;

		xs[i] = strtod(s->values[i], &end);
		if (end == s->values[i] || !isfinite(xs[i]))
			return false;
	}
	return true;
}

/* One flow's plot against one numeric sweep: a block of rows (a line) per
 * combination of the other sweeps, in the metric's data file and, for a
 * bulk flow's goodput on a lossy path, in the Mathis prediction's. */
struct splot {
	const struct tb_sweep *sw;
	size_t s, fl;             /* the sweep's and the flow's index */
	const double *xs;         /* the sweep's values as numbers */
	const char *metric;       /* the flow's primary metric (rp_worker_table) */
	const char *unit;         /* its unit on the plot ... */
	double sc;                /* ... and its scale to that unit */
	char *dname, *mname;      /* the data files: the metric's, the prediction's */
	FILE *d, *dm;
	bool want_m;              /* a Mathis line is wanted */
	char **labels;            /* per block: its line's title */
	bool *m_pts;              /* per block: it has Mathis points */
	size_t n_blocks, points;
};

/* @p's data files opened (a flood's numbers are its input, not an outcome:
 * not plotted), the Mathis one when wanted. */
static void splot_open(struct pctx *x, struct splot *p)
{
	const struct report *rp = x->rp;
	const struct tb_flow *f = &rp->c->flows[p->fl];
	size_t n_other = rp->n_cases / p->sw->n_values;

	p->metric = rp_worker_table(f)[0];
	p->sc = unit_scale(metric_unit(p->metric), &p->unit);
	p->dname = xasprintf("%s_%s_vs_%s.dat", f->name, p->metric, p->sw->short_name);
	p->d = f->worker == TB_WORKER_SYNFLOOD ? NULL : data_open(x, p->dname);
	p->labels = xcalloc(n_other + 1, sizeof(char *));
	/* the Mathis prediction beside a bulk flow's goodput, per block */
	p->want_m = p->d && !strcmp(p->metric, "goodput") && rp_flow_mathis(rp, (int)p->fl);
	p->mname = xasprintf("%s_mathis_vs_%s.dat", f->name, p->sw->short_name);
	p->dm = p->want_m ? data_open(x, p->mname) : NULL;
	p->m_pts = xcalloc(n_other + 1, sizeof(bool));
}

/* The first case of the @o-th combination of the sweeps other than @s: the
 * @o-th case with sweep @s at its first value (0 when there is none). */
static size_t block_first(const struct report *rp, size_t s, size_t o)
{
	for (size_t k = 0, seen = 0; k < rp->n_cases; k++)
		if (rp->cases[k].idx[s] == 0 && seen++ == o)
			return k;
	return 0;
}

/* The case of case @first's combination with sweep @s at its @v-th value. */
static size_t case_at(const struct report *rp, size_t first, size_t s, size_t v)
{
	const struct tb_config *c = rp->c;
	int *idx = xcalloc(c->n_sweeps, sizeof(int));
	size_t k;

	memcpy(idx, rp->cases[first].idx, c->n_sweeps * sizeof(int));
	idx[s] = (int)v;
	k = rp_case_index(c, idx);
	free(idx);
	return k;
}

/* The Mathis prediction of case @k (the sweep's @v-th value), a row of the
 * current block of @p's Mathis file. Mathis models a loss-based sender: no
 * line for BBR's points (its table row still has the number). */
static void mathis_row(const struct report *rp, struct splot *p, size_t k, size_t v)
{
	const struct tb_config *kc = rp->cases[k].cfg;
	struct stats st;
	char why[RP_WHY];

	if (!p->dm || (kc && !strcmp(kc->flows[p->fl].cc, "bbr")))
		return;
	rp_case_mathis(rp, k, (int)p->fl, &st, why, sizeof(why));
	if (st.n) {
		fprintf(p->dm, "%.9g %.9g\n", p->xs[v], st.median * p->sc);
		p->m_pts[p->n_blocks] = true;
	}
}

/* The rows of the block of case @first's combination: per value of the
 * sweep with a number, "x median min max" and the Mathis prediction. Whether
 * it has a row. */
static bool block_rows(const struct report *rp, struct splot *p, size_t first)
{
	bool any = false;

	for (size_t v = 0; v < p->sw->n_values; v++) {
		size_t k = case_at(rp, first, p->s, v);
		struct stats st;
		char why[RP_WHY];

		rp_case_metric(rp, k, p->metric, (int)p->fl, -1, NULL, &st, why, sizeof(why));
		if (!st.n)
			continue;
		fprintf(p->d, "%.9g %.9g %.9g %.9g\n", p->xs[v], st.median * p->sc, st.min * p->sc,
			st.max * p->sc);
		any = true;
		p->points++;
		mathis_row(rp, p, k, v);
	}
	return any;
}

/* A block's line title: the other sweeps' values in case @idx ("cc=bbr,
 * loss=1%"), or the flow's name @flow when there is no other sweep. */
static char *block_label(const struct tb_config *c, size_t s, const int *idx, const char *flow)
{
	char *l = xstrdup("");

	for (size_t t = 0; t < c->n_sweeps; t++) {
		char *nl;

		if (t == s)
			continue;
		nl = xasprintf("%s%s%s=%s", l, *l ? ", " : "", c->sweeps[t].short_name,
			       c->sweeps[t].values[idx[t]]);
		free(l);
		l = nl;
	}
	if (*l)
		return l;
	free(l);
	return xstrdup(flow);
}

/* @p's blocks: one per combination of the other sweeps that has a row. */
static void splot_blocks(struct pctx *x, struct splot *p)
{
	const struct report *rp = x->rp;
	size_t n_other = rp->n_cases / p->sw->n_values;

	for (size_t o = 0; p->d && o < n_other; o++) {
		size_t first = block_first(rp, p->s, o);

		if (!block_rows(rp, p, first))
			continue;
		p->labels[p->n_blocks++] = block_label(rp->c, p->s, rp->cases[first].idx,
						       rp->c->flows[p->fl].name);
		fputs("\n\n", p->d);
		if (p->dm)
			fputs("\n\n", p->dm);
	}
}

/* @s as a gnuplot string that is a format: each % doubled. */
static void gp_format(FILE *g, const char *s)
{
	char *lab = xcalloc(2 * strlen(s) + 1, 1), *q = lab;

	for (const char *c = s; *c; c++) {
		if (*c == '%')
			*q++ = '%';
		*q++ = *c;
	}
	gp_str(g, lab);
	free(lab);
}

/* Tics at the swept values, labelled as written ("0.1%"); on a log axis
 * the top decade crowds them, so they are slanted. */
static void sweep_xtics(FILE *g, const struct tb_sweep *sw, const double *xs, bool logx)
{
	fputs(logx ? "set xtics rotate by -45 (" : "set xtics (", g);
	for (size_t v = 0; v < sw->n_values; v++) {
		fputs(v ? ", " : "", g);
		gp_format(g, sw->values[v]);
		fprintf(g, " %.9g", xs[v]);
	}
	fputs(")\n", g);
}

/* @p's lines: per block the metric with min..max bars, then per block with
 * Mathis points the prediction. */
static void splot_lines(FILE *g, const struct splot *p)
{
	for (size_t b = 0; b < p->n_blocks; b++)
		plot_line(g, b == 0, p->dname, b, "1:2:3:4 with yerrorlines lw 2", p->labels[b]);
	for (size_t b = 0; b < p->n_blocks; b++) {
		char *ml;

		if (!p->m_pts[b])
			continue;
		ml = xasprintf("Mathis prediction (%s's MSS and RTT)", p->labels[b]);
		plot_line(g, false, p->mname, b, "1:2 with linespoints dt 2 lw 1 pt 6", ml);
		free(ml);
	}
}

/* @p in the script: on a log x axis when the swept values span two decades
 * or more. */
static void splot_script(struct pctx *x, const struct splot *p)
{
	const char *flow = x->rp->c->flows[p->fl].name;
	char *svg = xasprintf("%s_%s_vs_%s.svg", flow, p->metric, p->sw->short_name);
	char *title = xasprintf("%s(%s) against %s", p->metric, flow, p->sw->key);
	char *yl = xasprintf("%s (%s), median, bars min..max", p->metric, p->unit);
	double lo = INFINITY, hi = -INFINITY;
	bool logx;

	for (size_t i = 0; i < p->sw->n_values; i++) {
		lo = fmin(lo, p->xs[i]);
		hi = fmax(hi, p->xs[i]);
	}
	logx = lo > 0 && hi / lo >= 100;
	begin_plot(x, svg, title, p->sw->key, yl, logx);
	/* long line titles (and the Mathis lines) below, so the axis keeps the
	 * plot's width */
	fputs("set key below height 1.5\n", x->gp);
	if (!logx)
		fputs("set offsets graph 0.03, graph 0.03, 0, 0\n", x->gp);
	if (logx)
		fprintf(x->gp, "set xrange [%.9g:%.9g]\n", lo / 1.25, hi * 1.25);
	sweep_xtics(x->gp, p->sw, p->xs, logx);
	fputs("plot ", x->gp);
	splot_lines(x->gp, p);
	fputs("\n", x->gp);
	free(svg);
	free(title);
	free(yl);
}

/* Flow @fl against numeric sweep @s (its values @xs): the data, the plot
 * when there is a point, the Mathis file kept only when it has a line. */
static void sweep_plot(struct pctx *x, size_t s, const double *xs, size_t fl)
{
	struct splot p = { .sw = &x->rp->c->sweeps[s], .s = s, .fl = fl, .xs = xs };

	splot_open(x, &p);
	splot_blocks(x, &p);
	if (p.d)
		fclose(p.d);
	if (p.dm)
		fclose(p.dm);
	if (p.points)
		splot_script(x, &p);
	if (!p.want_m || !p.points)
		data_remove(x, p.mname);
	for (size_t b = 0; b < p.n_blocks; b++)
		free(p.labels[b]);
	free(p.labels);
	free(p.m_pts);
	free(p.mname);
	free(p.dname);
}

/* The primary metric of each flow against each numeric sweep, one line per
 * combination of the other sweeps, with min..max error bars. */
static void sweep_plots(struct pctx *x)
{
	const struct tb_config *c = x->rp->c;

	for (size_t s = 0; s < c->n_sweeps; s++) {
		double *xs = xcalloc(c->sweeps[s].n_values, sizeof(double));

		if (numeric_sweep(&c->sweeps[s], xs))
			for (size_t fl = 0; fl < c->n_flows; fl++)
				sweep_plot(x, s, xs, fl);
		free(xs);
	}
}

/* One series line's "t value" row, @key * @sc, into @d. An interval whose
 * @count (when given) is 0 measured nothing: its value is NaN, which gnuplot
 * leaves out and breaks the line at, a gap rather than a dip to 0. (Not a
 * `set datafile missing` marker: gnuplot 5 joins the points around those
 * in a `using 1:2` plot.) Returns 1 for a value, 0 for a gap or no row. */
static int series_row(json_t *j, const char *key, const char *count, double sc, double t0,
		      FILE *d)
{
	json_t *t = json_object_get(j, "t"), *v = json_object_get(j, key);
	json_t *cnt = count ? json_object_get(j, count) : NULL;

	if (!json_is_number(t) || !json_is_number(v))
		return 0;
	if (json_is_number(cnt) && json_number_value(cnt) == 0) {
		fprintf(d, "%.6f NaN\n", t0 + json_number_value(t));
		return 0;
	}
	fprintf(d, "%.6f %.9g\n", t0 + json_number_value(t), json_number_value(v) * sc);
	return 1;
}

/* The series of flow @flow in run @r (series_row, its times shifted by
 * @t0), appended to @d when it has a value at all (gnuplot refuses a line
 * of gaps only). Returns the number of rows with a value. */
static size_t series_rows(struct pctx *x, const struct rp_run *r, const char *flow,
			  const char *key, const char *count, double sc, double t0, FILE *d)
{
	char *p = rp_path(x->rp, "%s/flows/%s.series.jsonl", r->dir, flow);
	FILE *f = fopen(p, "r"), *m;
	char *line = NULL, *rows = NULL;
	size_t cap = 0, len = 0, n = 0;

	free(p);
	if (!f)
		return 0;
	m = open_memstream(&rows, &len);
	if (!m)
		abort();
	while (getline(&line, &cap, f) >= 0) {
		json_t *j = json_loads(line, 0, NULL);

		n += (size_t)series_row(j, key, count, sc, t0, m);
		json_decref(j);
	}
	fclose(m);
	if (n)
		fwrite(rows, 1, len, d);
	free(rows);
	free(line);
	fclose(f);
	return n;
}

/* The columns of a sampler tcp.csv that a plot reads: time, flow, cookie
 * and the n_v value columns, and the highest of them. */
struct sock_cols {
	int t, flow, cookie, v[8], n_v, max;
};

/* @k from the header @line (modified) for the value columns @names (up to
 * 8); false when one of them is missing. */
static bool sock_header(char *line, const char *const *names, struct sock_cols *k)
{
	size_t nc = 0;

	k->t = k->flow = k->cookie = -1;
	for (k->n_v = 0; names[k->n_v] && k->n_v < 8; k->n_v++)
		k->v[k->n_v] = -1;
	line[strcspn(line, "\r\n")] = 0;
	for (char *s = strtok(line, ","); s && nc < 128; s = strtok(NULL, ","), nc++) {
		if (!strcmp(s, "t_s"))
			k->t = (int)nc;
		else if (!strcmp(s, "flow"))
			k->flow = (int)nc;
		else if (!strcmp(s, "cookie"))
			k->cookie = (int)nc;
		for (int i = 0; i < k->n_v; i++)
			if (!strcmp(s, names[i]))
				k->v[i] = (int)nc;
	}
	if (k->t < 0 || k->flow < 0 || k->cookie < 0)
		return false;
	k->max = k->t > k->flow ? k->t : k->flow;
	k->max = k->cookie > k->max ? k->cookie : k->max;
	for (int i = 0; i < k->n_v; i++) {
		if (k->v[i] < 0)
			return false;
		k->max = k->v[i] > k->max ? k->v[i] : k->max;
	}
	return true;
}

/* Data row @line (modified) split into @cols; whether it is a row of flow
 * @flow with every column @k reads. */
static bool sock_row(char *line, const struct sock_cols *k, const char *flow, char **cols)
{
	char *q = line;
	size_t i = 0;

	line[strcspn(line, "\r\n")] = 0;
	for (char *s = strsep(&q, ","); s && i < 128; s = strsep(&q, ","))
		cols[i++] = s;
	return i > (size_t)k->max && !strcmp(cols[k->flow], flow);
}

/* A flow's sockets in a tcp.csv (by cookie) and their numbers of rows: up
 * to one more than CWND_MAX_SOCKETS, which is too many to pick from. */
struct socks {
	char cookie[CWND_MAX_SOCKETS + 1][40];
	size_t rows[CWND_MAX_SOCKETS + 1], n;
};

/* @sk: the sockets of flow @flow in the rows of @f. */
static void count_socks(FILE *f, const struct sock_cols *k, const char *flow, struct socks *sk)
{
	char *line = NULL, *cols[128];
	size_t cap = 0;

	while (getline(&line, &cap, f) >= 0) {
		size_t s;

		if (!sock_row(line, k, flow, cols))
			continue;
		for (s = 0; s < sk->n; s++)
			if (!strcmp(sk->cookie[s], cols[k->cookie]))
				break;
		if (s == sk->n) {
			if (sk->n == CWND_MAX_SOCKETS + 1)
				continue;
			snprintf(sk->cookie[sk->n++], sizeof(sk->cookie[0]), "%s", cols[k->cookie]);
		}
		sk->rows[s]++;
	}
	free(line);
}

/* The socket of @sk with the most rows (the first of equals). */
static size_t busiest(const struct socks *sk)
{
	size_t best = 0;

	for (size_t i = 1; i < sk->n; i++)
		if (sk->rows[i] > sk->rows[best])
			best = i;
	return best;
}

/* The rows of flow @flow's socket @cookie in @f as "t v1 v2 ..." rows of @d
 * (columns @names): an empty value, or an ssthresh still at its initial
 * "infinite" value (>= 2^31 - 1), is written as "?" (missing). Returns the
 * number of rows. */
static size_t write_sock_rows(FILE *f, const struct sock_cols *k, const char *flow,
			      const char *const *names, const char *cookie, FILE *d)
{
	char *line = NULL, *cols[128];
	size_t cap = 0, n = 0;

	while (getline(&line, &cap, f) >= 0) {
		if (!sock_row(line, k, flow, cols) || strcmp(cookie, cols[k->cookie]))
			continue;
		fputs(cols[k->t], d);
		for (int i = 0; i < k->n_v; i++) {
			const char *v = cols[k->v[i]];

			if (!*v ||
			    (!strcmp(names[i], "snd_ssthresh") && strtod(v, NULL) >= 2147483647.0))
				v = "?";
			fprintf(d, " %s", v);
		}
		fputc('\n', d);
		n++;
	}
	free(line);
	return n;
}

/* Columns @names of flow @fl's busiest socket (the one with most rows) in
 * its client's tcp.csv of run @r, into @d (write_sock_rows); nothing when
 * the flow has more than CWND_MAX_SOCKETS sockets. Returns the number of
 * rows. */
static size_t sock_rows(struct pctx *x, const struct rp_run *r, const struct tb_flow *fl,
			const char *const *names, FILE *d)
{
	char *p = fl->from >= 0 ? rp_path(x->rp, "%s/sockets/%s-tcp.csv", r->dir,
					  x->rp->c->nodes[fl->from].name) :
				  NULL;
	FILE *f = p ? fopen(p, "r") : NULL;
	char *line = NULL;
	size_t cap = 0, n = 0;
	struct sock_cols k;
	struct socks sk = { .n = 0 };

	free(p);
	if (!f)
		return 0;
	if (getline(&line, &cap, f) >= 0 && sock_header(line, names, &k)) {
		long start = ftell(f);

		count_socks(f, &k, fl->name, &sk);
		if (sk.n && sk.n <= CWND_MAX_SOCKETS) {
			fseek(f, start, SEEK_SET);
			n = write_sock_rows(f, &k, fl->name, names, sk.cookie[busiest(&sk)], d);
		}
	}
	free(line);
	fclose(f);
	return n;
}

enum series_kind { S_THROUGHPUT, S_LATENCY, S_CWND, S_RETRANS };

/* Of each kind: the name in its files, the plot's title and y label. */
static const char *const series_what[] = { "throughput", "latency", "cwnd", "retrans" };
static const char *const series_title[] = { "goodput", "p99 request latency per interval",
					    "congestion window (sampler)",
					    "retransmitted segments, cumulative (sampler)" };
static const char *const series_ylabel[] = { "Mbit/s", "p99 (ms)", "cwnd (segments)",
					     "total_retrans (segments)" };

/* Whether flow @f has a @kind series: goodput of a bulk flow, latency of an
 * rr flow, the sampler's of a TCP flow with a client. */
static bool has_series(enum series_kind kind, const struct tb_flow *f)
{
	switch (kind) {
	case S_THROUGHPUT:
		return f->worker == TB_WORKER_BULK;
	case S_LATENCY:
		return f->worker == TB_WORKER_RR;
	case S_CWND:
	case S_RETRANS:
		return f->worker != TB_WORKER_SYNFLOOD && f->worker != TB_WORKER_UDP && f->from >= 0;
	}
	return false;
}

/* Flow @f's @kind series in run @r, into @d; the number of rows with a
 * value. */
static size_t series_of(struct pctx *x, enum series_kind kind, const struct rp_run *r,
			const struct tb_flow *f, FILE *d)
{
	static const char *const c_cwnd[] = { "snd_cwnd", NULL };
	static const char *const c_retr[] = { "total_retrans", NULL };

	if (kind == S_THROUGHPUT)
		return series_rows(x, r, f->name, "goodput_bps", NULL, 1e-6, 0, d);
	if (kind == S_LATENCY)
		return series_rows(x, r, f->name, "p99_us", "requests", 1e-3, 0, d);
	return sock_rows(x, r, f, kind == S_CWND ? c_cwnd : c_retr, d);
}

/* The blocks of flow @f's @kind plot in @d: per case, the series of its
 * first complete run, labelled "case (run)" in @labels. The number of
 * blocks. */
static size_t time_blocks(struct pctx *x, enum series_kind kind, const struct tb_flow *f, FILE *d,
			  char **labels)
{
	const struct report *rp = x->rp;
	size_t blocks = 0;

	for (size_t k = 0; k < rp->n_cases; k++) {
		const struct rp_run *r = rp_first_run(rp, k);

		if (!r || !series_of(x, kind, r, f, d))
			continue;
		fputs("\n\n", d);
		labels[blocks++] = xasprintf("%s (%s)", rp->cases[k].label,
					     r->dir + (strncmp(r->dir, "runs/", 5) ? 0 : 5));
	}
	return blocks;
}

/* Flow @f's @kind plot in the script: a line per block of @dname. */
/* The [event]s' changes as dotted vertical lines on a time axis that starts
 * at @t0_s of the run (a flow's start), each event named at its first
 * change; a ramp or a repeat draws a line per change, up to MAX_EVENT_MARKS. */
#define MAX_EVENT_MARKS 100
static void event_marks(struct pctx *x, double t0_s)
{
	const struct tb_config *c = x->rp->c;
	uint32_t at;
	double frac;
	size_t n = 0;

	for (size_t i = 0; i < c->n_events; i++) {
		const struct tb_event *v = &c->events[i];

		for (size_t s = 0; n < MAX_EVENT_MARKS && !config_event_step(v, s, &at, &frac); s++) {
			double t = at / 1e6 - t0_s;

			if (t < 0)
				continue;
			fprintf(x->gp, "set arrow from %.3f, graph 0 to %.3f, graph 1 nohead dt 3 lc "
				"rgb \"#808080\"\n", t, t);
			if (s == 0) {
				fputs("set label ", x->gp);
				gp_str(x->gp, v->name);
				fprintf(x->gp, " at %.3f, graph 0.98 right rotate by 90 offset -0.4,0 "
					"font \",9\" tc rgb \"#606060\"\n", t);
			}
			n++;
		}
	}
}

static void time_script(struct pctx *x, enum series_kind kind, const struct tb_flow *f,
			const char *dname, char **labels, size_t blocks)
{
	char *svg = xasprintf("%s_%s.svg", f->name, series_what[kind]);
	char *title = xasprintf("%s of flow %s over time (first complete repeat of each case)",
				series_title[kind], f->name);

	begin_plot(x, svg, title, "time (s)", series_ylabel[kind], false);
	event_marks(x, f->start_us / 1e6);
	fputs("plot ", x->gp);
	for (size_t b = 0; b < blocks; b++)
		plot_line(x->gp, b == 0, dname, b,
			  kind == S_CWND || kind == S_RETRANS ? "1:2 with steps" :
								"1:2 with lines lw 1.5",
			  labels[b]);
	fputs("\n", x->gp);
	rp_series_add(x->rp, dname, title, series_ylabel[kind], labels, blocks, NULL,
		      kind == S_CWND || kind == S_RETRANS);
	rp_series_t0(x->rp, f->start_us / 1e6);
	free(title);
	free(svg);
}

/* Flow @f's @kind plot: its data, and its script when it has a line (the
 * data file removed when not). */
static void time_plot(struct pctx *x, enum series_kind kind, const struct tb_flow *f)
{
	char *dname = xasprintf("%s_%s.dat", f->name, series_what[kind]);
	FILE *d = data_open(x, dname);
	char **labels = xcalloc(x->rp->n_cases + 1, sizeof(char *));
	size_t blocks = d ? time_blocks(x, kind, f, d, labels) : 0;

	if (d)
		fclose(d);
	if (blocks)
		time_script(x, kind, f, dname, labels, blocks);
	else
		data_remove(x, dname);
	for (size_t b = 0; b < blocks; b++)
		free(labels[b]);
	free(labels);
	free(dname);
}

/* One plot per flow: its time series in the first complete run of each
 * case, one line per case. */
static void time_plots(struct pctx *x, enum series_kind kind)
{
	const struct tb_config *c = x->rp->c;

	for (size_t fl = 0; fl < c->n_flows; fl++)
		if (has_series(kind, &c->flows[fl]))
			time_plot(x, kind, &c->flows[fl]);
}

/* Case @k's bulk flows that ran in @r, each on the run's time axis (its
 * series shifted by the flow's start) as a block of @d named in @labels;
 * the number of blocks. */
static size_t share_blocks(struct pctx *x, size_t k, const struct rp_run *r, FILE *d,
			   char **labels)
{
	const struct tb_config *c = rp_case_cfg(x->rp, k);
	size_t blocks = 0;

	for (size_t fl = 0; fl < c->n_flows; fl++) {
		const struct tb_flow *f = &c->flows[fl];

		if (f->worker != TB_WORKER_BULK || !f->enabled ||
		    !series_rows(x, r, f->name, "goodput_bps", NULL, 1e-6, f->start_us / 1e6, d))
			continue;
		fputs("\n\n", d);
		labels[blocks++] = xstrdup(f->name);
	}
	return blocks;
}

/* Case @k's goodput of every bulk flow over the run's time, one line per
 * flow, from its first complete run: how flows share a bottleneck (drawn
 * when at least two bulk flows ran). */
static void share_plot(struct pctx *x, size_t k)
{
	const struct rp_run *r = rp_first_run(x->rp, k);
	char *dname = xasprintf("goodput_c%zu.dat", k + 1), *svg, *title;
	FILE *d = r ? data_open(x, dname) : NULL;
	char **labels = xcalloc(rp_case_cfg(x->rp, k)->n_flows + 1, sizeof(char *));
	size_t blocks = d ? share_blocks(x, k, r, d, labels) : 0;

	if (d)
		fclose(d);
	if (blocks >= 2) {
		svg = xasprintf("goodput_c%zu.svg", k + 1);
		title = xasprintf("goodput of each bulk flow, case %s (%s)", x->rp->cases[k].label,
				  r->dir);
		begin_plot(x, svg, title, "time since the run's start (s)", "Mbit/s", false);
		event_marks(x, 0);
		fputs("plot ", x->gp);
		for (size_t b = 0; b < blocks; b++)
			plot_line(x->gp, b == 0, dname, b, "1:2 with lines lw 1.5", labels[b]);
		fputs("\n", x->gp);
		rp_series_add(x->rp, dname, title, "Mbit/s", labels, blocks, NULL, false);
		free(title);
		free(svg);
	} else if (d) {
		data_remove(x, dname);
	}
	for (size_t b = 0; b < blocks; b++)
		free(labels[b]);
	free(labels);
	free(dname);
}

/* Per case, up to TCP_PLOT_CASES cases: the bulk flows' goodput together. */
static void share_plots(struct pctx *x)
{
	for (size_t k = 0; k < x->rp->n_cases && x->rp->n_cases <= TCP_PLOT_CASES; k++)
		share_plot(x, k);
}

/* Flow @f's socket plot of case @k (from run @r, its rows in @dname) in the
 * script: cwnd and ssthresh on the left axis, retransmissions on the
 * right. */
static void tcp_case_script(struct pctx *x, const struct tb_flow *f, size_t k,
			    const struct rp_run *r, const char *dname)
{
	char *svg = xasprintf("%s_tcp_c%zu.svg", f->name, k + 1);
	char *title = xasprintf("cwnd, ssthresh and retransmissions of flow %s, case %s (%s, "
				"sampler)",
				f->name, x->rp->cases[k].label, r->dir);

	begin_plot(x, svg, title, "time (s)", "segments (cwnd, ssthresh)", false);
	fputs("set y2label \"retransmitted segments (cumulative)\"\n"
	      "set y2tics\nset ytics nomirror\nset y2range [0:*]\n"
	      "set datafile missing \"?\"\nplot ",
	      x->gp);
	gp_str(x->gp, dname);
	fputs(" using 1:2 with steps lw 1.5 title \"snd_cwnd\", \\\n     ", x->gp);
	gp_str(x->gp, dname);
	fputs(" using 1:3 with steps lw 1.5 dt 2 title \"snd_ssthresh\", \\\n     ", x->gp);
	gp_str(x->gp, dname);
	fputs(" using 1:4 axes x1y2 with steps lw 1 title \"total_retrans (right axis)\"\n", x->gp);
	rp_series_add(x->rp, dname, title, "segments", NULL, 0,
		      (const char *const[]){ "snd_cwnd", "snd_ssthresh", "y2:total_retrans", NULL },
		      true);
	free(title);
	free(svg);
}

/* Flow @f's socket plot of case @k from its first complete run @r: its data,
 * and its script when it has a row (the data file removed when not). */
static void tcp_case_plot(struct pctx *x, const struct tb_flow *f, size_t k,
			  const struct rp_run *r)
{
	static const char *const cols[] = { "snd_cwnd", "snd_ssthresh", "total_retrans", NULL };
	char *dname = xasprintf("%s_tcp_c%zu.dat", f->name, k + 1);
	FILE *d = data_open(x, dname);
	size_t n = d ? sock_rows(x, r, f, cols, d) : 0;

	if (d)
		fclose(d);
	if (n)
		tcp_case_script(x, f, k, r, dname);
	else
		data_remove(x, dname);
	free(dname);
}

/* The ss -tin evidence of each case: cwnd and ssthresh (left axis, segments)
 * and cumulative retransmissions (right axis) of a TCP flow's busiest socket,
 * one plot per case from its first complete repeat. Up to TCP_PLOT_CASES
 * cases: a larger sweep's story is its summary plot. */
static void tcp_case_plots(struct pctx *x)
{
	const struct report *rp = x->rp;
	const struct tb_config *c = rp->c;

	if (rp->n_cases > TCP_PLOT_CASES)
		return;
	for (size_t fl = 0; fl < c->n_flows; fl++) {
		const struct tb_flow *f = &c->flows[fl];

		if (f->worker != TB_WORKER_BULK || f->from < 0)
			continue;
		for (size_t k = 0; k < rp->n_cases; k++) {
			const struct rp_run *r = rp_first_run(rp, k);

			if (r)
				tcp_case_plot(x, f, k, r);
		}
	}
}

/* The child: gnuplot on plots.gp inside @dir, its output into gnuplot.log there. */
static void __attribute__((noreturn)) exec_gnuplot(const char *gnuplot, const char *dir)
{
	int fd;

	if (chdir(dir) < 0)
		_exit(126);
	fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	execl(gnuplot, "gnuplot", "plots.gp", (char *)NULL);
	_exit(127);
}

/* Wait for gnuplot (@pid), killed after GNUPLOT_TIMEOUT_S; 0, else -errno and a @note. */
static int wait_gnuplot(pid_t pid, int *st, char **note)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t w = waitpid(pid, st, WNOHANG);

		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR) {
			*note = xasprintf("Plots were not rendered: waitpid: %s.", strerror(errno));
			return -ECHILD;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > GNUPLOT_TIMEOUT_S) {
			kill(pid, SIGKILL);
			waitpid(pid, st, 0);
			*note = xasprintf("Plots were not rendered: gnuplot took more than %d s and was "
					  "stopped.",
					  GNUPLOT_TIMEOUT_S);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
}

/* Run gnuplot on plots.gp inside @dir; 0 when it exited 0. */
static int run_gnuplot(const char *gnuplot, const char *dir, char **note)
{
	pid_t pid;
	int st = 0, rc;

	pid = fork();
	if (pid < 0) {
		*note = xasprintf("Plots were not rendered: fork: %s.", strerror(errno));
		return -errno;
	}
	if (pid == 0)
		exec_gnuplot(gnuplot, dir);
	rc = wait_gnuplot(pid, &st, note);
	if (rc)
		return rc;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		*note = xasprintf("gnuplot (%s) failed (exit %d); see plots/gnuplot.log.", gnuplot,
				  WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -EIO;
	}
	return 0;
}

/* plots.gp, with every plot that has data; false, with rp->plot_note
 * saying why, when it cannot be written or has no plot. */
static bool write_script(struct pctx *x, const char *gp_path)
{
	struct report *rp = x->rp;

	x->gp = fopen(gp_path, "w");
	if (!x->gp) {
		rp->plot_note = xasprintf("No plots: cannot write %s: %s.", gp_path, strerror(errno));
		return false;
	}
	fputs("# Written by testbed report; render with: cd plots && gnuplot plots.gp\n", x->gp);
	sweep_plots(x);
	share_plots(x);
	time_plots(x, S_THROUGHPUT);
	time_plots(x, S_LATENCY);
	time_plots(x, S_CWND);
	time_plots(x, S_RETRANS);
	tcp_case_plots(x);
	if (fclose(x->gp)) {
		rp->plot_note = xasprintf("No plots: cannot write %s.", gp_path);
		return false;
	}
	if (!x->n_pending) {
		rp->plot_note = xstrdup("No plots: no numeric sweep and no time series with data.");
		return false;
	}
	return true;
}

/* The SVGs gnuplot wrote (not empty), in the script's order, handed from the
 * pending list to the report. */
static void collect_plots(struct pctx *x)
{
	struct report *rp = x->rp;

	for (size_t i = 0; i < x->n_pending; i++) {
		char *p = rp_path(rp, "%s", x->pending[i]);
		struct stat sb;

		if (stat(p, &sb) == 0 && sb.st_size > 0) {
			rp->plots = xrealloc(rp->plots, (rp->n_plots + 1) * sizeof(char *));
			rp->plot_titles = xrealloc(rp->plot_titles, (rp->n_plots + 1) * sizeof(char *));
			rp->plots[rp->n_plots] = x->pending[i];
			rp->plot_titles[rp->n_plots] = x->pending_titles[i];
			rp->n_plots++;
			x->pending[i] = x->pending_titles[i] = NULL;
		}
		free(p);
	}
}

/* The script rendered by @gnuplot, or rp->plot_note saying why not. */
static void render(struct pctx *x, const char *gnuplot)
{
	struct report *rp = x->rp;

	if (access(gnuplot, X_OK) < 0) {
		rp->plot_note = xasprintf("gnuplot is not installed (%s: %s), so the plots were not "
					  "rendered; the tables above have the numbers. Their data "
					  "and script are in plots/ (scripts/install-deps installs "
					  "gnuplot-nox).",
					  gnuplot, strerror(errno));
		return;
	}
	run_gnuplot(gnuplot, x->dir, &rp->plot_note);
	collect_plots(x);
	rp->gnuplot = rp->n_plots > 0 && !rp->plot_note;
}

void rp_plots(struct report *rp)
{
	struct pctx x = { .rp = rp };
	const char *gnuplot = getenv("TESTBED_GNUPLOT");
	char *gp_path = NULL;

	if (!gnuplot || !*gnuplot)
		gnuplot = GNUPLOT_DEFAULT;
	x.dir = rp_path(rp, "plots");
	if (mkdir(x.dir, 0755) < 0 && errno != EEXIST) {
		rp->plot_note = xasprintf("No plots: cannot create %s: %s.", x.dir, strerror(errno));
		goto out;
	}
	gp_path = xasprintf("%s/plots.gp", x.dir);
	if (write_script(&x, gp_path))
		render(&x, gnuplot);
out:
	for (size_t i = 0; i < x.n_pending; i++) {
		free(x.pending[i]);
		free(x.pending_titles[i]);
	}
	free(x.pending);
	free(x.pending_titles);
	free(gp_path);
	free(x.dir);
}
