/* stream.c: reads a layer file, inflating gzip (every member of a multi-member file) when its magic says so. */
#include "kubelet/image/stream.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#define IN_SIZE 65536

struct kl_stream {
	int fd;
	bool gz, eof, z_live, z_end;
	z_stream z;
	unsigned char in[IN_SIZE];
	size_t in_off, in_len; /* plain mode: unread bytes of in[] */
};

/* Refills in[] from the file; 0, 1 at its end, or -errno. */
static int fill(struct kl_stream *s)
{
	ssize_t n;

	do
		n = read(s->fd, s->in, sizeof(s->in));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	s->in_off = 0;
	s->in_len = (size_t)n;
	if (n == 0)
		s->eof = true;
	return n == 0;
}

int kl_stream_open(int fd, struct kl_stream **out)
{
	struct kl_stream *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	/* the magic may straddle reads of a pipe; files give it at once */
	if ((rc = fill(s)) < 0)
		goto fail;
	if (s->in_len >= 4 && !memcmp(s->in, "\x28\xb5\x2f\xfd", 4)) {
		rc = -ENOTSUP;
		goto fail;
	}
	if (s->in_len >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b) {
		s->gz = true;
		if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
			rc = -ENOMEM;
			goto fail;
		}
		s->z_live = true;
		s->z.next_in = s->in;
		s->z.avail_in = (uInt)s->in_len;
	}
	*out = s;
	return 0;
fail:
	kl_stream_free(s);
	return rc;
}

void kl_stream_free(struct kl_stream *s)
{
	if (!s)
		return;
	if (s->z_live)
		inflateEnd(&s->z);
	close(s->fd);
	free(s);
}

static ssize_t read_gz(struct kl_stream *s, void *buf, size_t n)
{
	int rc;

	if (n > (1u << 30))
		n = 1u << 30;
	s->z.next_out = buf;
	s->z.avail_out = (uInt)n;
	while (s->z.avail_out == n && !s->z_end) {
		if (s->z.avail_in == 0) {
			if ((rc = fill(s)) < 0)
				return rc;
			if (rc == 1)
				return -EINVAL; /* the file ends inside a gzip member */
			s->z.next_in = s->in;
			s->z.avail_in = (uInt)s->in_len;
		}
		rc = inflate(&s->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			/* another member may follow (pigz, concatenated files); anything else ends it */
			if (s->z.avail_in == 0 && !s->eof && fill(s) == 0) {
				s->z.next_in = s->in;
				s->z.avail_in = (uInt)s->in_len;
			}
			if (s->z.avail_in >= 2 && s->z.next_in[0] == 0x1f && s->z.next_in[1] == 0x8b)
				inflateReset(&s->z);
			else
				s->z_end = true;
		} else if (rc == Z_MEM_ERROR) {
			return -ENOMEM;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			return -EINVAL;
		}
	}
	return (ssize_t)(n - s->z.avail_out);
}

ssize_t kl_stream_read(void *ud, void *buf, size_t n)
{
	struct kl_stream *s = ud;
	int rc;

	if (n == 0)
		return 0;
	if (s->gz)
		return read_gz(s, buf, n);
	if (s->in_off == s->in_len) {
		if (s->eof)
			return 0;
		if ((rc = fill(s)) != 0)
			return rc < 0 ? rc : 0;
	}
	if (n > s->in_len - s->in_off)
		n = s->in_len - s->in_off;
	memcpy(buf, s->in + s->in_off, n);
	s->in_off += n;
	return (ssize_t)n;
}
