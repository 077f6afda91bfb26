/* wal.c: WAL appends into memory and group commit (double-buffered handoff to a sync thread). */
#include "etcdlite/wal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "etcdlite/wal_internal.h"
#include "etcdlite/wal_record.h"

void el_wal_seg_name(char *out, uint64_t seq, uint64_t first_index)
{
	snprintf(out, EL_WAL_NAME_LEN, "%016" PRIx64 "-%016" PRIx64 ".wal", seq, first_index);
}

int el_wal_segs_push(struct el_wal *w, uint64_t seq, uint64_t first_index)
{
	if (w->nsegs == w->segs_cap) {
		size_t cap = w->segs_cap ? w->segs_cap * 2 : 8;
		struct el_wal_seg *s = realloc(w->segs, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		w->segs = s;
		w->segs_cap = cap;
	}
	struct el_wal_seg *s = &w->segs[w->nsegs++];
	s->seq = seq;
	s->first_index = first_index;
	s->max_index = 0;
	el_wal_seg_name(s->name, seq, first_index);
	return 0;
}

int el_wal_seg_create(struct el_wal *w, uint64_t seq, uint64_t first_index)
{
	uint8_t hdr[3 * EL_WAL_HDR_SIZE + EL_WAL_META_SIZE + EL_WAL_HARDSTATE_SIZE +
		    EL_WAL_SNAPSHOT_SIZE];
	uint8_t meta[EL_WAL_META_SIZE], hs[EL_WAL_HARDSTATE_SIZE], snap[EL_WAL_SNAPSHOT_SIZE];
	size_t off = 0;
	int rc;

	rc = el_wal_segs_push(w, seq, first_index);
	if (rc < 0)
		return rc;
	const char *name = w->segs[w->nsegs - 1].name;

	el_wal_put_u64(meta, w->member_id);
	el_wal_put_u64(meta + 8, w->cluster_id);
	el_wal_put_u64(meta + 16, seq);
	el_wal_put_u64(meta + 24, first_index);
	el_wal_frame(hdr, EL_WAL_REC_META, meta, sizeof(meta));
	off += EL_WAL_HDR_SIZE + sizeof(meta);
	/* Restating the state in force lets older segments be deleted. */
	el_wal_put_u64(hs, w->disk_hs.term);
	el_wal_put_u64(hs + 8, w->disk_hs.vote);
	el_wal_put_u64(hs + 16, w->disk_hs.commit);
	el_wal_frame(hdr + off, EL_WAL_REC_HARDSTATE, hs, sizeof(hs));
	off += EL_WAL_HDR_SIZE + sizeof(hs);
	el_wal_put_u64(snap, w->disk_snap.index);
	el_wal_put_u64(snap + 8, w->disk_snap.term);
	el_wal_frame(hdr + off, EL_WAL_REC_SNAPSHOT, snap, sizeof(snap));
	off += EL_WAL_HDR_SIZE + sizeof(snap);

	int fd = openat(w->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto fail_push;
	}
	rc = cm_write_all(fd, hdr, off);
	if (rc == 0 && fdatasync(fd) < 0)
		rc = -errno;
	if (rc == 0 && fsync(w->dirfd) < 0)
		rc = -errno;
	if (rc < 0)
		goto fail_file;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	w->file_off = off;
	return 0;

fail_file:
	close(fd);
	unlinkat(w->dirfd, name, 0);
fail_push:
	w->nsegs--;
	return rc;
}

/* Reserves a whole record in bufs[active]; returns its payload, CRC left 0. */
static uint8_t *buf_record(struct cm_buf *b, uint8_t type, uint32_t len)
{
	if (cm_buf_reserve(b, EL_WAL_HDR_SIZE + (size_t)len) < 0)
		return NULL;
	uint8_t *p = (uint8_t *)b->data + b->len;
	el_wal_put_u32(p, len);
	p[4] = type;
	el_wal_put_u32(p + 5, 0);
	b->len += EL_WAL_HDR_SIZE + (size_t)len;
	return p + EL_WAL_HDR_SIZE;
}

int el_wal_append_entries(struct el_wal *w, const struct el_wal_entry *ents, size_t n)
{
	struct cm_buf *b = &w->bufs[w->active];
	size_t total = 0;

	if (w->err)
		return w->err;
	if (n == 0)
		return 0;
	if (!ents)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (ents[i].len && !ents[i].data)
			return -EINVAL;
		if (ents[i].len > EL_WAL_MAX_PAYLOAD - EL_WAL_ENTRY_MIN)
			return -EINVAL;
		if (i > 0 && ents[i].index != ents[i - 1].index + 1)
			return -EINVAL;
		total += EL_WAL_HDR_SIZE + EL_WAL_ENTRY_MIN + ents[i].len;
	}
	/* Below the snapshot is discarded history; past last + 1 is a hole. */
	if (ents[0].index == 0 || ents[0].index <= w->snap.index ||
	    (w->last_index && ents[0].index > w->last_index + 1))
		return -EINVAL;
	/* One reservation, so a failure leaves no partial batch behind. */
	if (cm_buf_reserve(b, total) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = buf_record(b, EL_WAL_REC_ENTRY, (uint32_t)(EL_WAL_ENTRY_MIN + ents[i].len));
		el_wal_put_u64(p, ents[i].index);
		el_wal_put_u64(p + 8, ents[i].term);
		if (ents[i].len)
			memcpy(p + EL_WAL_ENTRY_MIN, ents[i].data, ents[i].len);
	}
	w->last_index = ents[n - 1].index;
	if (w->last_index > w->buf_max_index)
		w->buf_max_index = w->last_index;
	return 0;
}

