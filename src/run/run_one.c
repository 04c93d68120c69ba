/* One run of one case: build the network, start samplers, captures and
 * servers, start each flow and process at its time, measure for the
 * duration, collect counters and statistics, tear everything down. Signals (SIGINT, SIGTERM,
 * SIGHUP) are read from a signalfd between steps: the run stops, collects
 * what it has, tears down and is marked incomplete. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "obs/capture.h"
#include "obs/counters.h"
#include "obs/cpustat.h"
#include "net/event.h"
#include "net/trace_run.h"
#include "net/netns.h"
#include "net/plan.h"
#include "net/qdisc.h"
#include "net/qstats.h"
#include "process.h"
#include "run.h"
#include "obs/sampler.h"
#include "net/topo.h"
#include "util/jsonfile.h"
#include "util/util.h"
#include "vm/vm_tier.h"

#define MAX_CAPTURES 64
#define PROCESS_GRACE_S 2.0 /* at least, after the duration (measured()) */

struct one {
	const struct tb_config *c;
	const struct run_opts *o;
	const struct run_progress *pr;
	const char *dir;
	struct topo *t;
	struct timespec t0;
	struct cpuload load;   /* the wall clock and CPU use of the measured time */
	int signo;
	char error[600];
	struct run_proc *procs;
	size_t n_procs, cap_procs;
	struct procs *user;    /* the [process] sections' processes */
	bool *started;
	size_t *next;          /* per [event]: its next change (config_event_step) */
	struct tb_shape (*shape)[2]; /* per link and direction: its shape now */
	json_t *events;        /* what the events did, for run.json */
	struct trace_run *traces; /* the traced links' rate changes */
	struct sampler **samplers;
	struct counters **before;
	struct capture *caps[MAX_CAPTURES];
	size_t n_caps;
	json_t *info;
	bool write_failed;     /* a file of the run could not be written */
	bool udp_noted;        /* the run said that it has no UDP sock_diag */
};

/* A pending SIGINT/SIGTERM/SIGHUP, consumed; 0 when none. */
static int poll_signal(void *arg)
{
	struct one *x = arg;
	struct signalfd_siginfo si;

	if (x->signo)
		return x->signo;
	while (read(x->o->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			x->signo = (int)si.ssi_signo;
			return x->signo;
		}
	}
	return 0;
}

static void fail(struct one *x, const char *fmt, ...) TB_PRINTF(2, 3);

static void fail(struct one *x, const char *fmt, ...)
{
	va_list ap;

	if (x->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(x->error, sizeof(x->error), fmt, ap);
	va_end(ap);
}

/* A file of the run, written whole; a failure fails the run, naming it. */
static void write_json(struct one *x, const json_t *j, const char *path, size_t flags)
{
	int rc = tb_json_write(j, path, flags);

	if (rc) {
		fail(x, "cannot write %s: %s", path, strerror(-rc));
		x->write_failed = true;
	}
}

static int shape_hook(void *arg, const struct topo *t, int link, int dir, struct topo_err *err)
{
	struct one *x = arg;
	const struct tb_config *c = x->c;
	int node = topo_end_node(t, link, dir);
	struct qdisc_plan_hint hint = { .node = c->nodes[node].name, .mtu = c->links[link].mtu };
	struct qdisc_err qe = { 0 };
	int rc;

	rc = qdisc_apply(topo_node_nsfd(t, node), topo_ifindex(t, link, dir),
			 topo_ifname(t, link, dir), &c->links[link].dir[dir], &hint, &qe);
	if (rc) {
		err->code = rc;
		snprintf(err->msg, sizeof(err->msg), "link %s: %s", c->links[link].name, qe.msg);
	}
	return rc;
}

/* SYN-ACKs to the spoofed sources of a synflood go into a black hole inside
 * the testbed: the target routes the prefix toward the attacker's side, and
 * every forwarding node drops it (FACTS.md: without a route back the kernel
 * counts ListenDrops instead of cookies). */
/* The target's way toward the attacker's side: its first link to a
 * forwarding node (-1: none; *@end is the target's end of it). */
static int toward_router(const struct tb_config *c, int node, int *end)
{
	for (size_t l = 0; l < c->n_links; l++)
		for (int e = 0; e < 2; e++)
			if (c->links[l].end[e].node == node &&
			    c->nodes[c->links[l].end[1 - e].node].forward) {
				*end = e;
				return (int)l;
			}
	return -1;
}

static int blackhole_routes(struct one *x)
{
	const struct tb_config *c = x->c;
	struct topo_err te = { 0 };
	char pfx[64];

	for (size_t i = 0; i < c->n_flows; i++) {
		const struct tb_flow *f = &c->flows[i];

		if (!f->enabled || f->worker != TB_WORKER_SYNFLOOD)
			continue;
		if (plan_spoof(c, (int)i, pfx, sizeof(pfx)))
			return -EINVAL;
		for (size_t n = 0; n < c->n_nodes; n++) {
			int end = 0, link = c->nodes[n].forward ? -1 : toward_router(c, (int)n, &end);
			int rc;

			if (!c->nodes[n].forward && (int)n != f->to)
				continue;
			rc = topo_blackhole(x->t, (int)n, pfx, link, end, &te);
			if (rc) {
				fail(x, "%s", te.msg);
				return rc;
			}
		}
	}
	return 0;
}

/* A node that no flow starts or ends at (a router) holds no sockets of the
 * experiment's: its state counts are sampled every SAMPLER_IDLE_NODE_US.
 * Each wake-up costs the one-CPU guest a context switch and a few system
 * calls: four routers sampled at the flows' rate were a measurable share of
 * its load at 100 Mbit/s (docs/kernel-tiers.md, "Guest stalls"). */
static uint32_t node_sample_us(const struct tb_config *c, size_t n)
{
	for (size_t i = 0; i < c->n_flows; i++) {
		const struct tb_flow *f = &c->flows[i];

		if (f->enabled && (f->from == (int)n || f->to == (int)n))
			return (uint32_t)c->exp.sample_us;
	}
	return c->exp.sample_us > SAMPLER_IDLE_NODE_US ? (uint32_t)c->exp.sample_us
						       : SAMPLER_IDLE_NODE_US;
}

/* The ports of every process (the sampler follows them). */
static size_t process_ports(const struct tb_config *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_processes; i++)
		n += c->processes[i].n_ports;
	return n;
}

