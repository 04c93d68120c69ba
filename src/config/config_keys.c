/* Key tables of every section and the typed setters behind them. A key is
 * data (name, type, offset, range), so adding one is a line here plus a line
 * in docs/config.md. A flow key also names the worker option it becomes
 * (config_flow_options, for the workers' command lines; docs/workers.md
 * lists them). The shaping keys' table is also what `testbed shape`
 * parses its arguments with (config_shape_set) and what the qdisc builder
 * asks which part of the tree a key configures (config_shape_bits). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "util/units.h"

#define OFF(type, field) offsetof(struct type, field), sizeof(((struct type *)0)->field)

static const char *const kernel_names[] = { "auto", "host", "uml", NULL };
static const char *const shaper_names[] = { "tbf", "htb", NULL };
static const char *const dist_names[] = { "none", "uniform", "normal", "pareto", "paretonormal", NULL };
static const char *const loss_model_names[] = { "random", "gemodel", NULL };
const char *const cfg_worker_names[] = { "bulk", "rr", "churn", "synflood", "udp", "idle", NULL };
static const char *const conn_names[] = { "per-request", "pool", NULL };
static const char *const write_names[] = { "single", "split", NULL };
static const char *const closer_names[] = { "client", "server", NULL };
static const char *const arch_names[] = { "epoll", "thread", "iterative", "fork", "pool", "epoll_pool", NULL };
static const char *const reconnect_names[] = { "fixed", "backoff", "backoff_jitter", NULL };
static const char *const transport_names[] = { "udp", "tcp", NULL };
static const char *const family_names[] = { "ipv4", "ipv6", NULL };
static const char *const tls_names[] = { "no", "1.2", "1.3", NULL };
static const char *const resume_names[] = { "no", "ticket", "early", NULL };
static const char *const http_names[] = { "none", "1.1", "2", "3", NULL };
static const char *const quic_cc_names[] = { "cubic", "bbr", "reno", NULL };

const struct keydef cfg_topology_keys[] = {
	{ "name", K_STR, OFF(tb_topo_opts, name), 0, 0, NULL, 0 },
	{ "ipv4_pool", K_CIDR4, OFF(tb_topo_opts, pool4), 8, 30, NULL, 0 },
	{ "ipv6_pool", K_CIDR6, OFF(tb_topo_opts, pool6), 16, 64, NULL, 0 },
	{ "mtu", K_UINT, OFF(tb_topo_opts, mtu), 1280, 65535, NULL, 0 },
	{ NULL },
};

const struct keydef cfg_experiment_keys[] = {
	{ "name", K_STR, OFF(tb_experiment, name), 0, 0, NULL, 0 },
	{ "description", K_STRDUP, OFF(tb_experiment, description), 0, 0, NULL, 0 },
	{ "topology", K_STRDUP, OFF(tb_experiment, topology), 0, 0, NULL, 0 },
	{ "duration", K_TIME, OFF(tb_experiment, duration_us), 100000, 3600e6, NULL, 0 },
	{ "repeat", K_UINT, OFF(tb_experiment, repeat), 1, 1000, NULL, 0 },
	{ "seed", K_U64, OFF(tb_experiment, seed), 0, 0, NULL, 0 },
	{ "kernel", K_ENUM, OFF(tb_experiment, kernel), 0, 0, NAMES(kernel_names), 0 },
	{ "sample_interval", K_TIME, OFF(tb_experiment, sample_us), 10000, 10e6, NULL, 0 },
	{ "uml_memory", K_SIZE64, OFF(tb_experiment, uml_mem), 64 << 20, 16ull << 30, NULL, 0 },
	{ "capture", K_BOOL, OFF(tb_experiment, capture), 0, 0, NULL, 0 },
	{ NULL },
};

const struct keydef cfg_node_keys[] = {
	{ "forward", K_BOOL, OFF(tb_node, forward), 0, 0, NULL, 0 },
	{ NULL },
};

const struct keydef cfg_link_keys[] = {
	{ "mtu", K_UINT, OFF(tb_link, mtu), 1280, 65535, NULL, 0 },
	{ "offload", K_TRI, OFF(tb_link, offload), 0, 0, NULL, 0 },
	{ NULL },
};

const struct keydef cfg_end_keys[] = {
	{ "ifname", K_IFNAME, OFF(tb_end, ifname), 0, 0, NULL, 0 },
	{ "addr", K_CIDR4, OFF(tb_end, addr4), 8, 32, NULL, 0 },
	{ "addr6", K_CIDR6, OFF(tb_end, addr6), 16, 128, NULL, 0 },
	{ NULL },
};

/* Which part of the tree each shaping key configures (tb_shape.set bits
 * that need netem follow from this column). */
#define NETEM TB_PART_NETEM
#define RATE TB_PART_RATE
#define QUEUE TB_PART_QUEUE

/* The shaping keys of a [link], per direction: the only definition of each
 * (name, field, unit, range, TB_SH_* bit, part, help). */
