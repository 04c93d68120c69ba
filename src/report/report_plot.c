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

/* The primary metric of each flow against each numeric sweep, one line per
 * combination of the other sweeps, with min..max error bars. */
static void sweep_plots(struct pctx *x)
{
	struct report *rp = x->rp;
	const struct tb_config *c = rp->c;

	for (size_t s = 0; s < c->n_sweeps; s++) {
		const struct tb_sweep *sw = &c->sweeps[s];
		double *xs = xcalloc(sw->n_values, sizeof(double)), lo = INFINITY, hi = -INFINITY;
		size_t n_other = rp->n_cases / sw->n_values;

		if (!numeric_sweep(sw, xs)) {
			free(xs);
			continue;
		}
		for (size_t i = 0; i < sw->n_values; i++) {
			lo = fmin(lo, xs[i]);
			hi = fmax(hi, xs[i]);
		}
		/* a flood's numbers are its input, not an outcome: not plotted */
		for (size_t fl = 0; fl < c->n_flows; fl++) {
			const char *metric = rp_worker_table(&c->flows[fl])[0], *ul;
			enum tb_unit u = metric_unit(metric);
			double sc = unit_scale(u, &ul);
			char *dname = xasprintf("%s_%s_vs_%s.dat", c->flows[fl].name, metric, sw->short_name);
			char *svg = xasprintf("%s_%s_vs_%s.svg", c->flows[fl].name, metric, sw->short_name);
			char *title = xasprintf("%s(%s) against %s", metric, c->flows[fl].name, sw->key);
			char *yl = xasprintf("%s (%s), median, bars min..max", metric, ul);
			FILE *d = c->flows[fl].worker == TB_WORKER_SYNFLOOD ? NULL : data_open(x, dname);
			char **labels = xcalloc(n_other + 1, sizeof(char *));
			size_t n_blocks = 0, points = 0;
			/* the Mathis prediction beside a bulk flow's goodput, per block */
			bool want_m = d && !strcmp(metric, "goodput") && rp_flow_mathis(rp, (int)fl);
			char *mname = xasprintf("%s_mathis_vs_%s.dat", c->flows[fl].name, sw->short_name);
			FILE *dm = want_m ? data_open(x, mname) : NULL;
			bool *m_pts = xcalloc(n_other + 1, sizeof(bool));

			for (size_t o = 0; d && o < n_other; o++) {
				/* walk the cases whose other sweep values are the o-th combination */
				size_t first = 0;
				bool any = false;

				for (size_t k = 0, seen = 0; k < rp->n_cases; k++) {
					if (rp->cases[k].idx[s] != 0)
						continue;
					if (seen++ == o) {
						first = k;
						break;
					}
				}
				for (size_t v = 0; v < sw->n_values; v++) {
					int *idx = xcalloc(c->n_sweeps, sizeof(int));
					struct stats st;
					char why[RP_WHY];
					size_t k;

					memcpy(idx, rp->cases[first].idx, c->n_sweeps * sizeof(int));
					idx[s] = (int)v;
					k = rp_case_index(c, idx);
					free(idx);
					rp_case_metric(rp, k, metric, (int)fl, -1, NULL, &st, why, sizeof(why));
					if (!st.n)
						continue;
					fprintf(d, "%.9g %.9g %.9g %.9g\n", xs[v], st.median * sc,
						st.min * sc, st.max * sc);
					any = true;
					points++;
					/* Mathis models a loss-based sender: no line for BBR's
					 * points (its table row still has the number) */
					if (dm && !(rp->cases[k].cfg &&
						    !strcmp(rp->cases[k].cfg->flows[fl].cc, "bbr"))) {
						rp_case_mathis(rp, k, (int)fl, &st, why, sizeof(why));
						if (st.n) {
							fprintf(dm, "%.9g %.9g\n", xs[v], st.median * sc);
							m_pts[n_blocks] = true;
						}
					}
				}
				if (any) {
					char *l = xstrdup("");

					for (size_t t = 0; t < c->n_sweeps; t++) {
						char *nl;

						if (t == s)
							continue;
						nl = xasprintf("%s%s%s=%s", l, *l ? ", " : "",
							       c->sweeps[t].short_name,
							       c->sweeps[t].values[rp->cases[first].idx[t]]);
						free(l);
						l = nl;
					}
					labels[n_blocks++] = *l ? l : (free(l), xstrdup(c->flows[fl].name));
					fputs("\n\n", d);
					if (dm)
						fputs("\n\n", dm);
				}
			}
			if (d)
				fclose(d);
			if (dm)
				fclose(dm);
			if (points) {
				bool logx = lo > 0 && hi / lo >= 100;

				begin_plot(x, svg, title, sw->key, yl, logx);
				/* long line titles (and the Mathis lines) below, so the
				 * axis keeps the plot's width */
				fputs("set key below height 1.5\n", x->gp);
				/* tics at the swept values, labelled as written ("0.1%"); on a
				 * log axis the top decade crowds them, so they are slanted */
				if (!logx)
					fputs("set offsets graph 0.03, graph 0.03, 0, 0\n", x->gp);
				if (logx)
					fprintf(x->gp, "set xrange [%.9g:%.9g]\n", lo / 1.25, hi * 1.25);
				fputs(logx ? "set xtics rotate by -45 (" : "set xtics (", x->gp);
				for (size_t v = 0; v < sw->n_values; v++) {
					char *lab = xcalloc(2 * strlen(sw->values[v]) + 1, 1), *q = lab;

					/* a tic label is a format: % must be doubled */
					for (const char *p = sw->values[v]; *p; p++) {
						if (*p == '%')
							*q++ = '%';
						*q++ = *p;
					}
					fputs(v ? ", " : "", x->gp);
					gp_str(x->gp, lab);
					free(lab);
					fprintf(x->gp, " %.9g", xs[v]);
				}
				fputs(")\nplot ", x->gp);
				for (size_t b = 0; b < n_blocks; b++) {
					fprintf(x->gp, "%s", b ? ", \\\n     " : "");
					gp_str(x->gp, dname);
					fprintf(x->gp, " index %zu using 1:2:3:4 with yerrorlines lw 2 title ",
						b);
					gp_str(x->gp, labels[b]);
				}
				for (size_t b = 0; b < n_blocks; b++) {
					char *ml;

					if (!m_pts[b])
						continue;
					ml = xasprintf("Mathis prediction (%s's MSS and RTT)", labels[b]);
					fputs(", \\\n     ", x->gp);
					gp_str(x->gp, mname);
					fprintf(x->gp, " index %zu using 1:2 with linespoints dt 2 lw 1 pt 6 "
						       "title ",
						b);
					gp_str(x->gp, ml);
					free(ml);
				}
				fputs("\n", x->gp);
			}
			if (!want_m || !points) {
				char *mp = xasprintf("%s/%s", x->dir, mname);

				unlink(mp);
				free(mp);
			}
			free(m_pts);
			free(mname);
			for (size_t b = 0; b < n_blocks; b++)
				free(labels[b]);
			free(labels);
			free(dname);
			free(svg);
			free(title);
			free(yl);
		}
		free(xs);
	}
}

