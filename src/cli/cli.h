/* Subcommands. Each takes the arguments after its name (argv[0] is the
 * subcommand) and returns an exit code from enum tb_exit. */
#ifndef TB_CLI_H
#define TB_CLI_H

int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ladder(int argc, char **argv);
int cmd_trace(int argc, char **argv); /* src/cli/cmd_trace.c */

int cmd_shape(int argc, char **argv);
int cmd_qstats(int argc, char **argv);

/* src/cli/cmd_up.c: a topology's lifecycle */
int cmd_up(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_shell(int argc, char **argv); /* src/cli/cmd_shell.c */

/* Shared by up and shell (cmd_up.c). */
struct tb_config;
struct topo;
/** SIGINT, SIGTERM and SIGHUP blocked, and a nonblocking signalfd of them
 * (CLOEXEC), or -errno. */
int up_signalfd(void);
/** Build @c's network (from @file; @run_id or NULL for a fresh id), shaping
 * included, rolled back when a signal arrives on *@sfd. 0 with *@t, or the
 * exit code (said): 3 environment, 130 interrupted, 1 otherwise. */
int up_build(const struct tb_config *c, const char *file, const char *run_id, int *sfd,
	     struct topo **t);

/* src/cli/cmd_report.c: regenerate summary.json, report.md and plots of a run output directory */
int cmd_report(int argc, char **argv);
/* src/cli/cmd_merge.c: shard directories into one run directory */
int cmd_merge(int argc, char **argv);
struct tb_diag;
/** The experiment run directory @outdir recorded (manifest.json "sources"),
 * or @file, with the run's duration and repeat; NULL after printing why. */
struct tb_config *cli_recorded_config(const char *outdir, const char *file, struct tb_diag *d);

/* src/cli/cmd_compare.c: two runs before/after, --fail-if, JUnit */
int cmd_compare(int argc, char **argv);

int cmd_guest(int argc, char **argv);
int cmd_probe(int argc, char **argv);

#endif
