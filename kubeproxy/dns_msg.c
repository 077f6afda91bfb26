/* dns_msg.c: DNS messages read with every offset checked, and written with name compression and truncation. */
#include <errno.h>
#include <string.h>

#include "kubeproxy/dns_msg.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool kp_dns_name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return false;
	return *a == *b;
}

int kp_dns_name_read(const uint8_t *pkt, size_t len, size_t *off, bool fold, char *out)
{
	char name[KP_DNS_NAME_MAX + 1];
	size_t pos = *off, limit = *off, end = 0, n = 0, wire = 1; /* wire counts the final zero */
	bool jumped = false;

	for (;;) {
		if (pos >= len)
			return -EBADMSG;
		uint8_t c = pkt[pos];
		if (c == 0) {
			if (!jumped)
				end = pos + 1;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -EBADMSG;
			size_t target = ((size_t)(c & 0x3f) << 8) | pkt[pos + 1];
			/* Strictly before every place this name was read from: targets
			 * decrease at each jump, so no chain of pointers can loop. */
			if (target >= limit)
				return -EBADMSG;
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = limit = target;
			continue;
		}
		if (c & 0xc0) /* 0x40 and 0x80: extended and reserved label types */
			return -EBADMSG;
		if (pos + 1 + c > len)
			return -EBADMSG;
		wire += (size_t)c + 1;
		if (wire > 255)
			return -EBADMSG;
		if (n)
			name[n++] = '.';
		for (size_t i = 0; i < c; i++) {
			char ch = (char)pkt[pos + 1 + i];
			if (ch == '.' || ch == 0)
				return -EBADMSG;
			name[n++] = fold ? lower(ch) : ch;
		}
		pos += 1 + (size_t)c;
	}
	name[n] = 0;
	memcpy(out, name, n + 1);
	*off = end;
	return 0;
}

int kp_dns_msg_parse(const uint8_t *pkt, size_t len, struct kp_dns_msg *out)
{
	size_t off = KP_DNS_HEADER_LEN;
	struct kp_dns_header *h = &out->hdr;
	char scratch[KP_DNS_NAME_MAX + 1];

	if (len < KP_DNS_HEADER_LEN)
		return -EBADMSG;
	h->id = get16(pkt);
	h->flags = get16(pkt + 2);
	h->qdcount = get16(pkt + 4);
	h->ancount = get16(pkt + 6);
	h->nscount = get16(pkt + 8);
	h->arcount = get16(pkt + 10);
	out->has_question = false;
	out->qname[0] = 0;
	out->qtype = out->qclass = 0;
	out->question_end = off;
	out->nrrs = 0;
	out->min_ttl = UINT32_MAX;
	out->edns_size = 0;
	for (unsigned i = 0; i < h->qdcount; i++) {
		char *name = out->has_question ? scratch : out->qname;
		if (kp_dns_name_read(pkt, len, &off, true, name) < 0 || off + 4 > len)
			return -EBADMSG;
		if (!out->has_question) {
			out->qtype = get16(pkt + off);
			out->qclass = get16(pkt + off + 2);
			out->question_end = off + 4;
			out->has_question = true;
		}
		off += 4;
	}
	unsigned total = (unsigned)h->ancount + h->nscount + h->arcount;
	for (unsigned i = 0; i < total; i++) {
		struct kp_dns_rr rr;
		if (kp_dns_name_read(pkt, len, &off, true, rr.name) < 0 || off + 10 > len)
			return -EBADMSG;
		rr.type = get16(pkt + off);
		rr.cls = get16(pkt + off + 2);
		rr.ttl = get32(pkt + off + 4);
		rr.rdlen = get16(pkt + off + 8);
		rr.rdoff = (uint16_t)(off + 10);
		rr.section = i < h->ancount ? KP_DNS_ANSWER
			     : i < (unsigned)h->ancount + h->nscount ? KP_DNS_AUTHORITY
								      : KP_DNS_ADDITIONAL;
		if (off + 10 + rr.rdlen > len)
			return -EBADMSG;
		off += 10 + (size_t)rr.rdlen;
		if (rr.type == KP_DNS_T_OPT && rr.section == KP_DNS_ADDITIONAL)
			out->edns_size = rr.cls;
		else if (rr.section != KP_DNS_ADDITIONAL && rr.ttl < out->min_ttl)
			out->min_ttl = rr.ttl;
		if (out->nrrs < KP_DNS_MAX_RRS)
			out->rrs[out->nrrs++] = rr;
	}
	return 0;
}

void kp_dns_writer_init(struct kp_dns_writer *w, uint8_t *buf, size_t cap, const struct kp_dns_header *hdr)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap > 65535 ? 65535 : cap;
	put16(buf, hdr->id);
	put16(buf + 2, hdr->flags);
	memset(buf + 4, 0, 8);
	w->len = KP_DNS_HEADER_LEN;
}

