/* SPDX-License-Identifier: GPL-2.0-only */
/* --web-config's basic_auth_users: a user name and password checked
 * against its bcrypt hash (libxcrypt).  A pair that passed once is then
 * known by its SHA-256, so that a scraper pays bcrypt's cost once, not at
 * every scrape. */
#ifndef SPLITTOP_BASIC_AUTH_H
#define SPLITTOP_BASIC_AUTH_H

#include <stdbool.h>

#include "web_config.h"

struct basic_auth;

/* users: at least one (copied).  NULL on ENOMEM. */
struct basic_auth *basic_auth_new(const struct web_user *users, unsigned int n);

/* Whether user and pass match.  An unknown user costs a bcrypt too, so that
 * the time taken does not tell which users exist.  Thread-safe. */
bool basic_auth_check(struct basic_auth *b, const char *user, const char *pass);

void basic_auth_free(struct basic_auth *b);

#endif
