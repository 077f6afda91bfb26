/* archive.c: finds the images of a docker save archive or OCI layout: names, config and layers of each. */
#include "kubelet/image/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/tar.h"
#include "kubelet/image/stream.h"
#include "kubelet/image/unpack.h"

#define MAX_JSON (16u << 20)
#define MAX_INDEX_DEPTH 4

#if defined(__x86_64__)
#define HOST_ARCH "amd64"
#elif defined(__aarch64__)
#define HOST_ARCH "arm64"
#elif defined(__arm__)
#define HOST_ARCH "arm"
#elif defined(__i386__)
#define HOST_ARCH "386"
#else
#define HOST_ARCH ""
#endif

int kl_archive_read_file(int rootfd, const char *path, size_t max, struct cm_buf *out)
{
	struct cm_buf clean = CM_BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd, rc = 0;

	if ((rc = cm_tar_clean_path(path, &clean)) < 0)
		return rc;
	fd = kl_open_in_root(rootfd, clean.data, O_RDONLY, 0);
	cm_buf_close(&clean);
	if (fd < 0)
		return fd;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (out->len + (size_t)n > max) {
			rc = -EFBIG;
			break;
		}
		if ((rc = cm_buf_append(out, chunk, (size_t)n)) < 0)
			break;
	}
	close(fd);
	return rc;
}

static int read_json(int rootfd, const char *path, cJSON **out, struct cm_buf *err)
{
	struct cm_buf text = CM_BUF_INIT;
	int rc = kl_archive_read_file(rootfd, path, MAX_JSON, &text);

	if (rc == 0 && cm_json_parse(text.data ? text.data : "", text.len, out, NULL) < 0)
		rc = cm_buf_invalid(err, "%s: not JSON", path);
	else if (rc < 0 && rc != -ENOENT)
		cm_buf_printf(err, "%s: %s", path, strerror(-rc));
	cm_buf_close(&text);
	return rc;
}

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* Appends s (copied) to the NULL-terminated *v. 0 or -ENOMEM. */
static int strv_push(char ***v, const char *s)
{
	size_t n = 0;
	char **nv, *c = strdup(s);

	while (*v && (*v)[n])
		n++;
	if (!c || !(nv = realloc(*v, (n + 2) * sizeof(*nv)))) {
		free(c);
		return -ENOMEM;
	}
	nv[n] = c;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

static int add_image(struct kl_archive *a, struct kl_archive_image *im)
{
	struct kl_archive_image *n = realloc(a->images, (a->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	a->images = n;
	a->images[a->n++] = *im;
	memset(im, 0, sizeof(*im));
	return 0;
}

static void image_close(struct kl_archive_image *im)
{
	strv_free(im->names);
	strv_free(im->layers);
	free(im->config);
	free(im->id);
	memset(im, 0, sizeof(*im));
}

/* "sha256:<hex>" as blobs/sha256/<hex>, refusing anything that could leave that folder. */
static int blob_path(const char *digest, struct cm_buf *out, struct cm_buf *err)
{
	const char *colon = digest ? strchr(digest, ':') : NULL;
	size_t alen = colon ? (size_t)(colon - digest) : 0, hlen = colon ? strlen(colon + 1) : 0;

	if (!colon || !alen || alen > 32 || !hlen || hlen > 256 ||
	    strspn(digest, "abcdefghijklmnopqrstuvwxyz0123456789+._-") != alen ||
	    strspn(colon + 1, "0123456789abcdef") != hlen)
		return cm_buf_invalid(err, "bad digest \"%s\"", digest ? digest : "");
	return cm_buf_printf(out, "blobs/%.*s/%s", (int)alen, digest, colon + 1);
}

/* The id a docker save config path tells: "<hex>.json" or "blobs/sha256/<hex>". */
static char *id_from_path(const char *p)
{
	const char *base = strrchr(p, '/');
	size_t n;
	struct cm_buf b = CM_BUF_INIT;

	base = base ? base + 1 : p;
	n = strspn(base, "0123456789abcdef");
	if (n == 64 && (!base[n] || !strcmp(base + n, ".json")))
		cm_buf_printf(&b, "sha256:%.64s", base);
	else
		cm_buf_puts(&b, "");
	return cm_buf_take(&b);
}

/* docker save: manifest.json, [{Config, RepoTags, Layers}] (Docker 25+ writes it beside index.json). */
static int read_docker_manifest(struct kl_archive *a, const cJSON *m, struct cm_buf *err)
{
	const cJSON *it, *s;
	int rc = 0;

	if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) == 0)
		return cm_buf_invalid(err, "manifest.json: not a list of images");
	cJSON_ArrayForEach(it, m)
	{
		struct kl_archive_image im = {0};
		const char *cfg = cm_json_get_str(it, "Config");

		if (!cfg || !cJSON_IsArray(cm_json_get(it, "Layers")))
			return cm_buf_invalid(err, "manifest.json: an image without Config or Layers");
		im.config = strdup(cfg);
		im.id = id_from_path(cfg);
		im.names = calloc(1, sizeof(char *));
		im.layers = calloc(1, sizeof(char *));
		rc = im.config && im.id && im.names && im.layers ? 0 : -ENOMEM;
		cJSON_ArrayForEach(s, cm_json_get(it, "RepoTags"))
			if (rc == 0 && cJSON_IsString(s))
				rc = strv_push(&im.names, s->valuestring);
		cJSON_ArrayForEach(s, cm_json_get(it, "Layers"))
		{
			if (rc == 0 && !cJSON_IsString(s))
				rc = cm_buf_invalid(err, "manifest.json: a layer that is not a path");
			else if (rc == 0)
				rc = strv_push(&im.layers, s->valuestring);
		}
		if (rc == 0)
			rc = add_image(a, &im);
		image_close(&im);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The name an OCI descriptor's annotations give: containerd's full name, or ref.name when it is one. */
static const char *oci_name(const cJSON *desc)
{
	const cJSON *ann = cm_json_get(desc, "annotations");
	const char *full = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann, "io.containerd.image.name"));
	const char *ref = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann, "org.opencontainers.image.ref.name"));

	if (full && *full)
		return full;
	/* a bare tag ("latest") names no repository: only a reference with one counts */
	return ref && strpbrk(ref, "/:") ? ref : NULL;
}