/* Node @n's processes' ports as sampler matches (local and remote port),
 * labelled with the process; how many. */
static unsigned process_matches(const struct tb_config *c, int n, struct sampler_match *m)
{
	unsigned k = 0;

	for (size_t i = 0; i < c->n_processes; i++) {
		const struct tb_process *p = &c->processes[i];

		for (size_t j = 0; p->node == n && j < p->n_ports; j++, k += 2) {
			snprintf(m[k].label, sizeof(m[k].label), "%s", p->name);
			snprintf(m[k + 1].label, sizeof(m[k + 1].label), "%s", p->name);
			m[k].lport = m[k + 1].rport = (uint16_t)p->ports[j];
		}
	}
	return k;
}

/* Node @n's ends of the flows, TCP ones or (@udp) UDP ones (config_flow_udp),
 * as sampler matches labelled with the flow: the client's socket by its
 * remote port, the server's by its local port (and a UDP flow's by its
 * family); how many. */
static unsigned flow_matches(const struct tb_config *c, int n, bool udp, struct sampler_match *m)
{
	unsigned k = 0;

	for (size_t i = 0; i < c->n_flows; i++) {
		const struct tb_flow *f = &c->flows[i];

		if (!f->enabled || f->worker == TB_WORKER_SYNFLOOD || config_flow_udp(f) != udp)
			continue;
		if (f->from != n && f->to != n)
			continue;
		snprintf(m[k].label, sizeof(m[k].label), "%s", f->name);
		/* a UDP flow's sockets are of its family (the server binds
		 * [::] for IPv6): the sampler then walks one family's table */
		if (udp)
			m[k].family = f->family == TB_FAMILY_IPV6 ? AF_INET6 : AF_INET;
		if (f->from == n)
			m[k++].rport = (uint16_t)config_flow_port(c, (int)i);
		else
			m[k++].lport = (uint16_t)config_flow_port(c, (int)i);
	}
	return k;
}

static void start_samplers(struct one *x)
{
	const struct tb_config *c = x->c;

	x->samplers = xcalloc(c->n_nodes, sizeof(*x->samplers));
	for (size_t n = 0; n < c->n_nodes; n++) {
		struct sampler_match *m = xcalloc(c->n_flows + 2 * process_ports(c) + 1, sizeof(*m));
		struct sampler_match *um = xcalloc(c->n_flows + 1, sizeof(*um));
		struct sampler_opts so = { 0 };
		char dir[1024];
		unsigned k = flow_matches(c, (int)n, false, m);
		int rc;

		k += process_matches(c, (int)n, m + k);
		snprintf(dir, sizeof(dir), "%s/sockets", x->dir);
		so.nsfd = topo_node_nsfd(x->t, (int)n);
		so.node = c->nodes[n].name;
		so.dir = dir;
		so.interval_us = node_sample_us(c, n);
		so.t0 = x->t0;
		so.match = m;
		so.n_match = k;
		so.udp_match = um;
		so.n_udp_match = flow_matches(c, (int)n, true, um);
		rc = sampler_start(&so, &x->samplers[n]);
		if (rc)
			tb_warn("node %s: socket sampler: %s", c->nodes[n].name, strerror(-rc));
		free(m);
		free(um);
	}
}

static void add_capture(struct one *x, int node, const char *ifname, unsigned snaplen,
			const char *filter, uint64_t max_bytes)
{
	struct capture_opts co = { 0 };
	char dir[1024];
	int rc;

	if (x->n_caps >= MAX_CAPTURES)
		return;
	snprintf(dir, sizeof(dir), "%s/pcap", x->dir);
	co.dir = dir;
	co.node = x->c->nodes[node].name;
	co.snaplen = snaplen;
	co.filter = filter;
	co.max_bytes = max_bytes;
	rc = capture_start(topo_node_nsfd(x->t, node), ifname, &co, &x->caps[x->n_caps]);
	if (rc)
		tb_warn("capture %s/%s: %s", x->c->nodes[node].name, ifname, strerror(-rc));
	else
		x->n_caps++;
}

