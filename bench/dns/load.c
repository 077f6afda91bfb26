/* load.c: a DNS load generator on libuv: a fixed number of UDP queries in flight, latencies to the microsecond. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "kubeproxy/addr.h"
#include "kubeproxy/dns_msg.h"

/*
 * Usage: dns_load SERVER_IP PORT NAMES_FILE CONCURRENCY SECONDS
 * Each of CONCURRENCY slots sends an A query for the next name (round robin
 * over the file), waits for its answer (matched by id, which is the slot
 * number plus a generation), records the time, and sends the next. A query
 * unanswered after 1 s counts as lost and the slot moves on. Prints one JSON
 * line: qps, p50/p90/p99/max in microseconds, answered, lost, and rcodes.
 * One socket, so the numbers are the server's, not the client's fan-out.
 */
#define TIMEOUT_NS 1000000000ull

struct slot {
	uint64_t sent_ns;
	uint16_t id;
	bool busy;
};

struct gen {
	uv_loop_t *loop;
	uv_udp_t sock;
	uv_timer_t stop, sweep;
	struct sockaddr_storage server;
	char **names;
	size_t nnames, next_name;
	struct slot *slots;
	size_t nslots;
	uint32_t *lat_us;
	size_t nlat, caplat;
	uint64_t lost, rcodes[16], start_ns, end_ns;
	bool stopping;
	uint8_t rbuf[65536];
};

static void send_one(struct gen *g, size_t i)
{
	struct slot *s = &g->slots[i];
	struct kp_dns_writer w;
	struct kp_dns_header h;
	uint8_t q[300];

	if (g->stopping) {
		s->busy = false;
		return;
	}
	/* the id names the slot (low bits) and changes each time (high bits), so late answers are told apart */
	s->id = (uint16_t)(((s->id >> 10) + 1) << 10 | i);
	h.id = s->id;
	h.flags = KP_DNS_F_RD;
	kp_dns_writer_init(&w, q, sizeof(q), &h);
	kp_dns_write_question(&w, g->names[g->next_name++ % g->nnames], KP_DNS_T_A, KP_DNS_C_IN);
	size_t n = kp_dns_writer_finish(&w, 0);
	uv_buf_t b = uv_buf_init((char *)q, (unsigned)n);
	s->sent_ns = uv_hrtime();
	s->busy = true;
	if (uv_udp_try_send(&g->sock, &b, 1, (const struct sockaddr *)&g->server) < 0)
		s->sent_ns = 0; /* the sweep retries it */
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct gen *g = h->data;

	(void)hint;
	*b = uv_buf_init((char *)g->rbuf, sizeof(g->rbuf));
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from, unsigned flags)
{
	struct gen *g = u->data;
	const uint8_t *m = (const uint8_t *)b->base;

	(void)from;
	(void)flags;
	if (n < KP_DNS_HEADER_LEN)
		return;
	uint16_t id = (uint16_t)((m[0] << 8) | m[1]);
	size_t i = id & 0x3ff;
	if (i >= g->nslots || !g->slots[i].busy || g->slots[i].id != id)
		return;
	uint64_t now = uv_hrtime();
	if (g->nlat == g->caplat) {
		size_t cap = g->caplat ? g->caplat * 2 : 65536;
		uint32_t *nl = realloc(g->lat_us, cap * sizeof(*nl));
		if (!nl)
			return;
		g->lat_us = nl;
		g->caplat = cap;
	}
	g->lat_us[g->nlat++] = (uint32_t)((now - g->slots[i].sent_ns) / 1000);
	g->rcodes[m[3] & 0xf]++;
	send_one(g, i);
}

static void on_sweep(uv_timer_t *t)
{
	struct gen *g = t->data;
	uint64_t now = uv_hrtime();

	for (size_t i = 0; i < g->nslots; i++)
		if (g->slots[i].busy && now - g->slots[i].sent_ns > TIMEOUT_NS) {
			if (g->slots[i].sent_ns)
				g->lost++;
			send_one(g, i);
		}
}

