// SPDX-License-Identifier: GPL-2.0-only
#include "basic_auth.h"

#include <crypt.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SHA256_LEN 32

struct auth_user {
	char *name, *hash;
	unsigned char good[SHA256_LEN];	/* SHA-256 of the password that last passed */
	bool has_good;
};

struct basic_auth {
	pthread_mutex_t lock;	/* the users' good[], the budget */
	struct auth_user *users;
	unsigned int n;
	double tokens, refilled;	/* bcrypt checks allowed now; when counted */
};

/* Equal bytes, in a time that depends on len only. */
static bool same(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* A base64 digit's value (RFC 4648's alphabet), or -1. */
static int b64_digit(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

/* Strict base64 of len characters into out (len / 4 * 3 bytes at most):
 * whole quanta, '=' only as the last one's padding, its spare bits zero,
 * so that one text has one spelling.  The bytes written, or -1. */
static long b64_decode(const char *in, size_t len, unsigned char *out)
{
	size_t i, n = 0, pad = 0;
	uint32_t q = 0;

	if (!len || len % 4)
		return -1;
	while (pad < 2 && in[len - 1 - pad] == '=')
		pad++;
	for (i = 0; i < len - pad; i++) {
		int d = b64_digit(in[i]);

		if (d < 0)
			return -1;
		q = q << 6 | (uint32_t)d;
		if (i % 4 == 3) {
			out[n++] = q >> 16;
			out[n++] = q >> 8;
			out[n++] = q;
			q = 0;
		}
	}
	if (pad) {
		q <<= 6 * pad;
		if (q & (pad == 2 ? 0xffffu : 0xffu))	/* bits past the last byte */
			return -1;
		out[n++] = q >> 16;
		if (pad == 1)
			out[n++] = q >> 8;
	}
	return (long)n;
}

int basic_creds_parse(const char *value, size_t len, struct basic_creds *c)
{
	size_t at = 5, end = len, size;
	const char *colon;
	long n;

	memset(c, 0, sizeof(*c));
	/* RFC 7235: the scheme is a token, compared in any case; then 1*SP. */
	if (len < 6 || strncasecmp(value, "basic", 5) || value[5] != ' ')
		return -1;
	while (at < len && value[at] == ' ')
		at++;
	while (end > at && (value[end - 1] == ' ' || value[end - 1] == '\t'))
		end--;
	size = (end - at) / 4 * 3 + 1;
	c->buf = malloc(size);
	if (!c->buf)
		return -1;
	n = b64_decode(value + at, end - at, (unsigned char *)c->buf);
	colon = n > 0 ? memchr(c->buf, ':', n) : NULL;
	if (!colon) {
		explicit_bzero(c->buf, size);
		free(c->buf);
		c->buf = NULL;
		return -1;
	}
	/* The user ends at the first colon (RFC 7617: it holds none); the password is the rest, all of it. */
	c->buf[n] = '\0';
	c->buf[colon - c->buf] = '\0';
	c->user = c->buf;
	c->user_len = colon - c->buf;
	c->pass = colon + 1;
	c->pass_len = n - c->user_len - 1;
	return 0;
}

void basic_creds_free(struct basic_creds *c)
{
	if (c->buf) {
		explicit_bzero(c->buf, c->user_len + 1 + c->pass_len);
		free(c->buf);
	}
	memset(c, 0, sizeof(*c));
}

struct basic_auth *basic_auth_new(const struct web_user *users, unsigned int n)
{
	struct basic_auth *b = calloc(1, sizeof(*b));
	unsigned int i;

	if (!b || !n)
		goto fail;
	b->users = calloc(n, sizeof(*b->users));
	if (!b->users)
		goto fail;
	for (; b->n < n; b->n++) {
		b->users[b->n].name = strdup(users[b->n].name);
		b->users[b->n].hash = strdup(users[b->n].hash);
		if (!b->users[b->n].name || !b->users[b->n].hash) {
			b->n++;
			goto fail;
		}
	}
	b->tokens = AUTH_BCRYPT_RATE;
	b->refilled = -1;
	pthread_mutex_init(&b->lock, NULL);
	return b;
fail:
	if (b) {
		for (i = 0; i < b->n; i++) {
			free(b->users[i].name);
			free(b->users[i].hash);
		}
		free(b->users);
		free(b);
	}
	return NULL;
}

/* crypt(3) of pass with hash as its setting equals hash. */
static bool bcrypt_matches(const char *hash, const char *pass)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	bool ok;

	if (!cd)
		return false;
	out = crypt_rn(pass, hash, cd, sizeof(*cd));
	/* crypt_rn fails with a "*0"-like string or NULL, never the hash. */
	ok = out && strlen(out) == strlen(hash) && same(out, hash, strlen(hash));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/* Take one bcrypt from the budget (a token bucket), or false.  Under lock. */
static bool take_token(struct basic_auth *b, double now)
{
	if (b->refilled < 0 || now < b->refilled)
		b->refilled = now;
	b->tokens += (now - b->refilled) * AUTH_BCRYPT_RATE;
	if (b->tokens > AUTH_BCRYPT_RATE)
		b->tokens = AUTH_BCRYPT_RATE;
	b->refilled = now;
	if (b->tokens < 1)
		return false;
	b->tokens--;
	return true;
}

/* The user named name, all of its len bytes, or NULL. */
static struct auth_user *user_named(struct basic_auth *b, const char *name, size_t len)
{
	struct auth_user *u = NULL;
	unsigned int i;

	for (i = 0; i < b->n; i++)
		if (strlen(b->users[i].name) == len && !memcmp(b->users[i].name, name, len))
			u = &b->users[i];
	return u;
}

/* bcrypt of pass (len bytes) against u's hash; NULL u: against the first
 * user's, for the time it takes, and false. */
static bool bcrypt_check(struct basic_auth *b, const struct auth_user *u, const char *pass, size_t len)
{
	/* crypt(3) reads a C string: a password with a NUL in it would be cut
	 * there, and is never the one its hash was made of (htpasswd takes none). */
	bool whole = !memchr(pass, '\0', len);
	char *z = strndup(pass, len);
	bool ok;

	if (!z)
		return false;
	ok = bcrypt_matches(u ? u->hash : b->users[0].hash, z) && u && whole;
	explicit_bzero(z, strlen(z));
	free(z);
	return ok;
}

enum auth_result basic_auth_check(struct basic_auth *b, const struct basic_creds *c, double now)
{
	struct auth_user *u = user_named(b, c->user, c->user_len);
	unsigned char sum[SHA256_LEN];
	bool ok;

	if (u && gnutls_hash_fast(GNUTLS_DIG_SHA256, c->pass, c->pass_len, sum) < 0)
		return AUTH_DENIED;
	pthread_mutex_lock(&b->lock);
	ok = u && u->has_good && same(u->good, sum, SHA256_LEN);
	if (!ok && !take_token(b, now)) {
		pthread_mutex_unlock(&b->lock);
		return AUTH_BUSY;
	}
	pthread_mutex_unlock(&b->lock);
	if (ok)
		return AUTH_OK;
	if (!bcrypt_check(b, u, c->pass, c->pass_len))
		return AUTH_DENIED;
	pthread_mutex_lock(&b->lock);
	memcpy(u->good, sum, SHA256_LEN);
	u->has_good = true;
	pthread_mutex_unlock(&b->lock);
	return AUTH_OK;
}

void basic_auth_free(struct basic_auth *b)
{
	unsigned int i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++) {
		free(b->users[i].name);
		free(b->users[i].hash);
	}
	pthread_mutex_destroy(&b->lock);
	free(b->users);
	free(b);
}
