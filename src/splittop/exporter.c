// SPDX-License-Identifier: GPL-2.0-only
#include "exporter.h"
#include "openmetrics.h"

#ifdef SPLITTOP_NO_HTTP
/* make STATIC=1: Debian's libmicrohttpd links GnuTLS, whose static link
 * needs libraries Debian ships only shared (p11-kit).  No --listen there. */
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
#else

#include "basic_auth.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long, at least, an ended VM stays: every scraper of a common interval
 * (15 s; two of them, as an HA pair) gets its final values. */
#define KEEP_ENDED_S	30

struct kept_vm {
	struct om_vm v;
	uint64_t gen;		/* the publication it first appeared in */
	double ended;		/* CLOCK_MONOTONIC seconds */
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct exporter {
	struct MHD_Daemon *d;
	struct basic_auth *auth;	/* basic_auth_users, if any */
	enum client_auth client_auth;
	pthread_mutex_t lock;
	/* Guarded by lock: what a scrape gets. */
	char *text[2];		/* [1]: OpenMetrics, [0]: the older text format */
	size_t len[2];
	uint64_t gen;		/* publications so far */
	uint64_t served_gen;	/* the latest publication a scrape got */
	/* The main thread's alone. */
	struct om_vm *vms;	/* the first nlive own their rows; then copies of dead[] */
	unsigned int cap, nlive;
	struct kept_vm *dead;	/* VMs that ended, until a scrape has seen them */
	unsigned int ndead, dead_cap;
};

static bool wants_openmetrics(struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");

	return accept && strstr(accept, "application/openmetrics-text");
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type, char *body,
			     size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A fixed text (a literal: it outlives the response) as status; how is
 * NULL, or what queues it instead (the 401 challenge, the 429's retry). */
static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status, const char *text,
				  enum MHD_Result (*how)(struct MHD_Connection *c, struct MHD_Response *r))
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	ret = how ? how(c, r) : MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The client's certificate chains to client_ca_file, is valid now and is
 * for TLS clients; none at all passes only where none is required. */
static bool client_cert_ok(struct MHD_Connection *c, bool required)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0 };
	unsigned int n = 0, status;
	gnutls_session_t s;

	if (!ci || !ci->tls_session)
		return false;
	s = (gnutls_session_t)ci->tls_session;
	if (!gnutls_certificate_get_peers(s, &n) || !n)
		return !required;
	return gnutls_certificate_verify_peers(s, &purpose, 1, &status) == 0 && status == 0;
}

/* Our own reading of the header, not MHD_basic_auth_get_username_password:
 * that one takes the scheme only as "Basic " and cuts the password at a NUL. */
static enum auth_result basic_auth_of(struct basic_auth *b, struct MHD_Connection *c)
{
	static const char name[] = MHD_HTTP_HEADER_AUTHORIZATION;
	struct basic_creds cr;
	enum auth_result r;
	const char *v;
	size_t len;

	if (MHD_lookup_connection_value_n(c, MHD_HEADER_KIND, name, sizeof(name) - 1, &v, &len) != MHD_YES ||
	    basic_creds_parse(v, len, &cr))
		return AUTH_DENIED;
	r = basic_auth_check(b, &cr, now_mono());
	basic_creds_free(&cr);
	return r;
}

/* libmicrohttpd 0.9.76 and later deprecate this for _required_response3; Debian 12 has 0.9.75. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
/* 401 with the challenge that makes a client send its user and password. */
static enum MHD_Result challenge(struct MHD_Connection *c, struct MHD_Response *r)
{
	return MHD_queue_basic_auth_fail_response(c, "splittop", r);
}
#pragma GCC diagnostic pop

