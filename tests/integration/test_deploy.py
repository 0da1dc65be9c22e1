"""deploy/: the systemd unit passes `systemd-analyze verify` and keeps a low exposure score, its
capability set is enough for connscope to run with real traffic, and the Kubernetes manifests
parse as YAML and agree with the unit (capabilities, output file, metrics port)."""
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.connscope import BINARY, ROOT, SCHED_IDLE, SCHED_OTHER, Connscope  # noqa: E402
from harness.netns import NetNs  # noqa: E402

UNIT = os.path.join(ROOT, "deploy", "systemd", "connscope.service")
MANIFESTS = sorted(glob.glob(os.path.join(ROOT, "deploy", "kubernetes", "*.yaml")))
INSTALLED = "/usr/local/bin/connscope"
# linux/capability.h: the numbers of the capabilities a unit might grant.
CAPABILITY_BITS = {"CAP_NET_ADMIN": 12, "CAP_SYS_ADMIN": 21, "CAP_SYS_RESOURCE": 24, "CAP_SYSLOG": 34, "CAP_PERFMON": 38,
                   "CAP_BPF": 39}


def unit_settings():
    settings = {}
    with open(UNIT) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                key, value = line.rstrip("\n").split("=", 1)
                settings[key] = value
    return settings


def unit_run_args():
    args = shlex.split(unit_settings()["ExecStart"])
    assert args[0] == INSTALLED, args
    return args[1:]


def option(args, name):
    """The value of --name in args, as `--name value` or `--name=value`."""
    for i, arg in enumerate(args):
        if arg == name:
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    raise AssertionError(f"{name} not in {args}")


class SystemdUnitTest(unittest.TestCase):
    def verified_copy(self, directory):
        """The unit with ExecStart on the built binary: verify checks that the binary exists."""
        with open(UNIT) as f:
            text = f.read()
        path = os.path.join(directory, "connscope.service")
        with open(path, "w") as f:
            f.write(text.replace(INSTALLED, os.path.abspath(BINARY)))
        return path

    def test_systemd_analyze_verify_passes(self):
        with tempfile.TemporaryDirectory() as directory:
            result = subprocess.run(["systemd-analyze", "verify", self.verified_copy(directory)],
                                    capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr.strip(), "")

    def test_exposure_score_stays_low(self):
        with tempfile.TemporaryDirectory() as directory:
            result = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager",
                                     self.verified_copy(directory)], capture_output=True, text=True)
        score = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout).group(1))
        self.assertLessEqual(score, 3.0, result.stdout[-3000:])

    def test_unit_writes_records_and_serves_metrics(self):
        args = unit_run_args()
        self.assertEqual(args[0], "run")
        self.assertEqual(option(args, "--format"), "json")
        self.assertTrue(option(args, "--output").startswith("/var/log/connscope/"))
        self.assertEqual(unit_settings()["LogsDirectory"], "connscope")
        self.assertTrue(option(args, "--metrics-addr").startswith("127.0.0.1:"))

    @staticmethod
    def bounding_set(pid="self"):
        with open(f"/proc/{pid}/status") as f:
            return int(re.search(r"^CapBnd:\s*([0-9a-f]+)$", f.read(), re.M).group(1), 16)

    def test_connscope_runs_with_only_the_units_capabilities(self):
        caps = unit_settings()["CapabilityBoundingSet"].split()
        self.assertEqual(caps, unit_settings()["AmbientCapabilities"].split())
        bounding = "-all," + ",".join("+" + c.removeprefix("CAP_").lower() for c in caps)
        setpriv = ["setpriv", f"--bounding-set={bounding}", "--inh-caps=-all"]
        with NetNs("deploy") as ns, Connscope("--netns", ns.path, wrapper=setpriv) as cs:
            bounding_mask = self.bounding_set(cs.proc.pid)  # setpriv has exec'd connscope by now
            time.sleep(0.1)
            reader_policy = cs.reader_policy()
            ns.run("python3", "-c", "import socket\n"
                   "s=socket.create_server(('127.0.0.1',8080)); c=socket.create_connection(('127.0.0.1',8080))\n"
                   "a,_=s.accept(); c.close(); a.close()")
            time.sleep(0.5)  # closes are reported after a grace of 50 ms
        self.assertEqual(cs.returncode, 0, cs.stderr)
        # Never more than the test itself holds (a container may lack CAP_SYS_RESOURCE).
        self.assertEqual(bounding_mask, sum(1 << CAPABILITY_BITS[c] for c in caps) & self.bounding_set())
        # The unit's CAP_SYS_RESOURCE lets the event reader yield the CPU and come back; where
        # the test itself lacks it, connscope reads at normal priority.
        yields = bounding_mask >> CAPABILITY_BITS["CAP_SYS_RESOURCE"] & 1
        self.assertEqual(reader_policy, SCHED_IDLE if yields else SCHED_OTHER)
        self.assertEqual(cs.summary["connections_active"], 1)
        self.assertEqual(len(cs.of_type("conn")), 2)


class KubernetesManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.documents = {}
        for path in MANIFESTS:
            with open(path) as f:
                for document in yaml.safe_load_all(f):
                    cls.documents[document["kind"]] = document
        cls.pod = cls.documents["DaemonSet"]["spec"]["template"]
        cls.container = cls.pod["spec"]["containers"][0]

    def test_manifests_parse_as_yaml(self):
        self.assertEqual(len(MANIFESTS), 2)
        self.assertEqual(set(self.documents), {"Namespace", "DaemonSet"})
        namespace = self.documents["Namespace"]["metadata"]["name"]
        self.assertEqual(self.documents["DaemonSet"]["metadata"]["namespace"], namespace)

    def test_host_namespaces_and_only_the_units_capabilities(self):
        spec = self.pod["spec"]
        self.assertTrue(spec["hostPID"])
        self.assertTrue(spec["hostNetwork"])
        security = self.container["securityContext"]
        self.assertFalse(security["privileged"])
        self.assertFalse(security["allowPrivilegeEscalation"])
        self.assertEqual(security["capabilities"]["drop"], ["ALL"])
        unit_caps = [c.removeprefix("CAP_") for c in unit_settings()["CapabilityBoundingSet"].split()]
        self.assertEqual(security["capabilities"]["add"], unit_caps)

    def test_mounts(self):
        mounts = {m["mountPath"]: m for m in self.container["volumeMounts"]}
        self.assertTrue(mounts["/sys/kernel/btf"]["readOnly"])
        self.assertTrue(mounts["/sys/kernel/tracing"]["readOnly"])
        args = self.container["args"]
        self.assertEqual(option(args, "--output"), option(unit_run_args(), "--output"))
        self.assertIn(os.path.dirname(option(args, "--output")), mounts)

    def test_prometheus_annotations_name_the_metrics_port(self):
        annotations = self.pod["metadata"]["annotations"]
        self.assertEqual(annotations["prometheus.io/scrape"], "true")
        self.assertEqual(annotations["prometheus.io/path"], "/metrics")
        port = option(self.container["args"], "--metrics-addr").rsplit(":", 1)[1]
        self.assertEqual(annotations["prometheus.io/port"], port)
        self.assertEqual(self.container["ports"][0]["containerPort"], int(port))
        self.assertEqual(port, option(unit_run_args(), "--metrics-addr").rsplit(":", 1)[1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
