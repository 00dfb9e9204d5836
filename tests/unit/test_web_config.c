// SPDX-License-Identifier: GPL-2.0-only
/* --web-config's parser (every refusal, word for word), the Authorization
 * header's reading (RFC 7617) and the bcrypt check against known-answer
 * hashes. */
#include "splittop/http/basic_auth.h"
#include "splittop/http/web_config.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* Solar Designer's crypt_blowfish test vector: "U*U" at cost 5. */
#define HASH_2A "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
/* The same under $2y$ (PHP's, htpasswd's) and $2b$ (OpenBSD's): equal for ASCII passwords. */
#define HASH_2Y "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
#define HASH_2B "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"

static void refused(const char *yaml, const char *want)
{
	struct web_config wc;
	char err[256];
	int r = web_config_parse(yaml, strlen(yaml), "/etc/splittop", &wc, err, sizeof(err));

	CHECK(r == -1, "refused: %s", want);
	CHECK_STR(err, want, "its message");
}

static void parse_cases(void)
{
	static const char full[] =
		"tls_server_config:\n"
		"  cert_file: server.crt\n"
		"  key_file: /keys/server.key\n"
		"  client_auth_type: RequireAndVerifyClientCert\n"
		"  client_ca_file: ca.crt\n"
		"  min_version: TLS13\n"
		"basic_auth_users:\n"
		"  prometheus: " HASH_2Y "\n"
		"  'grafana': \"" HASH_2B "\"\n";
	static const char minimal[] = "tls_server_config:\n  cert_file: a\n  key_file: b\n";
	struct web_config wc;
	char err[256];

	CHECK(!web_config_parse(full, strlen(full), "/etc/splittop", &wc, err, sizeof(err)), "full: %s", err);
	CHECK(wc.tls && wc.client_auth == CLIENT_AUTH_REQUIRE, "TLS, client certificates required");
	CHECK_STR(wc.cert_file, "/etc/splittop/server.crt", "relative to the file's directory");
	CHECK_STR(wc.key_file, "/keys/server.key", "absolute as given");
	CHECK_STR(wc.ca_file, "/etc/splittop/ca.crt", "client CA");
	CHECK_STR(wc.priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3", "TLS 1.3 only");
	CHECK(wc.nusers == 2, "two users");
	CHECK_STR(wc.users[1].name, "grafana", "a quoted name");
	CHECK_STR(wc.users[1].hash, HASH_2B, "a quoted hash");
	web_config_free(&wc);

	CHECK(!web_config_parse("", 0, ".", &wc, err, sizeof(err)) && !wc.tls && !wc.nusers,
	      "an empty file: plain HTTP, no users");
	CHECK(!web_config_parse(minimal, strlen(minimal), "", &wc, err, sizeof(err)), "defaults: %s", err);
	CHECK_STR(wc.priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", "TLS 1.2 and up by default");
	CHECK_STR(wc.cert_file, "a", "no directory");
	CHECK(wc.client_auth == CLIENT_AUTH_NONE, "no client certificates by default");
	web_config_free(&wc);

	refused("tls_server_config:\n  certfile: a\n", "line 2: tls_server_config: unknown key 'certfile'");
	refused("metrics_path: /x\n", "line 1: unknown key 'metrics_path'");
	refused("http_server_config:\n  http2: false\n", "line 2: 'http_server_config' is not supported by splittop");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [X]\n",
		"line 4: tls_server_config: 'cipher_suites' is not supported by splittop");
	refused("tls_server_config:\n  cert_file: a\n", "tls_server_config needs both cert_file and key_file");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n",
		"line 4: min_version 'TLS14': expected TLS10, TLS11, TLS12 or TLS13");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n",
		"min_version TLS13 is above max_version TLS12");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAnyClientCert\n",
		"line 4: client_auth_type RequireAnyClientCert is not supported by splittop: a certificate that "
		"no CA vouches for proves nothing (RequireAndVerifyClientCert does)");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Yes\n",
		"line 4: client_auth_type 'Yes': expected NoClientCert, VerifyClientCertIfGiven or "
		"RequireAndVerifyClientCert");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n",
		"line 4: client_auth_type VerifyClientCertIfGiven needs client_ca_file, the CA that signs the "
		"clients' certificates");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
		"client_ca_file is set but client_auth_type verifies no client (VerifyClientCertIfGiven or "
		"RequireAndVerifyClientCert)");
	refused("tls_server_config:\n  cert_file: [a]\n", "line 2: 'cert_file' must be a string");
	refused("tls_server_config:\n  cert_file: a\n  cert_file: b\n", "line 3: tls_server_config: 'cert_file' given twice");
	refused("tls_server_config: yes\n", "line 1: tls_server_config must be a mapping of keys to values");
	refused("basic_auth_users:\n  u: secret\n", "line 2: basic_auth_users: 'u': not a bcrypt hash ($2a$, $2b$ "
		"or $2y$, 60 characters; htpasswd -nBC 10 USER makes one)");
	refused("basic_auth_users:\n  u: $1$abcdefgh$0123456789012345678901\n", "line 2: basic_auth_users: 'u': "
		"not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters; htpasswd -nBC 10 USER makes one)");
	refused("basic_auth_users:\n  u:\n", "line 2: basic_auth_users: 'u': not a bcrypt hash ($2a$, $2b$ "
		"or $2y$, 60 characters; htpasswd -nBC 10 USER makes one)");
	refused("basic_auth_users:\n  'a:b': " HASH_2A "\n",
		"line 2: basic_auth_users: 'a:b': a user name cannot hold ':' (basic auth splits there)");
	refused("tls_server_config:\n  cert_file: \"a\\0b\"\n", "line 2: 'cert_file' holds a NUL character");
	refused("tls_server_config: [\n", "line 2: did not find expected node content");
	refused("- a\n- b\n", "line 1: the file must be a mapping of keys to values");
}