/* 429: the bcrypt budget (basic_auth.h) is back within a second. */
static enum MHD_Result retry_later(struct MHD_Connection *c, struct MHD_Response *r)
{
	MHD_add_response_header(r, "Retry-After", "1");
	return MHD_queue_response(c, MHD_HTTP_TOO_MANY_REQUESTS, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_len, void **state)
{
	struct exporter *x = cls;
	bool om;
	char *body;
	size_t len;

	(void)version; (void)upload; (void)upload_len; (void)state;
	/* Who asks, before what is asked: a stranger learns nothing, not even a 404. */
	if (x->client_auth != CLIENT_AUTH_NONE && !client_cert_ok(c, x->client_auth == CLIENT_AUTH_REQUIRE))
		return reply_text(c, MHD_HTTP_FORBIDDEN, "splittop: a client certificate that the CA signed is needed\n",
				  NULL);
	switch (x->auth ? basic_auth_of(x->auth, c) : AUTH_OK) {
	case AUTH_OK:
		break;
	case AUTH_BUSY:
		return reply_text(c, MHD_HTTP_TOO_MANY_REQUESTS,
				  "splittop: too many passwords to check; try again in a second\n", retry_later);
	default:
		return reply_text(c, MHD_HTTP_UNAUTHORIZED, "splittop: a user and password are needed\n", challenge);
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics\n", NULL);
	if (strcmp(url, "/metrics"))
		return reply_text(c, MHD_HTTP_NOT_FOUND, "splittop serves /metrics\n", NULL);
	om = wants_openmetrics(c);
	pthread_mutex_lock(&x->lock);
	len = x->len[om];
	body = malloc(len ? len : 1);
	if (body) {
		memcpy(body, x->text[om], len);
		x->served_gen = x->gen;
	}
	pthread_mutex_unlock(&x->lock);
	if (!body)
		return MHD_NO;
	return reply(c, MHD_HTTP_OK, om ? OM_CONTENT_TYPE : PROM_CONTENT_TYPE, body, len);
}

/* Render both formats and swap them in.  0 or -ENOMEM. */
static int publish(struct exporter *x, const struct om_vm *vms, unsigned int n, const struct self_stats *self)
{
	char *text[2] = { NULL, NULL };
	size_t len[2];
	int i;

	for (i = 0; i < 2; i++) {
		FILE *f = open_memstream(&text[i], &len[i]);

		if (!f) {
			free(text[0]);
			return -ENOMEM;
		}
		om_render(f, vms, n, self, i == 1);
		if (fclose(f)) {
			free(text[0]);
			free(text[1]);
			return -ENOMEM;
		}
	}
	pthread_mutex_lock(&x->lock);
	for (i = 0; i < 2; i++) {
		free(x->text[i]);
		x->text[i] = text[i];
		x->len[i] = len[i];
	}
	x->gen++;
	pthread_mutex_unlock(&x->lock);
	return 0;
}

#define EXPORTER_CONNECTIONS	256u	/* all clients together */
#define EXPORTER_PER_CLIENT	8u	/* one source address */
#define EXPORTER_IDLE_S		5u	/* a connection silent this long is closed */

/* The daemon's options: the limits, and TLS where the web config has it. */
static void daemon_options(struct MHD_OptionItem *o, int fd, const struct web_config *wc)
{
	unsigned int n = 0;

	/*
	 * No one client can starve the others: a source address gets at most
	 * PER_CLIENT connections (the rest are closed at once), a connection
	 * that sends nothing for IDLE_S seconds is closed, and all together
	 * take at most CONNECTIONS, more than a fleet's few Prometheus servers
	 * ever open.
	 */
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, EXPORTER_CONNECTIONS, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT, EXPORTER_PER_CLIENT, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, EXPORTER_IDLE_S, NULL };
	if (wc && wc->tls) {
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, wc->cert_pem };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, wc->key_pem };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, wc->priorities };
		/* A trust list is what makes libmicrohttpd ask for the client's certificate. */
		if (wc->ca_pem)
			o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, wc->ca_pem };
	}
	o[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

struct exporter *exporter_start(const struct listen_addr *a, const struct self_stats *self,
				const struct web_config *wc)
{
	struct exporter *x = calloc(1, sizeof(*x));
	struct MHD_OptionItem opts[10];
	bool tls = wc && wc->tls;
	int fd, one = 1;

	if (!x) {
		fprintf(stderr, "splittop: --listen: %s\n", strerror(ENOMEM));
		return NULL;
	}
	pthread_mutex_init(&x->lock, NULL);
	if (publish(x, NULL, 0, self) || (wc && wc->nusers && !(x->auth = basic_auth_new(wc->users, wc->nusers)))) {
		fprintf(stderr, "splittop: --listen: %s\n", strerror(ENOMEM));
		exporter_stop(x);
		return NULL;
	}
	x->client_auth = tls ? wc->client_auth : CLIENT_AUTH_NONE;
	/* Bound here, not by libmicrohttpd, so that a port in use is a clear error. */
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) || listen(fd, 256)) {
		fprintf(stderr, "splittop: --listen %s: %s\n", a->text, strerror(errno));
		if (fd >= 0)
			close(fd);
		exporter_stop(x);
		return NULL;
	}
	daemon_options(opts, fd, wc);
	/* poll(), not select(): past FD_SETSIZE descriptors. */
	x->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | (tls ? MHD_USE_TLS : 0) |
				(a->ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				0, NULL, NULL, on_request, x, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!x->d) {
		fprintf(stderr, "splittop: --listen %s: the HTTP%s server did not start\n", a->text, tls ? "S" : "");
		close(fd);
		exporter_stop(x);
		return NULL;
	}
	return x;
}

