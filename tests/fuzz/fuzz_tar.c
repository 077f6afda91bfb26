/* fuzz_tar.c: the tar reader on any input: members, data and errors, never a crash or an unbounded read. */
#include <errno.h>
#include <sys/types.h>

#include "common/tar.h"
#include "tests/fuzz/fuzz_util.h"

struct src {
	const uint8_t *data;
	size_t len, off;
};

static ssize_t rd(void *ud, void *buf, size_t n)
{
	struct src *s = ud;

	/* odd-sized reads, so short reads are exercised too */
	if (n > 333)
		n = 333;
	if (n > s->len - s->off)
		n = s->len - s->off;
	memcpy(buf, s->data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src s = {data, size, 0};
	struct cm_tar_reader *r;
	const struct cm_tar_entry *e;
	struct cm_buf err = CM_BUF_INIT, clean = CM_BUF_INIT;
	char buf[1024];
	int rc, members = 0;

	FUZZ_CHECK(cm_tar_reader_new(rd, &s, &r) == 0);
	while ((rc = cm_tar_next(r, &e, &err)) == 0) {
		ssize_t n;
		int64_t got = 0;

		FUZZ_CHECK(e->path && e->link && e->size >= 0);
		while ((n = cm_tar_read(r, buf, sizeof(buf))) > 0)
			got += n;
		FUZZ_CHECK(n == 0 || n == -EINVAL);
		FUZZ_CHECK(n < 0 || got == e->size || e->type != CM_TAR_FILE);
		cm_buf_reset(&clean);
		rc = cm_tar_clean_path(e->path, &clean);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			FUZZ_CHECK(clean.data[0] != '/' && !strstr(clean.data, "//"));
		FUZZ_CHECK(++members <= (int)(size / 512) + 1);
	}
	FUZZ_CHECK(rc == 1 || rc == -EINVAL || rc == -ENAMETOOLONG || rc == -ENOMEM);
	FUZZ_CHECK(s.off <= size);
	cm_tar_reader_free(r);
	cm_buf_close(&err);
	cm_buf_close(&clean);
	return 0;
}
