/* test_el_wal.c: the etcdlite WAL: replay, overwrites, group commit, torn tails, corruption, rotation. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "etcdlite/wal.h"
#include "tests/lib/check_run.h"
#include "etcdlite/wal_internal.h" /* test_sticky_error breaks the fd */

static char dir[64];

#define PATH_MAX_LEN 400

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/el_wal_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	cm_log_init("test", 0);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static struct el_wal *open_ok(const struct el_wal_options *o, struct el_wal_replay *r)
{
	struct el_wal *w = NULL;
	char err[256];
	int rc = el_wal_open(dir, o, &w, r, err, sizeof(err));
	ck_assert_msg(rc == 0, "open: %d %s", rc, err);
	return w;
}

/* Reopens and returns the replay (caller closes it). */
static void reopen(struct el_wal **w, struct el_wal_replay *r)
{
	el_wal_close(*w);
	*w = open_ok(NULL, r);
}

static void append(struct el_wal *w, uint64_t index, uint64_t term, const char *s)
{
	struct el_wal_entry e = {index, term, strlen(s), (uint8_t *)s};
	ck_assert_int_eq(el_wal_append_entries(w, &e, 1), 0);
}

static void append_range(struct el_wal *w, uint64_t from, uint64_t to, uint64_t term)
{
	char s[32];
	for (uint64_t i = from; i <= to; i++) {
		snprintf(s, sizeof(s), "e%llu", (unsigned long long)i);
		append(w, i, term, s);
	}
}

/* The replay holds exactly from..to, each with its "e<i>" data. */
static void check_range(const struct el_wal_replay *r, uint64_t from, uint64_t to)
{
	char s[32];
	ck_assert_uint_eq(r->n_entries, to >= from ? to - from + 1 : 0);
	for (size_t k = 0; k < r->n_entries; k++) {
		snprintf(s, sizeof(s), "e%llu", (unsigned long long)(from + k));
		ck_assert_uint_eq(r->entries[k].index, from + k);
		ck_assert_uint_eq(r->entries[k].len, strlen(s));
		ck_assert(memcmp(r->entries[k].data, s, strlen(s)) == 0);
	}
}

/* Path of the n-th segment file (sorted by name), or of the last if n < 0. */
static int seg_path(int n, char *out, size_t outlen)
{
	struct dirent **list;
	int cnt = scandir(dir, &list, NULL, alphasort), segs = 0, want = -1;
	for (int i = 0; i < cnt; i++)
		if (strstr(list[i]->d_name, ".wal"))
			segs++;
	want = n < 0 ? segs - 1 : n;
	for (int i = 0, k = 0; i < cnt; i++) {
		if (strstr(list[i]->d_name, ".wal")) {
			if (k++ == want)
				snprintf(out, outlen, "%s/%s", dir, list[i]->d_name);
		}
		free(list[i]);
	}
	free(list);
	return segs;
}

static off_t file_size(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

static void patch_byte(const char *path, off_t off, unsigned char xor)
{
	int fd = open(path, O_RDWR);
	unsigned char c;
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &c, 1, off), 1);
	c ^= xor;
	ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

static void append_bytes(const char *path, const void *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	close(fd);
}

/* A fresh segment starts with META (9+32), HARDSTATE (9+24), SNAPSHOT (9+16). */
#define SEG_HDR 99
/* An entry "e<i>" with i of one digit is 9 + 16 + 2 bytes. */
#define ENTRY1 27

START_TEST(test_roundtrip)
{
	struct el_wal_options o = {.member_id = 7, .cluster_id = 9};
	struct el_wal_replay r;
	struct el_wal *w = open_ok(&o, &r);
	ck_assert_uint_eq(r.n_entries, 0);
	ck_assert_uint_eq(r.member_id, 7);
	el_wal_replay_close(&r);

	append_range(w, 1, 3, 1);
	struct el_wal_hardstate hs = {1, 2, 3};
	ck_assert_int_eq(el_wal_set_hardstate(w, &hs), 0);
	ck_assert_int_eq(el_wal_sync(w), 0);
	ck_assert_uint_eq(el_wal_last_index(w), 3);
	reopen(&w, &r);
	check_range(&r, 1, 3);
	ck_assert_uint_eq(r.entries[0].term, 1);
	ck_assert_uint_eq(r.hs.term, 1);
	ck_assert_uint_eq(r.hs.vote, 2);
	ck_assert_uint_eq(r.hs.commit, 3);
	ck_assert_uint_eq(r.member_id, 7);
	ck_assert_uint_eq(r.cluster_id, 9);
	el_wal_replay_close(&r);
	el_wal_close(w);
}
END_TEST

