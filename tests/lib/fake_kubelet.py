"""fake_kubelet.py: a kubelet's /containerLogs endpoint in a thread, for the apiserver's pods/log proxy tests."""
import http.server
import threading
import urllib.parse


class FakeKubelet:
    """Serves /containerLogs/{ns}/{pod}/{container}: `lines`, then (follow=true) `follow_lines` chunked."""

    def __init__(self, lines, follow_lines=()):
        outer = self
        self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                qs = urllib.parse.parse_qs(u.query)
                outer.requests.append((u.path, qs))
                follow = qs.get("follow") == ["true"]
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                if follow:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for line in list(lines) + list(follow_lines):
                        data = (line + "\n").encode()
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    body = "".join(l + "\n" for l in lines).encode()
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
