/* apply.h: server-side apply, and the metadata.managedFields entries every write keeps. Internal to apiserver/. */
#ifndef API_APPLY_H
#define API_APPLY_H

#include <stdbool.h>

#include <cjson/cJSON.h>

struct api_ctx;

/* Who writes and how: the parts of a managedFields entry a write decides. */
struct api_apply_opts {
	const char *manager;
	const char *subresource; /* NULL or "" for the object itself, "status", "scale" */
	const char *api_version; /* the object's, e.g. "apps/v1" */
	const char *now;         /* RFC 3339, the time of entries this write changes */
	bool force;              /* apply: take fields other managers own */
	bool skip_status;        /* status is not tracked (written through its subresource) */
};

/*
 * Server-side apply of config onto live (NULL: the object does not exist):
 * config merged into live (lists by merge key), the fields this manager
 * applied before and no longer applies removed unless another manager owns
 * them, config's fields becoming the manager's Apply entry. Fields another
 * manager owns that would change are conflicts unless o->force, which takes
 * them over. The Apply entry's time changes only when the object does.
 * Returns NULL with *out the new object (with its managedFields; the
 * caller owns it), or a Status to answer (409 Conflict with its causes, 500
 * out of memory); live and config are untouched.
 */
cJSON *api_apply_object(const cJSON *live, const cJSON *config, const struct api_apply_opts *o, cJSON **out);

/*
 * Records in obj's metadata.managedFields an Update by o->manager from old
 * (NULL: a create) to obj: the fields it changed become its (merged with
 * its earlier Update entry), and other managers lose them and the fields
 * it removed. Entries obj carries that differ from old's replace them (a
 * client may reset them; [{}] clears them all). Nothing changed: no entry.
 * Returns 0, -ENOMEM (obj then unchanged or partly tracked, never invalid).
 */
int api_managed_update_object(const cJSON *old, cJSON *obj, const struct api_apply_opts *o);

/*
 * The manager of request c, as Kubernetes names it: the fieldManager query
 * parameter, else the program name leading the User-Agent, at most 128
 * bytes. Never NULL: an empty string when there is neither; owned by c's
 * request.
 */
const char *api_field_manager(struct api_ctx *c, char buf[129]);

/* Whether c is a PATCH with application/apply-patch+yaml. */
bool api_is_apply(struct api_ctx *c);

/*
 * The request-level checks Kubernetes makes of PATCH options: apply needs
 * a fieldManager, force is for apply only, a fieldManager is at most 128
 * bytes. NULL or a Status (422) to answer.
 */
cJSON *api_apply_check_options(struct api_ctx *c);

/*
 * An apply's configuration (c->body) with fields its kind's schema lacks is
 * refused whatever fieldValidation says, as Kubernetes' typed conversion of
 * it fails: 500, no reason, "failed to create typed patch object (NS/NAME;
 * GROUP/VERSION, Kind=KIND): .spec.bogus: field not declared in schema" (each
 * unknown field once, not what is below it; several: "errors:" and one per
 * line). NULL when every field is known; a 500 Status on -ENOMEM.
 */
cJSON *api_apply_unknown_fields(struct api_ctx *c);

/* api_apply_object for request c (its body, manager, force) onto live: NULL with *out, or a Status. */
cJSON *api_apply_run(struct api_ctx *c, const cJSON *live, cJSON **out);

/*
 * Managed fields for a write of c from old (NULL on create) to obj: an
 * Update entry, or for an apply that creates, the Apply entry of config
 * (c's body before defaulting). NULL or a Status.
 */
cJSON *api_managed_track(struct api_ctx *c, const cJSON *old, cJSON *obj, const cJSON *config);

#endif
