/* Unit tests of units, the parser, the model and the case expansion. No root. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/metric.h"
#include "tap.h"
#include "util/units.h"

static void test_units(void)
{
	const char *why = "";
	uint64_t u = 0;
	double v = 0;
	int b = -1;

	tap_ok(units_rate("100mbit", &u, &why) == 0 && u == 100000000, "100mbit = 1e8 bit/s");
	tap_ok(units_rate("1.5gbit", &u, &why) == 0 && u == 1500000000, "1.5gbit");
	tap_ok(units_rate("64kibit", &u, &why) == 0 && u == 65536, "64kibit is 1024-based");
	tap_ok(units_rate("10mbps", &u, &why) == 0 && u == 80000000, "mbps is bytes/s");
	tap_ok(units_rate("1000", &u, &why) == 0 && u == 1000, "bare rate is bit/s");
	tap_ok(units_rate("10mbits", &u, &why) == -EINVAL, "unknown rate unit refused");
	tap_ok(units_rate("-1mbit", &u, &why) == -ERANGE, "negative rate refused");
	tap_ok(units_time("20ms", &u, &why) == 0 && u == 20000, "20ms");
	tap_ok(units_time("1.5s", &u, &why) == 0 && u == 1500000, "1.5s");
	tap_ok(units_time("250us", &u, &why) == 0 && u == 250, "250us");
	tap_ok(units_time("2min", &u, &why) == 0 && u == 120000000, "2min");
	tap_ok(units_time("0", &u, &why) == 0 && u == 0, "bare 0 time allowed");
	tap_ok(units_time("20", &u, &why) == -EINVAL && strstr(why, "unit"), "bare time needs a unit");
	tap_ok(units_time("-5ms", &u, &why) == -ERANGE, "negative time refused");
	tap_ok(units_time("0x10ms", &u, &why) == -EINVAL, "hex refused");
	tap_ok(units_size("64k", &u, &why) == 0 && u == 65536, "64k = 65536 bytes (tc)");
	tap_ok(units_size("1500", &u, &why) == 0 && u == 1500, "bare size is bytes");
	tap_ok(units_size("8kbit", &u, &why) == 0 && u == 1024, "8kbit = 1024 bytes");
	tap_ok(units_size("1g", &u, &why) == 0 && u == 1073741824ull, "1g");
	tap_ok(units_percent("1%", &v, &why) == 0 && v == 1.0, "1%%");
	tap_ok(units_percent("0.001%", &v, &why) == 0 && fabs(v - 0.001) < 1e-12, "0.001%%");
	tap_ok(units_percent("100%", &v, &why) == 0 && v == 100, "100%% allowed");
	tap_ok(units_percent("100.5%", &v, &why) == -ERANGE, "over 100%% refused");
	tap_ok(units_percent("0.5", &v, &why) == -EINVAL, "percent needs %%");
	tap_ok(units_count("10k", &u, &why) == 0 && u == 10000, "count 10k = 10000");
	tap_ok(units_count("1.5", &u, &why) == -EINVAL, "count must be whole");
	tap_ok(units_bool("yes", &b, &why) == 0 && b == 1 && units_bool("off", &b, &why) == 0 &&
		       b == 0,
	       "booleans");
	tap_ok(units_bool("maybe", &b, &why) == -EINVAL, "bad boolean refused");
	tap_ok(units_rate("inf", &u, &why) != 0 && units_rate("nan", &u, &why) != 0,
	       "inf and nan refused");
}

static struct tb_config *load_ok(const char *path)
{
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load(path, &d);

	if (diag_errors(&d)) {
		diag_print(&d, stdout);
		config_free(c);
		c = NULL;
	}
	diag_free(&d);
	return c;
}

static const struct tb_link *link_named(const struct tb_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_links; i++)
		if (strcmp(c->links[i].name, name) == 0)
			return &c->links[i];
	return NULL;
}

static void test_dumbbell(void)
{
	struct tb_config *c = load_ok("topologies/dumbbell.conf");
	const struct tb_link *l;
	int r1, c1, s1;

	if (!tap_ok(c != NULL, "dumbbell loads")) {
		tap_skip("no model");
		return;
	}
	tap_is_int((long long)c->n_nodes, 6, "dumbbell has 6 nodes");
	tap_is_int((long long)c->n_links, 5, "dumbbell has 5 links");
	r1 = config_node(c, "r1");
	c1 = config_node(c, "c1");
	s1 = config_node(c, "s1");
	tap_ok(r1 >= 0 && c->nodes[r1].forward && !c->nodes[c1].forward, "r1 forwards, c1 does not");
	l = link_named(c, "r1-r2");
	tap_ok(l && !strcmp(l->end[0].ifname, "eth2") && !strcmp(l->end[1].ifname, "eth0"),
	       "interfaces named per node in link order (r1 eth2, r2 eth0)");
	tap_is_int(config_distance(c, c1, s1), 3, "c1 to s1 is 3 links");
	tap_is_int(config_distance(c, c1, config_node(c, "c2")), 2, "c1 to c2 is 2 hops via r1");
	tap_ok(l && l->mtu == 1500 && l->offload == -1, "link defaults: mtu 1500, offload auto");
	tap_is_str(c->topo.pool4, "198.18.0.0/15", "default IPv4 pool is the benchmarking range");
	tap_is_int((long long)config_n_cases(c), 1, "a topology is one case");
	config_free(c);
}

static void test_flagship(void)
{
	struct tb_config *c = load_ok("experiments/cubic_vs_bbr_1pct.conf");
	struct tb_diag d = { 0 };
	struct tb_config *k;
	const struct tb_link *l;

	if (!tap_ok(c != NULL, "cubic_vs_bbr_1pct loads")) {
		tap_skip("no model");
		return;
	}
	tap_ok(c->exp.present && c->exp.duration_us == 30000000 && c->exp.repeat == 3,
	       "experiment: 30 s, 3 repeats");
	tap_is_str(c->exp.name, "cubic_vs_bbr_1pct", "name defaults to the file's base name");
	l = link_named(c, "r1-r2");
	tap_ok(l && l->dir[0].rate == 100000000 && l->dir[1].rate == 100000000,
	       "rate applies to both directions");
	tap_ok(l && l->dir[0].delay_us == 20000 && l->dir[1].delay_us == 20000, "delay 20 ms each way");
	tap_ok(l && l->dir[0].loss == 1.0 && l->dir[1].loss == 0 && (l->dir[0].set & TB_SH_LOSS) &&
		       !(l->dir[1].set & TB_SH_LOSS),
	       "r1.loss applies to r1->r2 only");
	tap_ok(l && l->dir[0].queue == TB_QUEUE_PFIFO && l->dir[0].limit == 500, "pfifo limit 500");
	tap_is_int((long long)config_n_cases(c), 2, "two cases (cc sweep)");
	tap_is_str(c->flows[0].cc, "cubic", "base flow uses cubic");
	k = config_case(c, 1, &d);
	tap_ok(k && !strcmp(k->flows[0].cc, "bbr"), "case 1 sets cc = bbr");
	tap_is_int((long long)diag_errors(&d), 0, "case expansion without errors");
	tap_is_str(c->flows[0].cc, "cubic", "expanding a case leaves the original alone");
	tap_is_int((long long)c->n_expects, 4, "four expectations");
	tap_ok(c->expects[0].lhs && c->expects[0].lhs->kind == TB_EX_METRIC &&
		       c->expects[0].lhs->n_sel == 1 && c->expects[0].cmp == TB_CMP_GT,
	       "goodput(bulk, cc=bbr) > ... parsed as a metric with one selector");
	tap_ok(c->expects[0].rhs && c->expects[0].rhs->kind == TB_EX_BINOP &&
		       c->expects[0].rhs->op == '*',
	       "5 * goodput(...) parsed as a product");
	tap_ok(c->expects[1].rhs && c->expects[1].rhs->kind == TB_EX_NUM &&
		       c->expects[1].rhs->num == 70e6,
	       "70mbit becomes 7e7 bit/s");
	config_free(k);
	diag_free(&d);
	config_free(c);
}

static void test_cases(void)
{
	struct tb_config *c = load_ok("experiments/conn_churn_vs_pool.conf");
	struct tb_diag d = { 0 };
	struct tb_config *k;
	int c1;

	if (!tap_ok(c != NULL, "conn_churn_vs_pool loads")) {
		tap_skip("no model");
		return;
	}
	tap_is_int((long long)config_n_cases(c), 4, "four named cases");
	tap_is_str(c->sweeps[0].key, "case", "cases are the first sweep dimension");
	k = config_case(c, 3, &d);
	tap_ok(k && k->flows[0].conn == TB_CONN_POOL && k->flows[0].pool == 16,
	       "case pool sets conn = pool, pool = 16");
	config_free(k);
	k = config_case(c, 1, &d);
	c1 = k ? config_node(k, "c1") : -1;
	/* c1's two file sysctls (port range, tcp_max_tw_buckets), then the case's */
	tap_ok(c1 >= 0 && k->nodes[c1].n_sysctls == 3 &&
		       !strcmp(k->nodes[c1].sysctls[2].key, "net.ipv4.tcp_tw_reuse") &&
		       !strcmp(k->nodes[c1].sysctls[2].value, "1"),
	       "case tw_reuse sets the sysctl on c1");
	config_free(k);
	tap_ok(c->casedefs[0].note && strstr(c->casedefs[0].note, "before"), "case notes are kept");
	diag_free(&d);
	config_free(c);

	c = load_ok("experiments/syn_flood_syncookies.conf");
	if (tap_ok(c != NULL, "syn_flood_syncookies loads")) {
		int s1 = config_node(c, "s1");
		int idx[4] = { 0 };

		tap_is_int((long long)config_n_cases(c), 6, "2 named cases x 3 syncookies values");
		config_case_values(c, 5, idx);
		tap_ok(idx[0] == 1 && idx[1] == 2, "case 5 = (ts_off, tcp_syncookies=2)");
		k = config_case(c, 5, &d);
		s1 = k ? config_node(k, "s1") : -1;
		tap_ok(s1 >= 0 && k->nodes[s1].n_sysctls == 2 &&
			       !strcmp(k->nodes[s1].sysctls[1].value, "2"),
		       "s1 keeps its file sysctl and gets tcp_syncookies = 2");
		config_free(k);
	}
	diag_free(&d);
	config_free(c);
}

