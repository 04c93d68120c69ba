/* report.html: the report in one self-contained file for a browser. The
 * same tables as report.md (built once by the sections' rp_*_tab and
 * rendered as HTML), the expectations, the ladders, the gnuplot SVGs inline,
 * and the time series of the plots (rp->series, embedded as JSON) drawn by
 * dygraphs, whose script is read from Debian's libjs-dygraphs at run time
 * and inlined. Nothing is loaded from anywhere else: no network, no external
 * script, style or font. Without libjs-dygraphs the page still has every
 * table and SVG, and says what the interactive plots need. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_int.h"
#include "util/jsonfile.h"
#include "util/util.h"

#define DYGRAPHS_JS "/usr/share/javascript/dygraphs/dygraph.min.js"
#define DYGRAPHS_CSS "/usr/share/javascript/dygraphs/dygraph.min.css"

static const char css[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
	"color:#1d2329;background:#fafbfc}\n"
	"main{max-width:1200px;margin:0 auto;padding:1em 2em 4em}\n"
	"nav{position:sticky;top:0;background:#24292f;color:#fff;padding:.5em 2em;z-index:20}\n"
	"nav a{color:#cfe3ff;margin-right:1.2em;text-decoration:none}\n"
	"h1{margin:.6em 0 .3em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;"
	"margin-top:2em}\n"
	"code,pre{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:.9em}\n"
	"code{background:#eef1f4;padding:0 .25em;border-radius:3px}\n"
	".scroll{overflow-x:auto}\n"
	"table.tab{border-collapse:collapse;margin:.5em 0 1em;background:#fff}\n"
	"table.tab th,table.tab td{border:1px solid #d0d7de;padding:.25em .6em;"
	"vertical-align:top}\n"
	"table.tab th{background:#f0f3f6;text-align:left}\n"
	"table.tab td.num,table.tab th.num{text-align:right;white-space:nowrap}\n"
	"table.tab tbody tr:hover{background:#f5f9ff}\n"
	"pre.ladder{background:#fff;border:1px solid #d0d7de;padding:.6em;overflow-x:auto}\n"
	"figure{margin:1em 0 2em;background:#fff;border:1px solid #d0d7de;padding:.6em}\n"
	"figcaption{font-weight:600;margin-bottom:.4em}\n"
	"figure.svgplot svg{max-width:100%;height:auto;display:block}\n"
	"figure.chart{display:grid;grid-template-columns:780px 1fr;gap:.5em 1em}\n"
	"figure.chart figcaption,figure.chart .src{grid-column:1/3}\n"
	".src{color:#57606a;font-size:.85em}\n"
	".toggles label{display:block;cursor:pointer}\n"
	".legend{margin-top:.8em;font-size:.9em;min-height:4em}\n"
	".dygraph-legend{position:static!important;width:auto!important;background:none!important}\n"
	".nojs{background:#fff8c5;border:1px solid #d4a72c;padding:.6em}\n";

/* @js inside a <script>, without its source-map comment (a page of its own
 * has no map to load) and with no "</script" that would end the element. */
static void put_script(FILE *f, const char *js, size_t len)
{
	const char *map = strstr(js, "\n//# sourceMappingURL=");

	if (map)
		len = (size_t)(map - js) + 1;
	fputs("<script>\n", f);
	for (size_t i = 0; i < len; i++) {
		if (js[i] == '<' && !strncasecmp(js + i, "</script", 8)) {
			fputs("<\\/", f);
			i++;
			continue;
		}
		fputc(js[i], f);
	}
	fputs("\n</script>\n", f);
}

/* The links to the sections the page has (@tabs: rp_sections' tables). */
static void nav(FILE *f, const struct report *rp, const struct rp_tab *tabs)
{
	fputs("<nav><a href=\"#top\">Run</a>", f);
	for (size_t i = 0; rp_sections[i].build; i++) {
		if (!tabs[i].title)
			continue;
		fprintf(f, "<a href=\"#%s\">", rp_sections[i].id);
		rp_html_text(f, tabs[i].title);
		fputs("</a>", f);
	}
	if (rp->n_ex)
		fputs("<a href=\"#expectations\">Expectations</a>", f);
	fputs("<a href=\"#timeseries\">Time series</a><a href=\"#plots\">Plots</a></nav>\n", f);
}

