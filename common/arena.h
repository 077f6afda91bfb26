/* arena.h: a bump allocator for short-lived trees (a decoded request), freed all at once. */
#ifndef CM_ARENA_H
#define CM_ARENA_H

#include <stddef.h>

struct cm_arena_block;

/* Zero-initialise (or CM_ARENA_INIT); the arena owns every block it hands out. */
struct cm_arena {
	struct cm_arena_block *head;
};

#define CM_ARENA_INIT {NULL}

/* size zeroed bytes, aligned for any type, valid until cm_arena_close; NULL on -ENOMEM. */
void *cm_arena_alloc(struct cm_arena *a, size_t size);
/* A copy of data[0..len) plus a NUL, or NULL on -ENOMEM. */
char *cm_arena_dup(struct cm_arena *a, const void *data, size_t len);
/* Frees every block; the arena is empty and reusable. */
void cm_arena_close(struct cm_arena *a);

#endif