static void test_buffer(void)
{
	static const char text[] = "[node a]\n[node b]\nforward = yes\n[link a-b]\n"
				   "a.ifname = up0\nb.addr = 198.18.9.2/24\na.addr = 198.18.9.1/24\n"
				   "b.delay = 5ms\n";
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load_buffer("mem.conf", text, sizeof(text) - 1, &d);

	tap_is_int((long long)diag_errors(&d), 0, "a topology parses from memory");
	tap_ok(c && !strcmp(c->links[0].end[0].ifname, "up0") &&
		       !strcmp(c->links[0].end[1].ifname, "eth0"),
	       "ifname from the file, others automatic");
	tap_ok(c && c->links[0].dir[1].delay_us == 5000 && c->links[0].dir[0].delay_us == 0,
	       "b.delay shapes b->a only");
	config_free(c);
	diag_free(&d);
}

/* [event] action = stop / start names a flow (its server), not a link;
 * the storm keys land in the model. */
static void test_server_events(void)
{
	static const char text[] = "[experiment]\nduration = 5s\n[node a]\n[node b]\n[link a-b]\n"
				   "[flow web]\nworker = rr\nfrom = a\nto = b\nserver.arch = epoll_pool\n"
				   "server.work = 2ms\nserver.nofile = 64\n"
				   "[flow herd]\nworker = idle\nfrom = a\nto = b\nreconnect = backoff_jitter\n"
				   "reconnect_base = 100ms\nreconnect_cap = 2s\n"
				   "[event crash]\nat = 1s\nflow = herd\naction = stop\n"
				   "[event back]\nat = 2s\nflow = herd\naction = start\n";
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load_buffer("mem8.conf", text, sizeof(text) - 1, &d);

	tap_is_int((long long)diag_errors(&d), 0, "stop and start events of a flow's server load");
	if (!c || diag_errors(&d)) {
		diag_print(&d, stdout);
		tap_skip("no model");
		config_free(c);
		diag_free(&d);
		return;
	}
	tap_ok(c->events[0].action == TB_EVENT_STOP && c->events[0].flow == 1 &&
		       c->events[0].link < 0 && c->events[1].action == TB_EVENT_START,
	       "the events resolve to flow herd, no link");
	tap_ok(c->flows[0].server.arch == TB_ARCH_EPOLL_POOL && c->flows[0].server.work_us == 2000 &&
		       c->flows[0].server.nofile == 64,
	       "server.arch epoll_pool, server.work 2 ms, server.nofile 64");
	tap_ok(c->flows[1].reconnect == TB_RECONNECT_JITTER && c->flows[1].reconnect_base_us == 100000 &&
		       c->flows[1].reconnect_cap_us == 2000000,
	       "reconnect backoff_jitter, base 100 ms, cap 2 s");
	config_free(c);
	diag_free(&d);
}

