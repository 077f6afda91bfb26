/* mvcc_snapshot.c: the whole store to bytes and back, checked, so a member can restore and continue identically. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"
#include "common/err.h"
#include "common/varint.h"
#include "etcdlite/mvcc_int.h"

/*
 * Layout: "ELS1", then varints: revision, compact revision, lease seed,
 * lease count and per lease (id, ttl, remaining), key count and per key
 * (length, bytes, revision count, per revision: mod, sub, create, version,
 * lease, value length, value); then the CRC32C of all that, 4 bytes little
 * endian. The log is not stored: it is every revision sorted by (mod, sub).
 */
static const char MAGIC[4] = {'E', 'L', 'S', '1'};

static int put_ver(struct cm_buf *b, const struct el_ver *v)
{
	int rc;

	if ((rc = cm_varint_put_signed(b, v->mod)) || (rc = cm_varint_put(b, v->sub)) || (rc = cm_varint_put_signed(b, v->create)) ||
	    (rc = cm_varint_put_signed(b, v->version)) || (rc = cm_varint_put_signed(b, v->lease)) || (rc = cm_varint_put(b, v->vlen)))
		return rc;
	return cm_buf_append(b, v->value, v->vlen);
}

int el_store_snapshot(const struct el_store *st, struct cm_buf *out)
{
	size_t start = out->len;
	uint32_t crc;
	unsigned char tail[4];
	int rc;

	if ((rc = cm_buf_reserve(out, st->bytes + 64)))
		return rc;
	if ((rc = cm_buf_append(out, MAGIC, 4)) || (rc = cm_varint_put_signed(out, st->rev)) ||
	    (rc = cm_varint_put_signed(out, st->compact_rev)) || (rc = cm_varint_put(out, st->lease_seed)) ||
	    (rc = cm_varint_put(out, st->nleases)))
		goto fail;
	for (size_t i = 0; i < st->nleases; i++) {
		const struct el_lease *l = st->leases[i];

		if ((rc = cm_varint_put_signed(out, l->id)) || (rc = cm_varint_put_signed(out, l->ttl)) ||
		    (rc = cm_varint_put_signed(out, l->remaining)))
			goto fail;
	}
	if ((rc = cm_varint_put(out, st->nkeys)))
		goto fail;
	for (const struct el_key *k = st->head->next[0]; k; k = k->next[0]) {
		if ((rc = cm_varint_put(out, k->klen)) || (rc = cm_buf_append(out, el_key_bytes(k), k->klen)) ||
		    (rc = cm_varint_put(out, k->nvers)))
			goto fail;
		for (uint32_t i = 0; i < k->nvers; i++)
			if ((rc = put_ver(out, k->vers[i])))
				goto fail;
	}
	crc = cm_crc32c(0, out->data + start, out->len - start);
	for (int i = 0; i < 4; i++)
		tail[i] = (unsigned char)(crc >> (8 * i));
	if ((rc = cm_buf_append(out, tail, 4)))
		goto fail;
	return 0;
fail:
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return rc;
}

struct reader {
	const unsigned char *p, *end;
};

static int get_u64(struct reader *r, uint64_t *v)
{
	return cm_varint_get(&r->p, r->end, v) ? -CM_ECORRUPT : 0;
}

static int get_i64(struct reader *r, int64_t *v)
{
	return cm_varint_get_signed(&r->p, r->end, v) ? -CM_ECORRUPT : 0;
}

static int get_len(struct reader *r, uint32_t *n, size_t unit)
{
	uint64_t v;
	int rc = get_u64(r, &v);

	if (rc)
		return rc;
	if (v > UINT32_MAX || v > (uint64_t)(r->end - r->p) / unit)
		return -CM_ECORRUPT;
	*n = (uint32_t)v;
	return 0;
}

static int cmp_log(const void *a, const void *b)
{
	const struct el_ver *x = *(struct el_ver *const *)a, *y = *(struct el_ver *const *)b;

	if (x->mod != y->mod)
		return x->mod < y->mod ? -1 : 1;
	return x->sub < y->sub ? -1 : x->sub > y->sub;
}

static void release(struct el_store *t)
{
	el_lease_free_all(t);
	el_index_free_all(t);
	free(t->log);
}