START_TEST(test_group_commit)
{
	struct el_wal_replay r;
	struct el_wal *w = open_ok(NULL, &r);
	char path[PATH_MAX_LEN];
	el_wal_replay_close(&r);

	append_range(w, 1, 1000, 1);
	ck_assert_uint_gt(el_wal_pending(w), 1000 * 25);
	seg_path(-1, path, sizeof(path));
	ck_assert_int_eq(file_size(path), SEG_HDR); /* nothing written before sync */
	ck_assert_int_eq(el_wal_sync(w), 0);
	ck_assert_uint_eq(el_wal_pending(w), 0);
	ck_assert_int_eq(el_wal_synced_offset(w, NULL, 0), file_size(path));
	reopen(&w, &r);
	check_range(&r, 1, 1000);
	el_wal_replay_close(&r);
	el_wal_close(w);
}
END_TEST

START_TEST(test_unsynced_dropped)
{
	struct el_wal_replay r;
	struct el_wal *w = open_ok(NULL, &r);
	el_wal_replay_close(&r);
	append_range(w, 1, 2, 1);
	ck_assert_int_eq(el_wal_sync(w), 0);
	append_range(w, 3, 4, 1);
	reopen(&w, &r);
	check_range(&r, 1, 2);
	el_wal_replay_close(&r);
	el_wal_close(w);
}
END_TEST

START_TEST(test_overwrite_suffix)
{
	struct el_wal_replay r;
	struct el_wal *w = open_ok(NULL, &r);
	el_wal_replay_close(&r);

	append_range(w, 1, 10, 1);
	ck_assert_int_eq(el_wal_sync(w), 0);
	ck_assert_uint_eq(el_wal_synced_index(w), 10);
	append_range(w, 6, 8, 2); /* a new leader replaces 6.. */
	ck_assert_uint_eq(el_wal_last_index(w), 8);
	ck_assert_uint_eq(el_wal_synced_index(w), 10);
	ck_assert_int_eq(el_wal_sync(w), 0);
	ck_assert_uint_eq(el_wal_synced_index(w), 8);
	reopen(&w, &r);
	check_range(&r, 1, 8);
	ck_assert_uint_eq(r.entries[4].term, 1);
	ck_assert_uint_eq(r.entries[5].term, 2);
	ck_assert_uint_eq(r.entries[7].term, 2);
	el_wal_replay_close(&r);

	/* In one buffer too, and back to the very first index. */
	append_range(w, 9, 12, 2);
	append_range(w, 1, 2, 3);
	ck_assert_int_eq(el_wal_sync(w), 0);
	reopen(&w, &r);
	check_range(&r, 1, 2);
	ck_assert_uint_eq(r.entries[1].term, 3);
	el_wal_replay_close(&r);

	/* A hole is refused. */
	struct el_wal_entry e = {5, 3, 1, (uint8_t *)"x"};
	ck_assert_int_eq(el_wal_append_entries(w, &e, 1), -EINVAL);
	el_wal_close(w);
}
END_TEST

START_TEST(test_hardstate_latest_wins)
{
	struct el_wal_replay r;
	struct el_wal *w = open_ok(NULL, &r);
	el_wal_replay_close(&r);
	for (uint64_t t = 1; t <= 5; t++) {
		struct el_wal_hardstate hs = {t, t + 10, t + 20};
		ck_assert_int_eq(el_wal_set_hardstate(w, &hs), 0);
		if (t % 2)
			ck_assert_int_eq(el_wal_sync(w), 0);
	}
	ck_assert_int_eq(el_wal_sync(w), 0);
	reopen(&w, &r);
	ck_assert_uint_eq(r.hs.term, 5);
	ck_assert_uint_eq(r.hs.vote, 15);
	ck_assert_uint_eq(r.hs.commit, 25);
	el_wal_replay_close(&r);
	el_wal_close(w);
}
END_TEST