/* Splits name into label offsets and lengths; returns the label count, or -EINVAL. */
static int split(const char *name, uint8_t starts[128], uint8_t lens[128])
{
	size_t n = strlen(name), i = 0, wire = 1;
	int k = 0;

	if (n > KP_DNS_NAME_MAX)
		return -EINVAL;
	while (i < n) {
		size_t j = i;
		while (j < n && name[j] != '.')
			j++;
		if (j == i || j - i > KP_DNS_LABEL_MAX || k >= 127)
			return -EINVAL;
		wire += j - i + 1;
		if (wire > 255)
			return -EINVAL;
		starts[k] = (uint8_t)i;
		lens[k++] = (uint8_t)(j - i);
		i = j + 1;
		if (j + 1 == n) /* a trailing dot */
			return -EINVAL;
	}
	return k;
}

/* The offset of a name written before that equals suffix, or -1. */
static long find_name(const struct kp_dns_writer *w, const char *suffix)
{
	char have[KP_DNS_NAME_MAX + 1];

	for (size_t i = 0; i < w->nnames; i++) {
		size_t off = w->names[i];
		if (kp_dns_name_read(w->buf, w->len, &off, false, have) == 0 && kp_dns_name_eq(have, suffix))
			return w->names[i];
	}
	return -1;
}

/*
 * Writes name at w->len (compressed when compress is set), or returns
 * -ENOSPC / -EINVAL leaving w->len as it was; the caller rolls back on
 * failures after this point.
 */
static int write_name(struct kp_dns_writer *w, const char *name, bool compress)
{
	uint8_t starts[128], lens[128];
	int k = split(name, starts, lens), i;
	long ptr = -1;
	size_t need = 0, at = w->len;

	if (k < 0)
		return k;
	for (i = 0; i < k; i++) {
		if (compress && (ptr = find_name(w, name + starts[i])) >= 0)
			break;
		need += (size_t)lens[i] + 1;
	}
	need += ptr >= 0 ? 2 : 1;
	if (w->len + need > w->cap)
		return -ENOSPC;
	for (int j = 0; j < i; j++) {
		if (at <= 0x3fff && w->nnames < KP_DNS_COMPRESS_MAX)
			w->names[w->nnames++] = (uint16_t)at;
		w->buf[at++] = lens[j];
		memcpy(w->buf + at, name + starts[j], lens[j]);
		at += lens[j];
	}
	if (ptr >= 0) {
		put16(w->buf + at, (uint16_t)(0xc000 | ptr));
		at += 2;
	} else {
		w->buf[at++] = 0;
	}
	w->len = at;
	return 0;
}

int kp_dns_write_question(struct kp_dns_writer *w, const char *name, uint16_t type, uint16_t cls)
{
	size_t len0 = w->len, nn0 = w->nnames;
	int rc = write_name(w, name, true);

	if (rc == 0 && w->len + 4 > w->cap)
		rc = -ENOSPC;
	if (rc < 0) {
		w->len = len0;
		w->nnames = nn0;
		return rc;
	}
	put16(w->buf + w->len, type);
	put16(w->buf + w->len + 2, cls);
	w->len += 4;
	w->counts[0]++;
	return 0;
}

/* Writes the record's name and fixed part; rdata follows at the returned length. */
static int rr_begin(struct kp_dns_writer *w, const char *name, uint16_t type, uint16_t cls, uint32_t ttl)
{
	int rc = write_name(w, name, true);

	if (rc < 0)
		return rc;
	if (w->len + 10 > w->cap)
		return -ENOSPC;
	put16(w->buf + w->len, type);
	put16(w->buf + w->len + 2, cls);
	put32(w->buf + w->len + 4, ttl);
	w->len += 10; /* rdlength filled by rr_end */
	return 0;
}

static int rr_end(struct kp_dns_writer *w, enum kp_dns_section sec, size_t len0, size_t nn0, size_t rdstart,
		  int rc)
{
	if (rc < 0) {
		w->len = len0;
		w->nnames = nn0;
		if (rc == -ENOSPC)
			w->truncated = true;
		return rc;
	}
	put16(w->buf + rdstart - 2, (uint16_t)(w->len - rdstart));
	w->counts[1 + sec]++;
	return 0;
}

int kp_dns_write_rr(struct kp_dns_writer *w, enum kp_dns_section sec, const char *name, uint16_t type,
		    uint32_t ttl, const void *rdata, uint16_t rdlen)
{
	size_t len0 = w->len, nn0 = w->nnames;
	int rc = rr_begin(w, name, type, KP_DNS_C_IN, ttl);
	size_t rdstart = w->len;

	if (rc == 0 && w->len + rdlen > w->cap)
		rc = -ENOSPC;
	if (rc == 0) {
		memcpy(w->buf + w->len, rdata, rdlen);
		w->len += rdlen;
	}
	return rr_end(w, sec, len0, nn0, rdstart, rc);
}