/* The first complete run of case @k. */
static const struct rp_run *first_run(const struct report *rp, size_t k)
{
	const struct rp_case *cs = &rp->cases[k];

	for (size_t i = 0; i < cs->n_runs; i++)
		if (rp->runs[cs->runs[i]].usable)
			return &rp->runs[cs->runs[i]];
	return NULL;
}

/* One series line's "t value" row, @key * @sc, into @d. An interval whose
 * @count (when given) is 0 measured nothing: its value is NaN, which gnuplot
 * leaves out and breaks the line at, a gap rather than a dip to 0. (Not a
 * `set datafile missing` marker: gnuplot 5 joins the points around those
 * in a `using 1:2` plot.) Returns 1 for a value, 0 for a gap or no row. */
static int series_row(json_t *j, const char *key, const char *count, double sc, FILE *d)
{
	json_t *t = json_object_get(j, "t"), *v = json_object_get(j, key);
	json_t *cnt = count ? json_object_get(j, count) : NULL;

	if (!json_is_number(t) || !json_is_number(v))
		return 0;
	if (json_is_number(cnt) && json_number_value(cnt) == 0) {
		fprintf(d, "%.6f NaN\n", json_number_value(t));
		return 0;
	}
	fprintf(d, "%.6f %.9g\n", json_number_value(t), json_number_value(v) * sc);
	return 1;
}

/* The series of flow @flow in run @r (series_row), appended to @d when it
 * has a value at all (gnuplot refuses a line of gaps only). Returns the
 * number of rows with a value. */
static size_t series_rows(struct pctx *x, const struct rp_run *r, const char *flow,
			  const char *key, const char *count, double sc, FILE *d)
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

		n += (size_t)series_row(j, key, count, sc, m);
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

