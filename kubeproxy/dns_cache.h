/* dns_cache.h: a small cache of upstream DNS answers, keyed by question, bounded in entries and in time. */
#ifndef KP_DNS_CACHE_H
#define KP_DNS_CACHE_H
#include <stddef.h>
#include <stdint.h>

/*
 * Direct-mapped: a question hashes to one slot, and a new answer replaces
 * what the slot held. That bounds memory and makes lookups one comparison,
 * at the price of an occasional eviction of a hot name by a colliding one.
 * Time is an argument (milliseconds, any monotonic origin), so tests need no clock.
 */
#define KP_DNS_CACHE_SLOTS 1024

struct kp_dns_cache_slot {
	uint8_t *key, *msg; /* owned */
	size_t keylen, msglen;
	uint64_t expires_ms;
};

struct kp_dns_cache {
	struct kp_dns_cache_slot slots[KP_DNS_CACHE_SLOTS];
	uint32_t max_ttl_s; /* answers are kept at most this long, whatever their TTL */
	uint64_t hits, misses;
};

void kp_dns_cache_init(struct kp_dns_cache *c, uint32_t max_ttl_s);
void kp_dns_cache_close(struct kp_dns_cache *c);

/*
 * The cache key of query q: its question section, lower-cased, and the
 * length of it written into key (KP_DNS_CACHE_KEY_MAX bytes). Returns 0 or
 * -EBADMSG (no single well-formed question).
 */
#define KP_DNS_CACHE_KEY_MAX 260
int kp_dns_cache_key(const uint8_t *q, size_t qlen, uint8_t *key, size_t *keylen);

/*
 * Keeps a copy of answer msg for key for min(ttl_s, max_ttl_s) from now_ms;
 * ttl_s 0 keeps nothing. Only NOERROR and NXDOMAIN answers without TC
 * should be given (the caller checks). Returns 0 or -ENOMEM (nothing kept).
 */
int kp_dns_cache_put(struct kp_dns_cache *c, const uint8_t *key, size_t keylen, const uint8_t *msg,
		     size_t msglen, uint32_t ttl_s, uint64_t now_ms);

/*
 * The answer kept for key if still fresh at now_ms, copied into out (cap
 * bytes) with its id set to id. Returns its length, 0 when missing,
 * expired or larger than cap.
 */
size_t kp_dns_cache_get(struct kp_dns_cache *c, const uint8_t *key, size_t keylen, uint64_t now_ms,
			uint16_t id, uint8_t *out, size_t cap);
#endif
