// SPDX-License-Identifier: GPL-2.0-only
/* --listen's gate (conn_gate.h): the limits per address, per network and
 * in all, who is displaced for whom, and the deadlines, on made-up
 * addresses and clocks. */
#include "splittop/http/conn_gate.h"
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

/* The fds the gate cut, in order; each connection's fd is its number. */
static int cuts[4096];
static unsigned int ncuts;
static int next_fd = 100;

static void record_cut(int fd)
{
	if (ncuts < sizeof(cuts) / sizeof(cuts[0]))
		cuts[ncuts++] = fd;
}

/* A connection from addr (IPv4 or IPv6 text) at now, opened at once: its
 * handle, or NULL if refused. */
static struct gate_conn *from(struct gate *g, const char *addr, double now, int *fd)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in in = { .sin_family = AF_INET };
	const struct sockaddr *sa = (const struct sockaddr *)&in;
	socklen_t len = sizeof(in);

	if (inet_pton(AF_INET, addr, &in.sin_addr) != 1) {
		inet_pton(AF_INET6, addr, &in6.sin6_addr);
		sa = (const struct sockaddr *)&in6;
		len = sizeof(in6);
	}
	if (!gate_admit(g, sa, len, now))
		return NULL;
	if (fd)
		*fd = next_fd;
	return gate_opened(g, next_fd++);
}

static void per_address_and_network(void)
{
	struct gate *g = gate_new(record_cut);
	struct gate_conn *c[8];
	char a[32];
	unsigned int i, n = 0;
	int fd, first_fd = next_fd;

	for (i = 0; i < 8; i++)
		c[i] = from(g, "10.0.0.1", 1.0 + i, NULL);
	CHECK(c[7] != NULL, "8 from one address");
	CHECK(!from(g, "10.0.0.1", 9.0, NULL), "not a 9th");
	gate_closed(g, c[0]);
	CHECK(from(g, "10.0.0.1", 9.0, NULL) != NULL, "one closed, one more");
	/* The /24 fills: 16 addresses of 8. */
	for (i = 2; i <= 16; i++)
		for (n = 0; n < 8; n++) {
			snprintf(a, sizeof(a), "10.0.0.%u", i);
			from(g, a, 10.0 + i, NULL);
		}
	CHECK_EQ_U64(gate_held(g), GATE_PER_NETWORK, "the /24 full");
	CHECK(from(g, "10.0.1.1", 30.0, NULL) != NULL && ncuts == 0, "another /24: in, no one cut");
	/* A newcomer with none displaces the oldest of the most: 10.0.0.1's second (its first was closed). */
	CHECK(from(g, "10.0.0.99", 31.0, &fd) != NULL, "a newcomer to the full /24 gets in");
	CHECK(ncuts == 1 && cuts[0] == first_fd + 1, "the oldest unproven of an address with 8 was cut (fd %d)",
	      ncuts ? cuts[0] : -1);
	CHECK(!from(g, "10.0.0.1", 32.0, NULL), "the address cut (7 now) cannot take back from one with 8");
	CHECK(from(g, "10.0.0.98", 33.0, NULL) != NULL && ncuts == 2, "another newcomer: in");
	CHECK(from(g, "10.0.0.99", 34.0, NULL) != NULL && ncuts == 3, "10.0.0.99 (1) takes from an 8 again");
	gate_free(g);
}

/* Proven connections are never displaced. */
static void proven_stay(void)
{
	struct gate *g = gate_new(record_cut);
	char a[32];
	unsigned int i, k;

	ncuts = 0;
	for (i = 1; i <= 16; i++)
		for (k = 0; k < 8; k++) {
			snprintf(a, sizeof(a), "10.0.0.%u", i);
			gate_request(g, from(g, a, 1.0, NULL), true, 1.5);
		}
	CHECK(!from(g, "10.0.0.99", 2.0, NULL) && ncuts == 0, "a /24 of proven ones: the newcomer is refused");
	gate_free(g);
}

/* Where the gate stops: a flood from as many addresses of the scraper's
 * own /24 as its share, one each, keeps the scraper out (a firewall's job). */
static void the_limit(void)
{
	struct gate *g = gate_new(record_cut);
	char a[32];
	unsigned int i;

	ncuts = 0;
	for (i = 0; i < GATE_PER_NETWORK; i++) {
		snprintf(a, sizeof(a), "10.0.0.%u", i + 2);
		from(g, a, 1.0, NULL);
	}
	CHECK(!from(g, "10.0.0.1", 2.0, NULL) && ncuts == 0, "%u addresses of one each: refused", GATE_PER_NETWORK);
	CHECK(from(g, "10.0.1.1", 2.0, NULL) != NULL, "the next /24 is not");
	gate_free(g);
}

/* 59 addresses of a /24 take all they can, taking places from each other;
 * then the scraper from the same /24 gets in, and stays. */
static void flood_of_one_network(void)
{
	struct gate *g = gate_new(record_cut);
	struct gate_conn *scraper;
	char a[32];
	unsigned int round, i, before;
	int fd;
	double t = 1.0;

	ncuts = 0;
	for (round = 0; round < 8; round++)
		for (i = 2; i <= 60; i++) {
			snprintf(a, sizeof(a), "127.0.0.%u", i);
			from(g, a, t += 0.001, NULL);
		}
	CHECK_EQ_U64(gate_held(g), GATE_PER_NETWORK, "the flood holds the /24's share");
	before = ncuts;
	scraper = from(g, "127.0.0.1", t += 0.001, &fd);
	CHECK(scraper && ncuts == before + 1, "the scraper gets in, one of the flood cut");
	for (i = 2; i <= 60; i++) {
		snprintf(a, sizeof(a), "127.0.0.%u", i);
		from(g, a, t += 0.001, NULL);
	}
	for (i = 0; i < ncuts; i++)
		if (cuts[i] == fd)
			break;
	CHECK(i == ncuts, "the flood, trying again, cannot take the scraper's place");
	CHECK_EQ_U64(gate_counts(g).evicted, ncuts, "every cut counted");
	gate_free(g);
}

