// SPDX-License-Identifier: GPL-2.0-only
#include "basic_auth.h"

#include <crypt.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

enum auth_result basic_auth_check(struct basic_auth *b, const char *user, const char *pass, double now)
{
	unsigned char sum[SHA256_LEN];
	struct auth_user *u = NULL;
	unsigned int i;
	bool ok;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->users[i].name, user))
			u = &b->users[i];
	if (u && gnutls_hash_fast(GNUTLS_DIG_SHA256, pass, strlen(pass), sum) < 0)
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
	if (!u) {
		/* The first user's hash as the setting: the same cost, always denied. */
		bcrypt_matches(b->users[0].hash, pass);
		return AUTH_DENIED;
	}
	if (!bcrypt_matches(u->hash, pass))
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
