/* Subcommands. Each takes the arguments after its name (argv[0] is the
 * subcommand) and returns an exit code from enum tb_exit. */
#ifndef TB_CLI_H
#define TB_CLI_H

int cmd_check(int argc, char **argv);
int cmd_ladder(int argc, char **argv);

int cmd_shape(int argc, char **argv);
int cmd_qstats(int argc, char **argv);

#endif
