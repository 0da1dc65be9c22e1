"""A server that takes curl's HTTP/1.1 → h2c upgrade: 101 Switching Protocols, its HTTP/2
connection preface (an empty SETTINGS frame), the client's preface, then it closes.

    h2c_peer.py PORT
"""
import socket
import sys

EMPTY_SETTINGS_FRAME = bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def main():
    server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
    print("ready", flush=True)
    conn, _ = server.accept()
    head = b""
    while b"\r\n\r\n" not in head:
        head += conn.recv(4096)
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
    conn.sendall(EMPTY_SETTINGS_FRAME)
    conn.recv(65536)
    conn.close()
    server.close()


if __name__ == "__main__":
    main()
