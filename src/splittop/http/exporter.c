// SPDX-License-Identifier: GPL-2.0-only
#include "exporter.h"
#include "basic_auth.h"
#include "common/clock.h"
#include "conn_gate.h"
#include "splittop/output/openmetrics.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
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

struct exporter {
	struct MHD_Daemon *d;
	struct gate *gate;		/* who may connect, and until when */
	struct basic_auth *auth;	/* basic_auth_users, if any */
	enum client_auth client_auth;
	/* The reaper, which cuts connections past their deadline. */
	pthread_t reaper;
	bool reaping, stopping;		/* stopping: under reap_lock */
	pthread_mutex_t reap_lock;
	pthread_cond_t reap_cond;
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

/* The gate's handle of c (conn_gate.h), set when it connected. */
static struct gate_conn *gate_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_len, void **state)
{
	struct exporter *x = cls;
	bool om, cert_ok;
	enum auth_result auth;
	char *body;
	size_t len;

	(void)version; (void)upload; (void)upload_len; (void)state;
	/* Who asks, before what is asked: a stranger learns nothing, not even a 404. */
	cert_ok = x->client_auth == CLIENT_AUTH_NONE || client_cert_ok(c, x->client_auth == CLIENT_AUTH_REQUIRE);
	auth = !cert_ok ? AUTH_DENIED : x->auth ? basic_auth_of(x->auth, c) : AUTH_OK;
	/* One that passed is a scraper: never displaced, and its time from now on
	 * is a response's (after which libmicrohttpd 0.9.75 closes the
	 * connection: it does so when the reply is queued in this first call). */
	gate_request(x->gate, gate_conn_of(c), auth == AUTH_OK, now_mono());
	if (!cert_ok)
		return reply_text(c, MHD_HTTP_FORBIDDEN, "splittop: a client certificate that the CA signed is needed\n",
				  NULL);
	switch (auth) {
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

/* The gate's hooks into libmicrohttpd, all called from its thread. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct exporter *x = cls;

	return gate_admit(x->gate, sa, len, now_mono()) ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct exporter *x = cls;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		gate_closed(x->gate, *socket_context);
		*socket_context = NULL;
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	*socket_context = ci ? gate_opened(x->gate, ci->connect_fd) : NULL;
	/* Not one the gate admitted (it was cut while pending): no place for it. */
	if (ci && !*socket_context)
		shutdown(ci->connect_fd, SHUT_RDWR);
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

#define EXPORTER_IDLE_S		5u	/* a connection silent this long is closed */
#define REAP_EVERY_NS		100000000L	/* deadlines kept to 0.1 s */

/* The daemon's options: the limits, and TLS where the web config has it. */
static void daemon_options(struct MHD_OptionItem *o, int fd, const struct web_config *wc)
{
	unsigned int n = 0;

	/*
	 * The gate (conn_gate.h) limits connections per address, per network
	 * and in all, and closes those past their deadline; libmicrohttpd's
	 * own limit is the gate's slots, never reached first, so that it never
	 * stops accepting (a scraper would wait in the backlog).  IDLE_S
	 * still closes a connection that stalls sooner.
	 */
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, GATE_SLOTS, NULL };
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

/* shutdown(2), not close(2): the socket stays libmicrohttpd's, which sees
 * it end and closes it (conn_gate.h: under the gate's lock). */
static void cut_socket(int fd)
{
	shutdown(fd, SHUT_RDWR);
}

/* Cut the connections past their deadline, until exporter_stop. */
static void *reap(void *arg)
{
	struct exporter *x = arg;
	struct timespec at;

	pthread_mutex_lock(&x->reap_lock);
	while (!x->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_nsec += REAP_EVERY_NS;
		if (at.tv_nsec >= 1000000000L) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&x->reap_cond, &x->reap_lock, &at);
		if (!x->stopping)
			gate_expire(x->gate, now_mono());
	}
	pthread_mutex_unlock(&x->reap_lock);
	return NULL;
}

/* The gate and its reaper.  0 or -errno. */
static int start_gate(struct exporter *x)
{
	pthread_condattr_t attr;
	struct rlimit r;
	int err;

	/* Every slot of the gate may be a socket, beside splittop's BPF objects. */
	if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur < GATE_SLOTS + 512) {
		r.rlim_cur = r.rlim_max < GATE_SLOTS + 512 ? r.rlim_max : GATE_SLOTS + 512;
		setrlimit(RLIMIT_NOFILE, &r);
	}
	x->gate = gate_new(cut_socket);
	if (!x->gate)
		return -ENOMEM;
	pthread_mutex_init(&x->reap_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&x->reap_cond, &attr);
	pthread_condattr_destroy(&attr);
	err = pthread_create(&x->reaper, NULL, reap, x);
	x->reaping = !err;
	return -err;
}

/* The listening socket: bound here, not by libmicrohttpd, so that a port
 * in use is a clear error.  The fd, or -1 (printed). */
static int listen_socket(const struct listen_addr *a)
{
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) || listen(fd, 256)) {
		fprintf(stderr, "splittop: --listen %s: %s\n", a->text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct exporter *exporter_start(const struct listen_addr *a, const struct self_stats *self,
				const struct web_config *wc)
{
	struct exporter *x = calloc(1, sizeof(*x));
	struct MHD_OptionItem opts[10];
	bool tls = wc && wc->tls;
	int fd, err;

	if (!x) {
		fprintf(stderr, "splittop: --listen: %s\n", strerror(ENOMEM));
		return NULL;
	}
	pthread_mutex_init(&x->lock, NULL);
	if (publish(x, NULL, 0, self) || (wc && wc->nusers && !(x->auth = basic_auth_new(wc->users, wc->nusers))))
		err = -ENOMEM;
	else
		err = start_gate(x);
	if (err) {
		fprintf(stderr, "splittop: --listen: %s\n", strerror(-err));
		exporter_stop(x);
		return NULL;
	}
	x->client_auth = tls ? wc->client_auth : CLIENT_AUTH_NONE;
	fd = listen_socket(a);
	if (fd < 0) {
		exporter_stop(x);
		return NULL;
	}
	daemon_options(opts, fd, wc);
	/* poll(), not select(): past FD_SETSIZE descriptors. */
	x->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | (tls ? MHD_USE_TLS : 0) |
				(a->ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				0, on_accept, x, on_request, x, MHD_OPTION_NOTIFY_CONNECTION, on_connection, x,
				MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
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
	if (x->reaping) {
		pthread_mutex_lock(&x->reap_lock);
		x->stopping = true;
		pthread_cond_signal(&x->reap_cond);
		pthread_mutex_unlock(&x->reap_lock);
		pthread_join(x->reaper, NULL);
	}
	if (x->d)
		MHD_stop_daemon(x->d);
	if (x->gate) {
		pthread_cond_destroy(&x->reap_cond);
		pthread_mutex_destroy(&x->reap_lock);
	}
	gate_free(x->gate);
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