/* Lines past inih's default 200-byte buffer are read whole (they were cut
 * at 198 characters: a 40-value sweep ended at value 32, an expectation's
 * "1tbit" became "1mbit"). */
static void test_long_lines(void)
{
	char text[8192], vals[4096] = "", pad[300];
	struct tb_diag d = { 0 };
	struct tb_config *c;

	for (int i = 1; i <= 40; i++)
		snprintf(vals + strlen(vals), sizeof(vals) - strlen(vals), "%s%dmbit", i > 1 ? ", " : "", i);
	memset(pad, ' ', 250);
	pad[250] = 0;
	snprintf(text, sizeof(text),
		 "[experiment]\nduration = 1s\n[node a]\n[node b]\n[link a-b]\n"
		 "[flow f]\nworker = bulk\nfrom = a\nto = b\n[sweep]\nlink.a-b.rate = %s\n"
		 "[expect]\nbig = goodput(f) >%s1tbit\n",
		 vals, pad);
	c = config_load_buffer("long.conf", text, strlen(text), &d);
	tap_diag("sweep line %zu characters, expectation line %zu", strlen(vals) + 16,
		 strlen(pad) + 22);
	tap_is_int((long long)diag_errors(&d), 0, "a long sweep line and a long expectation parse");
	tap_is_int(c ? (long long)config_n_cases(c) : -1, 40, "all 40 values of the sweep are cases");
	tap_ok(c && c->n_expects == 1 && c->expects[0].text && strstr(c->expects[0].text, "1tbit"),
	       "the expectation keeps its last word, 1tbit");
	config_free(c);
	diag_free(&d);
}

