// SPDX-License-Identifier: GPL-2.0-only
/* make STATIC=1 links this instead of exporter.c, web_config.c,
 * web_config_load.c and basic_auth.c: Debian's libmicrohttpd links GnuTLS,
 * whose static link needs libraries Debian ships only shared (p11-kit).  So
 * no --listen there, and no --web-config: each says so and fails, and the
 * rest of splittop is built alike either way (no #ifdef in the real files). */
#include "exporter.h"

#include <stdio.h>

struct exporter *exporter_start(const struct listen_addr *a, const struct self_stats *self,
				const struct web_config *wc)
{
	(void)self; (void)wc;
	fprintf(stderr, "splittop: --listen %s: not in this build (a static build has no HTTP server)\n", a->text);
	return NULL;
}

int exporter_update(struct exporter *x, const struct snapshot *s)
{
	(void)x; (void)s;
	return 0;
}

void exporter_stop(struct exporter *x)
{
	(void)x;
}

int web_config_load(const char *path, struct web_config *wc)
{
	(void)wc;
	fprintf(stderr, "splittop: --web-config %s: not in this build (a static build has no HTTP server)\n", path);
	return -1;
}

void web_config_free(struct web_config *wc)
{
	(void)wc;
}
