#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* @s with control characters (ESC, other C0 bytes, DEL) written as \xNN: a
 * name in a file must not drive the terminal its message is printed on. */
static char *escape_controls(char *s)
{
	size_t n = 0;
	char *out, *o;

	for (const char *p = s; *p; p++)
		n += (unsigned char)*p < 0x20 || *p == 0x7f ? 4 : 1;
	if (n == strlen(s))
		return s;
	out = o = xmalloc(n + 1);
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			o += sprintf(o, "\\x%02x", (unsigned char)*p);
		else
			*o++ = *p;
	}
	*o = 0;
	free(s);
	return out;
}

static void vadd(struct tb_diag *d, enum tb_severity sev, const struct tb_loc *loc,
		 const char *fmt, va_list ap) TB_PRINTF(4, 0);

static void vadd(struct tb_diag *d, enum tb_severity sev, const struct tb_loc *loc,
		 const char *fmt, va_list ap)
{
	struct tb_diag_msg *m;

	d->msgs = tb_grow(d->msgs, &d->cap, d->n, sizeof(*d->msgs));
	m = &d->msgs[d->n];
	m->file = xstrdup(loc && loc->file ? loc->file : "");
	m->line = loc ? loc->line : 0;
	m->col = loc ? loc->col : 0;
	m->sev = sev;
	m->seq = d->n;
	if (vasprintf(&m->text, fmt, ap) < 0)
		m->text = xstrdup("(message lost: out of memory)");
	m->text = escape_controls(m->text);
	m->file = escape_controls(m->file);
	d->n++;
	if (sev == TB_SEV_ERROR)
		d->errors++;
	else
		d->warnings++;
}

void diag_error(struct tb_diag *d, const struct tb_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(d, TB_SEV_ERROR, loc, fmt, ap);
	va_end(ap);
}

void diag_warn(struct tb_diag *d, const struct tb_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(d, TB_SEV_WARNING, loc, fmt, ap);
	va_end(ap);
}

static int cmp_msg(const void *pa, const void *pb)
{
	const struct tb_diag_msg *a = pa, *b = pb;
	int r = strcmp(a->file, b->file);

	if (r)
		return r;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void diag_print(struct tb_diag *d, FILE *f)
{
	if (d->n)
		qsort(d->msgs, d->n, sizeof(*d->msgs), cmp_msg);
	for (size_t i = 0; i < d->n; i++) {
		const struct tb_diag_msg *m = &d->msgs[i];
		const char *sev = m->sev == TB_SEV_ERROR ? "error" : "warning";

		/* one message per place: both directions of a link may say the same */
		if (i && m->line == m[-1].line && m->col == m[-1].col && m->sev == m[-1].sev &&
		    !strcmp(m->file, m[-1].file) && !strcmp(m->text, m[-1].text))
			continue;

		if (!m->file[0])
			fprintf(f, "testbed: %s: %s\n", sev, m->text);
		else if (m->line <= 0)
			fprintf(f, "%s: %s: %s\n", m->file, sev, m->text);
		else if (m->col <= 0)
			fprintf(f, "%s:%d: %s: %s\n", m->file, m->line, sev, m->text);
		else
			fprintf(f, "%s:%d:%d: %s: %s\n", m->file, m->line, m->col, sev, m->text);
	}
}

size_t diag_errors(const struct tb_diag *d)
{
	return d->errors;
}

void diag_free(struct tb_diag *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->msgs[i].file);
		free(d->msgs[i].text);
	}
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}
