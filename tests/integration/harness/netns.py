"""A network namespace that a test creates for itself, with the kernel's own counters."""
import os
import subprocess


class NetNs:
    def __init__(self, name):
        self.name = f"cs-{name}-{os.getpid()}"
        self.path = f"/run/netns/{self.name}"

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.ip("link", "set", "lo", "up")
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "del", self.name], check=False)

    def ip(self, *args):
        subprocess.run(["ip", "-n", self.name, *args], check=True)

    def exec_args(self, *cmd):
        return ["ip", "netns", "exec", self.name, *cmd]

    def run(self, *cmd, **kwargs):
        return subprocess.run(self.exec_args(*cmd), check=True, **kwargs)

    def sysctl(self, key, value):
        self.run("sysctl", "-q", "-w", f"{key}={value}")

    def nft(self, ruleset):
        self.run("nft", "-f", "-", input=ruleset.encode())

    def nstat(self):
        """Absolute values of the namespace's SNMP counters, as `nstat -az` reads them."""
        out = subprocess.run(self.exec_args("nstat", "-asz", "--json"), check=True,
                             capture_output=True, text=True).stdout
        import json
        return json.loads(out)["kernel"]
