/* The time series of the plots, for report.html: each data file that
 * report_plot.c writes for a time plot (plots/<flow>_throughput.dat,
 * _latency, _cwnd, _retrans, _tcp_c<K>) read back into rp->series as
 *
 *   {"id": "bulk_throughput", "file": "plots/bulk_throughput.dat",
 *    "title": "...", "ylabel": "Mbit/s", "steps": false,
 *    "series": [{"label": "cc=bbr (c2-r1)", "y2": false,
 *                "points": [[t, v], ...]}]}
 *
 * where v is null for a gap (an interval that measured nothing: NaN or ?
 * in the file), and "t0": the measured time at which a flow's chart starts
 * (rp_series_t0). The page draws them with dygraphs, and the [event]s'
 * changes (rp_series_events) as dotted lines on the charts with a t0, as
 * report.md's plots do. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util/util.h"

#define SERIES_MAX_COLS 8

/* A new series named @label (on the right axis when it starts "y2:"). */
static json_t *new_series(const char *label)
{
	bool y2 = !strncmp(label, "y2:", 3);

	return json_pack("{s:s, s:b, s:[]}", "label", y2 ? label + 3 : label, "y2", y2, "points");
}

/* Row @line ("t v1 v2 ...") appended to the series of @arr from @first,
 * one column each (@ncols of them). */
static void add_row(json_t *arr, size_t first, size_t ncols, char *line)
{
	char *save = NULL, *tok = strtok_r(line, " \t\n", &save);
	double t;

	if (!tok || *tok == '#')
		return;
	t = strtod(tok, NULL);
	for (size_t c = 0; c < ncols; c++) {
		json_t *s = json_array_get(arr, first + c), *pt;
		char *end;
		double v;

		tok = strtok_r(NULL, " \t\n", &save);
		if (!s)
			return;
		v = tok ? strtod(tok, &end) : NAN;
		if (tok && end == tok)
			v = NAN;
		pt = json_pack("[f, o]", t, rp_json_real(v));
		json_array_append_new(json_object_get(s, "points"), pt);
	}
}

/* The rows of @f into @arr: a block (rows up to a blank line) per series
 * when @per_block, else one block with a series per column. */
static void read_rows(FILE *f, json_t *arr, bool per_block)
{
	char *line = NULL;
	size_t cap = 0, block = 0;
	bool in_block = false;

	while (getline(&line, &cap, f) >= 0) {
		bool blank = line[strspn(line, " \t\n")] == 0;

		if (blank) {
			block += in_block;
			in_block = false;
			continue;
		}
		in_block = true;
		if (per_block)
			add_row(arr, block, 1, line);
		else
			add_row(arr, 0, json_array_size(arr), line);
	}
	free(line);
}

void rp_series_add(struct report *rp, const char *dname, const char *title, const char *ylabel,
		   char *const *labels, size_t n_labels, const char *const *cols, bool steps)
{
	char *path = rp_path(rp, "plots/%s", dname), *id = xstrdup(dname);
	FILE *f = fopen(path, "r");
	json_t *arr = json_array();

	id[strcspn(id, ".")] = 0;
	for (size_t i = 0; i < n_labels; i++)
		json_array_append_new(arr, new_series(labels[i]));
	for (size_t i = 0; cols && cols[i] && i < SERIES_MAX_COLS; i++)
		json_array_append_new(arr, new_series(cols[i]));
	if (f) {
		read_rows(f, arr, !cols);
		fclose(f);
	}
	if (!rp->series)
		rp->series = json_array();
	json_array_append_new(rp->series,
			      json_pack("{s:s, s:s+, s:s, s:s, s:b, s:o}", "id", id, "file", "plots/",
					dname, "title", title, "ylabel", ylabel, "steps", steps,
					"series", arr));
	free(id);
	free(path);
}

void rp_series_t0(struct report *rp, double t0_s)
{
	size_t n = json_array_size(rp->series);

	if (n)
		json_object_set_new(json_array_get(rp->series, n - 1), "t0", json_real(t0_s));
}

json_t *rp_series_events(const struct tb_config *c, size_t max)
{
	json_t *a = json_array();
	uint32_t at;
	double frac;

	for (size_t i = 0; i < c->n_events; i++) {
		const struct tb_event *v = &c->events[i];

		for (size_t s = 0; json_array_size(a) < max && !config_event_step(v, s, &at, &frac); s++)
			json_array_append_new(a, json_pack("{s:f, s:s, s:b}", "t", at / 1e6, "name",
							   v->name, "first", s == 0));
	}
	return a;
}