/* Which flow's listener each flow talks to: the rules `run` starts servers
 * by and `check` refuses clashes with. */
static void test_servers(void)
{
	static const char text[] =
		"[experiment]\nduration = 2s\n[node a]\n[node b]\n[link a-b]\n"
		"[flow idle]\nworker = idle\nfrom = a\nto = b\nport = 9000\n"
		"[flow web]\nworker = rr\nfrom = a\nto = b\nport = 9000\nrate = 10\n"
		"[flow flood]\nworker = synflood\nfrom = a\nto = b\nport = 9000\nrate = 10\n"
		"[flow lone1]\nworker = synflood\nfrom = a\nto = b\nport = 9100\nrate = 10\n"
		"[flow lone2]\nworker = synflood\nfrom = a\nto = b\nport = 9100\nrate = 10\n"
		"[flow bulk]\nworker = bulk\nfrom = a\nto = b\n"
		"[flow dgram]\nworker = udp\nfrom = a\nto = b\nport = 9000\nrate = 10\n";
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load_buffer("srv.conf", text, sizeof(text) - 1, &d);
	const char *names[] = { "idle", "web", "flood", "lone1", "lone2", "bulk", "dgram" };
	const char *want[] = { "idle", "idle", "idle", "lone1", "lone1", "bulk", "dgram" };

	tap_is_int((long long)diag_errors(&d), 0, "shared listeners and a UDP server on a TCP port check");
	for (size_t i = 0; c && i < sizeof(names) / sizeof(names[0]); i++) {
		int s = config_flow_server(c, config_flow(c, names[i]));
		char what[96];

		snprintf(what, sizeof(what), "flow %s talks to %s's server", names[i], want[i]);
		tap_is_str(s >= 0 ? c->flows[s].name : "?", want[i], what);
	}
	tap_is_int(c ? (long long)config_flow_port(c, config_flow(c, "bulk")) : 0, 5006,
		   "a flow without a port listens on 5001 + its index");
	config_free(c);
	diag_free(&d);
}

