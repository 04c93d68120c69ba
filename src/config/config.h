/* The typed, validated model of a topology or experiment file.
 *
 * config_load() parses a file (and, for an experiment, the topology it
 * includes) with libinih into a struct tb_config, then validates it. Parsing
 * and validation never touch the system. Every object carries the file:line
 * it came from so that later stages can report errors against the file. */
#ifndef TB_CONFIG_H
#define TB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/diag.h"

#define TB_NAME_MAX 32 /* node, link, flow, capture, expectation names */
#define TB_IFNAME_MAX 16 /* IFNAMSIZ */

enum tb_kernel { TB_KERNEL_AUTO, TB_KERNEL_HOST, TB_KERNEL_UML };

/* Queue (qdisc) that holds packets on a shaped direction. */
enum tb_queue {
	TB_QUEUE_DEFAULT, /* leave the interface's default qdisc */
	TB_QUEUE_PFIFO,
	TB_QUEUE_BFIFO,
	TB_QUEUE_FQ_CODEL,
	TB_QUEUE_CODEL,
	TB_QUEUE_FQ,
	TB_QUEUE_CAKE,
};
#define TB_QUEUE_N (TB_QUEUE_CAKE + 1)

enum tb_shaper { TB_SHAPER_TBF, TB_SHAPER_HTB };
enum tb_dist { TB_DIST_NONE, TB_DIST_UNIFORM, TB_DIST_NORMAL, TB_DIST_PARETO, TB_DIST_PARETONORMAL };
enum tb_loss_model { TB_LOSS_RANDOM, TB_LOSS_GEMODEL };

/* Bits of tb_shape.set: which keys the file gave. */
enum {
	TB_SH_RATE = 1u << 0,
	TB_SH_DELAY = 1u << 1,
	TB_SH_JITTER = 1u << 2,
	TB_SH_LOSS = 1u << 3,
	TB_SH_DUPLICATE = 1u << 4,
	TB_SH_REORDER = 1u << 5,
	TB_SH_CORRUPT = 1u << 6,
	TB_SH_QUEUE = 1u << 7,
	TB_SH_LIMIT = 1u << 8,
	TB_SH_AQM = 1u << 9, /* target, interval, flows, ecn */
	TB_SH_NETEM_LIMIT = 1u << 10,
	TB_SH_GEMODEL = 1u << 11,
	TB_SH_BURST = 1u << 12,
	TB_SH_SHAPER = 1u << 13,
	TB_SH_DIST = 1u << 14,
	TB_SH_TRACE = 1u << 20, /* trace.h */
};

/* The parts of a shaped direction, one qdisc each (docs/shaping.md): the
 * shape-key table says which part each key configures. */
enum {
	TB_PART_NETEM = 1u << 0, /* delay, jitter, loss, duplicate, reorder, corrupt */
	TB_PART_RATE = 1u << 1,  /* tbf or htb */
	TB_PART_QUEUE = 1u << 2, /* the queue kind, under the rate part if any */
};
#define TB_PART_ALL (TB_PART_NETEM | TB_PART_RATE | TB_PART_QUEUE)

/** The TB_SH_* bits that the shape keys of @parts set: with TB_PART_NETEM,
 * what needs netem. From the shape-key table (config_keys.c). */
uint32_t config_shape_bits(unsigned parts);

/* Shaping of one direction of a link: what leaves one end toward the other.
 * Percentages are stored as percent (1% -> 1.0). Times in microseconds. */
struct tb_shape {
	uint32_t set;          /* TB_SH_* bits given */
	uint64_t rate;         /* bit/s; 0: no rate limit */
	enum tb_shaper shaper; /* rate limiter: tbf (default) or htb */
	uint32_t burst;        /* bytes; 0: sized from the rate */
	uint32_t delay_us;
	uint32_t jitter_us;
	enum tb_dist dist;
	double delay_corr;
	double loss;
	double loss_corr;
	enum tb_loss_model loss_model;
	double ge_p, ge_r, ge_h, ge_k; /* Gilbert-Elliott, percent (tc's p r 1-h 1-k) */
	double duplicate;
	double reorder;
	double reorder_corr;
	uint32_t reorder_gap;
	double corrupt;
	enum tb_queue queue;
	uint32_t limit;       /* queue limit: packets (bytes for bfifo); 0: default */
	uint32_t netem_limit; /* packets; 0: sized from the bandwidth-delay product */
	uint32_t target_us;   /* (fq_)codel target; 0: kernel default */
	uint32_t interval_us; /* (fq_)codel interval; 0: kernel default */
	uint32_t flows;       /* fq_codel flows; 0: kernel default */
	int ecn;              /* -1 unset, 0 off, 1 on */
	char trace[512];      /* Mahimahi trace (trace.h): the rate follows it */
	struct tb_loc loc;    /* first shaping key of this direction */
};

