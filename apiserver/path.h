/* path.h: request paths read as the API reads them, without a request: which are resources, and their parts. */
#ifndef API_PATH_H
#define API_PATH_H

#include <stdbool.h>

/* Whether path names a resource ("/api/v1/X...", "/apis/G/V/X..."): rest.c authorizes those. */
bool api_path_is_resource(const char *path);

/*
 * The parts of what follows a group-version ("namespaces/ns/pods/web/status"):
 * [namespaces/NS/]PLURAL[/NAME[/SUB]], empty segments skipped.
 * "namespaces/NS/status" and ".../finalize" are the namespace's own
 * subresources, not a namespaced collection.
 */
struct api_path {
	const char *ns, *plural, *name, *sub; /* NULL when absent; point into buf */
	char *buf;                            /* owned */
};

/*
 * Splits rest (NULL: "") into *out, to close with api_path_close. Returns 0,
 * -ENOENT (not a resource's shape: no plural, or more than six segments), or
 * -ENOMEM; *out is then empty (closing it does nothing).
 */
int api_path_split(const char *rest, struct api_path *out);
void api_path_close(struct api_path *p);

#endif
