"""Connection lifecycles with real sockets, run inside a test's network namespace.

Prints one JSON object: what each connection did as its own client and server saw it
(ports, bytes, who closed, how long connect() took), and the errors connect() returned.
Ports: 8080 plain, 8082 first SYN dropped, 8083 first handshake ACK dropped (the server
retransmits its SYN-ACK), 8084 first large data packet dropped, 9 nothing listening.
"""
import errno
import json
import os
import select
import socket
import struct
import threading
import time

report = {"pid": os.getpid(), "connections": [], "connect_errors": []}


def listener(port, family=socket.AF_INET, host="127.0.0.1"):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(16)
    return s


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return len(data)


def recv_to_eof(sock):
    total = 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return total
        total += len(chunk)


def connection(kind, client, server_port, sent, received, connect_s, family="ipv4"):
    report["connections"].append({
        "kind": kind,
        "family": family,
        "client_port": client.getsockname()[1],
        "server_port": server_port,
        "client_sent": sent,
        "client_received": received,
        "connect_s": connect_s,
    })


def timed_connect(family, address):
    c = socket.socket(family, socket.SOCK_STREAM)
    started = time.monotonic()
    c.connect(address)
    return c, time.monotonic() - started


def client_closes_first(srv, port, request, response, family=socket.AF_INET, host="127.0.0.1"):
    def serve():
        s, _ = srv.accept()
        recv_exactly(s, request)
        s.sendall(b"r" * response)
        recv_to_eof(s)
        s.close()
    t = threading.Thread(target=serve)
    t.start()
    c, connect_s = timed_connect(family, (host, port))
    c.sendall(b"q" * request)
    got = recv_exactly(c, response)
    connection("client_closes_first", c, port, request, got, connect_s,
               "ipv6" if family == socket.AF_INET6 else "ipv4")
    c.close()
    t.join()


def server_closes_first(srv, port, response):
    def serve():
        s, _ = srv.accept()
        s.sendall(b"r" * response)
        s.close()
    t = threading.Thread(target=serve)
    t.start()
    c, connect_s = timed_connect(socket.AF_INET, ("127.0.0.1", port))
    got = recv_to_eof(c)
    t.join()
    connection("server_closes_first", c, port, 0, got, connect_s)
    c.close()


def client_aborts(srv, port):
    """SO_LINGER 0: close() sends a reset instead of a FIN."""
    accepted = []
    t = threading.Thread(target=lambda: accepted.append(srv.accept()[0]))
    t.start()
    c, connect_s = timed_connect(socket.AF_INET, ("127.0.0.1", port))
    t.join()
    c.sendall(b"a" * 100)
    recv_exactly(accepted[0], 100)
    connection("client_aborts", c, port, 100, 0, connect_s)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    time.sleep(0.05)
    accepted[0].close()


def server_closes_unread(srv, port):
    """Closing with unread data in the receive queue sends a reset."""
    accepted = []
    t = threading.Thread(target=lambda: accepted.append(srv.accept()[0]))
    t.start()
    c, connect_s = timed_connect(socket.AF_INET, ("127.0.0.1", port))
    t.join()
    c.sendall(b"u" * 10)
    time.sleep(0.05)
    accepted[0].close()
    time.sleep(0.05)
    connection("server_closes_unread", c, port, 10, 0, connect_s)
    c.close()


def refused_blocking(port):
    c = socket.socket()
    try:
        c.connect(("127.0.0.1", port))
    except OSError as e:
        report["connect_errors"].append({"errno": errno.errorcode[e.errno], "async": False, "port": port})
    c.close()


def refused_nonblocking(port):
    c = socket.socket()
    c.setblocking(False)
    err = c.connect_ex(("127.0.0.1", port))
    assert err == errno.EINPROGRESS, err
    select.select([], [c], [], 5)
    err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    report["connect_errors"].append({"errno": errno.errorcode[err], "async": True, "port": port})
    c.close()


def main():
    plain = listener(8080)
    for request, response in ((1000, 500), (5000, 70000), (300000, 10)):
        client_closes_first(plain, 8080, request, response)
    for response in (2000, 0):
        server_closes_first(plain, 8080, response)
    client_aborts(plain, 8080)
    server_closes_unread(plain, 8080)
    refused_blocking(9)
    refused_blocking(9)
    refused_nonblocking(9)

    v6 = listener(8086, socket.AF_INET6, "::")
    client_closes_first(v6, 8086, 700, 300, socket.AF_INET6, "::1")
    client_closes_first(v6, 8086, 800, 200, socket.AF_INET6, "::ffff:127.0.0.1")

    client_closes_first(listener(8082), 8082, 100, 100)   # its first SYN is dropped
    synack = listener(8083)                                # its handshake ACK is dropped

    def serve_synack():
        s, _ = synack.accept()
        recv_exactly(s, 100)
        s.sendall(b"r" * 100)
        recv_to_eof(s)
        s.close()
    t = threading.Thread(target=serve_synack)
    t.start()
    c, connect_s = timed_connect(socket.AF_INET, ("127.0.0.1", 8083))
    time.sleep(2.5)  # the server retransmits its SYN-ACK at 1 s; the client answers it
    c.sendall(b"q" * 100)
    got = recv_exactly(c, 100)
    connection("synack_retransmitted", c, 8083, 100, got, connect_s)
    c.close()
    t.join()

    client_closes_first(listener(8084), 8084, 400000, 10)  # a large data packet is dropped
    print(json.dumps(report))


if __name__ == "__main__":
    main()
