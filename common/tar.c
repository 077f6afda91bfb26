/* tar.c: the streaming tar reader: 512-byte headers, pax and GNU long-name records, data and padding. */
#include "common/tar.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 512

/* What a pax or GNU record sets for the member that follows it. */
struct pending {
	struct cm_buf path, link;
	bool has_path, has_link, has_size, has_uid, has_gid, has_mtime;
	int64_t size, uid, gid, mtime;
};

struct cm_tar_reader {
	cm_tar_read_fn read;
	void *ud;
	struct cm_tar_entry e;
	struct cm_buf path, link;
	struct pending p;
	int64_t remaining; /* data bytes of the current member not yet read */
	int64_t pad;       /* then this many bytes to the block boundary */
	int err;           /* sticky: 0, 1 (ended) or a negative errno */
};

int cm_tar_reader_new(cm_tar_read_fn read, void *ud, struct cm_tar_reader **out)
{
	struct cm_tar_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->read = read;
	r->ud = ud;
	*out = r;
	return 0;
}

static void pending_clear(struct pending *p)
{
	cm_buf_close(&p->path);
	cm_buf_close(&p->link);
	memset(p, 0, sizeof(*p));
}

void cm_tar_reader_free(struct cm_tar_reader *r)
{
	if (!r)
		return;
	pending_clear(&r->p);
	cm_buf_close(&r->path);
	cm_buf_close(&r->link);
	free(r);
}

/* Reads exactly n bytes: 0, 1 when the input ended before the first byte, -EINVAL when inside, or -errno. */
static int read_full(struct cm_tar_reader *r, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = r->read(r->ud, (char *)buf + got, n - got);

		if (k < 0)
			return (int)k;
		if (k == 0)
			return got == 0 ? 1 : -EINVAL;
		got += (size_t)k;
	}
	return 0;
}

/* Skips n bytes of input. 0, -EINVAL when the input ends first, or -errno. */
static int skip(struct cm_tar_reader *r, int64_t n)
{
	char chunk[4096];

	while (n > 0) {
		size_t take = n > (int64_t)sizeof(chunk) ? sizeof(chunk) : (size_t)n;
		int rc = read_full(r, chunk, take);

		if (rc)
			return rc > 0 ? -EINVAL : rc;
		n -= (int64_t)take;
	}
	return 0;
}

/* A numeric field: octal text, or GNU base-256 when the high bit of the first byte is set. */
static int parse_num(const unsigned char *f, size_t len, int64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] == 0xff)
			return -EINVAL; /* negative */
		v = f[0] & 0x7f;
		for (i = 1; i < len; i++) {
			if (v > (UINT64_MAX >> 9))
				return -EINVAL;
			v = (v << 8) | f[i];
		}
		*out = (int64_t)v;
		return 0;
	}
	while (i < len && (f[i] == ' ' || f[i] == '\0'))
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (uint64_t)(INT64_MAX >> 3))
			return -EINVAL;
		v = (v << 3) | (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

static bool checksum_ok(const unsigned char *h)
{
	int64_t want;
	uint64_t sum_u = 0;
	int64_t sum_s = 0;

	if (parse_num(h + 148, 8, &want) < 0)
		return false;
	for (int i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];

		sum_u += c;
		sum_s += (signed char)c; /* some old writers summed signed chars */
	}
	return (int64_t)sum_u == want || sum_s == want;
}

static bool all_zero(const unsigned char *h)
{
	for (int i = 0; i < BLOCK; i++)
		if (h[i])
			return false;
	return true;
}

/* A decimal pax value; mtime may carry a fraction, which is dropped. */
static int pax_num(const char *s, size_t len, bool fraction_ok, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;

	if (!len)
		return -EINVAL;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (INT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0 || (i < len && !(fraction_ok && s[i] == '.')))
		return -EINVAL;
	*out = v;
	return 0;
}

static int set_name(struct cm_buf *b, const char *v, size_t len)
{
	if (len > CM_TAR_MAX_NAME)
		return -ENAMETOOLONG;
	if (memchr(v, '\0', len))
		return -EINVAL;
	cm_buf_reset(b);
	return cm_buf_append(b, v, len) < 0 ? -ENOMEM : 0;
}