/* The first interface of node @n (-1: none), its link and end in *@l, *@e. */
static int first_iface(const struct tb_config *c, int n, size_t *l, int *e)
{
	for (*l = 0; *l < c->n_links; (*l)++)
		for (*e = 0; *e < 2; (*e)++)
			if (c->links[*l].end[*e].node == n)
				return 0;
	return -1;
}

/* Default captures of processes with ports: their ports on their node's
 * first interface. */
static void capture_processes(struct one *x)
{
	const struct tb_config *c = x->c;

	for (size_t i = 0; i < c->n_processes; i++) {
		const struct tb_process *p = &c->processes[i];
		char filter[16 * TB_PROCESS_PORTS] = "";
		size_t l;
		int e;

		for (size_t j = 0; j < p->n_ports; j++)
			snprintf(filter + strlen(filter), sizeof(filter) - strlen(filter),
				 "%sport %u", j ? " or " : "", p->ports[j]);
		if (p->n_ports && first_iface(c, p->node, &l, &e) == 0)
			add_capture(x, p->node, topo_ifname(x->t, (int)l, e), 128, filter,
				    200ull << 20);
	}
}

static void start_captures(struct one *x)
{
	const struct tb_config *c = x->c;

	for (size_t i = 0; i < c->n_captures; i++) {
		const struct tb_capture *k = &c->captures[i];

		if (k->iface[0]) {
			add_capture(x, k->node, k->iface, k->snaplen, k->filter, k->max_bytes);
			continue;
		}
		for (size_t l = 0; l < c->n_links; l++)
			for (int e = 0; e < 2; e++)
				if (c->links[l].end[e].node == k->node)
					add_capture(x, k->node, topo_ifname(x->t, (int)l, e),
						    k->snaplen, k->filter, k->max_bytes);
	}
	if (c->n_captures || !c->exp.capture)
		return;
	capture_processes(x);
	/* default: each flow's traffic on its client's first interface */
	for (size_t i = 0; i < c->n_flows; i++) {
		const struct tb_flow *f = &c->flows[i];
		char filter[64];

		if (!f->enabled || f->worker == TB_WORKER_SYNFLOOD)
			continue;
		snprintf(filter, sizeof(filter), "port %u", config_flow_port(c, (int)i));
		for (size_t l = 0; l < c->n_links; l++) {
			int e = c->links[l].end[0].node == f->from ? 0 :
				c->links[l].end[1].node == f->from ? 1 : -1;

			if (e >= 0) {
				add_capture(x, f->from, topo_ifname(x->t, (int)l, e), 128, filter,
					    200ull << 20);
				break;
			}
		}
	}
}

/* When event @i's next change is due (s), its ramps' fraction in *@frac;
 * INFINITY when it has none left. */
static double event_due(const struct one *x, size_t i, double *frac)
{
	uint32_t at;

	if (config_event_step(&x->c->events[i], x->next[i], &at, frac))
		return INFINITY;
	return at / 1e6;
}

/* stop / start: SIGUSR1 / SIGUSR2 to the tb-server of the event's flow
 * (workers/server.c); nothing when the case does not run that server. */