const struct keydef cfg_shape_keys[] = {
	{ "rate", K_RATE, OFF(tb_shape, rate), 1, 1e12, NULL, TB_SH_RATE, RATE,
	  "bottleneck rate, Ethernet frames counted" },
	{ "shaper", K_ENUM, OFF(tb_shape, shaper), 0, 0, NAMES(shaper_names), TB_SH_SHAPER, RATE,
	  "rate limiter (default tbf; htb where a trace or an event changes the rate)" },
	{ "burst", K_SIZE32, OFF(tb_shape, burst), 1, 0, NULL, TB_SH_BURST, RATE,
	  "rate limiter bucket (default: one timer tick at the rate)" },
	{ "delay", K_TIME, OFF(tb_shape, delay_us), 0, 10e6, NULL, TB_SH_DELAY, NETEM,
	  "one-way delay" },
	{ "jitter", K_TIME, OFF(tb_shape, jitter_us), 0, 10e6, NULL, TB_SH_JITTER, NETEM,
	  "delay spread" },
	{ "distribution", K_ENUM, OFF(tb_shape, dist), 0, 0, NAMES(dist_names), TB_SH_DIST, NETEM,
	  "jitter distribution (default uniform)" },
	{ "delay_correlation", K_PCT, OFF(tb_shape, delay_corr), 0, 0, NULL, TB_SH_DELAY, NETEM,
	  "correlation of successive delays" },
	{ "loss", K_PCT, OFF(tb_shape, loss), 0, 0, NULL, TB_SH_LOSS, NETEM, "random loss" },
	{ "loss_correlation", K_PCT, OFF(tb_shape, loss_corr), 0, 0, NULL, TB_SH_LOSS, NETEM,
	  "correlation of successive losses" },
	{ "loss_model", K_ENUM, OFF(tb_shape, loss_model), 0, 0, NAMES(loss_model_names),
	  TB_SH_LOSS, NETEM, "gemodel: Gilbert-Elliott with ge_p ge_r ge_h ge_k" },
	{ "ge_p", K_PCT, OFF(tb_shape, ge_p), 0, 0, NULL, TB_SH_GEMODEL, NETEM,
	  "good to bad state (tc's p)" },
	{ "ge_r", K_PCT, OFF(tb_shape, ge_r), 0, 0, NULL, TB_SH_GEMODEL, NETEM,
	  "bad to good state (tc's r; default 100%)" },
	{ "ge_h", K_PCT, OFF(tb_shape, ge_h), 0, 0, NULL, TB_SH_GEMODEL, NETEM,
	  "loss in the bad state (tc's 1-h)" },
	{ "ge_k", K_PCT, OFF(tb_shape, ge_k), 0, 0, NULL, TB_SH_GEMODEL, NETEM,
	  "loss in the good state (tc's 1-k)" },
	{ "duplicate", K_PCT, OFF(tb_shape, duplicate), 0, 0, NULL, TB_SH_DUPLICATE, NETEM,
	  "packets sent twice" },
	{ "reorder", K_PCT, OFF(tb_shape, reorder), 0, 0, NULL, TB_SH_REORDER, NETEM,
	  "packets sent without the delay (needs delay)" },
	{ "reorder_correlation", K_PCT, OFF(tb_shape, reorder_corr), 0, 0, NULL, TB_SH_REORDER,
	  NETEM, "correlation of reordering" },
	{ "reorder_gap", K_UINT, OFF(tb_shape, reorder_gap), 1, 1e6, NULL, TB_SH_REORDER, NETEM,
	  "tc's gap (default 1)" },
	{ "corrupt", K_PCT, OFF(tb_shape, corrupt), 0, 0, NULL, TB_SH_CORRUPT, NETEM,
	  "packets with a flipped bit" },
	{ "queue", K_ENUM, OFF(tb_shape, queue), 0, 0, NAMES(cfg_queue_kinds), TB_SH_QUEUE, QUEUE,
	  "the queue at the bottleneck" },
	{ "limit", K_SIZE32, OFF(tb_shape, limit), 1, 0, NULL, TB_SH_LIMIT, QUEUE,
	  "queue limit: packets (bytes for bfifo)" },
	{ "netem_limit", K_UINT, OFF(tb_shape, netem_limit), 1, 1e7, NULL, TB_SH_NETEM_LIMIT,
	  NETEM, "netem's queue in packets (default: from the bandwidth-delay product)" },
	{ "target", K_TIME, OFF(tb_shape, target_us), 1, 10e6, NULL, TB_SH_AQM, QUEUE,
	  "AQM target delay" },
	{ "interval", K_TIME, OFF(tb_shape, interval_us), 1, 100e6, NULL, TB_SH_AQM, QUEUE,
	  "AQM interval (cake: rtt)" },
	{ "flows", K_UINT, OFF(tb_shape, flows), 1, 65536, NULL, TB_SH_AQM, QUEUE,
	  "fq_codel's flow queues" },
	{ "ecn", K_TRI, OFF(tb_shape, ecn), 0, 0, NULL, TB_SH_AQM, QUEUE,
	  "mark instead of drop (the AQM's; netem's loss under a queue that cannot)" },
	{ "trace", K_STR, OFF(tb_shape, trace), 0, 0, NULL, TB_SH_TRACE, RATE,
	  "Mahimahi trace FILE: the rate follows it, changed every 10 ms (docs/shaping.md)" },
	{ NULL },
};

#undef NETEM
#undef RATE
#undef QUEUE

/* Worker masks for flow keys. */
#define W(x) (1u << TB_WORKER_##x)
#define W_ALL 0u
#define W_TCP (W(BULK) | W(RR) | W(CHURN) | W(IDLE) | W(UDP))
#define W_REQ (W(RR) | W(CHURN) | W(IDLE))
/* ... and of the tb-server of a flow: every one; --mode rr (a synflood's
 * own listener too); --mode sink or rr (TCP only). */
#define S_ANY (W(BULK) | W(RR) | W(CHURN) | W(SYNFLOOD) | W(UDP) | W(IDLE))
#define S_RR (W_REQ | W(SYNFLOOD))
#define S_TCP (W(BULK) | S_RR)

/* The worker option a key becomes: on the client, on tb-server (of the
 * flows of workers @w), or on both. */
#define CLIENT(o, when) .opt = { o, NULL, 0, when }
#define SERVER(o, w, when) .opt = { NULL, o, w, when }
#define BOTH(o, w, when) .opt = { o, o, w, when }
/* ... and tb-web, which runs an rr flow that has a protocol-stack key
 * (config_flow_web), takes it too */
#define CLIENT_WEB(o, when) .opt = { o, NULL, 0, when, true }
#define SERVER_WEB(o, w, when) .opt = { NULL, o, w, when, true }
#define BOTH_WEB(o, w, when) .opt = { o, o, w, when, true }

/* The rows' order is the options' order on a command line. The --host,
 * --port, --duration, --spoof, files and deadline of a command line are not
 * a key's value as written; run/run_proc.c adds them. */
