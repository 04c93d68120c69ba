/* Expectations: "NAME = EXPR CMP EXPR", parsed by recursive descent.
 *
 *   bbr_wins = goodput(bulk, cc=bbr) > 5 * goodput(bulk, cc=cubic)
 *   cookies  = counter(s1.TcpExtSyncookiesSent, tcp_syncookies=1) > 0
 *   near_mathis = goodput(bulk, cc=cubic) < 3 * mathis(1448, 40ms, 1%)
 *
 *   fetched  = value(fetch, time_connect) < 60ms
 *   fair     = jain(a, b, c, case=equal_rtt) > 0.9
 *   reader   = server_goodput(bulk) < 1.05 * cfg(flow.bulk.server.read_rate)
 *
 * `testbed compare --fail-if` adds base(METRIC): the metric read from the
 * base run (a flag on the metric's node, so units and selectors are the
 * metric's own); an [expect] of a file has no base run and refuses it.
 *
 * Metrics take a subject (a flow, NODE.COUNTER / NODE.STATE, or a process;
 * value() a process and a KEY; cfg() a key of the file, read per case) and optional
 * selectors KEY=VALUE that pick a case of the sweeps; which metrics exist, for
 * which workers and in which unit is metric.c's table. Constants may carry
 * units: rates become bit/s, times seconds, percentages stay percent. */
#include <ctype.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "metric.h"
#include "util/units.h"

static const char *const functions[] = { "mathis", "min", "max", "abs", "jain", NULL };
static const int function_arity[] = { 3, 2, 2, 1, 0 }; /* 0: jain()'s own parser */

struct parser {
	struct cfg_ctx *x;
	struct tb_expect *e;
	const char *s, *p;
	struct tb_loc loc;
	bool failed;
};

static void perr(struct parser *ps, const char *at, const char *fmt, ...) TB_PRINTF(3, 4);

static void perr(struct parser *ps, const char *at, const char *fmt, ...)
{
	struct tb_loc loc = ps->loc;
	char msg[512];
	va_list ap;

	if (ps->failed)
		return; /* one message per expectation: the rest would be noise */
	ps->failed = true;
	loc.col += (int)(at - ps->s);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_error(ps->x->d, &loc, "expect %s: %s", ps->e->name, msg);
}