int el_wal_set_hardstate(struct el_wal *w, const struct el_wal_hardstate *hs)
{
	if (w->err)
		return w->err;
	if (!hs)
		return -EINVAL;
	uint8_t *p = buf_record(&w->bufs[w->active], EL_WAL_REC_HARDSTATE, EL_WAL_HARDSTATE_SIZE);
	if (!p)
		return -ENOMEM;
	el_wal_put_u64(p, hs->term);
	el_wal_put_u64(p + 8, hs->vote);
	el_wal_put_u64(p + 16, hs->commit);
	w->hs = *hs;
	return 0;
}

int el_wal_mark_snapshot(struct el_wal *w, uint64_t index, uint64_t term)
{
	if (w->err)
		return w->err;
	uint8_t *p = buf_record(&w->bufs[w->active], EL_WAL_REC_SNAPSHOT, EL_WAL_SNAPSHOT_SIZE);
	if (!p)
		return -ENOMEM;
	el_wal_put_u64(p, index);
	el_wal_put_u64(p + 8, term);
	if (index > w->snap.index) {
		w->snap.index = index;
		w->snap.term = term;
	}
	/* A snapshot past the log (installed from the leader) replaces it. */
	if (index > w->last_index)
		w->last_index = index;
	return 0;
}

size_t el_wal_pending(const struct el_wal *w)
{
	return w->bufs[w->active].len;
}

uint64_t el_wal_last_index(const struct el_wal *w)
{
	return w->last_index;
}

uint64_t el_wal_synced_index(const struct el_wal *w)
{
	return w->synced_index;
}

int el_wal_release_to(struct el_wal *w, uint64_t index)
{
	if (w->err)
		return w->err;
	if (index > w->release_req)
		w->release_req = index;
	return 0;
}

uint64_t el_wal_synced_offset(const struct el_wal *w, char *name, size_t namelen)
{
	if (name && namelen)
		snprintf(name, namelen, "%s", w->synced_name);
	return w->synced_off;
}

int el_wal_begin_sync(struct el_wal *w)
{
	if (w->err)
		return w->err;
	if (w->in_flight)
		return -EBUSY;
	w->hand = &w->bufs[w->active];
	w->hand_max_index = w->buf_max_index;
	w->hand_last_index = w->last_index;
	w->hand_hs = w->hs;
	w->hand_snap = w->snap;
	w->hand_release = w->release_req;
	w->active ^= 1;
	w->buf_max_index = 0;
	w->in_flight = 1;
	return 0;
}