/* Columns @names of flow @fl's busiest socket (the one with most rows) in
 * its client's tcp.csv: "t v1 v2 ..." rows. An ssthresh still at its
 * initial "infinite" value (>= 2^31 - 1) is written as "?" (missing). */
static size_t sock_rows(struct pctx *x, const struct rp_run *r, const struct tb_flow *fl,
			const char *const *names, FILE *d)
{
	const struct tb_config *c = x->rp->c;
	char *p = fl->from >= 0 ? rp_path(x->rp, "%s/sockets/%s-tcp.csv", r->dir,
					  c->nodes[fl->from].name) :
				  NULL;
	FILE *f = p ? fopen(p, "r") : NULL;
	char *line = NULL, *cols[128];
	char cookies[CWND_MAX_SOCKETS + 1][40];
	size_t cap = 0, n = 0, nc, counts[CWND_MAX_SOCKETS + 1] = { 0 }, n_socks = 0, best = 0;
	int ct = -1, cf = -1, ck = -1, cv[8], n_names = 0, maxc;
	long start;

	free(p);
	for (n_names = 0; names[n_names] && n_names < 8; n_names++)
		cv[n_names] = -1;
	if (!f)
		goto out;
	if (getline(&line, &cap, f) < 0)
		goto out;
	line[strcspn(line, "\r\n")] = 0;
	nc = 0;
	for (char *s = strtok(line, ","); s && nc < 128; s = strtok(NULL, ","), nc++) {
		if (!strcmp(s, "t_s"))
			ct = (int)nc;
		else if (!strcmp(s, "flow"))
			cf = (int)nc;
		else if (!strcmp(s, "cookie"))
			ck = (int)nc;
		for (int i = 0; i < n_names; i++)
			if (!strcmp(s, names[i]))
				cv[i] = (int)nc;
	}
	if (ct < 0 || cf < 0 || ck < 0)
		goto out;
	maxc = ct > cf ? ct : cf;
	maxc = ck > maxc ? ck : maxc;
	for (int i = 0; i < n_names; i++) {
		if (cv[i] < 0)
			goto out;
		maxc = cv[i] > maxc ? cv[i] : maxc;
	}
	start = ftell(f);
	/* pass 1: the sockets of the flow and their row counts */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			if (!n_socks || n_socks > CWND_MAX_SOCKETS)
				goto out;
			for (size_t i = 1; i < n_socks; i++)
				if (counts[i] > counts[best])
					best = i;
			fseek(f, start, SEEK_SET);
		}
		while (getline(&line, &cap, f) >= 0) {
			char *q = line;
			size_t i = 0;

			line[strcspn(line, "\r\n")] = 0;
			for (char *s = strsep(&q, ","); s && i < 128; s = strsep(&q, ","))
				cols[i++] = s;
			if (i <= (size_t)maxc || strcmp(cols[cf], fl->name))
				continue;
			if (pass == 0) {
				size_t s;

				for (s = 0; s < n_socks; s++)
					if (!strcmp(cookies[s], cols[ck]))
						break;
				if (s == n_socks) {
					if (n_socks == CWND_MAX_SOCKETS + 1)
						continue;
					snprintf(cookies[n_socks++], sizeof(cookies[0]), "%s", cols[ck]);
				}
				counts[s]++;
			} else if (!strcmp(cookies[best], cols[ck])) {
				fputs(cols[ct], d);
				for (int k = 0; k < n_names; k++) {
					const char *v = cols[cv[k]];

					if (!*v || (!strcmp(names[k], "snd_ssthresh") &&
						    strtod(v, NULL) >= 2147483647.0))
						v = "?";
					fprintf(d, " %s", v);
				}
				fputc('\n', d);
				n++;
			}
		}
	}
out:
	free(line);
	if (f)
		fclose(f);
	return n;
}

enum series_kind { S_THROUGHPUT, S_LATENCY, S_CWND, S_RETRANS };

/* One plot per flow: its time series in the first complete run of each
 * case, one line per case. */
