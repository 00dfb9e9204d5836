// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: any bytes as an HTTP request to --listen's server (the real
 * exporter, libmicrohttpd in its own thread, on a loopback port, with a
 * basic_auth_users web config): request lines, headers, Authorization
 * headers, bodies, pipelined requests.  Each input is one connection; its
 * first byte says whether the rest follows a request line and
 * "Authorization: " (the fuzzer then works on the credentials), or a valid
 * user's whole header (it works on what comes after), or stands alone.
 * What must hold: the server answers with an HTTP status line (429 too:
 * the bcrypt budget, basic_auth.h) or closes
 * the connection, never hangs on a client that has finished sending, never
 * answers 200 to bytes without the valid credentials in them, and, every 64
 * inputs, still serves /metrics to the right password. */
#include "splittop/http/exporter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* One user, "fz", password "pass-word", bcrypt at cost 4 (the least: the
 * fuzzer checks thousands a second).  12 bytes of "fz:pass-word": its
 * base64 has no padding and no spare bits, the one spelling a decoder can
 * take. */
#define USER_HASH "$2b$04$FAqFM4sva2.DHWL.3yPQoePQQ3fkQRsVddlp55FmLY0lTgQnQ5JFS"
#define TOKEN "Zno6cGFzcy13b3Jk"
#define REQUEST "GET /metrics HTTP/1.1\r\nHost: x\r\n"

static struct exporter *server;
static struct sockaddr_in server_addr;
static unsigned long inputs;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void die(const char *what, const char *head)
{
	fprintf(stderr, "fuzz_http: input %lu: %s (%m), reply '%.40s'\n", inputs, what, head);
	abort();
}

/* A free loopback port: bound by us, then left for the exporter. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || getsockname(fd, (struct sockaddr *)&a, &len))
		abort();
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void check_still_serving(void);

/* Another program may take the free port before the exporter binds it:
 * then another port, a few times. */
static void start(void)
{
	static struct self_stats self;
	static struct web_user user = { "fz", USER_HASH };
	static struct web_config wc = { .users = &user, .nusers = 1 };
	int tries;

	for (tries = 0; !server && tries < 10; tries++) {
		struct listen_addr a = { 0 };

		server_addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(free_port()),
						    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		memcpy(&a.ss, &server_addr, sizeof(server_addr));
		a.len = sizeof(server_addr);
		snprintf(a.text, sizeof(a.text), "127.0.0.1:%d", ntohs(server_addr.sin_port));
		server = exporter_start(&a, &self, &wc);
	}
	if (!server)
		die("no loopback port to listen on", "");
	/* The right password once, before any input can spend the bcrypt
	 * budget: from then on it is known, and checked without bcrypt. */
	check_still_serving();
}

/* libFuzzer's timer (-timeout) interrupts system calls with SIGALRM. */
static int connect_fd(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (!connect(fd, (struct sockaddr *)&server_addr, sizeof(server_addr)))
		return 0;
	if (errno != EINTR)
		return -1;
	/* The connection goes on; wait for its outcome. */
	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* poll for POLLIN until the deadline (CLOCK_MONOTONIC ms): 1 ready, 0 not. */
static int wait_readable(int fd, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		long long left = deadline - now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return 0;
	}
}

/* Send data from a loopback address of its own (the server limits
 * connections per address), then read until the server closes.  The
 * reply's first bytes, NUL-terminated, into head.  -1: no close in 4 s. */
static int exchange(const uint8_t *data, size_t size, char *head, size_t head_size)
{
	struct sockaddr_in from = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(0x7f000100u | (1 + inputs % 250)) };
	long long deadline;
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	head[0] = '\0';
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) || connect_fd(fd))
		die("connect", head);
	/* The server may close before all is sent (a bad request line): fine. */
	while (size) {
		ssize_t n = send(fd, data, size, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		data += n;
		size -= n;
	}
	shutdown(fd, SHUT_WR);
	deadline = now_ms() + 4000;
	for (;;) {
		char buf[4096];
		ssize_t n;

		if (!wait_readable(fd, deadline)) {
			close(fd);
			return -1;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got + 1 < head_size) {
			size_t k = (size_t)n < head_size - 1 - got ? (size_t)n : head_size - 1 - got;

			memcpy(head + got, buf, k);
			got += k;
			head[got] = '\0';
		}
	}
	close(fd);
	return 0;
}

static void check_still_serving(void)
{
	static const char scrape[] = REQUEST "Authorization: Basic " TOKEN "\r\nConnection: close\r\n\r\n";
	char head[64];

	if (exchange((const uint8_t *)scrape, sizeof(scrape) - 1, head, sizeof(head)) ||
	    strncmp(head, "HTTP/1.1 200 ", 13))
		die("a scrape after it failed", head);
}

/* The bytes sent: data[1..] after the prefix data[0] picks. */
static uint8_t *request_of(const uint8_t *data, size_t size, size_t *len)
{
	static const char *const prefix[] = { "", REQUEST "Authorization: ",
					      REQUEST "Authorization: Basic " TOKEN };
	const char *p = size ? prefix[data[0] % 3] : "";
	size_t n = strlen(p), rest = size ? size - 1 : 0;
	uint8_t *buf = malloc(n + rest + 1);

	if (!buf)
		abort();
	memcpy(buf, p, n);
	if (rest)
		memcpy(buf + n, data + 1, rest);
	*len = n + rest;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char head[16];
	size_t len;
	uint8_t *req;

	if (!server)
		start();
	inputs++;
	req = request_of(data, size, &len);
	if (exchange(req, len, head, sizeof(head)))
		die("the client finished; no answer and no close in 4 s", head);
	/* Nothing, or a status line... */
	if (head[0] && (strncmp(head, "HTTP/1.", 7) || strlen(head) < 13 || head[8] != ' ' ||
			head[9] < '1' || head[9] > '5'))
		die("not a status line", head);
	/* ...and 200 only to the one who knows the password. */
	if (head[0] && !strncmp(head + 8, " 200", 4) && !memmem(req, len, TOKEN, strlen(TOKEN)))
		die("200 without the credentials", head);
	free(req);
	if (inputs % 64 == 0)
		check_still_serving();
	return 0;
}
