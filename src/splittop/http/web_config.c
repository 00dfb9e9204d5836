// SPDX-License-Identifier: GPL-2.0-only
#include "web_config.h"

#include <crypt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* tls_server_config's keys that are checked together once all are read. */
struct tls_keys {
	int min, max;		/* 0..3: TLS10..TLS13 */
	const char *auth;	/* client_auth_type */
	const yaml_node_t *auth_node;
};

/* Parsing state: the document, what is read so far, where errors go. */
struct wc_parse {
	yaml_document_t *doc;
	const char *dir;
	struct web_config *wc;
	struct tls_keys tls;
	bool has_tls;
	char *err;
	size_t errlen;
};

static int fail(struct wc_parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	size_t off = 0;
	va_list ap;

	if (n) {
		int k = snprintf(p->err, p->errlen, "line %lu: ", (unsigned long)n->start_mark.line + 1);

		off = k > 0 && (size_t)k < p->errlen ? (size_t)k : 0;
	}
	va_start(ap, fmt);
	vsnprintf(p->err + off, p->errlen - off, fmt, ap);
	va_end(ap);
	return -1;
}

static yaml_node_t *node(struct wc_parse *p, int index)
{
	return yaml_document_get_node(p->doc, index);
}

/* A scalar's text, or NULL for YAML's null (empty, ~, null): a key given
 * no value is a key not set, as the exporter-toolkit reads it. */
static int scalar(struct wc_parse *p, const yaml_node_t *n, const char *key, const char **out)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return fail(p, n, "'%s' must be a string", key);
	v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length)
		return fail(p, n, "'%s' holds a NUL character", key);
	*out = v;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL")))
		*out = NULL;
	return 0;
}

/* Each key of a mapping, once: fn(p, key, value node). */
typedef int (*pair_fn)(struct wc_parse *p, const char *key, const yaml_node_t *v);

static int each_pair(struct wc_parse *p, const yaml_node_t *map, const char *what, pair_fn fn)
{
	yaml_node_pair_t *a, *b;

	if (map->type != YAML_MAPPING_NODE)
		return fail(p, map, "%s must be a mapping of keys to values", what);
	for (a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++) {
		const yaml_node_t *k = node(p, a->key), *v = node(p, a->value);
		const char *key;

		if (!k || !v || k->type != YAML_SCALAR_NODE || scalar(p, k, "key", &key) || !key)
			return fail(p, k, "%s: a key must be a string", what);
		for (b = map->data.mapping.pairs.start; b < a; b++)
			if (!strcmp((const char *)node(p, b->key)->data.scalar.value, key))
				return fail(p, k, "%s: '%s' given twice", what, key);
		if (fn(p, key, v))
			return -1;
	}
	return 0;
}

/* A path as the file names it: relative ones from the file's directory. */
static int path_of(struct wc_parse *p, const yaml_node_t *v, const char *key, char **out)
{
	const char *s;

	if (scalar(p, v, key, &s))
		return -1;
	free(*out);
	*out = NULL;
	if (!s)
		return 0;
	if (s[0] == '/' || !p->dir[0])
		*out = strdup(s);
	else if (asprintf(out, "%s/%s", p->dir, s) < 0)
		*out = NULL;
	return *out ? 0 : fail(p, v, "%s", strerror(ENOMEM));
}

