/* `testbed run`: the experiment pipeline. run.c performs the runs on this
 * kernel (cases x repeats in a seed-shuffled order) and writes the manifest;
 * run_guest.c does the same through a User-Mode Linux guest; run_one.c
 * performs one run (build, start, measure, collect, tear down); run_proc.c
 * builds worker command lines and launches them inside namespaces. The
 * command itself is cli/cmd_run.c. */
#ifndef TB_RUN_H
#define TB_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"

struct json_t;
struct vm_needs;

struct topo;
struct run_shard;

struct run_opts {
	bool quiet;          /* no progress on stderr */
	int sigfd;           /* signalfd of SIGINT/SIGTERM/SIGHUP (and SIGCHLD) */
	const char *workers; /* directory of the tb-* binaries */
	const char *tier;    /* "host" or "uml", for messages */
	const char *tls_dir; /* the run's TLS files ({tls_cert}, {tls_key}), or NULL */
};

/* Progress of the whole experiment, for the status line. */
struct run_progress {
	size_t order, n_runs;   /* this run's position (1-based) and the total */
	size_t case_k, n_cases; /* 1-based */
	unsigned rep, n_reps;   /* 1-based */
	double done_s, total_s; /* measured seconds finished before this run, and in all */
	char params[160];       /* "cc=bbr loss=1%" */
};

/* A worker process of a run. */
struct run_proc {
	pid_t pid;
	int flow;
	bool server;
	bool exited;
	int status;
	char ready[512]; /* server: the --ready file */
	char series[512]; /* client: its --series file */
	long series_off;  /* how far the progress line has read it */
	char *series_last; /* its last complete record so far */
};

/* Result of one run. */
enum run_status { RUN_COMPLETE, RUN_INCOMPLETE, RUN_FAILED };

/**
 * Perform one run of case configuration @c into directory @dir (created).
 * Returns the run's status; *@signo is set when a signal ended it early.
 * *@info is what run.json records of it (the caller's; the caller adds the
 * case and writes it). Exit-worthy environment problems set *@env.
 */
enum run_status run_one(const struct tb_config *c, const char *dir, const struct run_opts *o,
			const struct run_progress *pr, int *signo, bool *env, struct json_t **info);

/**
 * Build argv of the server (@server true) or the client of flow @flow of
 * @c, whose client connects to @addr (run_flow_addr); strings are allocated
 * into *@argv (NULL-terminated, free with tb_strv_free). @workers: the
 * directory of the tb-* binaries; @files: directory for result, ready and
 * series files; @run_us: the run's measured time. Returns 0, -ENOENT when
 * the flow has no process of that kind (its server is another flow's),
 * -EADDRNOTAVAIL when @addr is NULL, -EINVAL when a synflood has no prefix
 * to spoof.
 */
int run_argv(const struct tb_config *c, int flow, bool server, const char *addr,
	     const char *workers, const char *files, uint32_t run_us, char ***argv);
/** fork, node_enter(@nsfd, @hosts) (net/nodeenter.h: the node's network
 * namespace, its /sys, and @hosts, topo_hosts_path(), over /etc/hosts so
 * that node names resolve; NULL: the host's), exec @argv; stdout/stderr to
 * @log. pid or -errno. */
pid_t run_spawn(int nsfd, const char *hosts, char **argv, const char *log);
/** Address the flow's client connects to (the server node's, for the
 * flow's family), or NULL. */
const char *run_flow_addr(const struct tb_config *c, const struct topo *t, int flow);

/** --repeat, and --duration (flows' and events' times keep their share). */
void run_apply_overrides(struct tb_config *c, uint64_t dur_us, unsigned repeat);

/* One thing a run needs of a kernel, and where the file asks for it. */
struct run_need {
	bool cc;                  /* a congestion control, else a qdisc kind */
	const char *name;         /* "bbr", "netem": valid during the call only */
	const char *owner;        /* the flow's or the link's name */
	const struct tb_loc *loc; /* the cc's key (sweep, case), the shaping's first key */
};
typedef void (*run_need_fn)(void *arg, const struct run_need *n);

/** Call @fn with each qdisc kind and congestion control of each case of @c
 * in file order: the one list of what a run asks of a kernel. */
void run_needs_each(const struct tb_config *c, run_need_fn fn, void *arg);

/** The qdisc kinds and congestion controls every case needs, for choosing
 * the kernel (from run_needs_each()); free with run_needs_free(). */
void run_needs(const struct tb_config *c, struct vm_needs *vn);
/** What @c itself needs (the network `up` and `shell` build), its sweeps
 * aside; free with run_needs_free(). */
void run_needs_one(const struct tb_config *c, struct vm_needs *vn);
void run_needs_free(struct vm_needs *vn);

/** `testbed check`'s warnings about the kernel tiers: a qdisc kind or
 * congestion control of @c that neither this kernel nor the User-Mode Linux
 * guest offers (or not the one tier the file's "kernel" names), so the run
 * would fail. Reads files only (no probe, no boot, no root); says nothing of
 * a qdisc when this kernel's module list cannot be read. Into @d. */
void run_check_tiers(const struct tb_config *c, struct tb_diag *d);

/** Is @out free for a run (missing, or an empty directory)? 0, -ENOTEMPTY,
 * -ENOTDIR. */
int run_out_free(const char *out);

/** Create the output directory (@out, or capture/<experiment>/<time>-<id>)
 * into @dir, and its runs/: -EBUSY when another run took it first. */
int run_take_outdir(const struct tb_config *c, const char *out, char *dir, size_t len);

/** A new manifest of @c: every case's configuration, "complete": false. */
struct json_t *run_manifest_new(const struct tb_config *c);
/** DIR/manifest.json, replaced whole; prints and returns -errno on failure. */
int run_write_manifest(const struct json_t *manifest, const char *dir);

/** Every run on this kernel into @dir, then the report. An exit code
 * (enum tb_exit, or 128 + the signal that interrupted it). With @shard
 * (shard.h; NULL: all), only its runs, and its expectations do not decide
 * the exit code: the merge of every shard judges them. */
int run_host(const struct tb_config *c, const char *dir, const struct run_shard *shard,
	     bool quiet);

/** The same through a User-Mode Linux guest, booted with the modules @vn
 * needs and running this command line (@argc, @argv) on its kernel. */
int run_guest(const struct tb_config *c, int argc, char **argv, const char *dir,
	      const struct vm_needs *vn, bool quiet);

#endif
