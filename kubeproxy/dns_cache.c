/* dns_cache.c: upstream answers kept for a short time, one slot per question hash. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kubeproxy/dns_cache.h"
#include "kubeproxy/dns_msg.h"

void kp_dns_cache_init(struct kp_dns_cache *c, uint32_t max_ttl_s)
{
	memset(c, 0, sizeof(*c));
	c->max_ttl_s = max_ttl_s;
}

static void slot_clear(struct kp_dns_cache_slot *s)
{
	free(s->key);
	free(s->msg);
	memset(s, 0, sizeof(*s));
}

void kp_dns_cache_close(struct kp_dns_cache *c)
{
	for (size_t i = 0; i < KP_DNS_CACHE_SLOTS; i++)
		slot_clear(&c->slots[i]);
}

int kp_dns_cache_key(const uint8_t *q, size_t qlen, uint8_t *key, size_t *keylen)
{
	char name[KP_DNS_NAME_MAX + 1];
	size_t off = KP_DNS_HEADER_LEN, n;

	if (qlen < KP_DNS_HEADER_LEN || ((q[4] << 8) | q[5]) != 1)
		return -EBADMSG;
	if (kp_dns_name_read(q, qlen, &off, true, name) < 0 || off + 4 > qlen)
		return -EBADMSG;
	n = strlen(name);
	memcpy(key, name, n);
	memcpy(key + n, q + off, 4); /* type and class, after the name's NUL-free text */
	*keylen = n + 4;
	return 0;
}

static size_t slot_of(const uint8_t *key, size_t keylen)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < keylen; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % KP_DNS_CACHE_SLOTS;
}

int kp_dns_cache_put(struct kp_dns_cache *c, const uint8_t *key, size_t keylen, const uint8_t *msg,
		     size_t msglen, uint32_t ttl_s, uint64_t now_ms)
{
	struct kp_dns_cache_slot *s = &c->slots[slot_of(key, keylen)];
	uint8_t *k, *m;

	if (ttl_s > c->max_ttl_s)
		ttl_s = c->max_ttl_s;
	if (ttl_s == 0 || msglen < KP_DNS_HEADER_LEN)
		return 0;
	k = malloc(keylen);
	m = malloc(msglen);
	if (!k || !m) {
		free(k);
		free(m);
		return -ENOMEM;
	}
	memcpy(k, key, keylen);
	memcpy(m, msg, msglen);
	slot_clear(s);
	s->key = k;
	s->keylen = keylen;
	s->msg = m;
	s->msglen = msglen;
	s->expires_ms = now_ms + (uint64_t)ttl_s * 1000;
	return 0;
}

size_t kp_dns_cache_get(struct kp_dns_cache *c, const uint8_t *key, size_t keylen, uint64_t now_ms,
			uint16_t id, uint8_t *out, size_t cap)
{
	struct kp_dns_cache_slot *s = &c->slots[slot_of(key, keylen)];

	if (!s->key || s->keylen != keylen || memcmp(s->key, key, keylen)) {
		c->misses++;
		return 0;
	}
	if (now_ms >= s->expires_ms) {
		slot_clear(s);
		c->misses++;
		return 0;
	}
	if (s->msglen > cap) {
		c->misses++;
		return 0;
	}
	memcpy(out, s->msg, s->msglen);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	c->hits++;
	return s->msglen;
}
