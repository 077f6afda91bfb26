/* store.c: the image store: atomic imports from archives, aliases for extra tags, removal, listing, lookup. */
#include "kubelet/image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/json.h"
#include "common/tar.h"
#include "common/timeutil.h"
#include "kubelet/image/archive.h"
#include "kubelet/image/ref.h"
#include "kubelet/image/stream.h"
#include "kubelet/image/unpack.h"

#define MAX_CONFIG (16u << 20)

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void kl_image_close(struct kl_image *im)
{
	free(im->rootfs);
	strv_free(im->entrypoint);
	strv_free(im->cmd);
	strv_free(im->env);
	free(im->working_dir);
	free(im->user);
	memset(im, 0, sizeof(*im));
}

/* A JSON array of strings as a NULL-terminated vector (empty for anything else); NULL on -ENOMEM. */
static char **strv_json(const cJSON *a)
{
	int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0, k = 0;
	char **v = calloc((size_t)n + 1, sizeof(*v));
	const cJSON *it, *arr = n ? a : NULL;

	cJSON_ArrayForEach(it, arr)
	{
		if (!v || !cJSON_IsString(it))
			continue;
		if (!(v[k++] = strdup(it->valuestring))) {
			strv_free(v);
			return NULL;
		}
	}
	return v;
}

