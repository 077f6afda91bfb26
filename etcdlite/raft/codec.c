/* codec.c: a length-checked binary encoding of Raft message batches and entries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcdlite/raft/codec.h"

static const uint8_t magic[4] = {'R', 'F', 'T', '1'};

#define ENTRY_HDR (8 + 8 + 1 + 4)
#define MSG_FIXED (1 + 1 + 8 * 12 + 4 + 8)

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int app_u8(struct cm_buf *b, uint8_t v)
{
	return cm_buf_append(b, &v, 1);
}

static int app_u32(struct cm_buf *b, uint32_t v)
{
	uint8_t p[4];
	put_u32(p, v);
	return cm_buf_append(b, p, 4);
}

static int app_u64(struct cm_buf *b, uint64_t v)
{
	uint8_t p[8];
	put_u64(p, v);
	return cm_buf_append(b, p, 8);
}

int raft_codec_put_entry(struct cm_buf *out, const struct raft_entry *e)
{
	size_t old = out->len;
	int rc = app_u64(out, e->term);
	rc = rc ? rc : app_u64(out, e->index);
	rc = rc ? rc : app_u8(out, e->type);
	rc = rc ? rc : app_u32(out, e->len);
	if (!rc && e->len)
		rc = cm_buf_append(out, e->data, e->len);
	if (rc)
		out->len = old;
	return rc;
}

static int put_msg(struct cm_buf *b, const struct raft_msg *m)
{
	uint8_t flags = (uint8_t)((m->reject ? 1 : 0) | (m->force ? 2 : 0));
	int rc = app_u8(b, m->type);
	rc = rc ? rc : app_u8(b, flags);
	const uint64_t f[] = {m->from, m->to, m->term, m->log_term, m->index, m->commit,
			      m->reject_hint, m->reject_hint_term, m->ctx,
			      m->snapshot.index, m->snapshot.term, 0 /* reserved */};
	for (size_t i = 0; !rc && i < sizeof(f) / sizeof(f[0]); i++)
		rc = app_u64(b, f[i]);
	rc = rc ? rc : app_u32(b, (uint32_t)m->n_entries);
	for (size_t i = 0; !rc && i < m->n_entries; i++)
		rc = raft_codec_put_entry(b, &m->entries[i]);
	rc = rc ? rc : app_u64(b, m->snap_data ? m->snap_len : 0);
	if (!rc && m->snap_data && m->snap_len)
		rc = cm_buf_append(b, m->snap_data, m->snap_len);
	return rc;
}

int raft_codec_encode(const struct raft_msg *msgs, size_t n, struct cm_buf *out)
{
	size_t old = out->len;
	int rc = cm_buf_append(out, magic, sizeof(magic));
	rc = rc ? rc : app_u32(out, (uint32_t)n);
	for (size_t i = 0; !rc && i < n; i++)
		rc = put_msg(out, &msgs[i]);
	if (rc)
		out->len = old;
	return rc;
}

/* A cursor over input that refuses to read past its end. */
struct rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static const uint8_t *take(struct rd *r, size_t n)
{
	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static uint8_t get_u8(struct rd *r)
{
	const uint8_t *p = take(r, 1);
	return p ? p[0] : 0;
}

static uint32_t get_u32(struct rd *r)
{
	const uint8_t *p = take(r, 4);
	uint32_t v = 0;
	for (int i = 0; p && i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint64_t get_u64(struct rd *r)
{
	const uint8_t *p = take(r, 8);
	uint64_t v = 0;
	for (int i = 0; p && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int get_entry(struct rd *r, struct raft_entry *e)
{
	struct raft_entry t = {0};
	t.term = get_u64(r);
	t.index = get_u64(r);
	t.type = get_u8(r);
	t.len = get_u32(r);
	if (r->bad || t.type > RAFT_ENTRY_CONF)
		return -EINVAL;
	const uint8_t *d = take(r, t.len);
	if (!d)
		return -EINVAL;
	if (t.len) {
		t.data = malloc(t.len);
		if (!t.data)
			return -ENOMEM;
		memcpy(t.data, d, t.len);
	}
	*e = t;
	return 0;
}

int raft_codec_get_entry(const uint8_t *data, size_t len, struct raft_entry *e,
			 size_t *used)
{
	struct rd r = {data, len, false};
	struct raft_entry t;
	int rc = get_entry(&r, &t);
	if (rc)
		return rc;
	*e = t;
	*used = len - r.left;
	return 0;
}

static int get_msg(struct rd *r, struct raft_msg *m)
{
	m->type = get_u8(r);
	uint8_t flags = get_u8(r);
	m->reject = flags & 1;
	m->force = (flags & 2) != 0;
	m->from = get_u64(r);
	m->to = get_u64(r);
	m->term = get_u64(r);
	m->log_term = get_u64(r);
	m->index = get_u64(r);
	m->commit = get_u64(r);
	m->reject_hint = get_u64(r);
	m->reject_hint_term = get_u64(r);
	m->ctx = get_u64(r);
	m->snapshot.index = get_u64(r);
	m->snapshot.term = get_u64(r);
	(void)get_u64(r);
	uint32_t ne = get_u32(r);
	if (r->bad || m->type < RAFT_MSG_APPEND || m->type > RAFT_MSG_TYPE_MAX ||
	    (flags & ~3u))
		return -EINVAL;
	/* Every entry takes at least its header: a count the input cannot
	 * hold is a lie, refused before allocating for it. */
	if (ne > r->left / ENTRY_HDR)
		return -EINVAL;
	if (ne) {
		m->entries = calloc(ne, sizeof(*m->entries));
		if (!m->entries)
			return -ENOMEM;
		for (uint32_t i = 0; i < ne; i++) {
			int rc = get_entry(r, &m->entries[i]);
			if (rc)
				return rc;
			m->n_entries = i + 1;
		}
	}
	uint64_t sl = get_u64(r);
	if (r->bad || sl > r->left)
		return -EINVAL;
	const uint8_t *d = take(r, (size_t)sl);
	if (sl) {
		uint8_t *c = malloc((size_t)sl);
		if (!c)
			return -ENOMEM;
		memcpy(c, d, (size_t)sl);
		m->snap_data = c;
		m->snap_len = (size_t)sl;
	}
	return 0;
}

int raft_codec_decode(const uint8_t *data, size_t len, struct raft_msg **msgs,
		      size_t *n)
{
	struct rd r = {data, len, false};
	const uint8_t *mg = take(&r, sizeof(magic));
	uint32_t count = get_u32(&r);
	if (!mg || r.bad || memcmp(mg, magic, sizeof(magic)) != 0)
		return -EINVAL;
	if (count > RAFT_CODEC_MAX_MSGS || count > r.left / MSG_FIXED)
		return -EINVAL;
	struct raft_msg *m = calloc(count ? count : 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	int rc = 0;
	uint32_t i;
	for (i = 0; i < count; i++) {
		rc = get_msg(&r, &m[i]);
		if (rc) {
			i++; /* free the partial one too */
			break;
		}
	}
	if (!rc && r.left != 0)
		rc = -EINVAL; /* trailing bytes: framing is off */
	if (rc) {
		raft_codec_free(m, i);
		return rc;
	}
	*msgs = m;
	*n = count;
	return 0;
}

void raft_codec_free(struct raft_msg *msgs, size_t n)
{
	if (!msgs)
		return;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < msgs[i].n_entries; j++)
			free(msgs[i].entries[j].data);
		free(msgs[i].entries);
		free((void *)msgs[i].snap_data);
	}
	free(msgs);
}