const struct keydef cfg_flow_keys[] = {
	{ "worker", K_ENUM, OFF(tb_flow, worker), 0, 0, NAMES(cfg_worker_names), W_ALL },
	{ "enabled", K_BOOL, OFF(tb_flow, enabled), 0, 0, NULL, W_ALL },
	{ "from", K_NODE, OFF(tb_flow, from), 0, 0, NULL, W_ALL },
	{ "to", K_NODE, OFF(tb_flow, to), 0, 0, NULL, W_ALL },
	{ "start", K_TIME, OFF(tb_flow, start_us), 0, 3600e6, NULL, W_ALL },
	{ "duration", K_TIME, OFF(tb_flow, duration_us), 1000, 3600e6, NULL, W_ALL },
	{ "port", K_UINT, OFF(tb_flow, port), 1, 65535, NULL, W_ALL },
	{ "family", K_ENUM, OFF(tb_flow, family), 0, 0, NAMES(family_names), W_ALL },
	{ "cc", K_IDENT, OFF(tb_flow, cc), 0, 0, NULL, W_TCP, BOTH_WEB("--cc", S_TCP, WO_TCP) },
	{ "nodelay", K_BOOL, OFF(tb_flow, nodelay), 0, 0, NULL, W_TCP,
	  CLIENT_WEB("--nodelay", WO_TCP) },
	{ "sndbuf", K_SIZE32, OFF(tb_flow, sndbuf), 1024, 1 << 30, NULL, W_TCP,
	  CLIENT_WEB("--sndbuf", WO_TCP) },
	/* the receive buffer that bounds the window is the receiver's: tb-server
	 * sets it on the listener, before the handshake fixes the scale */
	{ "rcvbuf", K_SIZE32, OFF(tb_flow, rcvbuf), 1024, 1 << 30, NULL, W_TCP,
	  BOTH_WEB("--rcvbuf", S_TCP, WO_TCP) },
	{ "bytes", K_SIZE64, OFF(tb_flow, bytes), 1, 0, NULL, W(BULK),
	  CLIENT("--bytes", WO_SET) },
	{ "request", K_SIZE32, OFF(tb_flow, request), 16, 64 << 20, NULL, W(RR),
	  CLIENT_WEB("--request", WO_ALWAYS) },
	{ "response", K_SIZE32, OFF(tb_flow, response), 1, 64 << 20, NULL, W(RR),
	  BOTH_WEB("--response", W(RR), WO_ALWAYS) },
	{ "concurrency", K_UINT, OFF(tb_flow, concurrency), 1, 100000, NULL, W_REQ,
	  CLIENT_WEB("--concurrency", WO_ALWAYS) },
	{ "rate", K_REAL, OFF(tb_flow, rate), 0, 10e6, NULL, W_REQ | W(UDP) | W(SYNFLOOD),
	  CLIENT_WEB("--rate", WO_ALWAYS) },
	{ "conn", K_ENUM, OFF(tb_flow, conn), 0, 0, NAMES(conn_names), W(RR),
	  CLIENT_WEB("--conn", WO_ALWAYS) },
	{ "pool", K_UINT, OFF(tb_flow, pool), 1, 100000, NULL, W(RR),
	  CLIENT_WEB("--pool", WO_POOLED) },
	/* given at all, even 1, it selects stream mode */
	{ "streams", K_UINT, OFF(tb_flow, streams), 1, 1024, NULL, W(RR),
	  CLIENT_WEB("--streams", WO_GIVEN) },
	{ "write", K_ENUM, OFF(tb_flow, write), 0, 0, NAMES(write_names), W(RR),
	  CLIENT("--write", WO_ALWAYS) },
	{ "close", K_ENUM, OFF(tb_flow, close), 0, 0, NAMES(closer_names), W(RR) | W(CHURN),
	  CLIENT("--close", WO_ALWAYS) },
	{ "timeout", K_TIME, OFF(tb_flow, timeout_us), 1000, 600e6, NULL, W_REQ,
	  CLIENT_WEB("--timeout", WO_ALWAYS) },
	{ "count", K_UINT, OFF(tb_flow, count), 1, 1000000, NULL, W(IDLE),
	  CLIENT("--count", WO_ALWAYS) },
	{ "size", K_SIZE32, OFF(tb_flow, size), 32, 65507, NULL, W(UDP),
	  CLIENT("--size", WO_ALWAYS) },
	{ "transport", K_ENUM, OFF(tb_flow, transport), 0, 0, NAMES(transport_names), W(UDP),
	  CLIENT("--transport", WO_ALWAYS) },
	{ "heartbeat", K_TIME, OFF(tb_flow, interval_us), 1000, 600e6, NULL, W(IDLE),
	  CLIENT("--interval-heartbeat", WO_SET) },
	{ "keepalive_idle", K_TIME, OFF(tb_flow, ka_idle_us), 1000000, 32767e6, NULL, W(IDLE),
	  CLIENT("--keepalive-idle", WO_SET) },
	{ "keepalive_interval", K_TIME, OFF(tb_flow, ka_intvl_us), 1000000, 32767e6, NULL, W(IDLE),
	  CLIENT("--keepalive-interval", WO_SET) },
	{ "keepalive_count", K_UINT, OFF(tb_flow, ka_cnt), 1, 127, NULL, W(IDLE),
	  CLIENT("--keepalive-count", WO_SET) },
	{ "reconnect", K_ENUM, OFF(tb_flow, reconnect), 0, 0, NAMES(reconnect_names), W(IDLE),
	  CLIENT("--reconnect", WO_GIVEN) },
	{ "reconnect_base", K_TIME, OFF(tb_flow, reconnect_base_us), 1000, 600e6, NULL, W(IDLE),
	  CLIENT("--reconnect-base", WO_SET) },
	{ "reconnect_cap", K_TIME, OFF(tb_flow, reconnect_cap_us), 1000, 3600e6, NULL, W(IDLE),
	  CLIENT("--reconnect-cap", WO_SET) },
	/* the protocol stack (tb-web; docs/workers.md "tb-web") */
	{ "tls", K_ENUM, OFF(tb_flow, tls), 0, 0, NAMES(tls_names), W(RR),
	  BOTH_WEB("--tls", W(RR), WO_SET) },
	{ "resume", K_ENUM, OFF(tb_flow, resume), 0, 0, NAMES(resume_names), W(RR),
	  BOTH_WEB("--resume", W(RR), WO_SET) },
	{ "tfo", K_BOOL, OFF(tb_flow, tfo), 0, 0, NULL, W(RR), BOTH_WEB("--tfo", W(RR), WO_SET) },
	{ "http", K_ENUM, OFF(tb_flow, http), 0, 0, NAMES(http_names), W(RR),
	  BOTH_WEB("--http", W(RR), WO_WEB) },
	{ "quic_cc", K_ENUM, OFF(tb_flow, quic_cc), 0, 0, NAMES(quic_cc_names), W(RR),
	  BOTH_WEB("--quic-cc", W(RR), WO_SET) },
	/* --spoof: this prefix, or the plan's */
	{ "spoof", K_CIDR4, OFF(tb_flow, spoof), 8, 32, NULL, W(SYNFLOOD) },
	{ "server.backlog", K_UINT, OFF(tb_flow, server.backlog), 1, 65535, NULL, W_ALL,
	  SERVER_WEB("--backlog", S_ANY, WO_ALWAYS) },
	{ "server.arch", K_ENUM, OFF(tb_flow, server.arch), 0, 0, NAMES(arch_names), W_REQ,
	  SERVER("--arch", S_RR, WO_ALWAYS) },
	{ "server.accept_rate", K_REAL, OFF(tb_flow, server.accept_rate), 0, 10e6, NULL, W_ALL,
	  SERVER("--accept-rate", S_ANY, WO_SET) },
	{ "server.accept_delay", K_TIME, OFF(tb_flow, server.accept_delay_us), 0, 3600e6, NULL,
	  W_ALL, SERVER("--accept-delay", S_ANY, WO_SET) },
	{ "server.close", K_ENUM, OFF(tb_flow, server.close), 0, 0, NAMES(closer_names), W_REQ,
	  SERVER("--close", S_RR, WO_ALWAYS) },
	{ "server.read_rate", K_RATE, OFF(tb_flow, server.read_rate), 1, 1e12, NULL, W(BULK) | W(RR),
	  SERVER("--read-rate", W(BULK) | W(RR), WO_SET) },
	{ "server.leak", K_BOOL, OFF(tb_flow, server.leak), 0, 0, NULL, W_REQ,
	  SERVER("--leak", W_REQ, WO_SET) },
	{ "server.reject", K_BOOL, OFF(tb_flow, server.reject), 0, 0, NULL, W_REQ,
	  SERVER("--reject", W_REQ, WO_SET) },
	{ "server.nodelay", K_BOOL, OFF(tb_flow, server.nodelay), 0, 0, NULL, W_REQ | W(BULK),
	  SERVER_WEB("--nodelay", W_REQ | W(BULK), WO_SET) },
	{ "server.work", K_TIME, OFF(tb_flow, server.work_us), 1, 10e6, NULL, W_REQ,
	  SERVER("--work", W_REQ, WO_SET) },
	{ "server.nofile", K_UINT, OFF(tb_flow, server.nofile), 8, 1 << 20, NULL, W_REQ,
	  SERVER("--nofile", W_REQ, WO_SET) },
	{ "server.threads", K_UINT, OFF(tb_flow, server.threads), 1, 4096, NULL, W_REQ,
	  SERVER("--threads", W_REQ, WO_SET) },
	{ NULL },
};

