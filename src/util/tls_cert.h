/* The per-run TLS identity: an ECDSA P-256 key and a self-signed certificate
 * for the name "testbed", made in code with GnuTLS. A client checks the
 * server against this certificate as its only trust anchor, with the name
 * "testbed". tb-web's server and the orchestrator (for [process] commands
 * that take {tls_cert} and {tls_key}) both call it; linked into both. */
#ifndef TB_TLS_CERT_H
#define TB_TLS_CERT_H

#include <stddef.h>

/* The name the certificate is issued to (subject CN and DNS SAN). */
#define TB_TLS_NAME "testbed"

/**
 * Write a new key to @key_path (PEM, mode 0600) and a self-signed
 * certificate for it to @cert_path (PEM), valid from one day ago for 30
 * days. Both files are written to a temporary name and renamed, so a reader
 * never sees half of one. 0, or -1 with a message in @err.
 */
int tb_tls_cert_make(const char *cert_path, const char *key_path, char *err, size_t errlen);

#endif