/* user:pass as given (len bytes, NULs and all), checked at now. */
static enum auth_result check_n(struct basic_auth *b, const char *user, const char *pass, size_t pass_len,
				double now)
{
	struct basic_creds c = { .user = user, .user_len = strlen(user), .pass = pass, .pass_len = pass_len };

	return basic_auth_check(b, &c, now);
}

static enum auth_result check(struct basic_auth *b, const char *user, const char *pass, double now)
{
	return check_n(b, user, pass, strlen(pass), now);
}

/* The header value (a C string) read as user and password (their lengths:
 * NULs and all), or refused (user NULL). */
static void creds(const char *value, const char *user, size_t user_len, const char *pass, size_t pass_len)
{
	struct basic_creds c;
	int r = basic_creds_parse(value, strlen(value), &c);

	if (!user) {
		CHECK(r == -1 && !c.buf, "refused: '%s'", value);
		return;
	}
	CHECK(r == 0 && c.user_len == user_len && !memcmp(c.user, user, user_len) && c.pass_len == pass_len &&
	      !memcmp(c.pass, pass, pass_len), "'%s': %zu bytes of user, %zu of password", value, user_len, pass_len);
	basic_creds_free(&c);
	CHECK(!c.buf && !c.pass_len, "freed");
}

static void creds_cases(void)
{
	/* base64 of "prom:s3cret", "prom:s3cret\0junk", "u:", "u:a:b", "prom\0:s3cret", "\xff:p". */
	creds("Basic cHJvbTpzM2NyZXQ=", "prom", 4, "s3cret", 6);
	creds("basic cHJvbTpzM2NyZXQ=", "prom", 4, "s3cret", 6);
	creds("BASIC cHJvbTpzM2NyZXQ=", "prom", 4, "s3cret", 6);
	creds("bAsIc   cHJvbTpzM2NyZXQ= ", "prom", 4, "s3cret", 6);
	creds("Basic cHJvbTpzM2NyZXQAanVuaw==", "prom", 4, "s3cret\0junk", 11);
	creds("Basic dTo=", "u", 1, "", 0);
	creds("Basic dTphOmI=", "u", 1, "a:b", 3);
	creds("Basic cHJvbQA6czNjcmV0", "prom\0", 5, "s3cret", 6);
	creds("Basic /zpw", "\xff", 1, "p", 1);
	creds("Basic cHJvbTpzM2NyZXQ", NULL, 0, NULL, 0);	/* padding missing */
	creds("Basic cHJvbTpzM2NyZXR=", NULL, 0, NULL, 0);	/* spare bits set: another spelling */
	creds("Basic dTphOmI==", NULL, 0, NULL, 0);
	creds("Basic dT=6", NULL, 0, NULL, 0);
	creds("Basic dTphOm*=", NULL, 0, NULL, 0);
	creds("Basic cHJvbXM=", NULL, 0, NULL, 0);	/* "proms": no colon */
	creds("Basic ", NULL, 0, NULL, 0);
	creds("Basic", NULL, 0, NULL, 0);
	creds("BasicdTo=", NULL, 0, NULL, 0);
	creds("Basic\tdTo=", NULL, 0, NULL, 0);
	creds("Bearer dTo=", NULL, 0, NULL, 0);
	creds("Basic dTo= dTo=", NULL, 0, NULL, 0);
	creds("", NULL, 0, NULL, 0);
}