static void time_plots(struct pctx *x, enum series_kind kind)
{
	struct report *rp = x->rp;
	const struct tb_config *c = rp->c;

	for (size_t fl = 0; fl < c->n_flows; fl++) {
		const struct tb_flow *f = &c->flows[fl];
		static const char *const whats[] = { "throughput", "latency", "cwnd", "retrans" };
		static const char *const c_cwnd[] = { "snd_cwnd", NULL };
		static const char *const c_retr[] = { "total_retrans", NULL };
		const char *what = whats[kind];
		char *dname, *svg, *title;
		FILE *d;
		size_t blocks = 0;
		char **labels;

		if (kind == S_THROUGHPUT && f->worker != TB_WORKER_BULK)
			continue;
		if (kind == S_LATENCY && f->worker != TB_WORKER_RR)
			continue;
		if ((kind == S_CWND || kind == S_RETRANS) &&
		    (f->worker == TB_WORKER_SYNFLOOD || f->worker == TB_WORKER_UDP || f->from < 0))
			continue;
		dname = xasprintf("%s_%s.dat", f->name, what);
		svg = xasprintf("%s_%s.svg", f->name, what);
		d = data_open(x, dname);
		labels = xcalloc(rp->n_cases + 1, sizeof(char *));
		for (size_t k = 0; d && k < rp->n_cases; k++) {
			const struct rp_run *r = first_run(rp, k);
			size_t n = 0;

			if (!r)
				continue;
			if (kind == S_THROUGHPUT)
				n = series_rows(x, r, f->name, "goodput_bps", NULL, 1e-6, d);
			else if (kind == S_LATENCY)
				n = series_rows(x, r, f->name, "p99_us", "requests", 1e-3, d);
			else
				n = sock_rows(x, r, f, kind == S_CWND ? c_cwnd : c_retr, d);
			if (!n)
				continue;
			fputs("\n\n", d);
			labels[blocks++] = xasprintf("%s (%s)", rp->cases[k].label, r->dir + (strncmp(r->dir, "runs/", 5) ? 0 : 5));
		}
		if (d)
			fclose(d);
		if (blocks) {
			static const char *const titles[] = { "goodput", "p99 request latency per interval",
							      "congestion window (sampler)",
							      "retransmitted segments, cumulative (sampler)" };
			static const char *const ylabels[] = { "Mbit/s", "p99 (ms)", "cwnd (segments)",
							       "total_retrans (segments)" };

			title = xasprintf("%s of flow %s over time (first complete repeat of each case)",
					  titles[kind], f->name);
			begin_plot(x, svg, title, "time (s)", ylabels[kind], false);
			fputs("plot ", x->gp);
			for (size_t b = 0; b < blocks; b++) {
				fprintf(x->gp, "%s", b ? ", \\\n     " : "");
				gp_str(x->gp, dname);
				fprintf(x->gp, " index %zu using 1:2 with %s title ", b,
					kind == S_CWND || kind == S_RETRANS ? "steps" : "lines lw 1.5");
				gp_str(x->gp, labels[b]);
			}
			fputs("\n", x->gp);
			free(title);
		} else {
			char *p = xasprintf("%s/%s", x->dir, dname);

			unlink(p);
			free(p);
		}
		for (size_t b = 0; b < blocks; b++)
			free(labels[b]);
		free(labels);
		free(dname);
		free(svg);
	}
}

/* The ss -tin evidence of each case: cwnd and ssthresh (left axis, segments)
 * and cumulative retransmissions (right axis) of a TCP flow's busiest socket,
 * one plot per case from its first complete repeat. Up to TCP_PLOT_CASES
 * cases: a larger sweep's story is its summary plot. */
static void tcp_case_plots(struct pctx *x)
{
	static const char *const cols[] = { "snd_cwnd", "snd_ssthresh", "total_retrans", NULL };
	struct report *rp = x->rp;
	const struct tb_config *c = rp->c;

	if (rp->n_cases > TCP_PLOT_CASES)
		return;
	for (size_t fl = 0; fl < c->n_flows; fl++) {
		const struct tb_flow *f = &c->flows[fl];

		if (f->worker != TB_WORKER_BULK || f->from < 0)
			continue;
		for (size_t k = 0; k < rp->n_cases; k++) {
			const struct rp_run *r = first_run(rp, k);
			char *dname, *svg, *title, *p;
			FILE *d;
			size_t n;

			if (!r)
				continue;
			dname = xasprintf("%s_tcp_c%zu.dat", f->name, k + 1);
			svg = xasprintf("%s_tcp_c%zu.svg", f->name, k + 1);
			d = data_open(x, dname);
			n = d ? sock_rows(x, r, f, cols, d) : 0;
			if (d)
				fclose(d);
			if (n) {
				title = xasprintf("cwnd, ssthresh and retransmissions of flow %s, case %s "
						  "(%s, sampler)",
						  f->name, rp->cases[k].label, r->dir);
				begin_plot(x, svg, title, "time (s)", "segments (cwnd, ssthresh)", false);
				fputs("set y2label \"retransmitted segments (cumulative)\"\n"
				      "set y2tics\nset ytics nomirror\nset y2range [0:*]\n"
				      "set datafile missing \"?\"\nplot ",
				      x->gp);
				gp_str(x->gp, dname);
				fputs(" using 1:2 with steps lw 1.5 title \"snd_cwnd\", \\\n     ", x->gp);
				gp_str(x->gp, dname);
				fputs(" using 1:3 with steps lw 1.5 dt 2 title \"snd_ssthresh\", \\\n     ",
				      x->gp);
				gp_str(x->gp, dname);
				fputs(" using 1:4 axes x1y2 with steps lw 1 title \"total_retrans (right "
				      "axis)\"\n",
				      x->gp);
				free(title);
			} else {
				p = xasprintf("%s/%s", x->dir, dname);
				unlink(p);
				free(p);
			}
			free(dname);
			free(svg);
		}
	}
}

