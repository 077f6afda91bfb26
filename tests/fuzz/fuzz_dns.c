/* fuzz_dns.c: kubeproxy's DNS parser on hostile packets, and an answer written to what it accepts. */
#include <errno.h>
#include <string.h>

#include "kubeproxy/dns_msg.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_dns_msg msg;
	int rc = kp_dns_msg_parse(data, size, &msg);

	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
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