/** An empty shape (nothing set, ecn unset). */
void config_shape_defaults(struct tb_shape *s);

/**
 * Set shaping key @key ("delay") of @sh to @value exactly as a [link]
 * section does, through the same key table: units, range, messages and the
 * key's TB_SH_* bit. Problems go to @d at @loc (NULL: none), an unknown key
 * with the nearest shaping key. 0, -ENOENT (unknown key) or -EINVAL.
 */
int config_shape_set(struct tb_shape *sh, const char *key, const char *value,
		     const struct tb_loc *loc, struct tb_diag *d);

/** Print one line per shaping key to @f: its name, unit and range, and what
 * it does (the table's help), for `testbed shape --help`. */
void config_shape_help(FILE *f);

/* The keys of a queue kind (tb_queue_kind.keys and .accepts). */
enum {
	TB_QK_LIMIT = 1u << 0,
	TB_QK_TARGET = 1u << 1,
	TB_QK_INTERVAL = 1u << 2,
	TB_QK_FLOWS = 1u << 3,
	TB_QK_ECN = 1u << 4,
};

/* A queue kind as the model knows it: one row of the table in config_queue.c,
 * indexed by enum tb_queue. How a kind is built over netlink and read back,
 * its kernel module and whether minimal kernels lack it are the net layer's
 * (qdisc_queue_ops[] in net/qdisc_ops.h, indexed by the same enum). */
struct tb_queue_kind {
	const char *name;   /* in files and to the kernel ("fq_codel"); "default": none */
	uint32_t limit;     /* packets it holds when no limit is given (bfifo: frames) */
	bool limit_bytes;   /* the limit key counts bytes (bfifo) */
	bool fifo;          /* drop-tail: a full one is pure delay */
	bool marks;         /* marks ECN-capable packets (with ecn = on, or always: cake) */
	unsigned keys;      /* TB_QK_* it acts on */
	unsigned accepts;   /* TB_QK_* a file may give with it (a superset of keys: the
			       rest are ignored, and check warns); others are errors */
};

/** The row of queue kind @q; the "default" row for a value out of range. */
const struct tb_queue_kind *config_queue_kind(enum tb_queue q);

/** The queue keys (TB_QK_*) that @s gives a value. */
unsigned config_queue_keys(const struct tb_shape *s);

/** The names of the queue kinds that act on all of @keys (TB_QK_*), as
 * "fq_codel, codel or cake" (@last: "or", "and") into @buf. */
const char *config_queue_names(unsigned keys, const char *last, char *buf, size_t len);

struct tb_sysctl {
	char *key;   /* dotted, e.g. net.ipv4.tcp_syncookies */
	char *value; /* as written */
	struct tb_loc loc;
};

struct tb_node {
	char name[TB_NAME_MAX];
	bool forward;
	struct tb_sysctl *sysctls;
	size_t n_sysctls, cap_sysctls;
	struct tb_loc loc;
};

/* One end of a link. */
struct tb_end {
	int node;                     /* index into tb_config.nodes */
	char ifname[TB_IFNAME_MAX];   /* from the file, else eth0, eth1.. per node in link order */
	char addr4[48];               /* "a.b.c.d/len" or "" for automatic */
	char addr6[64];               /* "x::y/len" or "" for automatic */
	struct tb_loc loc;
};

struct tb_link {
	char name[2 * TB_NAME_MAX + 2]; /* "a-b" */
	struct tb_end end[2];
	unsigned mtu;         /* 0: 1500 */
	int offload;          /* -1 auto (off when shaped), 0 off, 1 on */
	struct tb_shape dir[2]; /* dir[i]: egress of end[i] toward end[1 - i] */
	struct tb_loc loc;
};

