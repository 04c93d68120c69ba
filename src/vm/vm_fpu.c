/* User-Mode Linux 6.1 on hosts whose XSAVE area is larger than it knows.
 *
 * UML saves and restores its processes' FPU state with ptrace's
 * PTRACE_GETREGSET/SETREGSET of NT_X86_XSTATE, in a buffer the size of the
 * AVX-era XSAVE layout. A host kernel accepts a SETREGSET only of its whole
 * XSAVE size: on CPUs with AVX-512 or AMX (10,688 bytes with AMX tiles)
 * every restore fails with EFAULT and the guest's init dies at once
 * ("userspace - ptrace set fp regs failed, errno = 14"). UML probes the
 * regset once at boot and falls back to PTRACE_GETFPREGS/SETFPREGS (the
 * 512-byte FXSAVE area: x87 and SSE) when the probe fails, so on such hosts
 * a seccomp filter makes that probe fail: GETREGSET of NT_X86_XSTATE
 * returns EIO in the guest's host processes.
 *
 * What the fallback leaves unsaved are the AVX and AVX-512 registers beyond
 * SSE, between threads of one guest process (each guest address space is
 * one host process). glibc's string functions use them, so the guest's
 * programs are told to use its SSE2 versions (GLIBC_TUNABLES, vm_fpu_env).
 * docs/kernel-tiers.md ("Hosts with AVX-512 or AMX"). */
#include <cpuid.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/elf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "vm_fpu.h"

/* sizeof(struct _xstate): the XSAVE layout UML 6.1's buffer holds */
#define UML_XSTATE_SIZE 832u

bool vm_fpu_fallback(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid_max(0, NULL) < 0xd)
		return false;
	__cpuid_count(0xd, 0, a, b, c, d);
	(void)a;
	(void)d;
	/* b: the XSAVE size of what XCR0 enables; c: of all it could */
	return b > UML_XSTATE_SIZE || c > UML_XSTATE_SIZE;
}

int vm_fpu_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ptrace, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PTRACE_GETREGSET, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NT_X86_XSTATE, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EIO),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

/* OpenSSL's own CPU dispatch (nginx, h2load, curl): without AVX (bit 60 of
 * its first word, CPUID.1:ECX bit 28) and with every CPUID.7 feature off
 * (AVX2, AVX-512, VAES, ...): only x87, SSE and AES-NI/PCLMUL on XMM
 * registers, which the fallback carries. Without it, 2 of 7 TLS 1.3
 * handshakes between nginx and h2load in the guest ended in "decrypt
 * error" (a bad ECDSA signature) on this machine. */
const char vm_fpu_openssl_env[] = "OPENSSL_ia32cap=~0x1000000000000000:0";

/* GnuTLS's own dispatch (tb-web; its QUIC crypto too): AES-NI (0x2), SSSE3
 * (0x4), PCLMUL (0x8) and SHA-NI (0x20), no AVX (0x10) nor what needs it.
 * tb-web's threads share an address space, so the guest switches them on
 * one host process through the FXSAVE regset, which does not carry the
 * upper halves of the YMM registers. */
const char vm_fpu_gnutls_env[] = "GNUTLS_CPUID_OVERRIDE=0x2e";

/* glibc's x86 string functions without AVX, AVX2 or EVEX (AVX-512). */
const char vm_fpu_env[] = "GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX512VL,"
			  "-AVX512BW,-AVX512DQ,-AVX512CD,-AVX_Fast_Unaligned_Load";
