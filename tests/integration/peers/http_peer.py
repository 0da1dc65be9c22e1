"""An HTTP server for the HTTP tests: python's http.server, HTTP/1.0 or HTTP/1.1.

    http_peer.py PORT VERSION      (VERSION: 1.0 or 1.1)

GET/HEAD /size/N    N bytes with Content-Length
GET /chunked/N      N bytes in 1000-byte chunks (HTTP/1.1 only)
GET /chunked-iov/N  the same, each chunk one sendmsg() of three buffers: size line, data, CRLF
GET /status/CODE    an empty response with that status
GET /bigheads/N     100 bytes after a Set-Cookie line of N bytes (Content-Length comes after it)
GET /delay/MS       a short response after MS milliseconds
GET /cut/N/M        Content-Length N, then M bytes in 16 KB writes, then the connection closes
POST /anything      reads the body (answering Expect: 100-continue), then a 200 echoing its size
"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = str(len(self.rfile.read(length))).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self, head=False):
        parts = self.path.split("?")[0].strip("/").split("/")
        kind, value = parts[0], int(parts[1]) if len(parts) > 1 else 0
        if kind == "cut":
            self.send_response(200)
            self.send_header("Content-Length", str(value))
            self.end_headers()
            for _ in range(int(parts[2]) // 16384):
                self.wfile.write(b"c" * 16384)
            self.close_connection = True
            return
        if kind == "status":
            self.send_response(value)
            if value not in (204, 304):
                self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if kind == "bigheads":
            self.send_response(200)
            self.send_header("Set-Cookie", "s=" + "s" * value)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"b" * 100)
            return
        if kind == "delay":
            time.sleep(value / 1000)
            value = 10
        body = b"x" * value
        self.send_response(200)
        if kind.startswith("chunked"):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 1000):
                piece = bytes(range(97, 123)) * 40
                piece = piece[start % 26:][:min(1000, len(body) - start)]
                if kind == "chunked-iov":  # the chunk's last bytes span two buffers, as nginx writes them
                    self.connection.sendmsg([b"%x\r\n" % len(piece), piece, b"\r\n"])
                else:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


def main():
    port, version = int(sys.argv[1]), sys.argv[2]
    Handler.protocol_version = "HTTP/" + version
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
