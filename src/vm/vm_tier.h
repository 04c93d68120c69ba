/* Whether and with what the User-Mode Linux tier can run: the UML kernel
 * and its modules, what an experiment needs of a kernel, and the choice
 * between the host kernel and a guest. vm.h boots the guest. */
#ifndef TB_VM_TIER_H
#define TB_VM_TIER_H

#include <stdbool.h>
#include <stddef.h>

#define VM_DEFAULT_KERNEL "/usr/bin/linux.uml"
#define VM_DEFAULT_MODDIR "/usr/lib/uml/modules"
#define VM_DEFAULT_MEM_MB 256
#define VM_PACKAGE_HINT "apt-get install user-mode-linux"

#define VM_ENV_IN_GUEST "TB_IN_GUEST" /* set in the guest's environment */

/** What an experiment needs from a kernel. NULL-terminated lists, each may
 * be NULL. */
struct vm_needs {
	const char *const *qdiscs;
	const char *const *ccs;
	const char *const *links; /* "veth" ... */
};

struct vm_opts {
	const char *kernel;   /* NULL: VM_DEFAULT_KERNEL */
	const char *moddir;   /* NULL: VM_DEFAULT_MODDIR (a <version>/ inside) */
	unsigned mem_mb;      /* 0: VM_DEFAULT_MEM_MB */
	double timeout_s;     /* boot + run deadline; <= 0: none */
	const char *log_path; /* guest console log; NULL: kept only in the error text */
	/* Modules to load inside the guest (names as in modules.dep, e.g.
	 * "sch_netem"); NULL: vm_default_modules(). Unknown names are errors,
	 * except in the default list, whose absent entries are skipped. */
	const char *const *modules;
	int out_fd, err_fd;   /* where the command's stdout/stderr go; -1: discard */
	/* The command gets our terminal: when fds 0 and 1 are terminals, the
	 * guest's console 3 is them (UML keeps it raw while it runs; vm_run
	 * restores its modes) and the command runs with the guest's tty3 as
	 * stdin, stdout, stderr and controlling terminal, so the guest's line
	 * discipline edits lines and turns ^C into a SIGINT of the guest's
	 * foreground job. Otherwise (or when false) stdin is /dev/null and
	 * stdout/stderr go to out_fd/err_fd. */
	bool tty;
	bool quiet_signals;   /* do not take over SIGINT/SIGTERM/SIGHUP */
	/* The host CPU the whole guest (linux.uml and every process it makes)
	 * is kept on; VM_CPU_AUTO: the last CPU we may run on; VM_CPU_ANY: let
	 * the host scheduler move it. vm_opts_init() takes $TB_UML_CPU (a
	 * number, "auto" or "any"). Kept apart, the guest's kernel and its
	 * user processes, which UML drives with ptrace, ran on two CPUs and
	 * the guest fell behind by 100-800 ms (docs/kernel-tiers.md). */
	int cpu;
};

#define VM_CPU_AUTO (-1)
#define VM_CPU_ANY (-2)

/** Why this build of testbed cannot run a guest at all (an ASan build:
 * the guest's init is this binary), or NULL. */
const char *vm_unsupported(void);

/** The UML kernel to boot: o->kernel, else $TB_UML_KERNEL, else
 * VM_DEFAULT_KERNEL. */
const char *vm_kernel_path(const struct vm_opts *o);
#define VM_ENV_KERNEL "TB_UML_KERNEL"

/** UML kernel version (e.g. "6.1.176") into @buf, from the modules
 * directory next to the kernel, without booting. 0 or -ENOENT. */
int vm_kernel_release(const struct vm_opts *o, char *buf, size_t size);

/** The module names loaded by default: every qdisc, classifier, action and
 * congestion control an experiment may use, plus veth, dummy, ifb, ipv6,
 * nf_tables and the sock_diag helpers. NULL-terminated. */
const char *const *vm_default_modules(void);

/** The modules a guest needs for @need: the qdiscs' and congestion
 * controls' modules plus veth, ipv6, dummy, ifb, sch_ingress and the diag
 * helpers; fewer modules boot faster than vm_default_modules() (about 10 ms
 * per module). NULL-terminated, malloc'd: free with vm_modules_free(). */
const char **vm_modules_for(const struct vm_needs *need);
void vm_modules_free(const char **v);

/** The guest module that provides qdisc @kind / congestion control @cc
 * ("netem" -> "sch_netem", "bbr" -> "tcp_bbr"), or NULL for built-ins. A
 * kind the testbed installs is its ops entry's module (net/qdisc_ops.h);
 * any other is sch_KIND. */
const char *vm_qdisc_module(const char *kind);
const char *vm_cc_module(const char *cc);

struct probe;
/** What the kernel @p describes (net/probe.h) lacks of @need, as "netem,
 * fq_codel" (malloc'd), or NULL when it has all of it. */
char *vm_host_missing(const struct vm_needs *need, const struct probe *p);

enum vm_tier { VM_TIER_HOST, VM_TIER_UML };

/** Decide where to run: @mode is "auto", "host" or "uml". On success stores
 * the tier in *tier and returns 0; when neither the host kernel nor the UML
 * package provides what is needed, prints what is missing and how to get it
 * and returns TB_EXIT_ENV (TB_EXIT_USAGE for a bad @mode). */
int vm_choose_tier(const char *mode, const struct vm_opts *o, const struct vm_needs *need,
		   enum vm_tier *tier);

/** Look module @name up for kernel directory @verdir (e.g.
 * /usr/lib/uml/modules/6.1.176): 1 with *line set to its modules.dep line
 * ("kernel/net/sched/sch_netem.ko: deps...", malloc'd) when it is a
 * loadable module, 2 when it is built in, 0 when unknown, or -errno.
 * '-' and '_' in names are the same, as for modprobe. */
int vm_module_lookup(const char *verdir, const char *name, char **line);

/** The UML tier's modules directory for its kernel (e.g.
 * /usr/lib/uml/modules/6.1.176; malloc'd), or NULL with *@why (malloc'd)
 * saying why the tier cannot run. Runs the kernel with --version only. */
char *vm_uml_moddir(const struct vm_opts *o, char **why);

/** Whether the kernel whose modules are in @verdir offers qdisc @kind /
 * congestion control @cc: built in without a module (vm_qdisc_module(),
 * vm_cc_module() NULL), in modules.builtin, or loadable (modules.dep).
 * What the tier choice asks of the guest; reads files only. */
bool vm_kernel_has_qdisc(const char *verdir, const char *kind);
bool vm_kernel_has_cc(const char *verdir, const char *cc);

/** Whether this process runs inside a guest booted by vm_run(). */
bool vm_in_guest(void);

#endif
