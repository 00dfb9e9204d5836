// SPDX-License-Identifier: GPL-2.0-only
/* --web-config's files: read once at start and checked with GnuTLS itself,
 * so that a certificate that does not match its key, or a CA file with no
 * certificate in it, is an error at start, not a handshake that fails at
 * the first scrape. */
#include "web_config.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No certificate, key or configuration is near this; a bigger file is a mistake. */
#define WEB_FILE_MAX	(1u << 20)

/* A whole file, NUL-terminated.  0 or -errno (-EFBIG past WEB_FILE_MAX). */
static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;
	int err = 0;

	*out = NULL;
	if (!f)
		return -errno;
	buf = malloc(WEB_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, WEB_FILE_MAX + 1, f);
	if (ferror(f))
		err = -EIO;
	else if (n > WEB_FILE_MAX)
		err = -EFBIG;
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = 0;
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

static int load_pem(const char *cfg, const char *key, const char *path, char **out)
{
	int err = read_file(path, out, NULL);

	if (err)
		fprintf(stderr, "splittop: --web-config %s: %s %s: %s\n", cfg, key, path,
			err == -EFBIG ? "larger than 1 MiB" : strerror(-err));
	return err ? -1 : 0;
}

/* What GnuTLS makes of the certificate, key, CA and versions. */
static int check_with_gnutls(const char *cfg, const struct web_config *wc)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert = { (unsigned char *)wc->cert_pem, (unsigned int)strlen(wc->cert_pem) };
	gnutls_datum_t key = { (unsigned char *)wc->key_pem, (unsigned int)strlen(wc->key_pem) };
	gnutls_priority_t prio;
	const char *where;
	int r;

	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		fprintf(stderr, "splittop: --web-config %s: %s\n", cfg, strerror(ENOMEM));
		return -1;
	}
	r = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (r < 0) {
		fprintf(stderr, "splittop: --web-config %s: cert_file %s with key_file %s: %s\n", cfg,
			wc->cert_file, wc->key_file, gnutls_strerror(r));
		goto out;
	}
	if (wc->ca_pem) {
		gnutls_datum_t ca = { (unsigned char *)wc->ca_pem, (unsigned int)strlen(wc->ca_pem) };

		r = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			fprintf(stderr, "splittop: --web-config %s: client_ca_file %s: %s\n", cfg, wc->ca_file,
				r < 0 ? gnutls_strerror(r) : "no certificate in it");
			r = -1;
			goto out;
		}
	}
	r = gnutls_priority_init(&prio, wc->priorities, &where);
	if (r < 0)
		fprintf(stderr, "splittop: --web-config %s: TLS versions %s: %s\n", cfg, wc->priorities,
			gnutls_strerror(r));
	else
		gnutls_priority_deinit(prio);
out:
	gnutls_certificate_free_credentials(cred);
	return r < 0 ? -1 : 0;
}

int web_config_load(const char *path, struct web_config *wc)
{
	char *text, *copy, err[256];
	size_t len;
	int r;

	r = read_file(path, &text, &len);
	if (r) {
		fprintf(stderr, "splittop: --web-config %s: %s\n", path,
			r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
		return -1;
	}
	copy = strdup(path);
	if (!copy) {
		free(text);
		fprintf(stderr, "splittop: --web-config %s: %s\n", path, strerror(ENOMEM));
		return -1;
	}
	/* Relative paths in it are from its own directory, as the toolkit has it. */
	r = web_config_parse(text, len, dirname(copy), wc, err, sizeof(err));
	free(copy);
	free(text);
	if (r) {
		fprintf(stderr, "splittop: --web-config %s: %s\n", path, err);
		return -1;
	}
	if (!wc->tls)
		return 0;
	if (load_pem(path, "cert_file", wc->cert_file, &wc->cert_pem) ||
	    load_pem(path, "key_file", wc->key_file, &wc->key_pem) ||
	    (wc->ca_file && load_pem(path, "client_ca_file", wc->ca_file, &wc->ca_pem)) ||
	    check_with_gnutls(path, wc)) {
		web_config_free(wc);
		return -1;
	}
	return 0;
}
