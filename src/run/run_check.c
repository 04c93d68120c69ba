/* What `testbed check` can tell of a run's kernel tiers without probing or
 * booting anything (no root, no side effects): a congestion control or a
 * qdisc kind that no tier the run may choose offers, so that the run would
 * fail when vm_choose_tier() looks. The host's congestion controls are its
 * tcp_available_congestion_control (what the tier choice reads); its qdiscs
 * its module lists (what the tier choice's probe would load); the guest's
 * both its modules (what the tier choice asks of it). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/probe.h"
#include "run.h"
#include "util/util.h"
#include "vm/vm_tier.h"

/* What each tier offers, as far as files tell, and what was said already. */
struct tiers {
	enum tb_kernel mode;  /* the file's "kernel" */
	struct probe host;    /* release and congestion controls only */
	char *host_dir;       /* /lib/modules/RELEASE; NULL: cannot be read */
	char *uml_dir;        /* the guest's modules; NULL: no guest (uml_why) */
	char *uml_why;
	char **said;          /* names warned about, once each */
	size_t n_said, cap_said;
	struct tb_diag *d;
};

/* 1 when this kernel offers @n, 0 when not, -1 when files cannot tell. */
static int host_offers(const struct tiers *t, const struct run_need *n)
{
	if (n->cc)
		return probe_has_cc(&t->host, n->name);
	return t->host_dir ? vm_kernel_has_qdisc(t->host_dir, n->name) : -1;
}

static bool uml_offers(const struct tiers *t, const struct run_need *n)
{
	if (!t->uml_dir)
		return false;
	return n->cc ? vm_kernel_has_cc(t->uml_dir, n->name) : vm_kernel_has_qdisc(t->uml_dir, n->name);
}

/* "this kernel (reno cubic)", "this kernel 6.1.0 (no sch_cake module)". */
static char *host_text(const struct tiers *t, const struct run_need *n)
{
	if (n->cc)
		return xasprintf("this kernel (%s)", t->host.cc_available);
	return xasprintf("this kernel %s (no %s module)", t->host.release, vm_qdisc_module(n->name));
}

/* "the User-Mode Linux guest (no tcp_bbr2 module in DIR)", or why there is none. */
static char *uml_text(const struct tiers *t, const struct run_need *n)
{
	if (!t->uml_dir)
		return xasprintf("the User-Mode Linux guest (%s%s)", t->uml_why,
				 vm_unsupported() ? "" : "; " VM_PACKAGE_HINT);
	return xasprintf("the User-Mode Linux guest (no %s module in %s)",
			 n->cc ? vm_cc_module(n->name) : vm_qdisc_module(n->name), t->uml_dir);
}

static bool said_before(struct tiers *t, const struct run_need *n)
{
	for (size_t i = 0; i < t->n_said; i++)
		if (!strcmp(t->said[i], n->name))
			return true;
	t->said = tb_grow(t->said, &t->cap_said, t->n_said + 1, sizeof(*t->said));
	t->said[t->n_said++] = xstrdup(n->name);
	return false;
}

/* One need: warned about when no tier the run may choose offers it. */
static void judge(void *arg, const struct run_need *n)
{
	struct tiers *t = arg;
	int host = t->mode == TB_KERNEL_UML ? 0 : host_offers(t, n);
	bool uml = t->mode != TB_KERNEL_HOST && uml_offers(t, n);
	char *h, *u;

	if (host != 0 || uml || said_before(t, n))
		return;
	h = host_text(t, n);
	u = uml_text(t, n);
	if (t->mode == TB_KERNEL_AUTO)
		diag_warn(t->d, n->loc, "%s %s: %s \"%s\" is offered neither by %s nor by %s: the run "
					"will fail",
			  n->cc ? "flow" : "link", n->owner, n->cc ? "congestion control" : "qdisc",
			  n->name, h, u);
	else
		diag_warn(t->d, n->loc, "%s %s: %s \"%s\" is not offered by %s, and the experiment "
					"says kernel = %s: the run will fail",
			  n->cc ? "flow" : "link", n->owner, n->cc ? "congestion control" : "qdisc",
			  n->name, t->mode == TB_KERNEL_HOST ? h : u, config_kernel_name(t->mode));
	free(h);
	free(u);
}

void run_check_tiers(const struct tb_config *c, struct tb_diag *d)
{
	struct tiers t = { .mode = c->exp.kernel, .d = d };
	char *dep;

	if (!c->exp.present || probe_kernel_files(&t.host) < 0)
		return;
	t.host_dir = xasprintf("/lib/modules/%s", t.host.release);
	dep = xasprintf("%s/modules.dep", t.host_dir);
	if (access(dep, R_OK) < 0) { /* a container's kernel: its qdiscs are not told */
		free(t.host_dir);
		t.host_dir = NULL;
	}
	free(dep);
	t.uml_dir = vm_uml_moddir(NULL, &t.uml_why);
	if (t.mode == TB_KERNEL_UML && !t.uml_dir) /* said once, not for every need */
		diag_warn(d, &c->exp.loc, "the experiment says kernel = uml, but the User-Mode Linux "
					  "guest cannot run here (%s%s): the run will fail",
			  t.uml_why, vm_unsupported() ? "" : "; " VM_PACKAGE_HINT);
	else
		run_needs_each(c, judge, &t);
	for (size_t i = 0; i < t.n_said; i++)
		free(t.said[i]);
	free(t.said);
	free(t.host_dir);
	free(t.uml_dir);
	free(t.uml_why);
}
