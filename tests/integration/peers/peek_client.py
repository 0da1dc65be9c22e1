"""One request whose response the client peeks at (MSG_PEEK) before reading it.

    peek_client.py PORT PATH
Prints {"response_bytes": N}.
"""
import json
import socket
import sys
import time


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: peek\r\nConnection: close\r\n\r\n" % path.encode())
    time.sleep(0.2)  # the whole response is queued before the peek
    sock.recv(65536, socket.MSG_PEEK)
    response = b""
    while chunk := sock.recv(65536):
        response += chunk
    sock.close()
    print(json.dumps({"response_bytes": len(response)}))


if __name__ == "__main__":
    main()