static const char *const event_action_names[] = { "down", "up", "set", "stop", "start", NULL };

const struct keydef cfg_event_keys[] = {
	{ "at", K_TIME, OFF(tb_event, at_us), 0, 3600e6, NULL, 0 },
	{ "link", K_STR, OFF(tb_event, link_name), 0, 0, NULL, 0 },
	{ "flow", K_STR, OFF(tb_event, flow_name), 0, 0, NULL, 0 },
	{ "action", K_ENUM, OFF(tb_event, action), 0, 0, NAMES(event_action_names), 0 },
	{ "every", K_TIME, OFF(tb_event, every_us), 1000, 3600e6, NULL, 0 },
	{ "until", K_TIME, OFF(tb_event, until_us), 0, 3600e6, NULL, 0 },
	{ "steps", K_UINT, OFF(tb_event, steps), 2, 1000, NULL, 0 },
	{ NULL },
};

static const char *const process_stop_names[] = { "exit", "end", NULL };
/* enum tb_poutput: text (metric.NAME only), json, h2load (its summary) */
static const char *const process_output_names[] = { "text", "json", "h2load", NULL };

/* [process NAME]; env.VAR and metric.NAME are cfg_process_set's, and ready,
 * after and ports are parsed by validation (they name other things). */
const struct keydef cfg_process_keys[] = {
	{ "node", K_NODE, OFF(tb_process, node), 0, 0, NULL, 0 },
	{ "cmd", K_STRDUP, OFF(tb_process, cmd), 0, 0, NULL, 0 },
	{ "start", K_TIME, OFF(tb_process, start_us), 0, 3600e6, NULL, 0 },
	{ "after", K_STRDUP, OFF(tb_process, after), 0, 0, NULL, 0 },
	{ "ready", K_STRDUP, OFF(tb_process, ready), 0, 0, NULL, 0 },
	{ "stop", K_ENUM, OFF(tb_process, stop), 0, 0, NAMES(process_stop_names), 0 },
	{ "output", K_ENUM, OFF(tb_process, output), 0, 0, NAMES(process_output_names), 0 },
	{ "ports", K_STRDUP, OFF(tb_process, ports_text), 0, 0, NULL, 0 },
	{ NULL },
};

const struct keydef cfg_capture_keys[] = {
	{ "node", K_NODE, OFF(tb_capture, node), 0, 0, NULL, 0 },
	{ "iface", K_IFNAME, OFF(tb_capture, iface), 0, 0, NULL, 0 },
	{ "snaplen", K_UINT, OFF(tb_capture, snaplen), 64, 262144, NULL, 0 },
	{ "filter", K_STRDUP, OFF(tb_capture, filter), 0, 0, NULL, 0 },
	{ "max_size", K_SIZE64, OFF(tb_capture, max_bytes), 4096, 0, NULL, 0 },
	{ "ladder", K_UINT, OFF(tb_capture, ladder), 1, 1e9, NULL, 0 },
	{ "ladder_lines", K_UINT, OFF(tb_capture, ladder_lines), 5, 10000, NULL, 0 },
	{ NULL },
};

