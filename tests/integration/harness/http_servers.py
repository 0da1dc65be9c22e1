"""nginx (files, a scripted response, a proxy) and a python http.server behind it, inside a
test's network namespace, bound to 127.0.0.1 there."""
import os
import shutil
import subprocess
import tempfile
import time

PEERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "peers")
NGINX_PORT = 8080
PYTHON_PORT = 8081
# Where the servers and the client that times them run, when a test compares timings. On one
# CPU, a server woken by a request (after a long sleep, say a delayed-ACK stall) preempts the
# client right after its send, before the client's own mark (curl's time_pretransfer): the
# client's time to first byte then loses the server's whole answer time.
SERVER_CPU, CLIENT_CPU = 1, 0


def on_cpu(cpu, *cmd):
    """cmd, run on that CPU alone (as it is where the machine has one CPU)."""
    return ["taskset", "-c", str(cpu), *cmd] if cpu is not None and os.cpu_count() > 1 else list(cmd)

NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {d}/www;
        location = /dyn {{ default_type text/plain; return 200 "dynamic $request_uri\\n"; }}
        location = /missing-dyn {{ return 404; }}
        location /proxy/ {{ proxy_pass http://127.0.0.1:{upstream}/; proxy_http_version 1.1; }}
    }}
}}
"""


def wait_for(ns, port):
    for _ in range(100):
        if subprocess.run(ns.exec_args("curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/size/1"),
                          check=False).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"no server on port {port}")


class Servers:
    """nginx (files, a scripted response, a proxy) and a python http.server behind it."""

    def __init__(self, ns, python_version="1.1", cpu=None):
        """cpu: the CPU both servers run on; None: wherever the scheduler puts them."""
        self.ns = ns
        self.dir = tempfile.mkdtemp(prefix="cs-nginx-")
        os.makedirs(f"{self.dir}/www")
        with open(f"{self.dir}/www/index.html", "w") as f:
            f.write("<html>hello</html>\n")
        with open(f"{self.dir}/www/big.bin", "wb") as f:
            f.write(os.urandom(200_000))
        with open(f"{self.dir}/nginx.conf", "w") as f:
            f.write(NGINX_CONF.format(d=self.dir, port=NGINX_PORT, upstream=PYTHON_PORT))
        self.python = subprocess.Popen(ns.exec_args(*on_cpu(cpu, "python3", os.path.join(PEERS, "http_peer.py"),
                                                                 str(PYTHON_PORT), python_version)),
                                       stdout=subprocess.PIPE, text=True)
        assert self.python.stdout.readline().strip() == "ready"
        self.nginx = subprocess.Popen(ns.exec_args(*on_cpu(cpu, "nginx", "-c", f"{self.dir}/nginx.conf", "-p", self.dir)),
                                      stderr=subprocess.PIPE)
        wait_for(ns, PYTHON_PORT)
        wait_for(ns, NGINX_PORT)

    def stop(self):
        for proc in (self.nginx, self.python):
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