static void auth_cases(void)
{
	const struct web_user users[] = { { "prom", HASH_2A }, { "other", HASH_2Y } };
	struct basic_auth *b = basic_auth_new(users, 2);
	double t = 100;

	CHECK(b != NULL, "new");
	/* One second apart: the bcrypt budget never runs out here. */
	CHECK(check(b, "prom", "U*U", t += 1) == AUTH_OK, "the right password ($2a$)");
	CHECK(check(b, "prom", "U*U", t += 1) == AUTH_OK, "again, from the cache");
	CHECK(check(b, "prom", "U*U*", t += 1) == AUTH_DENIED, "a wrong one after the cache");
	CHECK(check(b, "prom", "", t += 1) == AUTH_DENIED, "an empty one");
	CHECK(check(b, "nobody", "U*U", t += 1) == AUTH_DENIED, "an unknown user with a known password");
	CHECK(check(b, "other", "U*U", t += 1) == AUTH_OK, "$2y$");
	CHECK(check(b, "other", "U*u", t += 1) == AUTH_DENIED, "$2y$, one letter off");
	CHECK(check(b, "Prom", "U*U", t += 1) == AUTH_DENIED, "user names are case-sensitive");
	/* Compared as bytes, all of them: bcrypt would read "U*U" alone. */
	CHECK(check_n(b, "prom", "U*U\0junk", 8, t += 1) == AUTH_DENIED, "the password, a NUL and more");
	CHECK(check_n(b, "prom", "U*U\0", 4, t += 1) == AUTH_DENIED, "the password and a NUL");
	CHECK(check_n(b, "other", "U*U\0junk", 8, t += 1) == AUTH_DENIED, "the same, not from the cache");
	{
		struct basic_creds c = { .user = "prom\0", .user_len = 5, .pass = "U*U", .pass_len = 3 };

		CHECK(basic_auth_check(b, &c, t += 1) == AUTH_DENIED, "the user, a NUL after it");
	}
	basic_auth_free(b);
}

/* A flood of wrong passwords spends the budget (AUTH_BCRYPT_RATE bcrypts a
 * second, as a burst too), then gets AUTH_BUSY unchecked; the password that
 * passed before still passes at once; the budget comes back with time. */
static void budget_cases(void)
{
	const struct web_user users[] = { { "prom", HASH_2A } };
	struct basic_auth *b = basic_auth_new(users, 1);
	unsigned int i, denied = 0, busy = 0;

	CHECK(check(b, "prom", "U*U", 10.0) == AUTH_OK, "a first scrape");
	for (i = 0; i < 3 * AUTH_BCRYPT_RATE; i++) {
		enum auth_result r = check(b, i % 2 ? "prom" : "nobody", "guess", 10.0);

		denied += r == AUTH_DENIED;
		busy += r == AUTH_BUSY;
	}
	CHECK_EQ_U64(denied, AUTH_BCRYPT_RATE - 1, "bcrypts in the burst (the first scrape took one)");
	CHECK_EQ_U64(busy, 2 * AUTH_BCRYPT_RATE + 1, "the rest unchecked");
	CHECK(check(b, "prom", "U*U", 10.0) == AUTH_OK, "the known password, budget spent");
	CHECK(check(b, "prom", "U*U*", 10.0) == AUTH_BUSY, "a new one waits");
	CHECK(check(b, "prom", "U*U*", 10.0 + 1.0 / AUTH_BCRYPT_RATE) == AUTH_DENIED,
	      "one bcrypt back after 1/RATE s");
	CHECK(check(b, "prom", "U*U*", 10.0 + 1.0 / AUTH_BCRYPT_RATE) == AUTH_BUSY, "and only one");
	for (i = 0; i < AUTH_BCRYPT_RATE; i++)
		denied = check(b, "prom", "x", 100.0) == AUTH_DENIED;
	CHECK(denied && check(b, "prom", "x", 100.0) == AUTH_BUSY,
	      "after a long quiet, a full burst and no more");
	CHECK(check(b, "prom", "x", 50.0) == AUTH_BUSY, "a clock that went back gives nothing");
	basic_auth_free(b);
}

int main(void)
{
	parse_cases();
	creds_cases();
	auth_cases();
	budget_cases();
	return unit_done();
}
