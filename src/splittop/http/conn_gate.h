/* SPDX-License-Identifier: GPL-2.0-only */
/* --listen's gate: which connections the HTTP server takes, and how long
 * each may take to ask.  No libmicrohttpd in here (the exporter wires it
 * in), so that the rules are unit-tested as they are.
 *
 * Limits: GATE_PER_ADDRESS connections from one source address,
 * GATE_PER_NETWORK from one source network (an IPv4 /24, an IPv6 /64),
 * GATE_CONNECTIONS in all.  When a network or the whole is full, a
 * newcomer takes the place of an unproven connection (one that has not yet
 * passed the endpoint's checks: its basic auth, its client certificate)
 * from the address (or network) that holds the most, if that holds at
 * least two more than the newcomer's own; otherwise it is refused.  So a
 * scraper with no connection is refused only by a flood from as many
 * addresses of its own network as the network's share (each holding one),
 * or from as many networks as the whole has room for: a firewall's job.
 *
 * Deadlines, whatever trickles in: a connection's request headers are
 * complete (its TLS handshake included) GATE_HEADERS_S after it connects.
 * One whose request has proven it then has GATE_RESPONSE_S from there for
 * its response (and any request after it on the same connection); one
 * that has not never gets more than its first GATE_HEADERS_S, so with
 * basic auth a connection that has not authenticated by then goes.
 * A connection past its deadline is cut. */
#ifndef SPLITTOP_CONN_GATE_H
#define SPLITTOP_CONN_GATE_H

#include <stdbool.h>
#include <sys/socket.h>

#define GATE_PER_ADDRESS	8u
#define GATE_PER_NETWORK	128u
/* Four full networks; a flood must come from 512 to keep out a
 * network with none (a fleet's Prometheus servers hold one or two). */
#define GATE_CONNECTIONS	512u
/* Room for the cut ones too, until the server has closed them. */
#define GATE_SLOTS		(GATE_CONNECTIONS + GATE_CONNECTIONS / 4)
#define GATE_HEADERS_S		5.0
/* Prometheus' default scrape_timeout: by then its scraper has given up. */
#define GATE_RESPONSE_S		10.0

struct gate;
struct gate_conn;

/* What the gate did, since it was made. */
struct gate_counts {
	unsigned long admitted, refused, evicted, expired;
};

/* cut(fd) ends a connection the gate no longer lets be (shutdown(2): the
 * server then sees it closed); it is called with the gate's lock held, so
 * that the connection cannot be closed and its fd reused meanwhile.  NULL
 * on ENOMEM. */
struct gate *gate_new(void (*cut)(int fd));
void gate_free(struct gate *g);

/* A new connection from sa at now (CLOCK_MONOTONIC seconds): true to take
 * it (it may have cut another to make room), false to refuse it.  The
 * taken one is pending until gate_opened. */
bool gate_admit(struct gate *g, const struct sockaddr *sa, socklen_t len, double now);

/* The pending connection's socket: its handle, or NULL (none pending: cut
 * it). */
struct gate_conn *gate_opened(struct gate *g, int fd);

/* c's request headers are complete at now; proven: they passed every check
 * that the endpoint makes (any request does, where it makes none): c is
 * never displaced, and its deadline is now + GATE_RESPONSE_S. */
void gate_request(struct gate *g, struct gate_conn *c, bool proven, double now);

/* The server has closed c (NULL: nothing): its handle is no more. */
void gate_closed(struct gate *g, struct gate_conn *c);

/* Cut every connection past its deadline at now; how many. */
unsigned int gate_expire(struct gate *g, double now);

/* Connections held now; what the gate did so far. */
unsigned int gate_held(struct gate *g);
struct gate_counts gate_counts(struct gate *g);

#endif
