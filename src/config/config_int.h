/* Internals shared by the config parser's files (config_load.c on top, then
 * config_sections.c, config_validate.c, config_keys.c, config_model.c,
 * expect.c, and config_names.c, config_read.c below them). Not for other
 * modules. */
#ifndef TB_CONFIG_INT_H
#define TB_CONFIG_INT_H

#include "config.h"

/* One line of a file as inih delivered it: a section start (key == NULL) or
 * a key = value pair. */
struct raw_entry {
	int sect;        /* section instance number within its file */
	char *sect_name; /* "link r1-r2" */
	char *key;       /* NULL: the section header itself */
	char *value;     /* NULL: the line had no '=' */
	char *raw;       /* the value as the line has it, " ;" and what follows
			    included (a command's shell sequence is no comment) */
	struct tb_loc loc;     /* line, column of the key (or '[') */
	int val_col;     /* column of the value */
};

struct raw_file {
	const char *path; /* interned */
	struct raw_entry *e;
	size_t n, cap;
};

/* A node name waiting to be resolved once every file is read. The arrays
 * holding the target may grow meanwhile, so it is kept as array + index +
 * offset rather than as a pointer. */
enum ref_home { REF_PTR, REF_FLOW, REF_CAPTURE, REF_PROCESS };

struct pending_ref {
	enum ref_home home;
	size_t index, off;
	int *target; /* REF_PTR only */
	char name[TB_NAME_MAX * 2];
	struct tb_loc loc;
	const char *what; /* "flow bulk: from" */
};

/* Where a flow key was set, to check later that it fits the flow's worker. */
struct key_use {
	size_t flow;
	size_t key; /* index into cfg_flow_keys */
	struct tb_loc loc;
};

struct cfg_ctx {
	struct tb_config *c;
	struct key_use *uses;
	size_t n_uses, cap_uses;
	struct tb_diag *d;
	struct pending_ref *refs;
	size_t n_refs, cap_refs;
	int depth;            /* topology include depth */
	bool in_topology;     /* reading an included topology file */
	bool has_topology;    /* the experiment named a topology */
	bool topology_failed; /* ... and it could not be read */
	bool has_experiment;  /* the main file has an [experiment] section */
	struct tb_loc topology_sect; /* the [topology] section read, line 0: none */
	bool allow_base;      /* expressions may read base(METRIC): compare --fail-if */
};

enum ktype {
	K_RATE,   /* uint64_t bit/s */
	K_TIME,   /* uint32_t us */
	K_SIZE32, /* uint32_t bytes */
	K_SIZE64, /* uint64_t bytes */
	K_PCT,    /* double percent */
	K_BOOL,   /* bool */
	K_TRI,    /* int -1/0/1 */
	K_UINT,   /* unsigned */
	K_U64,    /* uint64_t */
	K_REAL,   /* double */
	K_ENUM,   /* int (an enum) */
	K_STR,    /* char[size] */
	K_STRDUP, /* char * */
	K_NODE,   /* int node index, resolved later */
	K_IFNAME, /* char[IFNAMSIZ] */
	K_CIDR4,  /* char[size] "a.b.c.d/len" */
	K_CIDR6,  /* char[size] */
	K_IDENT,  /* char[size] of [a-z0-9_] (congestion control) */
};

/* When a flow key's worker option is on the command line. */
enum wo_when {
	WO_ALWAYS, /* always, with the key's value (its default when not given) */
	WO_SET,    /* when the value is not zero, empty or false (a bool: the bare option) */
	WO_TCP,    /* WO_SET, and the flow runs over TCP (not a udp flow over udp) */
	WO_GIVEN,  /* when the file gave the key */
	WO_POOLED, /* with conn = pool */
	WO_WEB,    /* always on a flow tb-web runs (config_flow_web), never on others */
};

/* The worker option a flow key becomes. Its value is written in the
 * workers' syntax by the key's type: a time as 250000us, a rate as
 * 8000000bit, a size or count as a number, a real as %g, an enum as its
 * name, a bool as the option alone. */