static void head(FILE *f, const struct report *rp, const struct rp_tab *tabs)
{
	size_t len = 0;
	char *dcss = tb_file_read(DYGRAPHS_CSS, SIZE_MAX, &len);

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      f);
	rp_html_esc(f, rp->c->exp.name, strlen(rp->c->exp.name));
	fputs(" — testbed report</title>\n<style>\n", f);
	if (dcss)
		fwrite(dcss, 1, len, f);
	fprintf(f, "\n%s</style>\n", css);
	put_script(f, rp_html_js_early, strlen(rp_html_js_early));
	fputs("</head>\n<body id=\"top\">\n", f);
	nav(f, rp, tabs);
	fputs("<main>\n", f);
	free(dcss);
}

/* The header's table, and the runs that did not complete. */
static void header(FILE *f, const struct report *rp)
{
	struct rp_tab t = { 0 };

	rp_header_tab(rp, &t);
	rp_tab_html(f, &t, "run");
	rp_tab_free(&t);
	if (rp->n_usable == rp->n_runs && rp->n_runs)
		return;
	fprintf(f, "<div class=\"nojs\"><strong>Note:</strong> %zu of %zu runs did not complete; "
		   "their numbers are left out of the statistics.<ul>\n",
		rp->n_runs - rp->n_usable, rp->n_runs);
	for (size_t i = 0; i < rp->n_runs; i++) {
		const struct rp_run *r = &rp->runs[i];

		if (r->usable)
			continue;
		fprintf(f, "<li><code>%s</code>: %s", r->dir, r->status);
		if (r->error) {
			fputs(": ", f);
			rp_html_esc(f, r->error, strlen(r->error));
		}
		fputs("</li>\n", f);
	}
	fputs(rp->n_runs ? "</ul></div>\n" : "<li>no run directory was found</li></ul></div>\n", f);
}

/* The metrics of combination @cb: "`goodput(bulk, cc=bbr)` = 91.7 Mbit/s
 * (median of 3, 90.1 Mbit/s – 92.0 Mbit/s)", or why it has no value. */
static void terms_cell(struct rp_tab *t, const struct rp_combo *cb)
{
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		abort();
	for (size_t i = 0; i < cb->n_terms; i++) {
		if (rp_term_repeated(cb, i))
			continue;
		fprintf(m, "%s`%s` = ", i ? "; " : "", cb->terms[i].text);
		rp_term_value(m, &cb->terms[i]);
	}
	fclose(m);
	rp_tab_cell(t, "%s", s);
	free(s);
}

/* Expectation @re's rows: one per combination it was evaluated at. */
static void expect_rows(struct rp_tab *t, const struct rp_expect *re)
{
	char a[48], b[48];

	if (re->why_not || !re->n_combos) {
		rp_tab_cell(t, "%s", re->held ? "**HELD**" : "**NOT HELD**");
		rp_tab_cell(t, "`%s`: `%s`", re->e->name, re->e->text ? re->e->text : "");
		rp_tab_cell(t, "—");
		rp_tab_cell(t, "%s", re->why_not ? re->why_not : "—");
		rp_tab_cell(t, "—");
		return;
	}
	for (size_t j = 0; j < re->n_combos; j++) {
		const struct rp_combo *cb = &re->combos[j];

		rp_tab_cell(t, "%s", cb->held ? "**HELD**" : "**NOT HELD**");
		rp_tab_cell(t, "`%s`: `%s`", re->e->name, re->e->text ? re->e->text : "");
		rp_tab_cell(t, "%s", *cb->where ? cb->where : "all");
		rp_tab_cell(t, "%s%s %s %s%s%s%s", cb->nodata ? "no data: " : "",
			    rp_fmt(cb->lhs, re->lhs_unit, a, sizeof(a)), rp_cmp_text(re->e->cmp),
			    rp_fmt(cb->rhs, re->rhs_unit, b, sizeof(b)),
			    cb->reason && !cb->nodata ? " (" : "",
			    cb->reason && !cb->nodata ? cb->reason : "",
			    cb->reason && !cb->nodata ? ")" : "");
		terms_cell(t, cb);
	}
}

/* The expectations: a row per expectation and combination of the swept
 * values it was evaluated at, coloured by the verdict. */
static void expectations(FILE *f, const struct report *rp)
{
	struct rp_tab t = { 0 };
	static const char *const cols[] = { "verdict", "expectation", "at", "values", "metrics" };

	if (!rp->n_ex)
		return;
	rp_tab_title(&t, 2, "Expectations: %zu of %zu held", rp_n_held(rp), rp->n_ex);
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++)
		rp_tab_col(&t, false, "%s", cols[i]);
	for (size_t i = 0; i < rp->n_ex; i++)
		expect_rows(&t, &rp->ex[i]);
	rp_tab_html(f, &t, "expectations");
	rp_tab_free(&t);
}

/* The events' changes, for the page's script to mark on the charts' time
 * axes (as report.md's plots do: up to as many lines). */
