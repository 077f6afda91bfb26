/* test_kp_dns_msg.c: DNS wire format: parsing with bounds checks, compression, truncation, TCP framing. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kubeproxy/dns_msg.h"
#include "tests/lib/check_run.h"

static uint8_t buf[65536];
static struct kp_dns_msg msg;

#define PARSE_OK(p, n) ck_assert_int_eq(kp_dns_msg_parse((p), (n), &msg), 0)
#define PARSE_BAD(p, n) ck_assert_int_eq(kp_dns_msg_parse((p), (n), &msg), -EBADMSG)

static size_t query(const char *name, uint16_t type, uint16_t id)
{
	struct kp_dns_writer w;
	struct kp_dns_header h = {.id = id, .flags = KP_DNS_F_RD};

	kp_dns_writer_init(&w, buf, sizeof(buf), &h);
	ck_assert_int_eq(kp_dns_write_question(&w, name, type, KP_DNS_C_IN), 0);
	return kp_dns_writer_finish(&w, 0);
}

START_TEST(test_question_round_trip)
{
	size_t n = query("Web.Default.svc.cluster.local", KP_DNS_T_A, 0x1234);

	ck_assert_uint_eq(n, 12 + 31 + 4);
	PARSE_OK(buf, n);
	ck_assert_uint_eq(msg.hdr.id, 0x1234);
	ck_assert(msg.hdr.flags & KP_DNS_F_RD);
	ck_assert_uint_eq(msg.hdr.qdcount, 1);
	ck_assert(msg.has_question);
	ck_assert_str_eq(msg.qname, "web.default.svc.cluster.local"); /* folded */
	ck_assert_uint_eq(msg.qtype, KP_DNS_T_A);
	ck_assert_uint_eq(msg.qclass, KP_DNS_C_IN);
	ck_assert_uint_eq(msg.question_end, n);
	ck_assert_uint_eq(msg.edns_size, 0);
}
END_TEST

START_TEST(test_answers_compressed_against_question)
{
	struct kp_dns_writer w;
	struct kp_dns_header h = {.id = 7, .flags = KP_DNS_F_QR | KP_DNS_F_AA};
	const uint8_t ip1[4] = {10, 96, 0, 1}, ip2[4] = {10, 244, 1, 5};
	size_t n;

	kp_dns_writer_init(&w, buf, sizeof(buf), &h);
	ck_assert_int_eq(kp_dns_write_question(&w, "web.default.svc.cluster.local", KP_DNS_T_A, 1), 0);
	ck_assert_int_eq(kp_dns_write_a(&w, KP_DNS_ANSWER, "web.default.svc.cluster.local", 5, ip1), 0);
	ck_assert_int_eq(kp_dns_write_a(&w, KP_DNS_ANSWER, "WEB.default.svc.cluster.local", 5, ip2), 0);
	n = kp_dns_writer_finish(&w, KP_DNS_RC_NOERROR);
	/* each answer: a 2-byte pointer to offset 12, 10 bytes fixed, 4 of rdata */
	ck_assert_uint_eq(n, 12 + 31 + 4 + 2 * 16);
	ck_assert_uint_eq(buf[47], 0xc0);
	ck_assert_uint_eq(buf[48], 12);
	PARSE_OK(buf, n);
	ck_assert_uint_eq(msg.hdr.ancount, 2);
	ck_assert_uint_eq(msg.nrrs, 2);
	ck_assert_str_eq(msg.rrs[1].name, "web.default.svc.cluster.local");
	ck_assert_uint_eq(msg.rrs[1].type, KP_DNS_T_A);
	ck_assert_uint_eq(msg.rrs[1].ttl, 5);
	ck_assert_uint_eq(msg.rrs[1].rdlen, 4);
	ck_assert_mem_eq(buf + msg.rrs[1].rdoff, ip2, 4);
	ck_assert_uint_eq(msg.min_ttl, 5);
}
END_TEST