enum tb_worker {
	TB_WORKER_BULK,
	TB_WORKER_RR,
	TB_WORKER_CHURN,
	TB_WORKER_SYNFLOOD,
	TB_WORKER_UDP,
	TB_WORKER_IDLE,
};

enum tb_conn_mode { TB_CONN_PER_REQUEST, TB_CONN_POOL };
enum tb_write_mode { TB_WRITE_SINGLE, TB_WRITE_SPLIT };
enum tb_closer { TB_CLOSE_CLIENT, TB_CLOSE_SERVER };
enum tb_arch {
	TB_ARCH_EPOLL, TB_ARCH_THREAD, TB_ARCH_ITERATIVE, TB_ARCH_FORK, TB_ARCH_POOL, TB_ARCH_EPOLL_POOL
};
/* idle: the delay before a lost connection is opened again */
enum tb_reconnect { TB_RECONNECT_FIXED, TB_RECONNECT_BACKOFF, TB_RECONNECT_JITTER };
enum tb_transport { TB_TRANSPORT_UDP, TB_TRANSPORT_TCP };
enum tb_family { TB_FAMILY_IPV4, TB_FAMILY_IPV6 };
/* The protocol stack of an rr flow (keys tls, resume, tfo, http, quic_cc):
 * any of them set, tb-web runs the flow instead of tb-rr and tb-server. */
enum tb_tls { TB_TLS_NO, TB_TLS_12, TB_TLS_13 };
enum tb_resume { TB_RESUME_NO, TB_RESUME_TICKET, TB_RESUME_EARLY };
enum tb_http { TB_HTTP_NONE, TB_HTTP_11, TB_HTTP_2, TB_HTTP_3 };
enum tb_quic_cc { TB_QCC_CUBIC, TB_QCC_BBR, TB_QCC_RENO };

/* Options of the server side of a flow (keys "server.*"). */
struct tb_server_opts {
	unsigned backlog;      /* listen() backlog; default 128 */
	enum tb_arch arch;
	double accept_rate;    /* accepts per second; 0: as fast as possible */
	uint32_t accept_delay_us; /* pause before accepting at all */
	enum tb_closer close;  /* who closes first */
	uint64_t read_rate;    /* bit/s the server reads at; 0: unlimited */
	bool leak;             /* never close accepted sockets (CLOSE-WAIT) */
	bool reject;           /* load shedding: accept and close at once */
	bool nodelay;          /* TCP_NODELAY on accepted sockets */
	uint32_t work_us;      /* CPU time each request costs the server */
	unsigned nofile;       /* the server's RLIMIT_NOFILE; 0: inherited */
	unsigned threads;      /* pool and epoll_pool's threads; 0: the server's default */
};

struct tb_flow {
	char name[TB_NAME_MAX];
	enum tb_worker worker;
	bool enabled;          /* a case may switch a flow off */
	int from, to;          /* node indices; -1 when not given */
	uint32_t start_us;
	uint32_t duration_us;  /* 0: until the experiment ends */
	unsigned port;         /* 0: assigned */
	enum tb_family family; /* address family of the connection */
	char cc[16];           /* "" : kernel default */
	struct tb_loc cc_loc;  /* where cc was set: its key, a sweep's or a case's line */
	bool nodelay;
	uint32_t sndbuf, rcvbuf; /* bytes; 0: autotuning */
	/* bulk */
	uint64_t bytes;        /* 0: run for the duration */
	/* rr, churn, idle, udp, synflood */
	uint32_t request, response; /* bytes */
	unsigned concurrency;
	double rate;           /* per second (requests, connections, datagrams, SYNs); 0: closed loop */
	enum tb_conn_mode conn;
	unsigned pool;         /* connections in the pool */
	unsigned streams;      /* rr: request streams multiplexed on each pool connection */
	enum tb_write_mode write;
	enum tb_closer close;
	uint32_t timeout_us;   /* connect and request timeout */
	unsigned count;        /* idle: connections held */
	uint32_t size;         /* udp datagram size (bytes) */
	enum tb_transport transport; /* udp worker: udp (default) or tcp */
	uint32_t interval_us;  /* idle: heartbeat interval, 0 none */
	uint32_t ka_idle_us;   /* idle: TCP keep-alive idle time (SO_KEEPALIVE); 0: off */
	uint32_t ka_intvl_us;  /* idle: keep-alive probe interval; 0: kernel default */
	unsigned ka_cnt;       /* idle: unanswered probes before the connection dies; 0: default */
	enum tb_reconnect reconnect; /* idle: the delay policy after a lost connection */
	uint32_t reconnect_base_us, reconnect_cap_us; /* idle: its base and cap; 0: the worker's */
	char spoof[48];        /* synflood: source prefix; "" : from the plan */
	enum tb_tls tls;       /* rr: TLS over TCP (GnuTLS) */
	enum tb_resume resume; /* rr: TLS 1.3 / QUIC resumption from an earlier connection's ticket */
	bool tfo;              /* rr: TCP Fast Open */
	enum tb_http http;     /* rr: HTTP framing: none (the rr protocol), 1.1, 2, 3 (QUIC) */
	enum tb_quic_cc quic_cc; /* rr, http = 3: ngtcp2's congestion control */
	struct tb_server_opts server;
	uint64_t set;          /* which keys were given (bit per key index) */
	struct tb_loc loc;
};

