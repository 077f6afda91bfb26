/* mvcc_index.c: the ordered key index (a skip list) and each key's revision history. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcdlite/mvcc_int.h"

/*
 * Why a skip list: ordered scans are a walk along level 0, inserts touch a
 * few pointers (a sorted array would move 800 KB per insert at 100k keys),
 * and with one level in four promoted a node costs 1.33 pointers on average,
 * less than a B-tree's slack. The level is drawn from a hash of the key, not
 * from a random generator, so every member builds the same structure.
 */

int el_bytes_cmp(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	uint32_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static uint8_t key_level(const char *key, uint32_t klen)
{
	uint64_t h = 1469598103934665603ULL;
	uint8_t level = 1;

	for (uint32_t i = 0; i < klen; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	/* splitmix finaliser: FNV's low bits are weak for keys differing at the end. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	while ((h & 3) == 0 && level < EL_SKIP_MAX) {
		level++;
		h >>= 2;
	}
	return level;
}

int el_index_init(struct el_store *st)
{
	st->head = calloc(1, sizeof(struct el_key) + EL_SKIP_MAX * sizeof(struct el_key *));
	if (!st->head)
		return -ENOMEM;
	st->head->level = EL_SKIP_MAX;
	return 0;
}

static int node_cmp(const struct el_key *k, const char *key, uint32_t klen)
{
	return el_bytes_cmp(el_key_bytes(k), k->klen, key, klen);
}

/* Fills upd[i] with the last node at level i whose key is < key; returns the first node >= key. */
static struct el_key *search(const struct el_store *st, const char *key, uint32_t klen,
			     struct el_key **upd)
{
	struct el_key *x = st->head;

	for (int i = EL_SKIP_MAX - 1; i >= 0; i--) {
		while (x->next[i] && node_cmp(x->next[i], key, klen) < 0)
			x = x->next[i];
		if (upd)
			upd[i] = x;
	}
	return x->next[0];
}

struct el_key *el_index_seek(const struct el_store *st, const char *key, uint32_t klen)
{
	return search(st, key, klen, NULL);
}

struct el_key *el_index_find(const struct el_store *st, const char *key, uint32_t klen)
{
	struct el_key *k = search(st, key, klen, NULL);

	return k && node_cmp(k, key, klen) == 0 ? k : NULL;
}

int el_index_get(struct el_store *st, const char *key, uint32_t klen, struct el_key **out)
{
	struct el_key *upd[EL_SKIP_MAX];
	struct el_key *k = search(st, key, klen, upd);
	uint8_t level;

	if (k && node_cmp(k, key, klen) == 0) {
		*out = k;
		return 0;
	}
	level = key_level(key, klen);
	k = malloc(sizeof(*k) + level * sizeof(k->next[0]) + klen);
	if (!k)
		return -ENOMEM;
	memset(k, 0, sizeof(*k));
	k->klen = klen;
	k->level = level;
	memcpy((char *)(k->next + level), key, klen);
	for (int i = 0; i < level; i++) {
		k->next[i] = upd[i]->next[i];
		upd[i]->next[i] = k;
	}
	st->nkeys++;
	st->bytes += sizeof(*k) + level * sizeof(k->next[0]) + klen;
	*out = k;
	return 0;
}

struct el_ver *el_key_at(const struct el_key *k, int64_t rev)
{
	uint32_t lo = 0, hi = k->nvers;

	if (hi == 0)
		return NULL;
	if (k->vers[hi - 1]->mod <= rev)
		return k->vers[hi - 1]; /* the common case: the latest */
	while (lo < hi) { /* first index with mod > rev */
		uint32_t mid = lo + (hi - lo) / 2;

		if (k->vers[mid]->mod <= rev)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? k->vers[lo - 1] : NULL;
}

struct el_ver *el_ver_prev(const struct el_ver *v)
{
	const struct el_key *k = v->key;
	uint32_t lo = 0, hi = k->nvers;

	while (lo < hi) { /* first index with mod >= v->mod */
		uint32_t mid = lo + (hi - lo) / 2;

		if (k->vers[mid]->mod < v->mod)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < k->nvers && k->vers[lo] == v && lo > 0)
		return k->vers[lo - 1];
	return NULL;
}

void el_kv_from_ver(struct el_kv *kv, const struct el_ver *v, bool keys_only)
{
	kv->key = el_key_bytes(v->key);
	kv->klen = v->key->klen;
	kv->value = keys_only ? NULL : v->value;
	kv->vlen = keys_only ? 0 : v->vlen;
	kv->create_revision = v->create;
	kv->mod_revision = v->mod;
	kv->version = v->version;
	kv->lease = v->lease;
}

static void free_key(struct el_store *st, struct el_key *k)
{
	for (uint32_t i = 0; i < k->nvers; i++)
		free(k->vers[i]);
	st->bytes -= sizeof(*k) + k->level * sizeof(k->next[0]) + k->klen + k->cap * sizeof(k->vers[0]);
	free(k->vers);
	free(k);
}

void el_index_free_all(struct el_store *st)
{
	struct el_key *k;

	if (!st->head)
		return;
	k = st->head->next[0];
	while (k) {
		struct el_key *next = k->next[0];

		free_key(st, k);
		k = next;
	}
	free(st->head);
	st->head = NULL;
}

/*
 * Keeps, for each key, the revisions at or after rev and the one live revision
 * visible at rev (what a Range at rev must still see). A tombstone below rev
 * goes; one at exactly rev stays so a watcher starting at rev gets its event.
 * A key left with nothing is unlinked, walking level 0 while remembering the
 * last kept node of each level.
 */
void el_index_compact(struct el_store *st, int64_t rev)
{
	struct el_key *prev[EL_SKIP_MAX];
	struct el_key *k = st->head->next[0];

	for (int i = 0; i < EL_SKIP_MAX; i++)
		prev[i] = st->head;
	while (k) {
		struct el_key *next = k->next[0];
		uint32_t drop = 0;

		while (drop < k->nvers && k->vers[drop]->mod < rev)
			drop++;
		/* k->vers[drop - 1] is the latest below rev: keep it if live and nothing sits at rev. */
		if (drop > 0 && k->vers[drop - 1]->create != 0 &&
		    !(drop < k->nvers && k->vers[drop]->mod == rev))
			drop--;
		if (drop) {
			for (uint32_t i = 0; i < drop; i++) {
				st->bytes -= sizeof(struct el_ver) + k->vers[i]->vlen;
				free(k->vers[i]);
			}
			memmove(k->vers, k->vers + drop, (k->nvers - drop) * sizeof(k->vers[0]));
			k->nvers -= drop;
			st->nvers -= drop;
		}
		if (k->nvers == 0) {
			for (int i = 0; i < k->level; i++)
				prev[i]->next[i] = k->next[i];
			st->nkeys--;
			free_key(st, k);
		} else {
			for (int i = 0; i < k->level; i++)
				prev[i] = k;
		}
		k = next;
	}
}