const struct keydef *cfg_key_find(const struct keydef *t, const char *name)
{
	for (; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static bool better(const char *cand, const char *name, unsigned *best)
{
	unsigned dist = tb_edit_distance(cand, name);
	size_t ln = strlen(name);
	/* allow more edits for longer words, never more than a third of them */
	unsigned limit = ln <= 3 ? 1 : ln <= 6 ? 2 : 3;

	if (dist <= limit && dist < *best) {
		*best = dist;
		return true;
	}
	return false;
}

const char *cfg_key_suggest(const struct keydef *t, const char *name)
{
	const char *found = NULL;
	unsigned best = 99;

	for (; t->name; t++)
		if (better(t->name, name, &best))
			found = t->name;
	return found;
}

const char *cfg_suggest(const char *const *names, const char *name)
{
	const char *found = NULL;
	unsigned best = 99;

	for (; *names; names++)
		if (better(*names, name, &best))
			found = *names;
	return found;
}

const char *cfg_enum_name(const struct keydef *k, int i)
{
	const char *row = (const char *)k->enums->rows + (size_t)i * k->enums->stride;

	return *(const char *const *)row;
}

bool cfg_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= TB_NAME_MAX || !isalpha((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static int bad(struct cfg_ctx *x, const struct tb_loc *loc, const char *what, const char *value,
	       const char *why)
{
	diag_error(x->d, loc, "%s: invalid value \"%s\": %s", what, value, why);
	return -EINVAL;
}

static int range(struct cfg_ctx *x, const struct keydef *k, const struct tb_loc *loc,
		 const char *what, const char *value, double v)
{
	if (v < k->min) {
		if (k->min == 1 && v == 0)
			return bad(x, loc, what, value, "must be greater than 0");
		return bad(x, loc, what, value, "too small");
	}
	if (k->max > 0 && v > k->max)
		return bad(x, loc, what, value, "too large");
	return 0;
}

/* Range-check @u and store it as uint64_t (@wide) or a 32-bit field. */
static int store_uint(struct cfg_ctx *x, const struct keydef *k, char *p, const struct tb_loc *loc,
		      const char *what, const char *value, uint64_t u, bool wide)
{
	if (range(x, k, loc, what, value, (double)u))
		return -EINVAL;
	if (wide) {
		*(uint64_t *)p = u;
		return 0;
	}
	if (u > UINT32_MAX)
		return bad(x, loc, what, value, "too large");
	*(uint32_t *)p = (uint32_t)u;
	return 0;
}

/* Why @a/@len (network order) cannot serve as a testbed address, or NULL:
 * loopback, multicast, link-local and such build, then misbehave. For a
 * host address (@host), also its subnet's network and broadcast address. */
static const char *addr_class_problem(int af, const unsigned char *a, unsigned len, bool host)
{
	static const unsigned char zero[16];

	if (af == AF_INET) {
		uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		uint32_t hostmask = len >= 32 ? 0 : 0xffffffffu >> len;

		if (a[0] == 127)
			return "a loopback address (127.0.0.0/8)";
		if (a[0] >= 224 && a[0] <= 239)
			return "a multicast address (224.0.0.0/4)";
		if (a[0] == 0 || a[0] >= 240)
			return "a reserved address (0.0.0.0/8 or 240.0.0.0/4)";
		if (host && len <= 30 && (v & hostmask) == hostmask)
			return "the broadcast address of its subnet";
		if (host && len <= 30 && !(v & hostmask))
			return "the network address of its subnet";
		return NULL;
	}
	if (a[0] == 0xff)
		return "a multicast address (ff00::/8)";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "a link-local address (fe80::/10): the kernel gives every interface its own";
	if (!memcmp(a, zero, 15) && a[15] <= 1)
		return a[15] ? "the loopback address (::1)" : "the unspecified address (::)";
	return NULL;
}

static int set_cidr(struct cfg_ctx *x, const struct keydef *k, char *dst, const char *value,
		    const struct tb_loc *loc, const char *what)
{
	const char *why;
	int af = k->type == K_CIDR4 ? AF_INET : AF_INET6;
	unsigned maxlen = af == AF_INET ? 32 : 128;
	unsigned char buf[16];
	char addr[64], *slash, *end;
	unsigned long len;

	if (strlen(value) >= sizeof(addr) || strlen(value) >= k->size)
		return bad(x, loc, what, value, "too long");
	strcpy(addr, value);
	slash = strchr(addr, '/');
	if (!slash)
		return bad(x, loc, what, value, "expected ADDRESS/PREFIXLEN");
	*slash = 0;
	if (inet_pton(af, addr, buf) != 1)
		return bad(x, loc, what, value,
			   af == AF_INET ? "not an IPv4 address" : "not an IPv6 address");
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || len > maxlen)
		return bad(x, loc, what, value, "bad prefix length");
	if (len < k->min || len > k->max)
		return bad(x, loc, what, value, "prefix length out of range");
	why = addr_class_problem(af, buf, (unsigned)len,
				 !strcmp(k->name, "addr") || !strcmp(k->name, "addr6"));
	if (why)
		return bad(x, loc, what, value, why);
	strcpy(dst, value);
	return 0;
}

/* The value's index among the key's names, or an error naming the nearest
 * name (or all of them). */
static int set_enum(struct cfg_ctx *x, const struct keydef *k, int *p, const char *value,
		    const struct tb_loc *loc, const char *what)
{
	const char *name, *near = NULL;
	char list[256] = "";
	unsigned best = 99;

	for (int i = 0; (name = cfg_enum_name(k, i)); i++) {
		if (!strcmp(name, value)) {
			*p = i;
			return 0;
		}
		if (better(name, value, &best))
			near = name;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 name);
	}
	if (near)
		diag_error(x->d, loc, "%s: unknown value \"%s\" (did you mean \"%s\"?)", what, value,
			   near);
	else
		diag_error(x->d, loc, "%s: unknown value \"%s\" (expected one of: %s)", what, value,
			   list);
	return -EINVAL;
}

/* An integer key: @value read by @parse in its unit, range-checked, stored. */
static int set_uint(struct cfg_ctx *x, const struct keydef *k, char *p, const char *value,
		    const struct tb_loc *loc, const char *what,
		    int (*parse)(const char *, uint64_t *, const char **), bool wide)
{
	const char *why = "";
	uint64_t u;

	if (parse(value, &u, &why))
		return bad(x, loc, what, value, why);
	return store_uint(x, k, p, loc, what, value, u, wide);
}

/* A real key: a percentage (@pct, not range-checked) or a plain number. */
static int set_real(struct cfg_ctx *x, const struct keydef *k, double *p, const char *value,
		    const struct tb_loc *loc, const char *what, bool pct)
{
	const char *why = "";
	double v;

	if (pct ? units_percent(value, &v, &why) : units_real(value, &v, &why))
		return bad(x, loc, what, value, why);
	if (!pct && range(x, k, loc, what, value, v))
		return -EINVAL;
	*p = v;
	return 0;
}

/* A yes/no key: bool, or int (-1 unset) for a tri-state (@tri). */
static int set_bool(struct cfg_ctx *x, char *p, const char *value, const struct tb_loc *loc,
		    const char *what, bool tri)
{
	const char *why = "";
	int b;

	if (units_bool(value, &b, &why))
		return bad(x, loc, what, value, why);
	if (tri)
		*(int *)p = b;
	else
		*(bool *)p = b;
	return 0;
}

/* An interface name the kernel takes, other than lo. */
static int set_ifname(struct cfg_ctx *x, char *p, const char *value, const struct tb_loc *loc,
		      const char *what)
{
	if (!*value || strlen(value) >= TB_IFNAME_MAX)
		return bad(x, loc, what, value, "interface names have 1 to 15 characters");
	for (const char *s = value; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return bad(x, loc, what, value,
				   "interface names use letters, digits, '_', '-', '.'");
	if (!strcmp(value, ".") || !strcmp(value, ".."))
		return bad(x, loc, what, value, "not an interface name the kernel takes");
	if (!strcmp(value, "lo"))
		return bad(x, loc, what, value, "lo is the node's own loopback interface");
	strcpy(p, value);
	return 0;
}

/* An identifier of [a-z0-9_] that fits the key's field. */
static int set_ident(struct cfg_ctx *x, const struct keydef *k, char *p, const char *value,
		     const struct tb_loc *loc, const char *what)
{
	if (!*value || strlen(value) >= k->size)
		return bad(x, loc, what, value, "bad length");
	for (const char *s = value; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return bad(x, loc, what, value, "use lower-case letters, digits and '_'");
	strcpy(p, value);
	return 0;
}

/* A rate in tc's bytes per second ("50mbps": 400 Mbit/s), which a file
 * almost always means as bits: said, with the spelling that means bits. */
static void warn_bytes_rate(struct cfg_ctx *x, const struct tb_loc *loc, const char *what,
			    const char *value, uint64_t bps)
{
	size_t num;
	const char *bits = units_rate_bytes(value, &num);
	char got[32], meant[32];

	if (!bits)
		return;
	units_fmt_rate(bps, got, sizeof(got));
	units_fmt_rate(bps / 8, meant, sizeof(meant));
	diag_warn(x->d, loc,
		  "%s: \"%s\" is bytes per second (tc's meaning): %s/s; write %.*s%s for %s/s", what,
		  value, got, (int)num, value, bits, meant);
}

int cfg_key_set(struct cfg_ctx *x, const struct keydef *k, void *obj, const char *value,
		const struct tb_loc *loc, const char *what)
{
	char *p = (char *)obj + k->off;

	switch (k->type) {
	case K_RATE:
		if (set_uint(x, k, p, value, loc, what, units_rate, true))
			return -EINVAL;
		warn_bytes_rate(x, loc, what, value, *(uint64_t *)p);
		return 0;
	case K_TIME:
		return set_uint(x, k, p, value, loc, what, units_time, false);
	case K_SIZE32:
	case K_SIZE64:
		return set_uint(x, k, p, value, loc, what, units_size, k->type == K_SIZE64);
	case K_UINT:
	case K_U64:
		return set_uint(x, k, p, value, loc, what, units_count, k->type == K_U64);
	case K_PCT:
	case K_REAL:
		return set_real(x, k, (double *)p, value, loc, what, k->type == K_PCT);
	case K_BOOL:
	case K_TRI:
		return set_bool(x, p, value, loc, what, k->type == K_TRI);
	case K_ENUM:
		return set_enum(x, k, (int *)p, value, loc, what);
	case K_STR:
		if (strlen(value) >= k->size)
			return bad(x, loc, what, value, "too long");
		strcpy(p, value);
		return 0;
	case K_STRDUP:
		free(*(char **)p);
		*(char **)p = xstrdup(value);
		return 0;
	case K_NODE:
		cfg_ref(x, (int *)p, value, loc, what);
		return 0;
	case K_IFNAME:
		return set_ifname(x, p, value, loc, what);
	case K_CIDR4:
	case K_CIDR6:
		return set_cidr(x, k, p, value, loc, what);
	case K_IDENT:
		return set_ident(x, k, p, value, loc, what);
	}
	return -EINVAL;
}

void config_shape_defaults(struct tb_shape *s)
{
	memset(s, 0, sizeof(*s));
	s->ecn = -1;
}

/* One shaping key into @sh, its bit recorded. */
static int shape_set(struct cfg_ctx *x, const struct keydef *k, struct tb_shape *sh,
		     const char *value, const struct tb_loc *loc)
{
	if (cfg_key_set(x, k, sh, value, loc, k->name))
		return -EINVAL;
	sh->set |= k->bit;
	return 0;
}

int config_shape_set(struct tb_shape *sh, const char *key, const char *value,
		     const struct tb_loc *loc, struct tb_diag *d)
{
	struct cfg_ctx x = { .d = d };
	const struct keydef *k = cfg_key_find(cfg_shape_keys, key);
	const char *near;

	if (k)
		return shape_set(&x, k, sh, value, loc);
	near = cfg_key_suggest(cfg_shape_keys, key);
	if (near)
		diag_error(d, loc, "unknown key \"%s\" (did you mean \"%s\"?)", key, near);
	else
		diag_error(d, loc, "unknown key \"%s\"", key);
	return -ENOENT;
}

uint32_t config_shape_bits(unsigned parts)
{
	uint32_t bits = 0;

	for (const struct keydef *k = cfg_shape_keys; k->name; k++)
		if (k->part & parts)
			bits |= k->bit;
	return bits;
}

/* A value of key @k in its unit, for help: a rate or a time formatted. */
static const char *fmt_value(const struct keydef *k, double v, char *buf, unsigned len)
{
	if (k->type == K_RATE)
		return units_fmt_rate((uint64_t)v, buf, len);
	if (k->type == K_TIME)
		return units_fmt_time((uint64_t)v, buf, len);
	snprintf(buf, len, "%.0f", v);
	return buf;
}

/* "time 0..10s", "percent", "tbf|htb": what key @k takes. */
static const char *key_unit(const struct keydef *k, char *buf, size_t len)
{
	static const char *const units[] = {
		[K_RATE] = "rate", [K_TIME] = "time", [K_SIZE32] = "size",
		[K_PCT] = "percent", [K_TRI] = "on|off", [K_UINT] = "count",
	};
	const char *name, *u = (size_t)k->type < ARRAY_SIZE(units) ? units[k->type] : NULL;
	char lo[32], hi[32];

	buf[0] = 0;
	if (k->type == K_ENUM) {
		for (int i = 0; (name = cfg_enum_name(k, i)); i++)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "|" : "", name);
	} else if (k->max > 0) {
		snprintf(buf, len, "%s %s..%s", u ? u : "?", fmt_value(k, k->min, lo, sizeof(lo)),
			 fmt_value(k, k->max, hi, sizeof(hi)));
	} else {
		snprintf(buf, len, "%s", u ? u : "?");
	}
	return buf;
}

void config_shape_help(FILE *f)
{
	char unit[128];

	for (const struct keydef *k = cfg_shape_keys; k->name; k++) {
		/* a long list of names gets a line of its own */
		if (strlen(key_unit(k, unit, sizeof(unit))) > 22)
			fprintf(f, "  %-19s %s\n  %-19s %-22s %s\n", k->name, unit, "", "", k->help);
		else
			fprintf(f, "  %-19s %-22s %s\n", k->name, unit, k->help);
	}
}

void cfg_flow_defaults(struct tb_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->from = f->to = -1;
	f->enabled = true;
	f->family = 0; /* index into family_names: ipv4 */
	f->request = 100;
	f->response = 100;
	f->concurrency = 1;
	f->pool = 1;
	f->streams = 1;
	f->timeout_us = 5000000;
	f->count = 100;
	f->size = 200;
	f->server.backlog = 128;
}

/* @tables: the sections' key tables, NULL-terminated, searched in order
 * for a suggestion. */
static int unknown_key(struct cfg_ctx *x, const struct keydef *const *tables, const char *key,
		       const struct tb_loc *loc, const char *where)
{
	const char *s = NULL;

	for (; !s && *tables; tables++)
		s = cfg_key_suggest(*tables, key);
	if (s)
		diag_error(x->d, loc, "unknown key \"%s\" in %s (did you mean \"%s\"?)", key, where, s);
	else
		diag_error(x->d, loc, "unknown key \"%s\" in %s", key, where);
	return -EINVAL;
}
#define UNKNOWN_KEY(x, key, loc, where, ...)                                                       \
	unknown_key(x, (const struct keydef *const[]){ __VA_ARGS__, NULL }, key, loc, where)

/* Whether @name is dotted words of letters, digits, '_' and '-'. */
static bool sysctl_name_ok(const char *name)
{
	if (!*name || name[0] == '.' || strstr(name, "..") || strchr(name, '/') ||
	    name[strlen(name) - 1] == '.')
		return false;
	for (const char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			return false;
	}
	return true;
}

/* "sysctl.NAME = VALUE" of node @n: a net.* key, added or (a later file) replaced. */
static int node_set_sysctl(struct cfg_ctx *x, struct tb_node *n, const char *name,
			   const char *value, const struct tb_loc *kloc, const struct tb_loc *vloc,
			   const char *where)
{
	struct tb_sysctl *s;

	if (!sysctl_name_ok(name)) {
		diag_error(x->d, kloc, "%s: bad sysctl name \"%s\"", where, name);
		return -EINVAL;
	}
	if (strncmp(name, "net.", 4)) { /* the rest is the host's, in every namespace */
		diag_error(x->d, kloc,
			   "%s: sysctl %s is not per network namespace (only net.* keys "
			   "are per node)",
			   where, name);
		return -EINVAL;
	}
	if (!*value) {
		diag_error(x->d, vloc, "%s: sysctl %s has an empty value", where, name);
		return -EINVAL;
	}
	for (size_t i = 0; i < n->n_sysctls; i++) {
		if (strcmp(n->sysctls[i].key, name) == 0) { /* a later file overrides */
			free(n->sysctls[i].value);
			n->sysctls[i].value = xstrdup(value);
			n->sysctls[i].loc = *vloc;
			return 0;
		}
	}
	n->sysctls = tb_grow(n->sysctls, &n->cap_sysctls, n->n_sysctls, sizeof(*n->sysctls));
	s = &n->sysctls[n->n_sysctls++];
	s->key = xstrdup(name);
	s->value = xstrdup(value);
	s->loc = *vloc;
	return 0;
}

int cfg_node_set(struct cfg_ctx *x, struct tb_node *n, const char *key, const char *value,
		 const struct tb_loc *kloc, const struct tb_loc *vloc)
{
	const struct keydef *k = cfg_key_find(cfg_node_keys, key);
	char where[64];

	snprintf(where, sizeof(where), "[node %s]", n->name);
	if (strncmp(key, "sysctl.", 7) == 0)
		return node_set_sysctl(x, n, key + 7, value, kloc, vloc, where);
	if (!k)
		return UNKNOWN_KEY(x, key, kloc, where, cfg_node_keys);
	return cfg_key_set(x, k, n, value, vloc, key);
}

/* "c1.delay" in [link c1-r1]: *@end is the end c1 (-1: no dot), *@key moves past the dot. */
static int key_end(struct cfg_ctx *x, const struct tb_link *l, const char **key, int *end,
		   const struct tb_loc *kloc, const char *where)
{
	const char *dot = strchr(*key, '.');
	char endname[TB_NAME_MAX];
	size_t n;
	const char *a, *b;

	*end = -1;
	if (!dot)
		return 0;
	n = (size_t)(dot - *key);
	a = x->c->nodes[l->end[0].node].name;
	b = x->c->nodes[l->end[1].node].name;
	if (n >= sizeof(endname))
		n = sizeof(endname) - 1;
	memcpy(endname, *key, n);
	endname[n] = 0;
	if (strcmp(endname, a) == 0)
		*end = 0;
	else if (strcmp(endname, b) == 0)
		*end = 1;
	else {
		diag_error(x->d, kloc, "%s: \"%s\" is not an end of this link (%s or %s)", where,
			   endname, a, b);
		return -EINVAL;
	}
	*key = dot + 1;
	return 0;
}

/* A shape key on both directions of @l, or (@end >= 0) on the one leaving that end. */
static int link_set_shape(struct cfg_ctx *x, struct tb_link *l, const struct keydef *k, int end,
			  const char *value, const struct tb_loc *kloc, const struct tb_loc *vloc)
{
	for (int i = 0; i < 2; i++) {
		struct tb_shape *s = &l->dir[i];
		bool first = !s->set;

		if (end >= 0 && i != end)
			continue;
		if (shape_set(x, k, s, value, vloc))
			return -EINVAL;
		if (first)
			s->loc = *kloc;
	}
	return 0;
}

int cfg_link_set(struct cfg_ctx *x, struct tb_link *l, const char *key, const char *value,
		 const struct tb_loc *kloc, const struct tb_loc *vloc)
{
	const struct keydef *k;
	char where[96];
	int end;

	snprintf(where, sizeof(where), "[link %s]", l->name);
	if (key_end(x, l, &key, &end, kloc, where))
		return -EINVAL;
	if ((k = cfg_key_find(cfg_shape_keys, key)))
		return link_set_shape(x, l, k, end, value, kloc, vloc);
	if ((k = cfg_key_find(cfg_end_keys, key))) {
		if (end < 0) {
			diag_error(x->d, kloc, "%s: \"%s\" belongs to one end: write %s.%s or %s.%s", where,
				   key, x->c->nodes[l->end[0].node].name, key,
				   x->c->nodes[l->end[1].node].name, key);
			return -EINVAL;
		}
		if (x->in_topology == false && x->has_topology) {
			diag_error(x->d, kloc, "%s: \"%s\" can only be set in the topology file", where, key);
			return -EINVAL;
		}
		return cfg_key_set(x, k, &l->end[end], value, vloc, key);
	}
	if ((k = cfg_key_find(cfg_link_keys, key))) {
		if (end >= 0) {
			diag_error(x->d, kloc, "%s: \"%s\" applies to the whole link, not to one end",
				   where, key);
			return -EINVAL;
		}
		return cfg_key_set(x, k, l, value, vloc, key);
	}
	return UNKNOWN_KEY(x, key, kloc, where, cfg_shape_keys, cfg_end_keys, cfg_link_keys);
}

/* env.VAR or metric.NAME = @value of process @p: added, or (a case) replaced. */
static int process_var(struct cfg_ctx *x, struct tb_process *p, bool env, const char *name,
		       const char *value, const struct tb_loc *kloc, const struct tb_loc *vloc)
{
	struct tb_pvar **arr = env ? &p->env : &p->metrics;
	size_t *n = env ? &p->n_env : &p->n_metrics, *cap = env ? &p->cap_env : &p->cap_metrics;
	bool ok = *name && (isalpha((unsigned char)*name) || *name == '_');

	for (const char *s = name; *s && ok; s++)
		ok = isalnum((unsigned char)*s) || *s == '_';
	if (!ok || strlen(name) >= TB_NAME_MAX) {
		diag_error(x->d, kloc, "process %s: bad %s name \"%s\": a letter or '_', then "
				       "letters, digits or '_'",
			   p->name, env ? "environment variable" : "metric", name);
		return -EINVAL;
	}
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*arr)[i].name, name)) {
			free((*arr)[i].value);
			(*arr)[i].value = xstrdup(value);
			(*arr)[i].loc = *vloc;
			return 0;
		}
	*arr = tb_grow(*arr, cap, *n, sizeof(**arr));
	(*arr)[*n] = (struct tb_pvar){ xstrdup(name), xstrdup(value), *vloc };
	(*n)++;
	return 0;
}

