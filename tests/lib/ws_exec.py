"""ws_exec.py: a minimal channel.k8s.io (v4/v5) WebSocket client for tests: one exec, its output by channel and its Status."""
import base64
import hashlib
import json
import os
import socket
import struct


def _frame(op, payload):
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | op])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def exec_ws(host, port, path, stdin=None, proto="v5.channel.k8s.io", timeout=20.0):
    """GETs path with a WebSocket upgrade; sends stdin (then, v5, its close). Returns (101, {channel: bytes},
    the channel-3 Status or None), or (status, response head, body) when the server did not switch."""
    s = socket.create_connection((host, port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Protocol: %s\r\n\r\n"
               % (path, host, port, key, proto)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    head, _, buf = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    if status != 101:
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        while len(buf) < length:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        s.close()
        return status, head.decode(), buf
    want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    if b"sec-websocket-accept: " + want.lower() not in head.lower():
        raise AssertionError("bad or missing Sec-WebSocket-Accept in %r" % head)
    if stdin is not None:
        s.sendall(_frame(2, b"\x00" + stdin))
        s.sendall(_frame(2, b"\xff\x00"))
    out = {1: b"", 2: b"", 3: b""}
    while True:
        while len(buf) < 2 or len(buf) < _need(buf):
            d = s.recv(65536)
            if not d:
                s.close()
                return 101, out, None
            buf += d
        n = _need(buf)
        op, payload, buf = buf[0] & 0xf, _payload(buf), buf[n:]
        if op == 8:
            s.close()
            return 101, out, json.loads(out[3]) if out[3] else None
        if op == 2 and payload:
            out.setdefault(payload[0], b"")
            out[payload[0]] += payload[1:]


def _need(buf):
    n = buf[1] & 0x7f
    if n == 126:
        return 4 + struct.unpack(">H", buf[2:4])[0] if len(buf) >= 4 else 1 << 30
    if n == 127:
        return 10 + struct.unpack(">Q", buf[2:10])[0] if len(buf) >= 10 else 1 << 30
    return 2 + n


def _payload(buf):
    n = buf[1] & 0x7f
    off = 2 if n < 126 else 4 if n == 126 else 10
    return buf[off:_need(buf)]