START_TEST(test_snapshot_marker)
{
	struct el_wal_replay r;
	struct el_wal *w = open_ok(NULL, &r);
	el_wal_replay_close(&r);
	append_range(w, 1, 10, 1);
	ck_assert_int_eq(el_wal_mark_snapshot(w, 5, 1), 0);
	ck_assert_int_eq(el_wal_sync(w), 0);
	reopen(&w, &r);
	ck_assert_uint_eq(r.snap.index, 5);
	ck_assert_uint_eq(r.snap.term, 1);
	check_range(&r, 6, 10);
	el_wal_replay_close(&r);

	/* A snapshot from the leader past the log replaces the log. */
	ck_assert_int_eq(el_wal_mark_snapshot(w, 20, 2), 0);
	append_range(w, 21, 22, 2);
	ck_assert_int_eq(el_wal_sync(w), 0);
	reopen(&w, &r);
	ck_assert_uint_eq(r.snap.index, 20);
	check_range(&r, 21, 22);
	el_wal_replay_close(&r);
	el_wal_close(w);
}
END_TEST

/* Five synced entries, then the tail damaged by fn; reopen keeps `keep`. */
static void torn_case(void (*fn)(const char *path), uint64_t keep)
{
	struct el_wal_replay r;
	struct el_wal *w = open_ok(NULL, &r);
	char path[PATH_MAX_LEN];
	el_wal_replay_close(&r);
	append_range(w, 1, 5, 1);
	ck_assert_int_eq(el_wal_sync(w), 0);
	el_wal_close(w);
	seg_path(-1, path, sizeof(path));
	fn(path);

	w = open_ok(NULL, &r);
	check_range(&r, 1, keep);
	el_wal_replay_close(&r);
	ck_assert_int_eq(file_size(path), SEG_HDR + (off_t)keep * ENTRY1);
	/* The repaired log takes appends and replays them. */
	append_range(w, keep + 1, keep + 2, 1);
	ck_assert_int_eq(el_wal_sync(w), 0);
	reopen(&w, &r);
	check_range(&r, 1, keep + 2);
	el_wal_replay_close(&r);
	el_wal_close(w);
}

static void damage_short_header(const char *path)
{
	append_bytes(path, "\x10\x00\x00", 3);
}

static void damage_short_payload(const char *path)
{
	ck_assert_int_eq(truncate(path, file_size(path) - 5), 0);
}

static void damage_bad_crc(const char *path)
{
	patch_byte(path, file_size(path) - 1, 0x40);
}

static void damage_zeros(const char *path)
{
	static const char z[4096];
	append_bytes(path, z, sizeof(z));
}

static void damage_header_of_last(const char *path)
{
	/* The last record's length now runs past the end. */
	patch_byte(path, SEG_HDR + 4 * ENTRY1 + 2, 0x01);
}

START_TEST(test_torn_short_header) { torn_case(damage_short_header, 5); }
END_TEST
START_TEST(test_torn_short_payload) { torn_case(damage_short_payload, 4); }
END_TEST
START_TEST(test_torn_bad_crc) { torn_case(damage_bad_crc, 4); }
END_TEST
START_TEST(test_torn_zeros) { torn_case(damage_zeros, 5); }
END_TEST
START_TEST(test_torn_length) { torn_case(damage_header_of_last, 4); }
END_TEST

/* Damage at off followed by valid records refuses to open. */
static void corrupt_case(off_t off, unsigned char xor)
{
	struct el_wal_replay r;
	struct el_wal *w = open_ok(NULL, &r);
	char path[PATH_MAX_LEN], err[256], want[64];
	el_wal_replay_close(&r);
	append_range(w, 1, 5, 1);
	ck_assert_int_eq(el_wal_sync(w), 0);
	el_wal_close(w);
	seg_path(-1, path, sizeof(path));
	patch_byte(path, off, xor);

	w = NULL;
	memset(&r, 0xaa, sizeof(r));
	ck_assert_int_eq(el_wal_open(dir, NULL, &w, &r, err, sizeof(err)), -CM_ECORRUPT);
	ck_assert_ptr_null(w);
	ck_assert_ptr_nonnull(strstr(err, strrchr(path, '/') + 1));
	snprintf(want, sizeof(want), "offset %d", SEG_HDR + ENTRY1);
	ck_assert_msg(strstr(err, want), "message: %s", err);
	/* The file was left alone. */
	ck_assert_int_eq(file_size(path), SEG_HDR + 5 * ENTRY1);
}