struct wopt {
	const char *client;    /* option of the flow's client worker (the key's workers), or NULL */
	const char *server;    /* option of its tb-server, or NULL */
	uint32_t servers;      /* workers whose tb-server takes it (1 << enum tb_worker) */
	enum wo_when when;
	bool web;              /* tb-web takes it too: a protocol-stack flow may have it */
};


/* The names of a K_ENUM key, value = index: an array of rows whose first
 * member is the name (a plain array of strings, or a table such as
 * cfg_queue_kinds), ended by a NULL name. */
struct cfg_names {
	const void *rows;
	size_t stride; /* sizeof one row */
};
#define NAMES(rows) (&(const struct cfg_names){ (rows), sizeof((rows)[0]) })

/* One key of a section: the only definition of its name, type (parser and
 * unit), field and range. */
struct keydef {
	const char *name;
	enum ktype type;
	size_t off;
	size_t size;             /* K_STR, K_IFNAME, K_CIDR*, K_IDENT */
	double min, max;         /* inclusive, in the stored unit; max 0: none */
	const struct cfg_names *enums; /* K_ENUM, from NAMES() */
	uint32_t bit;            /* shape keys: the TB_SH_* bit; flow keys: worker mask */
	unsigned part;           /* shape keys: the TB_PART_* they configure */
	const char *help;        /* shape keys: what it does (testbed shape --help) */
	struct wopt opt;         /* flow keys: the worker option it becomes (.opt = ...) */
};

/* Key tables, in config_keys.c. */
extern const struct keydef cfg_topology_keys[];
extern const struct keydef cfg_experiment_keys[];
extern const struct keydef cfg_node_keys[];
extern const struct keydef cfg_link_keys[];
extern const struct keydef cfg_shape_keys[];
extern const struct keydef cfg_end_keys[];
extern const struct keydef cfg_flow_keys[];
extern const struct keydef cfg_capture_keys[];
extern const struct keydef cfg_event_keys[];
extern const struct keydef cfg_process_keys[];
extern const char *const cfg_worker_names[];
/* The queue kinds, indexed by enum tb_queue, ended by a NULL name
 * (config_queue.c). */
extern const struct tb_queue_kind cfg_queue_kinds[];

/** Find @name in a NULL-name-terminated table; NULL if absent. */
const struct keydef *cfg_key_find(const struct keydef *t, const char *name);
/** Closest name in table @t (edit distance <= 2, or a prefix), or NULL. */
const char *cfg_key_suggest(const struct keydef *t, const char *name);
/** Closest of NULL-terminated @names, or NULL. */
const char *cfg_suggest(const char *const *names, const char *name);
/** The name of value @i of K_ENUM key @k; NULL past the last. */
const char *cfg_enum_name(const struct keydef *k, int i);
/** Parse @value per @k into the object at @obj; errors to ctx->d at @loc. */
int cfg_key_set(struct cfg_ctx *x, const struct keydef *k, void *obj, const char *value,
		const struct tb_loc *loc, const char *what);

/** Apply a "key = value" of a [link] (shaping, per-end or link keys). */
int cfg_link_set(struct cfg_ctx *x, struct tb_link *l, const char *key, const char *value,
		 const struct tb_loc *kloc, const struct tb_loc *vloc);
/** Apply a key of a [flow]; checks the key applies to the flow's worker later. */
int cfg_flow_set(struct cfg_ctx *x, struct tb_flow *f, const char *key, const char *value,
		 const struct tb_loc *kloc, const struct tb_loc *vloc);
/** Apply a key of a [process] (the table's, env.VAR, metric.NAME). */
int cfg_process_set(struct cfg_ctx *x, struct tb_process *p, const char *key, const char *value,
		    const struct tb_loc *kloc, const struct tb_loc *vloc);
/** Whether @key is KIND.NAME.KEY of a kind a case or sweep may set. */
bool cfg_settable_key(const char *key);
/* "KIND.NAME.REST" of a case's or sweep's key: KIND and NAME copied, *@rest at
 * REST; false for another form or a part too long. */
bool cfg_split_key(const char *key, char *kind, size_t kind_len, char *name, size_t name_len,
		   const char **rest);
/* The link between the two nodes "A-B" names (either way round), or -1. */
int cfg_find_link(const struct tb_config *c, const char *name);
/** Whether key @key of a [process] (or a case's process.NAME.KEY) takes
 * its value raw, " ;" included: the command line. */
