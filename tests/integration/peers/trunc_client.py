"""Two pipelined requests; the client reads the first response and discards the second
unread (recv with MSG_TRUNC: TCP drops the data without copying it).

    trunc_client.py PORT PATH
Prints {"first_response_bytes": N, "discarded_bytes": M}.
"""
import json
import re
import socket
import sys
import time


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    sock = socket.create_connection(("127.0.0.1", port))
    request = b"GET %s HTTP/1.1\r\nHost: trunc\r\n\r\n" % path.encode()
    sock.sendall(request + request)
    time.sleep(0.2)  # both responses are queued
    queued = sock.recv(65536, socket.MSG_PEEK)
    head_end = queued.index(b"\r\n\r\n") + 4
    first = head_end + int(re.search(rb"Content-Length: (\d+)", queued[:head_end]).group(1))
    response = b""
    while len(response) < first:
        response += sock.recv(first - len(response))
    discarded = sock.recv(65536, socket.MSG_TRUNC)
    sock.close()
    print(json.dumps({"first_response_bytes": len(response), "discarded_bytes": len(discarded)}))


if __name__ == "__main__":
    main()
