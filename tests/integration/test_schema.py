"""docs/schema/: a JSON Schema per record type, validated against a real recorded run (the
lifecycle scenario, HTTP and the TCP detectors' findings in a namespace, with interval and
retransmit records, then source-port exhaustion as in test_ports), and held to docs/records.md."""
import collections
import glob
import json
import os
import re
import sys
import tomllib
import unittest

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.connscope import ROOT, Connscope  # noqa: E402
from harness.netns import NetNs  # noqa: E402
from harness.scenario import run_scenario  # noqa: E402
from test_lifecycle import DROPS  # noqa: E402
from test_ports import PEER as PORT_PEER, RANGE  # noqa: E402

SCHEMA_DIR = os.path.join(ROOT, "docs", "schema")


def load_schemas():
    schemas = {}
    for path in glob.glob(os.path.join(SCHEMA_DIR, "*.schema.json")):
        with open(path) as f:
            schemas[os.path.basename(path).removesuffix(".schema.json")] = json.load(f)
    return schemas


def documented_fields():
    """docs/records.md: `## <type>`, then a table whose first column is the field in backticks."""
    fields = collections.defaultdict(set)
    section = None
    with open(os.path.join(ROOT, "docs", "records.md")) as f:
        for line in f:
            if line.startswith("## "):
                section = line[3:].strip()
            elif section and (m := re.match(r"\|\s*`([^`]+)`", line)):
                fields[section].add(m.group(1))
    return fields


class SchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise RuntimeError("integration tests load BPF programs: run them as root")
        cls.schemas = load_schemas()
        with NetNs("schema") as ns:
            ns.nft(DROPS)
            with Connscope("--netns", ns.path, "--interval", "0.5", "--verbose-events") as cs:
                run_scenario(ns, listen=True)
                # port_warning and EADDRNOTAVAIL: a client closing first exhausts a narrow range.
                ns.sysctl("net.ipv4.ip_local_port_range", f"{RANGE[0]} {RANGE[1]}")
                ns.run("python3", PORT_PEER, "client_first", "9400", capture_output=True, text=True, timeout=60)
        cls.cs = cs

    def test_schemas_are_valid_draft_2020_12(self):
        for name, schema in self.schemas.items():
            with self.subTest(schema=name):
                jsonschema.Draft202012Validator.check_schema(schema)
                self.assertEqual(schema["properties"]["type"], {"const": name})

    def test_one_schema_per_documented_record_type(self):
        documented = documented_fields()
        self.assertEqual(set(self.schemas), set(documented))
        for name, schema in self.schemas.items():
            with self.subTest(schema=name):
                self.assertEqual(set(schema["properties"]), documented[name])
                self.assertEqual(set(schema["required"]), documented[name])
                self.assertFalse(schema["additionalProperties"])

    def test_every_record_of_a_real_run_validates(self):
        self.assertEqual(self.cs.returncode, 0, self.cs.stderr)
        seen = collections.Counter(r["type"] for r in self.cs.records)
        self.assertEqual(set(seen), set(self.schemas),
                         "the run must produce every record type")
        for index, record in enumerate(self.cs.records):
            validator = jsonschema.Draft202012Validator(self.schemas[record["type"]])
            errors = [e.message for e in validator.iter_errors(record)]
            self.assertEqual(errors, [], f"line {index + 1}: {record}")

    def test_schemas_reject_what_connscope_never_writes(self):
        conn = next(r for r in self.cs.records if r["type"] == "conn")
        validator = jsonschema.Draft202012Validator(self.schemas["conn"])
        for broken in ({**conn, "close": "eaten"}, {**conn, "surprise": 1}, {**conn, "lport": -1},
                       {k: v for k, v in conn.items() if k != "rtt_us"}):
            self.assertFalse(validator.is_valid(broken), broken)
        error = next(r for r in self.cs.records if r["type"] == "connect_error" and r["errno"] == "EADDRNOTAVAIL")
        self.assertIsInstance(error["port_utilization"], float)
        validator = jsonschema.Draft202012Validator(self.schemas["connect_error"])
        for broken in ({**error, "syscall": "listen"}, {**error, "port_utilization": 1.5}):
            self.assertFalse(validator.is_valid(broken), broken)
        ports = next(r for r in self.cs.records if r["type"] == "ports" and r["destinations"])
        validator = jsonschema.Draft202012Validator(self.schemas["ports"])
        destination = ports["destinations"][0]
        for broken in ({**ports, "range": [1]}, {**ports, "destinations": [{**destination, "extra": 0}]},
                       {**ports, "destinations": [{**destination, "utilization": -0.1}]}):
            self.assertFalse(validator.is_valid(broken), broken)


class ShippingConfigTest(unittest.TestCase):
    def test_vector_config_tails_the_file_the_systemd_unit_writes(self):
        with open(os.path.join(ROOT, "docs", "shipping", "vector.toml"), "rb") as f:
            config = tomllib.load(f)
        with open(os.path.join(ROOT, "deploy", "systemd", "connscope.service")) as f:
            output = re.search(r"--output (\S+)", f.read()).group(1)
        self.assertEqual(config["sources"]["connscope"]["include"], [output])
        self.assertEqual(config["transforms"]["connscope_records"]["inputs"], ["connscope"])
        self.assertIn("parse_json", config["transforms"]["connscope_records"]["source"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