static void skip_ws(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static struct tb_expr *node_new(enum tb_expr_kind k, int col)
{
	struct tb_expr *n = xcalloc(1, sizeof(*n));

	n->kind = k;
	n->flow = n->node = -1;
	n->col = col;
	return n;
}

void expect_free_expr(struct tb_expr *e)
{
	if (!e)
		return;
	expect_free_expr(e->lhs);
	expect_free_expr(e->rhs);
	for (size_t i = 0; i < e->n_args; i++)
		expect_free_expr(e->args[i]);
	free(e->args);
	free(e->sel);
	free(e->name);
	free(e->subject);
	free(e->key);
	free(e);
}

struct tb_expr *expect_dup_expr(const struct tb_expr *e)
{
	struct tb_expr *n;

	if (!e)
		return NULL;
	n = xmalloc(sizeof(*n));
	*n = *e;
	n->lhs = expect_dup_expr(e->lhs);
	n->rhs = expect_dup_expr(e->rhs);
	n->name = e->name ? xstrdup(e->name) : NULL;
	n->subject = e->subject ? xstrdup(e->subject) : NULL;
	n->key = e->key ? xstrdup(e->key) : NULL;
	if (e->n_sel) {
		n->sel = xmalloc(e->n_sel * sizeof(*n->sel));
		memcpy(n->sel, e->sel, e->n_sel * sizeof(*n->sel));
	}
	if (e->n_args) {
		n->args = xmalloc(e->n_args * sizeof(*n->args));
		for (size_t i = 0; i < e->n_args; i++)
			n->args[i] = expect_dup_expr(e->args[i]);
	}
	return n;
}

static char *word(struct parser *ps, const char *extra)
{
	const char *b = ps->p;

	while (isalnum((unsigned char)*ps->p) || *ps->p == '_' || (*ps->p && strchr(extra, *ps->p)))
		ps->p++;
	return strndup(b, (size_t)(ps->p - b));
}

static struct tb_expr *parse_sum(struct parser *ps);
static struct tb_expr *parse_primary(struct parser *ps);

/* A number with an optional unit: 5, 0.7, 70mbit, 40ms, 1%. */
static struct tb_expr *parse_number(struct parser *ps)
{
	const char *b = ps->p, *why = "";
	struct tb_expr *n = node_new(TB_EX_NUM, (int)(b - ps->s));
	char tok[64];
	size_t len;
	char *end;
	uint64_t u;

	while (isalnum((unsigned char)*ps->p) || *ps->p == '.' || *ps->p == '%' ||
	       ((*ps->p == '+' || *ps->p == '-') && (ps->p[-1] == 'e' || ps->p[-1] == 'E') &&
		isdigit((unsigned char)ps->p[-2])))
		ps->p++;
	len = (size_t)(ps->p - b);
	if (len >= sizeof(tok)) {
		perr(ps, b, "number too long");
		return n;
	}
	memcpy(tok, b, len);
	tok[len] = 0;
	n->num = strtod(tok, &end);
	if (end == tok) {
		perr(ps, b, "bad number \"%s\"", tok);
		return n;
	}
	if (!isfinite(n->num)) { /* 1e400: every comparison with it decided in advance */
		perr(ps, b, "number \"%.*s\" out of range", (int)(end - tok), tok);
		return n;
	}
	if (!*end)
		return n;
	if (strcmp(end, "%") == 0) {
		n->unit = TB_UNIT_PCT;
		return n;
	}
	if (units_rate(tok, &u, &why) == 0) {
		n->num = (double)u;
		n->unit = TB_UNIT_RATE;
		return n;
	}
	if (units_time(tok, &u, &why) == 0) {
		n->num = (double)u / 1e6;
		n->unit = TB_UNIT_TIME;
		return n;
	}
	perr(ps, b + (end - tok), "unknown unit \"%s\" (use a rate like 10mbit, a time like 40ms, or %%)",
	     end);
	return n;
}

static int find_sweep(struct parser *ps, const char *key, const char *at)
{
	const struct tb_config *c = ps->x->c;
	int found = -1, matches = 0;

	for (size_t i = 0; i < c->n_sweeps; i++) {
		if (strcmp(c->sweeps[i].key, key) == 0)
			return (int)i;
		if (strcmp(c->sweeps[i].short_name, key) == 0) {
			found = (int)i;
			matches++;
		}
	}
	if (matches > 1) {
		perr(ps, at, "\"%s\" names more than one sweep: use the full key", key);
		return -1;
	}
	if (found < 0) {
		if (c->n_sweeps == 0)
			perr(ps, at, "selector \"%s\": the experiment has no [sweep]", key);
		else {
			const char **names = xcalloc(c->n_sweeps + 1, sizeof(char *));
			const char *s;

			for (size_t i = 0; i < c->n_sweeps; i++)
				names[i] = c->sweeps[i].short_name;
			s = cfg_suggest(names, key);
			free(names);
			if (s)
				perr(ps, at, "\"%s\" is not a swept key (did you mean \"%s\"?)", key, s);
			else
				perr(ps, at, "\"%s\" is not a swept key", key);
		}
	}
	return found;
}

/* Selector @key=@val of sweep @sw into @m: a value of the sweep, the sweep selected once. */
static void add_selection(struct parser *ps, struct tb_expr *m, int sw, const char *key,
			  const char *val, const char *kb, const char *vb)
{
	const struct tb_sweep *s = &ps->x->c->sweeps[sw];
	int vi = -1;

	for (size_t i = 0; i < s->n_values; i++)
		if (strcmp(s->values[i], val) == 0)
			vi = (int)i;
	for (size_t i = 0; i < m->n_sel; i++)
		if (m->sel[i].sweep == sw)
			perr(ps, kb, "\"%s\" is selected twice", key);
	if (vi < 0) {
		char list[256] = "";

		for (size_t i = 0; i < s->n_values; i++) {
			strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
			strncat(list, s->values[i], sizeof(list) - strlen(list) - 1);
		}
		perr(ps, vb, "\"%s\" is not a value of the sweep %s (%s)", val, s->key, list);
	} else {
		m->sel = xrealloc(m->sel, (m->n_sel + 1) * sizeof(*m->sel));
		m->sel[m->n_sel].sweep = sw;
		m->sel[m->n_sel].value = vi;
		m->n_sel++;
	}
}

static void parse_selector(struct parser *ps, struct tb_expr *m)
{
	const char *kb, *vb;
	char *key, *val;
	size_t n;
	int sw;

	skip_ws(ps);
	kb = ps->p;
	key = word(ps, ".-");
	skip_ws(ps);
	if (!*key || *ps->p != '=') {
		perr(ps, kb, "expected KEY=VALUE selecting a case, e.g. cc=bbr");
		free(key);
		return;
	}
	ps->p++;
	skip_ws(ps);
	vb = ps->p;
	while (*ps->p && *ps->p != ',' && *ps->p != ')')
		ps->p++;
	n = (size_t)(ps->p - vb);
	while (n && isspace((unsigned char)vb[n - 1]))
		n--;
	val = strndup(vb, n);
	sw = find_sweep(ps, key, kb);
	if (sw >= 0)
		add_selection(ps, m, sw, key, val, kb, vb);
	free(key);
	free(val);
}

/* A flow's metric: the flow exists and its worker measures the metric. */
static void resolve_flow(struct parser *ps, struct tb_expr *m, const char *at)
{
	const struct tb_config *c = ps->x->c;

	m->flow = config_flow(c, m->subject);
	if (m->flow < 0) {
		perr(ps, at, "%s(): unknown flow \"%s\"", m->name, m->subject);
		return;
	}
	if (!metric_find(m->name, (int)c->flows[m->flow].worker))
		perr(ps, at, "%s() is not measured for flow %s (worker %s)", m->name,
		     m->subject, config_worker_name(c->flows[m->flow].worker));
}

/* peak()'s STATE (upper-cased in place, '-' as '_'): one of metric_states. */
static void check_state(struct parser *ps, char *state, const char *at)
{
	for (char *p = state; *p; p++)
		*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	for (int i = 0; metric_states[i]; i++)
		if (strcmp(metric_states[i], state) == 0)
			return;
	perr(ps, at, "peak(): unknown socket state \"%s\" (ESTAB, SYN_RECV, TIME_WAIT, "
		     "CLOSE_WAIT, ...)",
	     state);
}

/* counter()'s name: an nstat MIB prefix and a counter, letters and digits only. */
static void check_counter(struct parser *ps, const char *name, const char *at)
{
	static const char *const mibs[] = { "TcpExt", "IpExt", "Tcp", "Udp", "UdpLite",
					    "Ip",     "Icmp",  "Ip6", "Udp6", "Icmp6",
					    "MPTcpExt", NULL };
	bool ok = false;

	for (int i = 0; mibs[i] && !ok; i++)
		ok = strncmp(name, mibs[i], strlen(mibs[i])) == 0 &&
		     isupper((unsigned char)name[strlen(mibs[i])]);
	for (const char *p = name; *p && ok; p++)
		ok = isalnum((unsigned char)*p) || *p == '_';
	if (!ok)
		perr(ps, at, "counter(): \"%s\" is not an nstat counter name (e.g. "
			     "TcpExtListenOverflows, TcpRetransSegs)",
		     name);
}

/* cfg(KEY): a numeric key of the file (a case may change its value, not
 * whether it exists); its unit is the key's. */
static void resolve_key(struct parser *ps, struct tb_expr *m, const char *at)
{
	char why[256];
	double v;

	if (config_get(ps->x->c, m->subject, &v, &m->unit, why, sizeof(why)))
		perr(ps, at, "cfg(%s): %s", m->subject, why);
}

static void resolve_subject(struct parser *ps, struct tb_expr *m, const struct tb_metric *md,
			    const char *at)
{
	const struct tb_config *c = ps->x->c;
	char *dot = strchr(m->subject, '.');

	if (md->subject == TB_MS_FLOW) {
		resolve_flow(ps, m, at);
		return;
	}
	if (md->subject == TB_MS_CONFIG) {
		resolve_key(ps, m, at);
		return;
	}
	if (md->subject == TB_MS_PROCESS) {
		m->node = config_process(c, m->subject);
		if (m->node < 0)
			perr(ps, at, "%s(): unknown process \"%s\"", m->name, m->subject);
		return;
	}
	if (!dot) {
		perr(ps, at, "%s() takes NODE.%s, e.g. %s", m->name,
		     md->subject == TB_MS_COUNTER ? "COUNTER" : "STATE",
		     md->subject == TB_MS_COUNTER ? "s1.TcpExtSyncookiesSent" : "c1.TIME_WAIT");
		return;
	}
	*dot = 0;
	m->node = config_node(c, m->subject);
	if (m->node < 0)
		perr(ps, at, "%s(): unknown node \"%s\"", m->name, m->subject);
	*dot = '.';
	if (md->subject == TB_MS_STATE)
		check_state(ps, dot + 1, at);
	else
		check_counter(ps, dot + 1, at);
}

/* fn(ARG, ...): one of functions[], index @fn */
static struct tb_expr *parse_function(struct parser *ps, const char *b, char *name, int fn)
{
	struct tb_expr *n = node_new(TB_EX_CALL, (int)(b - ps->s));

	n->name = name;
	for (;;) {
		n->args = xrealloc(n->args, (n->n_args + 1) * sizeof(*n->args));
		n->args[n->n_args++] = parse_sum(ps);
		skip_ws(ps);
		if (*ps->p != ',')
			break;
		ps->p++;
	}
	if (*ps->p != ')')
		perr(ps, ps->p, "expected \")\" to close %s(", name);
	else
		ps->p++;
	if ((int)n->n_args != function_arity[fn])
		perr(ps, b, "%s() takes %d argument%s", name, function_arity[fn],
		     function_arity[fn] == 1 ? "" : "s");
	return n;
}

/* A name that is neither a metric of the table nor a function. */
static void unknown_metric(struct parser *ps, const char *b, const char *name)
{
	size_t n = ARRAY_SIZE(functions), k = 0;
	const char **names;
	const char *s;

	for (const struct tb_metric *m = metric_table; m->name; m++)
		n++;
	names = xcalloc(n, sizeof(char *));
	for (const struct tb_metric *m = metric_table; m->name; m++)
		names[k++] = m->name;
	for (int i = 0; functions[i]; i++)
		names[k++] = functions[i];
	s = cfg_suggest(names, name);
	free(names);
	if (s)
		perr(ps, b, "unknown metric \"%s\" (did you mean \"%s\"?)", name, s);
	else
		perr(ps, b, "unknown metric \"%s\" (see docs/config.md for the list)", name);
}

/* value(P, KEY)'s KEY: metric.NAME (or NAME) of the process, or a dotted
 * JSON path of its output = json. */
static void parse_value_key(struct parser *ps, struct tb_expr *m)
{
	const struct tb_process *p = m->node >= 0 ? &ps->x->c->processes[m->node] : NULL;
	const char *kb, *name;
	bool metric = false;

	skip_ws(ps);
	if (*ps->p != ',') {
		perr(ps, ps->p, "value() takes a process and a KEY: value(%s, end.bytes)", m->subject);
		return;
	}
	ps->p++;
	skip_ws(ps);
	kb = ps->p;
	m->key = word(ps, ".-");
	if (!*m->key || strchr(m->key, '=')) {
		perr(ps, kb, "value(): expected a KEY (a JSON path such as end.sum.bytes, or a "
			     "metric.NAME) after the process");
		return;
	}
	name = strncmp(m->key, "metric.", 7) ? m->key : m->key + 7;
	for (size_t i = 0; p && i < p->n_metrics; i++)
		metric |= !strcmp(p->metrics[i].name, name);
	if (p && !metric && (p->output == TB_POUT_TEXT || name != m->key))
		perr(ps, kb, "value(%s, %s): process %s has no metric.%s%s", m->subject, m->key,
		     p->name, name, name != m->key ? "" : " and its output is text (not json or h2load)");
}

/* METRIC(SUBJECT[, KEY=VALUE]...) of the metric table (row @md, NULL when
 * @name is not in it) */
static struct tb_expr *parse_metric(struct parser *ps, const char *b, char *name,
				    const struct tb_metric *md)
{
	struct tb_expr *n = node_new(TB_EX_METRIC, (int)(b - ps->s));
	const char *sb = ps->p;

	n->name = name;
	if (!md) {
		unknown_metric(ps, b, name);
		return n;
	}
	n->unit = md->unit;
	n->subject = word(ps, ".-");
	if (!*n->subject) {
		if (md->subject == TB_MS_CONFIG)
			perr(ps, sb, "cfg() needs a key, e.g. cfg(link.r1-r2.rate) or "
				     "cfg(flow.bulk.server.read_rate)");
		else
			perr(ps, sb, "%s() needs a subject (a flow name%s)", name,
			     md->subject == TB_MS_FLOW ? "" : ", or NODE.NAME");
		return n;
	}
	resolve_subject(ps, n, md, sb);
	if (md->read == TB_READ_VALUE && !ps->failed)
		parse_value_key(ps, n);
	skip_ws(ps);
	while (*ps->p == ',' && !ps->failed) {
		ps->p++;
		parse_selector(ps, n);
		skip_ws(ps);
	}
	if (*ps->p != ')')
		perr(ps, ps->p, "expected \")\" to close %s(", name);
	else
		ps->p++;
	return n;
}

/* base(METRIC(...)): the metric, flagged to be read from the base run. */
static struct tb_expr *parse_base(struct parser *ps, const char *b, char *name)
{
	struct tb_expr *n;

	if (!ps->x->allow_base) {
		perr(ps, b, "base() is for testbed compare --fail-if (an experiment's [expect] "
			    "has no base run to read)");
		free(name);
		return node_new(TB_EX_NUM, (int)(b - ps->s));
	}
	free(name);
	ps->p++; /* '(' */
	n = parse_primary(ps);
	skip_ws(ps);
	if (!ps->failed && (n->kind != TB_EX_METRIC || n->base))
		perr(ps, b, "base() takes one metric, e.g. base(goodput(bulk))");
	else if (!ps->failed && *ps->p != ')')
		perr(ps, ps->p, "expected \")\" to close base(: it takes one metric");
	else if (!ps->failed)
		ps->p++;
	n->base = true;
	return n;
}

/* One flow of jain(): a goodput() metric node of a flow that measures goodput. */
static struct tb_expr *jain_flow(struct parser *ps, const struct tb_expr *call, char *flow,
				 const char *at)
{
	const struct tb_config *c = ps->x->c;
	struct tb_expr *m = node_new(TB_EX_METRIC, (int)(at - ps->s));

	m->name = xstrdup("goodput");
	m->unit = metric_unit("goodput");
	m->subject = flow;
	m->flow = config_flow(c, flow);
	if (m->flow < 0) {
		perr(ps, at, "jain(): unknown flow \"%s\"", flow);
		return m;
	}
	if (!metric_find("goodput", (int)c->flows[m->flow].worker))
		perr(ps, at, "jain(): flow %s (worker %s) has no goodput: jain() compares bulk "
			     "(or udp) flows",
		     flow, config_worker_name(c->flows[m->flow].worker));
	for (size_t i = 0; i < call->n_args; i++)
		if (call->args[i]->flow == m->flow)
			perr(ps, at, "jain(): flow %s is named twice", flow);
	return m;
}

/* After jain()'s list: at least two flows, each with every selector of the call. */
static void jain_finish(struct parser *ps, struct tb_expr *n, const struct tb_expr *sel,
			const char *b)
{
	if (n->n_args < 2 && !ps->failed)
		perr(ps, b, "jain() takes at least 2 flows, e.g. jain(a, b) (it has %zu)",
		     n->n_args);
	for (size_t i = 0; i < n->n_args && sel->n_sel; i++) {
		n->args[i]->sel = xmalloc(sel->n_sel * sizeof(*sel->sel));
		memcpy(n->args[i]->sel, sel->sel, sel->n_sel * sizeof(*sel->sel));
		n->args[i]->n_sel = sel->n_sel;
	}
}

/* jain(FLOW, FLOW, ...[, KEY=VALUE]...): Jain's fairness index of the flows'
 * goodput; the selectors pick the case of every flow. Each flow becomes an
 * argument goodput(FLOW, selectors...), so the report reads and iterates
 * them as any metric. */
static struct tb_expr *parse_jain(struct parser *ps, const char *b, char *name)
{
	struct tb_expr *n = node_new(TB_EX_CALL, (int)(b - ps->s));
	struct tb_expr *sel = node_new(TB_EX_NUM, 0);

	n->name = name;
	while (!ps->failed) {
		const char *at;
		char *w;

		skip_ws(ps);
		at = ps->p;
		w = word(ps, ".-");
		skip_ws(ps);
		if (*ps->p == '=' && *w) {
			ps->p = at;
			parse_selector(ps, sel);
			free(w);
		} else if (!*w) {
			perr(ps, at, "jain() takes flow names, e.g. jain(a, b, case=x)");
			free(w);
		} else {
			n->args = xrealloc(n->args, (n->n_args + 1) * sizeof(*n->args));
			n->args[n->n_args] = jain_flow(ps, n, w, at);
			n->n_args++;
		}
		skip_ws(ps);
		if (*ps->p != ',')
			break;
		ps->p++;
	}
	if (!ps->failed && *ps->p != ')')
		perr(ps, ps->p, "expected \")\" to close jain(");
	else if (!ps->failed)
		ps->p++;
	jain_finish(ps, n, sel, b);
	expect_free_expr(sel);
	return n;
}

static struct tb_expr *parse_call(struct parser *ps, const char *b, char *name)
{
	const struct tb_metric *md = metric_find(name, -1);
	int fn = -1;

	for (int i = 0; functions[i]; i++)
		if (strcmp(functions[i], name) == 0)
			fn = i;
	ps->p++; /* '(' */
	skip_ws(ps);
	if (fn >= 0 && !strcmp(name, "jain"))
		return parse_jain(ps, b, name);
	/* max(rr) is the metric, max(a, b) the function */
	if (fn >= 0 && !(md && *ps->p && isalpha((unsigned char)*ps->p)))
		return parse_function(ps, b, name, fn);
	return parse_metric(ps, b, name, md);
}

static struct tb_expr *parse_primary(struct parser *ps)
{
	const char *b;

	skip_ws(ps);
	b = ps->p;
	if (*ps->p == '(') {
		struct tb_expr *n;

		ps->p++;
		n = parse_sum(ps);
		skip_ws(ps);
		if (*ps->p != ')')
			perr(ps, ps->p, "expected \")\"");
		else
			ps->p++;
		return n;
	}
	if (*ps->p == '-') {
		struct tb_expr *n = node_new(TB_EX_NEG, (int)(b - ps->s));

		ps->p++;
		n->lhs = parse_primary(ps);
		return n;
	}
	if (isdigit((unsigned char)*ps->p) || *ps->p == '.')
		return parse_number(ps);
	if (isalpha((unsigned char)*ps->p)) {
		char *name = word(ps, "");

		skip_ws(ps);
		if (*ps->p == '(' && !strcmp(name, "base"))
			return parse_base(ps, b, name);
		if (*ps->p == '(')
			return parse_call(ps, b, name);
		perr(ps, b, "\"%s\" is not a number or a metric: metrics are written NAME(FLOW), "
			    "e.g. goodput(bulk)",
		     name);
		free(name);
		return node_new(TB_EX_NUM, (int)(b - ps->s));
	}
	if (!*ps->p)
		perr(ps, b, "expression ends too early");
	else
		perr(ps, b, "unexpected \"%c\"", *ps->p);
	return node_new(TB_EX_NUM, (int)(b - ps->s));
}

static struct tb_expr *binop(char op, struct tb_expr *l, struct tb_expr *r)
{
	struct tb_expr *n = node_new(TB_EX_BINOP, l->col);

	n->op = op;
	n->lhs = l;
	n->rhs = r;
	return n;
}

static struct tb_expr *parse_term(struct parser *ps)
{
	struct tb_expr *n = parse_primary(ps);

	for (skip_ws(ps); (*ps->p == '*' || *ps->p == '/') && !ps->failed; skip_ws(ps)) {
		char op = *ps->p++;
		const char *at;
		struct tb_expr *r;

		skip_ws(ps);
		at = ps->p;
		r = parse_primary(ps);
		if (op == '/' && r->kind == TB_EX_NUM && r->num == 0 && !ps->failed)
			perr(ps, at, "division by zero");
		n = binop(op, n, r);
	}
	return n;
}

static struct tb_expr *parse_sum(struct parser *ps)
{
	struct tb_expr *n = parse_term(ps);

	for (skip_ws(ps); (*ps->p == '+' || *ps->p == '-') && !ps->failed; skip_ws(ps)) {
		char op = *ps->p++;

		n = binop(op, n, parse_term(ps));
	}
	return n;
}

/* @e's unit; *@mixed when it is a product or quotient of measures (a rate
 * x a time, 1 / a rate), which has none of the units and is not judged. */
static enum tb_unit unit_of(const struct tb_expr *e, bool *mixed)
{
	bool ma = false, mb = false;
	enum tb_unit a, b;

	switch (e ? e->kind : TB_EX_NUM) {
	case TB_EX_NUM:
		return e ? e->unit : TB_UNIT_COUNT;
	case TB_EX_METRIC:
		return e->unit;
	case TB_EX_NEG:
		return unit_of(e->lhs, mixed);
	case TB_EX_CALL:
		if (!strcmp(e->name, "mathis"))
			return TB_UNIT_RATE;
		if (!strcmp(e->name, "jain"))
			return TB_UNIT_COUNT;
		a = e->n_args ? unit_of(e->args[0], mixed) : TB_UNIT_COUNT;
		return a != TB_UNIT_COUNT || e->n_args < 2 ? a : unit_of(e->args[1], mixed);
	case TB_EX_BINOP:
		a = unit_of(e->lhs, &ma);
		b = unit_of(e->rhs, &mb);
		if (e->op == '+' || e->op == '-') {
			*mixed = ma && mb;
			return a != TB_UNIT_COUNT ? a : b;
		}
		if (e->op == '/' && a == b && !ma && !mb)
			return TB_UNIT_COUNT; /* a share, a ratio of two times */
		if (ma || mb || (a != TB_UNIT_COUNT && b != TB_UNIT_COUNT) ||
		    (e->op == '/' && b != TB_UNIT_COUNT)) {
			*mixed = true;
			return TB_UNIT_COUNT;
		}
		return a != TB_UNIT_COUNT ? a : b;
	}
	return TB_UNIT_COUNT;
}

enum tb_unit config_expr_unit(const struct tb_expr *e)
{
	bool mixed = false;
	enum tb_unit u = unit_of(e, &mixed);

	return mixed ? TB_UNIT_COUNT : u;
}

static const char *unit_name(enum tb_unit u)
{
	static const char *const names[] = { "a number", "a rate", "a time", "a percentage",
					     "a count per second" };

	return names[u];
}

static bool parse_cmp(struct parser *ps, enum tb_cmp *cmp)
{
	static const struct {
		const char *op;
		enum tb_cmp cmp;
	} ops[] = { { "<=", TB_CMP_LE }, { ">=", TB_CMP_GE }, { "==", TB_CMP_EQ },
		    { "!=", TB_CMP_NE }, { "<", TB_CMP_LT },  { ">", TB_CMP_GT } };

	skip_ws(ps);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		size_t n = strlen(ops[i].op);

		if (strncmp(ps->p, ops[i].op, n) == 0) {
			ps->p += n;
			*cmp = ops[i].cmp;
			return true;
		}
	}
	return false;
}

