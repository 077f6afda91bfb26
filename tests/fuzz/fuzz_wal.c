/* fuzz_wal.c: WAL recovery (el_wal_open) over a random segment file, CRCs fixed up so records reach replay. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "common/err.h"
#include "etcdlite/wal.h"
#include "etcdlite/wal_record.h"
#include "tests/fuzz/fuzz_util.h"

static int scan_cb(void *arg, const struct el_wal_rec *rec)
{
	(void)arg;
	FUZZ_CHECK(rec->payload != NULL || rec->len == 0);
	return 0;
}

/* Writes a correct CRC into every record header that frames inside buf. */
static void fix_crcs(uint8_t *buf, size_t len)
{
	size_t off = 0;
	while (len - off >= EL_WAL_HDR_SIZE) {
		uint32_t plen = el_wal_get_u32(buf + off);
		if (plen > len - off - EL_WAL_HDR_SIZE)
			break;
		uint32_t crc = cm_crc32c(0, buf + off + 4, 1);
		crc = cm_crc32c(crc, buf + off + EL_WAL_HDR_SIZE, plen);
		el_wal_put_u32(buf + off + 5, crc);
		off += EL_WAL_HDR_SIZE + plen;
	}
}

static void empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' || strcmp(e->d_name, ".synced") == 0) {
			char p[512];
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(d);
}

/* First byte: bit 0 = fix CRCs, bit 1 = scan as the last segment. The rest: the segment. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	fuzz_quiet();
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-wal-XXXXXX");
		FUZZ_CHECK(mkdtemp(dir) != NULL);
	}
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	size_t len = size - 1;
	uint8_t *seg = malloc(len ? len : 1);
	FUZZ_CHECK(seg != NULL);
	memcpy(seg, data + 1, len);
	if (mode & 1)
		fix_crcs(seg, len);

	/* The in-memory scan, both as a middle and as the last segment. */
	char errbuf[256];
	size_t good = 0;
	int rc = el_wal_scan("fuzz", seg, len, (mode >> 1) & 1, scan_cb, NULL, &good, errbuf, sizeof(errbuf));
	FUZZ_CHECK(rc == 0 || rc == -CM_ECORRUPT);
	FUZZ_CHECK(rc != 0 || good <= len);

	/* Whole recovery from a directory holding the segment. */
	empty_dir(dir);
	char path[128];
	snprintf(path, sizeof(path), "%s/0000000000000001-0000000000000001.wal", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, seg, len) == (ssize_t)len);
	close(fd);
	struct el_wal *w = NULL;
	struct el_wal_replay r;
	memset(&r, 0, sizeof(r));
	rc = el_wal_open(dir, NULL, &w, &r, errbuf, sizeof(errbuf));
	if (rc == 0) {
		for (size_t i = 1; i < r.n_entries; i++)
			FUZZ_CHECK(r.entries[i].index == r.entries[i - 1].index + 1);
		el_wal_replay_close(&r);
		el_wal_close(w);
	}
	free(seg);
	return 0;
}
