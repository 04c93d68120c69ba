/* The User-Mode Linux kernel tier: run a command inside a throwaway UML
 * guest (Debian's user-mode-linux package) whose root is the host's own
 * filesystem (hostfs), and choose between the host kernel and the guest. */
#ifndef TB_VM_H
#define TB_VM_H

#include <stdbool.h>
#include <stddef.h>

#define VM_DEFAULT_KERNEL "/usr/bin/linux.uml"
#define VM_DEFAULT_MODDIR "/usr/lib/uml/modules"
#define VM_DEFAULT_MEM_MB 256
#define VM_PACKAGE_HINT "apt-get install user-mode-linux"

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

/** Defaults for struct vm_opts (out_fd 1, err_fd 2, everything else default). */
void vm_opts_init(struct vm_opts *o);

/** The host CPU vm_run() keeps the guest on: o->cpu if we may run there,
 * else the last CPU we may run on; -1 for VM_CPU_ANY. */
int vm_guest_cpu(const struct vm_opts *o);

struct vm_result {
	int status;         /* the command's status, shell-style: exit code, or 128+signal */
	bool have_status;   /* the guest reported one (false: see error) */
	bool timed_out;     /* the deadline killed it */
	int signal;         /* host signal that interrupted vm_run (SIGINT...), or 0 */
	char release[65];   /* guest kernel release, e.g. "6.1.176" */
	char version[128];  /* guest kernel build string (uname -v) */
	unsigned modules_loaded;
	double boot_ms;     /* guest clock when its init started */
	double modules_ms;  /* loading the modules */
	double total_ms;    /* wall time on the host, start to last process gone */
	int cpu;            /* the host CPU the guest was kept on; -1: none */
	char umid[64];
	char error[512];    /* what went wrong, when vm_run returns < 0 */
	char warnings[1024]; /* what the guest init could not do (a module, a mount) */
	char log_tail[1024]; /* the console log's last lines, when vm_run returns < 0 */
};

/** Boot a guest, run @argv inside it and power it off. argv[0] is a path
 * (absolute, or relative to the current directory, which the command runs
 * in) or, without a '/', a testbed subcommand run by this same binary. The
 * command's stdout/stderr stream to o->out_fd/o->err_fd as it runs. Returns
 * 0 when the guest reported the command's status (in res->status), else
 * -errno with res->error set: -ENOENT (no linux.uml or modules), -ENOEXEC
 * (the command is not an executable file; checked before booting), -EINVAL
 * (an unknown module name in o->modules), -ENOTSUP (vm_unsupported()), -ETIMEDOUT
 * (deadline; everything was killed), -EINTR (a signal: everything was
 * killed, res->signal says which), -EPROTO (the guest died without a
 * status). Leaves no process and no state directory behind. */
int vm_run(const struct vm_opts *o, char *const argv[], struct vm_result *res);

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

/** For `testbed cleanup`: remove the state directories ($TMPDIR or
 * /tmp/testbed-vm.*) of runs whose testbed process is gone (killed with
 * SIGKILL), killing any UML process still tied to one (there is none when
 * the guest had its PID namespace). Returns how many were removed, or
 * -errno. */
int vm_cleanup_stale(void);

/** Whether this process runs inside a guest booted by vm_run(). */
bool vm_in_guest(void);

/** Guest side (src/vm/guest.c): the init process of the guest. Never returns
 * when it is PID 1 (powers the guest off); returns TB_EXIT_USAGE otherwise. */
int guest_init_main(void);

/* Protocol between the host side and the guest init: the guest gets
 * VM_ENV_DIR=<state dir> in its environment; that directory (on hostfs)
 * holds "argv", "env" (NUL-separated), "cwd", "moddir", "modules" (one per line) and
 * the guest writes "status" (key=value lines) there. */
#define VM_ENV_DIR "TB_GUEST_DIR"
#define VM_ENV_IN_GUEST "TB_IN_GUEST"

#endif
