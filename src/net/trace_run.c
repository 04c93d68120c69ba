/* Trace-driven links (trace_run.h): the htb class of a traced direction
 * changed in place (RTM_NEWTCLASS with NLM_F_REPLACE on the class the tree
 * built, never deleted and re-added) from a thread with an absolute timer.
 * htb and not tbf: tbf's change refills its bucket, a burst at every
 * step; htb's keeps the class's tokens. */
#include "trace_run.h"

#include <errno.h>
#include <linux/pkt_sched.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/trace.h"
#include "qdisc_int.h"
#include "util/util.h"

#define H(maj, min) (((uint32_t)(maj) << 16) | (min))

/* One traced direction. */
struct dir {
	struct qctx c;          /* the socket in its namespace, the interface, the shape */
	struct qdisc_plan_hint hint;
	struct qdisc_err err;
	struct tb_trace tr;
	const char *link;
	int end;
	uint32_t maj;           /* htb's handle: MAJ:, the class MAJ:1 */
	uint64_t rate;          /* the rate set last */
	unsigned long changes, failures;
};

struct trace_run {
	struct dir *d;
	size_t n;
	struct timespec t0;
	double t0_unix;         /* t0 on CLOCK_REALTIME, to read captures against */
	pthread_t th;
	bool started;
	atomic_bool stop;
	double late_max_ms;     /* the latest a step's changes were made */
	uint64_t steps;
};

/* htb's class MAJ:1 at @bps (rate = ceil), burst and quantum as built. */
static int set_rate(struct dir *d, uint64_t bps)
{
	struct tc_htb_opt o = { 0 };
	uint64_t Bps = bps / 8, quantum = d->c.sh->rate / 8 / 10, wire = qdisc_wire(&d->hint);
	uint32_t burst = qdisc_burst(d->c.sh, &d->hint);
	uint64_t ticks = (uint64_t)((double)burst * 1e9 / (double)Bps / 64.0);
	struct nlmsghdr *nlh;
	struct nlattr *opt;

	o.rate.linklayer = o.ceil.linklayer = TC_LINKLAYER_ETHERNET;
	o.rate.rate = o.ceil.rate = Bps >= UINT32_MAX ? UINT32_MAX : (uint32_t)Bps;
	o.buffer = o.cbuffer = ticks > UINT32_MAX ? UINT32_MAX : ticks ? (uint32_t)ticks : 1;
	o.quantum = (uint32_t)(quantum < wire ? wire : quantum > 200000 ? 200000 : quantum);
	nlh = qdisc_msg_start(d->c.nl, RTM_NEWTCLASS, NLM_F_REPLACE, d->c.ifindex, H(d->maj, 0),
			      H(d->maj, 1), "htb");
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_HTB_PARMS, sizeof(o), &o);
	if (Bps >= UINT32_MAX) {
		mnl_attr_put_u64(nlh, TCA_HTB_RATE64, Bps);
		mnl_attr_put_u64(nlh, TCA_HTB_CEIL64, Bps);
	}
	mnl_attr_nest_end(nlh, opt);
	return qdisc_send(&d->c, nlh, "change", "class htb");
}

/* Step @k of every direction: the rate changed where it differs. */
static int apply_step(struct trace_run *r, uint64_t k)
{
	int first = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct dir *d = &r->d[i];
		/* an opportunity is one MTU-sized IP packet; htb counts its frame */
		uint64_t bps = trace_step_rate(&d->tr, k, TB_TRACE_STEP_MS) *
			       qdisc_wire(&d->hint) / TB_TRACE_PACKET;
		int rc;

		if (bps == d->rate)
			continue;
		rc = set_rate(d, bps);
		if (rc) {
			d->failures++;
			first = first ? first : rc;
			continue;
		}
		d->rate = bps;
		d->changes++;
	}
	return first;
}

static void *follow(void *arg)
{
	struct trace_run *r = arg;

	for (uint64_t k = 1; !atomic_load(&r->stop); k++) {
		uint64_t ns = (uint64_t)r->t0.tv_nsec + k * TB_TRACE_STEP_MS * 1000000ull;
		struct timespec due = { r->t0.tv_sec + (time_t)(ns / 1000000000ull),
					(long)(ns % 1000000000ull) };
		double late;

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
			;
		if (atomic_load(&r->stop))
			break;
		apply_step(r, k);
		late = tb_since_s(&due) * 1e3;
		if (late > r->late_max_ms)
			r->late_max_ms = late;
		r->steps = k;
	}
	return NULL;
}

