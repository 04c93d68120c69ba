/* A self-signed certificate and its key, made with GnuTLS (see tls_cert.h). */
#include "tls_cert.h"

#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Write @d to @path through a temporary file: 0 or -1. */
static int write_pem(const char *path, const gnutls_datum_t *d, mode_t mode)
{
	char tmp[4096];
	int fd;
	ssize_t n;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	n = write(fd, d->data, d->size);
	if (close(fd) || n != (ssize_t)d->size || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Fill @crt as a self-signed certificate of @key. GnuTLS code or 0. */
static int make_crt(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	static const unsigned char serial[] = { 0x01, 0x7e, 0x57, 0xbe, 0xd0 };
	time_t now = time(NULL);
	int rc;

	if ((rc = gnutls_x509_crt_set_version(crt, 3)) ||
	    (rc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, now - 86400)) ||
	    (rc = gnutls_x509_crt_set_expiration_time(crt, now + 30 * 86400)) ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, TB_TLS_NAME,
						strlen(TB_TLS_NAME))) ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, TB_TLS_NAME,
						       strlen(TB_TLS_NAME), GNUTLS_FSAN_SET)) ||
	    (rc = gnutls_x509_crt_set_key(crt, key)) ||
	    (rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) ||
	    (rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)))
		return rc;
	return gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
}

int tb_tls_cert_make(const char *cert_path, const char *key_path, char *err, size_t errlen)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kpem = { 0 }, cpem = { 0 };
	const char *step = "key";
	int rc;

	if ((rc = gnutls_x509_privkey_init(&key)) ||
	    (rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
					       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)))
		goto out;
	step = "certificate";
	if ((rc = gnutls_x509_crt_init(&crt)) || (rc = make_crt(crt, key)))
		goto out;
	step = "PEM";
	if ((rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem)) ||
	    (rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem)))
		goto out;
	if (write_pem(key_path, &kpem, 0600) || write_pem(cert_path, &cpem, 0644)) {
		snprintf(err, errlen, "cannot write %s or %s: %m", key_path, cert_path);
		rc = -1;
	}
out:
	if (rc > 0 || (rc < 0 && rc != -1))
		snprintf(err, errlen, "TLS %s: %s", step, gnutls_strerror(rc));
	gnutls_free(kpem.data);
	gnutls_free(cpem.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return rc ? -1 : 0;
}