struct tb_capture {
	char name[TB_NAME_MAX];
	int node;              /* node index */
	char iface[TB_IFNAME_MAX]; /* "" : every interface of the node */
	unsigned snaplen;      /* default 128 */
	char *filter;          /* BPF, NULL for none */
	uint64_t max_bytes;    /* default 200 MB */
	unsigned ladder;       /* report this connection's ladder (1-based); 0: none */
	unsigned ladder_lines; /* at most this many ladder lines in the report; default 40 */
	struct tb_loc loc;
};

/* Something done to the network at a time within each run ([event NAME]). */
enum tb_event_action { TB_EVENT_DOWN, TB_EVENT_UP, TB_EVENT_SET, TB_EVENT_STOP, TB_EVENT_START };

#define TB_EVENT_SETS_MAX 16   /* shape keys one action = set may change */
#define TB_EVENT_STEPS_DEFAULT 10 /* changes of a ramp when `steps` is not given */

/* One shape key of an action = set, as written ("A.rate", "100mbit..10mbit
 * over 5s"); resolved at check time (config_event.c). */
struct tb_event_set {
	char key[2 * TB_NAME_MAX + 2];
	char value[96];
	struct tb_loc kloc, vloc;
};

struct tb_event {
	char name[TB_NAME_MAX];
	uint32_t at_us;        /* time within the run (measured time, from its start) */
	char link_name[2 * TB_NAME_MAX + 2]; /* as written: "r2-s1" */
	int link;              /* link index; -1 until resolved (and for stop, start) */
	char flow_name[TB_NAME_MAX]; /* stop, start: the flow whose server it is */
	int flow;              /* its index; -1 until resolved */
	enum tb_event_action action; /* down: both ends of the veth pair down; up: back up;
					set: shape keys changed in place; stop: the flow's
					server closes every connection and its listener;
					start: it listens again */
	uint32_t every_us;     /* repeat period; 0: once */
	uint32_t until_us;     /* no repeat after this; UINT32_MAX: not given */
	uint32_t steps;        /* changes of a ramp; 0: TB_EVENT_STEPS_DEFAULT */
	size_t n_sets;
	struct tb_event_set sets[TB_EVENT_SETS_MAX];
	/* resolved by check (config_event.c), per direction of the link: */
	uint64_t keys[2];      /* bit i: shape key i (config_shape_key(i)) is set */
	uint64_t ramps[2];     /* bit i: ... and ramps from from[] to to[] */
	uint32_t over_us;      /* the ramps' length */
	struct tb_shape from[2], to[2];
	struct tb_loc loc;
};

/* A command of the user's run inside a node during every run ([process
 * NAME], docs/processes.md). */
enum tb_ready { TB_READY_NOW, TB_READY_PORT, TB_READY_TIME, TB_READY_FILE };
enum tb_pstop { TB_PSTOP_EXIT, TB_PSTOP_END };
/* output =: how its standard output becomes value()s (the names are
 * config_keys.c's, the readers report_proc.c's) */
enum tb_poutput { TB_POUT_TEXT, TB_POUT_JSON, TB_POUT_H2LOAD, TB_POUT_N };

