/* The workers' command lines of every flow (client and server) of every case
 * of every shipped experiment, and of tests/unit/run_argv.conf (every flow
 * key a worker takes), against tests/unit/run_argv.golden: the
 * command lines run_argv built when the golden file was written. Options
 * may come in another order (each is compared with its value); anything
 * else is a difference. No root, no namespaces: the server's address comes
 * from the address plan. Run from the source tree; `run_argv.t --write`
 * rewrites the golden file from the code as it is. */
#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "net/plan.h"
#include "run/run.h"
#include "tap.h"
#include "util/util.h"

#define GOLDEN "tests/unit/run_argv.golden"

struct lines {
	char **v;
	size_t n, cap;
};

static void push(struct lines *l, char *s)
{
	l->v = tb_grow(l->v, &l->cap, l->n + 1, sizeof(char *));
	l->v[l->n++] = s;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* The address a client of flow @f connects to, as topo_addr gives it: the
 * server node's on its first link. */
static const char *flow_addr(const struct plan *p, const struct tb_flow *f, char *buf, size_t len)
{
	const struct plan_node *pn = &p->nodes[f->to];
	const struct plan_end *pe;

	if (pn->first_link < 0)
		return NULL;
	pe = &p->ends[pn->first_link][pn->first_end];
	if (f->family == TB_FAMILY_IPV6)
		return pe->has6 && p->ipv6 ? plan_ntop(AF_INET6, &pe->a6, buf, len) : NULL;
	return pe->has4 ? plan_ntop(AF_INET, &pe->a4, buf, len) : NULL;
}

/* "EXPERIMENT case K flow NAME client: ARGV..." */
static char *argv_line(const char *exp, size_t k, const struct tb_config *c, const struct plan *p,
		       int flow, bool server)
{
	char **argv = NULL, *s = NULL, addr[INET6_ADDRSTRLEN];
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	int rc = run_argv(c, flow, server, flow_addr(p, &c->flows[flow], addr, sizeof(addr)), "W",
			  "F", c->exp.duration_us, &argv);

	fprintf(f, "%s case %zu flow %s %s:", exp, k, c->flows[flow].name,
		server ? "server" : "client");
	if (rc == -ENOENT)
		fprintf(f, " (no process)");
	else if (rc)
		fprintf(f, " (error %d)", rc);
	for (char **a = argv; a && *a; a++)
		fprintf(f, " %s", *a);
	fclose(f);
	tb_strv_free(argv);
	return s;
}

/* Every command line of experiment @path into @out; false if it does not
 * load. */
static bool experiment_lines(const char *path, struct lines *out)
{
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load(path, &d);
	const char *exp = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	bool ok = c && !diag_errors(&d);

	for (size_t k = 0; ok && k < config_n_cases(c); k++) {
		struct tb_config *ck = config_case(c, k, &d);
		struct plan *p;
		char msg[256];

		if (!ck)
			tap_bail("%s: case %zu does not apply", path, k);
		if (plan_make(ck, &p, msg, sizeof(msg)))
			tap_bail("%s: plan: %s", path, msg);
		for (size_t i = 0; i < ck->n_flows; i++) {
			push(out, argv_line(exp, k, ck, p, (int)i, false));
			push(out, argv_line(exp, k, ck, p, (int)i, true));
		}
		plan_free(p);
		config_free(ck);
	}
	diag_free(&d);
	config_free(c);
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* @line with its options sorted: the label and argv[0] stay first, each
 * "--option" keeps the value that follows it (if any). */
static char *canonical(const char *line)
{
	char *copy = xstrdup(line), *save = NULL, *tok, *s = NULL;
	struct lines opts = { 0 };
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "--", 2))
			push(&opts, xstrdup(tok));
		else if (opts.n) {
			char *o = opts.v[opts.n - 1];

			opts.v[opts.n - 1] = xasprintf("%s %s", o, tok);
			free(o);
		} else {
			fprintf(f, "%s ", tok);
		}
	}
	if (opts.n)
		qsort(opts.v, opts.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < opts.n; i++)
		fprintf(f, "%s ", opts.v[i]);
	fclose(f);
	lines_free(&opts);
	free(copy);
	return s;
}

static void read_golden(struct lines *want)
{
	FILE *f = fopen(GOLDEN, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		tap_bail("%s: %s", GOLDEN, strerror(errno));
	while ((n = getline(&line, &cap, f)) > 0) {
		line[strcspn(line, "\n")] = 0;
		push(want, xstrdup(line));
	}
	free(line);
	fclose(f);
}

static int write_golden(const struct lines *got)
{
	FILE *f = fopen(GOLDEN, "w");

	if (!f)
		tap_bail("%s: %s", GOLDEN, strerror(errno));
	for (size_t i = 0; i < got->n; i++)
		fprintf(f, "%s\n", got->v[i]);
	if (fclose(f))
		tap_bail("%s: %s", GOLDEN, strerror(errno));
	printf("# wrote %zu command lines to %s\n", got->n, GOLDEN);
	return 0;
}

/* Compare @got with @want from line @*at on, as far as @got goes. */
static void compare(const char *path, const struct lines *got, const struct lines *want,
		    size_t *at, size_t *same_order)
{
	size_t differ = 0;

	for (size_t i = 0; i < got->n; i++, (*at)++) {
		const char *w = *at < want->n ? want->v[*at] : "(missing)";
		char *cg = canonical(got->v[i]), *cw = canonical(w);

		if (strcmp(cg, cw) && differ++ == 0)
			tap_diag("got  %s\n# want %s", got->v[i], w);
		*same_order += !strcmp(got->v[i], w);
		free(cg);
		free(cw);
	}
	tap_ok(!differ, "%s: %zu command lines as in the golden file (%zu differ)", path, got->n,
	       differ);
}

int main(int argc, char **argv)
{
	bool write = argc > 1 && !strcmp(argv[1], "--write");
	struct lines all = { 0 }, want = { 0 };
	size_t at = 0, same_order = 0;
	glob_t g;

	if (glob("experiments/*.conf", 0, NULL, &g) != 0)
		tap_skip_all("no experiments/*.conf here (run from the source tree)");
	glob("tests/unit/run_argv.conf", GLOB_APPEND, NULL, &g);
	if (!write)
		read_golden(&want);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct lines got = { 0 };

		if (!tap_ok(experiment_lines(g.gl_pathv[i], &got), "%s loads", g.gl_pathv[i]))
			continue;
		if (!write)
			compare(g.gl_pathv[i], &got, &want, &at, &same_order);
		for (size_t j = 0; j < got.n; j++)
			push(&all, got.v[j]);
		free(got.v);
	}
	globfree(&g);
	if (write)
		return write_golden(&all);
	tap_is_int((long long)at, (long long)want.n, "as many command lines as the golden file");
	tap_diag("%zu of %zu command lines in the golden file's order", same_order, at);
	lines_free(&all);
	lines_free(&want);
	return tap_done();
}
