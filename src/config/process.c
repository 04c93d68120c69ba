/* [process NAME]: a command line split into words as a shell would (without
 * ever running one), its { } substitutions, the command looked up in PATH,
 * and the checks of a process that need the whole model (its node, ready,
 * after and its cycles, ports, metric expressions). docs/processes.md. */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"
#include "util/units.h"

struct words {
	char **v;
	size_t n, cap;
	char *cur;  /* the word being built */
	size_t len, cur_cap;
	bool open;  /* a word has begun (even an empty '' one) */
};

static void put(struct words *w, char ch)
{
	w->cur = tb_grow(w->cur, &w->cur_cap, w->len + 1, 1);
	w->cur[w->len++] = ch;
	w->cur[w->len] = 0;
	w->open = true;
}

static void end_word(struct words *w)
{
	if (!w->open)
		return;
	w->v = tb_grow(w->v, &w->cap, w->n + 1, sizeof(char *));
	w->v[w->n++] = w->cur ? w->cur : xstrdup("");
	w->v[w->n] = NULL;
	w->cur = NULL;
	w->len = w->cur_cap = 0;
	w->open = false;
}

/* Inside "...": a backslash escapes only \ " $ ` (as in sh). */
static const char *dquoted(struct words *w, const char *p)
{
	w->open = true;
	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1] && strchr("\\\"$`", p[1]))
			p++;
		put(w, *p);
	}
	return *p ? p : NULL;
}

int config_split_words(const char *s, char ***words, size_t *bad_off)
{
	struct words w = { 0 };
	const char *p = s, *q;

	for (; *p; p++) {
		if (isspace((unsigned char)*p)) {
			end_word(&w);
		} else if (*p == '\'') {
			q = strchr(p + 1, '\'');
			if (!q)
				break;
			w.open = true;
			for (p++; p < q; p++)
				put(&w, *p);
		} else if (*p == '"') {
			q = dquoted(&w, p + 1);
			if (!q)
				break;
			p = q;
		} else {
			if (*p == '\\' && p[1])
				p++;
			put(&w, *p);
		}
	}
	if (*p) { /* an unterminated quote */
		*bad_off = (size_t)(p - s);
		free(w.cur);
		tb_strv_free(w.v);
		*words = NULL;
		return -EINVAL;
	}
	end_word(&w);
	*words = w.v ? w.v : xcalloc(1, sizeof(char *));
	return 0;
}

/* The { } substitutions of a process's cmd and env.* values: the one table
 * that expansion, `testbed check` and the run (what it must make first:
 * config_uses_subst) read. docs/processes.md has the same rows. */
static const struct subst_def {
	const char *text;  /* up to the '}' or, for a node's address, the ':' */
	enum tb_subst_what what;
} substs[] = {
	{ "{addr:", TB_SUBST_ADDR4 },	     { "{addr6:", TB_SUBST_ADDR6 },
	{ "{out}", TB_SUBST_OUT },	     { "{duration}", TB_SUBST_DURATION },
	{ "{tls_cert}", TB_SUBST_TLS_CERT }, { "{tls_key}", TB_SUBST_TLS_KEY },
};

/* The row of the substitution at @p, its length into *@skip (for a node's
 * address up to the node name, which starts there); NULL: none. */
static const struct subst_def *subst_find(const char *p, size_t *skip)
{
	for (size_t i = 0; i < sizeof(substs) / sizeof(substs[0]); i++) {
		size_t n = strlen(substs[i].text);

		if (!strncmp(p, substs[i].text, n)) {
			*skip = n;
			return &substs[i];
		}
	}
	return NULL;
}

/* The address of the node named at @name (up to its '}'): its length and
 * the name into *@skip; -ENOENT/-EADDRNOTAVAIL into *@rc. */
static const char *subst_addr(const struct tb_config *c, const char *name, int fam,
			      const struct tb_subst *sb, size_t *skip, int *rc)
{
	const char *e = strchr(name, '}'), *a;
	char node[TB_NAME_MAX * 2];
	size_t len;
	int n;

	if (!e)
		return NULL;
	len = (size_t)(e - name);
	snprintf(node, sizeof(node), "%.*s", (int)(len < sizeof(node) ? len : sizeof(node) - 1),
		 name);
	n = config_node(c, node);
	*skip += len + 1;
	if (n < 0 || len >= sizeof(node)) {
		*rc = -ENOENT;
		return NULL;
	}
	a = sb->addr ? sb->addr(sb->arg, n, fam) : "";
	if (!a)
		*rc = -EADDRNOTAVAIL;
	return a;
}