/* A NAME = VALUE of a process: env.VAR (value: the text) or metric.NAME
 * (value: a regular expression with one capture group). */
struct tb_pvar {
	char *name;
	char *value;
	struct tb_loc loc;
};

#define TB_PROCESS_PORTS 16

struct tb_process {
	char name[TB_NAME_MAX];
	int node;              /* node index; -2 until given */
	char *cmd;             /* as written, { } substitutions unexpanded */
	uint32_t start_us;     /* from the start of the measured run */
	char *after;           /* as written: "a, b" */
	int *after_idx;        /* resolved by validation */
	size_t n_after;
	char *ready;           /* as written; parsed by validation into: */
	enum tb_ready ready_kind;
	unsigned ready_port;
	uint32_t ready_us;
	char *ready_file;      /* points into ready */
	enum tb_pstop stop;
	enum tb_poutput output;
	char *ports_text;      /* as written */
	unsigned ports[TB_PROCESS_PORTS];
	size_t n_ports;
	struct tb_pvar *env;
	size_t n_env, cap_env;
	struct tb_pvar *metrics;
	size_t n_metrics, cap_metrics;
	struct tb_loc loc, cmd_loc, after_loc, ready_loc, ports_loc;
};

/* One swept key and its values; the cases are the cross product. */
struct tb_sweep {
	char *key;             /* as written: flow.bulk.cc */
	char *short_name;      /* last component: cc */
	char **values;
	size_t n_values;
	struct tb_loc loc;
};

/* A named case: a bundle of settings ("[case pool]" with flow.rr.conn = pool,
 * ...). The cases form one more sweep dimension, keyed "case". */
struct tb_setting {
	char *key;   /* sweep-style key: flow.rr.conn, node.c1.sysctl.net.ipv4.tcp_tw_reuse */
	char *value;
	struct tb_loc loc;
};

struct tb_casedef {
	char name[TB_NAME_MAX];
	char *note;            /* why this case exists (shown in the report) */
	struct tb_setting *set;
	size_t n_set, cap_set;
	struct tb_loc loc;
};

/* Expectation expressions. */
enum tb_expr_kind { TB_EX_NUM, TB_EX_METRIC, TB_EX_CALL, TB_EX_BINOP, TB_EX_NEG };

/* What a metric or a constant measures: TB_UNIT_COUNT is a plain number,
 * which takes the unit of whatever it is combined with. */
enum tb_unit { TB_UNIT_COUNT, TB_UNIT_RATE, TB_UNIT_TIME, TB_UNIT_PCT, TB_UNIT_PER_S };

struct tb_selector {
	int sweep;             /* index into tb_config.sweeps */
	int value;             /* index into that sweep's values */
};

struct tb_expr {
	enum tb_expr_kind kind;
	double num;            /* TB_EX_NUM */
	enum tb_unit unit;     /* TB_EX_NUM: from its suffix (70mbit, 40ms, 1%); TB_EX_METRIC:
				  the metric's (cfg(): its key's) */
	char op;               /* TB_EX_BINOP: + - * / */
	struct tb_expr *lhs, *rhs;
	/* TB_EX_METRIC: metric(subject[, key=value]...) ; TB_EX_CALL: fn(args) */
	char *name;            /* metric or function name */
	char *subject;         /* flow name, node.counter / node.STATE, a process, or
				  cfg()'s key path */
	char *key;             /* value(P, KEY): KEY (a dotted JSON path or a metric.NAME) */
	int flow;              /* flow index for flow metrics, else -1 */
	int node;              /* node index for node metrics, process index for process
				  metrics, else -1 */
	bool base;             /* TB_EX_METRIC written base(METRIC): read from the base run
				  of `testbed compare` (only its --fail-if accepts it) */
	struct tb_selector *sel;
	size_t n_sel;
	struct tb_expr **args;
	size_t n_args;
	int col;
};

enum tb_cmp { TB_CMP_LT, TB_CMP_LE, TB_CMP_GT, TB_CMP_GE, TB_CMP_EQ, TB_CMP_NE };

struct tb_expect {
	char name[TB_NAME_MAX];
	char *text;            /* the expression as written */
	struct tb_expr *lhs, *rhs;
	enum tb_cmp cmp;
	struct tb_loc loc;
};