/* All networks together: GATE_CONNECTIONS; a newcomer network takes from
 * the fullest; IPv6 by /64, IPv4 in IPv6 by /24. */
static void whole_and_ipv6(void)
{
	struct gate *g = gate_new(record_cut);
	unsigned int net, i, full = GATE_CONNECTIONS / GATE_PER_NETWORK;
	char a[64];

	ncuts = 0;
	for (net = 0; net < full; net++)
		for (i = 0; i < GATE_PER_NETWORK; i++) {
			snprintf(a, sizeof(a), "2001:db8:0:%x::%x", net, i + 1);
			from(g, a, 1.0 + net, NULL);
		}
	CHECK_EQ_U64(gate_held(g), GATE_CONNECTIONS, "full /64s: the whole is full");
	CHECK(from(g, "2001:db8:1::1", 10.0, NULL) && ncuts == 1, "a newcomer /64 takes one place");
	CHECK(from(g, "192.0.2.1", 11.0, NULL) && ncuts == 2, "so does an IPv4 /24");
	CHECK(from(g, "::ffff:192.0.2.2", 12.0, NULL) && ncuts == 3, "its neighbour in IPv6 clothes too");
	CHECK(!from(g, "2001:db8::ffff", 13.0, NULL), "the first /64 (127 now) cannot take from one with 128");
	gate_free(g);
}

static void deadlines(void)
{
	struct gate *g = gate_new(record_cut);
	struct gate_conn *slow, *scraper;
	int slow_fd, scraper_fd;

	ncuts = 0;
	slow = from(g, "10.0.0.1", 100.0, &slow_fd);
	scraper = from(g, "10.0.0.2", 100.0, &scraper_fd);
	CHECK(slow && scraper, "two in");
	gate_request(g, scraper, true, 100.2);
	gate_request(g, slow, false, 101.0);	/* a 401: no more time for that */
	CHECK(gate_expire(g, 100.0 + GATE_HEADERS_S - 0.01) == 0, "none cut before the headers' deadline");
	CHECK(gate_expire(g, 100.0 + GATE_HEADERS_S) == 1 && ncuts == 1 && cuts[0] == slow_fd,
	      "the unproven one cut at its deadline, whatever it sent");
	CHECK(gate_expire(g, 100.2 + GATE_RESPONSE_S - 0.01) == 0, "the proven one has its response's time");
	gate_request(g, scraper, true, 105.0);
	CHECK(gate_expire(g, 105.0 + GATE_RESPONSE_S - 0.01) == 0, "and a next request's, from that one");
	CHECK(gate_expire(g, 105.0 + GATE_RESPONSE_S) == 1 && cuts[1] == scraper_fd, "and no more");
	gate_request(g, scraper, true, 200.0);
	CHECK(gate_expire(g, 300.0) == 0, "a cut one is past asking");
	CHECK_EQ_U64(gate_held(g), 0, "both gone");
	gate_closed(g, slow);
	gate_closed(g, scraper);
	/* Admitted, never opened: gone at its deadline, with no socket to cut. */
	CHECK(gate_admit(g, NULL, 0, 400.0) && gate_held(g) == 1, "admitted, pending");
	CHECK(gate_expire(g, 400.0 + GATE_HEADERS_S) == 1 && ncuts == 2, "expired, nothing to cut");
	CHECK(!gate_opened(g, 5) && gate_held(g) == 0, "and not to be opened");
	CHECK_EQ_U64(gate_counts(g).expired, 3, "three expired");
	gate_free(g);
}

/* Cut ones keep their slot until the server has closed them: past
 * GATE_SLOTS in all, refused. */
static void slots(void)
{
	struct gate *g = gate_new(record_cut);
	struct gate_conn *c[GATE_SLOTS];
	char a[64];
	unsigned int i, n = 0;

	ncuts = 0;
	for (i = 0; i < GATE_SLOTS; i++) {
		snprintf(a, sizeof(a), "10.%u.%u.1", i / 256, i % 256);
		c[i] = from(g, a, 1.0, NULL);
	}
	for (i = 0; i < GATE_SLOTS; i++)
		n += c[i] != NULL;
	CHECK_EQ_U64(n, GATE_CONNECTIONS, "one a /24 from as many: the whole's limit");
	CHECK_EQ_U64(gate_expire(g, 1.0 + GATE_HEADERS_S), GATE_CONNECTIONS, "all expired");
	for (i = 0, n = 0; i < GATE_SLOTS; i++) {
		snprintf(a, sizeof(a), "172.16.%u.%u", i / 256, i % 256);
		n += from(g, a, 7.0, NULL) != NULL;
	}
	CHECK_EQ_U64(n, GATE_SLOTS - GATE_CONNECTIONS, "beside the cut ones not yet closed: the slots left");
	for (i = 0; i < GATE_SLOTS; i++)
		gate_closed(g, c[i]);
	CHECK(from(g, "192.0.2.1", 8.0, NULL) != NULL, "closed: room again");
	gate_free(g);
}

int main(void)
{
	per_address_and_network();
	proven_stay();
	the_limit();
	flood_of_one_network();
	whole_and_ipv6();
	deadlines();
	slots();
	return unit_done();
}
