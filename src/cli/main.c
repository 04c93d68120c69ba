/* testbed: entry point and subcommand dispatch. One table drives both
 * dispatch and the help text; names match exactly (no prefixes). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "util/util.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct command commands[] = {
	{ "run", cmd_run, "FILE [OPTIONS]",
	  "Run an experiment: build, measure, tear down, report (exit 1 if an expectation fails)" },
	{ "check", cmd_check, "FILE...",
	  "Parse and validate topology and experiment files (no root, no side effects)" },
	{ "up", cmd_up, "[-f] FILE", "Build a topology and leave it up; prints its run id last" },
	{ "exec", cmd_exec, "RUN NODE -- CMD...", "Run a command inside a node of a running topology" },
	{ "shell", cmd_shell, "FILE [-- CMD...]",
	  "Build a topology (in a UML guest if needed), run a shell beside it, tear down" },
	{ "down", cmd_down, "RUN...", "Tear a running topology down" },
	{ "list", cmd_list, "", "List runs: live ones and stale ones whose owner died" },
	{ "cleanup", cmd_cleanup, "", "Remove what stale runs left behind (only that)" },
	{ "ladder", cmd_ladder, "FILE.pcap [--conn N]",
	  "Print the packet ladder of a TCP connection in a capture, annotated" },
	{ "report", cmd_report, "OUTDIR [--file F]",
	  "Rewrite summary.json, report.md and plots of a run's output directory" },
	{ "merge", cmd_merge, "DIR... --out DIR",
	  "Combine shard directories (run --shard K/N) into one run directory" },
	{ "compare", cmd_compare, "BASE NEW [OPTIONS]",
	  "Compare two runs: medians, change, significance; --fail-if gates CI" },
	{ "trace", cmd_trace, "gen KIND ARGS -o FILE",
	  "Write a synthetic link trace (constant, step, square, walk) for trace = FILE" },
	{ "probe", cmd_probe, "", "Show what the running kernel supports and whether UML is available" },
	{ "guest", cmd_guest, "[OPTS] -- CMD [ARGS]",
	  "Run a command inside a fresh User-Mode Linux guest (debugging the UML tier)" },
	{ "shape", cmd_shape, "NETNS IFNAME KEY=VAL..", "(debug) Install a link shape on one interface" },
	{ "qstats", cmd_qstats, "NETNS [--all]", "(debug) Print qdisc statistics as JSON" },
	{ "help", cmd_help, "[COMMAND]", "Show this help, or the help of one command" },
	{ "version", cmd_version, "", "Print the version" },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: testbed COMMAND [ARGS...]\n"
		   "       testbed --version | --help\n\n"
		   "A reproducible network testbed: namespaces, veth links, qdiscs, workers,\n"
		   "captures and reports from one declarative file.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %-22s %s\n", commands[i].name, commands[i].usage, commands[i].help);
	fprintf(f, "\nExit status: 0 ok, 1 failure, 2 bad usage or bad file, 3 environment problem\n"
		   "(not root, missing kernel feature or package); run and up stopped by a\n"
		   "signal: 128 + its number (130: Ctrl-C); exec and shell: the command's status.\n"
		   "Run 'testbed help COMMAND' or 'testbed COMMAND --help' for details.\n");
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;
	char *sub[] = { NULL, "--help", NULL };

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return TB_EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c || c->fn == cmd_help) {
		tb_err("help: unknown command \"%s\"", argv[1]);
		return TB_EXIT_USAGE;
	}
	sub[0] = argv[1];
	return c->fn(2, sub);
}

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: testbed version\nPrint the version (also: testbed --version).\n");
		return TB_EXIT_OK;
	}
	printf("testbed %s\n", TB_VERSION);
	return TB_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct command *c;

	/* Files and directories get explicit modes whatever the caller's umask:
	 * 0644 and 0755 (with umask 000 a run's journal and half its output
	 * were world-writable). */
	umask(022);
	if (argc < 2) {
		usage(stderr);
		return TB_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(1, argv + 1);
	c = find_command(argv[1]);
	if (!c) {
		tb_err("unknown command \"%s\" (see 'testbed help')", argv[1]);
		return TB_EXIT_USAGE;
	}
	return c->fn(argc - 1, argv + 1);
}