int kp_dns_write_a(struct kp_dns_writer *w, enum kp_dns_section sec, const char *name, uint32_t ttl,
		   const uint8_t ip[4])
{
	return kp_dns_write_rr(w, sec, name, KP_DNS_T_A, ttl, ip, 4);
}

int kp_dns_write_aaaa(struct kp_dns_writer *w, enum kp_dns_section sec, const char *name, uint32_t ttl,
		      const uint8_t ip[16])
{
	return kp_dns_write_rr(w, sec, name, KP_DNS_T_AAAA, ttl, ip, 16);
}

int kp_dns_write_name_rr(struct kp_dns_writer *w, enum kp_dns_section sec, const char *name, uint16_t type,
			 uint32_t ttl, const char *target)
{
	size_t len0 = w->len, nn0 = w->nnames;
	int rc = rr_begin(w, name, type, KP_DNS_C_IN, ttl);
	size_t rdstart = w->len;

	if (rc == 0)
		rc = write_name(w, target, type == KP_DNS_T_CNAME || type == KP_DNS_T_PTR || type == KP_DNS_T_NS);
	return rr_end(w, sec, len0, nn0, rdstart, rc);
}

int kp_dns_write_srv(struct kp_dns_writer *w, enum kp_dns_section sec, const char *name, uint32_t ttl,
		     uint16_t prio, uint16_t weight, uint16_t port, const char *target)
{
	size_t len0 = w->len, nn0 = w->nnames;
	int rc = rr_begin(w, name, KP_DNS_T_SRV, KP_DNS_C_IN, ttl);
	size_t rdstart = w->len;

	if (rc == 0 && w->len + 6 > w->cap)
		rc = -ENOSPC;
	if (rc == 0) {
		put16(w->buf + w->len, prio);
		put16(w->buf + w->len + 2, weight);
		put16(w->buf + w->len + 4, port);
		w->len += 6;
		/* RFC 2782: the target is not compressed */
		rc = write_name(w, target, false);
	}
	return rr_end(w, sec, len0, nn0, rdstart, rc);
}

int kp_dns_write_soa(struct kp_dns_writer *w, enum kp_dns_section sec, const char *zone, uint32_t ttl,
		     const char *mname, const char *rname, uint32_t serial, uint32_t minimum)
{
	size_t len0 = w->len, nn0 = w->nnames;
	int rc = rr_begin(w, zone, KP_DNS_T_SOA, KP_DNS_C_IN, ttl);
	size_t rdstart = w->len;
	/* serial, refresh, retry, expire, minimum */
	const uint32_t times[5] = {serial, 7200, 1800, 86400, minimum};

	if (rc == 0)
		rc = write_name(w, mname, true);
	if (rc == 0)
		rc = write_name(w, rname, true);
	if (rc == 0 && w->len + 20 > w->cap)
		rc = -ENOSPC;
	for (int i = 0; rc == 0 && i < 5; i++) {
		put32(w->buf + w->len, times[i]);
		w->len += 4;
	}
	return rr_end(w, sec, len0, nn0, rdstart, rc);
}

int kp_dns_write_opt(struct kp_dns_writer *w, uint16_t udp_size)
{
	size_t len0 = w->len, nn0 = w->nnames;
	int rc = rr_begin(w, "", KP_DNS_T_OPT, udp_size, 0);

	return rr_end(w, KP_DNS_ADDITIONAL, len0, nn0, w->len, rc);
}

size_t kp_dns_writer_finish(struct kp_dns_writer *w, int rcode)
{
	uint16_t flags = get16(w->buf + 2);

	flags = (uint16_t)((flags & ~0xfu) | (rcode & 0xf));
	if (w->truncated)
		flags |= KP_DNS_F_TC;
	put16(w->buf + 2, flags);
	for (int i = 0; i < 4; i++)
		put16(w->buf + 4 + 2 * i, w->counts[i]);
	return w->len;
}

size_t kp_dns_error_reply(const struct kp_dns_header *query, int rcode, uint8_t *out)
{
	uint16_t flags = (uint16_t)(KP_DNS_F_QR | (query->flags & (KP_DNS_F_RD | 0x7800u)) | (rcode & 0xf));

	put16(out, query->id);
	put16(out + 2, flags);
	memset(out + 4, 0, 8);
	return KP_DNS_HEADER_LEN;
}

long kp_dns_tcp_frame(const uint8_t *buf, size_t len, size_t *msglen)
{
	if (len < 2)
		return 0;
	size_t n = get16(buf);
	if (n == 0)
		return -EBADMSG;
	if (len < n + 2)
		return 0;
	*msglen = n;
	return (long)(n + 2);
}
