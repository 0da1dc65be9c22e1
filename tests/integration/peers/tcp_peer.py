"""TCP pathologies with real sockets, run inside a test's network namespace. Prints one JSON
object with what the peers themselves saw.

  wwr PORT REQUESTS NODELAY   a client that writes each request in two small writes and then
                              reads, against a server that answers only after both parts.
  bulk PORT BYTES             one connection sending BYTES to a server that reads them all.
  message PORT BYTES          one request of BYTES, answered with one byte once it is all in.
  race PORT                   a keep-alive client that sends its second request after the server
                              closed the idle connection, and gets "connection reset by peer".
  halfclose PORT BYTES        a client that sends its request and its FIN, then reads a response
                              of BYTES that the server sends after that FIN.
  idle PORT SECONDS CC        two requests on one connection, SECONDS apart, each answered with a
                              large response, with congestion control CC on both sockets;
                              the server reads its congestion window (TCP_INFO) just before
                              the second.
  backlog PORT CLIENTS        a listener with a backlog of 1 that never accepts, and CLIENTS
                              connecting to it; after 1.5 s the clients give up. Prints a line
                              then, and keeps the listener open until a line on stdin.
  backlog_close PORT CLIENTS  as backlog, but the clients stay until the line on stdin, and the
                              listener closes first: its queued connections are reset, not
                              left in CLOSE_WAIT when their clients close.
  slow_accept PORT SECONDS    a server that calls accept() SECONDS after the client connected.
  close_wait PORT SECONDS     a server that never closes after the client's FIN; the peer
                              stays alive SECONDS so the connection is still in CLOSE_WAIT.
"""
import errno
import json
import select
import struct
import socket
import sys
import threading
import time

from lifecycle_peer import listener, recv_exactly

PART = 100
RESPONSE = 200


def write_write_read_client(port, requests, nodelay, parts, read_response):
    """A keep-alive client that sends each request as two writes, then reads its response.
    Returns the connected socket and its own latency per request (µs)."""
    client = socket.create_connection(("127.0.0.1", port))
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if nodelay else 0)
    latencies_us = []
    for _ in range(requests):
        start = time.monotonic()
        for part in parts:
            client.send(part)
        read_response(client)
        latencies_us.append(int((time.monotonic() - start) * 1e6))
    return client, latencies_us


def write_write_read(port, requests, nodelay):
    server = listener(port)

    def serve():
        conn, _ = server.accept()
        while recv_exactly(conn, 2 * PART) == 2 * PART:
            conn.sendall(b"r" * RESPONSE)
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client, latencies_us = write_write_read_client(port, requests, nodelay, [b"a" * PART, b"b" * PART],
                                                   lambda sock: recv_exactly(sock, RESPONSE))
    client_port = client.getsockname()[1]
    client.close()
    thread.join()
    server.close()
    return {"client_port": client_port, "latencies_us": latencies_us}


def bulk(port, nbytes):
    server = listener(port)
    received = []

    def serve():
        conn, _ = server.accept()
        total = 0
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            total += len(chunk)
        received.append(total)
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(("127.0.0.1", port))
    client_port = client.getsockname()[1]
    client.sendall(b"x" * nbytes)
    client.shutdown(socket.SHUT_WR)
    client.recv(1)
    client.close()
    thread.join()
    server.close()
    return {"client_port": client_port, "received": received[0]}


def message(port, nbytes):
    server = listener(port)

    def serve():
        conn, _ = server.accept()
        recv_exactly(conn, nbytes)
        conn.sendall(b"k")
        recv_exactly(conn, 1)
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(("127.0.0.1", port))
    client_port = client.getsockname()[1]
    start = time.monotonic()
    client.sendall(b"m" * nbytes)
    recv_exactly(client, 1)
    elapsed_us = int((time.monotonic() - start) * 1e6)
    client.close()
    thread.join()
    server.close()
    return {"client_port": client_port, "elapsed_us": elapsed_us}


def idle_close_race(port):
    server = listener(port)
    idle_timeout_s = 0.2

    def serve():
        conn, _ = server.accept()
        recv_exactly(conn, PART)
        conn.sendall(b"r" * RESPONSE)
        # Idle: close, as a keep-alive server does after its idle timeout.
        select.select([conn], [], [], idle_timeout_s)
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(("127.0.0.1", port))
    client_port = client.getsockname()[1]
    client.send(b"a" * PART)
    recv_exactly(client, RESPONSE)
    thread.join()
    time.sleep(0.1)
    client.send(b"b" * PART)
    # The request gets no answer: the server's FIN (end of file), or a reset.
    try:
        answer = "eof" if client.recv(RESPONSE) == b"" else "data"
    except OSError as e:
        answer = errno.errorcode[e.errno]
    client.close()
    server.close()
    return {"client_port": client_port, "answer": answer}