static void on_stop(uv_timer_t *t)
{
	struct gen *g = t->data;

	g->stopping = true;
	g->end_ns = uv_hrtime();
	uv_udp_recv_stop(&g->sock);
	uv_close((uv_handle_t *)&g->sock, NULL);
	uv_close((uv_handle_t *)&g->sweep, NULL);
	uv_close((uv_handle_t *)&g->stop, NULL);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint32_t pct(const struct gen *g, double p)
{
	if (!g->nlat)
		return 0;
	size_t k = (size_t)(p * (double)(g->nlat - 1));
	return g->lat_us[k];
}

static int read_names(const char *path, struct gen *g)
{
	FILE *f = fopen(path, "r");
	char line[300];
	size_t cap = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!*line)
			continue;
		if (g->nnames == cap) {
			cap = cap ? cap * 2 : 1024;
			char **nn = realloc(g->names, cap * sizeof(*nn));
			if (!nn)
				break;
			g->names = nn;
		}
		g->names[g->nnames++] = strdup(line);
	}
	fclose(f);
	return g->nnames ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	struct gen g = {0};
	struct kp_addr a;
	struct sockaddr_in any = {.sin_family = AF_INET};

	if (argc != 6 || kp_addr_parse(argv[1], atoi(argv[2]), &a) < 0 || read_names(argv[3], &g) < 0) {
		fprintf(stderr, "usage: dns_load SERVER_IP PORT NAMES_FILE CONCURRENCY SECONDS\n");
		return 2;
	}
	g.nslots = (size_t)atoi(argv[4]);
	if (g.nslots < 1 || g.nslots > 1024) {
		fprintf(stderr, "dns_load: concurrency must be 1..1024\n");
		return 2;
	}
	kp_addr_to_sockaddr(&a, &g.server);
	g.slots = calloc(g.nslots, sizeof(*g.slots));
	g.loop = uv_default_loop();
	uv_udp_init(g.loop, &g.sock);
	uv_timer_init(g.loop, &g.stop);
	uv_timer_init(g.loop, &g.sweep);
	g.sock.data = g.stop.data = g.sweep.data = &g;
	uv_udp_bind(&g.sock, (const struct sockaddr *)&any, 0);
	int big = 4 << 20;
	uv_recv_buffer_size((uv_handle_t *)&g.sock, &big);
	uv_udp_recv_start(&g.sock, on_alloc, on_recv);
	uv_timer_start(&g.stop, on_stop, (uint64_t)atoi(argv[5]) * 1000, 0);
	uv_timer_start(&g.sweep, on_sweep, 100, 100);
	g.start_ns = uv_hrtime();
	for (size_t i = 0; i < g.nslots; i++)
		send_one(&g, i);
	uv_run(g.loop, UV_RUN_DEFAULT);
	qsort(g.lat_us, g.nlat, sizeof(*g.lat_us), cmp_u32);
	double secs = (double)(g.end_ns - g.start_ns) / 1e9;
	printf("{\"qps\": %.0f, \"p50_us\": %u, \"p90_us\": %u, \"p99_us\": %u, \"max_us\": %u, \"answered\": %zu, "
	       "\"lost\": %llu, \"noerror\": %llu, \"nxdomain\": %llu, \"other\": %llu}\n",
	       (double)g.nlat / secs, pct(&g, 0.50), pct(&g, 0.90), pct(&g, 0.99), g.nlat ? g.lat_us[g.nlat - 1] : 0,
	       g.nlat, (unsigned long long)g.lost, (unsigned long long)g.rcodes[0], (unsigned long long)g.rcodes[3],
	       (unsigned long long)(g.nlat - g.rcodes[0] - g.rcodes[3]));
	for (size_t i = 0; i < g.nnames; i++)
		free(g.names[i]);
	free(g.names);
	free(g.slots);
	free(g.lat_us);
	uv_loop_close(g.loop);
	return 0;
}
