"""Source-port exhaustion traffic for test_ports, run inside the test's network namespace.

`port_peer.py MODE PORT[,PORT...] [MAX [PAUSE [HOST]]]`, one server thread per port on HOST
(default 127.0.0.1; ::1 for IPv6), then:
  client_first  connect, close first (the client keeps TIME_WAIT), until connect() fails
  bound         the same, but bind(("127.0.0.1", 0)) before each connect(), round robin over
                the ports, until bind() or connect() fails
  server_first  the server closes first (it keeps TIME_WAIT); MAX connections
PAUSE: seconds to wait after the first connection (default 0).
After the first failure, two more attempts (each fails too: the ports are all in TIME_WAIT).
Prints JSON: connections made, failures as (syscall, errno name, unix ns), the ports used."""
import errno
import json
import socket
import sys
import threading
import time

mode = sys.argv[1]
ports = [int(p) for p in sys.argv[2].split(",")]
max_connections = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
pause_after_first = float(sys.argv[4]) if len(sys.argv) > 4 else 0
host = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1"
family = socket.AF_INET6 if ":" in host else socket.AF_INET
extra_attempts_after_failure = 2


def serve(listener):
    while True:
        conn, _ = listener.accept()
        if mode == "server_first":
            conn.close()
            continue
        while conn.recv(4096):
            pass
        conn.close()


for port in ports:
    listener = socket.socket(family)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(512)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()

made = []
failures = []
attempt = 0
while len(made) < max_connections and len(failures) <= extra_attempts_after_failure:
    port = ports[attempt % len(ports)]
    attempt += 1
    s = socket.socket(family)
    syscall = "connect"
    try:
        if mode == "bound":
            syscall = "bind"
            s.bind((host, 0))
            syscall = "connect"
        s.connect((host, port))
    except OSError as e:
        failures.append({"syscall": syscall, "errno": errno.errorcode[e.errno], "ts": time.time_ns(),
                         "port": port})
        s.close()
        continue
    made.append({"lport": s.getsockname()[1], "rport": port})
    if len(made) == 1:
        time.sleep(pause_after_first)
    if mode == "server_first":
        s.recv(1)  # EOF: the server closed first
    s.close()
    # Back-to-back closes let a port come round again before its TIME_WAIT socket is in the
    # table: give each close its moment, so the pool holds exactly the range.
    time.sleep(0.002)

time.sleep(0.3)  # the last FINs and ACKs settle
print(json.dumps({"made": made, "failures": failures}), flush=True)