bool cfg_process_raw_key(const char *key)
{
	size_t n = strlen(key);

	return !strcmp(key, "cmd") || (n > 4 && !strcmp(key + n - 4, ".cmd"));
}

int cfg_process_set(struct cfg_ctx *x, struct tb_process *p, const char *key, const char *value,
		    const struct tb_loc *kloc, const struct tb_loc *vloc)
{
	const struct keydef *k = cfg_key_find(cfg_process_keys, key);
	char where[64];

	snprintf(where, sizeof(where), "[process %s]", p->name);
	if (!strncmp(key, "env.", 4) || !strncmp(key, "metric.", 7))
		return process_var(x, p, key[0] == 'e', strchr(key, '.') + 1, value, kloc, vloc);
	if (!k)
		return UNKNOWN_KEY(x, key, kloc, where, cfg_process_keys);
	if (!strcmp(key, "cmd"))
		p->cmd_loc = *vloc;
	else if (!strcmp(key, "after"))
		p->after_loc = *vloc;
	else if (!strcmp(key, "ready"))
		p->ready_loc = *vloc;
	else if (!strcmp(key, "ports"))
		p->ports_loc = *vloc;
	if (k->type == K_NODE) { /* the reference outlives this call: an interned name */
		char what[TB_NAME_MAX + 16];

		snprintf(what, sizeof(what), "process %s: node", p->name);
		return cfg_key_set(x, k, p, value, vloc, cfg_intern(what));
	}
	return cfg_key_set(x, k, p, value, vloc, key);
}

