/* Loading topology and experiment files: config_read.c turns a file into
 * raw entries (one per line, with its position); this file builds the model
 * from them, section by section (config_sections.c opens the objects), so
 * an experiment can name its topology anywhere in the file. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_int.h"

static const char *const section_types[] = { "topology", "experiment", "node",   "link",  "flow",
					     "capture",	 "sweep",      "expect", "case", "event",
					     "process",	 NULL };
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
	S_PROCESS,
	S_NONE
};

/* --- building the model from raw entries --------------------------------- */

static void resolve_refs(struct cfg_ctx *x)
{
	for (size_t i = 0; i < x->n_refs; i++) {
		struct pending_ref *r = &x->refs[i];
		int n = cfg_find_node(x->c, r->name);

		if (n < 0 && !x->topology_failed) {
			const char *s = cfg_suggest_node(x->c, r->name);

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

/* Say that @e's header (of type @type) is no section: the nearest type, or all. */
static void unknown_section(struct cfg_ctx *x, const struct raw_entry *e, const char *type)
{
	const char *sug = cfg_suggest(section_types, type);

	if (sug)
		diag_error(x->d, &e->loc, "unknown section [%s] (did you mean \"%s\"?)",
			   e->sect_name, sug);
	else
		diag_error(x->d, &e->loc,
			   "unknown section [%s] (expected topology, experiment, node, link, "
			   "flow, capture, sweep, case, event, process or expect)",
			   e->sect_name);
}

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
				     i == S_CASE || i == S_EVENT || i == S_PROCESS;

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
	unknown_section(x, e, type);
	return S_NONE;
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

/* Report key @e unknown in [@where], naming table @t's nearest key if any. */
static void unknown_key(struct cfg_ctx *x, const struct keydef *t, const struct raw_entry *e,
			const char *where)
{
	const char *sug = cfg_key_suggest(t, e->key);

	if (sug)
		diag_error(x->d, &e->loc, "unknown key \"%s\" in [%s] (did you mean \"%s\"?)",
			   e->key, where, sug);
	else
		diag_error(x->d, &e->loc, "unknown key \"%s\" in [%s]", e->key, where);
}

/* Set key @e of table @t on @obj, or report it unknown in [@where]. */
static void set_table_key(struct cfg_ctx *x, const struct keydef *t, void *obj,
			  const struct raw_entry *e, const char *where)
{
	struct tb_loc vloc = { e->loc.file, e->loc.line, e->val_col };
	const struct keydef *k = cfg_key_find(t, e->key);

	if (!k) {
		unknown_key(x, t, e, where);
		return;
	}
	cfg_key_set(x, k, obj, e->value, &vloc, e->key);
}

/* Key @e of a [capture NAME] or [event NAME] section: table @t, object @obj. */
static void set_named_key(struct cfg_ctx *x, const struct section *s, const struct keydef *t,
			  void *obj, const char *name, const struct raw_entry *e)
{
	char where[TB_NAME_MAX + 16];

	snprintf(where, sizeof(where), "%s %s", section_types[s->type], name);
	set_table_key(x, t, obj, e, where);
}

static void apply_key(struct cfg_ctx *x, const struct section *s, const struct raw_entry *e)
{
	struct tb_config *c = x->c;
	struct tb_loc vloc = { e->loc.file, e->loc.line, e->val_col };

	switch (s->type) {
	case S_TOPOLOGY:
		set_table_key(x, cfg_topology_keys, &c->topo, e, section_types[s->type]);
		return;
	case S_EXPERIMENT:
		/* a known key: resolved before anything else */
		if (strcmp(e->key, "topology") == 0)
			return;
		set_table_key(x, cfg_experiment_keys, &c->exp, e, section_types[s->type]);
		return;
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
		set_named_key(x, s, cfg_capture_keys, &c->captures[s->index],
			      c->captures[s->index].name, e);
		return;
	case S_EVENT:
		if (!cfg_key_find(cfg_event_keys, e->key))
			cfg_event_raw(x, &c->events[s->index], e);
		else
			set_named_key(x, s, cfg_event_keys, &c->events[s->index],
				      c->events[s->index].name, e);
		return;
	case S_PROCESS:
		cfg_process_set(x, &c->processes[s->index], e->key,
				cfg_process_raw_key(e->key) && e->raw ? e->raw : e->value, &e->loc,
				&vloc);
		return;
	case S_SWEEP:
		cfg_add_sweep(x, e);
		return;
	case S_EXPECT:
		cfg_add_expect(x, e);
		return;
	case S_CASE:
		cfg_add_setting(x, &c->casedefs[s->index], e);
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

/* [experiment] and [topology] come once: a second one silently overrode
 * the first's keys. 0, or -1 after reporting it. */
static int open_single(struct cfg_ctx *x, enum sect_type t, const struct raw_entry *e)
{
	struct tb_loc *first = t == S_EXPERIMENT ? &x->c->exp.loc : &x->topology_sect;

	if (first->line) {
		diag_error(x->d, &e->loc, "a second [%s] section (the first is at %s:%d)",
			   section_types[t], first->file, first->line);
		return -1;
	}
	*first = e->loc;
	if (t == S_EXPERIMENT)
		x->c->exp.present = true;
	return 0;
}

/* Header @e's type, its name into @name; only pass 0 reports its errors. */
static enum sect_type header_type(struct cfg_ctx *x, const struct raw_entry *e, int pass,
				  char *name, size_t len)
{
	struct tb_diag quiet = { 0 }, *saved = x->d;
	enum sect_type t;

	if (pass == 1)
		x->d = &quiet;
	t = parse_header(x, e, name, len);
	x->d = saved;
	diag_free(&quiet);
	return t;
}

/* Whether a section of type @t may stand in file @rf; reports why not. */
static bool section_allowed(struct cfg_ctx *x, const struct raw_file *rf,
			    const struct raw_entry *e, enum sect_type t)
{
	if (x->in_topology && !topology_section(t)) {
		diag_error(x->d, &e->loc,
			   "[%s] belongs in an experiment file, not in a topology "
			   "(%s is included as a topology)",
			   section_types[t], rf->path);
		return false;
	}
	if (!x->in_topology && !x->has_experiment &&
	    (t == S_FLOW || t == S_SWEEP || t == S_EXPECT || t == S_CAPTURE || t == S_CASE ||
	     t == S_EVENT || t == S_PROCESS)) {
		diag_error(x->d, &e->loc,
			   "[%s] needs an [experiment] section in this file "
			   "(topology files hold only nodes and links)",
			   section_types[t]);
		return false;
	}
	if (t == S_TOPOLOGY && x->has_topology && !x->in_topology) {
		diag_error(x->d, &e->loc, "[topology] belongs in the topology file %s",
			   x->c->exp.topology);
		return false;
	}
	return true;
}

/* The object a section of type @t opens: its index, -1 when refused. */
static int open_section(struct cfg_ctx *x, enum sect_type t, const struct raw_entry *e,
			const char *name)
{
	switch (t) {
	case S_NODE:
		return cfg_open_node(x, e, name);
	case S_LINK:
		return cfg_open_link(x, e, name);
	case S_FLOW:
		return cfg_open_flow(x, e, name);
	case S_CAPTURE:
		return cfg_open_capture(x, e, name);
	case S_CASE:
		return cfg_open_case(x, e, name);
	case S_EVENT:
		return cfg_open_event(x, e, name);
	case S_PROCESS:
		return cfg_open_process(x, e, name);
	case S_EXPERIMENT:
	case S_TOPOLOGY:
		return open_single(x, t, e);
	default:
		return 0;
	}
}

/* Header @e opens @cur; S_NONE if bad, refused or the other pass's (nodes: 0). */
static void start_section(struct cfg_ctx *x, const struct raw_file *rf,
			  const struct raw_entry *e, int pass, struct section *cur)
{
	char name[256];
	enum sect_type t = header_type(x, e, pass, name, sizeof(name));

	cur->type = S_NONE;
	cur->index = -1;
	if (t == S_NONE || pass != (t == S_NODE ? 0 : 1) || !section_allowed(x, rf, e, t))
		return;
	cur->index = open_section(x, t, e, name);
	if (cur->index >= 0)
		cur->type = t;
}

/* Key line @i of @rf in section @cur: checked, then applied. */
static void take_key(struct cfg_ctx *x, const struct raw_file *rf, size_t i, int pass,
		     const struct section *cur)
{
	const struct raw_entry *e = &rf->e[i];

	if (e->sect == 0) {
		if (pass == 0)
			diag_error(x->d, &e->loc,
				   "\"%s\" is outside of any section (start with e.g. "
				   "[experiment] or [node NAME])",
				   e->key);
		return;
	}
	if (cur->type == S_NONE || dup_key(x, rf, i))
		return;
	if (!e->value) {
		diag_error(x->d, &e->loc, "expected KEY = VALUE, found \"%s\"", e->key);
		return;
	}
	apply_key(x, cur, e);
}

static void process(struct cfg_ctx *x, struct raw_file *rf)
{
	struct section cur = { S_NONE, -1, NULL };

	/* Nodes first, so that links may name nodes declared further down. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < rf->n; i++) {
			if (!rf->e[i].key)
				start_section(x, rf, &rf->e[i], pass, &cur);
			else
				take_key(x, rf, i, pass, &cur);
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

/* Whether two paths name one file (a topology that includes itself). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* The topology's text: @given (from a manifest), else the file on disk. */
static char *topology_text(const struct tb_source *given, const char *tpath, size_t *len, int *err)
{
	if (given) {
		*len = strlen(given->text);
		return xstrdup(given->text);
	}
	return cfg_slurp(tpath, len, err);
}

/* Whether @rf has an [experiment] section. */
static bool has_experiment(const struct raw_file *rf)
{
	for (size_t i = 0; i < rf->n; i++) {
		const char *sn = rf->e[i].sect_name;

		while (sn && isspace((unsigned char)*sn))
			sn++;
		if (!rf->e[i].key && sn && strncmp(sn, "experiment", 10) == 0)
			return true;
	}
	return false;
}

/* The topology @te ("topology = PATH") names: read and processed, or why it cannot be. */
static void load_topology(struct cfg_ctx *x, const char *path, const struct raw_entry *te,
			  const struct tb_source *topo_given, struct raw_file *topo_rf)
{
	struct tb_config *c = x->c;
	struct tb_diag *d = x->d;
	struct tb_loc vloc = { te->loc.file, te->loc.line, te->val_col };
	char *tpath = resolve_relative(path, te->value);
	size_t tlen = 0;
	int err = 0;
	char *tbuf = *te->value ? topology_text(topo_given, tpath, &tlen, &err) : NULL;

	c->exp.topology = tpath;
	x->has_topology = true;
	if (!*te->value) {
		diag_error(d, &vloc, "topology: empty path");
		x->topology_failed = true;
	} else if (tbuf && !topo_given && same_file(path, tpath)) {
		diag_error(d, &vloc, "topology: \"%s\" is this file itself", te->value);
		x->topology_failed = true;
	} else if (!tbuf) {
		x->topology_failed = true;
		diag_error(d, &vloc, "topology: cannot read \"%s\" (%s): %s", te->value, tpath,
			   cfg_slurp_error(err));
	} else {
		c->sources[1] = (struct tb_source){ xstrdup(tpath), xstrndup(tbuf, tlen) };
		cfg_read_raw(x, tpath, tbuf, tlen, topo_rf);
		x->in_topology = true;
		process(x, topo_rf);
		resolve_refs(x);
		x->in_topology = false;
	}
	free(tbuf);
}

static struct tb_config *load(const char *path, const char *buf, size_t len,
			      const struct tb_source *topo_given, struct tb_diag *d)
{
	struct tb_config *c = config_new(path);
	struct cfg_ctx x = { .c = c, .d = d };
	struct raw_file main_rf = { 0 }, topo_rf = { 0 };
	const struct raw_entry *te;

	c->sources[0] = (struct tb_source){ xstrdup(path), xstrndup(buf, len) };
	cfg_read_raw(&x, path, buf, len, &main_rf);
	x.has_experiment = has_experiment(&main_rf);
	te = find_topology_key(&main_rf);
	if (te)
		load_topology(&x, path, te, topo_given, &topo_rf);
	process(&x, &main_rf);
	resolve_refs(&x);
	cfg_validate(&x);
	cfg_raw_free(&main_rf);
	cfg_raw_free(&topo_rf);
	free(x.refs);
	free(x.uses);
	return c;
}

struct tb_config *config_load(const char *path, struct tb_diag *d)
{
	size_t len = 0;
	int err = 0;
	char *buf = cfg_slurp(path, &len, &err);
	struct tb_config *c;

	if (!buf) {
		struct tb_loc loc = { cfg_intern(path), 0, 0 };

		diag_error(d, &loc, "cannot read file: %s", cfg_slurp_error(err));
		return NULL;
	}
	c = load(path, buf, len, NULL, d);
	free(buf);
	return c;
}

struct tb_config *config_load_buffer(const char *name, const char *buf, size_t len,
				     struct tb_diag *d)
{
	return load(name, buf, len, NULL, d);
}

struct tb_config *config_load_sources(const struct tb_source src[2], struct tb_diag *d)
{
	return load(src[0].path, src[0].text, strlen(src[0].text), src[1].text ? &src[1] : NULL, d);
}
