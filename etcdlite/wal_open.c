/* wal_open.c: opening a WAL directory: segment discovery, replay with overwrites, torn-tail repair. */
#include "etcdlite/wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fileio.h"
#include "common/log.h"
#include "etcdlite/wal_internal.h"
#include "etcdlite/wal_record.h"

/* Replay state while scanning segments in order. */
struct replay_ctx {
	struct el_wal *w;
	struct el_wal_replay r;
	size_t cap;
	int have_meta;
	const char *name;
	struct el_wal_seg *seg;
	char *errbuf;
	size_t errlen;
};

static void entries_truncate(struct el_wal_replay *r, size_t keep)
{
	for (size_t i = keep; i < r->n_entries; i++)
		free(r->entries[i].data);
	r->n_entries = keep;
}

void el_wal_replay_close(struct el_wal_replay *r)
{
	if (!r)
		return;
	entries_truncate(r, 0);
	free(r->entries);
	memset(r, 0, sizeof(*r));
}

static int ctx_corrupt(struct replay_ctx *c, size_t off, const char *why, uint64_t v)
{
	if (c->errbuf && c->errlen)
		snprintf(c->errbuf, c->errlen, "wal: %s: corrupt record at offset %zu: %s %" PRIu64,
			 c->name, off, why, v);
	return -CM_ECORRUPT;
}

/* Drops the entries at or below the snapshot index from the front. */
static void entries_drop_to(struct el_wal_replay *r, uint64_t index)
{
	size_t k = 0;

	while (k < r->n_entries && r->entries[k].index <= index)
		free(r->entries[k++].data);
	if (k) {
		memmove(r->entries, r->entries + k, (r->n_entries - k) * sizeof(*r->entries));
		r->n_entries -= k;
	}
}

