/* yaml_emit.c: JSON trees printed as block YAML in the style of go-yaml v2 (what kubectl -o yaml prints). */
#include "common/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* go-yaml reads 2006-1-2 and 2006-1-2T15:04:05Z (and with a space) as timestamps, so such strings are quoted. */
static bool looks_like_timestamp(const char *s)
{
	int i = 0, n;

	for (n = 0; s[i] >= '0' && s[i] <= '9'; i++, n++)
		;
	if (n != 4 || s[i++] != '-')
		return false;
	for (n = 0; s[i] >= '0' && s[i] <= '9'; i++, n++)
		;
	if (n < 1 || n > 2 || s[i++] != '-')
		return false;
	for (n = 0; s[i] >= '0' && s[i] <= '9'; i++, n++)
		;
	if (n < 1 || n > 2)
		return false;
	return s[i] == '\0' || s[i] == 'T' || s[i] == 't' || s[i] == ' ';
}

/* Whether s, written plain, would read back as something other than this string. */
static bool resolves_to_non_string(const char *s)
{
	cJSON *docs = NULL;
	bool r = false;

	/*
	 * Reuse the parser's rules on the bare scalar: the single truth for both
	 * directions. Only a scalar of another type counts (go-yaml resolves the
	 * text alone); text that parses as a map or fails is left to plain_allowed.
	 */
	if (s[0] == '\0')
		return true;
	if (looks_like_timestamp(s))
		return true;
	if (cm_yaml_parse_all(s, strlen(s), NULL, &docs, NULL) == 0) {
		const cJSON *d = cJSON_GetArrayItem(docs, 0);
		r = cJSON_GetArraySize(docs) == 0 || cJSON_IsNumber(d) || cJSON_IsBool(d) || cJSON_IsNull(d);
	}
	cJSON_Delete(docs);
	return r;
}

/*
 * The escape for a character YAML reads as a line break or drops outside
 * double quotes: NEL (U+0085), LINE and PARAGRAPH SEPARATOR (U+2028/9) and a
 * byte order mark; its UTF-8 length in *len. NULL for any other character.
 */
static const char *unicode_escape(const unsigned char *p, size_t *len)
{
	if (p[0] == 0xc2 && p[1] == 0x85) {
		*len = 2;
		return "\\N";
	}
	if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
		*len = 3;
		return p[2] == 0xa8 ? "\\L" : "\\P";
	}
	if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		*len = 3;
		return "\\uFEFF";
	}
	return NULL;
}

static bool printable(const char *s)
{
	size_t len;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f || unicode_escape(p, &len))
			return false;
	return true;
}

/* libyaml's analysis of a block plain scalar, the parts that matter for Kubernetes data. */
static bool plain_allowed(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || strchr(s, '\n') || strchr(s, '\t'))
		return false;
	if (s[0] == ' ' || s[n - 1] == ' ')
		return false;
	if (!strncmp(s, "---", 3) || !strncmp(s, "...", 3))
		return false;
	if (strchr("#,[]{}&*!|>'\"%@`", s[0]))
		return false;
	if (strchr("-?:", s[0]) && (s[1] == '\0' || s[1] == ' '))
		return false;
	if (strstr(s, ": ") || strstr(s, " #") || s[n - 1] == ':')
		return false;
	return true;
}

static int put_double_quoted(const char *s, struct cm_buf *out)
{
	int rc = cm_buf_putc(out, '"');

	for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
		switch (*p) {
		case '"':
			rc = cm_buf_puts(out, "\\\"");
			break;
		case '\\':
			rc = cm_buf_puts(out, "\\\\");
			break;
		case '\n':
			rc = cm_buf_puts(out, "\\n");
			break;
		case '\t':
			rc = cm_buf_puts(out, "\\t");
			break;
		default: {
			size_t len;
			const char *esc = unicode_escape(p, &len);

			if (esc) {
				rc = cm_buf_puts(out, esc);
				p += len - 1;
			} else if (*p < 0x20 || *p == 0x7f) {
				rc = cm_buf_printf(out, "\\x%02X", *p);
			} else {
				rc = cm_buf_putc(out, (char)*p);
			}
		}
		}
	}
	return rc ? rc : cm_buf_putc(out, '"');
}

static int put_single_quoted(const char *s, struct cm_buf *out)
{
	int rc = cm_buf_putc(out, '\'');

	for (; *s && !rc; s++)
		rc = *s == '\'' ? cm_buf_puts(out, "''") : cm_buf_putc(out, *s);
	return rc ? rc : cm_buf_putc(out, '\'');
}

static int put_indent(struct cm_buf *out, int n)
{
	int rc = 0;

	while (n-- > 0 && !rc)
		rc = cm_buf_putc(out, ' ');
	return rc;
}

/* A multi-line string as a literal block; content lines at indent. */
static int put_literal(const char *s, int indent, struct cm_buf *out)
{
	size_t n = strlen(s), trailing = 0;
	int rc;

	while (trailing < n && s[n - 1 - trailing] == '\n')
		trailing++;
	rc = cm_buf_puts(out, trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+");
	for (const char *line = s; !rc && line < s + n - (trailing ? trailing : 0);) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		rc = cm_buf_putc(out, '\n');
		if (len && !rc)
			rc = put_indent(out, indent);
		if (!rc)
			rc = cm_buf_append(out, line, len);
		if (!nl)
			break;
		line = nl + 1;
	}
	for (size_t i = 1; i < trailing && !rc; i++)
		rc = cm_buf_putc(out, '\n');
	return rc;
}