/* Applies the records of a pax extended header ("LEN KEY=VALUE\n" each) to p. */
static int parse_pax(const char *d, size_t n, struct pending *p, bool global, struct cm_buf *err)
{
	size_t off = 0;

	while (off < n) {
		size_t len = 0, i = off;
		const char *key, *eq, *val;
		size_t klen, vlen;
		int rc = 0;

		if (d[off] == '\0')
			break; /* some writers pad the record block with NULs */
		for (; i < n && d[i] >= '0' && d[i] <= '9'; i++) {
			len = len * 10 + (size_t)(d[i] - '0');
			if (len > n)
				return cm_buf_invalid(err, "pax record longer than its header");
		}
		if (i == off || i >= n || d[i] != ' ' || len < (i - off) + 3 || off + len > n ||
		    d[off + len - 1] != '\n')
			return cm_buf_invalid(err, "malformed pax record");
		key = d + i + 1;
		eq = memchr(key, '=', (size_t)(d + off + len - 1 - key));
		if (!eq)
			return cm_buf_invalid(err, "pax record without '='");
		klen = (size_t)(eq - key);
		val = eq + 1;
		vlen = (size_t)(d + off + len - 1 - val);
		off += len;
		if (global)
			continue; /* global defaults (uname, mtime) change nothing this reader reports */
#define KEY(s) (klen == sizeof(s) - 1 && !memcmp(key, s, klen))
		if (KEY("path")) {
			rc = set_name(&p->path, val, vlen);
			p->has_path = true;
		} else if (KEY("linkpath")) {
			rc = set_name(&p->link, val, vlen);
			p->has_link = true;
		} else if (KEY("size")) {
			rc = pax_num(val, vlen, false, &p->size);
			p->has_size = true;
		} else if (KEY("uid")) {
			rc = pax_num(val, vlen, false, &p->uid);
			p->has_uid = true;
		} else if (KEY("gid")) {
			rc = pax_num(val, vlen, false, &p->gid);
			p->has_gid = true;
		} else if (KEY("mtime")) {
			p->has_mtime = pax_num(val, vlen, true, &p->mtime) == 0;
		} else if (klen > 11 && !memcmp(key, "GNU.sparse.", 11)) {
			return cm_buf_invalid(err, "sparse files are not supported");
		}
#undef KEY
		if (rc == -EINVAL)
			return cm_buf_invalid(err, "bad pax value for %.*s", (int)klen, key);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Reads the data of a pax or GNU long-name member (size bytes, then padding) into b. */
static int read_meta(struct cm_tar_reader *r, int64_t size, int64_t cap, struct cm_buf *b, struct cm_buf *err)
{
	int rc;

	if (size > cap)
		return cap == CM_TAR_MAX_NAME ? -ENAMETOOLONG : cm_buf_invalid(err, "pax header too large");
	cm_buf_reset(b);
	if (cm_buf_reserve(b, (size_t)size + 1) < 0)
		return -ENOMEM;
	if ((rc = read_full(r, b->data, (size_t)size)) != 0)
		return rc > 0 || rc == -EINVAL ? cm_buf_invalid(err, "archive ends inside a header") : rc;
	b->len = (size_t)size;
	b->data[b->len] = '\0';
	if ((rc = skip(r, (BLOCK - size % BLOCK) % BLOCK)) < 0)
		return rc == -EINVAL ? cm_buf_invalid(err, "archive ends inside a header") : rc;
	return 0;
}

/* A NUL-padded header field as a string into b. */
static int field(struct cm_buf *b, const unsigned char *f, size_t len)
{
	size_t n = strnlen((const char *)f, len);

	return cm_buf_append(b, f, n) < 0 ? -ENOMEM : 0;
}

static enum cm_tar_type type_of(char t)
{
	switch (t) {
	case '0': case '\0': case '7': return CM_TAR_FILE;
	case '1': return CM_TAR_HARDLINK;
	case '2': return CM_TAR_SYMLINK;
	case '3': return CM_TAR_CHAR;
	case '4': return CM_TAR_BLOCK;
	case '5': return CM_TAR_DIR;
	case '6': return CM_TAR_FIFO;
	default: return CM_TAR_OTHER;
	}
}

static int next(struct cm_tar_reader *r, const struct cm_tar_entry **e, struct cm_buf *err)
{
	unsigned char h[BLOCK];
	struct cm_buf meta = CM_BUF_INIT;
	int rc;

	/* what the caller left of the previous member */
	if ((rc = skip(r, r->remaining + r->pad)) < 0)
		return rc == -EINVAL ? cm_buf_invalid(err, "archive ends inside a member") : rc;
	r->remaining = r->pad = 0;
	for (;;) {
		int64_t size, mode, uid, gid, mtime, maj = 0, min = 0;
		char t;

		if ((rc = read_full(r, h, BLOCK)) != 0) {
			if (rc == -EINVAL)
				rc = cm_buf_invalid(err, "archive ends inside a header");
			goto out; /* 1: the input ended at a block boundary */
		}
		if (all_zero(h)) {
			rc = read_full(r, h, BLOCK);
			if (rc == 0 && !all_zero(h))
				rc = cm_buf_invalid(err, "data after an end-of-archive block");
			else if (rc >= 0)
				rc = 1;
			else if (rc == -EINVAL)
				rc = 1; /* a short pad after one zero block: still the end */
			goto out;
		}
		if (!checksum_ok(h)) {
			rc = cm_buf_invalid(err, "bad header checksum");
			goto out;
		}
		t = (char)h[156];
		if (parse_num(h + 124, 12, &size) < 0 || parse_num(h + 100, 8, &mode) < 0 ||
		    parse_num(h + 108, 8, &uid) < 0 || parse_num(h + 116, 8, &gid) < 0 ||
		    parse_num(h + 136, 12, &mtime) < 0 ||
		    ((t == '3' || t == '4') && (parse_num(h + 329, 8, &maj) < 0 || parse_num(h + 337, 8, &min) < 0))) {
			rc = cm_buf_invalid(err, "bad number in a header");
			goto out;
		}
		if (t == 'x' || t == 'g') {
			if ((rc = read_meta(r, size, CM_TAR_MAX_PAX, &meta, err)) < 0 ||
			    (rc = parse_pax(meta.data ? meta.data : "", meta.len, &r->p, t == 'g', err)) < 0)
				goto out;
			continue;
		}
		if (t == 'L' || t == 'K') {
			if ((rc = read_meta(r, size, CM_TAR_MAX_NAME, &meta, err)) < 0)
				goto out;
			/* GNU writes the name with its NUL counted in the size */
			if ((rc = set_name(t == 'L' ? &r->p.path : &r->p.link, meta.data ? meta.data : "",
					   strnlen(meta.data ? meta.data : "", meta.len))) < 0)
				goto out;
			if (t == 'L')
				r->p.has_path = true;
			else
				r->p.has_link = true;
			continue;
		}
		/* a real member: pax and GNU records override its header fields */
		if (r->p.has_size)
			size = r->p.size;
		cm_buf_reset(&r->path);
		cm_buf_reset(&r->link);
		if (r->p.has_path) {
			rc = cm_buf_puts(&r->path, r->p.path.data ? r->p.path.data : "");
		} else {
			/* POSIX ustar splits long names into prefix "/" name; GNU uses those bytes otherwise */
			if (!memcmp(h + 257, "ustar\0", 6) && h[345]) {
				rc = field(&r->path, h + 345, 155);
				rc = rc ? rc : cm_buf_putc(&r->path, '/');
			}
			rc = rc ? rc : field(&r->path, h, 100);
		}
		rc = rc ? rc : r->p.has_link ? cm_buf_puts(&r->link, r->p.link.data ? r->p.link.data : "")
					     : field(&r->link, h + 157, 100);
		rc = rc ? rc : cm_buf_puts(&r->path, "") < 0 ? -ENOMEM : cm_buf_puts(&r->link, "");
		if (rc < 0) {
			rc = -ENOMEM;
			goto out;
		}
		memset(&r->e, 0, sizeof(r->e));
		r->e.path = r->path.data;
		r->e.link = r->link.data;
		r->e.type = type_of(t);
		r->e.mode = (uint32_t)(mode & 07777);
		r->e.uid = r->p.has_uid ? r->p.uid : uid;
		r->e.gid = r->p.has_gid ? r->p.gid : gid;
		r->e.mtime = r->p.has_mtime ? r->p.mtime : mtime;
		r->e.dev_major = (uint32_t)maj;
		r->e.dev_minor = (uint32_t)min;
		r->e.size = r->e.type == CM_TAR_FILE ? size : 0;
		/* old tars mark directories only by a trailing slash */
		if (r->e.type == CM_TAR_FILE && r->path.len && r->path.data[r->path.len - 1] == '/' &&
		    t != '0' && t != '7') {
			r->e.type = CM_TAR_DIR;
			r->e.size = 0;
		}
		r->remaining = size;
		r->pad = (BLOCK - size % BLOCK) % BLOCK;
		pending_clear(&r->p);
		*e = &r->e;
		rc = 0;
		goto out;
	}
out:
	cm_buf_close(&meta);
	return rc;
}

int cm_tar_next(struct cm_tar_reader *r, const struct cm_tar_entry **e, struct cm_buf *err)
{
	int rc;

	if (r->err)
		return r->err;
	rc = next(r, e, err);
	if (rc != 0)
		r->err = rc;
	return rc;
}

ssize_t cm_tar_read(struct cm_tar_reader *r, void *buf, size_t n)
{
	ssize_t k;

	if (r->err < 0)
		return r->err;
	if (r->remaining == 0)
		return 0;
	if ((int64_t)n > r->remaining)
		n = (size_t)r->remaining;
	k = r->read(r->ud, buf, n);
	if (k == 0)
		k = -EINVAL; /* the archive ends inside the member */
	if (k < 0) {
		r->err = (int)k;
		return k;
	}
	r->remaining -= k;
	return k;
}

int cm_tar_clean_path(const char *path, struct cm_buf *out)
{
	const char *s = path;
	size_t start = out->len;

	while (*s) {
		size_t n;

		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		if (n == 0)
			break;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			out->len = start;
			if (out->data)
				out->data[start] = '\0';
			return -EINVAL;
		}
		if (!(n == 1 && s[0] == '.')) {
			if ((out->len > start && cm_buf_putc(out, '/') < 0) || cm_buf_append(out, s, n) < 0) {
				out->len = start;
				if (out->data)
					out->data[start] = '\0';
				return -ENOMEM;
			}
		}
		s += n;
	}
	return cm_buf_puts(out, "");
}
