/* mvcc_hash.c: a checksum of the key space at a revision, for members to compare (etcd's HashKV). */
#include "etcdlite/mvcc.h"

#include "common/crc32c.h"
#include "common/err.h"
#include "etcdlite/mvcc_int.h"

static uint32_t put_i64(uint32_t crc, int64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)v >> (8 * i));
	return cm_crc32c(crc, b, sizeof(b));
}

int el_store_hash_kv(const struct el_store *st, int64_t rev, uint32_t *hash, int64_t *compact_rev)
{
	uint32_t crc = 0;

	/* etcd's checks, in its order: a compacted revision, then a future one. */
	if (rev > 0 && rev <= st->compact_rev)
		return -CM_ECOMPACTED;
	if (rev > st->rev)
		return -CM_EFUTUREREV;
	if (rev <= 0)
		rev = st->rev;
	/*
	 * Keys in order, each one's kept versions up to rev, oldest first. The
	 * versions kept depend only on the log applied (compactions are entries),
	 * so members at the same point of the log agree.
	 */
	for (const struct el_key *k = st->head->next[0]; k; k = k->next[0]) {
		for (uint32_t i = 0; i < k->nvers && k->vers[i]->mod <= rev; i++) {
			const struct el_ver *v = k->vers[i];

			crc = put_i64(crc, k->klen);
			crc = cm_crc32c(crc, el_key_bytes(k), k->klen);
			crc = put_i64(crc, v->mod);
			crc = put_i64(crc, v->sub);
			crc = put_i64(crc, v->create);
			crc = put_i64(crc, v->version);
			crc = put_i64(crc, v->lease);
			crc = put_i64(crc, v->vlen);
			crc = cm_crc32c(crc, v->value, v->vlen);
		}
	}
	*hash = crc;
	*compact_rev = st->compact_rev;
	return 0;
}
