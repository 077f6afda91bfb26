/* websocket.c: RFC 6455 frames and the handshake's accept key (SHA-1 from GnuTLS, which the HTTP server links already). */
#include "common/websocket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <gnutls/crypto.h>

#include "common/base64.h"

/* RFC 6455 section 1.3: the GUID a server appends to the client's key. */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int cm_ws_accept_key(const char *client_key, struct cm_buf *out)
{
	struct cm_buf in = CM_BUF_INIT;
	unsigned char digest[20];
	int rc;

	if (!client_key || !*client_key)
		return -EINVAL;
	if ((rc = cm_buf_printf(&in, "%s" WS_GUID, client_key)) < 0)
		return rc;
	rc = gnutls_hash_fast(GNUTLS_DIG_SHA1, in.data, in.len, digest) < 0 ? -EINVAL : 0;
	cm_buf_close(&in);
	if (rc == 0)
		rc = cm_base64_encode(digest, sizeof(digest), out);
	return rc;
}

int cm_ws_frame_encode(struct cm_buf *out, int opcode, const void *data, size_t len, const uint8_t *mask)
{
	uint8_t head[14];
	size_t n = 0, start = out->len;
	int rc;

	head[n++] = (uint8_t)(0x80 | (opcode & 0x0f));
	if (len < 126) {
		head[n++] = (uint8_t)len;
	} else if (len <= 0xffff) {
		head[n++] = 126;
		head[n++] = (uint8_t)(len >> 8);
		head[n++] = (uint8_t)len;
	} else {
		head[n++] = 127;
		for (int i = 7; i >= 0; i--)
			head[n++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	if (mask) {
		head[1] |= 0x80;
		memcpy(head + n, mask, 4);
		n += 4;
	}
	if ((rc = cm_buf_reserve(out, n + len)) < 0 || (rc = cm_buf_append(out, head, n)) < 0 ||
	    (rc = cm_buf_append(out, data, len)) < 0) {
		out->len = start;
		return rc;
	}
	if (mask)
		for (size_t i = 0; i < len; i++)
			((uint8_t *)out->data)[start + n + i] ^= mask[i & 3];
	return 0;
}

static int known_opcode(int op)
{
	return op == CM_WS_OP_CONT || op == CM_WS_OP_TEXT || op == CM_WS_OP_BINARY || op == CM_WS_OP_CLOSE ||
	       op == CM_WS_OP_PING || op == CM_WS_OP_PONG;
}

ssize_t cm_ws_frame_decode(uint8_t *buf, size_t len, size_t max_payload, struct cm_ws_frame *out)
{
	size_t need = 2;
	uint64_t plen;
	int masked;

	if (len < need)
		return 0;
	if (buf[0] & 0x70 || !known_opcode(buf[0] & 0x0f))
		return -EPROTO;
	masked = !!(buf[1] & 0x80);
	plen = buf[1] & 0x7f;
	if ((buf[0] & 0x08) && (!(buf[0] & 0x80) || plen > 125))
		return -EPROTO; /* control frames are whole and short (RFC 6455 5.5) */
	if (plen == 126) {
		need += 2;
		if (len < need)
			return 0;
		plen = (uint64_t)buf[2] << 8 | buf[3];
	} else if (plen == 127) {
		need += 8;
		if (len < need)
			return 0;
		plen = 0;
		for (int i = 0; i < 8; i++)
			plen = plen << 8 | buf[2 + i];
		if (plen >> 63)
			return -EPROTO;
	}
	if (plen > max_payload)
		return -E2BIG;
	const uint8_t *mask = buf + need;
	if (masked)
		need += 4;
	if (len < need || len - need < plen)
		return 0;
	if (masked)
		for (size_t i = 0; i < plen; i++)
			buf[need + i] ^= mask[i & 3];
	out->fin = !!(buf[0] & 0x80);
	out->opcode = buf[0] & 0x0f;
	out->masked = masked;
	out->payload = buf + need;
	out->len = (size_t)plen;
	return (ssize_t)(need + plen);
}

void cm_ws_reader_init(struct cm_ws_reader *r, size_t max)
{
	cm_buf_init(&r->in);
	cm_buf_init(&r->msg);
	r->msg_op = 0;
	r->max = max ? max : 16u << 20;
}

void cm_ws_reader_close(struct cm_ws_reader *r)
{
	cm_buf_close(&r->in);
	cm_buf_close(&r->msg);
}

/* One decoded frame: a control frame or a whole message goes to fn, a fragment is kept. */
static int take_frame(struct cm_ws_reader *r, const struct cm_ws_frame *f, cm_ws_message_fn fn, void *arg)
{
	int rc;

	if (f->opcode & 0x08)
		return fn(f->opcode, f->payload, f->len, arg);
	if ((f->opcode == CM_WS_OP_CONT) != (r->msg_op != 0))
		return -EPROTO; /* a continuation with nothing begun, or a new message inside one */
	if (f->opcode != CM_WS_OP_CONT && f->fin)
		return fn(f->opcode, f->payload, f->len, arg);
	if (r->msg.len + f->len > r->max)
		return -E2BIG;
	if ((rc = cm_buf_append(&r->msg, f->payload, f->len)) < 0)
		return rc;
	if (f->opcode != CM_WS_OP_CONT)
		r->msg_op = f->opcode;
	if (!f->fin)
		return 0;
	rc = fn(r->msg_op, (const uint8_t *)r->msg.data, r->msg.len, arg);
	cm_buf_reset(&r->msg);
	r->msg_op = 0;
	return rc;
}

int cm_ws_reader_feed(struct cm_ws_reader *r, const void *data, size_t len, cm_ws_message_fn fn, void *arg)
{
	size_t off = 0;
	int rc = 0;

	if (len && (rc = cm_buf_append(&r->in, data, len)) < 0)
		return rc;
	while (rc == 0 && off < r->in.len) {
		struct cm_ws_frame f;
		ssize_t n = cm_ws_frame_decode((uint8_t *)r->in.data + off, r->in.len - off, r->max, &f);

		if (n == 0)
			break;
		if (n < 0) {
			rc = (int)n;
			break;
		}
		off += (size_t)n;
		rc = take_frame(r, &f, fn, arg);
	}
	cm_buf_consume(&r->in, off);
	return rc;
}

/* Whether the comma-separated list offered names proto (spaces around names allowed). */
static int offers(const char *offered, const char *proto)
{
	size_t n = strlen(proto);

	for (const char *p = offered; p && *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *end = p + strcspn(p, ", \t");
		if ((size_t)(end - p) == n && !strncmp(p, proto, n))
			return 1;
		p = end;
	}
	return 0;
}

const char *cm_ws_pick_protocol(const char *offered)
{
	if (offers(offered, CM_WS_PROTO_V5))
		return CM_WS_PROTO_V5;
	if (offers(offered, CM_WS_PROTO_V4))
		return CM_WS_PROTO_V4;
	return NULL;
}

int cm_ws_exit_status(struct cm_buf *out, int code, const char *message)
{
	cJSON *st = cJSON_CreateObject(), *causes, *cause;
	struct cm_buf m = CM_BUF_INIT, n = CM_BUF_INIT;
	char *text = NULL;
	int rc = -ENOMEM;

	if (!st || !cJSON_AddObjectToObject(st, "metadata"))
		goto out;
	if (code == 0) {
		if (!cJSON_AddStringToObject(st, "status", "Success"))
			goto out;
	} else if (code < 0) {
		if (!cJSON_AddStringToObject(st, "status", "Failure") ||
		    !cJSON_AddStringToObject(st, "message", message ? message : "the command could not be run") ||
		    !cJSON_AddStringToObject(st, "reason", "InternalError") || !cJSON_AddNumberToObject(st, "code", 500))
			goto out;
	} else {
		/* kubectl reads the code from the ExitCode cause and exits with it */
		if (cm_buf_printf(&m, "command terminated with non-zero exit code: exit status %d", code) < 0 ||
		    cm_buf_printf(&n, "%d", code) < 0 || !cJSON_AddStringToObject(st, "status", "Failure") ||
		    !cJSON_AddStringToObject(st, "message", m.data) ||
		    !cJSON_AddStringToObject(st, "reason", "NonZeroExitCode") ||
		    !(causes = cJSON_AddArrayToObject(cJSON_AddObjectToObject(st, "details"), "causes")) ||
		    !(cause = cJSON_CreateObject()))
			goto out;
		cJSON_AddItemToArray(causes, cause);
		if (!cJSON_AddStringToObject(cause, "reason", "ExitCode") || !cJSON_AddStringToObject(cause, "message", n.data))
			goto out;
	}
	if ((text = cJSON_PrintUnformatted(st)))
		rc = cm_buf_puts(out, text);
out:
	free(text);
	cm_buf_close(&m);
	cm_buf_close(&n);
	cJSON_Delete(st);
	return rc;
}