/* Writes a string scalar; indent is where a literal block's lines go. */
static int put_string(const char *s, int indent, struct cm_buf *out)
{
	if (!printable(s))
		return put_double_quoted(s, out);
	if (strchr(s, '\n')) {
		/*
		 * A leading space (or tab) on the first line with text would need an
		 * indentation indicator, as empty lines before it do not set the
		 * indentation; a block of nothing but line breaks reads back shorter.
		 * (All three found by fuzz_yaml.)
		 */
		const char *first = s + strspn(s, "\n");

		if (*first == ' ' || *first == '\t' || *first == '\0' || strstr(s, " \n"))
			return put_double_quoted(s, out);
		return put_literal(s, indent, out);
	}
	if (resolves_to_non_string(s))
		return put_double_quoted(s, out);
	if (!plain_allowed(s))
		return put_single_quoted(s, out);
	return cm_buf_puts(out, s);
}

static int put_number(double d, struct cm_buf *out)
{
	if (d == floor(d) && fabs(d) < 1e15)
		return cm_buf_printf(out, "%.0f", d);
	return cm_buf_printf(out, "%.17g", d);
}

static int put_scalar(const cJSON *j, int indent, struct cm_buf *out)
{
	if (cJSON_IsString(j))
		return put_string(j->valuestring, indent, out);
	if (cJSON_IsNumber(j))
		return put_number(j->valuedouble, out);
	if (cJSON_IsTrue(j))
		return cm_buf_puts(out, "true");
	if (cJSON_IsFalse(j))
		return cm_buf_puts(out, "false");
	if (cJSON_IsArray(j))
		return cm_buf_puts(out, "[]");
	if (cJSON_IsObject(j))
		return cm_buf_puts(out, "{}");
	return cm_buf_puts(out, "null");
}

static bool is_block(const cJSON *j)
{
	return (cJSON_IsObject(j) || cJSON_IsArray(j)) && j->child;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static int emit_node(const cJSON *j, int indent, bool inline_first, struct cm_buf *out);

/*
 * A map key. An implicit key is one line of at most 1024 characters
 * (libyaml's limit, as YAML's): a longer one, or one with a line break, is
 * written as an explicit "? key" line with the ':' on the next (found by
 * fuzz_yaml: a multi-line key came out as a literal block).
 */
static int put_key(const char *k, int indent, struct cm_buf *out)
{
	int rc;

	if (!strchr(k, '\n') && strlen(k) < 1000)
		return put_string(k, indent + 2, out);
	rc = cm_buf_puts(out, "? ");
	rc = rc ? rc : put_double_quoted(k, out);
	rc = rc ? rc : cm_buf_putc(out, '\n');
	return rc ? rc : put_indent(out, indent);
}

/* A map at indent; when inline_first the first key continues the current line ("- key: v"). */
static int emit_map(const cJSON *j, int indent, bool inline_first, struct cm_buf *out)
{
	size_t n = (size_t)cJSON_GetArraySize(j), i = 0;
	const cJSON **members = malloc(n * sizeof(*members));
	const cJSON *m;
	int rc = 0;

	if (!members)
		return -ENOMEM;
	cJSON_ArrayForEach(m, j) members[i++] = m;
	qsort(members, n, sizeof(*members), cmp_keys);
	for (i = 0; i < n && !rc; i++) {
		m = members[i];
		if (i > 0 || !inline_first)
			rc = put_indent(out, indent);
		if (!rc)
			rc = put_key(m->string, indent, out);
		if (!rc)
			rc = cm_buf_putc(out, ':');
		if (rc)
			break;
		if (cJSON_IsObject(m) && m->child) {
			rc = cm_buf_putc(out, '\n');
			if (!rc)
				rc = emit_map(m, indent + 2, false, out);
		} else if (cJSON_IsArray(m) && m->child) {
			/* go-yaml puts a map's list items at the map's own indentation. */
			rc = cm_buf_putc(out, '\n');
			if (!rc)
				rc = emit_node(m, indent, false, out);
		} else {
			rc = cm_buf_putc(out, ' ');
			if (!rc)
				rc = put_scalar(m, indent + 2, out);
			if (!rc)
				rc = cm_buf_putc(out, '\n');
		}
	}
	free(members);
	return rc;
}

static int emit_seq(const cJSON *j, int indent, bool inline_first, struct cm_buf *out)
{
	const cJSON *e;
	bool first = true;
	int rc = 0;

	cJSON_ArrayForEach(e, j)
	{
		if (!(first && inline_first))
			rc = put_indent(out, indent);
		first = false;
		if (!rc)
			rc = cm_buf_puts(out, "- ");
		if (rc)
			break;
		if (is_block(e)) {
			rc = emit_node(e, indent + 2, true, out);
		} else {
			rc = put_scalar(e, indent + 2, out);
			if (!rc)
				rc = cm_buf_putc(out, '\n');
		}
		if (rc)
			break;
	}
	return rc;
}

static int emit_node(const cJSON *j, int indent, bool inline_first, struct cm_buf *out)
{
	if (cJSON_IsObject(j) && j->child)
		return emit_map(j, indent, inline_first, out);
	if (cJSON_IsArray(j) && j->child)
		return emit_seq(j, indent, inline_first, out);
	/* a lone scalar (a whole document): a literal block's lines still need indenting, or a
	 * line like "--- x" or "..." would read as a document marker (fuzz_yaml found it) */
	int rc = put_scalar(j, indent + 2, out);
	return rc ? rc : cm_buf_putc(out, '\n');
}

int cm_yaml_emit(const cJSON *j, struct cm_buf *out)
{
	return emit_node(j, 0, false, out);
}