/* The replacement of the { } at @p (its length into *@skip), NULL when it
 * is no substitution; -ENOENT/-EADDRNOTAVAIL (a node), -ENOKEY (no TLS
 * files) into *@rc. */
static const char *subst_at(const struct tb_config *c, const char *p, const struct tb_subst *sb,
			    char *num, size_t *skip, int *rc)
{
	const struct subst_def *d = subst_find(p, skip);
	const char *v = NULL;

	switch (d ? d->what : TB_SUBST_NONE) {
	case TB_SUBST_NONE:
		return NULL;
	case TB_SUBST_ADDR4:
	case TB_SUBST_ADDR6:
		return subst_addr(c, p + *skip, d->what == TB_SUBST_ADDR4 ? 4 : 6, sb, skip, rc);
	case TB_SUBST_OUT:
		return sb->out;
	case TB_SUBST_DURATION:
		snprintf(num, 32, "%g", c->exp.duration_us / 1e6);
		return num;
	case TB_SUBST_TLS_CERT:
		v = sb->tls_cert;
		break;
	case TB_SUBST_TLS_KEY:
		v = sb->tls_key;
		break;
	}
	if (!v)
		*rc = -ENOKEY;
	return v;
}

int config_expand(const struct tb_config *c, const char *s, const struct tb_subst *sb, char **out,
		  size_t *bad_off)
{
	struct words w = { 0 };
	char num[32];

	for (const char *p = s; *p;) {
		size_t skip = 0;
		int rc = 0;
		const char *r = *p == '{' ? subst_at(c, p, sb, num, &skip, &rc) : NULL;

		if (rc) {
			*bad_off = (size_t)(p - s);
			free(w.cur);
			*out = NULL;
			return rc;
		}
		if (!r) {
			put(&w, *p++);
			continue;
		}
		for (; *r; r++)
			put(&w, *r);
		p += skip;
	}
	*out = w.cur ? w.cur : xstrdup("");
	return 0;
}

/* Whether @s has a substitution of kind @what. */
static bool has_subst(const char *s, enum tb_subst_what what)
{
	for (s = s ? strchr(s, '{') : NULL; s; s = strchr(s + 1, '{')) {
		size_t skip;
		const struct subst_def *d = subst_find(s, &skip);

		if (d && d->what == what)
			return true;
	}
	return false;
}

bool config_uses_subst(const struct tb_config *c, enum tb_subst_what what)
{
	bool any = false;

	for (size_t i = 0; i < c->n_processes; i++) {
		any |= has_subst(c->processes[i].cmd, what);
		for (size_t j = 0; j < c->processes[i].n_env; j++)
			any |= has_subst(c->processes[i].env[j].value, what);
	}
	for (size_t i = 0; i < c->n_sweeps; i++)
		for (size_t j = 0; !strncmp(c->sweeps[i].key, "process.", 8) &&
				   j < c->sweeps[i].n_values; j++)
			any |= has_subst(c->sweeps[i].values[j], what);
	for (size_t i = 0; i < c->n_casedefs; i++)
		for (size_t j = 0; j < c->casedefs[i].n_set; j++)
			any |= !strncmp(c->casedefs[i].set[j].key, "process.", 8) &&
			       has_subst(c->casedefs[i].set[j].value, what);
	return any;
}

int config_which(const char *cmd, char *buf, size_t len)
{
	const char *p = TB_PROCESS_PATH;

	if (strchr(cmd, '/')) {
		snprintf(buf, len, "%s", cmd);
		return access(cmd, X_OK) ? -errno : 0;
	}
	while (*p) {
		size_t n = strcspn(p, ":");

		snprintf(buf, len, "%.*s/%s", (int)n, p, cmd);
		if (n && access(buf, X_OK) == 0)
			return 0;
		p += n + (p[n] == ':');
	}
	snprintf(buf, len, "%s", cmd);
	return -ENOENT;
}

/* --- validation ------------------------------------------------------------ */

static struct tb_loc at(const struct tb_loc *l, size_t off)
{
	struct tb_loc r = *l;

	r.col += (int)off;
	return r;
}