/* One flow per worker, each named after its worker, and expectation @ex. */
static int parse_expect(const char *ex)
{
	static const char head[] =
		"[experiment]\nduration = 2s\n[node a]\n[node b]\n[link a-b]\n"
		"[flow bulk]\nworker = bulk\nfrom = a\nto = b\n"
		"[flow rr]\nworker = rr\nfrom = a\nto = b\nport = 9000\n"
		"[flow churn]\nworker = churn\nfrom = a\nto = b\nport = 9001\n"
		"[flow synflood]\nworker = synflood\nfrom = a\nto = b\nport = 9000\nrate = 10\n"
		"[flow udp]\nworker = udp\nfrom = a\nto = b\nport = 9002\nrate = 10\n"
		"[flow idle]\nworker = idle\nfrom = a\nto = b\nport = 9003\n"
		"[process fetch]\nnode = a\ncmd = true\noutput = json\n"
		"[process ping]\nnode = a\ncmd = true\nmetric.rtt = rtt=([0-9.]+)\n"
		"[process load]\nnode = a\ncmd = true\noutput = h2load\n";
	char text[2048];
	struct tb_diag d = { 0 };
	struct tb_config *c;
	int errors;

	snprintf(text, sizeof(text), "%s%s%s\n", head, *ex ? "[expect]\nx = " : "", ex);
	c = config_load_buffer("metrics.conf", text, strlen(text), &d);
	errors = c ? (int)diag_errors(&d) : -1;
	if (errors && !*ex)
		diag_print(&d, stdout);
	config_free(c);
	diag_free(&d);
	return errors;
}

/* Row @m in an expectation for each worker's flow: accepted exactly for the
 * workers the row names (any worker of another row of its name too). */
static bool row_parses_as_listed(const struct tb_metric *m)
{
	bool ok = true;

	for (int w = TB_WORKER_BULK; w <= TB_WORKER_IDLE; w++) {
		char ex[128];
		bool want = metric_find(m->name, w) != NULL, got;

		snprintf(ex, sizeof(ex), "%s(%s) >= 0", m->name, config_worker_name(w));
		got = parse_expect(ex) == 0;
		if (got != want)
			tap_diag("%s: %s for %s", ex, got ? "accepted" : "refused",
				 config_worker_name(w));
		ok = ok && got == want;
	}
	return ok;
}

/* A worker matches at most one row of a name, and the rows of a name share
 * its unit. */
static bool rows_consistent(void)
{
	for (const struct tb_metric *m = metric_table; m->name; m++)
		for (const struct tb_metric *o = m + 1; o->name; o++)
			if (!strcmp(m->name, o->name) &&
			    ((m->workers & o->workers) || m->unit != o->unit)) {
				tap_diag("rows %s overlap or differ in unit", m->name);
				return false;
			}
	return true;
}

