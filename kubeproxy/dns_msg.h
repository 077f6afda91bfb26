/* dns_msg.h: the DNS wire format (RFC 1035): bounds-checked parsing, and writing with name compression and truncation. */
#ifndef KP_DNS_MSG_H
#define KP_DNS_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Everything here works on caller-owned byte buffers and allocates nothing:
 * the responder parses and answers a query on the stack. Packets come from
 * the network, so every read is checked against the packet's length; a
 * malformed packet is an error (-EBADMSG), never a crash.
 *
 * Names are handled as dotted text without the trailing dot ("" is the
 * root), at most KP_DNS_NAME_MAX bytes. Labels may hold any byte but '.'
 * and NUL, since the text form could not tell them apart.
 */
#define KP_DNS_HEADER_LEN 12
#define KP_DNS_LABEL_MAX 63
#define KP_DNS_NAME_MAX 253 /* text form; 255 bytes on the wire */
#define KP_DNS_UDP_MAX 512  /* the answer size a UDP client takes without EDNS0 */
#define KP_DNS_EDNS_MAX 4096 /* the largest EDNS0 payload size we honour */
#define KP_DNS_MAX_RRS 32   /* records a parsed message keeps (the rest is checked, not kept) */

enum {
	KP_DNS_T_A = 1,
	KP_DNS_T_NS = 2,
	KP_DNS_T_CNAME = 5,
	KP_DNS_T_SOA = 6,
	KP_DNS_T_PTR = 12,
	KP_DNS_T_AAAA = 28,
	KP_DNS_T_SRV = 33,
	KP_DNS_T_OPT = 41,
	KP_DNS_T_ANY = 255,
	KP_DNS_C_IN = 1,
};

enum {
	KP_DNS_RC_NOERROR = 0,
	KP_DNS_RC_FORMERR = 1,
	KP_DNS_RC_SERVFAIL = 2,
	KP_DNS_RC_NXDOMAIN = 3,
	KP_DNS_RC_NOTIMP = 4,
	KP_DNS_RC_REFUSED = 5,
};

/* Header flag bits (the 16-bit word after the id). */
#define KP_DNS_F_QR 0x8000u
#define KP_DNS_F_OPCODE(f) (((f) >> 11) & 0xfu)
#define KP_DNS_F_AA 0x0400u
#define KP_DNS_F_TC 0x0200u
#define KP_DNS_F_RD 0x0100u
#define KP_DNS_F_RA 0x0080u
#define KP_DNS_F_RCODE(f) ((f)&0xfu)

enum kp_dns_section { KP_DNS_ANSWER, KP_DNS_AUTHORITY, KP_DNS_ADDITIONAL };

