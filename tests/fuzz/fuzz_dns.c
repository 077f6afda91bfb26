/* fuzz_dns.c: kubeproxy's DNS parser on hostile packets, an answer written to what it accepts, and the zone's answer. */
#include <errno.h>
#include <string.h>

#include "common/json.h"
#include "kubeproxy/dns_answer.h"
#include "kubeproxy/dns_msg.h"
#include "tests/fuzz/fuzz_util.h"

/* A small cluster for kp_dns_answer: a ClusterIP Service, an IPv6 one, a headless one with endpoints. */
static struct {
	const char *key, *svc, *eps;
	struct kp_svc_view *sv;
	struct kp_eps_view *ev;
} objs[] = {
	{"default/web", "{\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"name\":\"http\",\"port\":80}]}}", NULL,
	 NULL, NULL},
	{"default/v6", "{\"spec\":{\"clusterIP\":\"fd00::10\",\"ports\":[{\"port\":80}]}}", NULL, NULL, NULL},
	{"default/db", "{\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"pg\",\"port\":5432}]}}",
	 "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.244.1.5\",\"hostname\":\"pg-0\"},{\"ip\":\"10.244.2.6\"},"
	 "{\"ip\":\"fd00::4:3\"}],\"ports\":[{\"name\":\"pg\",\"port\":5432}]}]}",
	 NULL, NULL},
	{"default/ext", "{\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com.\"}}", NULL, NULL,
	 NULL},
};
#define NOBJS (sizeof(objs) / sizeof(objs[0]))

static void *decode(int (*fn)(const cJSON *, void **), const char *text)
{
	cJSON *j;
	void *v = NULL;

	if (!text)
		return NULL;
	if (cm_json_parse(text, strlen(text), &j, NULL) < 0 || fn(j, &v) < 0)
		abort();
	cJSON_Delete(j);
	return v;
}

static const struct kp_svc_view *get_svc(void *ud, const char *key)
{
	(void)ud;
	for (size_t i = 0; i < NOBJS; i++)
		if (!strcmp(objs[i].key, key))
			return objs[i].sv;
	return NULL;
}

static const struct kp_eps_view *get_eps(void *ud, const char *key)
{
	(void)ud;
	for (size_t i = 0; i < NOBJS; i++)
		if (!strcmp(objs[i].key, key))
			return objs[i].ev;
	return NULL;
}

static void each_svc(void *ud, int (*fn)(void *arg, const char *key, const struct kp_svc_view *svc), void *arg)
{
	(void)ud;
	for (size_t i = 0; i < NOBJS; i++)
		if (fn(arg, objs[i].key, objs[i].sv))
			return;
}

/* The zone's answer over UDP and TCP: within its bounds, and itself a well-formed message. */
static void answer(const uint8_t *data, size_t size)
{
	static const struct kp_dns_source src = {get_svc, get_eps, NULL, each_svc};
	static const struct kp_dns_zone zone = {"cluster.local", 5};
	static uint8_t out[65535];
	static struct kp_dns_msg m;

	if (!objs[0].sv)
		for (size_t i = 0; i < NOBJS; i++) {
			objs[i].sv = decode(kp_svc_decode, objs[i].svc);
			objs[i].ev = decode(kp_eps_decode, objs[i].eps);
		}
	for (int tcp = 0; tcp <= 1; tcp++) {
		size_t outlen = 0;
		enum kp_dns_verdict v = kp_dns_answer(&zone, &src, data, size, tcp, out, sizeof(out), &outlen);
		FUZZ_CHECK(v == KP_DNS_ANSWERED || v == KP_DNS_FORWARD || v == KP_DNS_DROP);
		if (v != KP_DNS_ANSWERED)
			continue;
		FUZZ_CHECK(outlen >= KP_DNS_HEADER_LEN && outlen <= (tcp ? 65535 : KP_DNS_EDNS_MAX));
		FUZZ_CHECK(kp_dns_msg_parse(out, outlen, &m) == 0);
		FUZZ_CHECK(m.hdr.flags & KP_DNS_F_QR);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_dns_msg msg;
	int rc = kp_dns_msg_parse(data, size, &msg);

	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	answer(data, size);
	/* Names read from any offset stay within the packet and the name limit. */
	for (size_t off = 12; off < size && off < 64; off++) {
		char name[KP_DNS_NAME_MAX + 1];
		size_t at = off;
		if (kp_dns_name_read(data, size, &at, true, name) == 0)
			FUZZ_CHECK(at <= size && strlen(name) <= KP_DNS_NAME_MAX);
	}
	if (rc != 0 || !msg.has_question)
		return 0;
	/* What the server would do: echo the question, add a record, and read it back. */
	uint8_t out[512];
	struct kp_dns_writer w;
	struct kp_dns_msg again;
	static const uint8_t ip[4] = {10, 96, 0, 1};

	kp_dns_writer_init(&w, out, sizeof(out), &msg.hdr);
	if (kp_dns_write_question(&w, msg.qname, msg.qtype, msg.qclass) != 0)
		return 0;
	(void)kp_dns_write_rr(&w, KP_DNS_ANSWER, msg.qname, 1, 30, ip, sizeof(ip));
	FUZZ_CHECK(w.len <= sizeof(out));
	FUZZ_CHECK(kp_dns_msg_parse(out, w.len, &again) == 0 || w.truncated);
	return 0;
}