START_TEST(test_suffix_compression_and_cname)
{
	struct kp_dns_writer w;
	struct kp_dns_header h = {.id = 1, .flags = KP_DNS_F_QR};
	char target[KP_DNS_NAME_MAX + 1];
	size_t n, off;

	kp_dns_writer_init(&w, buf, sizeof(buf), &h);
	ck_assert_int_eq(kp_dns_write_question(&w, "ext.default.svc.cluster.local", KP_DNS_T_A, 1), 0);
	ck_assert_int_eq(kp_dns_write_name_rr(&w, KP_DNS_ANSWER, "ext.default.svc.cluster.local",
					      KP_DNS_T_CNAME, 30, "db.default.svc.cluster.local"),
			 0);
	n = kp_dns_writer_finish(&w, 0);
	/* the target is "db" + a pointer to "default.svc.cluster.local" (offset 16) */
	ck_assert_uint_eq(n, 12 + 31 + 4 + 2 + 10 + 3 + 2);
	PARSE_OK(buf, n);
	ck_assert_uint_eq(msg.rrs[0].type, KP_DNS_T_CNAME);
	ck_assert_uint_eq(msg.rrs[0].rdlen, 5);
	off = msg.rrs[0].rdoff;
	ck_assert_int_eq(kp_dns_name_read(buf, n, &off, true, target), 0);
	ck_assert_str_eq(target, "db.default.svc.cluster.local");
	ck_assert_uint_eq(off, n);
}
END_TEST

START_TEST(test_srv_target_not_compressed)
{
	struct kp_dns_writer w;
	struct kp_dns_header h = {.id = 1, .flags = KP_DNS_F_QR};
	char target[KP_DNS_NAME_MAX + 1];
	size_t n, off;

	kp_dns_writer_init(&w, buf, sizeof(buf), &h);
	ck_assert_int_eq(kp_dns_write_question(&w, "_http._tcp.web.ns.svc.cluster.local", KP_DNS_T_SRV, 1), 0);
	ck_assert_int_eq(kp_dns_write_srv(&w, KP_DNS_ANSWER, "_http._tcp.web.ns.svc.cluster.local", 5, 0,
					  100, 8080, "web.ns.svc.cluster.local"),
			 0);
	n = kp_dns_writer_finish(&w, 0);
	PARSE_OK(buf, n);
	ck_assert_uint_eq(msg.rrs[0].type, KP_DNS_T_SRV);
	ck_assert_uint_eq(msg.rrs[0].rdlen, 6 + 26);
	off = msg.rrs[0].rdoff;
	ck_assert_uint_eq((buf[off + 4] << 8) | buf[off + 5], 8080);
	ck_assert_uint_eq((buf[off + 2] << 8) | buf[off + 3], 100);
	off += 6;
	ck_assert_int_eq(kp_dns_name_read(buf, n, &off, true, target), 0);
	ck_assert_str_eq(target, "web.ns.svc.cluster.local");
}
END_TEST

START_TEST(test_truncation_leaves_whole_records_out)
{
	struct kp_dns_writer w;
	struct kp_dns_header h = {.id = 9, .flags = KP_DNS_F_QR};
	uint8_t ip[4] = {10, 0, 0, 0};
	int ok = 0;
	size_t n;

	kp_dns_writer_init(&w, buf, KP_DNS_UDP_MAX, &h);
	ck_assert_int_eq(kp_dns_write_question(&w, "big.default.svc.cluster.local", KP_DNS_T_A, 1), 0);
	for (int i = 0; i < 100; i++) {
		ip[3] = (uint8_t)i;
		if (kp_dns_write_a(&w, KP_DNS_ANSWER, "big.default.svc.cluster.local", 5, ip) == 0)
			ok++;
		else
			ck_assert(w.truncated);
	}
	n = kp_dns_writer_finish(&w, 0);
	ck_assert_uint_le(n, KP_DNS_UDP_MAX);
	ck_assert_int_eq(ok, (512 - 47) / 16);
	PARSE_OK(buf, n);
	ck_assert(msg.hdr.flags & KP_DNS_F_TC);
	ck_assert_uint_eq(msg.hdr.ancount, (unsigned)ok);

	/* the same over TCP's 64 KiB fits and is not truncated */
	kp_dns_writer_init(&w, buf, 65535, &h);
	ck_assert_int_eq(kp_dns_write_question(&w, "big.default.svc.cluster.local", KP_DNS_T_A, 1), 0);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(kp_dns_write_a(&w, KP_DNS_ANSWER, "big.default.svc.cluster.local", 5, ip), 0);
	n = kp_dns_writer_finish(&w, 0);
	PARSE_OK(buf, n);
	ck_assert(!(msg.hdr.flags & KP_DNS_F_TC));
	ck_assert_uint_eq(msg.hdr.ancount, 100);
}
END_TEST

