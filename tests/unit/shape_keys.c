/* One table of shaping keys drives both parsers: a [link] section of a file
 * and `testbed shape`'s KEY=VALUE arguments (config_shape_set) give the same
 * shape, the same TB_SH_* bits and, for a bad value, the same message. Every
 * key of the table must have a value here (a new key fails until it does).
 * Also the queue-kind table the `queue` key reads its names from. No root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "tap.h"

/* A valid value of every shaping key. */
static const char *const good[][2] = {
	{ "rate", "10mbit" },
	{ "shaper", "htb" },
	{ "burst", "16k" },
	{ "delay", "20ms" },
	{ "jitter", "5ms" },
	{ "distribution", "normal" },
	{ "delay_correlation", "10%" },
	{ "loss", "1%" },
	{ "loss_correlation", "25%" },
	{ "loss_model", "gemodel" },
	{ "ge_p", "1%" },
	{ "ge_r", "10%" },
	{ "ge_h", "70%" },
	{ "ge_k", "0.1%" },
	{ "duplicate", "0.5%" },
	{ "reorder", "10%" },
	{ "reorder_correlation", "5%" },
	{ "reorder_gap", "5" },
	{ "corrupt", "0.1%" },
	{ "queue", "fq_codel" },
	{ "limit", "2000" },
	{ "netem_limit", "5000" },
	{ "target", "5ms" },
	{ "interval", "100ms" },
	{ "flows", "1024" },
	{ "trace", "cell.trace" },
	{ "ecn", "on" },
};

/* Values the table refuses: out of range, or not one of the names. */
static const char *const bad[][2] = {
	{ "delay", "20s" },	     { "rate", "0" },		{ "rate", "2tbit" },
	{ "reorder_gap", "0" },	     { "flows", "70000" },	{ "netem_limit", "20m" },
	{ "interval", "200s" },	     { "target", "0" },		{ "loss", "101%" },
	{ "queue", "fqq" },	     { "shaper", "tbq" },	{ "ecn", "maybe" },
	{ "burst", "0" },	     { "limit", "5g" },		{ "jitter", "-1ms" },
};

/* The key names `testbed shape --help` lists, from the table. */
static size_t table_keys(char names[64][32])
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&buf, &len);

	config_shape_help(f);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line && n < 64; line = strtok_r(NULL, "\n", &save))
		if (line[0] == ' ' && line[1] == ' ' && line[2] != ' ')
			sscanf(line, "%31s", names[n++]);
	free(buf);
	return n;
}

/* @key = @value as line 4 of a [link]: its first direction's shape, and
 * the message (if any) about @key. */
static void from_file(const char *key, const char *value, struct tb_shape *sh, char *msg,
		      size_t len)
{
	char text[256], pre[64];
	struct tb_diag d = { 0 };
	struct tb_config *c;

	snprintf(text, sizeof(text), "[node a]\n[node b]\n[link a-b]\n%s = %s\n", key, value);
	snprintf(pre, sizeof(pre), "%s: ", key);
	c = config_load_buffer("k.conf", text, strlen(text), &d);
	msg[0] = 0;
	for (size_t i = 0; i < d.n; i++)
		if (!strncmp(d.msgs[i].text, pre, strlen(pre)))
			snprintf(msg, len, "%s", d.msgs[i].text);
	config_shape_defaults(sh);
	if (c && c->n_links) /* memcpy: padding included, for memcmp */
		memcpy(sh, &c->links[0].dir[0], sizeof(*sh));
	memset(&sh->loc, 0, sizeof(sh->loc));
	config_free(c);
	diag_free(&d);
}

/* The same through config_shape_set, as `testbed shape` calls it. */
static int from_shape(const char *key, const char *value, struct tb_shape *sh, char *msg,
		      size_t len)
{
	struct tb_diag d = { 0 };
	int rc;

	config_shape_defaults(sh);
	rc = config_shape_set(sh, key, value, NULL, &d);
	snprintf(msg, len, "%s", d.n ? d.msgs[0].text : "");
	diag_free(&d);
	return rc;
}

static const char *good_value(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (!strcmp(good[i][0], key))
			return good[i][1];
	return NULL;
}