int exporter_update(struct exporter *x, const struct snapshot *s)
{
	unsigned int i, n = 0, need;
	uint64_t served;
	int err;

	pthread_mutex_lock(&x->lock);
	served = x->served_gen;
	pthread_mutex_unlock(&x->lock);
	/* Forget the ended VMs a scrape has seen, once they have been kept long enough. */
	for (i = 0; i < x->ndead;)
		if (x->dead[i].gen <= served && now_mono() - x->dead[i].ended >= KEEP_ENDED_S) {
			om_vm_release(&x->dead[i].v);
			x->dead[i] = x->dead[--x->ndead];
		} else {
			i++;
		}
	for (i = 0; i < x->nlive; i++)
		om_vm_release(&x->vms[i]);
	x->nlive = 0;
	need = s->n + x->ndead;
	if (need > x->cap || need > x->dead_cap) {
		unsigned int cap = need * 2 + 8;
		void *p = realloc(x->vms, cap * sizeof(*x->vms)), *q;

		if (p)
			x->vms = p;
		q = p ? realloc(x->dead, cap * sizeof(*x->dead)) : NULL;
		if (q)
			x->dead = q;
		if (!p || !q) {
			fprintf(stderr, "splittop: --listen: %s\n", strerror(ENOMEM));
			return -ENOMEM;
		}
		x->cap = x->dead_cap = cap;
	}
	for (i = 0; i < s->n; i++) {
		if (!s->vms[i].e->alive) {
			om_vm_from(&x->dead[x->ndead].v, &s->vms[i], &s->avail);
			x->dead[x->ndead].ended = now_mono();
			x->dead[x->ndead++].gen = x->gen + 1;
			continue;
		}
		om_vm_from(&x->vms[n++], &s->vms[i], &s->avail);
	}
	x->nlive = n;
	for (i = 0; i < x->ndead; i++)
		x->vms[n++] = x->dead[i].v;
	err = publish(x, x->vms, n, &s->self);
	if (err)
		fprintf(stderr, "splittop: --listen: %s\n", strerror(-err));
	return err;
}

void exporter_stop(struct exporter *x)
{
	unsigned int i;

	if (!x)
		return;
	if (x->d)
		MHD_stop_daemon(x->d);
	basic_auth_free(x->auth);
	pthread_mutex_destroy(&x->lock);
	free(x->text[0]);
	free(x->text[1]);
	for (i = 0; i < x->nlive; i++)
		om_vm_release(&x->vms[i]);
	for (i = 0; i < x->ndead; i++)
		om_vm_release(&x->dead[i].v);
	free(x->vms);
	free(x->dead);
	free(x);
}
#endif
