/* SPDX-License-Identifier: GPL-2.0-only */
/* --listen's argument.  No I/O: unit-tested and fuzzed with the options. */
#ifndef SPLITTOP_LISTEN_ADDR_H
#define SPLITTOP_LISTEN_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64];		/* as given, for messages */
};

/* "[ADDR:]PORT": an IPv4 address or a bracketed IPv6 one ([::1]:9100),
 * 127.0.0.1 if none; PORT 1..65535.  0 or -EINVAL. */
int listen_addr_parse(const char *s, struct listen_addr *a);

/* 127.0.0.0/8 or ::1: only this host's users can connect. */
bool listen_addr_is_loopback(const struct listen_addr *a);

#endif