static void test_every_key(void)
{
	char names[64][32], m1[256], m2[256];
	size_t n = table_keys(names);
	struct tb_shape a, b;

	tap_is_int((long long)n, (long long)ARRAY_SIZE(good), "every key of the table has a value here");
	for (size_t i = 0; i < n; i++) {
		const char *v = good_value(names[i]);
		char what[128];
		int rc;

		if (!v) {
			tap_ok(false, "%s: a value to test it with (add one to good[])", names[i]);
			continue;
		}
		from_file(names[i], v, &a, m1, sizeof(m1));
		rc = from_shape(names[i], v, &b, m2, sizeof(m2));
		if (!strcmp(names[i], "trace")) { /* a file's is read, resolved and checked */
			tap_ok(rc == 0 && !m2[0] && a.set == b.set && !strcmp(b.trace, v),
			       "trace = %s: the same TB_SH_* bit (%#x) and path as given", v, a.set);
			continue;
		}
		snprintf(what, sizeof(what), "%s = %s: the same shape and TB_SH_* bits (%#x, %#x)",
			 names[i], v, a.set, b.set);
		tap_ok(rc == 0 && !m1[0] && !m2[0] && a.set && !memcmp(&a, &b, sizeof(a)), "%s",
		       what);
	}
}

static void test_bad_values(void)
{
	char m1[256], m2[256];
	struct tb_shape a, b;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *k = bad[i][0], *v = bad[i][1];
		int rc = from_shape(k, v, &b, m2, sizeof(m2));

		from_file(k, v, &a, m1, sizeof(m1));
		tap_ok(rc == -EINVAL && m1[0] && !strcmp(m1, m2) && !b.set,
		       "%s = %s refused alike: \"%s\"", k, v, m2);
		if (strcmp(m1, m2))
			tap_diag("file: \"%s\"", m1);
	}
	tap_is_int(from_shape("dealy", "1ms", &b, m2, sizeof(m2)), -ENOENT, "an unknown key");
	tap_is_str(m2, "unknown key \"dealy\" (did you mean \"delay\"?)", "... with the nearest key");
}

/* The drift issue 15 found: the correlation keys and reorder_gap set no
 * bit in `testbed shape`; the table's bits are the file's. */
static void test_bits(void)
{
	char m[256];
	struct tb_shape s;

	from_shape("delay_correlation", "10%", &s, m, sizeof(m));
	tap_is_int(s.set, TB_SH_DELAY, "delay_correlation sets TB_SH_DELAY");
	from_shape("loss_correlation", "10%", &s, m, sizeof(m));
	tap_is_int(s.set, TB_SH_LOSS, "loss_correlation sets TB_SH_LOSS");
	from_shape("reorder_gap", "3", &s, m, sizeof(m));
	tap_is_int(s.set, TB_SH_REORDER, "reorder_gap sets TB_SH_REORDER");
	tap_is_int(config_shape_bits(TB_PART_NETEM),
		   TB_SH_DELAY | TB_SH_JITTER | TB_SH_LOSS | TB_SH_DUPLICATE | TB_SH_REORDER |
			   TB_SH_CORRUPT | TB_SH_NETEM_LIMIT | TB_SH_GEMODEL | TB_SH_DIST,
		   "the keys of the netem part set the bits that need netem");
	tap_is_int(config_shape_bits(TB_PART_RATE), TB_SH_RATE | TB_SH_SHAPER | TB_SH_BURST | TB_SH_TRACE,
		   "the rate part's bits");
	tap_is_int(config_shape_bits(TB_PART_QUEUE), TB_SH_QUEUE | TB_SH_LIMIT | TB_SH_AQM,
		   "the queue part's bits");
}

static void test_queue_kinds(void)
{
	char m[256], buf[64];
	struct tb_shape s;
	int same = 0;

	for (int q = 0; q < TB_QUEUE_N; q++) {
		from_shape("queue", config_queue_kind(q)->name, &s, m, sizeof(m));
		same += (int)s.queue == q;
	}
	tap_is_int(same, TB_QUEUE_N, "the queue key's values are the queue table's names, in order");
	tap_is_str(config_queue_kind(TB_QUEUE_N)->name, "default", "out of range: the default row");
	tap_is_str(config_queue_names(TB_QK_TARGET, "or", buf, sizeof(buf)),
		   "fq_codel, codel or cake", "the kinds with an AQM target");
	tap_is_str(config_queue_names(TB_QK_FLOWS, "and", buf, sizeof(buf)), "fq_codel",
		   "the kinds with flows");
	tap_ok(config_queue_kind(TB_QUEUE_BFIFO)->limit_bytes &&
		       !config_queue_kind(TB_QUEUE_PFIFO)->limit_bytes,
	       "bfifo's limit counts bytes, pfifo's packets");
	for (int q = 0; q < TB_QUEUE_N; q++) {
		const struct tb_queue_kind *k = config_queue_kind(q);

		if ((k->keys & k->accepts) != k->keys)
			tap_diag("%s acts on keys it refuses", k->name);
		same -= (k->keys & k->accepts) == k->keys;
	}
	tap_is_int(same, 0, "every kind accepts the keys it acts on");
}

int main(void)
{
	test_every_key();
	test_bad_values();
	test_bits();
	test_queue_kinds();
	return tap_done();
}
