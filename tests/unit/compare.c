/* Unit tests of base(METRIC): accepted by config_expect_parse (testbed
 * compare --fail-if) and refused in an experiment's [expect]; and of the
 * JUnit writer's escaping and counts. No root. (The comparison itself is
 * tested on fixture run directories in tests/cli/compare.t and on real
 * runs in tests/integration/compare.t.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "report/junit.h"
#include "report/report_int.h"
#include "tap.h"

static const char conf[] = "[experiment]\nname = cmpu\nduration = 1s\n"
			   "[node c1]\n[node s1]\n[link c1-s1]\n"
			   "[flow bulk]\nworker = bulk\nfrom = c1\nto = s1\n"
			   "[flow rr]\nworker = rr\nfrom = c1\nto = s1\n"
			   "[sweep]\nflow.bulk.cc = cubic, bbr\n";

/* The first message of @d, or "". */
static const char *first_msg(const struct tb_diag *d)
{
	return d->n ? d->msgs[0].text : "";
}

/* config_expect_parse of @text against @c: 0, or -1 with the message in @msg. */
static int gate(const struct tb_config *c, const char *text, struct tb_expect *e, char *msg,
		size_t len)
{
	struct tb_diag d = { 0 };
	struct tb_loc loc = { "--fail-if", 1, 1 };
	int rc;

	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "1");
	rc = config_expect_parse(c, e, text, &loc, &d);
	snprintf(msg, len, "%s", first_msg(&d));
	diag_free(&d);
	return rc < 0 ? -1 : 0;
}

static void test_refused_in_file(void)
{
	char buf[2048];
	struct tb_diag d = { 0 };
	struct tb_config *c;

	snprintf(buf, sizeof(buf), "%s[expect]\nkept = goodput(bulk) > 0.9 * base(goodput(bulk))\n",
		 conf);
	c = config_load_buffer("mem.conf", buf, strlen(buf), &d);
	tap_ok(diag_errors(&d) == 1 && strstr(first_msg(&d), "base() is for testbed compare --fail-if"),
	       "base() in an experiment's [expect] is refused: %s", first_msg(&d));
	tap_is_int(d.n ? d.msgs[0].line : 0, 18, "... at the expectation's line");
	diag_free(&d);
	config_free(c);
}

static void test_accepted_in_gate(const struct tb_config *c)
{
	struct tb_expect e;
	char msg[512], *t;

	tap_ok(gate(c, "goodput(bulk, cc=bbr) < 0.9 * base(goodput(bulk, cc=bbr))", &e, msg,
		    sizeof(msg)) == 0,
	       "--fail-if with base() parses");
	tap_ok(e.lhs && !e.lhs->base && e.rhs && e.rhs->kind == TB_EX_BINOP && e.rhs->rhs->base &&
		       e.rhs->rhs->kind == TB_EX_METRIC && e.rhs->rhs->n_sel == 1,
	       "base() flags its metric (with its selector), not the other side's");
	t = rp_expr_text(c, e.rhs);
	tap_is_str(t, "0.9 * base(goodput(bulk, cc=bbr))", "the expression reads back with base()");
	free(t);
	config_expect_free(&e);
	tap_ok(gate(c, "p99(rr) > 1.2 * base(p99(rr)) + 1ms", &e, msg, sizeof(msg)) == 0,
	       "base() of a latency, with a time constant");
	config_expect_free(&e);
}

static void test_bad_gates(const struct tb_config *c)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "goodput(bulk) < base(5)", "base() takes one metric" },
		{ "goodput(bulk) < base(goodput(bulk) * 2)", "close base(" },
		{ "goodput(bulk) < base(base(goodput(bulk)))", "base() takes one metric" },
		{ "goodput(bulk) < base(goodptu(bulk))", "unknown metric \"goodptu\"" },
		{ "goodput(bulk) < base(p99(rr))", "compares a rate with a time" },
		{ "goodput(bulk) < base(goodput(bulk, cc=reno))", "not a value of the sweep" },
	};
	struct tb_expect e;
	char msg[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = gate(c, bad[i].text, &e, msg, sizeof(msg));

		tap_ok(rc < 0 && strstr(msg, bad[i].want), "refused: %s", bad[i].text);
		tap_diag("%s", msg);
		config_expect_free(&e);
	}
}

static void test_junit(void)
{
	char path[] = "/tmp/tb-junit-XXXXXX", *s = NULL;
	struct junit_case tc[2] = {
		{ "ok one", "exp", NULL, NULL },
		{ "a<b & \"c\" 'd'\x01", "exp", "1 < 2 & \"x\"\nline2", "body <&>" },
	};
	size_t len = 0;
	FILE *f;
	int fd = mkstemp(path);

	if (fd < 0)
		tap_bail("mkstemp");
	close(fd);
	tap_is_int(junit_write(path, "suite & co", tc, 2), 0, "junit_write writes the file");
	f = fopen(path, "r");
	if (f) {
		char buf[4096];

		len = fread(buf, 1, sizeof(buf) - 1, f);
		buf[len] = 0;
		s = strdup(buf);
		fclose(f);
	}
	tap_ok(s && strstr(s, "name=\"a&lt;b &amp; &quot;c&quot; &apos;d&apos;?\""),
	       "a name's <, &, quotes escaped, a control character replaced");
	tap_ok(s && strstr(s, "message=\"1 &lt; 2 &amp; &quot;x&quot;&#10;line2\""),
	       "a message's newline kept as a reference");
	tap_ok(s && strstr(s, ">body &lt;&amp;&gt;</failure>"), "the failure's text escaped");
	tap_ok(s && strstr(s, "tests=\"2\" failures=\"1\"") && strstr(s, "name=\"suite &amp; co\""),
	       "the suite counts 2 tests, 1 failure");
	free(s);
	unlink(path);
}

int main(void)
{
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load_buffer("mem.conf", conf, strlen(conf), &d);

	if (!c || diag_errors(&d)) {
		diag_print(&d, stdout);
		tap_bail("the test experiment does not load");
	}
	diag_free(&d);
	test_refused_in_file();
	test_accepted_in_gate(c);
	test_bad_gates(c);
	test_junit();
	config_free(c);
	return tap_done();
}
