"""Two processes' worth of traffic for the filter tests.

`filter_peer.py server PORT COUNT`: accepts COUNT connections on PORT, reading each to EOF.
`filter_peer.py client PORT COUNT`: connects COUNT times to PORT, sends 10 bytes, closes.
Each waits for a line on stdin before starting, so the test can learn its pid first, and
prints its pid and the local ports it used as JSON at the end."""
import json
import os
import socket
import sys

role, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if role == "server":
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(64)
print(os.getpid(), flush=True)
sys.stdin.readline()
ports = []
for _ in range(count):
    if role == "server":
        s, peer = srv.accept()
        while s.recv(4096):
            pass
        ports.append(peer[1])
        s.close()
    else:
        c = socket.create_connection(("127.0.0.1", port))
        ports.append(c.getsockname()[1])
        c.sendall(b"x" * 10)
        c.close()
print(json.dumps({"pid": os.getpid(), "ports": ports}), flush=True)