struct tb_experiment {
	bool present;          /* an [experiment] section was given */
	char name[64];         /* default: the file's base name */
	char *description;
	char *topology;        /* resolved path of the included topology */
	uint32_t duration_us;  /* default 10 s */
	unsigned repeat;       /* default 1 */
	uint64_t seed;         /* default 1 */
	enum tb_kernel kernel;
	uint32_t sample_us;    /* socket sampling interval, default 100 ms */
	uint64_t uml_mem;      /* bytes, default 512 MiB */
	bool capture;          /* capture on the default interfaces when no [capture] */
	struct tb_loc loc;
};

struct tb_topo_opts {
	char name[64];
	char pool4[48];        /* default 198.18.0.0/15 (benchmarking range) */
	char pool6[64];        /* default fd74:6200::/48 */
	unsigned mtu;          /* default 1500 */
};

/* The text of a file the model was read from, kept so that a run's
 * directory can be judged again without it (manifest.json "sources"). */
struct tb_source {
	char *path;            /* as given (the file), resolved (its topology); NULL: none */
	char *text;
};

struct tb_config {
	char *path;            /* the file given */
	struct tb_topo_opts topo;
	struct tb_experiment exp;
	struct tb_node *nodes;
	size_t n_nodes, cap_nodes;
	struct tb_link *links;
	size_t n_links, cap_links;
	struct tb_flow *flows;
	size_t n_flows, cap_flows;
	struct tb_capture *captures;
	size_t n_captures, cap_captures;
	struct tb_event *events;
	size_t n_events, cap_events;
	struct tb_process *processes;
	size_t n_processes, cap_processes;
	struct tb_sweep *sweeps; /* [case] sections add a first sweep keyed "case" */
	size_t n_sweeps, cap_sweeps;
	struct tb_casedef *casedefs;
	size_t n_casedefs, cap_casedefs;
	struct tb_expect *expects;
	size_t n_expects, cap_expects;
	struct tb_source sources[2]; /* [0] the file given, [1] its topology */
};

/**
 * Parse and validate @path (a topology or an experiment file; an experiment
 * pulls in its topology). Problems are appended to @d; returns the model, or
 * NULL when a file could not be read at all. The model is usable only when
 * diag_errors(d) == 0.
 */
struct tb_config *config_load(const char *path, struct tb_diag *d);

/** Parse from a memory buffer (the fuzz target); @name is used in messages.
 * An experiment's "topology =" is resolved relative to @name's directory. */
struct tb_config *config_load_buffer(const char *name, const char *buf, size_t len,
				     struct tb_diag *d);

/** Parse from the texts a model kept (tb_config.sources, as a run's
 * manifest records them): the topology's text is src[1]'s, not the disk's. */
struct tb_config *config_load_sources(const struct tb_source src[2], struct tb_diag *d);

/* The PATH of a process's clean environment: its command is looked up
 * there, at check time and at run time. */
#define TB_PROCESS_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/** Split a command line into words as sh does (blanks separate; '...'
 * literal; "..." with \ escaping \ " $ `; \ outside quotes escapes the next
 * character), never running a shell. *@words is NULL-terminated (free with
 * tb_strv_free). -EINVAL at *@bad_off: a quote never closed. */
int config_split_words(const char *s, char ***words, size_t *bad_off);

/* The { } substitutions of a process's cmd and env.* values
 * (docs/processes.md; their table is process.c's). */
enum tb_subst_what {
	TB_SUBST_NONE,
	TB_SUBST_ADDR4,    /* {addr:NODE} */
	TB_SUBST_ADDR6,    /* {addr6:NODE} */
	TB_SUBST_OUT,      /* {out} */
	TB_SUBST_DURATION, /* {duration} */
	TB_SUBST_TLS_CERT, /* {tls_cert} */
	TB_SUBST_TLS_KEY,  /* {tls_key} */
};

/* What a process's { } substitutions become: addr() gives node @node's
 * first address of @family (4 or 6), NULL when it has none. */
struct tb_subst {
	const char *(*addr)(void *arg, int node, int family);
	void *arg;
	const char *out;       /* {out}: the process's output directory */
	const char *tls_cert;  /* {tls_cert}, {tls_key}: the run's TLS files (NULL: none) */
	const char *tls_key;
};

