/* websocket.h: RFC 6455 framing and handshake keys, and Kubernetes' channel protocol (channel.k8s.io) on top. */
#ifndef CM_WEBSOCKET_H
#define CM_WEBSOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"

enum {
	CM_WS_OP_CONT = 0x0,
	CM_WS_OP_TEXT = 0x1,
	CM_WS_OP_BINARY = 0x2,
	CM_WS_OP_CLOSE = 0x8,
	CM_WS_OP_PING = 0x9,
	CM_WS_OP_PONG = 0xa,
};

/* Kubernetes' remote command channels: the first byte of each binary message. */
enum {
	CM_WS_CH_STDIN = 0,
	CM_WS_CH_STDOUT = 1,
	CM_WS_CH_STDERR = 2,
	CM_WS_CH_ERROR = 3,  /* a metav1.Status JSON, once, at the end */
	CM_WS_CH_RESIZE = 4, /* {"Width":w,"Height":h} */
	CM_WS_CH_CLOSE = 255 /* v5: the next byte names a channel the sender will not write again */
};

/* The subprotocols a kubelet and an apiserver speak, best first (kubectl 1.32 offers v5 first). */
#define CM_WS_PROTO_V5 "v5.channel.k8s.io"
#define CM_WS_PROTO_V4 "v4.channel.k8s.io"

/*
 * The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key: base64 of
 * the SHA-1 of the key and RFC 6455's GUID. Appends 28 characters to out.
 * Returns 0, -EINVAL (an empty key), or -ENOMEM.
 */
int cm_ws_accept_key(const char *client_key, struct cm_buf *out);

/*
 * Appends one whole (FIN) frame with opcode and payload data[0..len) to out;
 * a client masks what it sends (mask non-NULL, 4 bytes), a server does not
 * (mask NULL). Returns 0 or -ENOMEM.
 */
int cm_ws_frame_encode(struct cm_buf *out, int opcode, const void *data, size_t len, const uint8_t *mask);

struct cm_ws_frame {
	int fin;
	int opcode;
	int masked;
	uint8_t *payload; /* points into the decoded buffer, unmasked there */
	size_t len;
};

/*
 * Decodes the frame at buf[0..len), unmasking its payload in place. Returns
 * the frame's size in bytes (> 0) and *out, 0 when buf does not hold the whole
 * frame yet, -EPROTO on a malformed frame (reserved bits, an unknown opcode,
 * a fragmented or long control frame), or -E2BIG when the payload exceeds
 * max_payload.
 */
ssize_t cm_ws_frame_decode(uint8_t *buf, size_t len, size_t max_payload, struct cm_ws_frame *out);

/*
 * Reassembles messages from a byte stream: data messages split in
 * fragments (gorilla/websocket, kubectl's library, splits what exceeds its
 * write buffer) come out whole, control frames as they arrive.
 */
struct cm_ws_reader {
	struct cm_buf in;  /* bytes not yet a whole frame */
	struct cm_buf msg; /* fragments of the message in progress */
	int msg_op;        /* its opcode, 0 when none is in progress */
	size_t max;        /* largest message accepted */
};

typedef int (*cm_ws_message_fn)(int opcode, const uint8_t *data, size_t len, void *arg);

/* Sets r up for messages up to max bytes (0: 16 MiB). */
void cm_ws_reader_init(struct cm_ws_reader *r, size_t max);
void cm_ws_reader_close(struct cm_ws_reader *r);
/*
 * Takes data[0..len) from the stream and calls fn for each whole message or
 * control frame now complete (data borrowed for the call). Returns 0, fn's
 * nonzero value (then nothing more is read), -EPROTO (a malformed frame or
 * a continuation out of place), -E2BIG or -ENOMEM.
 */
int cm_ws_reader_feed(struct cm_ws_reader *r, const void *data, size_t len, cm_ws_message_fn fn, void *arg);

/*
 * Picks the subprotocol to answer from a client's Sec-WebSocket-Protocol list
 * (comma separated): the first of ours (v5, then v4) the client offers.
 * Returns the static name, or NULL when none matches.
 */
const char *cm_ws_pick_protocol(const char *offered);

/*
 * Appends the channel-3 Status kubectl reads at the end of a command: Success
 * for code 0, else Failure, reason NonZeroExitCode, with the code as an
 * ExitCode cause; a negative code is a failure to run it (message says why,
 * reason InternalError). Returns 0 or -ENOMEM.
 */
int cm_ws_exit_status(struct cm_buf *out, int code, const char *message);

#endif