bool cfg_process_raw_key(const char *key);
/** Apply a key of a [node] (forward, sysctl.*). */
int cfg_node_set(struct cfg_ctx *x, struct tb_node *n, const char *key, const char *value,
		 const struct tb_loc *kloc, const struct tb_loc *vloc);

/** Defaults of a new flow. */
void cfg_flow_defaults(struct tb_flow *f);

/** Record a node name to resolve into *target after every file is read. */
void cfg_ref(struct cfg_ctx *x, int *target, const char *name, const struct tb_loc *loc,
	     const char *what);

/** Where a pending reference must be written now. */
int *cfg_ref_target(struct cfg_ctx *x, const struct pending_ref *r);

/* config_read.c: files into raw entries */
/** Intern a file name for tb_loc (kept for the life of the process). */
const char *cfg_intern(const char *s);
/** Read @len bytes of @buf (file @path) into @rf; syntax errors go to x->d. */
void cfg_read_raw(struct cfg_ctx *x, const char *path, const char *buf, size_t len,
		  struct raw_file *rf);
/** Free the entries of @rf. */
void cfg_raw_free(struct raw_file *rf);
/** Read a whole regular file (at most 4 MiB); NULL with *err = errno. */
char *cfg_slurp(const char *path, size_t *len, int *err);
/* What cfg_slurp's *err means to a user ("not a regular file" for a FIFO,
 * a device...). */
const char *cfg_slurp_error(int err);

/* config_names.c: lookups by name */
int cfg_find_node(const struct tb_config *c, const char *name);
const char *cfg_suggest_node(const struct tb_config *c, const char *name);

/* config_sections.c: one object per section header; -1 when it is refused */
int cfg_open_node(struct cfg_ctx *x, const struct raw_entry *e, const char *name);
int cfg_open_link(struct cfg_ctx *x, const struct raw_entry *e, const char *name);
int cfg_open_flow(struct cfg_ctx *x, const struct raw_entry *e, const char *name);
int cfg_open_capture(struct cfg_ctx *x, const struct raw_entry *e, const char *name);
int cfg_open_case(struct cfg_ctx *x, const struct raw_entry *e, const char *name);
/** Keep "KEY = VALUE" @e of [event] @v that is not an event key: a shape
 * key of an action = set, resolved by cfg_event_check_set(). */
void cfg_event_raw(struct cfg_ctx *x, struct tb_event *v, const struct raw_entry *e);
/** Resolve and check @v's shape keys, repeat and ramp once its link is
 * known; the link's shape gains the netem keys its events set (so the
 * change is in place). Errors to x->d. */
void cfg_event_check_set(struct cfg_ctx *x, struct tb_event *v);
int cfg_open_event(struct cfg_ctx *x, const struct raw_entry *e, const char *name);
int cfg_open_process(struct cfg_ctx *x, const struct raw_entry *e, const char *name);
void cfg_add_setting(struct cfg_ctx *x, struct tb_casedef *k, const struct raw_entry *e);
void cfg_add_sweep(struct cfg_ctx *x, const struct raw_entry *e);
void cfg_add_expect(struct cfg_ctx *x, const struct raw_entry *e);

/** The checks of the [process] sections that need the whole model. */
void cfg_validate_processes(struct cfg_ctx *x);

/** Cross-object validation (references, reachability, sweeps, expectations). */
void cfg_validate(struct cfg_ctx *x);
/** The protocol-stack keys of flow @idx: their combinations (config_proto.c). */
void cfg_check_flow_proto(struct cfg_ctx *x, size_t idx);

/** Parse the expectation @text (at @loc, value column @col) into @e. */
int expect_parse(struct cfg_ctx *x, struct tb_expect *e, const char *text, const struct tb_loc *loc);
/** Free an expression tree; NULL-safe. */
void expect_free_expr(struct tb_expr *e);
/** Deep copy of an expression tree. */
struct tb_expr *expect_dup_expr(const struct tb_expr *e);

/** Valid object name: [A-Za-z][A-Za-z0-9_]*, shorter than TB_NAME_MAX. */
bool cfg_valid_name(const char *s);

#endif
