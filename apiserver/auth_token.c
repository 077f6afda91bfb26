/* auth_token.c: Kubernetes' static token file (token,user,uid,"group1,group2") parsed into a lookup table. */
#include "apiserver/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"

struct token_ent {
	char *token;
	struct api_user user;
	char *store; /* one allocation holding the user's strings */
};

struct api_tokens {
	struct token_ent *v;
	size_t n, cap;
};

bool api_user_in_group(const struct api_user *u, const char *g)
{
	for (int i = 0; i < u->ngroups; i++)
		if (!strcmp(u->groups[i], g))
			return true;
	return false;
}

void api_tokens_free(struct api_tokens *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].token);
		free(t->v[i].store);
	}
	free(t->v);
	free(t);
}

size_t api_tokens_count(const struct api_tokens *t)
{
	return t ? t->n : 0;
}

/*
 * Splits one CSV line into at most 4 fields, in place (line is a private copy).
 * A field may be quoted, "" inside quotes is a quote. Returns the field count or -EINVAL.
 */
static int split_csv(char *line, char *fields[4])
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *w = p;

		if (n == 4)
			return -EINVAL;
		fields[n++] = p;
		if (*p == '"') {
			p++;
			for (;;) {
				if (!*p)
					return -EINVAL; /* unterminated */
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
			if (*p && *p != ',')
				return -EINVAL;
		} else {
			while (*p && *p != ',') {
				if (*p == '"')
					return -EINVAL;
				*w++ = *p++;
			}
		}
		if (!*p) {
			*w = '\0';
			return n;
		}
		p++;
		*w = '\0';
	}
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Fills e from the fields; the user's strings are copied into e->store. */
static int make_entry(struct token_ent *e, char *const f[4], int nf, struct cm_buf *why)
{
	size_t need = strlen(f[1]) + strlen(f[2]) + 2 + (nf > 3 ? strlen(f[3]) + 1 : 0);
	char *s, *g, *save = NULL;

	memset(e, 0, sizeof(*e));
	e->store = malloc(need);
	e->token = strdup(f[0]);
	if (!e->store || !e->token)
		goto nomem;
	s = e->store;
	e->user.name = strcpy(s, f[1]);
	s += strlen(f[1]) + 1;
	e->user.uid = strcpy(s, f[2]);
	s += strlen(f[2]) + 1;
	if (nf > 3) {
		strcpy(s, f[3]);
		for (g = strtok_r(s, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
			g = trim(g);
			if (!*g)
				continue;
			if (e->user.ngroups == API_AUTH_MAX_GROUPS) {
				cm_buf_printf(why, "more than %d groups", API_AUTH_MAX_GROUPS);
				free(e->store);
				free(e->token);
				return -EINVAL;
			}
			e->user.groups[e->user.ngroups++] = g;
		}
	}
	return 0;
nomem:
	free(e->store);
	free(e->token);
	return -ENOMEM;
}

static int parse_line(struct api_tokens *t, char *line, struct cm_buf *why)
{
	char *f[4];
	int nf = split_csv(line, f);
	struct token_ent e;
	int rc;

	if (nf < 0)
		return cm_buf_puts(why, "bad quoting or more than 4 columns") ? -ENOMEM : -EINVAL;
	for (int i = 0; i < nf; i++)
		f[i] = trim(f[i]);
	if (nf < 3)
		return cm_buf_puts(why, "want token,user,uid[,\"groups\"]") ? -ENOMEM : -EINVAL;
	if (!*f[0] || !*f[1])
		return cm_buf_puts(why, "empty token or user") ? -ENOMEM : -EINVAL;
	if (api_tokens_lookup(t, f[0]))
		return cm_buf_puts(why, "duplicate token") ? -ENOMEM : -EINVAL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct token_ent *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	rc = make_entry(&e, f, nf, why);
	if (rc < 0)
		return rc;
	t->v[t->n++] = e;
	return 0;
}

int api_tokens_parse(const char *text, size_t len, struct api_tokens **out, struct cm_buf *err)
{
	struct api_tokens *t = calloc(1, sizeof(*t));
	size_t off = 0;
	int lineno = 0, rc = 0;

	if (!t)
		return -ENOMEM;
	while (off < len && !rc) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) : len - off;
		char *line = strndup(text + off, l), *s;
		struct cm_buf why = CM_BUF_INIT;

		lineno++;
		off += l + 1;
		if (!line) {
			rc = -ENOMEM;
			break;
		}
		s = trim(line);
		if (*s && *s != '#')
			rc = parse_line(t, s, &why);
		if (rc == -EINVAL && err)
			cm_buf_printf(err, "line %d: %s", lineno, why.data ? why.data : "invalid");
		cm_buf_close(&why);
		free(line);
	}
	if (rc < 0) {
		api_tokens_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int api_tokens_load(const char *path, struct api_tokens **out, struct cm_buf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
	struct stat st;
	char *text = NULL;
	size_t got = 0;

	if (fd < 0) {
		rc = -errno;
		cm_buf_printf(err, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		rc = -ENOMEM;
		goto out;
	}
	rc = cm_pread_all(fd, text, (size_t)st.st_size, 0, &got);
	if (rc == 0) {
		struct cm_buf why = CM_BUF_INIT;

		rc = api_tokens_parse(text, got, out, &why);
		if (rc == -EINVAL)
			cm_buf_printf(err, "%s: %s", path, why.data ? why.data : "invalid");
		cm_buf_close(&why);
	} else {
		cm_buf_printf(err, "cannot read %s: %s", path, strerror(-rc));
	}
out:
	free(text);
	close(fd);
	return rc;
}

/* Compares without an early exit, so response time does not tell how much of a guess was right. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i < lb ? i : 0];
	return d == 0;
}

const struct api_user *api_tokens_lookup(const struct api_tokens *t, const char *token)
{
	if (!t || !token || !*token)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (same_secret(t->v[i].token, token))
			return &t->v[i].user;
	return NULL;
}