static int read_key(struct el_store *t, struct reader *r, struct el_key **last)
{
	uint32_t klen, n;
	struct el_key *k;
	int rc;

	if ((rc = get_len(r, &klen, 1)))
		return rc;
	if (klen == 0 || (*last && el_bytes_cmp(el_key_bytes(*last), (*last)->klen,
						 (const char *)r->p, klen) >= 0))
		return -CM_ECORRUPT; /* keys come strictly ascending */
	if ((rc = el_index_get(t, (const char *)r->p, klen, &k)))
		return rc;
	r->p += klen;
	*last = k;
	if ((rc = get_len(r, &n, 7)) || n == 0)
		return rc ? rc : -CM_ECORRUPT;
	k->vers = malloc(n * sizeof(*k->vers));
	if (!k->vers)
		return -ENOMEM;
	k->cap = n;
	t->bytes += n * sizeof(*k->vers);
	for (uint32_t i = 0; i < n; i++) {
		struct el_ver v, *pv;
		uint64_t sub;
		uint32_t vlen;

		if ((rc = get_i64(r, &v.mod)) || (rc = get_u64(r, &sub)) ||
		    (rc = get_i64(r, &v.create)) || (rc = get_i64(r, &v.version)) ||
		    (rc = get_i64(r, &v.lease)) || (rc = get_len(r, &vlen, 1)))
			return rc;
		if (sub > UINT32_MAX || v.mod < 2 || v.mod > t->rev || v.create < 0 || v.create > v.mod ||
		    (i > 0 && v.mod <= k->vers[i - 1]->mod) ||
		    (v.create == 0 && (v.version || v.lease || vlen)) || (v.create && v.version < 1))
			return -CM_ECORRUPT;
		pv = malloc(sizeof(*pv) + vlen);
		if (!pv)
			return -ENOMEM;
		*pv = v;
		pv->sub = (uint32_t)sub;
		pv->vlen = vlen;
		pv->key = k;
		memcpy(pv->value, r->p, vlen);
		r->p += vlen;
		k->vers[k->nvers++] = pv;
		t->nvers++;
		t->bytes += sizeof(*pv) + vlen;
	}
	return 0;
}

static int rebuild(struct el_store *t)
{
	size_t n = 0;

	t->log = malloc((t->nvers ? t->nvers : 1) * sizeof(*t->log));
	if (!t->log)
		return -ENOMEM;
	t->caplog = t->nvers ? t->nvers : 1;
	for (struct el_key *k = t->head->next[0]; k; k = k->next[0]) {
		struct el_ver *v = el_key_latest(k);

		for (uint32_t i = 0; i < k->nvers; i++)
			if (k->vers[i]->mod >= t->compact_rev)
				t->log[n++] = k->vers[i];
		if (v->create != 0) {
			t->nlive++;
			if (v->lease) {
				struct el_lease *l = el_lease_find(t, v->lease);
				uint32_t before;

				if (!l)
					return -CM_ECORRUPT; /* a live key on a lease that does not exist */
				before = l->nkeys;
				el_lease_attach(l, k);
				if (l->nkeys == before)
					return -ENOMEM;
			}
		}
	}
	t->nlog = n;
	qsort(t->log, n, sizeof(*t->log), cmp_log);
	for (size_t i = 1; i < n; i++)
		if (cmp_log(&t->log[i - 1], &t->log[i]) == 0)
			return -CM_ECORRUPT;
	return 0;
}

int el_store_restore(struct el_store *st, const void *buf, size_t len, int64_t now_ms)
{
	const unsigned char *b = buf;
	struct reader r;
	struct el_store t;
	struct el_key *last = NULL;
	uint32_t crc, nleases, nkeys;
	int rc;

	if (len < 8 || memcmp(b, MAGIC, 4) != 0)
		return -CM_ECORRUPT;
	crc = (uint32_t)b[len - 4] | (uint32_t)b[len - 3] << 8 | (uint32_t)b[len - 2] << 16 |
	      (uint32_t)b[len - 1] << 24;
	if (cm_crc32c(0, b, len - 4) != crc)
		return -CM_ECORRUPT;
	r.p = b + 4;
	r.end = b + len - 4;
	memset(&t, 0, sizeof(t));
	t.min_ttl = st->min_ttl;
	if ((rc = el_index_init(&t)))
		return rc;
	if ((rc = get_i64(&r, &t.rev)) || (rc = get_i64(&r, &t.compact_rev)) ||
	    (rc = get_u64(&r, &t.lease_seed)) || (rc = get_len(&r, &nleases, 3)))
		goto fail;
	if (t.rev < 1 || t.compact_rev < -1 || t.compact_rev > t.rev) {
		rc = -CM_ECORRUPT;
		goto fail;
	}
	for (uint32_t i = 0; i < nleases; i++) {
		struct el_lease *l = calloc(1, sizeof(*l));

		if (!l) {
			rc = -ENOMEM;
			goto fail;
		}
		if ((rc = get_i64(&r, &l->id)) || (rc = get_i64(&r, &l->ttl)) ||
		    (rc = get_i64(&r, &l->remaining)) || l->id == 0 ||
		    (t.nleases && t.leases[t.nleases - 1]->id >= l->id) ||
		    (rc = el_lease_insert(&t, l))) {
			free(l);
			rc = rc ? rc : -CM_ECORRUPT;
			goto fail;
		}
		l->expiry_ms = now_ms + (l->remaining > 0 ? l->remaining : l->ttl) * 1000;
	}
	if ((rc = get_len(&r, &nkeys, 2)))
		goto fail;
	for (uint32_t i = 0; i < nkeys; i++)
		if ((rc = read_key(&t, &r, &last)))
			goto fail;
	if (r.p != r.end) {
		rc = -CM_ECORRUPT;
		goto fail;
	}
	if ((rc = rebuild(&t)))
		goto fail;
	t.generation = st->generation + 1;
	release(st);
	*st = t;
	return 0;
fail:
	release(&t);
	return rc;
}