static void event_marks(FILE *f, const struct report *rp)
{
	json_t *ev = rp_series_events(rp->c, 100);
	char *json = json_dumps(ev, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_REAL_PRECISION(9));

	fputs("<script type=\"application/json\" id=\"tb-events\">", f);
	fputs(json ? json : "[]", f);
	fputs("</script>\n", f);
	free(json);
	json_decref(ev);
}

/* The interactive time series: their data as JSON, dygraphs and the page's
 * script; without dygraphs, a note saying what they need. */
static void timeseries(FILE *f, const struct report *rp)
{
	const char *js_path = getenv("TESTBED_DYGRAPHS");
	char *json = rp->series ? json_dumps(rp->series, JSON_COMPACT | JSON_ESCAPE_SLASH |
								     JSON_REAL_PRECISION(9)) :
				  NULL;
	size_t len = 0;
	char *js;

	if (!js_path || !*js_path)
		js_path = DYGRAPHS_JS;
	js = tb_file_read(js_path, SIZE_MAX, &len);
	fputs("<h2 id=\"timeseries\">Time series</h2>\n", f);
	if (!json_array_size(rp->series))
		fputs("<p>No time series: the flows wrote none, or no run completed.</p>\n", f);
	else if (!js)
		fprintf(f, "<p class=\"nojs\">The interactive plots need libjs-dygraphs (<code>apt-get "
			   "install libjs-dygraphs</code>; <code>%s</code> was not there when this "
			   "report was written; <code>testbed report</code> writes it again). The data "
			   "is in this page and in <code>plots/*.dat</code>; the SVG plots below show "
			   "it.</p>\n",
			js_path);
	else
		fputs("<p>Hover over a plot for the values at that time; the checkboxes show and hide "
		      "each series; drag to zoom, double-click to zoom out.</p>\n",
		      f);
	fputs("<div id=\"tb-charts\"></div>\n<script type=\"application/json\" id=\"tb-series\">", f);
	fputs(json ? json : "[]", f);
	fputs("</script>\n", f);
	event_marks(f, rp);
	if (js && json_array_size(rp->series))
		put_script(f, js, len);
	put_script(f, rp_html_js_page, strlen(rp_html_js_page));
	free(js);
	free(json);
}

/* Each SVG gnuplot wrote, inline (without its XML prolog). */
static void plots(FILE *f, const struct report *rp)
{
	fputs("<h2 id=\"plots\">Plots</h2>\n", f);
	if (rp->plot_note) {
		fputs("<p>", f);
		rp_html_esc(f, rp->plot_note, strlen(rp->plot_note));
		fputs("</p>\n", f);
	}
	for (size_t i = 0; i < rp->n_plots; i++) {
		char *p = rp_path(rp, "%s", rp->plots[i]), *svg, *start;
		size_t len = 0;

		svg = tb_file_read(p, SIZE_MAX, &len);
		start = svg ? strstr(svg, "<svg") : NULL;
		fputs("<figure class=\"svgplot\"><figcaption>", f);
		rp_html_esc(f, rp->plot_titles[i], strlen(rp->plot_titles[i]));
		fprintf(f, " <span class=\"src\">(%s)</span></figcaption>\n", rp->plots[i]);
		if (start)
			fwrite(start, 1, len - (size_t)(start - svg), f);
		else
			fprintf(f, "<p>%s is unreadable.</p>", rp->plots[i]);
		fputs("</figure>\n", f);
		free(svg);
		free(p);
	}
}

static void body(FILE *f, struct report *rp)
{
	struct rp_tab tabs[16] = { 0 };
	size_t n = 0;

	for (; rp_sections[n].build && n < ARRAY_SIZE(tabs); n++)
		rp_sections[n].build(rp, &tabs[n]);
	head(f, rp, tabs);
	header(f, rp);
	for (size_t i = 0; i < n; i++) {
		rp_tab_html(f, &tabs[i], rp_sections[i].id);
		rp_tab_free(&tabs[i]);
	}
	expectations(f, rp);
	rp_ladders(f, rp, true);
	timeseries(f, rp);
	plots(f, rp);
	fprintf(f, "<p class=\"src\">Written by testbed %s; <code>testbed report DIR</code> writes "
		   "it again. <code>summary.json</code> has every statistic; docs/report.md says "
		   "what each means.</p>\n</main>\n",
		TB_VERSION);
	put_script(f, rp_html_js_selftest, strlen(rp_html_js_selftest));
	fputs("</body>\n</html>\n", f);
}

int rp_write_html(struct report *rp)
{
	return rp_write_file(rp, "report.html", body);
}
