/* User-Mode Linux 6.1 on hosts with a larger XSAVE area (AVX-512, AMX):
 * vm_fpu.c says why and how. */
#ifndef TB_VM_FPU_H
#define TB_VM_FPU_H

#include <stdbool.h>

/** Whether this CPU's XSAVE area is larger than UML 6.1 handles, so that
 * its guests need the FXSAVE fallback. */
bool vm_fpu_fallback(void);
/** In the child about to exec linux.uml: a seccomp filter that fails
 * ptrace(PTRACE_GETREGSET, NT_X86_XSTATE) with EIO. 0 or -errno. */
int vm_fpu_filter(void);
/** The environment entry the guest's programs get with the fallback. */
extern const char vm_fpu_env[];
/** And OpenSSL's own choice of AVX code, for the guest's [process]es. */
extern const char vm_fpu_openssl_env[];
/** GnuTLS's CPU dispatch without AVX: the guest command's and processes' environments. */
extern const char vm_fpu_gnutls_env[];

#endif
