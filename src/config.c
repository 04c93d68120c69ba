/* Reading topology and experiment files with libinih.
 *
 * inih does the tokenizing. Our reader callback hands it one line at a time,
 * which gives us the line number and the raw text (for columns) of every
 * pair, and it slips a marker pair in after each section header so that
 * empty sections ("[node c1]" alone) are seen too. Every pair is first
 * recorded as a raw entry; the model is then built from the entries, so an
 * experiment can name its topology anywhere in the file. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_int.h"

#define MARKER "\001"
#define MAX_LINE 4000
#define MAX_FILE (4u << 20)

static const char *const section_types[] = { "topology", "experiment", "node",   "link",  "flow",
					     "capture",	 "sweep",      "expect", "case", "event",
					     NULL };
enum sect_type {
	S_TOPOLOGY,
	S_EXPERIMENT,
	S_NODE,
	S_LINK,
	S_FLOW,
	S_CAPTURE,
	S_SWEEP,
	S_EXPECT,
	S_CASE,
	S_EVENT,
	S_NONE
};

/* File names live for the whole process: every tb_loc points at one. */
static char **interned;
static size_t n_interned, cap_interned;

static const char *intern(const char *s)
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
	if (n > cap)
		n = cap;
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
		for (v++; isspace((unsigned char)*v); v++)
			;
		e->val_col = (int)(v - r->raw) + 1;
	} else {
		e->val_col = e->loc.col;
	}
	rf->n++;
	return 1;
}

static void raw_free(struct raw_file *rf)
{
	for (size_t i = 0; i < rf->n; i++) {
		free(rf->e[i].sect_name);
		free(rf->e[i].key);
		free(rf->e[i].value);
	}
	free(rf->e);
	memset(rf, 0, sizeof(*rf));
}

static void read_raw(struct cfg_ctx *x, const char *path, const char *buf, size_t len,
		     struct raw_file *rf)
{
	struct reader r = { .buf = buf, .len = len, .x = x, .rf = rf };
	int rc;

	rf->path = intern(path);
	ini_allow_multiline = false;
	ini_allow_no_value = true;
	ini_allow_inline_comments = true;
	ini_stop_on_first_error = false;
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_max_line = MAX_LINE + 2;
	rc = ini_parse_stream(reader_fn, &r, handler, &r);
	if (rc == -2)
		diag_error(x->d, NULL, "%s: out of memory while parsing", path);
}

