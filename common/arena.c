/* arena.c: the bump allocator: blocks of 4 KiB or the size asked, chained. */
#include "common/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct cm_arena_block {
	struct cm_arena_block *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

#define BLOCK_SIZE 4096

void *cm_arena_alloc(struct cm_arena *a, size_t size)
{
	struct cm_arena_block *b = a->head;
	size_t align = alignof(max_align_t);
	size_t need = (size + align - 1) & ~(align - 1);
	void *p;

	if (need < size)
		return NULL;
	if (!b || b->cap - b->used < need) {
		size_t cap = need > BLOCK_SIZE ? need : BLOCK_SIZE;
		if (cap > SIZE_MAX - sizeof(*b))
			return NULL;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += need;
	memset(p, 0, size);
	return p;
}

char *cm_arena_dup(struct cm_arena *a, const void *data, size_t len)
{
	char *p = len == SIZE_MAX ? NULL : cm_arena_alloc(a, len + 1);

	if (!p)
		return NULL;
	if (len)
		memcpy(p, data, len);
	p[len] = '\0';
	return p;
}

void cm_arena_close(struct cm_arena *a)
{
	while (a->head) {
		struct cm_arena_block *next = a->head->next;
		free(a->head);
		a->head = next;
	}
}