struct kp_dns_header {
	uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

struct kp_dns_rr {
	char name[KP_DNS_NAME_MAX + 1];
	uint16_t type, cls;
	uint32_t ttl;
	enum kp_dns_section section;
	uint16_t rdoff, rdlen; /* rdata's place in the packet */
};

/* A parsed message: the header, the first question, and up to KP_DNS_MAX_RRS records. */
struct kp_dns_msg {
	struct kp_dns_header hdr;
	bool has_question;
	char qname[KP_DNS_NAME_MAX + 1];
	uint16_t qtype, qclass;
	size_t question_end; /* offset just past the first question */
	struct kp_dns_rr rrs[KP_DNS_MAX_RRS];
	size_t nrrs;   /* kept in rrs */
	uint32_t min_ttl; /* the smallest TTL of answer/authority records (UINT32_MAX when none) */
	uint16_t edns_size; /* the OPT record's UDP payload size, 0 without OPT */
};

/*
 * Reads the name at *off in pkt[0..len) into out (KP_DNS_NAME_MAX + 1 bytes,
 * lower-cased when fold is set), following compression pointers. A pointer
 * must point before the label that holds it, so a chain of them cannot
 * loop; labels over 63 bytes, names over 255 wire bytes, reserved label
 * types and reads past len are errors. On success *off moves past the name
 * where it was written (not where pointers led). Returns 0 or -EBADMSG (out
 * and *off then unchanged).
 */
int kp_dns_name_read(const uint8_t *pkt, size_t len, size_t *off, bool fold, char *out);

/*
 * Parses a whole message: header, every question (the first kept), every
 * record (the first KP_DNS_MAX_RRS kept; rdata bounds checked, OPT noted).
 * Bytes after the last record are ignored as most resolvers do. Returns 0,
 * or -EBADMSG (shorter than a header or malformed; *out then undefined, but
 * out->hdr is valid whenever len >= KP_DNS_HEADER_LEN, so a FORMERR can
 * carry the query's id).
 */
int kp_dns_msg_parse(const uint8_t *pkt, size_t len, struct kp_dns_msg *out);

/*
 * A message being written into a caller's buffer of cap bytes (the size the
 * answer may take: 512 for UDP, the EDNS0 size, or 65535 for TCP). Names are
 * compressed against the names written before (up to KP_DNS_COMPRESS_MAX of
 * their suffixes). A record that does not fit is left out whole, and the
 * writer remembers it so that the caller sets TC.
 */
#define KP_DNS_COMPRESS_MAX 64
struct kp_dns_writer {
	uint8_t *buf;
	size_t cap, len;
	uint16_t counts[4]; /* qd, an, ns, ar */
	bool truncated;
	uint16_t names[KP_DNS_COMPRESS_MAX]; /* offsets of name suffixes written so far */
	size_t nnames;
};

/* Starts a message with hdr (counts ignored: the writer keeps them). cap >= KP_DNS_HEADER_LEN. */
void kp_dns_writer_init(struct kp_dns_writer *w, uint8_t *buf, size_t cap, const struct kp_dns_header *hdr);
/* Appends a question. Returns 0, -EINVAL (bad name) or -ENOSPC (did not fit; nothing written). */
int kp_dns_write_question(struct kp_dns_writer *w, const char *name, uint16_t type, uint16_t cls);
/*
 * Appends a record whose rdata is given raw (rdlen bytes). Returns 0,
 * -EINVAL (bad name) or -ENOSPC (did not fit; nothing written, truncated set).
 */
int kp_dns_write_rr(struct kp_dns_writer *w, enum kp_dns_section sec, const char *name, uint16_t type,
		    uint32_t ttl, const void *rdata, uint16_t rdlen);
/* Records whose rdata holds a name (compressed as RFC 1035 allows for CNAME and PTR; SRV's target is not). */
int kp_dns_write_a(struct kp_dns_writer *w, enum kp_dns_section sec, const char *name, uint32_t ttl,
		   const uint8_t ip[4]);
int kp_dns_write_aaaa(struct kp_dns_writer *w, enum kp_dns_section sec, const char *name, uint32_t ttl,
		      const uint8_t ip[16]);
int kp_dns_write_name_rr(struct kp_dns_writer *w, enum kp_dns_section sec, const char *name, uint16_t type,
			 uint32_t ttl, const char *target);
int kp_dns_write_srv(struct kp_dns_writer *w, enum kp_dns_section sec, const char *name, uint32_t ttl,
		     uint16_t prio, uint16_t weight, uint16_t port, const char *target);
/* A SOA record (negative answers carry one so resolvers cache them for minimum seconds). */
int kp_dns_write_soa(struct kp_dns_writer *w, enum kp_dns_section sec, const char *zone, uint32_t ttl,
		     const char *mname, const char *rname, uint32_t serial, uint32_t minimum);
/* An OPT pseudo-record advertising udp_size (EDNS0). Same returns. */
int kp_dns_write_opt(struct kp_dns_writer *w, uint16_t udp_size);
/*
 * Writes the counts into the header, sets TC when a record was left out,
 * and rcode into the flags; returns the message length.
 */
size_t kp_dns_writer_finish(struct kp_dns_writer *w, int rcode);

/*
 * A response to a malformed or unsupported query: the query's id and RD,
 * QR set, no sections, rcode. out needs KP_DNS_HEADER_LEN bytes; returns that.
 */
size_t kp_dns_error_reply(const struct kp_dns_header *query, int rcode, uint8_t *out);

/*
 * TCP framing: each message is preceded by its length in two bytes. Given
 * the bytes received so far, returns the length of the first complete frame
 * including its prefix (the message is at buf + 2, *msglen long), 0 when
 * more bytes are needed, or -EBADMSG for a zero-length frame.
 */
long kp_dns_tcp_frame(const uint8_t *buf, size_t len, size_t *msglen);

/* Case-insensitive name comparison of dotted names (ASCII only, as DNS is). */
bool kp_dns_name_eq(const char *a, const char *b);
#endif
