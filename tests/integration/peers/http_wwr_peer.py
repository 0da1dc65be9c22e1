"""http_wwr_peer.py PORT REQUESTS NODELAY

A python http.server, and a raw-socket keep-alive client that writes each request head in two
small writes and then reads the response: the server answers only once it has read the whole
head. Prints the client's port and its own latency per request (µs) as JSON."""
import http.server
import json
import sys
import threading

from tcp_peer import write_write_read_client

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n" + b"r" * 200
HEAD_LINES = b"GET /wwr HTTP/1.1\r\nHost: peer\r\nX-Pad: " + b"p" * 60 + b"\r\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        # One write: the response itself is never held back behind its own headers.
        self.wfile.write(RESPONSE)

    def log_message(self, *args):
        pass


def read_response(sock):
    data = b""
    while len(data) < len(RESPONSE):
        chunk = sock.recv(len(RESPONSE) - len(data))
        if not chunk:
            raise RuntimeError("the server closed the connection")
        data += chunk


def main():
    port, requests, nodelay = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    client, latencies_us = write_write_read_client(port, requests, nodelay, [HEAD_LINES, b"\r\n"], read_response)
    client_port = client.getsockname()[1]
    client.close()
    server.shutdown()
    thread.join()
    server.server_close()
    print(json.dumps({"client_port": client_port, "latencies_us": latencies_us}), flush=True)


if __name__ == "__main__":
    main()