static char *slurp(const char *path, size_t *len, int *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;

	if (!f) {
		*err = errno;
		return NULL;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
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

/* --- building the model from raw entries --------------------------------- */

static int find_node(const struct tb_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		if (strcmp(c->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

int config_node(const struct tb_config *c, const char *name)
{
	return find_node(c, name);
}

int config_flow(const struct tb_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_flows; i++)
		if (strcmp(c->flows[i].name, name) == 0)
			return (int)i;
	return -1;
}

static const char *suggest_node(const struct tb_config *c, const char *name)
{
	const char *found = NULL;
	unsigned best = 3;

	for (size_t i = 0; i < c->n_nodes; i++) {
		unsigned dd = tb_edit_distance(c->nodes[i].name, name);

		if (dd < best) {
			best = dd;
			found = c->nodes[i].name;
		}
	}
	return found;
}

void cfg_ref(struct cfg_ctx *x, int *target, const char *name, const struct tb_loc *loc,
	     const char *what)
{
	struct tb_config *c = x->c;
	char *t = (char *)target;
	struct pending_ref *r;

	x->refs = tb_grow(x->refs, &x->cap_refs, x->n_refs, sizeof(*x->refs));
	r = &x->refs[x->n_refs++];
	memset(r, 0, sizeof(*r));
	if (c->n_flows && t >= (char *)c->flows && t < (char *)(c->flows + c->n_flows)) {
		r->home = REF_FLOW;
		r->index = (size_t)(t - (char *)c->flows) / sizeof(*c->flows);
		r->off = (size_t)(t - (char *)&c->flows[r->index]);
	} else if (c->n_captures && t >= (char *)c->captures &&
		   t < (char *)(c->captures + c->n_captures)) {
		r->home = REF_CAPTURE;
		r->index = (size_t)(t - (char *)c->captures) / sizeof(*c->captures);
		r->off = (size_t)(t - (char *)&c->captures[r->index]);
	} else {
		r->home = REF_PTR;
		r->target = target;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->loc = *loc;
	r->what = what;
	*target = -1;
}

int *cfg_ref_target(struct cfg_ctx *x, const struct pending_ref *r)
{
	switch (r->home) {
	case REF_FLOW:
		return (int *)((char *)&x->c->flows[r->index] + r->off);
	case REF_CAPTURE:
		return (int *)((char *)&x->c->captures[r->index] + r->off);
	case REF_PTR:
		break;
	}
	return r->target;
}

static void resolve_refs(struct cfg_ctx *x)
{
	for (size_t i = 0; i < x->n_refs; i++) {
		struct pending_ref *r = &x->refs[i];
		int n = find_node(x->c, r->name);

		if (n < 0 && !x->topology_failed) {
			const char *s = suggest_node(x->c, r->name);

			if (s)
				diag_error(x->d, &r->loc, "%s: unknown node \"%s\" (did you mean \"%s\"?)",
					   r->what, r->name, s);
			else
				diag_error(x->d, &r->loc, "%s: unknown node \"%s\"", r->what, r->name);
		}
		*cfg_ref_target(x, r) = n;
	}
	x->n_refs = 0;
}

struct section {
	enum sect_type type;
	int index; /* object index, -1 when the header was bad */
	const char *sect_name;
};

static enum sect_type parse_header(struct cfg_ctx *x, const struct raw_entry *e, char *name,
				   size_t name_len)
{
	char type[32];
	const char *s = e->sect_name, *sp;
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	sp = s;
	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	n = (size_t)(sp - s);
	if (n >= sizeof(type))
		n = sizeof(type) - 1;
	memcpy(type, s, n);
	type[n] = 0;
	while (isspace((unsigned char)*sp))
		sp++;
	snprintf(name, name_len, "%s", sp);
	for (int i = 0; section_types[i]; i++) {
		if (strcmp(type, section_types[i]) == 0) {
			bool named = i == S_NODE || i == S_LINK || i == S_FLOW || i == S_CAPTURE ||
				     i == S_CASE || i == S_EVENT;

			if (named && !*name) {
				diag_error(x->d, &e->loc, "section [%s] needs a name: [%s NAME]", type,
					   type);
				return S_NONE;
			}
			if (!named && *name) {
				diag_error(x->d, &e->loc, "section [%s] takes no name (found \"%s\")",
					   type, name);
				return S_NONE;
			}
			return (enum sect_type)i;
		}
	}
	{
		const char *sug = cfg_suggest(section_types, type);

		if (sug)
			diag_error(x->d, &e->loc, "unknown section [%s] (did you mean \"%s\"?)",
				   e->sect_name, sug);
		else
			diag_error(x->d, &e->loc,
				   "unknown section [%s] (expected topology, experiment, node, link, "
				   "flow, capture, sweep, case, event or expect)",
				   e->sect_name);
	}
	return S_NONE;
}

static bool check_name(struct cfg_ctx *x, const struct raw_entry *e, const char *kind,
		       const char *name)
{
	if (cfg_valid_name(name))
		return true;
	diag_error(x->d, &e->loc,
		   "bad %s name \"%s\": use a letter then letters, digits or '_' (at most %d)", kind,
		   name, TB_NAME_MAX - 1);
	return false;
}

static int open_node(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	int i = find_node(c, name);
	struct tb_node *n;

	if (!check_name(x, e, "node", name))
		return -1;
	if (i >= 0) {
		if (c->nodes[i].loc.file == e->loc.file) {
			diag_error(x->d, &e->loc, "duplicate node \"%s\" (first defined on line %d)",
				   name, c->nodes[i].loc.line);
			return -1;
		}
		return i; /* an experiment adds to its topology's node */
	}
	if (x->has_topology && !x->in_topology) {
		const char *s = suggest_node(c, name);

		if (s)
			diag_error(x->d, &e->loc,
				   "node \"%s\" is not in the topology (did you mean \"%s\"?)", name, s);
		else
			diag_error(x->d, &e->loc, "node \"%s\" is not in the topology %s", name,
				   c->exp.topology);
		return -1;
	}
	c->nodes = tb_grow(c->nodes, &c->cap_nodes, c->n_nodes, sizeof(*c->nodes));
	n = &c->nodes[c->n_nodes];
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->loc = e->loc;
	return (int)c->n_nodes++;
}

static int find_link(const struct tb_config *c, int a, int b, bool *swapped)
{
	for (size_t i = 0; i < c->n_links; i++) {
		const struct tb_link *l = &c->links[i];

		if (l->end[0].node == a && l->end[1].node == b) {
			*swapped = false;
			return (int)i;
		}
		if (l->end[0].node == b && l->end[1].node == a) {
			*swapped = true;
			return (int)i;
		}
	}
	return -1;
}

static int end_node(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	int n = find_node(x->c, name);

	if (n < 0) {
		const char *s = suggest_node(x->c, name);

		if (s)
			diag_error(x->d, &e->loc, "link end: unknown node \"%s\" (did you mean \"%s\"?)",
				   name, s);
		else
			diag_error(x->d, &e->loc, "link end: unknown node \"%s\"", name);
	}
	return n;
}

static int open_link(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	char a[TB_NAME_MAX * 2], *b;
	int na, nb, i;
	bool swapped;
	struct tb_link *l;

	snprintf(a, sizeof(a), "%s", name);
	b = strchr(a, '-');
	if (!b || strchr(b + 1, '-')) {
		diag_error(x->d, &e->loc, "link name \"%s\" must be NODE-NODE, e.g. [link r1-r2]",
			   name);
		return -1;
	}
	*b++ = 0;
	na = end_node(x, e, a);
	nb = end_node(x, e, b);
	if (na < 0 || nb < 0)
		return -1;
	if (na == nb) {
		diag_error(x->d, &e->loc, "link %s joins node \"%s\" to itself", name, a);
		return -1;
	}
	i = find_link(c, na, nb, &swapped);
	if (i >= 0) {
		if (c->links[i].loc.file == e->loc.file) {
			diag_error(x->d, &e->loc, "duplicate link %s (first defined on line %d)", name,
				   c->links[i].loc.line);
			return -1;
		}
		return i;
	}
	if (x->has_topology && !x->in_topology) {
		diag_error(x->d, &e->loc, "link %s is not in the topology %s", name, c->exp.topology);
		return -1;
	}
	c->links = tb_grow(c->links, &c->cap_links, c->n_links, sizeof(*c->links));
	l = &c->links[c->n_links];
	snprintf(l->name, sizeof(l->name), "%s-%s", a, b);
	l->end[0].node = na;
	l->end[1].node = nb;
	l->end[0].loc = l->end[1].loc = e->loc;
	l->offload = -1;
	cfg_shape_defaults(&l->dir[0]);
	cfg_shape_defaults(&l->dir[1]);
	l->loc = e->loc;
	return (int)c->n_links++;
}

static int open_flow(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	int i = config_flow(c, name);
	struct tb_flow *f;

	if (!check_name(x, e, "flow", name))
		return -1;
	if (i >= 0) {
		diag_error(x->d, &e->loc, "duplicate flow \"%s\" (first defined on line %d)", name,
			   c->flows[i].loc.line);
		return -1;
	}
	c->flows = tb_grow(c->flows, &c->cap_flows, c->n_flows, sizeof(*c->flows));
	f = &c->flows[c->n_flows];
	cfg_flow_defaults(f);
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->worker = -1;
	f->loc = e->loc;
	return (int)c->n_flows++;
}

static int open_capture(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	struct tb_capture *k;

	if (!check_name(x, e, "capture", name))
		return -1;
	for (size_t i = 0; i < c->n_captures; i++) {
		if (strcmp(c->captures[i].name, name) == 0) {
			diag_error(x->d, &e->loc,
				   "duplicate capture \"%s\" (first defined on line %d)", name,
				   c->captures[i].loc.line);
			return -1;
		}
	}
	c->captures = tb_grow(c->captures, &c->cap_captures, c->n_captures, sizeof(*c->captures));
	k = &c->captures[c->n_captures];
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->node = -2; /* not given */
	k->snaplen = 128;
	k->ladder_lines = 40;
	k->max_bytes = 200ull << 20;
	k->loc = e->loc;
	return (int)c->n_captures++;
}

static int open_case(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	struct tb_casedef *k;

	if (!check_name(x, e, "case", name))
		return -1;
	for (size_t i = 0; i < c->n_casedefs; i++) {
		if (strcmp(c->casedefs[i].name, name) == 0) {
			diag_error(x->d, &e->loc, "duplicate case \"%s\" (first defined on line %d)",
				   name, c->casedefs[i].loc.line);
			return -1;
		}
	}
	c->casedefs = tb_grow(c->casedefs, &c->cap_casedefs, c->n_casedefs, sizeof(*c->casedefs));
	k = &c->casedefs[c->n_casedefs];
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->loc = e->loc;
	return (int)c->n_casedefs++;
}

static int open_event(struct cfg_ctx *x, const struct raw_entry *e, const char *name)
{
	struct tb_config *c = x->c;
	struct tb_event *v;

	if (!check_name(x, e, "event", name))
		return -1;
	for (size_t i = 0; i < c->n_events; i++) {
		if (strcmp(c->events[i].name, name) == 0) {
			diag_error(x->d, &e->loc, "duplicate event \"%s\" (first defined on line %d)",
				   name, c->events[i].loc.line);
			return -1;
		}
	}
	c->events = tb_grow(c->events, &c->cap_events, c->n_events, sizeof(*c->events));
	v = &c->events[c->n_events];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->at_us = UINT32_MAX; /* not given */
	v->link = -1;
	v->loc = e->loc;
	return (int)c->n_events++;
}

static void add_setting(struct cfg_ctx *x, struct tb_casedef *k, const struct raw_entry *e)
{
	struct tb_setting *st;

	if (strcmp(e->key, "note") == 0) {
		free(k->note);
		k->note = xstrdup(e->value);
		return;
	}
	if (strncmp(e->key, "flow.", 5) && strncmp(e->key, "link.", 5) &&
	    strncmp(e->key, "node.", 5)) {
		diag_error(x->d, &e->loc,
			   "[case %s]: \"%s\" is neither note nor a key like flow.NAME.KEY, "
			   "link.A-B.KEY or node.NAME.KEY",
			   k->name, e->key);
		return;
	}
	k->set = tb_grow(k->set, &k->cap_set, k->n_set, sizeof(*k->set));
	st = &k->set[k->n_set++];
	st->key = xstrdup(e->key);
	st->value = xstrdup(e->value);
	st->loc = e->loc;
}

static void add_sweep(struct cfg_ctx *x, const struct raw_entry *e)
{
	struct tb_config *c = x->c;
	struct tb_sweep *s;
	struct tb_loc vloc = { e->loc.file, e->loc.line, e->val_col };
	const char *p = e->value;

	if (strcmp(e->key, "case") == 0) {
		diag_error(x->d, &e->loc, "\"case\" is not a sweep key: define [case NAME] sections");
		return;
	}
	for (size_t i = 0; i < c->n_sweeps; i++) {
		if (strcmp(c->sweeps[i].key, e->key) == 0) {
			diag_error(x->d, &e->loc, "duplicate sweep of \"%s\" (first on line %d)", e->key,
				   c->sweeps[i].loc.line);
			return;
		}
	}
	c->sweeps = tb_grow(c->sweeps, &c->cap_sweeps, c->n_sweeps, sizeof(*c->sweeps));
	s = &c->sweeps[c->n_sweeps++];
	s->key = xstrdup(e->key);
	s->short_name = xstrdup(strrchr(e->key, '.') ? strrchr(e->key, '.') + 1 : e->key);
	s->loc = e->loc;
	size_t cap = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char *v;

		while (n && isspace((unsigned char)*p))
			p++, n--;
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		v = strndup(p, n);
		if (!v)
			abort();
		if (!*v) {
			diag_error(x->d, &vloc, "sweep %s: empty value in the list", e->key);
			free(v);
		} else {
			bool dup = false;

			for (size_t i = 0; i < s->n_values; i++)
				dup |= strcmp(s->values[i], v) == 0;
			if (dup) {
				diag_error(x->d, &vloc, "sweep %s: value \"%s\" is listed twice", e->key,
					   v);
				free(v);
			} else {
				s->values = tb_grow(s->values, &cap, s->n_values, sizeof(*s->values));
				s->values[s->n_values++] = v;
			}
		}
		if (!comma)
			break;
		p = comma + 1;
	}
}

static void add_expect(struct cfg_ctx *x, const struct raw_entry *e)
{
	struct tb_config *c = x->c;
	struct tb_expect *ex;

	if (!cfg_valid_name(e->key)) {
		diag_error(x->d, &e->loc,
			   "bad expectation name \"%s\": write NAME = EXPRESSION, e.g. "
			   "bbr_wins = goodput(bulk, cc=bbr) > 5 * goodput(bulk, cc=cubic)",
			   e->key);
		return;
	}
	for (size_t i = 0; i < c->n_expects; i++) {
		if (strcmp(c->expects[i].name, e->key) == 0) {
			diag_error(x->d, &e->loc, "duplicate expectation \"%s\" (first on line %d)",
				   e->key, c->expects[i].loc.line);
			return;
		}
	}
	c->expects = tb_grow(c->expects, &c->cap_expects, c->n_expects, sizeof(*c->expects));
	ex = &c->expects[c->n_expects++];
	snprintf(ex->name, sizeof(ex->name), "%s", e->key);
	ex->text = xstrdup(e->value);
	ex->loc = e->loc;
	ex->loc.col = e->val_col;
}

static bool dup_key(struct cfg_ctx *x, const struct raw_file *rf, size_t idx)
{
	const struct raw_entry *e = &rf->e[idx];

	for (size_t i = idx; i-- > 0;) {
		const struct raw_entry *p = &rf->e[i];

		if (p->sect != e->sect)
			break;
		if (p->key && strcmp(p->key, e->key) == 0) {
			diag_error(x->d, &e->loc, "duplicate key \"%s\" (first set on line %d)", e->key,
				   p->loc.line);
			return true;
		}
	}
	return false;
}

static void apply_key(struct cfg_ctx *x, const struct section *s, const struct raw_entry *e)
{
	struct tb_config *c = x->c;
	struct tb_loc vloc = { e->loc.file, e->loc.line, e->val_col };
	const struct keydef *k;

	switch (s->type) {
	case S_TOPOLOGY:
	case S_EXPERIMENT: {
		const struct keydef *t = s->type == S_TOPOLOGY ? cfg_topology_keys : cfg_experiment_keys;
		void *obj = s->type == S_TOPOLOGY ? (void *)&c->topo : (void *)&c->exp;

		k = cfg_key_find(t, e->key);
		if (!k) {
			const char *sug = cfg_key_suggest(t, e->key);

			if (sug)
				diag_error(x->d, &e->loc,
					   "unknown key \"%s\" in [%s] (did you mean \"%s\"?)", e->key,
					   section_types[s->type], sug);
			else
				diag_error(x->d, &e->loc, "unknown key \"%s\" in [%s]", e->key,
					   section_types[s->type]);
			return;
		}
		if (s->type == S_EXPERIMENT && strcmp(e->key, "topology") == 0)
			return; /* resolved before anything else */
		cfg_key_set(x, k, obj, e->value, &vloc, e->key);
		return;
	}
	case S_NODE:
		cfg_node_set(x, &c->nodes[s->index], e->key, e->value, &e->loc, &vloc);
		return;
	case S_LINK:
		cfg_link_set(x, &c->links[s->index], e->key, e->value, &e->loc, &vloc);
		return;
	case S_FLOW:
		cfg_flow_set(x, &c->flows[s->index], e->key, e->value, &e->loc, &vloc);
		return;
	case S_CAPTURE:
		k = cfg_key_find(cfg_capture_keys, e->key);
		if (!k) {
			const char *sug = cfg_key_suggest(cfg_capture_keys, e->key);

			if (sug)
				diag_error(x->d, &e->loc,
					   "unknown key \"%s\" in [capture %s] (did you mean \"%s\"?)",
					   e->key, c->captures[s->index].name, sug);
			else
				diag_error(x->d, &e->loc, "unknown key \"%s\" in [capture %s]", e->key,
					   c->captures[s->index].name);
			return;
		}
		cfg_key_set(x, k, &c->captures[s->index], e->value, &vloc, e->key);
		return;
	case S_EVENT:
		k = cfg_key_find(cfg_event_keys, e->key);
		if (!k) {
			const char *sug = cfg_key_suggest(cfg_event_keys, e->key);

			if (sug)
				diag_error(x->d, &e->loc,
					   "unknown key \"%s\" in [event %s] (did you mean \"%s\"?)",
					   e->key, c->events[s->index].name, sug);
			else
				diag_error(x->d, &e->loc, "unknown key \"%s\" in [event %s]", e->key,
					   c->events[s->index].name);
			return;
		}
		cfg_key_set(x, k, &c->events[s->index], e->value, &vloc, e->key);
		return;
	case S_SWEEP:
		add_sweep(x, e);
		return;
	case S_EXPECT:
		add_expect(x, e);
		return;
	case S_CASE:
		add_setting(x, &c->casedefs[s->index], e);
		return;
	case S_NONE:
		return;
	}
}

/* Section kinds a topology file may hold. */
static bool topology_section(enum sect_type t)
{
	return t == S_TOPOLOGY || t == S_NODE || t == S_LINK;
}

static void process(struct cfg_ctx *x, struct raw_file *rf)
{
	struct section cur = { S_NONE, -1, NULL };
	char name[256];

	/* Nodes first, so that links may name nodes declared further down. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < rf->n; i++) {
			struct raw_entry *e = &rf->e[i];

			if (!e->key) {
				struct tb_diag quiet = { 0 }, *saved = x->d;
				enum sect_type t;
				bool report;

				/* header errors are reported by the first pass only */
				if (pass == 1)
					x->d = &quiet;
				t = parse_header(x, e, name, sizeof(name));
				x->d = saved;
				diag_free(&quiet);
				report = pass == (t == S_NODE ? 0 : 1);
				cur.type = t;
				cur.index = -1;
				if (t == S_NONE)
					continue;
				if (!report) {
					cur.type = S_NONE;
					continue;
				}
				if (x->in_topology && !topology_section(t)) {
					diag_error(x->d, &e->loc,
						   "[%s] belongs in an experiment file, not in a topology "
						   "(%s is included as a topology)",
						   section_types[t], rf->path);
					cur.type = S_NONE;
					continue;
				}
				if (!x->in_topology && !x->has_experiment &&
				    (t == S_FLOW || t == S_SWEEP || t == S_EXPECT || t == S_CAPTURE ||
				     t == S_CASE || t == S_EVENT)) {
					diag_error(x->d, &e->loc,
						   "[%s] needs an [experiment] section in this file "
						   "(topology files hold only nodes and links)",
						   section_types[t]);
					cur.type = S_NONE;
					continue;
				}
				if (t == S_TOPOLOGY && x->has_topology && !x->in_topology) {
					diag_error(x->d, &e->loc,
						   "[topology] belongs in the topology file %s",
						   x->c->exp.topology);
					cur.type = S_NONE;
					continue;
				}
				switch (t) {
				case S_NODE:
					cur.index = open_node(x, e, name);
					break;
				case S_LINK:
					cur.index = open_link(x, e, name);
					break;
				case S_FLOW:
					cur.index = open_flow(x, e, name);
					break;
				case S_CAPTURE:
					cur.index = open_capture(x, e, name);
					break;
				case S_CASE:
					cur.index = open_case(x, e, name);
					break;
				case S_EVENT:
					cur.index = open_event(x, e, name);
					break;
				case S_EXPERIMENT:
					x->c->exp.present = true;
					x->c->exp.loc = e->loc;
					cur.index = 0;
					break;
				default:
					cur.index = 0;
					break;
				}
				if (cur.index < 0)
					cur.type = S_NONE;
				continue;
			}
			if (e->sect == 0) {
				if (pass == 0)
					diag_error(x->d, &e->loc,
						   "\"%s\" is outside of any section (start with e.g. "
						   "[experiment] or [node NAME])",
						   e->key);
				continue;
			}
			if (cur.type == S_NONE)
				continue;
			if (dup_key(x, rf, i))
				continue;
			if (!e->value) {
				diag_error(x->d, &e->loc, "expected KEY = VALUE, found \"%s\"", e->key);
				continue;
			}
			apply_key(x, &cur, e);
		}
	}
}

/* Find "topology = PATH" in [experiment] (the last one wins, as inih reads). */
static const struct raw_entry *find_topology_key(const struct raw_file *rf)
{
	const struct raw_entry *found = NULL;

	for (size_t i = 0; i < rf->n; i++) {
		const struct raw_entry *e = &rf->e[i];

		if (e->key && e->value && strcmp(e->key, "topology") == 0 &&
		    strcmp(e->sect_name, "experiment") == 0)
			found = e;
	}
	return found;
}

static struct tb_config *config_new(const char *path)
{
	struct tb_config *c = xcalloc(1, sizeof(*c));
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(base);

	c->path = xstrdup(path);
	if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
		n -= 5;
	if (n >= sizeof(c->exp.name))
		n = sizeof(c->exp.name) - 1;
	memcpy(c->exp.name, base, n);
	c->exp.duration_us = 10000000;
	c->exp.repeat = 1;
	c->exp.seed = 1;
	c->exp.kernel = TB_KERNEL_AUTO;
	c->exp.sample_us = 100000;
	c->exp.uml_mem = 512ull << 20;
	c->exp.capture = true;
	snprintf(c->topo.name, sizeof(c->topo.name), "%.*s", (int)n, base);
	snprintf(c->topo.pool4, sizeof(c->topo.pool4), "198.18.0.0/15");
	snprintf(c->topo.pool6, sizeof(c->topo.pool6), "fd74:6200::/48");
	c->topo.mtu = 1500;
	return c;
}

static char *resolve_relative(const char *from, const char *rel)
{
	char *copy, *dir, *out;

	if (rel[0] == '/')
		return xstrdup(rel);
	copy = xstrdup(from);
	dir = dirname(copy);
	out = strcmp(dir, ".") == 0 ? xstrdup(rel) : xasprintf("%s/%s", dir, rel);
	free(copy);
	return out;
}

static struct tb_config *load(const char *path, const char *buf, size_t len, struct tb_diag *d)
{
	struct tb_config *c = config_new(path);
	struct cfg_ctx x = { .c = c, .d = d };
	struct raw_file main_rf = { 0 }, topo_rf = { 0 };
	const struct raw_entry *te;

	read_raw(&x, path, buf, len, &main_rf);
	for (size_t i = 0; i < main_rf.n; i++) {
		const char *sn = main_rf.e[i].sect_name;

		while (sn && isspace((unsigned char)*sn))
			sn++;
		if (!main_rf.e[i].key && sn && strncmp(sn, "experiment", 10) == 0)
			x.has_experiment = true;
	}
	te = find_topology_key(&main_rf);
	if (te) {
		struct tb_loc vloc = { te->loc.file, te->loc.line, te->val_col };
		char *tpath = resolve_relative(path, te->value);
		size_t tlen = 0;
		int err = 0;
		char *tbuf = *te->value ? slurp(tpath, &tlen, &err) : NULL;

		c->exp.topology = tpath;
		x.has_topology = true;
		if (!*te->value) {
			diag_error(d, &vloc, "topology: empty path");
			x.topology_failed = true;
		} else if (!tbuf) {
			x.topology_failed = true;
			diag_error(d, &vloc, "topology: cannot read \"%s\" (%s): %s", te->value, tpath,
				   strerror(err));
		} else {
			read_raw(&x, tpath, tbuf, tlen, &topo_rf);
			x.in_topology = true;
			process(&x, &topo_rf);
			resolve_refs(&x);
			x.in_topology = false;
		}
		free(tbuf);
	}
	process(&x, &main_rf);
	resolve_refs(&x);
	cfg_validate(&x);
	raw_free(&main_rf);
	raw_free(&topo_rf);
	free(x.refs);
	free(x.uses);
	return c;
}

struct tb_config *config_load(const char *path, struct tb_diag *d)
{
	size_t len = 0;
	int err = 0;
	char *buf = slurp(path, &len, &err);
	struct tb_config *c;

	if (!buf) {
		struct tb_loc loc = { intern(path), 0, 0 };

		diag_error(d, &loc, "cannot read file: %s", strerror(err));
		return NULL;
	}
	c = load(path, buf, len, d);
	free(buf);
	return c;
}

struct tb_config *config_load_buffer(const char *name, const char *buf, size_t len,
				     struct tb_diag *d)
{
	return load(name, buf, len, d);
}

const char *config_worker_name(enum tb_worker w)
{
	return (unsigned)w < 6 ? cfg_worker_names[w] : "?";
}

const char *config_kernel_name(enum tb_kernel k)
{
	static const char *const names[] = { "auto", "host", "uml" };

	return (unsigned)k < 3 ? names[k] : "?";
}

const char *config_queue_name(enum tb_queue q)
{
	static const char *const names[] = { "default", "pfifo", "bfifo", "fq_codel",
					     "codel",	"fq",	 "cake" };

	return (unsigned)q < ARRAY_SIZE(names) ? names[q] : "?";
}
