/* testbed run through a User-Mode Linux guest: the same command runs inside
 * the guest, on its kernel, into the same directory, while the host checks
 * its own clock beside it; the host then rewrites the report with that
 * check, or, when a signal stopped the guest, marks the directory
 * interrupted and writes the report of the runs that completed. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "obs/clockwatch.h"
#include "report/report.h"
#include "run.h"
#include "util/jsonfile.h"
#include "util/util.h"
#include "vm/vm.h"

/* The guest's command line: this command with --kernel host and --out the
 * directory (absolute: the guest runs in the host's filesystem). */
static char **guest_argv(int argc, char **argv, const char *absdir)
{
	char **g = xcalloc((size_t)argc + 8, sizeof(char *));
	int n = 0;

	g[n++] = "run";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kernel") || !strcmp(argv[i], "--out")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--kernel=", 9) || !strncmp(argv[i], "--out=", 6))
			continue;
		g[n++] = argv[i];
	}
	g[n++] = "--kernel";
	g[n++] = "host";
	g[n++] = "--out";
	g[n++] = (char *)absdir;
	return g;
}

/* Boot the guest with the host's clock check beside it: the guest's
 * samplers see a late wake-up whether the host or the guest fell behind;
 * the host's own check, in DIR/host-clock.json, tells the report which. */
static int watched(const struct vm_opts *vo, char **gargv, const char *dir, struct vm_result *res)
{
	struct clockwatch *w = NULL;
	char path[PATH_MAX + 32];
	json_t *seen;
	int rc;

	if (clockwatch_start(vm_guest_cpu(vo), &w))
		tb_warn("run: the host's clock check did not start: host and guest stalls will "
			"not be told apart");
	rc = vm_run(vo, gargv, res);
	seen = clockwatch_stop(w);
	snprintf(path, sizeof(path), "%s/host-clock.json", dir);
	if (seen) {
		int wr = tb_json_write(seen, path, JSON_INDENT(1));

		if (wr)
			tb_warn("run: cannot write %s: %s: host and guest stalls will not be told "
				"apart",
				path, strerror(-wr));
	}
	json_decref(seen);
	return rc;
}

/* A signal stopped the guest mid-run: the directory says so (the manifest
 * the guest wrote before its first run, or a new one), and its report
 * covers the runs that completed. */
static int interrupted(const struct tb_config *c, const char *dir, int signo)
{
	struct report_outcome o = { 0 };
	char path[PATH_MAX + 32];
	json_t *m;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	m = json_load_file(path, 0, NULL);
	if (!m)
		m = run_manifest_new(c);
	json_object_set_new(m, "complete", json_false());
	json_object_set_new(m, "interrupted", json_string(strsignal(signo)));
	run_write_manifest(m, dir);
	json_decref(m);
	report_write(c, dir, &o);
	report_outcome_free(&o);
	tb_err("run: interrupted by %s; the guest and its network are gone and %s is marked "
	       "incomplete",
	       strsignal(signo), dir);
	return 128 + signo;
}

/* The guest wrote the report before the host's clock check was saved: write
 * it again with it, so that host and guest stalls are told apart, and say
 * which happened (the guest has printed the expectations already). */
static void report_with_host_clock(const struct tb_config *c, const char *dir)
{
	struct report_outcome o = { 0 };
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/summary.json", dir);
	if (access(path, F_OK))
		return; /* the guest did not get as far as a report */
	if (report_write(c, dir, &o) == 0)
		report_stall_warn(&o);
	report_outcome_free(&o);
}

/* What vm_run() could not do, once, with the console's last lines. */
static int guest_failed(int rc, const struct vm_result *r, const char *log)
{
	tb_err("run: %s", r->error);
	if (r->log_tail[0])
		fprintf(stderr, "testbed: last lines of the guest console log %s:\n%s\n", log,
			r->log_tail);
	return rc == -ENOENT || rc == -ENOTSUP ? TB_EXIT_ENV
	       : rc == -ENOEXEC		     ? TB_EXIT_USAGE
					     : TB_EXIT_FAIL;
}

int run_guest(const struct tb_config *c, int argc, char **argv, const char *dir,
	      const struct vm_needs *vn, bool quiet)
{
	const char **mods = vm_modules_for(vn);
	char log[PATH_MAX + 32], absdir[PATH_MAX], **gargv;
	struct vm_result res;
	struct vm_opts vo;
	int rc;

	if (!quiet)
		fprintf(stderr, "testbed: the host kernel lacks what %s needs; running it in a "
				"User-Mode Linux guest\n",
			c->exp.name);
	if (!realpath(dir, absdir))
		snprintf(absdir, sizeof(absdir), "%s", dir);
	gargv = guest_argv(argc, argv, absdir);
	vm_opts_init(&vo);
	/* only what the experiment needs: a faster boot; but what the user's
	 * programs need (iperf3 -C bbr, a qdisc they install) is theirs to
	 * know: with processes, every module of the default set */
	vo.modules = c->n_processes ? NULL : mods;
	vo.mem_mb = (unsigned)(c->exp.uml_mem >> 20);
	snprintf(log, sizeof(log), "%s/guest-console.log", absdir);
	vo.log_path = log;
	vo.timeout_s = 120.0 + (double)config_n_cases(c) * c->exp.repeat *
				       (c->exp.duration_us / 1e6 + 30.0);
	rc = watched(&vo, gargv, absdir, &res);
	free(gargv);
	vm_modules_free(mods);
	if (rc == -EINTR)
		return interrupted(c, dir, res.signal);
	if (rc < 0)
		return guest_failed(rc, &res, log);
	report_with_host_clock(c, dir);
	return res.status;
}
