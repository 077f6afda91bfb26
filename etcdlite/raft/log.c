/* log.c: the in-memory Raft log: entries after the snapshot, their terms, truncation and compaction. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcdlite/raft/raft_int.h"

uint64_t raft_log_first_index(const struct raft_log *l)
{
	return l->snap.index + 1;
}

uint64_t raft_log_last_index(const struct raft_log *l)
{
	return l->snap.index + l->n;
}

uint64_t raft_log_term(const struct raft_log *l, uint64_t index)
{
	if (index == l->snap.index)
		return l->snap.term;
	if (index < l->snap.index || index > raft_log_last_index(l))
		return 0;
	return l->ents[index - l->snap.index - 1].term;
}

uint64_t raft_log_last_term(const struct raft_log *l)
{
	return raft_log_term(l, raft_log_last_index(l));
}

struct raft_entry *raft_log_entry(const struct raft_log *l, uint64_t index)
{
	if (index <= l->snap.index || index > raft_log_last_index(l))
		return NULL;
	return &l->ents[index - l->snap.index - 1];
}

int raft_log_append(struct raft_log *l, const struct raft_entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct raft_entry *p = realloc(l->ents, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		l->ents = p;
		l->cap = cap;
	}
	struct raft_entry c = *e;
	c.index = raft_log_last_index(l) + 1;
	c.data = NULL;
	if (e->len) {
		c.data = malloc(e->len);
		if (!c.data)
			return -ENOMEM;
		memcpy(c.data, e->data, e->len);
	}
	l->ents[l->n++] = c;
	return 0;
}

void raft_log_truncate(struct raft_log *l, uint64_t index)
{
	while (l->n > 0 && raft_log_last_index(l) >= index) {
		free(l->ents[l->n - 1].data);
		l->n--;
	}
	/* Entries handed out to persist and now gone must be persisted again:
	 * the replacements come from index on. */
	if (l->stable >= index)
		l->stable = index - 1;
}

void raft_log_compact(struct raft_log *l, uint64_t index)
{
	if (index <= l->snap.index)
		return;
	size_t k = (size_t)(index - l->snap.index);
	if (k > l->n)
		k = l->n;
	uint64_t term = raft_log_term(l, index);
	for (size_t i = 0; i < k; i++)
		free(l->ents[i].data);
	if (k)
		memmove(l->ents, l->ents + k, (l->n - k) * sizeof(*l->ents));
	l->n -= k;
	l->snap.index = index;
	l->snap.term = term;
}

void raft_log_restore(struct raft_log *l, struct raft_snapshot_meta meta)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ents[i].data);
	l->n = 0;
	l->snap = meta;
	l->committed = meta.index;
	l->stable = meta.index;
}

void raft_log_close(struct raft_log *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ents[i].data);
	free(l->ents);
	memset(l, 0, sizeof(*l));
}

uint64_t raft_log_find_conflict_by_term(const struct raft_log *l, uint64_t index,
					uint64_t term)
{
	uint64_t last = raft_log_last_index(l);
	if (index > last)
		index = last;
	while (index > l->snap.index && raft_log_term(l, index) > term)
		index--;
	return index;
}
