/* SPDX-License-Identifier: GPL-2.0-only */
/* --web-config FILE: TLS and basic auth for --listen, in the Prometheus
 * exporter-toolkit's web configuration format (node_exporter's
 * --web.config.file), the subset that matters here:
 *
 *   tls_server_config:
 *     cert_file: server.crt        # PEM; relative to FILE's directory
 *     key_file: server.key
 *     min_version: TLS12           # TLS10..TLS13, default TLS12
 *     max_version: TLS13
 *     client_auth_type: RequireAndVerifyClientCert   # or VerifyClientCertIfGiven
 *     client_ca_file: ca.crt
 *   basic_auth_users:
 *     prometheus: $2y$10$...       # bcrypt
 *
 * Everything is read and checked at start: a bad file is one line, exit 2. */
#ifndef SPLITTOP_WEB_CONFIG_H
#define SPLITTOP_WEB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum client_auth {
	CLIENT_AUTH_NONE,		/* NoClientCert */
	CLIENT_AUTH_VERIFY_IF_GIVEN,	/* VerifyClientCertIfGiven */
	CLIENT_AUTH_REQUIRE,		/* RequireAndVerifyClientCert */
};

struct web_user {
	char *name;
	char *hash;		/* bcrypt, as crypt(3) returns it */
};

struct web_config {
	bool tls;
	char *cert_file, *key_file, *ca_file;	/* resolved against FILE's directory */
	char *cert_pem, *key_pem, *ca_pem;	/* their contents (web_config_load) */
	char *priorities;	/* GnuTLS priority string for min/max_version */
	enum client_auth client_auth;
	struct web_user *users;
	unsigned int nusers;
};

/* Parse and check FILE (certificate and key agree, the CA file holds
 * certificates, every hash is bcrypt).  0, or -1 with one line printed:
 * "splittop: --web-config FILE: ...". */
int web_config_load(const char *path, struct web_config *wc);

/* The YAML text alone, no file read (cert_file and the others are only
 * named, resolved against dir): for the unit tests and the fuzzer.  0, or
 * -1 with why in err. */
int web_config_parse(const char *text, size_t len, const char *dir, struct web_config *wc,
		     char *err, size_t errlen);

void web_config_free(struct web_config *wc);

#endif