/* Run gnuplot on plots.gp inside @dir; 0 when it exited 0. */
static int run_gnuplot(const char *gnuplot, const char *dir, char **note)
{
	pid_t pid;
	int st = 0;
	struct timespec t0, now;

	pid = fork();
	if (pid < 0) {
		*note = xasprintf("Plots were not rendered: fork: %s.", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
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
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			*note = xasprintf("Plots were not rendered: waitpid: %s.", strerror(errno));
			return -ECHILD;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > GNUPLOT_TIMEOUT_S) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			*note = xasprintf("Plots were not rendered: gnuplot took more than %d s and was "
					  "stopped.",
					  GNUPLOT_TIMEOUT_S);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		*note = xasprintf("gnuplot (%s) failed (exit %d); see plots/gnuplot.log.", gnuplot,
				  WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -EIO;
	}
	return 0;
}

void rp_plots(struct report *rp)
{
	struct pctx x = { .rp = rp };
	const char *gnuplot = getenv("TESTBED_GNUPLOT");
	char *gp_path;

	if (!gnuplot || !*gnuplot)
		gnuplot = GNUPLOT_DEFAULT;
	x.dir = rp_path(rp, "plots");
	if (mkdir(x.dir, 0755) < 0 && errno != EEXIST) {
		rp->plot_note = xasprintf("No plots: cannot create %s: %s.", x.dir, strerror(errno));
		free(x.dir);
		return;
	}
	gp_path = xasprintf("%s/plots.gp", x.dir);
	x.gp = fopen(gp_path, "w");
	if (!x.gp) {
		rp->plot_note = xasprintf("No plots: cannot write %s: %s.", gp_path, strerror(errno));
		goto out;
	}
	fputs("# Written by testbed report; render with: cd plots && gnuplot plots.gp\n", x.gp);
	sweep_plots(&x);
	time_plots(&x, S_THROUGHPUT);
	time_plots(&x, S_LATENCY);
	time_plots(&x, S_CWND);
	time_plots(&x, S_RETRANS);
	tcp_case_plots(&x);
	if (fclose(x.gp)) {
		rp->plot_note = xasprintf("No plots: cannot write %s.", gp_path);
		goto out;
	}
	if (!x.n_pending) {
		rp->plot_note = xstrdup("No plots: no numeric sweep and no time series with data.");
		goto out;
	}
	if (access(gnuplot, X_OK) < 0) {
		rp->plot_note = xasprintf("gnuplot is not installed (%s: %s), so the plots were not "
					  "rendered; the tables above have the numbers. Their data "
					  "and script are in plots/ (scripts/install-deps installs "
					  "gnuplot-nox).",
					  gnuplot, strerror(errno));
		goto out;
	}
	run_gnuplot(gnuplot, x.dir, &rp->plot_note);
	for (size_t i = 0; i < x.n_pending; i++) {
		char *p = rp_path(rp, "%s", x.pending[i]);
		struct stat sb;

		if (stat(p, &sb) == 0 && sb.st_size > 0) {
			rp->plots = xrealloc(rp->plots, (rp->n_plots + 1) * sizeof(char *));
			rp->plot_titles = xrealloc(rp->plot_titles, (rp->n_plots + 1) * sizeof(char *));
			rp->plots[rp->n_plots] = x.pending[i];
			rp->plot_titles[rp->n_plots] = x.pending_titles[i];
			rp->n_plots++;
			x.pending[i] = x.pending_titles[i] = NULL;
		}
		free(p);
	}
	rp->gnuplot = rp->n_plots > 0 && !rp->plot_note;
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