static bool is_index(const char *mt)
{
	return mt && (!strcmp(mt, "application/vnd.oci.image.index.v1+json") ||
		      !strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json"));
}

static int oci_descriptor(struct kl_archive *a, int rootfd, const cJSON *desc, const char *name, int depth,
			  struct cm_buf *err);

/* An index: the manifest for linux/<this arch>, or the only one when none says its platform. */
static int oci_index(struct kl_archive *a, int rootfd, const cJSON *index, const char *name, int depth,
		     struct cm_buf *err)
{
	const cJSON *d, *pick = NULL, *only = NULL;
	int n = 0;

	cJSON_ArrayForEach(d, cm_json_get(index, "manifests"))
	{
		const char *os = cm_json_get_str(d, "platform.os"), *arch = cm_json_get_str(d, "platform.architecture");

		if (os && !strcmp(os, "linux") && arch && !strcmp(arch, HOST_ARCH) && !pick)
			pick = d;
		if (!os || strcmp(os, "unknown")) { /* "unknown/unknown": attestations, not images */
			only = d;
			n++;
		}
	}
	if (!pick && n == 1)
		pick = only;
	if (!pick)
		return cm_buf_invalid(err, "no image for linux/%s in the index", HOST_ARCH);
	return oci_descriptor(a, rootfd, pick, name, depth + 1, err);
}

static int oci_descriptor(struct kl_archive *a, int rootfd, const cJSON *desc, const char *name, int depth,
			  struct cm_buf *err)
{
	struct cm_buf path = CM_BUF_INIT;
	struct kl_archive_image im = {0};
	cJSON *doc = NULL;
	const cJSON *l;
	const char *own = oci_name(desc);
	int rc;

	if (depth > MAX_INDEX_DEPTH)
		return cm_buf_invalid(err, "indexes nested too deep");
	if (own)
		name = own;
	if ((rc = blob_path(cm_json_get_str(desc, "digest"), &path, err)) < 0 ||
	    (rc = read_json(rootfd, path.data, &doc, err)) < 0)
		goto out;
	if (is_index(cm_json_get_str(desc, "mediaType")) || is_index(cm_json_get_str(doc, "mediaType")) ||
	    (cJSON_IsArray(cm_json_get(doc, "manifests")) && !cm_json_get(doc, "config"))) {
		rc = oci_index(a, rootfd, doc, name, depth, err);
		goto out;
	}
	cm_buf_reset(&path);
	if ((rc = blob_path(cm_json_get_str(doc, "config.digest"), &path, err)) < 0)
		goto out;
	im.config = cm_buf_take(&path);
	im.id = strdup(cm_json_get_str(doc, "config.digest"));
	im.names = calloc(1, sizeof(char *));
	im.layers = calloc(1, sizeof(char *));
	rc = im.config && im.id && im.names && im.layers ? 0 : -ENOMEM;
	if (rc == 0 && name)
		rc = strv_push(&im.names, name);
	cJSON_ArrayForEach(l, cm_json_get(doc, "layers"))
	{
		cm_buf_reset(&path);
		if (rc == 0 && (rc = blob_path(cm_json_get_str(l, "digest"), &path, err)) == 0)
			rc = strv_push(&im.layers, path.data);
	}
	if (rc == 0)
		rc = add_image(a, &im);
out:
	image_close(&im);
	cm_buf_close(&path);
	cJSON_Delete(doc);
	return rc;
}

static int read_oci_index(struct kl_archive *a, int rootfd, const cJSON *index, struct cm_buf *err)
{
	const cJSON *d;
	int rc;

	if (!cJSON_IsArray(cm_json_get(index, "manifests")) || !cJSON_GetArraySize(cm_json_get(index, "manifests")))
		return cm_buf_invalid(err, "index.json: no manifests");
	/* entries saying their platform are one image's variants: pick this machine's */
	cJSON_ArrayForEach(d, cm_json_get(index, "manifests"))
		if (cm_json_get(d, "platform"))
			return oci_index(a, rootfd, index, NULL, 0, err);
	/* otherwise each entry is an image of its own (the tags of one layout) */
	cJSON_ArrayForEach(d, cm_json_get(index, "manifests"))
		if ((rc = oci_descriptor(a, rootfd, d, NULL, 0, err)) < 0)
			return rc;
	return 0;
}

/* Extracts the tar at path into dir (made here). 0, or an error with err set. */
static int extract(const char *path, const char *dir, struct cm_buf *err)
{
	struct kl_unpack_opts o = {.whiteouts = false, .chown = false};
	struct kl_stream *s = NULL;
	struct cm_tar_reader *r = NULL;
	int fd, rootfd = -1, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		cm_buf_printf(err, "%s: %s", path, strerror(errno));
		return rc;
	}
	if ((rc = kl_stream_open(fd, &s)) < 0) {
		cm_buf_printf(err, "%s: %s", path, rc == -ENOTSUP ? "zstd archives are not supported" : strerror(-rc));
		return rc;
	}
	if (mkdir(dir, 0700) < 0 || (rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = -errno;
		cm_buf_printf(err, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((rc = cm_tar_reader_new(kl_stream_read, s, &r)) < 0)
		goto out;
	if ((rc = kl_unpack_tar(rootfd, r, &o, NULL, err)) < 0 && err && !err->len)
		cm_buf_printf(err, "%s: %s", path, rc == -EINVAL ? "not a tar archive, or a damaged one" : strerror(-rc));
out:
	cm_tar_reader_free(r);
	kl_stream_free(s);
	if (rootfd >= 0)
		close(rootfd);
	return rc;
}

int kl_archive_open(const char *path, const char *workdir, struct kl_archive *out, struct cm_buf *err)
{
	struct kl_archive a = {.rootfd = -1};
	struct cm_buf dir = CM_BUF_INIT;
	struct stat st;
	cJSON *doc = NULL;
	int rc;

	if (stat(path, &st) < 0) {
		rc = -errno;
		cm_buf_printf(err, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = cm_buf_puts(&dir, path);
	} else if ((rc = cm_buf_printf(&dir, "%s/archive", workdir)) == 0) {
		rc = extract(path, dir.data, err);
	}
	if (rc < 0)
		goto out;
	if ((a.rootfd = open(dir.data, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
	}
	if ((rc = read_json(a.rootfd, "manifest.json", &doc, err)) == 0) {
		rc = read_docker_manifest(&a, doc, err);
	} else if (rc == -ENOENT && (rc = read_json(a.rootfd, "index.json", &doc, err)) == 0) {
		rc = read_oci_index(&a, a.rootfd, doc, err);
	} else if (rc == -ENOENT) {
		rc = cm_buf_invalid(err, "%s: neither a docker save archive nor an OCI layout (no manifest.json or "
				    "index.json)", path);
	}
	if (rc == 0 && a.n == 0)
		rc = cm_buf_invalid(err, "%s: holds no image", path);
out:
	cJSON_Delete(doc);
	cm_buf_close(&dir);
	if (rc < 0)
		kl_archive_close(&a);
	else
		*out = a;
	return rc;
}

void kl_archive_close(struct kl_archive *a)
{
	for (size_t i = 0; i < a->n; i++)
		image_close(&a->images[i]);
	free(a->images);
	if (a->rootfd >= 0)
		close(a->rootfd);
	memset(a, 0, sizeof(*a));
	a->rootfd = -1;
}
