"""Sends several requests in one write on one connection, then reads the responses.

    pipeline_client.py PORT PATH...
Prints {"statuses": [...]} once every response has arrived (Content-Length framing).
"""
import json
import socket
import sys


def read_response(stream):
    status_line = stream.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = stream.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    stream.read(length)
    return status


def main():
    port, paths = int(sys.argv[1]), sys.argv[2:]
    sock = socket.create_connection(("127.0.0.1", port))
    requests = b"".join(b"GET %s HTTP/1.1\r\nHost: pipeline\r\n\r\n" % p.encode() for p in paths)
    sock.sendall(requests)
    stream = sock.makefile("rb")
    statuses = [read_response(stream) for _ in paths]
    sock.close()
    print(json.dumps({"statuses": statuses}))


if __name__ == "__main__":
    main()
