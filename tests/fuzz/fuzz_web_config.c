// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: any bytes as a --web-config file (the parser alone: no file
 * is read).  What must hold: it is taken or refused with a message, and
 * what it takes is whole: TLS with both files named, every user with a
 * bcrypt hash. */
#include "splittop/http/web_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_config wc;
	char err[256];
	unsigned int i;

	if (web_config_parse((const char *)data, size, "/etc/splittop", &wc, err, sizeof(err))) {
		if (!err[0])
			abort();	/* refused without saying why */
		return 0;
	}
	if (wc.tls && (!wc.cert_file || !wc.key_file || !wc.priorities))
		abort();
	if (!wc.tls && (wc.cert_file || wc.client_auth != CLIENT_AUTH_NONE))
		abort();
	for (i = 0; i < wc.nusers; i++)
		if (strlen(wc.users[i].hash) != 60 || strncmp(wc.users[i].hash, "$2", 2) || strchr(wc.users[i].name, ':'))
			abort();
	web_config_free(&wc);
	return 0;
}