/* Direction @end of link @l, traced: its socket, trace and htb handle. */
static int add_dir(struct trace_run *r, const struct tb_config *c, const struct topo *t, size_t l,
		   int end, char *err, size_t errlen)
{
	const struct tb_shape *sh = &c->links[l].dir[end];
	int node = topo_end_node(t, (int)l, end);
	struct dir *d = &r->d[r->n];
	struct tb_diag dg = { 0 };
	int rc;

	d->hint = (struct qdisc_plan_hint){ .node = c->nodes[node].name, .mtu = c->links[l].mtu };
	d->c = (struct qctx){ .ifindex = topo_ifindex(t, (int)l, end),
			      .ifname = topo_ifname(t, (int)l, end), .sh = sh, .hint = &d->hint,
			      .err = &d->err };
	d->link = c->links[l].name;
	d->end = end;
	d->maj = qdisc_parts_needed(sh) & TB_PART_NETEM ? 2 : 1;
	if (trace_load(sh->trace, NULL, &d->tr, &dg)) {
		snprintf(err, errlen, "link %s: trace %s changed since check", d->link, sh->trace);
		diag_free(&dg);
		return -EINVAL;
	}
	rc = rtnl_open(topo_node_nsfd(t, node), &d->c.nl);
	if (rc) {
		trace_free(&d->tr);
		snprintf(err, errlen, "link %s: netlink socket: %s", d->link, strerror(-rc));
		return rc;
	}
	r->n++;
	return 0;
}

static void free_run(struct trace_run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		rtnl_close(r->d[i].c.nl);
		trace_free(&r->d[i].tr);
	}
	free(r->d);
	free(r);
}

int trace_run_start(const struct tb_config *c, const struct topo *t, const struct timespec *t0,
		    struct trace_run **out, char *err, size_t errlen)
{
	struct trace_run *r = xcalloc(1, sizeof(*r));
	struct timespec now;
	int rc = 0;

	*out = NULL;
	r->d = xcalloc(2 * c->n_links + 1, sizeof(*r->d));
	r->t0 = *t0;
	clock_gettime(CLOCK_REALTIME, &now);
	r->t0_unix = (double)now.tv_sec + (double)now.tv_nsec / 1e9 - tb_since_s(t0);
	for (size_t l = 0; l < c->n_links && !rc; l++)
		for (int e = 0; e < 2 && !rc; e++)
			if (c->links[l].dir[e].set & TB_SH_TRACE)
				rc = add_dir(r, c, t, l, e, err, errlen);
	if (!rc && r->n && (rc = apply_step(r, 0)))
		snprintf(err, errlen, "trace: %s", r->d[0].err.msg[0] ? r->d[0].err.msg : strerror(-rc));
	if (!rc && r->n && (rc = -tb_thread_start(&r->th, follow, r)))
		snprintf(err, errlen, "trace: cannot start its thread: %s", strerror(-rc));
	if (rc || !r->n) {
		free_run(r);
		return rc;
	}
	r->started = true;
	*out = r;
	return 0;
}

static json_t *dir_json(const struct trace_run *r, const struct dir *d)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:f, s:I, s:f}", "link", d->link, "from",
			 d->hint.node, "file", d->c.sh->trace, "step_ms", TB_TRACE_STEP_MS,
			 "period_ms", (int)d->tr.period_ms, "changes", (json_int_t)d->changes,
			 "failures", (json_int_t)d->failures, "late_max_ms", r->late_max_ms,
			 "steps", (json_int_t)r->steps, "t0_unix", r->t0_unix);
}

int trace_run_stop(struct trace_run *r, json_t *info, char *err, size_t errlen)
{
	json_t *a;
	int rc = 0;

	if (!r)
		return 0;
	atomic_store(&r->stop, true);
	if (r->started)
		pthread_join(r->th, NULL);
	a = json_array();
	for (size_t i = 0; i < r->n; i++) {
		json_array_append_new(a, dir_json(r, &r->d[i]));
		if (r->d[i].failures && !rc) {
			rc = r->d[i].err.code ? r->d[i].err.code : -EIO;
			if (err)
				snprintf(err, errlen, "trace: %lu rate changes failed: %s", r->d[i].failures,
					 r->d[i].err.msg);
		}
	}
	json_object_set_new(info, "traces", a);
	free_run(r);
	return rc;
}