int cfg_flow_set(struct cfg_ctx *x, struct tb_flow *f, const char *key, const char *value,
		 const struct tb_loc *kloc, const struct tb_loc *vloc)
{
	const struct keydef *k = cfg_key_find(cfg_flow_keys, key);
	char where[64];
	int rc;

	snprintf(where, sizeof(where), "[flow %s]", f->name);
	if (!k)
		return UNKNOWN_KEY(x, key, kloc, where, cfg_flow_keys);
	rc = cfg_key_set(x, k, f, value, vloc, key);
	if (rc && k->off == offsetof(struct tb_flow, worker))
		f->worker = (enum tb_worker)-2; /* given but bad: reported already */
	if (!rc && k->off == offsetof(struct tb_flow, cc))
		f->cc_loc = *vloc; /* check names it when no kernel tier has it */
	if (!rc) {
		struct key_use *u;

		f->set |= 1ull << (k - cfg_flow_keys);
		if (f >= x->c->flows && f < x->c->flows + x->c->n_flows) {
			x->uses = tb_grow(x->uses, &x->cap_uses, x->n_uses, sizeof(*x->uses));
			u = &x->uses[x->n_uses++];
			u->flow = (size_t)(f - x->c->flows);
			u->key = (size_t)(k - cfg_flow_keys);
			u->loc = *kloc;
		}
	}
	return rc;
}