/* value(P, KEY): a metric.NAME of P, or any path of a json output; units
 * of constants become base units (60ms is 0.06). */
static void test_process_values(void)
{
	tap_ok(parse_expect("value(ping, rtt) < 60ms") == 0, "value(P, NAME) of a metric.NAME");
	tap_ok(parse_expect("value(ping, metric.rtt) < 60ms") == 0, "value(P, metric.NAME)");
	tap_ok(parse_expect("value(ping, time_total) < 1") > 0,
	       "value() of a text process without that metric is refused");
	tap_ok(parse_expect("value(fetch, intervals.0.sum.bytes) > 5mbit") == 0,
	       "value() of a json path, compared with a rate");
	tap_ok(parse_expect("value(load, request.max) < 2 * value(load, request.min)") == 0 &&
		       parse_expect("value(load, requests.failed) == 0") == 0,
	       "value() of an output = h2load process");
	tap_ok(parse_expect("runtime(fetch) < 2s") == 0, "runtime() is a time");
	tap_ok(parse_expect("runtime(fetch) < 2mbit") > 0, "runtime() compared with a rate is refused");
	tap_ok(parse_expect("exit(nobody) == 0") > 0, "exit() of an unknown process is refused");
}

static struct tb_config *load_text(const char *text)
{
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load_buffer("subst.conf", text, strlen(text), &d);

	if (c && diag_errors(&d)) {
		diag_print(&d, stdout);
		config_free(c);
		c = NULL;
	}
	diag_free(&d);
	return c;
}

static const char *fake_addr(void *arg, int node, int family)
{
	(void)arg;
	return family == 4 ? (node ? "10.0.0.2" : "10.0.0.1") : NULL;
}

/* {tls_cert} and {tls_key}: the run's files, an error without them; any
 * other { } text stays; config_uses_subst sees them in cmd, env, sweeps and
 * cases, and only there. */
static void test_subst(void)
{
	static const char base[] = "[experiment]\nduration = 3s\n[node a]\n[node b]\n[link a-b]\n"
				   "[process web]\nnode = b\ncmd = true\n";
	struct tb_subst sb = { .addr = fake_addr, .out = "/o", .tls_cert = "/r/tls/cert.pem",
			       .tls_key = "/r/tls/key.pem" };
	struct tb_config *c = load_text(base);
	char *o = NULL, text[1024];
	size_t off = 0;
	int rc;

	if (!tap_ok(c != NULL, "a file with a process loads")) {
		tap_skip("no model");
		return;
	}
	rc = config_expand(c, "nginx -c {out}/n.conf --cert {tls_cert} --key={tls_key} {addr:b} "
			      "{duration} {tls} %{json}", &sb, &o, &off);
	tap_ok(rc == 0 && !strcmp(o, "nginx -c /o/n.conf --cert /r/tls/cert.pem --key=/r/tls/key.pem "
				  "10.0.0.2 3 {tls} %{json}"),
	       "{tls_cert}, {tls_key} beside {out}, {addr:b}, {duration}: %s", o ? o : "(null)");
	free(o);
	o = NULL;
	sb.tls_key = NULL;
	rc = config_expand(c, "x {tls_key}", &sb, &o, &off);
	tap_ok(rc == -ENOKEY && off == 2 && !o,
	       "{tls_key} without the run's files is -ENOKEY at its offset (%zu)", off);
	tap_ok(config_expand(c, "{addr6:a}", &sb, &o, &off) == -EADDRNOTAVAIL, "{addr6:a}: no address");
	tap_ok(!config_uses_subst(c, TB_SUBST_TLS_CERT) && !config_uses_subst(c, TB_SUBST_TLS_KEY),
	       "a file without them does not use them");
	config_free(c);
	snprintf(text, sizeof(text), "%senv.K = {tls_key}\n", base);
	c = load_text(text);
	tap_ok(c && config_uses_subst(c, TB_SUBST_TLS_KEY) && !config_uses_subst(c, TB_SUBST_TLS_CERT),
	       "{tls_key} in an env.VAR is seen");
	config_free(c);
	snprintf(text, sizeof(text), "%s[sweep]\nprocess.web.cmd = true, cat {tls_cert}\n", base);
	c = load_text(text);
	tap_ok(c && config_uses_subst(c, TB_SUBST_TLS_CERT), "{tls_cert} in a sweep's value is seen");
	config_free(c);
	snprintf(text, sizeof(text), "%s[case t]\nprocess.web.cmd = cat {tls_cert}\n[case u]\n", base);
	c = load_text(text);
	tap_ok(c && config_uses_subst(c, TB_SUBST_TLS_CERT), "{tls_cert} in a [case] is seen");
	config_free(c);
}

