/* Whether and with what the UML tier can run: the kernel and its modules,
 * and choosing the tier. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/probe.h"
#include "net/qdisc_ops.h"
#include "util/util.h"
#include "vm_tier.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TB_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TB_ASAN 1
#endif

bool vm_in_guest(void)
{
	return getenv(VM_ENV_IN_GUEST) != NULL;
}

const char *vm_unsupported(void)
{
#ifdef TB_ASAN
	/* Seen: "AddressSanitizer failed to allocate 0xdfff0001000 bytes", then
	 * a panic as init dies. */
	return "this testbed is built with AddressSanitizer, whose shadow memory does not fit in "
	       "a UML guest's address space; use a normal build for the UML tier";
#else
	return NULL;
#endif
}

const char *vm_kernel_path(const struct vm_opts *o)
{
	const char *env = getenv(VM_ENV_KERNEL);

	return o && o->kernel ? o->kernel : env && *env ? env : VM_DEFAULT_KERNEL;
}

int vm_kernel_release(const struct vm_opts *o, char *buf, size_t size)
{
	const char *kernel = vm_kernel_path(o);
	int pfd[2], status;
	ssize_t n = 0, r;
	pid_t pid;

	if (access(kernel, X_OK) < 0 || size < 2)
		return -ENOENT;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		execl(kernel, kernel, "--version", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (pid > 0 && (size_t)n < size - 1 &&
	       ((r = read(pfd[0], buf + n, size - 1 - (size_t)n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? r : 0;
	close(pfd[0]);
	if (pid < 0)
		return -errno;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[n] = '\0';
	buf[strcspn(buf, " \n")] = '\0';
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && buf[0] ? 0 : -ENOENT;
}

static const char *const default_modules[] = {
	"ipv6", "veth", "dummy", "ifb", "macvlan",
	"sch_netem", "sch_tbf", "sch_htb", "sch_fq_codel", "sch_codel", "sch_fq", "sch_cake",
	"sch_sfq", "sch_prio", "sch_pie", "sch_red", "sch_ingress", "sch_hfsc", "sch_drr",
	"sch_choke", "sch_sfb", "sch_plug", "sch_multiq",
	"cls_u32", "cls_matchall", "cls_basic", "cls_flower", "cls_fw", "cls_bpf",
	"act_mirred", "act_gact", "act_police", "act_skbedit", "act_bpf",
	"tcp_bbr", "tcp_bic", "tcp_htcp", "tcp_vegas", "tcp_westwood", "tcp_illinois",
	"tcp_dctcp", "tcp_highspeed", "tcp_hybla", "tcp_scalable", "tcp_lp", "tcp_veno",
	"tcp_yeah", "tcp_nv", "tcp_cdg",
	"udp_diag", "raw_diag", "af_packet_diag", "unix_diag",
	/* No nf_tables: Debian's UML kernel has no ip/inet nftables family. */
	NULL,
};

const char *const *vm_default_modules(void) { return default_modules; }

const char *vm_qdisc_module(const char *kind)
{
	/* other kinds (testbed probe --qdiscs) by the kernel's naming */
	static const char *const builtin[] = { "pfifo_fast", "pfifo_head_drop", "mq", "noqueue",
					       NULL };
	const struct qdisc_ops *o = qdisc_ops_find(kind);
	static char buf[64];

	if (o)
		return o->module;

	for (int i = 0; builtin[i]; i++)
		if (!strcmp(kind, builtin[i]))
			return NULL;
	if (!strcmp(kind, "clsact"))
		return "sch_ingress";
	snprintf(buf, sizeof(buf), "sch_%s", kind);
	return buf;
}

const char *vm_cc_module(const char *cc)
{
	static char buf[64];

	if (!strcmp(cc, "reno") || !strcmp(cc, "cubic"))
		return NULL;
	snprintf(buf, sizeof(buf), "tcp_%s", !strcmp(cc, "hstcp") ? "highspeed" : cc);
	return buf;
}

const char **vm_modules_for(const struct vm_needs *need)
{
	static const char *const base[] = { "veth", "ipv6", "dummy", "ifb", "sch_ingress",
					    "udp_diag", "raw_diag", NULL };
	size_t n = 0, cap = 0;
	const char **v = NULL;

#define PUSH(m) do { v = tb_grow(v, &cap, n + 2, sizeof(*v)); v[n++] = xstrdup(m); } while (0)
	for (const char *const *b = base; *b; b++)
		PUSH(*b);
	for (const char *const *q = need ? need->qdiscs : NULL; q && *q; q++)
		if (vm_qdisc_module(*q))
			PUSH(vm_qdisc_module(*q));
	for (const char *const *c = need ? need->ccs : NULL; c && *c; c++)
		if (vm_cc_module(*c))
			PUSH(vm_cc_module(*c));
#undef PUSH
	v[n] = NULL;
	return v;
}

void vm_modules_free(const char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free((char *)v[i]);
	free(v);
}

/* Module name of a modules.dep path: basename without ".ko[.xz|.gz|.zst]",
 * '-' folded to '_'. */
static bool path_is_module(const char *path, size_t len, const char *name)
{
	const char *base = path, *ko;
	size_t blen, nlen = strlen(name);

	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	blen = len - (size_t)(base - path);
	ko = memmem(base, blen, ".ko", 3);
	if (!ko || (size_t)(ko - base) != nlen)
		return false;
	for (size_t i = 0; i < nlen; i++) {
		char a = base[i] == '-' ? '_' : base[i], b = name[i] == '-' ? '_' : name[i];

		if (a != b)
			return false;
	}
	return true;
}

static int scan(const char *verdir, const char *file, const char *name, char **line)
{
	char *path = xasprintf("%s/%s", verdir, file), *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(path, "re");
	int rc = 0;

	free(path);
	if (!f)
		return -errno;
	while ((n = getline(&buf, &cap, f)) > 0) {
		size_t plen = strcspn(buf, ":\n");

		if (path_is_module(buf, plen, name)) {
			if (line) {
				buf[strcspn(buf, "\n")] = '\0';
				*line = xstrdup(buf);
			}
			rc = 1;
			break;
		}
	}
	free(buf);
	fclose(f);
	return rc;
}

int vm_module_lookup(const char *verdir, const char *name, char **line)
{
	int rc;

	if (line)
		*line = NULL;
	rc = scan(verdir, "modules.dep", name, line);
	if (rc != 0)
		return rc;
	rc = scan(verdir, "modules.builtin", name, NULL);
	return rc == 1 ? 2 : rc == -ENOENT ? 0 : rc;
}

/* Append @item to the comma-separated list *@s. */
static void add(char **s, const char *item)
{
	char *n = *s ? xasprintf("%s, %s", *s, item) : xstrdup(item);

	free(*s);
	*s = n;
}

char *vm_uml_moddir(const struct vm_opts *o, char **why)
{
	const char *moddir = o && o->moddir ? o->moddir : VM_DEFAULT_MODDIR;
	char rel[65], *verdir;

	*why = NULL;
	if (vm_unsupported()) {
		*why = xstrdup(vm_unsupported());
		return NULL;
	}
	if (vm_kernel_release(o, rel, sizeof(rel)) < 0) {
		*why = xasprintf("no UML kernel at %s", vm_kernel_path(o));
		return NULL;
	}
	verdir = xasprintf("%s/%s", moddir, rel);
	if (access(verdir, R_OK) < 0) {
		*why = xasprintf("no modules for UML kernel %s in %s", rel, moddir);
		free(verdir);
		return NULL;
	}
	return verdir;
}

bool vm_kernel_has_qdisc(const char *verdir, const char *kind)
{
	const char *m = vm_qdisc_module(kind);

	return !m || vm_module_lookup(verdir, m, NULL) > 0;
}

bool vm_kernel_has_cc(const char *verdir, const char *cc)
{
	const char *m = vm_cc_module(cc);

	return !m || vm_module_lookup(verdir, m, NULL) > 0;
}

/* What the UML package cannot provide out of @need; NULL when nothing.
 * *@why explains a missing package. */
static char *uml_missing(const struct vm_opts *o, const struct vm_needs *need, char **why)
{
	char *verdir = vm_uml_moddir(o, why), *missing = NULL;

	if (!verdir)
		return NULL;
	for (const char *const *q = need->qdiscs; q && *q; q++)
		if (!vm_kernel_has_qdisc(verdir, *q))
			add(&missing, *q);
	for (const char *const *c = need->ccs; c && *c; c++)
		if (!vm_kernel_has_cc(verdir, *c))
			add(&missing, *c);
	for (const char *const *l = need->links; l && *l; l++)
		if (vm_module_lookup(verdir, *l, NULL) <= 0)
			add(&missing, *l);
	free(verdir);
	return missing;
}

char *vm_host_missing(const struct vm_needs *need, const struct probe *p)
{
	char *missing = NULL;

	for (const char *const *q = need->qdiscs; q && *q; q++)
		if (!probe_has_qdisc(p, *q))
			add(&missing, *q);
	for (const char *const *c = need->ccs; c && *c; c++)
		if (!probe_has_cc(p, *c))
			add(&missing, *c);
	for (const char *const *l = need->links; l && *l; l++)
		if (!probe_has_link(p, *l))
			add(&missing, *l);
	return missing;
}

/* Why no tier can run this: the host lacks @hmiss (if asked), the UML tier @why or @umiss. */
static void say_no_tier(const struct probe *p, const char *hmiss, const char *umiss,
			const char *why)
{
	if (hmiss)
		tb_err("the host kernel %s lacks: %s; and the UML tier cannot help: %s%s%s",
		       p->release, hmiss, why ? why : "its kernel lacks ", why ? "" : umiss,
		       why ? " (" VM_PACKAGE_HINT ")" : "");
	else
		tb_err("the UML tier cannot run this: %s%s%s", why ? why : "its kernel lacks ",
		       why ? "" : umiss, why ? " (" VM_PACKAGE_HINT ")" : "");
}

int vm_choose_tier(const char *mode, const struct vm_opts *o, const struct vm_needs *need,
		   enum vm_tier *tier)
{
	char *hmiss = NULL, *umiss = NULL, *why = NULL;
	struct probe p;
	int rc = TB_EXIT_ENV;

	if (!mode)
		mode = "auto";
	if (strcmp(mode, "auto") && strcmp(mode, "host") && strcmp(mode, "uml")) {
		tb_err("--kernel: expected auto, host or uml, not \"%s\"", mode);
		return TB_EXIT_USAGE;
	}
	/* Inside a guest, the guest's kernel is the host: never nest. */
	if (vm_in_guest() && strcmp(mode, "uml")) {
		*tier = VM_TIER_HOST;
		return TB_EXIT_OK;
	}
	if (strcmp(mode, "uml")) {
		if (probe_kernel(&p) < 0) {
			tb_err("cannot probe the running kernel: %m");
			return TB_EXIT_ENV;
		}
		hmiss = vm_host_missing(need, &p);
		if (!hmiss) {
			*tier = VM_TIER_HOST;
			return TB_EXIT_OK;
		}
		if (!strcmp(mode, "host")) {
			tb_err("the host kernel %s lacks: %s%s (try --kernel uml or auto)", p.release,
			       hmiss, p.qdiscs_probed ? "" : " (qdiscs could not be probed: not root?)");
			goto out;
		}
	}
	umiss = uml_missing(o, need, &why);
	if (!why && !umiss) {
		*tier = VM_TIER_UML;
		rc = TB_EXIT_OK;
	} else {
		say_no_tier(&p, hmiss, umiss, why);
	}
out:
	free(hmiss);
	free(umiss);
	free(why);
	return rc;
}