/* Substitutions of @s (at @loc) name nodes of the topology. */
static void check_subst(struct cfg_ctx *x, const struct tb_process *p, const char *s,
			const struct tb_loc *loc)
{
	struct tb_subst sb = { .out = "", .tls_cert = "", .tls_key = "" };
	size_t off = 0;
	char *o = NULL;

	if (config_expand(x->c, s, &sb, &o, &off) == -ENOENT) {
		struct tb_loc l = at(loc, off);

		diag_error(x->d, &l, "process %s: %.*s names no node of the topology", p->name,
			   (int)strcspn(s + off, "}") + 1, s + off);
	}
	free(o);
}

/* cmd: given, words that close their quotes, a first word found in PATH
 * (a warning: it may exist at run time, in the guest too). */
static void check_cmd(struct cfg_ctx *x, const struct tb_process *p)
{
	char **w = NULL, path[4096];
	size_t off = 0;

	if (!p->cmd || !*p->cmd) {
		diag_error(x->d, p->cmd ? &p->cmd_loc : &p->loc, "process %s: missing \"cmd\"",
			   p->name);
		return;
	}
	check_subst(x, p, p->cmd, &p->cmd_loc);
	if (config_split_words(p->cmd, &w, &off)) {
		struct tb_loc l = at(&p->cmd_loc, off);

		diag_error(x->d, &l, "process %s: this quote is never closed", p->name);
		return;
	}
	if (!w[0])
		diag_error(x->d, &p->cmd_loc, "process %s: \"cmd\" has no command", p->name);
	else if (!strchr(w[0], '{') && config_which(w[0], path, sizeof(path)))
		diag_warn(x->d, &p->cmd_loc,
			  "process %s: command \"%s\" is not found %s: it may exist at run time",
			  p->name, w[0], strchr(w[0], '/') ? "or not executable" : "in PATH (" TB_PROCESS_PATH ")");
	tb_strv_free(w);
}

/* ready = port N | file PATH | TIME (empty: at once). */
static void check_ready(struct cfg_ctx *x, struct tb_process *p)
{
	const char *r = p->ready, *why = "";
	uint64_t v;

	p->ready_kind = TB_READY_NOW;
	if (!r || !*r)
		return;
	if (!strncmp(r, "port", 4) && isspace((unsigned char)r[4])) {
		if (units_count(r + 5 + strspn(r + 5, " \t"), &v, &why) || v < 1 || v > 65535)
			diag_error(x->d, &p->ready_loc,
				   "process %s: ready = \"%s\": the port must be 1-65535", p->name, r);
		p->ready_kind = TB_READY_PORT;
		p->ready_port = (unsigned)v;
	} else if (!strncmp(r, "file", 4) && isspace((unsigned char)r[4])) {
		p->ready_kind = TB_READY_FILE;
		p->ready_file = p->ready + 5 + strspn(r + 5, " \t");
		if (!*p->ready_file)
			diag_error(x->d, &p->ready_loc, "process %s: ready = file needs a PATH",
				   p->name);
	} else if (units_time(r, &v, &why) == 0) {
		p->ready_kind = TB_READY_TIME;
		p->ready_us = (uint32_t)(v > UINT32_MAX ? UINT32_MAX : v);
	} else {
		diag_error(x->d, &p->ready_loc,
			   "process %s: ready = \"%s\": expected port N, file PATH or a time "
			   "such as 500ms",
			   p->name, r);
	}
}

/* ports = N[, N...]: TCP ports 1-65535 the sampler follows. */
static void check_ports(struct cfg_ctx *x, struct tb_process *p)
{
	const char *s = p->ports_text;

	p->n_ports = 0;
	while (s && *s) {
		char *end;
		unsigned long v;

		s += strspn(s, " \t,");
		if (!*s)
			break;
		v = strtoul(s, &end, 10);
		if (end == s || v < 1 || v > 65535 || (*end && !strchr(" \t,", *end))) {
			struct tb_loc l = at(&p->ports_loc, (size_t)(s - p->ports_text));

			diag_error(x->d, &l, "process %s: ports: \"%.*s\" is not a TCP port (1-65535)",
				   p->name, (int)strcspn(s, " \t,"), s);
			return;
		}
		if (p->n_ports == TB_PROCESS_PORTS) {
			diag_error(x->d, &p->ports_loc, "process %s: at most %d ports", p->name,
				   TB_PROCESS_PORTS);
			return;
		}
		p->ports[p->n_ports++] = (unsigned)v;
		s = end;
	}
}