/* Reads <dir>/<key>/image.json's config into im. 0, -ENOENT (a hand-made folder), -EINVAL, -ENOMEM. */
static int read_image_json(const char *folder, struct kl_image *im)
{
	struct cm_buf text = CM_BUF_INIT;
	cJSON *doc = NULL;
	const cJSON *c;
	int rootfd, rc;

	if ((rootfd = open(folder, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	rc = kl_archive_read_file(rootfd, "image.json", MAX_CONFIG, &text);
	close(rootfd);
	if (rc == 0 && cm_json_parse(text.data ? text.data : "", text.len, &doc, NULL) < 0)
		rc = -EINVAL;
	if (rc < 0)
		goto out;
	c = cm_json_get(doc, "config");
	im->entrypoint = strv_json(cm_json_get(c, "Entrypoint"));
	im->cmd = strv_json(cm_json_get(c, "Cmd"));
	im->env = strv_json(cm_json_get(c, "Env"));
	if (cm_json_get_str(c, "WorkingDir") && *cm_json_get_str(c, "WorkingDir"))
		im->working_dir = strdup(cm_json_get_str(c, "WorkingDir"));
	if (cm_json_get_str(c, "User") && *cm_json_get_str(c, "User"))
		im->user = strdup(cm_json_get_str(c, "User"));
	if (!im->entrypoint || !im->cmd || !im->env)
		rc = -ENOMEM;
out:
	cJSON_Delete(doc);
	cm_buf_close(&text);
	return rc;
}

/* 0 when <dir>/<name>/rootfs is a directory; folder gets <dir>/<name>. */
static int try_folder(const char *dir, const char *name, struct cm_buf *folder)
{
	struct stat st;
	int rc;

	cm_buf_reset(folder);
	if ((rc = cm_buf_printf(folder, "%s/%s/rootfs", dir, name)) < 0)
		return rc;
	if (stat(folder->data, &st) < 0 || !S_ISDIR(st.st_mode))
		return -ENOENT;
	folder->len -= strlen("/rootfs");
	folder->data[folder->len] = '\0';
	return 0;
}

int kl_image_store_lookup(const char *dir, const char *ref, struct kl_image *out)
{
	struct cm_buf key = CM_BUF_INIT, folder = CM_BUF_INIT, legacy = CM_BUF_INIT;
	struct kl_image im = {0};
	const char *base;
	int rc = -ENOENT;

	if (!dir || !ref || !*ref)
		return -ENOENT;
	if (kl_image_ref_key(ref, &key) == 0 && (rc = try_folder(dir, key.data, &folder)) == 0) {
		if ((rc = read_image_json(folder.data, &im)) == -ENOENT)
			rc = 0;
	} else {
		/* folders made by hand before the store had an import */
		for (const char *c = ref; *c; c++)
			cm_buf_putc(&legacy, (*c == '/' || *c == ':') ? '_' : *c);
		base = strrchr(ref, '/');
		base = base ? base + 1 : ref;
		if (!strstr(ref, "..") && legacy.data && legacy.data[0] != '.' &&
		    (rc = try_folder(dir, legacy.data, &folder)) < 0) {
			cm_buf_reset(&legacy);
			cm_buf_append(&legacy, base, strcspn(base, ":@"));
			rc = legacy.len && legacy.data[0] != '.' ? try_folder(dir, legacy.data, &folder) : -ENOENT;
		}
	}
	if (rc == 0) {
		if (!im.entrypoint)
			im.entrypoint = calloc(1, sizeof(char *));
		if (!im.cmd)
			im.cmd = calloc(1, sizeof(char *));
		if (!im.env)
			im.env = calloc(1, sizeof(char *));
		rc = cm_buf_puts(&folder, "/rootfs");
		im.rootfs = cm_buf_take(&folder);
		if (!im.rootfs || !im.entrypoint || !im.cmd || !im.env)
			rc = -ENOMEM;
	}
	if (rc == 0)
		*out = im;
	else
		kl_image_close(&im);
	cm_buf_close(&key);
	cm_buf_close(&folder);
	cm_buf_close(&legacy);
	return rc;
}

/* Applies one layer file of the archive onto rootfd. */
static int apply_layer(int archfd, const char *layer, int rootfd, struct kl_unpack_stats *st, struct cm_buf *err)
{
	struct kl_unpack_opts o = {.whiteouts = true, .chown = geteuid() == 0};
	struct cm_buf clean = CM_BUF_INIT;
	struct kl_stream *s = NULL;
	struct cm_tar_reader *r = NULL;
	int fd, rc;

	if ((rc = cm_tar_clean_path(layer, &clean)) < 0)
		goto fail;
	if ((fd = kl_open_in_root(archfd, clean.data, O_RDONLY, 0)) < 0) {
		rc = fd;
		goto fail;
	}
	if ((rc = kl_stream_open(fd, &s)) < 0 || (rc = cm_tar_reader_new(kl_stream_read, s, &r)) < 0)
		goto fail;
	if ((rc = kl_unpack_tar(rootfd, r, &o, st, err)) < 0) {
		cm_buf_printf(err, "%s(layer %s)", err->len ? " " : "", layer);
		goto out;
	}
	goto out;
fail:
	cm_buf_printf(err, "layer %s: %s", layer, rc == -ENOTSUP ? "zstd layers are not supported" : strerror(-rc));
out:
	cm_tar_reader_free(r);
	kl_stream_free(s);
	cm_buf_close(&clean);
	return rc;
}

/* Writes <folder>/image.json from the image config in the archive. */
static int write_image_json(int archfd, const struct kl_archive_image *ai, const char *name, size_t n_layers,
			    const char *folder, struct cm_buf *err)
{
	static const char *const keep[] = {"Entrypoint", "Cmd", "Env", "WorkingDir", "User"};
	struct cm_buf text = CM_BUF_INIT, path = CM_BUF_INIT;
	cJSON *cfg = NULL, *out = cJSON_CreateObject(), *c = cJSON_CreateObject();
	int fd = -1, rc;

	if (!out || !c) {
		rc = -ENOMEM;
		goto done;
	}
	if ((rc = kl_archive_read_file(archfd, ai->config, MAX_CONFIG, &text)) < 0 ||
	    (rc = cm_json_parse(text.data ? text.data : "", text.len, &cfg, NULL)) < 0) {
		cm_buf_printf(err, "image config %s: %s", ai->config, rc == -EINVAL ? "not JSON" : strerror(-rc));
		goto done;
	}
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		const cJSON *v = cm_json_get(cm_json_get(cfg, "config"), keep[i]);

		if (v && !cJSON_IsNull(v))
			cJSON_AddItemToObject(c, keep[i], cJSON_Duplicate(v, 1));
	}
	cJSON_AddStringToObject(out, "name", name);
	cJSON_AddStringToObject(out, "id", ai->id ? ai->id : "");
	cJSON_AddNumberToObject(out, "importedMs", (double)cm_time_wall_ms());
	cJSON_AddNumberToObject(out, "layers", (double)n_layers);
	cJSON_AddItemToObject(out, "config", c);
	c = NULL;
	cm_buf_reset(&text);
	if ((rc = cm_json_print(out, &text)) < 0 || (rc = cm_buf_printf(&path, "%s/image.json", folder)) < 0)
		goto done;
	if ((fd = open(path.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0 ||
	    (rc = cm_write_all(fd, text.data, text.len)) < 0) {
		rc = rc < 0 ? rc : -errno;
		cm_buf_printf(err, "%s: %s", path.data, strerror(-rc));
	}
done:
	if (fd >= 0)
		close(fd);
	cJSON_Delete(cfg);
	cJSON_Delete(out);
	cJSON_Delete(c);
	cm_buf_close(&text);
	cm_buf_close(&path);
	return rc;
}

/*
 * Renames scratch (a name in storefd) over key: atomically swapped with what
 * was there, which is then removed. 0 or -errno.
 */
static int install(int storefd, const char *scratch, const char *key)
{
	int rc;

	if (renameat2(storefd, scratch, storefd, key, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (renameat2(storefd, scratch, storefd, key, RENAME_EXCHANGE) < 0)
		return -errno;
	rc = kl_rm_tree_at(storefd, scratch);
	return rc == -ENOENT ? 0 : rc;
}

/* Whether the lines of text ("a\nb\n") hold line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *t = text; t && *t; t = strchr(t, '\n') + 1)
		if (!strncmp(t, line, n) && t[n] == '\n')
			return true;
	return false;
}

/* Imports image i of the archive into the store. */
static int import_one(int storefd, const char *work, const struct kl_archive *a, size_t i, const char *tag,
		      struct cm_buf *report, struct cm_buf *err)
{
	const struct kl_archive_image *ai = &a->images[i];
	struct cm_buf names = CM_BUF_INIT, key = CM_BUF_INIT, folder = CM_BUF_INIT, scratch = CM_BUF_INIT;
	struct cm_buf akey = CM_BUF_INIT;
	struct kl_unpack_stats st = {0, 0};
	size_t n_layers = 0, n_names = 0;
	char *first;
	int rootfd = -1, rc = 0;

	/* the names, normalised, one per line: --tag first */
	if (tag && (rc = kl_image_ref_normalize(tag, &names)) == 0)
		rc = cm_buf_putc(&names, '\n');
	for (char **n = ai->names; rc == 0 && n && *n; n++) {
		struct cm_buf one = CM_BUF_INIT;

		if (kl_image_ref_normalize(*n, &one) < 0) {
			rc = cm_buf_invalid(err, "archive names the image \"%s\": not a valid reference", *n);
		} else if (!has_line(names.data, one.data)) {
			rc = cm_buf_puts(&names, one.data);
			rc = rc ? rc : cm_buf_putc(&names, '\n');
		}
		cm_buf_close(&one);
	}
	if (rc == -EINVAL && tag && !err->len)
		cm_buf_printf(err, "--tag \"%s\": not a valid image reference", tag);
	if (rc == 0 && !names.len)
		rc = cm_buf_invalid(err, "the archive's image %zu names no repository and tag: give one with --tag", i);
	if (rc < 0)
		goto out;
	first = names.data;
	*strchr(names.data, '\n') = '\0';
	if ((rc = kl_image_ref_key(first, &key)) < 0)
		goto out;
	cm_buf_printf(&scratch, "img-%zu", i);
	cm_buf_printf(&folder, "%s/%s", work, scratch.data);
	if (mkdir(folder.data, 0755) < 0 || (cm_buf_puts(&folder, "/rootfs"), mkdir(folder.data, 0755) < 0) ||
	    (rootfd = open(folder.data, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = -errno;
		cm_buf_printf(err, "%s: %s", folder.data, strerror(errno));
		goto out;
	}
	folder.len -= strlen("/rootfs");
	folder.data[folder.len] = '\0';
	for (char **l = ai->layers; l && *l; l++, n_layers++)
		if ((rc = apply_layer(a->rootfd, *l, rootfd, &st, err)) < 0)
			goto out;
	if ((rc = write_image_json(a->rootfd, ai, first, n_layers, folder.data, err)) < 0)
		goto out;
	/* into place: the scratch folder lives in the store, so this is a rename */
	cm_buf_reset(&scratch);
	cm_buf_printf(&scratch, "%s/img-%zu", strrchr(work, '/') + 1, i);
	if ((rc = install(storefd, scratch.data, key.data)) < 0) {
		cm_buf_printf(err, "%s: %s", key.data, strerror(-rc));
		goto out;
	}
	n_names = 1;
	/* the other tags: symlinks to the image's folder, made aside and renamed over the name */
	for (char *n = first + strlen(first) + 1; *n; n += strlen(n) + 1) {
		*strchr(n, '\n') = '\0';
		cm_buf_reset(&akey);
		cm_buf_reset(&scratch);
		cm_buf_printf(&scratch, "%s/alias-%zu-%zu", strrchr(work, '/') + 1, i, n_names);
		if ((rc = kl_image_ref_key(n, &akey)) < 0 || symlinkat(key.data, storefd, scratch.data) < 0 ||
		    (rc = install(storefd, scratch.data, akey.data)) < 0) {
			rc = rc < 0 ? rc : -errno;
			cm_buf_printf(err, "tag %s: %s", n, strerror(-rc));
			goto out;
		}
		n_names++;
	}
	for (char *n = first; n_names--; n += strlen(n) + 1)
		cm_buf_printf(report, "%s %s %zu %zu\n", n, ai->id && *ai->id ? ai->id : "-", n_layers, st.entries);
out:
	if (rootfd >= 0)
		close(rootfd);
	cm_buf_close(&names);
	cm_buf_close(&key);
	cm_buf_close(&akey);
	cm_buf_close(&folder);
	cm_buf_close(&scratch);
	return rc;
}

int kl_image_store_import(const char *dir, const char *path, const char *tag, struct cm_buf *report,
			  struct cm_buf *err)
{
	struct kl_archive a = {.rootfd = -1};
	struct cm_buf work = CM_BUF_INIT;
	int storefd = -1, rc;
	char *slash;

	if ((rc = cm_mkdir_p(dir, 0755)) < 0 || (storefd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = rc < 0 ? rc : -errno;
		cm_buf_printf(err, "image store %s: %s", dir, strerror(-rc));
		return rc;
	}
	if ((rc = cm_buf_printf(&work, "%s/.import-XXXXXX", dir)) < 0 || !mkdtemp(work.data)) {
		rc = rc < 0 ? rc : -errno;
		cm_buf_printf(err, "image store %s: %s", dir, strerror(-rc));
		goto out;
	}
	if ((rc = kl_archive_open(path, work.data, &a, err)) < 0)
		goto out;
	if (tag && a.n > 1) {
		rc = cm_buf_invalid(err, "%s holds %zu images: --tag names only one", path, a.n);
		goto out;
	}
	for (size_t i = 0; i < a.n && rc == 0; i++)
		rc = import_one(storefd, work.data, &a, i, tag, report, err);
out:
	kl_archive_close(&a);
	if (work.len && (slash = strrchr(work.data, '/')) && access(work.data, F_OK) == 0)
		kl_rm_tree_at(storefd, slash + 1);
	if (storefd >= 0)
		close(storefd);
	cm_buf_close(&work);
	return rc;
}

/* Unlinks every alias in the store that points at key. */
static void drop_aliases(int storefd, const char *key)
{
	int fd = openat(storefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char target[4096];

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		ssize_t n = readlinkat(storefd, de->d_name, target, sizeof(target) - 1);

		if (n < 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, key))
			unlinkat(storefd, de->d_name, 0);
	}
	closedir(d);
}

int kl_image_store_remove(const char *dir, const char *ref)
{
	struct cm_buf key = CM_BUF_INIT, tmp = CM_BUF_INIT;
	struct stat st;
	int storefd, rc;

	if ((rc = kl_image_ref_key(ref, &key)) < 0)
		return rc;
	if ((storefd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
	}
	if (fstatat(storefd, key.data, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
	} else if (S_ISLNK(st.st_mode)) {
		rc = unlinkat(storefd, key.data, 0) < 0 ? -errno : 0;
	} else {
		/* out of the name first (a lookup sees it or not), then delete at leisure */
		cm_buf_printf(&tmp, "%s/.remove-XXXXXX", dir);
		if (!mkdtemp(tmp.data)) {
			rc = -errno;
			goto out;
		}
		cm_buf_puts(&tmp, "/img");
		if (renameat(storefd, key.data, AT_FDCWD, tmp.data) < 0)
			rc = -errno;
		else
			drop_aliases(storefd, key.data);
		*strrchr(tmp.data, '/') = '\0';
		kl_rm_tree_at(storefd, strrchr(tmp.data, '/') + 1);
	}
out:
	if (storefd >= 0)
		close(storefd);
	cm_buf_close(&key);
	cm_buf_close(&tmp);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kl_image_store_list(const char *dir, kl_image_list_cb cb, void *ud)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **keys = NULL, target[4096];
	size_t n = 0;
	int rc = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char **nk;

		if (de->d_name[0] == '.')
			continue;
		if (!(nk = realloc(keys, (n + 1) * sizeof(*keys))) || !(nk[n] = strdup(de->d_name))) {
			keys = nk ? nk : keys;
			rc = -ENOMEM;
			break;
		}
		keys = nk;
		n++;
	}
	closedir(d);
	if (rc == 0 && n)
		qsort(keys, n, sizeof(*keys), cmp_str);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct cm_buf name = CM_BUF_INIT, alias = CM_BUF_INIT, p = CM_BUF_INIT, text = CM_BUF_INIT;
		cJSON *doc = NULL;
		ssize_t k;
		int fd;

		cm_buf_printf(&p, "%s/%s", dir, keys[i]);
		if ((k = readlink(p.data, target, sizeof(target) - 1)) >= 0) {
			target[k] = '\0';
			kl_image_ref_from_key(target, &alias);
		}
		if ((fd = open(p.data, O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			if (kl_archive_read_file(fd, "image.json", MAX_CONFIG, &text) == 0)
				cm_json_parse(text.data ? text.data : "", text.len, &doc, NULL);
			close(fd);
		}
		kl_image_ref_from_key(keys[i], &name);
		cb(name.data, cm_json_str_or(doc, "id", "-"), alias.len ? alias.data : NULL,
		   cm_json_int64_or(doc, "importedMs", 0), ud);
		cJSON_Delete(doc);
		cm_buf_close(&name);
		cm_buf_close(&alias);
		cm_buf_close(&p);
		cm_buf_close(&text);
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return rc;
}
