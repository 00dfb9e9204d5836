/* SPDX-License-Identifier: GPL-2.0-only */
/* --web-config's basic_auth_users: a user name and password checked
 * against its bcrypt hash (libxcrypt).  A pair that passed once is then
 * known by its SHA-256, so that a scraper pays bcrypt's cost once, not at
 * every scrape.  And bcrypt runs at most AUTH_BCRYPT_RATE times a second
 * (a burst of as many): a flood of wrong passwords cannot keep the HTTP
 * thread from the scrapes of those who know theirs. */
#ifndef SPLITTOP_BASIC_AUTH_H
#define SPLITTOP_BASIC_AUTH_H

#include <stdbool.h>

#include "web_config.h"

#ifndef AUTH_BCRYPT_RATE	/* -D: the benchmark's budget-less build */
#define AUTH_BCRYPT_RATE	8
#endif

struct basic_auth;

enum auth_result {
	AUTH_OK,
	AUTH_DENIED,		/* no such user, or not its password */
	AUTH_BUSY,		/* not checked: bcrypt's budget is spent; try again in a second */
};

/* The credentials of an Authorization header's value, as RFC 7617 has
 * them: the scheme "Basic" in any case, spaces, the base64 (RFC 4648, with
 * its padding) of user:password.  user and pass point into buf, each ended
 * by a NUL, and either may hold NUL bytes of its own: their lengths say
 * where they end. */
struct basic_creds {
	char *buf;
	const char *user, *pass;
	size_t user_len, pass_len;
};

/* 0, or -1: not Basic credentials (or ENOMEM).  value: len bytes. */
int basic_creds_parse(const char *value, size_t len, struct basic_creds *c);

/* Wipe the decoded password and free it. */
void basic_creds_free(struct basic_creds *c);

/* users: at least one (copied).  NULL on ENOMEM. */
struct basic_auth *basic_auth_new(const struct web_user *users, unsigned int n);

/* Whether user and pass (compared as bytes, all of their lengths) match,
 * at now (CLOCK_MONOTONIC seconds: the budget's clock).  An unknown user
 * costs a bcrypt too, so that the time taken does not tell which users
 * exist.  Thread-safe. */
enum auth_result basic_auth_check(struct basic_auth *b, const struct basic_creds *c, double now);

void basic_auth_free(struct basic_auth *b);

#endif
