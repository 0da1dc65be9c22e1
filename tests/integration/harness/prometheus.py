"""A real Prometheus server (Debian's `prometheus`) in the host namespace, scraping targets
every second, with a temporary config and storage; queried through its HTTP API."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


class Prometheus:
    def __init__(self, *targets):
        self.targets = list(targets)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        binary = shutil.which("prometheus")
        if binary is None:
            raise RuntimeError("prometheus is not installed (Debian package prometheus; ./setup.sh test installs it)")
        self.dir = tempfile.TemporaryDirectory()
        config = os.path.join(self.dir.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: connscope\n    static_configs:\n"
                    f"      - targets: {json.dumps(self.targets)}\n")
        self.log = open(os.path.join(self.dir.name, "log"), "w+")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={self.dir.name}/data",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited {self.proc.returncode}: {self.output()}")
            try:
                http_get(f"{self.url}/-/ready", timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("prometheus was not ready within 30 s")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()
        self.dir.cleanup()

    def output(self):
        self.log.seek(0)
        return self.log.read()[-2000:]

    def _api(self, path, params):
        body = json.loads(http_get(f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params, doseq=True)}"))
        if body["status"] != "success":
            raise RuntimeError(f"{path} {params}: {body}")
        return body["data"]

    def query(self, expr):
        """The instant vector of expr now: a list of (labels, float value)."""
        data = self._api("query", {"query": expr})
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def series(self, match):
        return self._api("series", {"match[]": match})

    def targets_up(self):
        return [t for t in self._api("targets", {})["activeTargets"] if t["health"] == "up"]
