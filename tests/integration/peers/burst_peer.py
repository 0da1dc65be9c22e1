"""Opens and closes COUNT connections to a local listener as fast as it can; prints COUNT."""
import socket
import sys

count = int(sys.argv[1])
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8090
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(4096)
for _ in range(count):
    c = socket.create_connection(("127.0.0.1", port))
    s, _ = srv.accept()
    c.close()
    s.close()
print(count)
