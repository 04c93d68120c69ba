/* The metric table: every metric an expectation can name and the report
 * reads, one row per metric and way of reading it (in the spirit of
 * iproute2's struct qdisc_util).
 *
 * A row says which workers produce the metric, its unit, where its value is
 * read from in a run directory and how the runs of a case are combined.
 * A metric read differently per worker (goodput: bulk's goodput_bps, the udp
 * receiver's bytes over its seconds) has one row per way; a worker matches
 * at most one row of a name.
 *
 * The table lives in the config layer because the expectation parser must
 * accept or refuse a metric for a flow's worker and know its unit, and the
 * config layer may not look up at the report. The report cannot own it
 * either without a second list of names for the parser, which is how the
 * lists drifted before. So the "where from" columns are data here (a reader
 * kind, the file, its keys) and src/report/report_metric.c holds the code
 * that dispatches on them. Adding a metric is one row here (and a test). */
#ifndef TB_METRIC_H
#define TB_METRIC_H

#include <stdbool.h>

#include "config.h"

/* What the metric's subject is: METRIC(FLOW) or METRIC(NODE.NAME). */
enum tb_metric_subject {
	TB_MS_FLOW,
	TB_MS_COUNTER, /* NODE.COUNTER: an nstat counter */
	TB_MS_STATE,   /* NODE.STATE: a socket state */
	TB_MS_PROCESS, /* a [process]: METRIC(PROCESS), value(PROCESS, KEY) */
	TB_MS_CONFIG,  /* cfg(KEY): a key of the case's configuration, flow.bulk.rcvbuf */
};

/* How a run's value is read (the report dispatches on it). */
enum tb_metric_read {
	TB_READ_FIELD,      /* the number `key` of the file; `none` when it is null */
	TB_READ_HIST,       /* field `arg` of histogram `key`, us -> s; missing when count is 0 */
	TB_READ_RATE,       /* `key` (bytes) x 8 / the file's seconds (else the client's) */
	TB_READ_ERRORS,     /* the sum of the errno -> count object `key` */
	TB_READ_ERRNO,      /* errno `arg`'s count in the object `key`; 0 when absent */
	TB_READ_RATIO,      /* 100 x `key` / `arg` */
	TB_READ_SUCCESS_RR, /* 100 x `key` (requests) / the requests started, or scheduled
			       (open loop), counting the errors of the object `arg` */
	TB_READ_RETRANS,    /* the sampler's total_retrans of the flow's sockets, else
			       `key` of the client's file, else counter `arg` of the client node */
	TB_READ_NOTICE,     /* `key` + the flow's start - the first link-down [event]'s time */
	TB_READ_COUNTER,    /* counters/NODE.json */
	TB_READ_PEAK,       /* the largest value of the state's column in sockets/NODE-states.csv */
	TB_READ_UDPSOCK,    /* the largest value of column `key` over the flow's rows in
			       sockets/NODE-udp.csv, both ends */
	TB_READ_VALUE,      /* value(P, KEY): metric.KEY's last match in the process's stdout,
			       else the number at dotted path KEY of its stdout as JSON */
	TB_READ_CONFIG,     /* cfg(KEY): config_get() of the run's case */
};

/* Which worker result a flow metric reads. */
enum tb_metric_file {
	TB_MF_NONE,   /* no one file (retrans, node metrics) */
	TB_MF_CLIENT, /* flows/F.json */
	TB_MF_SERVER, /* flows/F.server.json */
	TB_MF_PROCESS, /* processes/P/status.json */
};

/* How the values of the complete repeats of a case become its number. */
enum tb_metric_agg {
	TB_AGG_STATS, /* median, min, max, mean, 95% CI of the repeats that produced a value;
			 expectations use the median */
};

struct tb_metric {
	const char *name;
	unsigned workers;         /* mask of 1 << enum tb_worker; 0 for node metrics */
	enum tb_unit unit;
	enum tb_metric_subject subject;
	enum tb_metric_read read;
	enum tb_metric_file file;
	const char *key, *arg;    /* per reader, above */
	const char *none;         /* why there is no value when `key` is null or absent */
	enum tb_metric_agg agg;
};

/** The table, terminated by a row whose name is NULL. */
extern const struct tb_metric metric_table[];

/** The row of metric @name for worker @w (any row of that name when @w is
 * negative, and the row of a node metric whatever @w); NULL when none. */
const struct tb_metric *metric_find(const char *name, int w);

/** Whether row @m is a flow metric that worker @w produces. */
bool metric_of(const struct tb_metric *m, enum tb_worker w);

/** The unit of metric @name; TB_UNIT_COUNT when it is not a metric. */
enum tb_unit metric_unit(const char *name);

/** The socket states peak() takes, NULL-terminated (summary.json's order). */
extern const char *const metric_states[];

#endif