/* Starts segment seq+1 when the current one is full (sync side). */
static int maybe_rotate(struct el_wal *w)
{
	if (w->file_off < w->seg_size)
		return 0;
	struct el_wal_seg *cur = &w->segs[w->nsegs - 1];
	int rc = el_wal_seg_create(w, cur->seq + 1, w->disk_last_index + 1);
	if (rc < 0)
		cm_error("wal: rotating to segment %" PRIu64 " failed: %s", cur->seq + 1,
			 strerror(-rc));
	else
		cm_debug(1, "wal: rotated to %s", w->segs[w->nsegs - 1].name);
	return rc;
}

/* Deletes leading segments whose entries are all at or below the target. */
static void release_segments(struct el_wal *w)
{
	uint64_t limit = w->release_target;
	size_t k = 0;

	if (limit > w->disk_snap.index)
		limit = w->disk_snap.index;
	while (k + 1 < w->nsegs && w->segs[k].max_index <= limit) {
		if (unlinkat(w->dirfd, w->segs[k].name, 0) < 0 && errno != ENOENT) {
			cm_warn("wal: removing %s failed: %s", w->segs[k].name, strerror(errno));
			break;
		}
		cm_debug(1, "wal: released %s", w->segs[k].name);
		k++;
	}
	if (k) {
		memmove(w->segs, w->segs + k, (w->nsegs - k) * sizeof(*w->segs));
		w->nsegs -= k;
	}
}

void el_wal_write_hook(struct el_wal *w)
{
	char line[EL_WAL_NAME_LEN + 24];
	int n = snprintf(line, sizeof(line), "%s %020" PRIu64 "\n", w->segs[w->nsegs - 1].name,
			 w->file_off);

	/* Fixed width and one pwrite: a SIGKILL never leaves half a line. */
	if (pwrite(w->hook_fd, line, (size_t)n, 0) != n)
		cm_warn("wal: writing the %s test hook failed", EL_WAL_SYNCED_FILE);
}

int el_wal_do_sync(struct el_wal *w)
{
	struct cm_buf *b = w->hand;
	int rc = 0;

	if (b && b->len) {
		rc = maybe_rotate(w);
		if (rc < 0)
			goto out;
		el_wal_fill_crcs((uint8_t *)b->data, b->len);
		rc = cm_write_all(w->fd, b->data, b->len);
		if (rc == 0 && fdatasync(w->fd) < 0)
			rc = -errno;
		if (rc < 0) {
			cm_error("wal: writing %s failed: %s", w->segs[w->nsegs - 1].name,
				 strerror(-rc));
			goto out;
		}
		w->file_off += b->len;
		if (w->hand_max_index > w->segs[w->nsegs - 1].max_index)
			w->segs[w->nsegs - 1].max_index = w->hand_max_index;
		w->disk_hs = w->hand_hs;
		w->disk_snap = w->hand_snap;
		w->disk_last_index = w->hand_last_index;
		if (w->hook_fd >= 0)
			el_wal_write_hook(w);
	}
	if (w->hand_release > w->release_target)
		w->release_target = w->hand_release;
	release_segments(w);
out:
	w->sync_result = rc;
	w->sync_off = w->file_off;
	memcpy(w->sync_name, w->segs[w->nsegs - 1].name, EL_WAL_NAME_LEN);
	return rc;
}

int el_wal_end_sync(struct el_wal *w)
{
	if (!w->in_flight)
		return w->err ? w->err : -EINVAL;
	w->in_flight = 0;
	if (w->hand)
		cm_buf_reset(w->hand);
	w->hand = NULL;
	if (w->sync_result < 0) {
		w->err = w->sync_result;
		return w->err;
	}
	w->synced_off = w->sync_off;
	w->synced_index = w->hand_last_index;
	memcpy(w->synced_name, w->sync_name, EL_WAL_NAME_LEN);
	return 0;
}

int el_wal_sync(struct el_wal *w)
{
	int rc = el_wal_begin_sync(w);
	if (rc < 0)
		return rc;
	el_wal_do_sync(w);
	return el_wal_end_sync(w);
}

void el_wal_close(struct el_wal *w)
{
	if (!w)
		return;
	cm_buf_close(&w->bufs[0]);
	cm_buf_close(&w->bufs[1]);
	if (w->fd >= 0)
		close(w->fd);
	if (w->hook_fd >= 0)
		close(w->hook_fd);
	if (w->dirfd >= 0)
		close(w->dirfd);
	free(w->segs);
	free(w);
}