static void test_metric_table(void)
{
	if (!tap_ok(parse_expect("") == 0, "one flow per worker loads")) {
		tap_skip("no model");
		return;
	}
	tap_ok(rows_consistent(), "metric table: one row per name and worker, one unit per name");
	for (const struct tb_metric *m = metric_table; m->name; m++) {
		char ex[128];

		if (m->subject == TB_MS_FLOW) {
			tap_ok(row_parses_as_listed(m), "%s(FLOW) parses for its workers only (0x%x)",
			       m->name, m->workers);
			continue;
		}
		if (m->subject == TB_MS_PROCESS) {
			bool value = m->read == TB_READ_VALUE;

			snprintf(ex, sizeof(ex), "%s(fetch%s) >= 0", m->name, value ? ", a.b.0" : "");
			tap_ok(parse_expect(ex) == 0 && parse_expect(value ? "value(bulk, x) > 0"
									   : "exit(bulk) > 0") > 0,
			       "%s takes a process, not a flow", ex);
			continue;
		}
		if (m->subject == TB_MS_CONFIG) {
			tap_ok(parse_expect("goodput(bulk) < cfg(flow.bulk.server.read_rate)") == 0 &&
				       parse_expect("cfg(bulk) > 0") > 0,
			       "cfg() takes a key of the file, not a flow");
			continue;
		}
		snprintf(ex, sizeof(ex), "%s(a.%s) >= 0", m->name,
			 m->subject == TB_MS_STATE ? "TIME_WAIT" : "TcpExtSyncookiesSent");
		tap_ok(parse_expect(ex) == 0 && parse_expect(m->subject == TB_MS_STATE ?
								     "peak(bulk) > 0" :
								     "counter(bulk) > 0") > 0,
		       "%s takes NODE.NAME, not a flow", ex);
	}
	tap_ok(parse_expect("p90(idle) > 1ms") == 0 && parse_expect("pps(udp) > 1") == 0 &&
		       parse_expect("p90(bulk) > 1ms") > 0,
	       "p90(idle) and pps(udp) are metrics; p90(bulk) is not");
}

/* One cfg() key of @c: its value and unit, or its error code. */
static void cfg_is(const struct tb_config *c, const char *key, int rc, double v, enum tb_unit u)
{
	char why[256] = "";
	enum tb_unit got_u = TB_UNIT_COUNT;
	double got = NAN;
	int got_rc = config_get(c, key, &got, &got_u, why, sizeof(why));

	if (rc)
		tap_ok(got_rc == rc && why[0], "cfg(%s) refused (%d): %s", key, got_rc, why);
	else
		tap_ok(!got_rc && fabs(got - v) < 1e-9 * fabs(v) + 1e-12 && got_u == u,
		       "cfg(%s) = %g (unit %d)%s%s", key, got, got_u, why[0] ? ": " : "", why);
}

/* config_get reads what the key tables store, per case, in an
 * expectation's units; cfg() parses with the key's unit. */
