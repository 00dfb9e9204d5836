// SPDX-License-Identifier: GPL-2.0-only
#include "conn_gate.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum slot_state {
	SLOT_FREE,
	SLOT_PENDING,		/* admitted, its socket not yet known */
	SLOT_OPEN,
	SLOT_CUT,		/* shut down; the server has yet to close it */
};

enum level { BY_ADDRESS, BY_NETWORK };

struct gate_conn {
	enum slot_state state;
	int fd;
	unsigned char addr[16];	/* IPv6, or IPv4 as ::ffff:a.b.c.d */
	unsigned int net_len;	/* addr's bytes that name its network: 15 (a /24), 8 (a /64) */
	bool proven;
	double since, deadline;
	/* Live connections (pending or open) from its address, its network, itself included. */
	unsigned int same_addr, same_net;
};

struct gate {
	pthread_mutex_t lock;
	void (*cut)(int fd);
	struct gate_conn *pending;
	unsigned int live;
	struct gate_counts counts;
	struct gate_conn slot[GATE_SLOTS];
};

struct gate *gate_new(void (*cut)(int fd))
{
	struct gate *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	pthread_mutex_init(&g->lock, NULL);
	g->cut = cut;
	return g;
}

void gate_free(struct gate *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static bool is_live(const struct gate_conn *c)
{
	return c->state == SLOT_PENDING || c->state == SLOT_OPEN;
}

static bool same_group(const struct gate_conn *a, const struct gate_conn *b, enum level l)
{
	if (l == BY_ADDRESS)
		return !memcmp(a->addr, b->addr, sizeof(a->addr));
	return a->net_len == b->net_len && !memcmp(a->addr, b->addr, a->net_len);
}

static unsigned int group_size(const struct gate_conn *c, enum level l)
{
	return l == BY_ADDRESS ? c->same_addr : c->same_net;
}

/* Where sa is from.  A family other than IPv4 and IPv6 (none reaches an
 * inet listener) is one address, "::". */
static void key_of(const struct sockaddr *sa, socklen_t len, struct gate_conn *k)
{
	memset(k, 0, sizeof(*k));
	k->net_len = 8;
	if (sa && sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		k->addr[10] = k->addr[11] = 0xff;
		memcpy(k->addr + 12, &in->sin_addr, 4);
		k->net_len = 15;
	} else if (sa && sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		memcpy(k->addr, &in6->sin6_addr, sizeof(k->addr));
		/* A dual-stack listener sees IPv4 clients so: their network is a /24 too. */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			k->net_len = 15;
	}
}

/* c, just made live, counted in its groups and they in its. */
static void join(struct gate *g, struct gate_conn *c)
{
	unsigned int i;

	c->same_addr = c->same_net = 1;
	for (i = 0; i < GATE_SLOTS; i++) {
		struct gate_conn *o = &g->slot[i];

		if (o == c || !is_live(o))
			continue;
		if (same_group(o, c, BY_NETWORK)) {
			o->same_net++;
			c->same_net++;
		}
		if (same_group(o, c, BY_ADDRESS)) {
			o->same_addr++;
			c->same_addr++;
		}
	}
	g->live++;
}

/* c, live, is no longer: to (SLOT_CUT or SLOT_FREE). */
static void leave(struct gate *g, struct gate_conn *c, enum slot_state to)
{
	unsigned int i;

	for (i = 0; i < GATE_SLOTS; i++) {
		struct gate_conn *o = &g->slot[i];

		if (o == c || !is_live(o))
			continue;
		o->same_net -= same_group(o, c, BY_NETWORK);
		o->same_addr -= same_group(o, c, BY_ADDRESS);
	}
	g->live--;
	if (g->pending == c)
		g->pending = NULL;
	c->state = to;
}

/* End c: an open one by its socket (the server closes it, then
 * gate_closed); a pending one has none yet (gate_opened will say so). */
static void cut_conn(struct gate *g, struct gate_conn *c)
{
	if (c->state == SLOT_OPEN) {
		g->cut(c->fd);
		leave(g, c, SLOT_CUT);
	} else {
		leave(g, c, SLOT_FREE);
	}
}

/* Whom a newcomer k, whose group at level l holds mine, may take the place
 * of: an unproven connection (within k's network, if in_net) of the group
 * that holds the most, at least mine + 2 (so that no two groups can take
 * turns), the oldest of that group.  NULL if none. */
static struct gate_conn *victim(struct gate *g, const struct gate_conn *k, bool in_net, enum level l,
				unsigned int mine)
{
	struct gate_conn *best = NULL;
	unsigned int i;

	for (i = 0; i < GATE_SLOTS; i++) {
		struct gate_conn *o = &g->slot[i];
		unsigned int n = group_size(o, l);

		if (!is_live(o) || o->proven || (in_net && !same_group(o, k, BY_NETWORK)) || n < mine + 2)
			continue;
		if (!best || n > group_size(best, l) || (n == group_size(best, l) && o->since < best->since))
			best = o;
	}
	return best;
}

/* Whether k may come in, and whom it displaces (*v, or NULL).  Under lock. */
static bool may_enter(struct gate *g, const struct gate_conn *k, struct gate_conn **v)
{
	unsigned int i, n_addr = 0, n_net = 0;

	*v = NULL;
	for (i = 0; i < GATE_SLOTS; i++)
		if (is_live(&g->slot[i])) {
			n_addr += same_group(&g->slot[i], k, BY_ADDRESS);
			n_net += same_group(&g->slot[i], k, BY_NETWORK);
		}
	if (n_addr >= GATE_PER_ADDRESS)
		return false;
	if (n_net >= GATE_PER_NETWORK)
		return (*v = victim(g, k, true, BY_ADDRESS, n_addr)) != NULL;
	if (g->live >= GATE_CONNECTIONS)
		return (*v = victim(g, k, false, BY_NETWORK, n_net)) != NULL;
	return true;
}

bool gate_admit(struct gate *g, const struct sockaddr *sa, socklen_t len, double now)
{
	struct gate_conn k, *room = NULL, *v;
	unsigned int i;
	bool ok;

	key_of(sa, len, &k);
	pthread_mutex_lock(&g->lock);
	for (i = 0; i < GATE_SLOTS && !room; i++)
		if (g->slot[i].state == SLOT_FREE)
			room = &g->slot[i];
	ok = room && may_enter(g, &k, &v);
	if (ok) {
		if (v) {
			cut_conn(g, v);
			g->counts.evicted++;
		}
		*room = k;
		room->state = SLOT_PENDING;
		room->fd = -1;
		room->since = now;
		room->deadline = now + GATE_HEADERS_S;
		join(g, room);
		g->pending = room;
		g->counts.admitted++;
	} else {
		g->counts.refused++;
	}
	pthread_mutex_unlock(&g->lock);
	return ok;
}

struct gate_conn *gate_opened(struct gate *g, int fd)
{
	struct gate_conn *c;

	pthread_mutex_lock(&g->lock);
	c = g->pending;
	g->pending = NULL;
	if (c) {
		c->state = SLOT_OPEN;
		c->fd = fd;
	}
	pthread_mutex_unlock(&g->lock);
	return c;
}

void gate_request(struct gate *g, struct gate_conn *c, bool proven, double now)
{
	if (!c || !proven)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->state == SLOT_OPEN) {
		c->proven = true;
		c->deadline = now + GATE_RESPONSE_S;
	}
	pthread_mutex_unlock(&g->lock);
}

void gate_closed(struct gate *g, struct gate_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (is_live(c))
		leave(g, c, SLOT_FREE);
	c->state = SLOT_FREE;
	pthread_mutex_unlock(&g->lock);
}

unsigned int gate_expire(struct gate *g, double now)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < GATE_SLOTS; i++)
		if (is_live(&g->slot[i]) && g->slot[i].deadline <= now) {
			cut_conn(g, &g->slot[i]);
			n++;
		}
	g->counts.expired += n;
	pthread_mutex_unlock(&g->lock);
	return n;
}

unsigned int gate_held(struct gate *g)
{
	unsigned int n;

	pthread_mutex_lock(&g->lock);
	n = g->live;
	pthread_mutex_unlock(&g->lock);
	return n;
}

struct gate_counts gate_counts(struct gate *g)
{
	struct gate_counts c;

	pthread_mutex_lock(&g->lock);
	c = g->counts;
	pthread_mutex_unlock(&g->lock);
	return c;
}
