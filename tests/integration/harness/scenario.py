"""The traffic the schema and metrics tests record: the lifecycle scenario (slow handshakes,
SYN and data retransmits, resets, refused connects, TIME_WAIT) and then one of each HTTP and
TCP-detector finding: HTTP transactions (python http.server and curl), a Nagle × delayed-ACK
stall, an idle-close race, a connection held in CLOSE_WAIT and a listener that drops
connections it never accepts."""
import os
import subprocess
import time

PEERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "peers")
LIFECYCLE_PEER = os.path.join(PEERS, "lifecycle_peer.py")
TCP_PEER = os.path.join(PEERS, "tcp_peer.py")
HTTP_PEER = os.path.join(PEERS, "http_peer.py")
HTTP_PORT = 8070  # no port the lifecycle scenario uses
LISTEN_PORT = 8095
# Longer than a scrape interval (1 s) and than an --interval of 0.5 s, so both see it.
CLOSE_WAIT_HOLD_S = 2.5


def http_exchange(ns):
    """Three GETs on one keep-alive connection (2xx and 4xx; the first a body of 1 MB, read in
    many reads) and a HEAD on another."""
    server = subprocess.Popen(ns.exec_args("python3", HTTP_PEER, str(HTTP_PORT), "1.1"),
                              stdout=subprocess.PIPE, text=True)
    try:
        if server.stdout.readline().strip() != "ready":
            raise RuntimeError("the HTTP peer did not start")
        base = f"http://127.0.0.1:{HTTP_PORT}"
        ns.run("curl", "-s", f"{base}/size/1000000", "-o", "/dev/null", f"{base}/status/404", "-o", "/dev/null",
               f"{base}/delay/20", "-o", "/dev/null", capture_output=True, timeout=30)
        # Prometheus takes a new series' first sample as its start: a second sample that
        # differs (after a scrape, every second) is what gives the histograms a rate.
        time.sleep(1.5)
        ns.run("curl", "-s", "-I", f"{base}/size/10", capture_output=True, timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


def listen_drops(ns, port=LISTEN_PORT, clients=4):
    """A listener with a backlog of 1 that never accepts, held open across interval reports and
    scrapes, then closed before its clients: its queued connections never wait in CLOSE_WAIT."""
    peer = subprocess.Popen(ns.exec_args("python3", TCP_PEER, "backlog_close", str(port), str(clients)),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        peer.stdout.readline()  # the drops have happened
        time.sleep(CLOSE_WAIT_HOLD_S)
        peer.stdin.write("\n")
        peer.stdin.flush()
    finally:
        peer.communicate(timeout=30)


def run_scenario(ns, listen=False):
    """Runs the whole scenario in ns, whose nftables must hold test_lifecycle.DROPS. With listen,
    also a listener that never accepts (listen records need an --interval to be seen in time)."""
    ns.run("python3", LIFECYCLE_PEER, capture_output=True, text=True, timeout=120)
    http_exchange(ns)
    ns.run("python3", TCP_PEER, "wwr", "8090", "3", "0", capture_output=True, timeout=60)
    ns.run("python3", TCP_PEER, "race", "8094", capture_output=True, timeout=60)
    ns.run("python3", TCP_PEER, "close_wait", "8093", str(CLOSE_WAIT_HOLD_S), capture_output=True, timeout=60)
    if listen:
        listen_drops(ns)