def half_close(port, nbytes):
    server = listener(port)

    def serve():
        conn, _ = server.accept()
        while conn.recv(65536):
            pass
        conn.sendall(b"h" * nbytes)
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(("127.0.0.1", port))
    client_port = client.getsockname()[1]
    client.sendall(b"q" * PART)
    client.shutdown(socket.SHUT_WR)
    received = 0
    while chunk := client.recv(65536):
        received += len(chunk)
    client.close()
    thread.join()
    server.close()
    return {"client_port": client_port, "received_after_fin": received}


LARGE = 1_000_000


def tcp_info_window(sock):
    """(snd_cwnd, snd_ssthresh) from struct tcp_info."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    ssthresh, cwnd = struct.unpack_from("II", info, 76)
    return cwnd, ssthresh


def idle_between_requests(port, seconds, congestion_control):
    """Two HTTP/1.1 requests on one connection, an idle period between them."""
    server = listener(port)
    windows = {}
    requests = [b"GET /%d HTTP/1.1\r\nHost: idle\r\n\r\n" % n for n in (1, 2)]
    response_head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % LARGE

    def serve():
        conn, _ = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, congestion_control.encode())
        recv_exactly(conn, len(requests[0]))
        conn.sendall(response_head + b"1" * LARGE)
        recv_exactly(conn, len(requests[1]))
        windows["before_second"] = tcp_info_window(conn)
        conn.sendall(response_head + b"2" * LARGE)
        recv_exactly(conn, 1)
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(("127.0.0.1", port))
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, congestion_control.encode())
    client_port = client.getsockname()[1]
    client.send(requests[0])
    recv_exactly(client, len(response_head) + LARGE)
    time.sleep(seconds)
    client.send(requests[1])
    recv_exactly(client, len(response_head) + LARGE)
    client.close()
    thread.join()
    server.close()
    cwnd, ssthresh = windows["before_second"]
    return {"client_port": client_port, "server_cwnd_before_second": cwnd, "server_ssthresh": ssthresh}


def full_accept_queue(port, clients, listener_first=False):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)
    connecting = []
    for _ in range(clients):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        connecting.append(c)
    # Long enough for the first SYN retransmits (1 s) to meet the full queue again.
    time.sleep(1.5)
    if listener_first:
        print(json.dumps({"clients": clients}), flush=True)
        sys.stdin.readline()
        # Closing the listener resets its queued connections: none is left in CLOSE_WAIT.
        server.close()
        for c in connecting:
            c.close()
        return {"clients": clients}
    for c in connecting:
        c.close()
    time.sleep(0.3)
    print(json.dumps({"clients": clients}), flush=True)
    sys.stdin.readline()
    server.close()
    return {"clients": clients}


def close_wait(port, seconds):
    server = listener(port)
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    client_port = client.getsockname()[1]
    client.close()
    print(json.dumps({"client_port": client_port, "closed_at": time.monotonic()}), flush=True)
    time.sleep(seconds)
    conn.close()
    return {"client_port": client_port}


def slow_accept(port, seconds):
    """The server accepts a connection that has waited `seconds` in its accept queue."""
    server = listener(port)
    client = socket.create_connection(("127.0.0.1", port))
    connected = time.monotonic()
    time.sleep(seconds)
    conn, _ = server.accept()
    waited_us = (time.monotonic() - connected) * 1e6
    client.close()
    conn.close()
    server.close()
    return {"waited_us": waited_us}


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "wwr":
        report = write_write_read(port, int(sys.argv[3]), sys.argv[4] == "1")
    elif mode == "bulk":
        report = bulk(port, int(sys.argv[3]))
    elif mode == "halfclose":
        report = half_close(port, int(sys.argv[3]))
    elif mode == "idle":
        report = idle_between_requests(port, float(sys.argv[3]), sys.argv[4])
    elif mode == "backlog":
        report = full_accept_queue(port, int(sys.argv[3]))
    elif mode == "backlog_close":
        report = full_accept_queue(port, int(sys.argv[3]), listener_first=True)
    elif mode == "race":
        report = idle_close_race(port)
    elif mode == "slow_accept":
        report = slow_accept(port, float(sys.argv[3]))
    elif mode == "message":
        report = message(port, int(sys.argv[3]))
    else:
        report = close_wait(port, float(sys.argv[3]))
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