static int apply_entry(struct replay_ctx *c, const struct el_wal_rec *rec)
{
	struct el_wal_replay *r = &c->r;
	uint64_t index = el_wal_get_u64(rec->payload);
	uint64_t term = el_wal_get_u64(rec->payload + 8);
	size_t len = rec->len - EL_WAL_ENTRY_MIN;

	if (index > c->seg->max_index)
		c->seg->max_index = index;
	if (index <= r->snap.index)
		return 0; /* covered by the snapshot */
	if (r->n_entries) {
		uint64_t first = r->entries[0].index;
		uint64_t last = r->entries[r->n_entries - 1].index;
		if (index > last + 1)
			return ctx_corrupt(c, rec->off, "gap before entry", index);
		/* Last writer wins: a rewritten index replaces it and all after it. */
		if (index <= last)
			entries_truncate(r, index < first ? 0 : (size_t)(index - first));
	}
	/* An empty log may start anywhere: the marker restated at the head of
	 * a segment can be older than its first entry (el_wal_open checks the
	 * final marker against the first entry). */
	if (r->n_entries == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct el_wal_entry *e = realloc(r->entries, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		r->entries = e;
		c->cap = cap;
	}
	uint8_t *data = malloc(len ? len : 1);
	if (!data)
		return -ENOMEM;
	memcpy(data, rec->payload + EL_WAL_ENTRY_MIN, len);
	r->entries[r->n_entries++] = (struct el_wal_entry){index, term, len, data};
	return 0;
}

static int apply_record(void *arg, const struct el_wal_rec *rec)
{
	struct replay_ctx *c = arg;
	const uint8_t *p = rec->payload;

	switch (rec->type) {
	case EL_WAL_REC_META: {
		uint64_t member = el_wal_get_u64(p), cluster = el_wal_get_u64(p + 8);
		uint64_t seq = el_wal_get_u64(p + 16);
		if (seq != c->seg->seq)
			return ctx_corrupt(c, rec->off, "meta names another segment", seq);
		if (!c->have_meta) {
			c->r.member_id = member;
			c->r.cluster_id = cluster;
			c->have_meta = 1;
		} else if (member != c->r.member_id || cluster != c->r.cluster_id) {
			return ctx_corrupt(c, rec->off, "meta of another member", member);
		}
		return 0;
	}
	case EL_WAL_REC_ENTRY:
		return apply_entry(c, rec);
	case EL_WAL_REC_HARDSTATE:
		c->r.hs.term = el_wal_get_u64(p);
		c->r.hs.vote = el_wal_get_u64(p + 8);
		c->r.hs.commit = el_wal_get_u64(p + 16);
		return 0;
	case EL_WAL_REC_SNAPSHOT: {
		uint64_t index = el_wal_get_u64(p);
		if (index >= c->r.snap.index) {
			c->r.snap.index = index;
			c->r.snap.term = el_wal_get_u64(p + 8);
			entries_drop_to(&c->r, index);
		}
		return 0;
	}
	}
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct el_wal_seg *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Finds the *.wal files of the directory, sorted by sequence. */
static int list_segments(struct el_wal *w)
{
	int fd = openat(w->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		uint64_t seq, first;
		char canon[EL_WAL_NAME_LEN];
		if (sscanf(de->d_name, "%16" SCNx64 "-%16" SCNx64 ".wal", &seq, &first) != 2)
			continue;
		el_wal_seg_name(canon, seq, first);
		if (strcmp(canon, de->d_name) != 0)
			continue;
		rc = el_wal_segs_push(w, seq, first);
		if (rc < 0)
			break;
	}
	closedir(d);
	if (rc == 0 && w->nsegs)
		qsort(w->segs, w->nsegs, sizeof(*w->segs), seg_cmp);
	return rc;
}

static int read_file(int dirfd, const char *name, uint8_t **out, size_t *size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = 0;
	uint8_t *buf = NULL;
	size_t got = 0;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = cm_pread_all(fd, buf, (size_t)st.st_size, 0, &got)))
		goto out;
	*out = buf;
	*size = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Cuts a torn tail off the last segment; an empty one is removed. */
static int cut_tail(struct el_wal *w, struct el_wal_seg *s, const char *path, size_t size,
		    size_t good)
{
	cm_warn("wal: %s: torn tail at offset %zu (%zu bytes) cut", path, good, size - good);
	if (good == 0) {
		if (unlinkat(w->dirfd, s->name, 0) < 0)
			return -errno;
		w->nsegs--;
		return fsync(w->dirfd) < 0 ? -errno : 0;
	}
	int fd = openat(w->dirfd, s->name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (ftruncate(fd, (off_t)good) < 0 || fdatasync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int replay_segments(struct el_wal *w, const char *dir, struct replay_ctx *c)
{
	size_t n = w->nsegs;
	char path[PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		struct el_wal_seg *s = &w->segs[i];
		uint8_t *buf = NULL;
		size_t size = 0, good = 0;
		int last = i + 1 == n;
		int rc;

		if (i > 0 && s->seq != w->segs[i - 1].seq + 1) {
			if (c->errbuf && c->errlen)
				snprintf(c->errbuf, c->errlen,
					 "wal: %s: corrupt record at offset 0: segment %" PRIu64
					 " missing before it",
					 s->name, w->segs[i - 1].seq + 1);
			return -CM_ECORRUPT;
		}
		rc = read_file(w->dirfd, s->name, &buf, &size);
		if (rc < 0) {
			if (c->errbuf && c->errlen)
				snprintf(c->errbuf, c->errlen, "wal: reading %s failed: %s", s->name,
					 strerror(-rc));
			return rc;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, s->name);
		c->name = path;
		c->seg = s;
		rc = el_wal_scan(path, buf, size, last, apply_record, c, &good, c->errbuf,
				 c->errlen);
		free(buf);
		if (rc < 0)
			return rc;
		if (last) {
			w->file_off = good;
			if (good < size) {
				rc = cut_tail(w, s, path, size, good);
				if (rc < 0) {
					if (c->errbuf && c->errlen)
						snprintf(c->errbuf, c->errlen,
							 "wal: cutting the tail of %s failed: %s",
							 s->name, strerror(-rc));
					return rc;
				}
			}
		}
	}
	return 0;
}

/* Makes a directory just created durable: its entry lives in the parent. */
static int fsync_parent(const char *dir)
{
	char *copy = strdup(dir);
	if (!copy)
		return -ENOMEM;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;
	if (fd < 0 || fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

/* Opens the last segment for appending, or makes the first one. */
static int open_current(struct el_wal *w, char *errbuf, size_t errlen)
{
	int rc;
	const char *what;

	if (w->nsegs == 0) {
		uint64_t seq = 1;
		rc = el_wal_seg_create(w, seq, w->disk_last_index + 1);
		what = "creating the first segment";
	} else {
		struct el_wal_seg *s = &w->segs[w->nsegs - 1];
		w->fd = openat(w->dirfd, s->name, O_WRONLY | O_APPEND | O_CLOEXEC);
		rc = w->fd < 0 ? -errno : 0;
		what = "opening the last segment";
	}
	if (rc < 0 && errbuf && errlen)
		snprintf(errbuf, errlen, "wal: %s failed: %s", what, strerror(-rc));
	return rc;
}

int el_wal_open(const char *dir, const struct el_wal_options *opts, struct el_wal **walp,
		struct el_wal_replay *replay, char *errbuf, size_t errlen)
{
	char msg[512] = "";
	struct replay_ctx c = {.errbuf = msg, .errlen = sizeof(msg)};
	struct el_wal *w;
	struct stat st;
	int rc;

	if (!dir || !walp || !replay)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = w->hook_fd = w->dirfd = -1;
	w->seg_size = opts && opts->segment_size ? opts->segment_size : EL_WAL_SEGMENT_SIZE;
	cm_buf_init(&w->bufs[0]);
	cm_buf_init(&w->bufs[1]);
	c.w = w;

	if (mkdir(dir, 0700) == 0) {
		rc = fsync_parent(dir);
		if (rc < 0)
			goto fail_msg;
	} else if (errno != EEXIST) {
		rc = -errno;
		goto fail_msg;
	}
	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		rc = -errno;
		goto fail_msg;
	}
	rc = list_segments(w);
	if (rc < 0)
		goto fail_msg;
	rc = replay_segments(w, dir, &c);
	if (rc < 0)
		goto fail;
	if (c.r.n_entries && c.r.snap.index && c.r.entries[0].index != c.r.snap.index + 1) {
		snprintf(msg, sizeof(msg),
			 "wal: %s: corrupt: entries start at %" PRIu64 " after snapshot %" PRIu64, dir,
			 c.r.entries[0].index, c.r.snap.index);
		rc = -CM_ECORRUPT;
		goto fail;
	}
	if (c.have_meta) {
		w->member_id = c.r.member_id;
		w->cluster_id = c.r.cluster_id;
	} else if (opts) {
		w->member_id = c.r.member_id = opts->member_id;
		w->cluster_id = c.r.cluster_id = opts->cluster_id;
	}
	w->disk_hs = w->hs = c.r.hs;
	w->disk_snap = w->snap = c.r.snap;
	w->last_index = c.r.n_entries ? c.r.entries[c.r.n_entries - 1].index : c.r.snap.index;
	w->disk_last_index = w->last_index;
	rc = open_current(w, msg, sizeof(msg));
	if (rc < 0)
		goto fail;
	if (fstat(w->fd, &st) < 0) {
		rc = -errno;
		goto fail_msg;
	}
	w->file_off = (uint64_t)st.st_size;
	w->synced_off = w->file_off;
	w->synced_index = w->last_index;
	memcpy(w->synced_name, w->segs[w->nsegs - 1].name, EL_WAL_NAME_LEN);

	const char *hook = getenv("ETCDLITE_TEST_SYNC_HOOK");
	if (hook && strcmp(hook, "1") == 0) {
		w->hook_fd = openat(w->dirfd, EL_WAL_SYNCED_FILE, O_WRONLY | O_CREAT | O_CLOEXEC,
				    0600);
		if (w->hook_fd < 0)
			cm_warn("wal: %s: opening the test hook failed: %s", dir, strerror(errno));
		else
			el_wal_write_hook(w); /* what recovery left is all durable */
	}
	*walp = w;
	*replay = c.r;
	cm_debug(1, "wal: %s: opened, %zu segments, %zu entries after snapshot %" PRIu64, dir,
		 w->nsegs, c.r.n_entries, c.r.snap.index);
	return 0;

fail_msg:
	snprintf(msg, sizeof(msg), "wal: %s: %s", dir, strerror(-rc));
fail:
	if (!msg[0])
		snprintf(msg, sizeof(msg), "wal: %s: open failed: %s", dir, cm_strerror(rc));
	cm_error("%s", msg);
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", msg);
	el_wal_replay_close(&c.r);
	el_wal_close(w);
	return rc;
}