/** @s with {addr:NODE}, {addr6:NODE}, {out}, {duration} (the run's
 * seconds), {tls_cert} and {tls_key} replaced; any other { } text stays.
 * -ENOENT (no such node), -EADDRNOTAVAIL (no address) or -ENOKEY (no TLS
 * files) at *@bad_off. */
int config_expand(const struct tb_config *c, const char *s, const struct tb_subst *sb, char **out,
		  size_t *bad_off);

/** Whether a process of @c, in any case (its cmd, env.*, or a sweep's or
 * case's process.NAME.*), has a substitution of kind @what: a run makes
 * the TLS files only for a file that takes them. */
bool config_uses_subst(const struct tb_config *c, enum tb_subst_what what);

/** Command @cmd's path, looked up in TB_PROCESS_PATH unless it has a '/'
 * (into @buf). 0, or -errno when it is not an executable file. */
int config_which(const char *cmd, char *buf, size_t len);

/** Set the measured time of a run: flows' and events' times keep their
 * share of it (`testbed run --duration`). */
void config_set_duration(struct tb_config *c, uint32_t dur_us);

/** Free a model; NULL-safe. */
void config_free(struct tb_config *c);

/** Deep copy (a case of a sweep is a copy with the swept keys set). */
struct tb_config *config_dup(const struct tb_config *c);

/**
 * Set one sweep key (e.g. "flow.bulk.cc") to @value in @c, validating it as
 * the file's parser would; problems go to @d against @loc. 0 or -EINVAL.
 */
int config_set(struct tb_config *c, const char *key, const char *value, const struct tb_loc *loc,
	       struct tb_diag *d);

/**
 * The number at @key of @c, named as a case or a sweep names keys
 * ("flow.NAME.KEY", "link.A-B.KEY", "link.A-B.NODE.KEY", "node.NAME.KEY",
 * "node.NAME.sysctl.NAME") or "experiment.KEY": into *@v in the unit
 * expectations use (rates bit/s, times s, percentages %, sizes bytes,
 * yes/no 1/0), that unit into *@unit. A link key without NODE reads the
 * direction that sets it, or both when they agree. 0; -ENOENT (no such
 * object or key) or -EINVAL (not a number, or a rate or sysctl not set),
 * the reason in @why. The expectations' cfg().
 */
int config_get(const struct tb_config *c, const char *key, double *v, enum tb_unit *unit,
	       char *why, size_t whylen);

/**
 * What expression @e measures: a number with a unit suffix or a metric its
 * unit, a plain number TB_UNIT_COUNT (it takes its partner's unit), a sum
 * its terms' unit; a product or quotient of two measures (a share, a rate
 * x a time) TB_UNIT_COUNT: left unjudged.
 */
enum tb_unit config_expr_unit(const struct tb_expr *e);

/** Index of the node called @name, or -1. */
int config_node(const struct tb_config *c, const char *name);
/** Index of the flow called @name, or -1. */
int config_flow(const struct tb_config *c, const char *name);
/** Index of the process called @name, or -1. */
int config_process(const struct tb_config *c, const char *name);
/**
 * Parse "EXPR CMP EXPR" (@text) into @e against @c's flows, nodes,
 * processes and sweeps, as an [expect] line would be, except that
 * base(METRIC) is accepted: `testbed compare --fail-if`. @e->name names it
 * in messages, which go to @d at @loc. 0 or -EINVAL; free with
 * config_expect_free().
 */
int config_expect_parse(const struct tb_config *c, struct tb_expect *e, const char *text,
			const struct tb_loc *loc, struct tb_diag *d);
/** Free what config_expect_parse() put in @e. */
void config_expect_free(struct tb_expect *e);
/** Whether an expectation is about process @proc's exit() or runtime():
 * then its failing, or timing out, is what is measured, not a failed run. */
bool config_process_judged(const struct tb_config *c, int proc);

/** Whether the file set flow key @key (e.g. "port") on @f. */
bool config_flow_has(const struct tb_flow *f, const char *key);