bool config_flow_has(const struct tb_flow *f, const char *key)
{
	const struct keydef *k = cfg_key_find(cfg_flow_keys, key);

	return k && (f->set & (1ull << (k - cfg_flow_keys)));
}

/* The value at @k in @obj as a worker option takes it, into @buf; whether
 * it is set (not zero, empty or false). A bool leaves @buf empty. */
static bool option_value(const struct keydef *k, const void *obj, char *buf, size_t len)
{
	const char *p = (const char *)obj + k->off;
	unsigned long long u = 0;
	const char *unit = "";
	double v;
	int e;

	buf[0] = 0;
	switch (k->type) {
	case K_TIME:
		unit = "us";
		/* fall through */
	case K_SIZE32:
	case K_UINT:
		u = *(const uint32_t *)p;
		break;
	case K_RATE:
		unit = "bit";
		/* fall through */
	case K_SIZE64:
	case K_U64:
		u = *(const uint64_t *)p;
		break;
	case K_REAL:
		v = *(const double *)p;
		snprintf(buf, len, "%g", v);
		return v != 0;
	case K_ENUM:
		e = *(const int *)p;
		snprintf(buf, len, "%s", cfg_enum_name(k, e));
		return e != 0;
	case K_BOOL:
		return *(const bool *)p;
	case K_IDENT:
		snprintf(buf, len, "%s", p);
		return *p;
	case K_PCT: /* no worker option has these types */
	case K_TRI:
	case K_STR:
	case K_STRDUP:
	case K_NODE:
	case K_IFNAME:
	case K_CIDR4:
	case K_CIDR6:
		return false;
	}
	snprintf(buf, len, "%llu%s", u, unit);
	return u != 0;
}

/* Whether @k's option is on the command line of @f's client or server. */
static bool option_wanted(const struct keydef *k, const struct tb_flow *f, bool server, bool set)
{
	uint32_t workers = server ? k->opt.servers : k->bit;
	bool tcp = f->worker != TB_WORKER_UDP || f->transport == TB_TRANSPORT_TCP;

	if (workers && !(workers & (1u << f->worker)))
		return false;
	if (config_flow_web(f) && !k->opt.web)
		return false;
	switch (k->opt.when) {
	case WO_ALWAYS:
		return true;
	case WO_SET:
		return set;
	case WO_TCP:
		return set && tcp;
	case WO_GIVEN:
		return f->set & (1ull << (k - cfg_flow_keys));
	case WO_POOLED:
		return f->conn == TB_CONN_POOL;
	case WO_WEB:
		return config_flow_web(f);
	}
	return false;
}

void config_flow_options(const struct tb_flow *f, bool server,
			 void (*emit)(void *arg, const char *opt, const char *value), void *arg)
{
	char buf[64];

	for (const struct keydef *k = cfg_flow_keys; k->name; k++) {
		const char *opt = server ? k->opt.server : k->opt.client;

		if (opt && option_wanted(k, f, server, option_value(k, f, buf, sizeof(buf))))
			emit(arg, opt, k->type == K_BOOL ? NULL : buf);
	}
}
