/* The tables of the report, built once from the run's data and rendered
 * twice: as Markdown into report.md and as HTML into report.html. A section
 * is a heading, paragraphs before the table, the table (a header row with
 * each column's alignment, then the cells row by row), paragraphs after it
 * and a bulleted list. Text carries the inline spans report.md has always
 * used: `code`, **strong** and backslash escapes; Markdown gets it as it is,
 * HTML gets <code> and <strong> and everything else escaped. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util/util.h"

static char *vfmt(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

static void push(char ***v, size_t *n, size_t *cap, char *s)
{
	*v = tb_grow(*v, cap, *n, sizeof(**v));
	(*v)[(*n)++] = s;
}

void rp_tab_title(struct rp_tab *t, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(t->title);
	t->title = vfmt(fmt, ap);
	t->level = level;
	va_end(ap);
}

void rp_tab_para(struct rp_tab *t, bool after, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (after)
		push(&t->notes, &t->n_notes, &t->cap_notes, vfmt(fmt, ap));
	else
		push(&t->intro, &t->n_intro, &t->cap_intro, vfmt(fmt, ap));
	va_end(ap);
}

void rp_tab_item(struct rp_tab *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push(&t->items, &t->n_items, &t->cap_items, vfmt(fmt, ap));
	va_end(ap);
}

void rp_tab_col(struct rp_tab *t, bool right, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t->right = tb_grow(t->right, &t->cap_right, t->n_cols, sizeof(*t->right));
	t->right[t->n_cols] = right;
	push(&t->head, &t->n_cols, &t->cap_cols, vfmt(fmt, ap));
	va_end(ap);
}

void rp_tab_cell(struct rp_tab *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push(&t->cells, &t->n_cells, &t->cap_cells, vfmt(fmt, ap));
	va_end(ap);
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void rp_tab_free(struct rp_tab *t)
{
	free(t->title);
	free_strs(t->intro, t->n_intro);
	free_strs(t->notes, t->n_notes);
	free_strs(t->items, t->n_items);
	free_strs(t->head, t->n_cols);
	free_strs(t->cells, t->n_cells);
	free(t->right);
	memset(t, 0, sizeof(*t));
}

/* --- Markdown ------------------------------------------------------------- */

static void md_row(FILE *f, char *const *cells, size_t n)
{
	fputc('|', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, *cells[i] ? " %s |" : " |", cells[i]);
	fputc('\n', f);
}

void rp_tab_md(FILE *f, const struct rp_tab *t)
{
	if (t->title)
		fprintf(f, "%.*s %s\n\n", t->level, "######", t->title);
	for (size_t i = 0; i < t->n_intro; i++)
		fprintf(f, "%s\n\n", t->intro[i]);
	if (t->n_cols) {
		md_row(f, t->head, t->n_cols);
		fputc('|', f);
		for (size_t i = 0; i < t->n_cols; i++)
			fputs(t->right[i] ? "---:|" : "---|", f);
		fputc('\n', f);
		for (size_t r = 0; r + t->n_cols <= t->n_cells; r += t->n_cols)
			md_row(f, t->cells + r, t->n_cols);
		fputc('\n', f);
	}
	for (size_t i = 0; i < t->n_notes; i++)
		fprintf(f, "%s\n\n", t->notes[i]);
	for (size_t i = 0; i < t->n_items; i++)
		fprintf(f, "- %s\n", t->items[i]);
	if (t->n_items)
		fputc('\n', f);
}

/* --- HTML ----------------------------------------------------------------- */

void rp_markup_put(FILE *f, const char *s, size_t n, bool attr)
{
	static const char *const ent[128] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;",
					      ['"'] = "&quot;", ['\''] = "&apos;" };

	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); n && *p; p++, n--) {
		if (*p < 128 && ent[*p])
			fputs(ent[*p], f);
		else if (*p == '\t' || *p == '\n' || *p == '\r')
			attr ? fprintf(f, "&#%d;", *p) : fputc(*p, f);
		else
			fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
	}
}

void rp_html_esc(FILE *f, const char *s, size_t n)
{
	rp_markup_put(f, s, n, false);
}

void rp_html_text(FILE *f, const char *s)
{
	bool code = false, strong = false;

	for (; s && *s; s++) {
		if (*s == '\\' && s[1] && !code) {
			rp_html_esc(f, ++s, 1);
		} else if (*s == '`') {
			fputs(code ? "</code>" : "<code>", f);
			code = !code;
		} else if (*s == '*' && s[1] == '*' && !code) {
			fputs(strong ? "</strong>" : "<strong>", f);
			strong = !strong;
			s++;
		} else {
			rp_html_esc(f, s, 1);
		}
	}
	if (code)
		fputs("</code>", f);
	if (strong)
		fputs("</strong>", f);
}

static void html_row(FILE *f, const struct rp_tab *t, char *const *cells, const char *tag)
{
	fputs("<tr>", f);
	for (size_t i = 0; i < t->n_cols; i++) {
		fprintf(f, "<%s%s>", tag, t->right[i] ? " class=\"num\"" : "");
		rp_html_text(f, cells[i]);
		fprintf(f, "</%s>", tag);
	}
	fputs("</tr>\n", f);
}

/* Whether one of @n cells has text (a header row of empty cells is left out). */
static bool any_text(char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (*cells[i])
			return true;
	return false;
}

void rp_tab_html(FILE *f, const struct rp_tab *t, const char *id)
{
	if (t->title) {
		fprintf(f, "<h%d id=\"%s\">", t->level, id);
		rp_html_text(f, t->title);
		fprintf(f, "</h%d>\n", t->level);
	}
	for (size_t i = 0; i < t->n_intro; i++) {
		fputs("<p>", f);
		rp_html_text(f, t->intro[i]);
		fputs("</p>\n", f);
	}
	if (t->n_cols) {
		fprintf(f, "<div class=\"scroll\"><table class=\"tab\" data-table=\"%s\">\n", id);
		if (any_text(t->head, t->n_cols)) {
			fputs("<thead>", f);
			html_row(f, t, t->head, "th");
			fputs("</thead>\n", f);
		}
		fputs("<tbody>\n", f);
		for (size_t r = 0; r + t->n_cols <= t->n_cells; r += t->n_cols)
			html_row(f, t, t->cells + r, "td");
		fputs("</tbody></table></div>\n", f);
	}
	for (size_t i = 0; i < t->n_notes; i++) {
		fputs("<p>", f);
		rp_html_text(f, t->notes[i]);
		fputs("</p>\n", f);
	}
	if (t->n_items)
		fputs("<ul>\n", f);
	for (size_t i = 0; i < t->n_items; i++) {
		fputs("<li>", f);
		rp_html_text(f, t->items[i]);
		fputs("</li>\n", f);
	}
	if (t->n_items)
		fputs("</ul>\n", f);
}