/**
 * The worker options flow @f's keys become (the key table's worker options,
 * docs/workers.md), in the table's order, for its client (@server false)
 * or its tb-server: @emit gets each option and its value, NULL for a bare
 * flag (--nodelay). The rest of a command line (--host, --port,
 * --duration, --spoof, files) is the caller's.
 */
void config_flow_options(const struct tb_flow *f, bool server,
			 void (*emit)(void *arg, const char *opt, const char *value), void *arg);

/** The port flow @flow's server listens on: its "port", else 5001 + its index. */
unsigned config_flow_port(const struct tb_config *c, int flow);

/**
 * The flow whose server flow @flow talks to: @flow itself when it starts
 * its own. Request/response flows (rr, churn, idle) to one node and port
 * share the listener of the first of them; a synflood targets the listener
 * of another flow on its node and port, or starts a plain rr one.
 */
int config_flow_server(const struct tb_config *c, int flow);

/**
 * The configuration of case @k: a copy with every swept key (and the named
 * case's settings) applied. NULL with messages in @d if a value does not fit.
 */
struct tb_config *config_case(const struct tb_config *c, size_t k, struct tb_diag *d);

/* The most cases the sweeps of one experiment may make (check refuses more). */
#define CONFIG_MAX_CASES 10000u

/** Number of cases (product of the sweeps' value counts; 1 without sweeps;
 * SIZE_MAX when the product does not fit). */
size_t config_n_cases(const struct tb_config *c);
/** The sweep value indices of case @k (mixed radix, first sweep slowest). */
void config_case_values(const struct tb_config *c, size_t k, int *idx);

struct json_t;
/** The resolved model as a JSON object (jansson; new reference): every key of
 * every section under its file name, in the files' units. For manifests. */
struct json_t *config_to_json(const struct tb_config *c);

/** The name of shaping key @i, in the order of docs/config.md's table
 * (rate, shaper, burst, delay, ...); NULL past the last. */
const char *config_shape_key(size_t i);

/* action = set of [event NAME] (config_event.c): when each change happens
 * and what it sets. A change is step s of occurrence o: occurrences at
 * at + o x every up to until; a ramp's N steps at at + s x over/(N-1), step
 * s setting from + (to - from) x s/(N-1); without a ramp one step. */

/** Change @i of @v (0, 1, ...): its time into *@at_us and the ramps'
 * fraction (0..1) into *@frac. 0, or -1 past the last change. */
int config_event_step(const struct tb_event *v, size_t i, uint32_t *at_us, double *frac);

/** Write the keys @v sets on direction @dir (leaving end @dir) into @sh,
 * ramped keys at @frac of their way, with their TB_SH_* bits. */
void config_event_shape(const struct tb_event *v, int dir, double frac, struct tb_shape *sh);

/** The TB_PART_* that @v changes on direction @dir (0: none). */
unsigned config_event_parts(const struct tb_event *v, int dir);

/** "rate=10Mbit delay=20ms": the keys @v sets on @dir with their values in
 * @sh, into @buf. */
void config_event_describe(const struct tb_event *v, int dir, const struct tb_shape *sh,
			   char *buf, size_t len);
/** Shaping key @i of direction @sh as a file writes it ("20ms", "1%",
 * "fq_codel", "500") into @buf when @sh sets it to something other than its
 * default (0% loss is no loss); else "". Returns whether it wrote a value. */
bool config_shape_text(const struct tb_shape *sh, size_t i, char *buf, size_t len);

/** Names used in output and messages. */
const char *config_worker_name(enum tb_worker w);
/** Whether tb-web runs flow @f: an rr flow with tls, resume, tfo or http set. */
bool config_flow_web(const struct tb_flow *f);
/** Whether flow @f's packets are UDP datagrams: the udp worker over the udp
 * transport, or an rr flow with http = 3 (QUIC). The sampler writes its
 * sockets' rows to <node>-udp.csv instead of <node>-tcp.csv. */
bool config_flow_udp(const struct tb_flow *f);
/** The worker program of @f's client, "web" or the worker's name (workers/tb-NAME). */
const char *config_flow_program(const struct tb_flow *f);
const char *config_kernel_name(enum tb_kernel k);

/** Hop-count shortest path from node @a to node @b through forwarding nodes;
 * returns the number of links, or -1 when unreachable. */
int config_distance(const struct tb_config *c, int a, int b);

#endif