/* TLS10..TLS13 as 0..3. */
static int tls_version(struct wc_parse *p, const yaml_node_t *v, const char *key, int *out)
{
	static const char *const names[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
	const char *s;
	int i;

	if (scalar(p, v, key, &s))
		return -1;
	if (!s)
		return 0;
	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	return fail(p, v, "%s '%s': expected TLS10, TLS11, TLS12 or TLS13", key, s);
}

/* Known to the exporter-toolkit, not taken here: refused by name, so that
 * a file written for node_exporter never means less than it says. */
static const char *const unsupported_tls[] = {
	"cert", "key", "client_ca", "cipher_suites", "curve_preferences",
	"prefer_server_cipher_suites", "client_allowed_sans", NULL,
};

static int tls_pair(struct wc_parse *p, const char *key, const yaml_node_t *v)
{
	struct web_config *wc = p->wc;
	struct tls_keys *t = &p->tls;
	unsigned int i;

	if (!strcmp(key, "cert_file"))
		return path_of(p, v, key, &wc->cert_file);
	if (!strcmp(key, "key_file"))
		return path_of(p, v, key, &wc->key_file);
	if (!strcmp(key, "client_ca_file"))
		return path_of(p, v, key, &wc->ca_file);
	if (!strcmp(key, "min_version"))
		return tls_version(p, v, key, &t->min);
	if (!strcmp(key, "max_version"))
		return tls_version(p, v, key, &t->max);
	if (!strcmp(key, "client_auth_type")) {
		t->auth_node = v;
		return scalar(p, v, key, &t->auth);
	}
	for (i = 0; unsupported_tls[i]; i++)
		if (!strcmp(key, unsupported_tls[i]))
			return fail(p, v, "tls_server_config: '%s' is not supported by splittop", key);
	return fail(p, v, "tls_server_config: unknown key '%s'", key);
}

/* bcrypt as crypt(3) makes it: $2a$, $2b$ or $2y$, cost, 53 characters. */
static bool is_bcrypt(const char *h)
{
	return strlen(h) == 60 && h[0] == '$' && h[1] == '2' && strchr("aby", h[2]) && h[3] == '$' &&
	       crypt_checksalt(h) == CRYPT_SALT_OK;
}

static int user_pair(struct wc_parse *p, const char *key, const yaml_node_t *v)
{
	struct web_config *wc = p->wc;
	struct web_user *u;
	const char *hash;

	if (scalar(p, v, key, &hash))
		return -1;
	if (!hash || !is_bcrypt(hash))
		return fail(p, v, "basic_auth_users: '%s': not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters; "
			    "htpasswd -nBC 10 USER makes one)", key);
	if (strchr(key, ':'))
		return fail(p, v, "basic_auth_users: '%s': a user name cannot hold ':' (basic auth splits there)", key);
	u = realloc(wc->users, (wc->nusers + 1) * sizeof(*u));
	if (!u)
		return fail(p, v, "%s", strerror(ENOMEM));
	wc->users = u;
	u[wc->nusers].name = strdup(key);
	u[wc->nusers].hash = strdup(hash);
	if (!u[wc->nusers].name || !u[wc->nusers].hash) {
		free(u[wc->nusers].name);
		free(u[wc->nusers].hash);
		return fail(p, v, "%s", strerror(ENOMEM));
	}
	wc->nusers++;
	return 0;
}

static int top_pair(struct wc_parse *p, const char *key, const yaml_node_t *v)
{
	if (!strcmp(key, "tls_server_config")) {
		if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
			return 0;
		p->has_tls = true;
		return each_pair(p, v, key, tls_pair);
	}
	if (!strcmp(key, "basic_auth_users")) {
		if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
			return 0;
		return each_pair(p, v, key, user_pair);
	}
	if (!strcmp(key, "http_server_config") || !strcmp(key, "rate_limit"))
		return fail(p, v, "'%s' is not supported by splittop", key);
	return fail(p, v, "unknown key '%s'", key);
}


/* What the keys mean together, once all are read. */
static int check_tls(struct wc_parse *p)
{
	static const char *const vers[] = { "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3" };
	struct web_config *wc = p->wc;
	struct tls_keys *t = &p->tls;
	const char *a = t->auth;
	char prio[128];
	int v;

	if (!a || !strcmp(a, "NoClientCert"))
		wc->client_auth = CLIENT_AUTH_NONE;
	else if (!strcmp(a, "VerifyClientCertIfGiven"))
		wc->client_auth = CLIENT_AUTH_VERIFY_IF_GIVEN;
	else if (!strcmp(a, "RequireAndVerifyClientCert"))
		wc->client_auth = CLIENT_AUTH_REQUIRE;
	else if (!strcmp(a, "RequestClientCert") || !strcmp(a, "RequireAnyClientCert") ||
		 !strcmp(a, "RequireClientCert"))
		return fail(p, t->auth_node, "client_auth_type %s is not supported by splittop: a certificate "
			    "that no CA vouches for proves nothing (RequireAndVerifyClientCert does)", a);
	else
		return fail(p, t->auth_node, "client_auth_type '%s': expected NoClientCert, "
			    "VerifyClientCertIfGiven or RequireAndVerifyClientCert", a);
	if (!p->has_tls)
		return 0;
	if (!wc->cert_file || !wc->key_file)
		return fail(p, NULL, "tls_server_config needs both cert_file and key_file");
	if (wc->client_auth != CLIENT_AUTH_NONE && !wc->ca_file)
		return fail(p, t->auth_node, "client_auth_type %s needs client_ca_file, the CA that "
			    "signs the clients' certificates", a);
	if (wc->client_auth == CLIENT_AUTH_NONE && wc->ca_file)
		return fail(p, NULL, "client_ca_file is set but client_auth_type verifies no client "
			    "(VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
	if (t->min > t->max)
		return fail(p, NULL, "min_version TLS1%d is above max_version TLS1%d", t->min, t->max);
	snprintf(prio, sizeof(prio), "NORMAL:-VERS-ALL");
	for (v = t->max; v >= t->min; v--)
		snprintf(prio + strlen(prio), sizeof(prio) - strlen(prio), ":+VERS-%s", vers[v]);
	wc->priorities = strdup(prio);
	if (!wc->priorities)
		return fail(p, NULL, "%s", strerror(ENOMEM));
	wc->tls = true;
	return 0;
}

int web_config_parse(const char *text, size_t len, const char *dir, struct web_config *wc,
		     char *err, size_t errlen)
{
	struct wc_parse p = { .dir = dir, .wc = wc, .tls = { .min = 2, .max = 3 },
			      .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int ret;

	memset(wc, 0, sizeof(*wc));
	err[0] = 0;
	if (!yaml_parser_initialize(&parser))
		return fail(&p, NULL, "%s", strerror(ENOMEM));
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "line %lu: %s", (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		return -1;
	}
	p.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* An empty file asks for nothing: plain HTTP, no auth, as the toolkit reads it. */
	ret = root && !(root->type == YAML_SCALAR_NODE && !root->data.scalar.length) ?
	      each_pair(&p, root, "the file", top_pair) : 0;
	if (!ret)
		ret = check_tls(&p);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ret)
		web_config_free(wc);
	return ret;
}

void web_config_free(struct web_config *wc)
{
	unsigned int i;

	for (i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	free(wc->cert_file);
	free(wc->key_file);
	free(wc->ca_file);
	free(wc->cert_pem);
	free(wc->key_pem);
	free(wc->ca_pem);
	free(wc->priorities);
	memset(wc, 0, sizeof(*wc));
}
