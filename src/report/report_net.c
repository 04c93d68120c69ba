/* report.md's "Network" section: what every link direction was shaped to,
 * from the shaping keys of the experiment as each case applied them (the
 * config layer's key table gives the names and the file's units). One table:
 * a row per direction of a shaped link, or per group of cases where the
 * cases shape that direction differently; a column per key that some
 * direction sets to other than its default. The links no case shapes follow
 * as one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util/util.h"

#define NET_MAX_KEYS 64

/* Whether some case sets shaping key @i of link @l, either direction, to
 * other than its default. */
static bool link_sets(const struct report *rp, size_t l, size_t i)
{
	char buf[64];

	for (size_t k = 0; k < rp->n_cases; k++)
		for (int d = 0; d < 2; d++)
			if (config_shape_text(&rp_case_cfg(rp, k)->links[l].dir[d], i, buf, sizeof(buf)))
				return true;
	return false;
}

/* Whether some case shapes link @l by a key of @shown. */
static bool link_shaped(const struct report *rp, size_t l, const bool *shown)
{
	for (size_t i = 0; config_shape_key(i) && i < NET_MAX_KEYS; i++)
		if (shown[i] && link_sets(rp, l, i))
			return true;
	return false;
}

/* Which shaping keys get a column; how many do. */
static size_t shown_keys(const struct report *rp, bool *shown)
{
	size_t n = 0;

	for (size_t i = 0; config_shape_key(i) && i < NET_MAX_KEYS; i++) {
		shown[i] = false;
		for (size_t l = 0; l < rp->c->n_links && !shown[i]; l++)
			shown[i] = link_sets(rp, l, i);
		n += shown[i];
	}
	return n;
}

/* The cells of direction @sh, a value per shown key ("—" for a default),
 * joined by "\x1f" to compare rows whole. */
static char *cells(const struct tb_shape *sh, const bool *shown)
{
	char *s = NULL, buf[64];
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	for (size_t i = 0; config_shape_key(i) && i < NET_MAX_KEYS; i++)
		if (shown[i])
			fprintf(f, "%s\x1f", config_shape_text(sh, i, buf, sizeof(buf)) ? buf : "—");
	fclose(f);
	return s;
}

/* The cells of a row made by cells(). */
static void row_cells(struct rp_tab *t, const char *row)
{
	for (const char *p = row, *e; (e = strchr(p, '\x1f')); p = e + 1)
		rp_tab_cell(t, "%.*s", (int)(e - p), p);
}

/* The cases (1-based) whose cells are @row[k0]'s, as ranges ("1–3, 5"), or
 * "all"; marks them done. */
static void case_list(FILE *f, char **row, bool *done, size_t n, size_t k0)
{
	size_t listed = 0, first = SIZE_MAX, same = 0;

	for (size_t k = 0; k0 == 0 && k < n; k++) /* only the first group can be all */
		same += !strcmp(row[k], row[k0]);
	if (same == n)
		fputs("all", f);
	for (size_t k = k0; k <= n; k++) {
		bool in = k < n && !done[k] && !strcmp(row[k], row[k0]);

		if (in) {
			done[k] = true;
			first = first == SIZE_MAX ? k : first;
			continue;
		}
		if (first == SIZE_MAX || same == n)
			continue;
		fprintf(f, "%s%zu", listed++ ? ", " : "", first + 1);
		if (k - 1 > first)
			fprintf(f, "%s%zu", k - 1 > first + 1 ? "–" : ", ", k);
		first = SIZE_MAX;
	}
}

/* The rows of direction @d of link @l: one per group of cases alike. */
static void dir_rows(struct rp_tab *t, const struct report *rp, size_t l, int d, const bool *shown)
{
	const struct tb_link *lk = &rp->c->links[l];
	const char *a = rp->c->nodes[lk->end[d].node].name, *b = rp->c->nodes[lk->end[1 - d].node].name;
	char **row = xcalloc(rp->n_cases + 1, sizeof(char *));
	bool *done = xcalloc(rp->n_cases + 1, sizeof(bool));

	for (size_t k = 0; k < rp->n_cases; k++)
		row[k] = cells(&rp_case_cfg(rp, k)->links[l].dir[d], shown);
	for (size_t k = 0; k < rp->n_cases; k++) {
		char *list = NULL;
		size_t len = 0;
		FILE *m;

		if (done[k])
			continue;
		m = open_memstream(&list, &len);
		if (!m)
			abort();
		case_list(m, row, done, rp->n_cases, k);
		fclose(m);
		rp_tab_cell(t, "%s", lk->name);
		rp_tab_cell(t, "%s → %s", a, b);
		if (rp->n_cases > 1)
			rp_tab_cell(t, "%s", list);
		row_cells(t, row[k]);
		free(list);
	}
	for (size_t k = 0; k < rp->n_cases; k++)
		free(row[k]);
	free(row);
	free(done);
}

/* The links left out of the table, which no case shapes. */
static void unshaped(struct rp_tab *t, const struct report *rp, const bool *shown)
{
	char *s = NULL;
	size_t n = 0, len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	for (size_t l = 0; l < rp->c->n_links; l++)
		if (!link_shaped(rp, l, shown))
			fprintf(f, "%s%s", n++ ? ", " : "Not shaped: ", rp->c->links[l].name);
	fclose(f);
	if (n)
		rp_tab_para(t, true, "%s.", s);
	free(s);
}

void rp_network_tab(const struct report *rp, struct rp_tab *t)
{
	bool shown[NET_MAX_KEYS];
	size_t n = rp->n_cases ? shown_keys(rp, shown) : 0;

	rp_tab_title(t, 2, "Network");
	if (!n) {
		rp_tab_para(t, false, "No link is shaped: every link direction runs at the speed of a "
				      "veth pair, without delay or loss.");
		return;
	}
	rp_tab_para(t, false, "What each link direction was shaped to (the `[link]` keys of "
			      "docs/config.md, as each case set them; `—`: the key's default, no "
			      "shaping by it). How they become qdiscs: docs/shaping.md.");
	rp_tab_col(t, false, "link");
	rp_tab_col(t, false, "direction");
	if (rp->n_cases > 1)
		rp_tab_col(t, false, "cases");
	for (size_t i = 0; config_shape_key(i) && i < NET_MAX_KEYS; i++)
		if (shown[i])
			rp_tab_col(t, false, "%s", config_shape_key(i));
	for (size_t l = 0; l < rp->c->n_links; l++)
		for (int d = 0; d < 2 && link_shaped(rp, l, shown); d++)
			dir_rows(t, rp, l, d, shown);
	unshaped(t, rp, shown);
}
