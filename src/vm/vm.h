/* The User-Mode Linux kernel tier: run a command inside a throwaway UML
 * guest (Debian's user-mode-linux package) whose root is the host's own
 * filesystem (hostfs). Choosing between the host kernel and the guest, and
 * the guest's kernel and modules, are vm_tier.h's. */
#ifndef TB_VM_H
#define TB_VM_H

#include <stdbool.h>
#include <stddef.h>

#include "vm_tier.h"

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

/** For `testbed cleanup`: remove the state directories ($TMPDIR or
 * /tmp/testbed-vm.*) of runs whose testbed process is gone (killed with
 * SIGKILL), killing any UML process still tied to one (there is none when
 * the guest had its PID namespace). Returns how many were removed, or
 * -errno. */
int vm_cleanup_stale(void);

/** Guest side (src/vm/guest.c): the init process of the guest. Never returns
 * when it is PID 1 (powers the guest off); returns TB_EXIT_USAGE otherwise. */
int guest_init_main(void);

/* Protocol between the host side and the guest init: the guest gets
 * VM_ENV_DIR=<state dir> in its environment; that directory (on hostfs)
 * holds "argv", "env" (NUL-separated), "cwd", "moddir", "modules" (one per line),
 * "tty" ("ROWS COLS" of the host's terminal, only with vm_opts.tty: the
 * command runs on VM_TTY_CONSOLE) and the guest writes "status" (key=value
 * lines) there. */
#define VM_ENV_DIR "TB_GUEST_DIR"
#define VM_TTY_CONSOLE 3 /* the guest's /dev/tty3: the host's terminal, with vm_opts.tty */

#endif
