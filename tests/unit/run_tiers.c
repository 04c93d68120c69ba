/* What check asks of the kernel tiers: a kernel's module lists read for a
 * qdisc kind or a congestion control (vm_kernel_has_qdisc/_cc, on a made-up
 * modules directory), and the needs of a file with their locations
 * (run_needs_each: the cc key, a sweep's line, a shaping's first key). No
 * root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "run/run.h"
#include "tap.h"
#include "util/util.h"
#include "vm/vm_tier.h"

static void put(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	if (!f)
		tap_bail("cannot write %s", p);
	fputs(text, f);
	fclose(f);
	free(p);
}

static void module_lists(void)
{
	char dir[] = "/tmp/tb-tiers-XXXXXX";

	if (!mkdtemp(dir))
		tap_bail("mkdtemp");
	put(dir, "modules.dep", "kernel/net/sched/sch_netem.ko.xz:\n"
				"kernel/net/ipv4/tcp_bbr.ko: kernel/net/ipv4/other.ko\n");
	put(dir, "modules.builtin", "kernel/net/sched/sch_tbf.ko\n");
	tap_ok(vm_kernel_has_qdisc(dir, "netem"), "a loadable module (modules.dep) offers netem");
	tap_ok(vm_kernel_has_qdisc(dir, "tbf"), "a built-in module (modules.builtin) offers tbf");
	tap_ok(!vm_kernel_has_qdisc(dir, "cake"), "no sch_cake: no cake");
	tap_ok(vm_kernel_has_cc(dir, "bbr"), "tcp_bbr offers bbr");
	tap_ok(vm_kernel_has_cc(dir, "cubic"), "cubic needs no module");
	tap_ok(!vm_kernel_has_cc(dir, "bbr2"), "no tcp_bbr2: no bbr2");
	for (int i = 0; i < 2; i++) {
		char *p = xasprintf("%s/%s", dir, i ? "modules.builtin" : "modules.dep");

		unlink(p);
		free(p);
	}
	rmdir(dir);
}

struct seen {
	char text[512];
};

static void record(void *arg, const struct run_need *n)
{
	struct seen *s = arg;
	size_t l = strlen(s->text);

	snprintf(s->text + l, sizeof(s->text) - l, "%s%s %s %s %d:%d", l ? "; " : "",
		 n->cc ? "cc" : "qdisc", n->name, n->owner, n->loc->line, n->loc->col);
}

static void needs_with_places(void)
{
	static const char conf[] = "[experiment]\n"
				   "topology = ../../topologies/dumbbell.conf\n"
				   "[link r1-r2]\n"
				   "delay = 10ms\n"
				   "[flow bulk]\n"
				   "worker = bulk\n"
				   "from = c1\n"
				   "to = s1\n"
				   "cc = cubic\n"
				   "[sweep]\n"
				   "flow.bulk.cc = reno, bbr\n";
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load_buffer("tests/unit/x.conf", conf, sizeof(conf) - 1, &d);
	struct seen s = { "" };

	if (!c || diag_errors(&d))
		tap_bail("the test's file does not load");
	run_needs_each(c, record, &s);
	tap_is_str(s.text,
		   "qdisc netem r1-r2 4:1; qdisc netem r1-r2 4:1; cc reno bulk 11:1; "
		   "qdisc netem r1-r2 4:1; qdisc netem r1-r2 4:1; cc bbr bulk 11:1",
		   "each case's needs, a swept cc at its sweep's line");
	config_free(c);
	diag_free(&d);
	c = config_load_buffer("tests/unit/x.conf", conf, (size_t)(strstr(conf, "[sweep]") - conf),
			       &d);
	if (!c || diag_errors(&d))
		tap_bail("the test's file without its sweep does not load");
	memset(&s, 0, sizeof(s));
	run_needs_each(c, record, &s);
	tap_is_str(s.text, "qdisc netem r1-r2 4:1; qdisc netem r1-r2 4:1; cc cubic bulk 9:6",
		   "without the sweep: the cc key's value");
	config_free(c);
	diag_free(&d);
}

int main(void)
{
	module_lists();
	needs_with_places();
	return tap_done();
}