START_TEST(test_corrupt_payload_middle) { corrupt_case(SEG_HDR + ENTRY1 + 20, 0x01); }
END_TEST
START_TEST(test_corrupt_length_middle) { corrupt_case(SEG_HDR + ENTRY1 + 1, 0x01); }
END_TEST
START_TEST(test_corrupt_type_middle) { corrupt_case(SEG_HDR + ENTRY1 + 4, 0x07); }
END_TEST

static struct el_wal *rotating(struct el_wal_replay *r)
{
	struct el_wal_options o = {.segment_size = 2048};
	return open_ok(&o, r);
}

/* Entries of 300 bytes, synced one by one, over several 2 KiB segments. */
static void fill(struct el_wal *w, uint64_t from, uint64_t to)
{
	static char data[300];
	for (uint64_t i = from; i <= to; i++) {
		memset(data, (int)('a' + i % 26), sizeof(data));
		struct el_wal_entry e = {i, 1, sizeof(data), (uint8_t *)data};
		ck_assert_int_eq(el_wal_append_entries(w, &e, 1), 0);
		ck_assert_int_eq(el_wal_sync(w), 0);
	}
}

START_TEST(test_rotation_and_release)
{
	struct el_wal_replay r;
	struct el_wal *w = rotating(&r);
	char path[PATH_MAX_LEN];
	el_wal_replay_close(&r);
	struct el_wal_hardstate hs = {3, 1, 40};
	ck_assert_int_eq(el_wal_set_hardstate(w, &hs), 0);
	fill(w, 1, 50);
	int before = seg_path(-1, path, sizeof(path));
	ck_assert_int_ge(before, 6);

	/* Release beyond the synced marker is held back to the marker. */
	ck_assert_int_eq(el_wal_release_to(w, 30), 0);
	ck_assert_int_eq(el_wal_sync(w), 0);
	ck_assert_int_eq(seg_path(-1, path, sizeof(path)), before);

	ck_assert_int_eq(el_wal_mark_snapshot(w, 30, 1), 0);
	ck_assert_int_eq(el_wal_sync(w), 0);
	int after = seg_path(-1, path, sizeof(path));
	ck_assert_int_lt(after, before);
	ck_assert_int_ge(after, 3);

	struct el_wal *w2;
	el_wal_close(w);
	w2 = rotating(&r);
	ck_assert_uint_eq(r.snap.index, 30);
	ck_assert_uint_eq(r.hs.term, 3);
	ck_assert_uint_eq(r.hs.commit, 40);
	ck_assert_uint_eq(r.n_entries, 20);
	ck_assert_uint_eq(r.entries[0].index, 31);
	ck_assert_uint_eq(r.entries[19].index, 50);
	ck_assert_int_eq(r.entries[19].data[0], 'a' + 50 % 26);
	el_wal_replay_close(&r);
	el_wal_close(w2);
}
END_TEST

START_TEST(test_corrupt_non_last_segment)
{
	struct el_wal_replay r;
	struct el_wal *w = rotating(&r);
	char path[PATH_MAX_LEN], err[256];
	el_wal_replay_close(&r);
	fill(w, 1, 20);
	el_wal_close(w);
	ck_assert_int_ge(seg_path(0, path, sizeof(path)), 2);
	/* The last byte of the first segment: a "torn" record, but not at the tail. */
	patch_byte(path, file_size(path) - 1, 0x10);
	w = NULL;
	ck_assert_int_eq(el_wal_open(dir, NULL, &w, &r, err, sizeof(err)), -CM_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(err, strrchr(path, '/') + 1));
	ck_assert_ptr_nonnull(strstr(err, "offset"));
}
END_TEST

