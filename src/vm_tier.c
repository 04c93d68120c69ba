/* Choosing the kernel tier, finding UML modules, and the orchestrator's
 * entry into a guest. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"
#include "vm.h"

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

int vm_run_testbed(const struct vm_opts *o, char *const argv[], int *guest_status)
{
	struct vm_result r;
	int rc = vm_run(o, argv, &r);

	if (rc == 0) {
		*guest_status = r.status;
		return TB_EXIT_OK;
	}
	tb_err("%s", r.error);
	if (r.log_tail[0])
		fprintf(stderr, "testbed: last lines of the guest console%s%s:\n%s\n",
			o->log_path ? " log " : "", o->log_path ? o->log_path : "", r.log_tail);
	return rc == -ENOENT ? TB_EXIT_ENV : TB_EXIT_FAIL;
}

/* Append @item to the comma-separated list *@s. */
static void add(char **s, const char *item)
{
	char *n = *s ? xasprintf("%s, %s", *s, item) : xstrdup(item);

	free(*s);
	*s = n;
}

/* What the UML package cannot provide out of @need; NULL when nothing.
 * *@why explains a missing package. */
static char *uml_missing(const struct vm_opts *o, const struct vm_needs *need, char **why)
{
	const char *moddir = o && o->moddir ? o->moddir : VM_DEFAULT_MODDIR;
	char rel[65], *verdir, *missing = NULL;

	*why = NULL;
	if (vm_kernel_release(o, rel, sizeof(rel)) < 0) {
		*why = xasprintf("no UML kernel at %s", o && o->kernel ? o->kernel : VM_DEFAULT_KERNEL);
		return NULL;
	}
	verdir = xasprintf("%s/%s", moddir, rel);
	if (access(verdir, R_OK) < 0) {
		*why = xasprintf("no modules for UML kernel %s in %s", rel, moddir);
		free(verdir);
		return NULL;
	}
	for (const char *const *q = need->qdiscs; q && *q; q++) {
		const char *m = vm_qdisc_module(*q);

		if (m && vm_module_lookup(verdir, m, NULL) <= 0)
			add(&missing, *q);
	}
	for (const char *const *c = need->ccs; c && *c; c++) {
		const char *m = vm_cc_module(*c);

		if (m && vm_module_lookup(verdir, m, NULL) <= 0)
			add(&missing, *c);
	}
	for (const char *const *l = need->links; l && *l; l++)
		if (vm_module_lookup(verdir, *l, NULL) <= 0)
			add(&missing, *l);
	free(verdir);
	return missing;
}

static char *host_missing(const struct vm_needs *need, const struct probe *p)
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
		hmiss = host_missing(need, &p);
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
	} else if (hmiss) {
		tb_err("the host kernel %s lacks: %s; and the UML tier cannot help: %s%s%s",
		       p.release, hmiss, why ? why : "its kernel lacks ", why ? "" : umiss,
		       why ? " (" VM_PACKAGE_HINT ")" : "");
	} else {
		tb_err("the UML tier cannot run this: %s%s%s", why ? why : "its kernel lacks ",
		       why ? "" : umiss, why ? " (" VM_PACKAGE_HINT ")" : "");
	}
out:
	free(hmiss);
	free(umiss);
	free(why);
	return rc;
}