static int signal_server(struct one *x, const struct tb_event *v, char *err, size_t errlen)
{
	int srv = config_flow_server(x->c, v->flow);

	for (size_t i = 0; i < x->n_procs; i++) {
		struct run_proc *p = &x->procs[i];

		if (!p->server || p->flow != srv || p->exited || p->pid <= 0)
			continue;
		if (kill(p->pid, v->action == TB_EVENT_STOP ? SIGUSR1 : SIGUSR2)) {
			snprintf(err, errlen, "event %s: signal the server of flow %s: %s", v->name,
				 x->c->flows[srv].name, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* Change @frac of event @i (due at @due s), into run.json's events: when it
 * was asked of the kernel (asked_s), when it had taken effect (at_s) and,
 * for a set, what was set. */
static int fire(struct one *x, size_t i, double due, double frac)
{
	const struct tb_config *c = x->c;
	const struct tb_event *v = &c->events[i];
	char err[512] = "", done[1024] = "";
	bool set = v->action == TB_EVENT_SET;
	bool srv = v->action == TB_EVENT_STOP || v->action == TB_EVENT_START;
	double asked = tb_since_s(&x->t0);
	json_t *j;
	int rc;

	rc = set   ? event_set(c, x->t, v, frac, x->shape[v->link], done, sizeof(done), err,
			       sizeof(err))
	     : srv ? signal_server(x, v, err, sizeof(err))
		   : event_apply(c, x->t, v, err, sizeof(err));
	j = json_pack("{ss ss ss sf sf sf}", "name", v->name, srv ? "flow" : "link",
		      srv ? c->flows[v->flow].name : c->links[v->link].name, "action",
		      event_action_name(v->action), "asked_s", asked, "at_s", tb_since_s(&x->t0),
		      "due_s", due);
	if (set)
		json_object_set_new(j, "set", json_string(done));
	if (rc) {
		json_object_set_new(j, "error", json_string(err));
		fail(x, "%s", err);
	}
	if (!x->events)
		x->events = json_array();
	json_array_append_new(x->events, j);
	return rc;
}

/* Changes of events whose time has come, in file order (a late repeat or
 * ramp step is caught up one change at a time); a failed one fails the run
 * (its premise, a cut link or a new rate, did not happen). */
static int run_events(struct one *x, double t)
{
	int ret = 0;
	double due, frac;

	for (size_t i = 0; i < x->c->n_events; i++) {
		while ((due = event_due(x, i, &frac)) <= t) {
			x->next[i]++;
			if (fire(x, i, due, frac))
				ret = -1;
		}
	}
	return ret;
}

/* Sleep until the loop has something to do: a flow to start, an event, the
 * next progress line, the end of the measured time, or a signal on the
 * signalfd (SIGCHLD too: a client that exits). A 20 ms poll cost the
 * one-CPU guest 50 wake-ups of this process a second, each a host
 * context switch (docs/kernel-tiers.md, "Guest stalls"). */
static void wait_next(struct one *x, double t, double next_progress)
{
	const struct tb_config *c = x->c;
	double dur = c->exp.duration_us / 1e6, due = t < dur ? dur : t + 1.0;
	struct pollfd p = { .fd = x->o->sigfd, .events = POLLIN };

	for (size_t i = 0; i < c->n_flows; i++)
		if (c->flows[i].enabled && !x->started[i] && c->flows[i].start_us / 1e6 < due)
			due = c->flows[i].start_us / 1e6;
	for (size_t i = 0; i < c->n_events; i++) {
		double frac, e = event_due(x, i, &frac);

		due = e < due ? e : due;
	}
	if (next_progress < due)
		due = next_progress;
	if (procs_next(x->user, t) < due)
		due = procs_next(x->user, t);
	if (due > t + 1.0)
		due = t + 1.0;
	poll(&p, 1, due > t ? (int)ceil((due - t) * 1000) : 0);
}

static struct run_proc *add_proc(struct one *x)
{
	x->procs = tb_grow(x->procs, &x->cap_procs, x->n_procs, sizeof(*x->procs));
	memset(&x->procs[x->n_procs], 0, sizeof(x->procs[0]));
	return &x->procs[x->n_procs++];
}

static int spawn_flow(struct one *x, int flow, bool server)
{
	const struct tb_config *c = x->c;
	const struct tb_flow *f = &c->flows[flow];
	char files[1024], log[1100];
	char **argv = NULL;
	struct run_proc *p;
	int node = server ? f->to : f->from;
	int rc;

	snprintf(files, sizeof(files), "%s/flows", x->dir);
	rc = run_argv(c, flow, server, run_flow_addr(c, x->t, flow), x->o->workers, files,
		      c->exp.duration_us, &argv);
	if (rc == -ENOENT)
		return 0;
	if (rc) {
		if (rc == -EADDRNOTAVAIL)
			fail(x, "flow %s: no address for %s", f->name, c->nodes[f->to].name);
		else
			fail(x, "flow %s: no prefix to spoof (the IPv4 pool is smaller than a /24)",
			     f->name);
		return rc;
	}
	snprintf(log, sizeof(log), "%s/%s%s.log", files, f->name, server ? ".server" : "");
	p = add_proc(x);
	p->flow = flow;
	p->server = server;
	if (server)
		snprintf(p->ready, sizeof(p->ready), "%s/%s.ready", files, f->name);
	else
		snprintf(p->series, sizeof(p->series), "%s/%s.series.jsonl", files, f->name);
	p->pid = run_spawn(topo_node_nsfd(x->t, node), topo_hosts_path(x->t, node), argv, log);
	tb_strv_free(argv);
	if (p->pid < 0) {
		rc = (int)p->pid;
		p->pid = 0;
		p->exited = true;
		fail(x, "flow %s: start %s on %s: %s", f->name, server ? "server" : "client",
		     c->nodes[node].name, strerror(-rc));
		return rc;
	}
	return 0;
}

static void reap(struct one *x)
{
	for (size_t i = 0; i < x->n_procs; i++) {
		struct run_proc *p = &x->procs[i];
		int st;

		if (!p->exited && p->pid > 0 && waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->exited = true;
			p->status = st;
		}
	}
}

/* Wait (bounded by @ms) on the signalfd and, when given, another descriptor;
 * signals are consumed (an interrupt is recorded) and exited workers reaped. */
static void wait_fds(struct one *x, int other, int ms)
{
	struct pollfd p[2] = { { .fd = x->o->sigfd, .events = POLLIN },
			       { .fd = other, .events = POLLIN } };
	char buf[4096];

	if (poll(p, other >= 0 ? 2 : 1, ms) > 0 && other >= 0 && p[1].revents)
		while (read(other, buf, sizeof(buf)) > 0)
			;
	poll_signal(x);
	reap(x);
}

/* Has every server written its ready file (or has one died)? */
static int servers_ready(struct one *x)
{
	for (size_t i = 0; i < x->n_procs; i++) {
		struct run_proc *p = &x->procs[i];

		if (!p->server)
			continue;
		if (p->exited) {
			fail(x, "flow %s: the server exited before listening (see flows/%s.server.log)",
			     x->c->flows[p->flow].name, x->c->flows[p->flow].name);
			return -ECHILD;
		}
		if (access(p->ready, F_OK))
			return -EAGAIN;
	}
	return 0;
}

/* Until every server has renamed its ready file into flows/ (inotify wakes
 * us; a 100 ms tick covers file systems without it), within 10 s. */
static int wait_servers(struct one *x)
{
	char flows[1100];
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), rc;
	struct timespec t0;

	snprintf(flows, sizeof(flows), "%s/flows", x->dir);
	if (in >= 0 && inotify_add_watch(in, flows, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		close(in);
		in = -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	reap(x);
	while ((rc = servers_ready(x)) == -EAGAIN) {
		if (x->signo) {
			rc = -EINTR;
			break;
		}
		if (tb_since_s(&t0) > 10.0) {
			fail(x, "servers did not listen within 10 s");
			rc = -ETIMEDOUT;
			break;
		}
		wait_fds(x, in, 100);
	}
	if (in >= 0)
		close(in);
	return rc;
}

static void stop_procs(struct one *x, bool servers, double grace_s)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < x->n_procs; i++)
		if (x->procs[i].server == servers && !x->procs[i].exited && x->procs[i].pid > 0)
			kill(x->procs[i].pid, SIGTERM);
	for (;;) {
		bool left = false;

		reap(x);
		for (size_t i = 0; i < x->n_procs; i++)
			left |= x->procs[i].server == servers && !x->procs[i].exited;
		if (!left)
			return;
		if (tb_since_s(&t0) > grace_s)
			break;
		wait_fds(x, -1, 50); /* SIGCHLD wakes it */
	}
	for (size_t i = 0; i < x->n_procs; i++) {
		struct run_proc *p = &x->procs[i];

		if (p->server == servers && !p->exited && p->pid > 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &p->status, 0);
			p->exited = true;
		}
	}
}

/* The last complete record of a client's series file, reading only what
 * was appended since the last call. */
static const char *series_tail(struct run_proc *p)
{
	FILE *fp = fopen(p->series, "r");
	char line[4096];

	if (!fp)
		return p->series_last;
	if (fseek(fp, p->series_off, SEEK_SET) == 0)
		while (fgets(line, sizeof(line), fp)) {
			size_t n = strlen(line);

			if (n < sizeof(line) - 1 && line[n - 1] != '\n')
				break; /* a record still being written: next time */
			p->series_off += (long)n; /* (a longer line passes in pieces) */
			if (line[0] == '{') {
				free(p->series_last);
				p->series_last = xstrdup(line);
			}
		}
	fclose(fp);
	return p->series_last;
}

/* The live figure of a client for the progress line, from its series file. */
static void live_figure(struct run_proc *p, const struct tb_flow *f, char *buf, size_t len)
{
	const char *last = series_tail(p);
	json_t *j = last ? json_loads(last, 0, NULL) : NULL;

	*buf = 0;
	if (!j)
		return;
	if (json_is_number(json_object_get(j, "goodput_bps")))
		snprintf(buf, len, "%s %.1f Mbit/s", f->name,
			 json_number_value(json_object_get(j, "goodput_bps")) / 1e6);
	else if (json_is_number(json_object_get(j, "rps")))
		snprintf(buf, len, "%s %.0f req/s", f->name,
			 json_number_value(json_object_get(j, "rps")));
	else if (json_is_number(json_object_get(j, "pps")))
		snprintf(buf, len, "%s %.0f pkt/s", f->name,
			 json_number_value(json_object_get(j, "pps")));
	json_decref(j);
}

static void progress(struct one *x, double t, bool final)
{
	const struct run_progress *pr = x->pr;
	double total = x->c->exp.duration_us / 1e6;
	double left = pr->total_s - pr->done_s - (t < total ? t : total);
	char live[256] = "";
	bool tty = isatty(2) && !vm_in_guest(); /* a guest's console is no terminal */

	if (x->o->quiet)
		return;
	for (size_t i = 0; i < x->n_procs; i++) {
		char fig[96];

		if (x->procs[i].server || !x->procs[i].series[0])
			continue;
		live_figure(&x->procs[i], &x->c->flows[x->procs[i].flow], fig, sizeof(fig));
		if (fig[0] && strlen(live) + strlen(fig) + 3 < sizeof(live)) {
			strcat(live, live[0] ? ", " : " | ");
			strcat(live, fig);
		}
	}
	fprintf(stderr, "%srun %zu/%zu: case %zu/%zu%s%s%s, repeat %u/%u | %.0f/%.0f s | ~%.0f s left%s%s",
		tty ? "\r\033[K" : "", pr->order, pr->n_runs, pr->case_k, pr->n_cases,
		pr->params[0] ? " (" : "", pr->params, pr->params[0] ? ")" : "", pr->rep, pr->n_reps,
		t < total ? t : total, total, left > 0 ? left : 0, live, tty && !final ? "" : "\n");
}

static json_t *proc_json(const struct one *x, const struct run_proc *p)
{
	json_t *j = json_object();

	json_object_set_new(j, "flow", json_string(x->c->flows[p->flow].name));
	json_object_set_new(j, "role", json_string(p->server ? "server" : "client"));
	if (WIFEXITED(p->status))
		json_object_set_new(j, "exit", json_integer(WEXITSTATUS(p->status)));
	else if (WIFSIGNALED(p->status))
		json_object_set_new(j, "signal", json_integer(WTERMSIG(p->status)));
	return j;
}

/* Node @n's nstat counters since the start: counters/NODE.json. */
static void collect_counters(struct one *x, size_t n, int ns)
{
	struct counters *after = NULL;
	char path[1100];

	if (x->before && x->before[n] && counters_read(ns, &after) == 0) {
		json_t *d = counters_delta_json(x->before[n], after);

		snprintf(path, sizeof(path), "%s/counters/%s.json", x->dir, x->c->nodes[n].name);
		write_json(x, d, path, JSON_INDENT(1) | JSON_SORT_KEYS);
		json_decref(d);
	}
	counters_free(after);
	if (x->before)
		counters_free(x->before[n]);
}

/* Node @n's UDP figures into @o: its rows, and whether the kernel had UDP
 * sock_diag; said once per run on stderr when it did not. */
static void udp_sampler_json(struct one *x, size_t n, const struct sampler_stats *st, json_t *o)
{
	char why[160];

	if (!st->udp)
		return;
	json_object_set_new(o, "udp_rows", json_integer((json_int_t)st->udp_rows));
	if (!st->udp_unavailable) {
		json_object_set_new(o, "udp_diag", json_null());
		return;
	}
	snprintf(why, sizeof(why), "unavailable: %s (a kernel without CONFIG_INET_UDP_DIAG or "
		 "module udp_diag): no UDP socket rows", strerror(-st->udp_unavailable));
	json_object_set_new(o, "udp_diag", json_string(why));
	if (!x->udp_noted)
		tb_warn("node %s: UDP sock_diag %s", x->c->nodes[n].name, why);
	x->udp_noted = true;
}

/* Stop node @n's sampler; its figures for run.json. */
static json_t *collect_sampler(struct one *x, size_t n)
{
	const char *name = x->c->nodes[n].name;
	struct sampler_stats st = { 0 };
	json_t *o;

	sampler_stop(x->samplers[n], &st);
	if (st.write_err) {
		fail(x, "node %s: cannot write its socket samples (sockets/%s-*.csv): %s", name, name,
		     strerror(-st.write_err));
		x->write_failed = true;
	}
	o = json_pack("{sI sI sI sf sf sI sf}", "samples", (json_int_t)st.samples, "missed",
		      (json_int_t)st.missed, "errors", (json_int_t)st.errors, "cpu_s", st.cpu_s,
		      "late_max_ms", (double)st.late_max_ns / 1e6, "stalls", (json_int_t)st.stalls,
		      "sample_max_ms", (double)st.max_sample_ns / 1e6);
	udp_sampler_json(x, n, &st, o);
	return o;
}

/* Stop the captures; what each took, for run.json (a file that could not
 * be written fails the run). */
static json_t *collect_captures(struct one *x)
{
	json_t *caps = json_array();
	int rc;

	for (size_t i = 0; i < x->n_caps; i++) {
		struct capture_stats cs = { 0 };
		const char *p = capture_path(x->caps[i]);
		char file[256]; /* capture_stop() frees the path */

		snprintf(file, sizeof(file), "%s", p ? strrchr(p, '/') + 1 : "?");
		rc = capture_stop(x->caps[i], &cs);
		if (rc < 0) {
			fail(x, "capture %s: cannot write it: %s", file, strerror(-rc));
			x->write_failed = true;
		}
		json_array_append_new(caps, json_pack("{ss sI sI sI sb}", "file", file, "packets",
						      (json_int_t)cs.packets, "drop", (json_int_t)cs.drop,
						      "ifdrop", (json_int_t)cs.ifdrop, "capped", cs.capped));
		if (cs.drop || cs.ifdrop)
			tb_warn("capture %s: %llu packets dropped by the capture", file,
				(unsigned long long)(cs.drop + cs.ifdrop));
	}
	x->n_caps = 0;
	return caps;
}

/* What the run recorded, once its workers are gone: every node's counters,
 * sampler figures and qdiscs (qdisc.json), the captures and the processes. */
static void collect(struct one *x)
{
	const struct tb_config *c = x->c;
	json_t *qd = json_object(), *procs = json_array(), *smp = json_object();
	char path[1100];

	for (size_t n = 0; n < c->n_nodes; n++) {
		int ns = topo_node_nsfd(x->t, (int)n);
		struct qdisc_err qe;
		json_t *q = NULL;

		collect_counters(x, n, ns);
		if (x->samplers && x->samplers[n])
			json_object_set_new(smp, c->nodes[n].name, collect_sampler(x, n));
		if (qstats_collect(ns, false, &q, &qe) == 0 && json_array_size(q))
			json_object_set_new(qd, c->nodes[n].name, q);
		else
			json_decref(q);
	}
	free(x->before);
	x->before = NULL;
	free(x->samplers);
	x->samplers = NULL;
	json_object_set_new(x->info, "captures", collect_captures(x));
	for (size_t i = 0; i < x->n_procs; i++)
		json_array_append_new(procs, proc_json(x, &x->procs[i]));
	snprintf(path, sizeof(path), "%s/qdisc.json", x->dir);
	write_json(x, qd, path, JSON_INDENT(1));
	json_decref(qd);
	json_object_set_new(x->info, "processes", procs);
	json_object_set_new(x->info, "sampler", smp);
}

/* The run's directory and its parts; 0 or -errno with the path in @err. */
static int mkdirs(const char *dir, char *err, size_t len)
{
	static const char *const sub[] = { "", "/flows", "/counters", "/sockets", "/pcap" };

	for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
		snprintf(err, len, "%s%s", dir, sub[i]);
		if (mkdir(err, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

/* The run's directories and network, and the routes its floods need. */
static enum run_status build(struct one *x, bool *env)
{
	/* stale runs of a killed testbed are pointed out once, by the first run */
	struct topo_opts to = { .shape = shape_hook, .shape_arg = x, .interrupted = poll_signal,
				.intr_arg = x, .config_path = x->c->path, .quiet = x->pr->order > 1 };
	struct topo_err te = { 0 };
	char path[1100];
	int rc = mkdirs(x->dir, path, sizeof(path));

	if (rc) {
		fail(x, "cannot create %s: %s", path, strerror(-rc));
		*env = true;
		return RUN_FAILED;
	}
	rc = topo_build(x->c, &to, &x->t, &te);
	if (rc) {
		fail(x, "%s", te.msg[0] ? te.msg : strerror(-rc));
		*env = rc == -EPERM || rc == -EOPNOTSUPP;
		return rc == -EINTR ? RUN_INCOMPLETE : RUN_FAILED;
	}
	json_object_set_new(x->info, "run_id", json_string(topo_run_id(x->t)));
	return blackhole_routes(x) ? RUN_FAILED : RUN_COMPLETE;
}

/* Counters, samplers and captures; then the servers, until they listen. */
static enum run_status start(struct one *x)
{
	const struct tb_config *c = x->c;

	x->before = xcalloc(c->n_nodes, sizeof(*x->before));
	for (size_t n = 0; n < c->n_nodes; n++)
		counters_read(topo_node_nsfd(x->t, (int)n), &x->before[n]);
	start_samplers(x);
	start_captures(x);
	for (size_t i = 0; i < c->n_flows; i++)
		if (c->flows[i].enabled && spawn_flow(x, (int)i, true))
			return RUN_FAILED;
	if (wait_servers(x))
		return x->signo ? RUN_INCOMPLETE : RUN_FAILED;
	return RUN_COMPLETE;
}

/* Start the clients whose time has come; false when one failed to start. */
static bool start_due(struct one *x, double t)
{
	const struct tb_config *c = x->c;
	bool ok = true;

	for (size_t i = 0; i < c->n_flows; i++) {
		if (!c->flows[i].enabled || x->started[i] || t < c->flows[i].start_us / 1e6)
			continue;
		x->started[i] = true;
		if (spawn_flow(x, (int)i, false))
			ok = false;
	}
	return ok;
}

static bool clients_left(const struct one *x)
{
	for (size_t i = 0; i < x->n_procs; i++)
		if (!x->procs[i].server && !x->procs[i].exited)
			return true;
	for (size_t i = 0; i < x->c->n_flows; i++)
		if (x->c->flows[i].enabled && !x->started[i])
			return true;
	return false;
}

/* An experiment of processes only ends once those that exit on their own
 * have (the duration is then their time limit). */
static bool processes_only_done(const struct one *x)
{
	for (size_t i = 0; i < x->c->n_flows; i++)
		if (x->c->flows[i].enabled)
			return false;
	return procs_done(x->user);
}

/* Whether the measured time is over (the clients have ended): once the
 * duration has passed and the processes that exit on its own have, or
 * their grace after it has passed too (a client given {duration} finishes
 * its last second and reports); early when only processes run and they
 * are done. */
static bool measured(const struct one *x, double t, double dur)
{
	double grace = dur / 10 > PROCESS_GRACE_S ? dur / 10 : PROCESS_GRACE_S;

	if (processes_only_done(x))
		return true;
	return t >= dur && (!procs_running(x->user) || t >= dur + grace);
}

/* The measured time: from the moment every server listens until every
 * client has ended and the duration has passed, or, without flows, every
 * process that exits on its own has (or a signal, a failure). */
static enum run_status measure(struct one *x)
{
	const struct tb_config *c = x->c;
	double dur = c->exp.duration_us / 1e6, last_progress = -1;
	double progress_s = isatty(2) && !vm_in_guest() ? 1.0 : 5.0;
	enum run_status status = RUN_COMPLETE;

	/* the socket series count t_s from the run's start (build included) */
	json_object_set_new(x->info, "measured_from_s", json_real(tb_since_s(&x->t0)));
	clock_gettime(CLOCK_MONOTONIC, &x->t0);
	cpuload_start(&x->load);
	x->started = xcalloc(c->n_flows, sizeof(bool));
	x->next = xcalloc(c->n_events + 1, sizeof(size_t));
	x->shape = xcalloc(c->n_links + 1, sizeof(*x->shape));
	for (size_t l = 0; l < c->n_links; l++)
		memcpy(x->shape[l], c->links[l].dir, sizeof(x->shape[l]));
	x->user = procs_new(c, x->t, x->dir, x->o->tls_dir, &x->t0);
	if (trace_run_start(c, x->t, &x->t0, &x->traces, x->error, sizeof(x->error)))
		status = RUN_FAILED;
	for (;;) {
		double t = tb_since_s(&x->t0);

		if (poll_signal(x)) {
			status = RUN_INCOMPLETE;
			break;
		}
		if (run_events(x, t) || !start_due(x, t))
			status = RUN_FAILED;
		procs_tick(x->user, t);
		reap(x);
		if (t - last_progress >= progress_s) {
			progress(x, t, false);
			last_progress = t;
		}
		if (status == RUN_FAILED || (!clients_left(x) && measured(x, t, dur)))
			break;
		if (t > dur + 15) { /* the workers' own deadlines have passed */
			fail(x, "clients still running 15 s after the end; stopped");
			break;
		}
		wait_next(x, t, last_progress + progress_s);
		cpuload_tick(&x->load);
	}
	progress(x, tb_since_s(&x->t0), true);
	if (trace_run_stop(x->traces, x->info, x->error[0] ? NULL : x->error, sizeof(x->error)))
		status = RUN_FAILED;
	json_object_set_new(x->info, "load", cpuload_json(&x->load, vm_in_guest() ? "guest" : "host"));
	return status;
}

/* Clients, then servers; what the run recorded; a client that failed. */
static enum run_status stop_and_collect(struct one *x, enum run_status status, bool *env)
{
	const struct tb_config *c = x->c;

	char perr[sizeof(x->error)];

	if (x->user)
		procs_stop(x->user);
	stop_procs(x, false, 3.0);
	stop_procs(x, true, 3.0);
	collect(x);
	if (x->user && procs_finish(x->user, perr, sizeof(perr), &x->write_failed) &&
	    status == RUN_COMPLETE) {
		fail(x, "%s", perr);
		status = RUN_FAILED;
	}
	if (x->write_failed) { /* a full or read-only disk: the next run would fail too */
		*env = true;
		return RUN_FAILED;
	}
	for (size_t i = 0; i < x->n_procs && status == RUN_COMPLETE; i++) {
		const struct run_proc *p = &x->procs[i];

		if (!p->server && !(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0))
			fail(x, "flow %s: the client exited with status %d (see flows/%s.log)",
			     c->flows[p->flow].name,
			     WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 128 + WTERMSIG(p->status),
			     c->flows[p->flow].name);
	}
	return status;
}

/* What run.json records of the run's end. */
static void finish_info(struct one *x, enum run_status status)
{
	json_object_set_new(x->info, "status",
			    json_string(status == RUN_COMPLETE ? "complete" :
					status == RUN_INCOMPLETE ? "incomplete" : "failed"));
	if (x->error[0])
		json_object_set_new(x->info, "error", json_string(x->error));
	if (x->signo)
		json_object_set_new(x->info, "signal", json_string(strsignal(x->signo)));
	json_object_set_new(x->info, "elapsed_s", json_real(tb_since_s(&x->t0)));
	if (x->events)
		json_object_set_new(x->info, "events", x->events);
}

enum run_status run_one(const struct tb_config *c, const char *dir, const struct run_opts *o,
			const struct run_progress *pr, int *signo, bool *env, json_t **info)
{
	struct one x = { .c = c, .o = o, .pr = pr, .dir = dir, .info = json_object() };
	enum run_status status;

	clock_gettime(CLOCK_MONOTONIC, &x.t0);
	status = build(&x, env);
	if (status == RUN_COMPLETE) {
		status = start(&x);
		if (status == RUN_COMPLETE)
			status = measure(&x);
		status = stop_and_collect(&x, status, env);
	}
	if (x.t && topo_destroy(x.t))
		fail(&x, "teardown of run %s reported an error", dir);
	finish_info(&x, status);
	*signo = x.signo;
	*info = x.info;
	if (x.error[0]) /* --quiet is no progress, not no reason */
		tb_err("%s", x.error);
	for (size_t i = 0; i < x.n_procs; i++)
		free(x.procs[i].series_last);
	free(x.procs);
	procs_free(x.user);
	free(x.started);
	free(x.next);
	free(x.shape);
	return status;
}
