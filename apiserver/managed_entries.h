/* managed_entries.h: an object's metadata.managedFields as a list of entries with decoded field sets. Internal to apiserver/. */
#ifndef API_MANAGED_ENTRIES_H
#define API_MANAGED_ENTRIES_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/* One manager's fields; every string owned by the entry, sub NULL for the object itself. */
struct api_mf_entry {
	char *manager, *operation, *api_version, *time, *sub;
	cJSON *set; /* managed_fields.h's form */
};

struct api_mf_entries {
	struct api_mf_entry *v;
	size_t n, cap;
};

/*
 * Reads obj's metadata.managedFields (obj may be NULL). Entries that are
 * not FieldsV1 or whose fields do not decode are dropped, as is an entry
 * with no fields ([{}] is how a client clears them). Returns 0 or -ENOMEM.
 */
int api_mf_entries_read(const cJSON *obj, struct api_mf_entries *out);
void api_mf_entries_close(struct api_mf_entries *l);

/*
 * The entry of manager for operation ("Apply" or "Update") on sub, and for
 * an Update the apiVersion too (as Kubernetes tells managers apart); NULL
 * if none, or with create a new empty one (NULL on -ENOMEM).
 */
struct api_mf_entry *api_mf_entries_find(struct api_mf_entries *l, const char *manager, const char *operation,
					  const char *api_version, const char *sub, bool create);

/* Sets time (copied) on e. Returns 0 or -ENOMEM. */
int api_mf_entry_set_time(struct api_mf_entry *e, const char *time);

/*
 * Writes the entries with fields into obj's metadata.managedFields in
 * Kubernetes' order (Apply before Update, then by time, manager, apiVersion,
 * subresource), or removes the member when there are none. Returns 0 or
 * -ENOMEM (obj unchanged).
 */
int api_mf_entries_write(struct api_mf_entries *l, cJSON *obj);

/* How Kubernetes names an entry's manager in a conflict: "\"m\"", with " with subresource \"s\"", " using v". Into out. */
int api_mf_entry_describe(const struct api_mf_entry *e, struct cm_buf *out);

#endif