/* metric.NAME: an extended regular expression with one capture group. */
static void check_metrics(struct cfg_ctx *x, const struct tb_process *p)
{
	for (size_t i = 0; i < p->n_metrics; i++) {
		const struct tb_pvar *m = &p->metrics[i];
		char msg[256];
		regex_t re;
		int rc = regcomp(&re, m->value, REG_EXTENDED);

		if (rc) {
			regerror(rc, &re, msg, sizeof(msg));
			diag_error(x->d, &m->loc, "process %s: metric.%s: %s", p->name, m->name, msg);
			continue;
		}
		if (re.re_nsub != 1)
			diag_error(x->d, &m->loc,
				   "process %s: metric.%s needs exactly one capture group ( ) around "
				   "the number (it has %zu)",
				   p->name, m->name, re.re_nsub);
		regfree(&re);
	}
}

/* after = NAME[, NAME...]: processes of this experiment, not itself. */
static void resolve_after(struct cfg_ctx *x, struct tb_process *p)
{
	const char *s = p->after;

	p->n_after = 0;
	free(p->after_idx);
	p->after_idx = NULL;
	while (s && *s) {
		size_t n;
		char name[TB_NAME_MAX * 2];
		int k;

		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (!n)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), s);
		k = config_process(x->c, name);
		if (k < 0 || k == (int)(p - x->c->processes)) {
			struct tb_loc l = at(&p->after_loc, (size_t)(s - p->after));

			diag_error(x->d, &l, "process %s: after: %s \"%s\"", p->name,
				   k < 0 ? "no process" : "a process cannot wait for itself", name);
		} else {
			p->after_idx = xrealloc(p->after_idx, (p->n_after + 1) * sizeof(int));
			p->after_idx[p->n_after++] = k;
		}
		s += n;
	}
}

/* Depth-first from process @i: true when it comes back to one on the path. */
static bool cycle_from(const struct tb_config *c, int i, char *state, int *path, int depth,
		       int *len)
{
	if (state[i] == 1) {
		path[depth] = i;
		*len = depth + 1;
		return true;
	}
	if (state[i] == 2)
		return false;
	state[i] = 1;
	path[depth] = i;
	for (size_t k = 0; k < c->processes[i].n_after; k++)
		if (cycle_from(c, c->processes[i].after_idx[k], state, path, depth + 1, len))
			return true;
	state[i] = 2;
	return false;
}

/* Where the cycle @path (its last entry repeated) begins. */
static int first_of(const int *path, int len)
{
	int k = 0;

	while (path[k] != path[len - 1])
		k++;
	return k;
}

static void check_cycles(struct cfg_ctx *x)
{
	const struct tb_config *c = x->c;
	char *state = xcalloc(c->n_processes + 1, 1);
	int *path = xcalloc(c->n_processes + 2, sizeof(int)), len = 0;

	for (size_t i = 0; i < c->n_processes && !len; i++) {
		char text[512] = "";

		if (!cycle_from(c, (int)i, state, path, 0, &len))
			continue;
		for (int k = first_of(path, len); k < len; k++) {
			strncat(text, text[0] ? " -> " : "", sizeof(text) - strlen(text) - 1);
			strncat(text, c->processes[path[k]].name, sizeof(text) - strlen(text) - 1);
		}
		diag_error(x->d, &c->processes[path[len - 1]].after_loc,
			   "after: the processes wait for each other in a cycle: %s", text);
	}
	free(state);
	free(path);
}

void cfg_validate_processes(struct cfg_ctx *x)
{
	struct tb_config *c = x->c;

	for (size_t i = 0; i < c->n_processes; i++) {
		struct tb_process *p = &c->processes[i];

		if (p->node == -2)
			diag_error(x->d, &p->loc, "process %s: missing \"node\"", p->name);
		check_cmd(x, p);
		for (size_t k = 0; k < p->n_env; k++)
			check_subst(x, p, p->env[k].value, &p->env[k].loc);
		check_ready(x, p);
		check_ports(x, p);
		check_metrics(x, p);
		resolve_after(x, p);
		if (p->start_us >= c->exp.duration_us)
			diag_error(x->d, &p->loc,
				   "process %s: start %.3g s is not within the run (duration %.3g s)",
				   p->name, p->start_us / 1e6, c->exp.duration_us / 1e6);
	}
	check_cycles(x);
}