/* Reads <dir>/.synced: returns the offset, the segment name into name. */
static unsigned long long read_hook(char *name, size_t namelen)
{
	char hook[128], line[128];
	unsigned long long off = 0;
	snprintf(hook, sizeof(hook), "%s/.synced", dir);
	FILE *f = fopen(hook, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_uint_ge(namelen, 64);
	ck_assert_int_eq(sscanf(line, "%63s %llu", name, &off), 2);
	return off;
}

START_TEST(test_synced_offset_hook)
{
	struct el_wal_replay r;
	char path[PATH_MAX_LEN], name[64], line[128];
	setenv("ETCDLITE_TEST_SYNC_HOOK", "1", 1);
	struct el_wal *w = open_ok(NULL, &r);
	el_wal_replay_close(&r);

	append_range(w, 1, 3, 1);
	ck_assert_int_eq(el_wal_sync(w), 0);
	uint64_t off = el_wal_synced_offset(w, name, sizeof(name));
	seg_path(-1, path, sizeof(path));
	ck_assert_int_eq((off_t)off, file_size(path));
	ck_assert_str_eq(name, strrchr(path, '/') + 1);

	ck_assert_uint_eq(read_hook(line, sizeof(line)), off);
	ck_assert_str_eq(line, name);

	/* A later batch lost halfway (power cut before its fsync). */
	append_range(w, 4, 6, 1);
	ck_assert_int_eq(el_wal_sync(w), 0);
	el_wal_close(w);
	ck_assert_int_eq(truncate(path, (off_t)off + 30), 0);
	w = open_ok(NULL, &r);
	check_range(&r, 1, 4); /* 30 bytes: entry 4 whole, entry 5 torn */
	el_wal_replay_close(&r);
	el_wal_close(w);
	ck_assert_int_eq(truncate(path, (off_t)off), 0);
	w = open_ok(NULL, &r);
	check_range(&r, 1, 3);
	ck_assert_uint_eq(read_hook(line, sizeof(line)), off); /* rewritten at open */
	el_wal_replay_close(&r);
	el_wal_close(w);
}
END_TEST

/* Segments made under an older marker survive a later release: replay must
 * accept a head segment whose restated marker is below its first entry. */
START_TEST(test_release_twice)
{
	struct el_wal_replay r;
	struct el_wal *w = rotating(&r);
	char path[PATH_MAX_LEN];
	el_wal_replay_close(&r);
	fill(w, 1, 20);
	ck_assert_int_eq(el_wal_mark_snapshot(w, 10, 1), 0);
	ck_assert_int_eq(el_wal_release_to(w, 10), 0);
	ck_assert_int_eq(el_wal_sync(w), 0);
	fill(w, 21, 60);
	ck_assert_int_eq(el_wal_mark_snapshot(w, 45, 1), 0);
	ck_assert_int_eq(el_wal_release_to(w, 45), 0);
	ck_assert_int_eq(el_wal_sync(w), 0);
	ck_assert_int_le(seg_path(-1, path, sizeof(path)), 4);
	el_wal_close(w);
	w = rotating(&r);
	ck_assert_uint_eq(r.snap.index, 45);
	ck_assert_uint_eq(r.n_entries, 15);
	ck_assert_uint_eq(r.entries[0].index, 46);
	el_wal_replay_close(&r);
	/* And it appends on. */
	fill(w, 61, 62);
	el_wal_close(w);
	w = rotating(&r);
	ck_assert_uint_eq(r.n_entries, 17);
	el_wal_replay_close(&r);
	el_wal_close(w);
}
END_TEST

/* Closing with records buffered (never synced) and an empty sync are harmless. */
START_TEST(test_empty_sync_and_begin_errors)
{
	struct el_wal_replay r;
	struct el_wal *w = open_ok(NULL, &r);
	el_wal_replay_close(&r);
	ck_assert_int_eq(el_wal_sync(w), 0);
	ck_assert_int_eq(el_wal_end_sync(w), -EINVAL); /* nothing in flight */
	ck_assert_int_eq(el_wal_mark_snapshot(w, 5, 1), 0);
	struct el_wal_entry e = {3, 1, 1, (uint8_t *)"x"};
	ck_assert_int_eq(el_wal_append_entries(w, &e, 1), -EINVAL); /* below snapshot */
	struct el_wal_entry two[2] = {{6, 1, 1, (uint8_t *)"x"}, {8, 1, 1, (uint8_t *)"y"}};
	ck_assert_int_eq(el_wal_append_entries(w, two, 2), -EINVAL); /* not contiguous */
	el_wal_close(w);
}
END_TEST

START_TEST(test_missing_segment)
{
	struct el_wal_replay r;
	struct el_wal *w = rotating(&r);
	char path[PATH_MAX_LEN], err[256];
	el_wal_replay_close(&r);
	fill(w, 1, 20);
	el_wal_close(w);
	ck_assert_int_ge(seg_path(1, path, sizeof(path)), 3);
	ck_assert_int_eq(unlink(path), 0);
	w = NULL;
	ck_assert_int_eq(el_wal_open(dir, NULL, &w, &r, err, sizeof(err)), -CM_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(err, "missing"));
}
END_TEST

/* After a failed write the WAL refuses everything: the disk state is unknown. */
START_TEST(test_sticky_error)
{
	struct el_wal_replay r;
	struct el_wal *w = open_ok(NULL, &r);
	el_wal_replay_close(&r);
	int ro = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(ro, 0);
	ck_assert_int_eq(dup2(ro, w->fd), w->fd); /* writes now fail with EBADF */
	close(ro);
	append_range(w, 1, 2, 1);
	ck_assert_int_eq(el_wal_sync(w), -EBADF);
	struct el_wal_entry e = {3, 1, 1, (uint8_t *)"x"};
	ck_assert_int_eq(el_wal_append_entries(w, &e, 1), -EBADF);
	ck_assert_int_eq(el_wal_begin_sync(w), -EBADF);
	ck_assert_int_eq(el_wal_sync(w), -EBADF);
	el_wal_close(w);
}
END_TEST

static void *sync_thread(void *arg)
{
	el_wal_do_sync(arg);
	return NULL;
}

START_TEST(test_threaded_handoff)
{
	struct el_wal_options o = {.segment_size = 64 * 1024};
	struct el_wal_replay r;
	struct el_wal *w = open_ok(&o, &r);
	uint64_t next = 1;
	el_wal_replay_close(&r);

	for (int round = 0; round < 40; round++) {
		pthread_t t;
		append_range(w, next, next + 49, 1);
		next += 50;
		ck_assert_int_eq(el_wal_begin_sync(w), 0);
		ck_assert_uint_eq(el_wal_pending(w), 0);
		ck_assert_int_eq(pthread_create(&t, NULL, sync_thread, w), 0);
		/* The loop keeps appending into the other buffer meanwhile. */
		append_range(w, next, next + 49, 1);
		next += 50;
		ck_assert_int_eq(el_wal_begin_sync(w), -EBUSY);
		ck_assert_uint_gt(el_wal_pending(w), 0);
		pthread_join(t, NULL);
		ck_assert_uint_eq(el_wal_synced_index(w), round ? next - 151 : 0); /* not yet */
		ck_assert_int_eq(el_wal_end_sync(w), 0);
		ck_assert_uint_eq(el_wal_synced_index(w), next - 51);
	}
	ck_assert_int_eq(el_wal_sync(w), 0);
	el_wal_close(w);
	w = open_ok(&o, &r);
	check_range(&r, 1, next - 1);
	el_wal_replay_close(&r);
	el_wal_close(w);
}
END_TEST

START_TEST(test_open_errors)
{
	struct el_wal *w = NULL;
	struct el_wal_replay r;
	char err[256], bad[128];
	snprintf(bad, sizeof(bad), "%s/no/such/dir", dir);
	ck_assert_int_eq(el_wal_open(bad, NULL, &w, &r, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(w);
	ck_assert_ptr_nonnull(strstr(err, "no/such/dir"));
	ck_assert_int_eq(el_wal_open(NULL, NULL, &w, &r, NULL, 0), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("el_wal");
	TCase *tc = tcase_create("wal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_unsynced_dropped);
	tcase_add_test(tc, test_overwrite_suffix);
	tcase_add_test(tc, test_hardstate_latest_wins);
	tcase_add_test(tc, test_snapshot_marker);
	tcase_add_test(tc, test_torn_short_header);
	tcase_add_test(tc, test_torn_short_payload);
	tcase_add_test(tc, test_torn_bad_crc);
	tcase_add_test(tc, test_torn_zeros);
	tcase_add_test(tc, test_torn_length);
	tcase_add_test(tc, test_corrupt_payload_middle);
	tcase_add_test(tc, test_corrupt_length_middle);
	tcase_add_test(tc, test_corrupt_type_middle);
	tcase_add_test(tc, test_rotation_and_release);
	tcase_add_test(tc, test_corrupt_non_last_segment);
	tcase_add_test(tc, test_release_twice);
	tcase_add_test(tc, test_missing_segment);
	tcase_add_test(tc, test_sticky_error);
	tcase_add_test(tc, test_empty_sync_and_begin_errors);
	tcase_add_test(tc, test_synced_offset_hook);
	tcase_add_test(tc, test_threaded_handoff);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
