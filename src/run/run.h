/* `testbed run`: the experiment pipeline. run.c plans the runs (cases x
 * repeats in a seed-shuffled order), chooses the kernel tier and writes the
 * manifest; run_one.c performs one run (build, start, measure, collect,
 * tear down); run_proc.c builds worker command lines and launches them
 * inside namespaces. */
#ifndef TB_RUN_H
#define TB_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"

struct topo;

struct run_opts {
	bool quiet;          /* no progress on stderr */
	int sigfd;           /* signalfd of SIGINT/SIGTERM/SIGHUP (and SIGCHLD) */
	const char *workers; /* directory of the tb-* binaries */
	const char *tier;    /* "host" or "uml", for messages */
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
};

/* Result of one run. */
enum run_status { RUN_COMPLETE, RUN_INCOMPLETE, RUN_FAILED };

/**
 * Perform one run of case configuration @c into directory @dir (created).
 * Returns the run's status; *@signo is set when a signal ended it early.
 * Writes dir/run.json. Exit-worthy environment problems set *@env.
 */
enum run_status run_one(const struct tb_config *c, const char *dir, const struct run_opts *o,
			const struct run_progress *pr, int *signo, bool *env);

/**
 * Build argv of the server (@server true) or the client of flow @f of @c,
 * for the topology @t; strings are allocated into *@argv (NULL-terminated,
 * free with run_argv_free). @files: directory for result/ready/series files.
 * Returns 0, or -ENOENT when the flow has no process of that kind (a
 * synflood has no server of its own).
 */
int run_argv(const struct tb_config *c, const struct topo *t, int flow, bool server,
	     const char *workers, const char *files, uint32_t run_us, char ***argv);
/** Free an argv from run_argv(); NULL-safe. */
void run_argv_free(char **argv);
/** fork + setns into @nsfd + exec @argv; stdout/stderr to @log. pid or -errno. */
pid_t run_spawn(int nsfd, char **argv, const char *log);
/** Address the flow's client connects to (the server node's, for the
 * flow's family), or NULL. */
const char *run_flow_addr(const struct tb_config *c, const struct topo *t, int flow);

/** testbed run's entry point (in cli.h as cmd_run). */
int cmd_run(int argc, char **argv);

#endif