static void test_cfg(void)
{
	static const char text[] =
		"[experiment]\nduration = 3s\n[node a]\nsysctl.net.core.somaxconn = 64\n"
		"sysctl.net.ipv4.tcp_rmem = 4096 131072 6291456\n[node b]\n"
		"[link a-b]\ndelay = 10ms\na.rate = 20mbit\na.queue = pfifo\na.limit = 100\n"
		"b.loss = 1%\n[flow bulk]\nworker = bulk\nfrom = a\nto = b\n"
		"server.read_rate = 40kbit\nrcvbuf = 4k\n[case slow]\n"
		"[case fast]\nlink.a-b.a.rate = 50mbit\nflow.bulk.server.read_rate = 1mbit\n";
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load_buffer("cfg.conf", text, sizeof(text) - 1, &d), *k;

	if (!tap_ok(c && !diag_errors(&d), "a file with cases loads")) {
		diag_print(&d, stdout);
		diag_free(&d);
		config_free(c);
		return;
	}
	cfg_is(c, "flow.bulk.server.read_rate", 0, 40e3, TB_UNIT_RATE);
	cfg_is(c, "flow.bulk.rcvbuf", 0, 4096, TB_UNIT_COUNT);
	cfg_is(c, "link.a-b.delay", 0, 0.010, TB_UNIT_TIME);
	cfg_is(c, "link.b-a.a.rate", 0, 20e6, TB_UNIT_RATE);
	cfg_is(c, "link.a-b.rate", 0, 20e6, TB_UNIT_RATE); /* the direction that sets it */
	cfg_is(c, "link.a-b.a.limit", 0, 100, TB_UNIT_COUNT);
	cfg_is(c, "link.a-b.b.loss", 0, 1, TB_UNIT_PCT);
	cfg_is(c, "experiment.duration", 0, 3, TB_UNIT_TIME);
	cfg_is(c, "node.a.sysctl.net.core.somaxconn", 0, 64, TB_UNIT_COUNT);
	cfg_is(c, "link.a-b.b.rate", -EINVAL, 0, 0);   /* not rate-limited that way */
	cfg_is(c, "flow.bulk.cc", -EINVAL, 0, 0);      /* a name */
	cfg_is(c, "node.a.sysctl.net.ipv4.tcp_rmem", -EINVAL, 0, 0); /* three numbers */
	cfg_is(c, "node.b.sysctl.net.core.somaxconn", -EINVAL, 0, 0); /* the kernel's */
	cfg_is(c, "flow.nope.rate", -ENOENT, 0, 0);
	cfg_is(c, "link.a-c.rate", -ENOENT, 0, 0);
	cfg_is(c, "link.a-b.c.rate", -ENOENT, 0, 0);
	cfg_is(c, "flow.bulk.nokey", -ENOENT, 0, 0);
	cfg_is(c, "rate", -ENOENT, 0, 0);
	k = config_case(c, 1, &d);
	if (tap_ok(k != NULL, "case fast expands")) {
		cfg_is(k, "link.a-b.a.rate", 0, 50e6, TB_UNIT_RATE);
		cfg_is(k, "flow.bulk.server.read_rate", 0, 1e6, TB_UNIT_RATE);
	}
	config_free(k);
	config_free(c);
	diag_free(&d);
	tap_ok(parse_expect("goodput(bulk) > 0.5 * cfg(link.a-b.a.rate)") > 0,
	       "cfg() of a key the file does not shape is refused at parse time");
	tap_ok(parse_expect("goodput(bulk) > cfg(experiment.duration)") > 0,
	       "cfg() in the key's unit: a rate against a time is refused");
	tap_ok(parse_expect("p99(rr) > cfg(experiment.duration) * goodput(bulk) / "
			    "cfg(flow.bulk.rcvbuf)") == 0,
	       "a product of measures is left unjudged");
}

int main(void)
{
	test_units();
	test_dumbbell();
	test_flagship();
	test_cases();
	test_buffer();
	test_long_lines();
	test_servers();
	test_server_events();
	test_metric_table();
	test_process_values();
	test_subst();
	test_cfg();
	return tap_done();
}