START_TEST(test_question_that_does_not_fit)
{
	struct kp_dns_writer w;
	struct kp_dns_header h = {0};

	kp_dns_writer_init(&w, buf, 20, &h);
	ck_assert_int_eq(kp_dns_write_question(&w, "web.default.svc.cluster.local", 1, 1), -ENOSPC);
	ck_assert_uint_eq(w.len, 12);
	ck_assert_uint_eq(kp_dns_writer_finish(&w, 0), 12);
}
END_TEST

START_TEST(test_bad_names_not_written)
{
	struct kp_dns_writer w;
	struct kp_dns_header h = {0};
	char label[70], longname[300];

	memset(label, 'a', 64);
	label[64] = 0;
	for (int i = 0; i < 130; i++)
		memcpy(longname + 2 * i, "a.", 2);
	longname[259] = 0;
	kp_dns_writer_init(&w, buf, sizeof(buf), &h);
	ck_assert_int_eq(kp_dns_write_question(&w, label, 1, 1), -EINVAL);
	label[63] = 0;
	ck_assert_int_eq(kp_dns_write_question(&w, label, 1, 1), 0);
	ck_assert_int_eq(kp_dns_write_question(&w, "a..b", 1, 1), -EINVAL);
	ck_assert_int_eq(kp_dns_write_question(&w, "a.b.", 1, 1), -EINVAL);
	ck_assert_int_eq(kp_dns_write_question(&w, ".", 1, 1), -EINVAL);
	ck_assert_int_eq(kp_dns_write_question(&w, longname, 1, 1), -EINVAL);
	ck_assert_int_eq(kp_dns_write_question(&w, "", 1, 1), 0); /* the root */
	ck_assert_uint_eq(w.counts[0], 2);
}
END_TEST

/* A header with one question and the given name bytes, then type A class IN. */
static size_t raw_query(const uint8_t *name, size_t n)
{
	memset(buf, 0, 12);
	buf[5] = 1;
	memcpy(buf + 12, name, n);
	memcpy(buf + 12 + n, "\0\1\0\1", 4);
	return 12 + n + 4;
}

START_TEST(test_pointer_loops_rejected)
{
	const uint8_t self[] = {0xc0, 12};               /* points at itself */
	const uint8_t fwd[] = {0xc0, 14, 1, 'a', 0};      /* points forward */
	const uint8_t two[] = {1, 'a', 0xc0, 12};         /* back to its own start: a loop */
	const uint8_t reserved[] = {0x80, 'a', 0};
	const uint8_t ext[] = {0x41, 'a', 0};

	PARSE_BAD(buf, raw_query(self, sizeof(self)));
	PARSE_BAD(buf, raw_query(fwd, sizeof(fwd)));
	PARSE_BAD(buf, raw_query(two, sizeof(two)));
	PARSE_BAD(buf, raw_query(reserved, sizeof(reserved)));
	PARSE_BAD(buf, raw_query(ext, sizeof(ext)));
}
END_TEST

START_TEST(test_chained_pointers_accepted)
{
	/* question "b.a" at 12; record name "c" + pointer to "a" (offset 14), itself inside the question */
	uint8_t p[64];
	size_t n = 0;
	char name[KP_DNS_NAME_MAX + 1];
	size_t off;

	memset(p, 0, 12);
	p[5] = 1; /* qd */
	p[7] = 1; /* an */
	n = 12;
	memcpy(p + n, "\1b\1a\0\0\1\0\1", 9);
	n += 9;
	size_t rec = n;
	memcpy(p + n, "\1c\xc0\x0e", 4); /* c -> a */
	n += 4;
	memcpy(p + n, "\0\1\0\1\0\0\0\5\0\2\xc0", 11); /* A IN ttl 5 rdlen 2, rdata: pointer to rec */
	n += 11;
	p[n++] = (uint8_t)rec;
	PARSE_OK(p, n);
	ck_assert_str_eq(msg.rrs[0].name, "c.a");
	off = msg.rrs[0].rdoff;
	ck_assert_int_eq(kp_dns_name_read(p, n, &off, true, name), 0);
	ck_assert_str_eq(name, "c.a");
	ck_assert_uint_eq(off, n);
}
END_TEST

