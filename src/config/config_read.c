/* Reading a file with libinih into raw entries.
 *
 * inih does the tokenizing. Our reader callback hands it one line at a time,
 * which gives us the line number and the raw text (for columns) of every
 * pair, and it slips a marker pair in after each section header so that
 * empty sections ("[node c1]" alone) are seen too. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"

#define MARKER "\001"
#define MAX_LINE 4000
#define MAX_FILE (4u << 20)

/* File names live for the whole process: every tb_loc points at one. */
static char **interned;
static size_t n_interned, cap_interned;

const char *cfg_intern(const char *s)
{
	for (size_t i = 0; i < n_interned; i++)
		if (strcmp(interned[i], s) == 0)
			return interned[i];
	interned = tb_grow(interned, &cap_interned, n_interned, sizeof(*interned));
	interned[n_interned] = xstrdup(s);
	return interned[n_interned++];
}

struct reader {
	const char *buf;
	size_t len, pos;
	int line;
	char raw[MAX_LINE + 2];
	bool marker;
	struct raw_file *rf;
	struct cfg_ctx *x;
	int sect;
};

static void raw_error(struct reader *r, int col, const char *msg)
{
	struct tb_loc loc = { r->rf->path, r->line, col };

	diag_error(r->x->d, &loc, "%s", msg);
}

/* Is the trimmed line a well-formed "[...]" header? Reports what is wrong. */
static bool check_header(struct reader *r, const char *s)
{
	const char *p = s + 1;
	int col = (int)(s - r->raw) + 1;

	for (; *p && *p != ']'; p++) {
		if (*p == ';' && isspace((unsigned char)p[-1]))
			break;
	}
	if (*p != ']') {
		raw_error(r, col, "unterminated section header (missing \"]\")");
		return false;
	}
	for (p++; *p && isspace((unsigned char)*p); p++)
		;
	if (*p && *p != ';' && *p != '#') {
		raw_error(r, (int)(p - r->raw) + 1, "unexpected text after section header");
		return false;
	}
	return true;
}

static char *reader_fn(char *str, int num, void *stream)
{
	struct reader *r = stream;
	const char *nl, *s;
	size_t n, cap = (size_t)num - 2;

	if (r->marker) {
		r->marker = false;
		snprintf(str, (size_t)num, "%s=\n", MARKER);
		return str;
	}
	if (r->pos >= r->len)
		return NULL;
	nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
	n = nl ? (size_t)(nl - (r->buf + r->pos)) : r->len - r->pos;
	r->line++;
	if (n > MAX_LINE) {
		raw_error(r, MAX_LINE + 1, "line too long (at most 4000 characters)");
		n = MAX_LINE;
	}
	if (n > cap) { /* inih's buffer smaller than we asked: never silently */
		raw_error(r, (int)cap + 1, "line too long for the parser");
		n = cap;
	}
	memcpy(r->raw, r->buf + r->pos, n);
	r->raw[n] = 0;
	r->pos = nl ? (size_t)(nl - r->buf) + 1 : r->len;
	if (n && r->raw[n - 1] == '\r')
		r->raw[--n] = 0;
	for (size_t i = 0; i < n; i++) {
		if (r->raw[i] == 0 || r->raw[i] == MARKER[0]) {
			raw_error(r, (int)i + 1, "control character in file");
			r->raw[i] = ' ';
		}
	}
	for (s = r->raw; isspace((unsigned char)*s); s++)
		;
	if (*s == '[') {
		if (check_header(r, s))
			r->marker = true;
		else
			r->raw[0] = '#'; /* reported; let inih skip it */
	}
	memcpy(str, r->raw, n);
	str[n] = '\n';
	str[n + 1] = 0;
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	struct raw_file *rf = r->rf;
	struct raw_entry *e;
	const char *k, *v;

	rf->e = tb_grow(rf->e, &rf->cap, rf->n, sizeof(*rf->e));
	e = &rf->e[rf->n];
	memset(e, 0, sizeof(*e));
	for (k = r->raw; isspace((unsigned char)*k); k++)
		;
	e->loc.file = rf->path;
	e->loc.line = r->line;
	e->loc.col = (int)(k - r->raw) + 1;
	if (strcmp(name, MARKER) == 0) {
		e->sect = ++r->sect;
		e->sect_name = xstrdup(section);
		rf->n++;
		return 1;
	}
	e->sect = r->sect;
	e->sect_name = xstrdup(section);
	e->key = xstrdup(name);
	e->value = value ? xstrdup(value) : NULL;
	v = strpbrk(k, "=:");
	if (v) {
		size_t n;

		for (v++; isspace((unsigned char)*v); v++)
			;
		e->val_col = (int)(v - r->raw) + 1;
		for (n = strlen(v); n && isspace((unsigned char)v[n - 1]); n--)
			;
		e->raw = strndup(v, n);
	} else {
		e->val_col = e->loc.col;
	}
	rf->n++;
	return 1;
}

void cfg_raw_free(struct raw_file *rf)
{
	for (size_t i = 0; i < rf->n; i++) {
		free(rf->e[i].sect_name);
		free(rf->e[i].key);
		free(rf->e[i].value);
		free(rf->e[i].raw);
	}
	free(rf->e);
	memset(rf, 0, sizeof(*rf));
}

void cfg_read_raw(struct cfg_ctx *x, const char *path, const char *buf, size_t len,
		     struct raw_file *rf)
{
	struct reader r = { .buf = buf, .len = len, .x = x, .rf = rf };
	int rc;

	rf->path = cfg_intern(path);
	ini_allow_multiline = false;
	ini_allow_no_value = true;
	ini_allow_inline_comments = true;
	ini_stop_on_first_error = false;
	/* Debian's libinih takes these at run time; its heap buffer starts at
	 * ini_initial_alloc (200 by default) and, without realloc, never grows
	 * past it whatever ini_max_line says: lines were cut at 198 characters */
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_initial_alloc = MAX_LINE + 3;
	ini_max_line = MAX_LINE + 3;
	rc = ini_parse_stream(reader_fn, &r, handler, &r);
	if (rc == -2)
		diag_error(x->d, NULL, "%s: out of memory while parsing", path);
}

const char *cfg_slurp_error(int err)
{
	return err == EINVAL ? "not a regular file" : strerror(err);
}

char *cfg_slurp(const char *path, size_t *len, int *err)
{
	/* O_NONBLOCK: opening a FIFO given as the file blocked check forever;
	 * anything but a regular file is refused below before a read */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
	struct stat st;
	char *buf;

	if (!f) {
		*err = errno;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		fclose(f);
		return NULL;
	}
	if ((size_t)st.st_size > MAX_FILE) {
		*err = EFBIG;
		fclose(f);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	*len = fread(buf, 1, (size_t)st.st_size, f);
	buf[*len] = 0;
	fclose(f);
	return buf;
}