/* Whether @e names exit() or runtime() of process @proc. */
static bool judges(const struct tb_expr *e, int proc)
{
	if (!e)
		return false;
	if (e->kind == TB_EX_METRIC && e->node == proc && e->flow < 0 &&
	    (!strcmp(e->name, "exit") || !strcmp(e->name, "runtime")))
		return true;
	if (judges(e->lhs, proc) || judges(e->rhs, proc))
		return true;
	for (size_t i = 0; i < e->n_args; i++)
		if (judges(e->args[i], proc))
			return true;
	return false;
}

bool config_process_judged(const struct tb_config *c, int proc)
{
	for (size_t i = 0; i < c->n_expects; i++)
		if (judges(c->expects[i].lhs, proc) || judges(c->expects[i].rhs, proc))
			return true;
	return false;
}

int expect_parse(struct cfg_ctx *x, struct tb_expect *e, const char *text, const struct tb_loc *loc)
{
	struct parser ps = { .x = x, .e = e, .s = text, .p = text, .loc = *loc };

	if (!*text) {
		perr(&ps, text, "empty expression");
		return -EINVAL;
	}
	e->lhs = parse_sum(&ps);
	if (!ps.failed && !parse_cmp(&ps, &e->cmp)) {
		if (*ps.p == '=')
			perr(&ps, ps.p, "use == to compare for equality");
		else
			perr(&ps, ps.p, "expected a comparison (<, <=, >, >=, ==, !=)");
	}
	if (!ps.failed) {
		const char *at = ps.p;
		enum tb_unit lu, ru;

		e->rhs = parse_sum(&ps);
		lu = config_expr_unit(e->lhs);
		ru = config_expr_unit(e->rhs);
		while (isspace((unsigned char)*at))
			at++;
		if (!ps.failed && lu != TB_UNIT_COUNT && ru != TB_UNIT_COUNT && lu != ru)
			perr(&ps, at, "compares %s with %s", unit_name(lu), unit_name(ru));
	}
	skip_ws(&ps);
	if (!ps.failed && *ps.p)
		perr(&ps, ps.p, "unexpected text \"%s\" after the expression", ps.p);
	return ps.failed ? -EINVAL : 0;
}

int config_expect_parse(const struct tb_config *c, struct tb_expect *e, const char *text,
			const struct tb_loc *loc, struct tb_diag *d)
{
	struct cfg_ctx x = { .c = (struct tb_config *)c, .d = d, .allow_base = true };

	e->text = xstrdup(text);
	e->loc = *loc;
	return expect_parse(&x, e, text, loc);
}

void config_expect_free(struct tb_expect *e)
{
	if (!e)
		return;
	free(e->text);
	expect_free_expr(e->lhs);
	expect_free_expr(e->rhs);
	memset(e, 0, sizeof(*e));
}