START_TEST(test_name_over_255_rejected)
{
	uint8_t name[300];
	size_t n = 0;

	/* 4 labels of 63 + one of 3: 4*64 + 4 + 1 = 261 wire bytes */
	for (int i = 0; i < 4; i++) {
		name[n++] = 63;
		memset(name + n, 'x', 63);
		n += 63;
	}
	name[n++] = 3;
	memcpy(name + n, "abc", 3);
	n += 3;
	name[n++] = 0;
	PARSE_BAD(buf, raw_query(name, n));
	/* 3 labels of 63 + one of 61: 255 exactly */
	n = 0;
	for (int i = 0; i < 3; i++) {
		name[n++] = 63;
		memset(name + n, 'x', 63);
		n += 63;
	}
	name[n++] = 61;
	memset(name + n, 'y', 61);
	n += 61;
	name[n++] = 0;
	ck_assert_uint_eq(n, 255);
	PARSE_OK(buf, raw_query(name, n));
	ck_assert_uint_eq(strlen(msg.qname), 253);
}
END_TEST

START_TEST(test_dot_and_nul_in_label_rejected)
{
	const uint8_t dot[] = {3, 'a', '.', 'b', 0};
	const uint8_t nul[] = {3, 'a', 0, 'b', 0};

	PARSE_BAD(buf, raw_query(dot, sizeof(dot)));
	PARSE_BAD(buf, raw_query(nul, sizeof(nul)));
}
END_TEST

START_TEST(test_every_short_prefix_rejected)
{
	struct kp_dns_writer w;
	struct kp_dns_header h = {.id = 3, .flags = KP_DNS_F_QR};
	const uint8_t ip[4] = {1, 2, 3, 4};
	uint8_t *copy;
	size_t n;

	kp_dns_writer_init(&w, buf, sizeof(buf), &h);
	ck_assert_int_eq(kp_dns_write_question(&w, "x.y.svc.cluster.local", KP_DNS_T_A, 1), 0);
	ck_assert_int_eq(kp_dns_write_a(&w, KP_DNS_ANSWER, "x.y.svc.cluster.local", 5, ip), 0);
	ck_assert_int_eq(kp_dns_write_srv(&w, KP_DNS_ADDITIONAL, "_a._tcp.x.y.svc.cluster.local", 5, 0, 1, 80,
					  "x.y.svc.cluster.local"),
			 0);
	n = kp_dns_writer_finish(&w, 0);
	/* each prefix in its own heap block, so ASan sees any read past it */
	for (size_t i = 0; i < n; i++) {
		copy = malloc(i ? i : 1);
		memcpy(copy, buf, i);
		ck_assert_int_eq(kp_dns_msg_parse(copy, i, &msg), -EBADMSG);
		free(copy);
	}
	PARSE_OK(buf, n);
}
END_TEST

START_TEST(test_counts_larger_than_packet)
{
	size_t n = query("a.b", KP_DNS_T_A, 1);

	buf[7] = 5; /* five answers claimed, none there */
	PARSE_BAD(buf, n);
	buf[7] = 0;
	buf[4] = 0xff; /* 65281 questions claimed */
	PARSE_BAD(buf, n);
}
END_TEST

START_TEST(test_rdlength_past_end)
{
	struct kp_dns_writer w;
	struct kp_dns_header h = {0};
	const uint8_t ip[4] = {1, 2, 3, 4};
	size_t n;

	kp_dns_writer_init(&w, buf, sizeof(buf), &h);
	ck_assert_int_eq(kp_dns_write_a(&w, KP_DNS_ANSWER, "a", 5, ip), 0);
	n = kp_dns_writer_finish(&w, 0);
	buf[n - 5] = 5; /* rdlength 5, 4 bytes left */
	PARSE_BAD(buf, n);
}
END_TEST

