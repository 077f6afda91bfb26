/* target.c: turning "TYPE NAME..." / "TYPE/NAME..." / "a,b" / "all" into (resource, name) pairs. */
#include "ctl/target.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static int add(struct mc_targets *t, const struct mc_resource *r, const char *name)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct mc_target *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].res = r;
	t->v[t->n++].name = name;
	return 0;
}

void mc_targets_close(struct mc_targets *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int unknown(struct mc_ctx *c, const char *word, size_t len)
{
	fprintf(c->errout, "error: the server doesn't have a resource type \"%.*s\"\n", (int)len, word);
	return MC_FAIL;
}

/* Adds the types of a comma-separated list ("pods,svc", "all"), each with name (may be NULL). */
static int add_types(struct mc_ctx *c, const char *types, const char *name, struct mc_targets *out)
{
	const char *p = types;
	int rc = 0;

	while (*p && !rc) {
		size_t len = strcspn(p, ",");
		char word[128];
		if (len >= sizeof(word))
			return unknown(c, p, len);
		memcpy(word, p, len);
		word[len] = '\0';
		if (!strcmp(word, "all")) {
			const struct mc_resource *r;
			for (int i = 0; (r = mc_resource_at(i)) && !rc; i++)
				if (r->in_all)
					rc = add(out, r, name);
		} else if (len) {
			const struct mc_resource *r = mc_resource_find(word);
			if (!r)
				return unknown(c, word, len);
			rc = add(out, r, name);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return rc;
}

int mc_targets_parse(struct mc_ctx *c, const struct mc_strv *pos, size_t first, struct mc_targets *out)
{
	int rc = 0;

	if (pos->n <= first) {
		fputs("error: you must specify the type of resource to get. Use \"minictl api-resources\" for a complete list of supported resources.\n",
		      c->errout);
		return MC_FAIL;
	}
	if (strchr(pos->v[first], '/')) {
		for (size_t i = first; i < pos->n && !rc; i++) {
			const char *a = pos->v[i], *slash = strchr(a, '/');
			char word[128];
			const struct mc_resource *r;
			if (!slash) {
				fprintf(c->errout, "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'minictl get resource/<resource_name>' instead of 'minictl get resource resource/<resource_name>'\n");
				return MC_FAIL;
			}
			if ((size_t)(slash - a) >= sizeof(word))
				return unknown(c, a, (size_t)(slash - a));
			memcpy(word, a, (size_t)(slash - a));
			word[slash - a] = '\0';
			if (!(r = mc_resource_find(word)))
				return unknown(c, word, strlen(word));
			rc = add(out, r, slash + 1);
		}
		return rc;
	}
	if (pos->n == first + 1)
		return add_types(c, pos->v[first], NULL, out);
	for (size_t i = first + 1; i < pos->n && !rc; i++) {
		if (strchr(pos->v[i], '/')) {
			fprintf(c->errout, "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'minictl get resource/<resource_name>' instead of 'minictl get resource resource/<resource_name>'\n");
			return MC_FAIL;
		}
		rc = add_types(c, pos->v[first], pos->v[i], out);
	}
	return rc;
}

int mc_object_locate(struct mc_ctx *c, cJSON *obj, const struct mc_resource **res, const char **ns)
{
	const char *kind = cm_json_get_str(obj, "kind"), *av = cm_json_get_str(obj, "apiVersion");
	const struct mc_resource *r = mc_resource_by_kind(av, kind);
	const char *objns;

	if (!r) {
		fprintf(c->errout, "error: resource mapping not found for name: \"%s\" namespace: \"%s\" from \"\": no matches for kind \"%s\" in version \"%s\"\n",
			cm_json_str_or(obj, "metadata.name", ""), cm_json_str_or(obj, "metadata.namespace", ""),
			kind ? kind : "", av ? av : "");
		return MC_FAIL;
	}
	if (!cm_json_get_str(obj, "metadata.name")) {
		fprintf(c->errout, "error: resource name may not be empty\n");
		return MC_FAIL;
	}
	*res = r;
	*ns = NULL;
	if (!r->namespaced)
		return 0;
	objns = cm_json_get_str(obj, "metadata.namespace");
	if (objns && *objns && c->ns_explicit && strcmp(objns, c->ns) != 0) {
		fprintf(c->errout, "error: the namespace from the provided object \"%s\" does not match the namespace \"%s\". You must pass '--namespace=%s' to perform this operation.\n",
			objns, c->ns, objns);
		return MC_FAIL;
	}
	if (!objns || !*objns) {
		if (cm_json_set_str(obj, "metadata.namespace", c->ns))
			return -ENOMEM;
	}
	*ns = cm_json_get_str(obj, "metadata.namespace");
	return 0;
}

int mc_object_ref(const struct mc_resource *r, const char *name, struct cm_buf *out)
{
	int rc = mc_resource_qualified(r, out);
	return rc ? rc : cm_buf_printf(out, "/%s", name);
}
