/* manifest.c: files, folders and stdin to a list of objects, through common/yaml. */
#include "ctl/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "common/yaml.h"

static int read_stream(FILE *f, struct cm_buf *out)
{
	char chunk[8192];
	size_t n;
	int rc = 0;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && !rc)
		rc = cm_buf_append(out, chunk, n);
	return rc ? rc : ferror(f) ? -EIO : 0;
}

static int add_doc(struct mc_ctx *c, const char *name, cJSON *doc, cJSON *out)
{
	if (!cJSON_IsObject(doc)) {
		fprintf(c->errout, "error: error validating \"%s\": the document is not an object\n", name);
		return MC_FAIL;
	}
	if (!strcmp(cm_json_str_or(doc, "kind", ""), "List")) {
		cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items"), *it;
		while (items && (it = cJSON_DetachItemFromArray(items, 0))) {
			int rc = add_doc(c, name, it, out);
			if (rc) {
				cJSON_Delete(it);
				return rc;
			}
		}
		cJSON_Delete(doc);
		return 0;
	}
	if (!cm_json_get_str(doc, "kind") || !cm_json_get_str(doc, "apiVersion")) {
		fprintf(c->errout,
			"error: error validating \"%s\": error validating data: [apiVersion not set, kind not set]; if you choose to ignore these errors, turn validation off with --validate=false\n",
			name);
		return MC_FAIL;
	}
	/* Remember where it came from for messages. */
	cJSON_AddItemToArray(out, doc);
	return 0;
}

static int load_text(struct mc_ctx *c, const char *name, const struct cm_buf *text, cJSON *out)
{
	struct cm_buf err = CM_BUF_INIT;
	cJSON *docs = NULL, *d;
	int rc = cm_yaml_parse_all(text->data ? text->data : "", text->len, name, &docs, &err);

	if (rc) {
		fprintf(c->errout, "error: error parsing %s: error converting YAML to JSON: yaml: %s\n", name,
			err.data ? err.data : "out of memory");
		cm_buf_close(&err);
		return MC_FAIL;
	}
	while ((d = cJSON_DetachItemFromArray(docs, 0)) && !rc) {
		rc = add_doc(c, name, d, out);
		if (rc)
			cJSON_Delete(d);
	}
	cJSON_Delete(docs);
	return rc;
}

static bool manifest_ext(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_path(struct mc_ctx *c, const char *path, bool recursive, bool top, cJSON *out)
{
	struct stat st;
	struct cm_buf text = CM_BUF_INIT;
	int rc = 0;

	if (!strcmp(path, "-")) {
		rc = read_stream(stdin, &text);
		if (!rc)
			rc = load_text(c, "STDIN", &text, out);
		cm_buf_close(&text);
		return rc;
	}
	if (stat(path, &st)) {
		fprintf(c->errout, "error: the path \"%s\" does not exist\n", path);
		return MC_FAIL;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d;
		struct dirent *e;
		char **names = NULL;
		size_t n = 0, cap = 0;
		if (!top && !recursive)
			return 0;
		if (!(d = opendir(path))) {
			fprintf(c->errout, "error: cannot read directory \"%s\"\n", path);
			return MC_FAIL;
		}
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			if (n == cap) {
				char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*nn));
				if (!nn)
					break;
				names = nn;
			}
			names[n] = malloc(strlen(path) + strlen(e->d_name) + 2);
			if (!names[n])
				break;
			sprintf(names[n++], "%s/%s", path, e->d_name);
		}
		closedir(d);
		qsort(names, n, sizeof(*names), cmp_str);
		for (size_t i = 0; i < n; i++) {
			struct stat s2;
			if (!rc && !stat(names[i], &s2) && (S_ISDIR(s2.st_mode) ? recursive : manifest_ext(names[i])))
				rc = load_path(c, names[i], recursive, false, out);
			free(names[i]);
		}
		free(names);
		return rc;
	}
	{
		FILE *f = fopen(path, "rb");
		if (!f) {
			fprintf(c->errout, "error: open %s: %s\n", path, strerror(errno));
			return MC_FAIL;
		}
		rc = read_stream(f, &text);
		fclose(f);
	}
	if (!rc)
		rc = load_text(c, path, &text, out);
	cm_buf_close(&text);
	return rc;
}

int mc_manifest_load(struct mc_ctx *c, const struct mc_strv *files, bool recursive, cJSON **out)
{
	int rc = 0;

	if (!*out && !(*out = cJSON_CreateArray()))
		return -ENOMEM;
	for (size_t i = 0; i < files->n && !rc; i++)
		rc = load_path(c, files->v[i], recursive, true, *out);
	return rc;
}