START_TEST(test_edns_opt_read_and_written)
{
	struct kp_dns_writer w;
	struct kp_dns_header h = {.id = 2};
	size_t n;

	kp_dns_writer_init(&w, buf, sizeof(buf), &h);
	ck_assert_int_eq(kp_dns_write_question(&w, "a.b", KP_DNS_T_AAAA, 1), 0);
	ck_assert_int_eq(kp_dns_write_opt(&w, 1232), 0);
	n = kp_dns_writer_finish(&w, 0);
	ck_assert_uint_eq(n, 12 + 5 + 4 + 11);
	PARSE_OK(buf, n);
	ck_assert_uint_eq(msg.edns_size, 1232);
	ck_assert_uint_eq(msg.hdr.arcount, 1);
	ck_assert_uint_eq(msg.min_ttl, UINT32_MAX); /* OPT is no TTL */
}
END_TEST

START_TEST(test_error_reply_keeps_id_and_rd)
{
	struct kp_dns_header q = {.id = 0xbeef, .flags = KP_DNS_F_RD};
	uint8_t out[12];

	ck_assert_uint_eq(kp_dns_error_reply(&q, KP_DNS_RC_FORMERR, out), 12);
	PARSE_OK(out, 12);
	ck_assert_uint_eq(msg.hdr.id, 0xbeef);
	ck_assert(msg.hdr.flags & KP_DNS_F_QR);
	ck_assert(msg.hdr.flags & KP_DNS_F_RD);
	ck_assert_uint_eq(KP_DNS_F_RCODE(msg.hdr.flags), KP_DNS_RC_FORMERR);
	ck_assert(!msg.has_question);
}
END_TEST

START_TEST(test_tcp_frames)
{
	const uint8_t two[] = {0, 3, 'a', 'b', 'c', 0, 1, 'z'};
	size_t n = 0;

	ck_assert_int_eq(kp_dns_tcp_frame(two, 0, &n), 0);
	ck_assert_int_eq(kp_dns_tcp_frame(two, 1, &n), 0);
	ck_assert_int_eq(kp_dns_tcp_frame(two, 4, &n), 0);
	ck_assert_int_eq(kp_dns_tcp_frame(two, 5, &n), 5);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(kp_dns_tcp_frame(two + 5, 3, &n), 3);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(kp_dns_tcp_frame((const uint8_t *)"\0\0", 2, &n), -EBADMSG);
}
END_TEST

START_TEST(test_random_bytes_never_crash)
{
	uint32_t x = 12345;
	uint8_t *p;

	for (int it = 0; it < 20000; it++) {
		size_t n = 12 + (it % 120);
		p = malloc(n);
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			p[i] = (uint8_t)(x >> 16);
		}
		/* small counts and plausible labels often enough to go deep */
		p[4] = 0;
		p[5] = (uint8_t)(it & 3);
		p[6] = 0;
		p[7] = (uint8_t)((it >> 2) & 3);
		if (it & 1)
			p[12] = (uint8_t)(it % 8);
		int rc = kp_dns_msg_parse(p, n, &msg);
		ck_assert(rc == 0 || rc == -EBADMSG);
		free(p);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kp_dns_msg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_question_round_trip);
	tcase_add_test(tc, test_answers_compressed_against_question);
	tcase_add_test(tc, test_suffix_compression_and_cname);
	tcase_add_test(tc, test_srv_target_not_compressed);
	tcase_add_test(tc, test_truncation_leaves_whole_records_out);
	tcase_add_test(tc, test_question_that_does_not_fit);
	tcase_add_test(tc, test_bad_names_not_written);
	tcase_add_test(tc, test_pointer_loops_rejected);
	tcase_add_test(tc, test_chained_pointers_accepted);
	tcase_add_test(tc, test_name_over_255_rejected);
	tcase_add_test(tc, test_dot_and_nul_in_label_rejected);
	tcase_add_test(tc, test_every_short_prefix_rejected);
	tcase_add_test(tc, test_counts_larger_than_packet);
	tcase_add_test(tc, test_rdlength_past_end);
	tcase_add_test(tc, test_edns_opt_read_and_written);
	tcase_add_test(tc, test_error_reply_keeps_id_and_rd);
	tcase_add_test(tc, test_tcp_frames);
	tcase_add_test(tc, test_random_bytes_never_crash);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
