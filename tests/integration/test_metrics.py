"""Prometheus end to end: a real Prometheus scrapes connscope's --metrics-addr while the
lifecycle scenario (every signal: slow handshakes, SYN and data retransmits, resets, refused
connects, TIME_WAIT), HTTP transactions and the TCP detectors' findings (a Nagle × delayed-ACK
stall, an idle-close race, CLOSE_WAIT) run in a namespace, followed by source-port exhaustion
(test_ports' client closing first, fast, in a narrowed ip_local_port_range: port warnings,
EADDRNOTAVAIL); then every panel query of every generated dashboard is evaluated through
Prometheus's HTTP API, and the scraped values are checked against the run's own summary record."""
import collections
import glob
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.connscope import BINARY, Connscope  # noqa: E402
from harness.netns import NetNs  # noqa: E402
from harness.prometheus import Prometheus, free_port, http_get  # noqa: E402
from harness.scenario import LISTEN_PORT as LISTENER, run_scenario  # noqa: E402
from test_lifecycle import DROPS  # noqa: E402
from test_ports import PEER as PORT_PEER, RANGE, time_wait_sockets  # noqa: E402

MAX_PEERS = 3
LISTEN_PORT = str(LISTENER)  # as a label value
SOCKET_TABLE_READ_S = 5  # connscope re-reads each namespace's socket table this often
# Retransmit kinds and the summary fields that count them; "other" is the rest of retransmits.
RETRANSMIT_KINDS = {"syn": "syn_retransmits", "fast": "fast_retransmits", "slow_start": "slow_start_retransmits",
                    "timeout": "timeouts", "loss_probe": "loss_probes"}
# Zero by design once the traffic is over: nothing is lost, every connection has closed.
ZERO_AT_REST = {"connscope_events_lost_total", "connscope_connections_open", "connscope_close_wait_connections",
                "connscope_accept_queue", "connscope_syn_queue"}
# The dashboards' variables select everything; Grafana's rate interval becomes a fixed window.
VARIABLES = {"$instance": ".*", "$peer": ".*", "$process": ".*", "$__rate_interval": "1m"}


def dashboard_models():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([BINARY, "dashboards", "--out", out], check=True, capture_output=True)
        models = {}
        for path in sorted(glob.glob(os.path.join(out, "*.json"))):
            with open(path) as f:
                models[os.path.basename(path)] = json.load(f)
        return models


def substituted(expr):
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def exposition_values(text, name):
    """{labels text: value} of one metric's samples in the text format."""
    pattern = re.compile("^" + re.escape(name) + r"(\{[^}]*\})? (\S+)$", re.M)
    return {m.group(1) or "": float(m.group(2)) for m in pattern.finditer(text)}


class MetricsEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise RuntimeError("integration tests load BPF programs: run them as root")
        metrics_port = free_port()
        cls.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        with NetNs("metrics") as ns, Prometheus(f"127.0.0.1:{metrics_port}") as prom:
            ns.nft(DROPS)
            # --interval: close_wait records, which count as findings, come with interval records.
            with Connscope("--netns", ns.path, "--metrics-addr", str(metrics_port),
                           "--max-peers", str(MAX_PEERS), "--interval", "0.5") as cs:
                cls.wait_for_first_scrape(prom)
                run_scenario(ns, listen=True)
                # port_warning and EADDRNOTAVAIL: a client closing first exhausts a narrow range.
                ns.sysctl("net.ipv4.ip_local_port_range", f"{RANGE[0]} {RANGE[1]}")
                ns.run("python3", PORT_PEER, "client_first", "9400", capture_output=True, text=True, timeout=60)
                cls.exposition = cls.wait_for_quiet(cls.metrics_url)
                cls.ss_time_wait_sockets = time_wait_sockets(ns)
                cls.ss_time_wait = len(cls.ss_time_wait_sockets)
                cls.netns = os.stat(ns.path).st_ino
                cls.scraped = cls.wait_for_scrape_of(prom, cls.exposition)
                cls.panels = cls.evaluate_panels(prom)
                cls.variables = cls.evaluate_variables(prom)
                cls.peer_values = {s["peer"] for s in prom.series("connscope_connections_closed_total")}
                cls.peaks = {name: prom.query(f"max_over_time({name}[10m])") for name in ZERO_AT_REST}
        cls.cs = cs

    @staticmethod
    def wait_for_first_scrape(prom):
        deadline = time.monotonic() + 20
        while not prom.query("connscope_build_info"):
            if time.monotonic() > deadline:
                raise RuntimeError("prometheus did not scrape connscope within 20 s")
            time.sleep(0.2)

    @staticmethod
    def wait_for_quiet(url):
        """/metrics once every connection has closed and been reported (sockets in LAST_ACK can
        wait for a retransmitted FIN after the peers exit) and the socket table has been re-read
        since: unchanged for longer than connscope's 5 s between reads."""
        deadline = time.monotonic() + 60
        previous, unchanged_since = None, time.monotonic()
        while time.monotonic() < deadline:
            text = http_get(url)
            if text != previous:
                previous, unchanged_since = text, time.monotonic()
            elif (time.monotonic() - unchanged_since >= SOCKET_TABLE_READ_S + 1
                  and exposition_values(text, "connscope_connections_open") == {"": 0}):
                return text
            time.sleep(0.25)
        raise RuntimeError("connscope's metrics did not settle within 60 s")

    @staticmethod
    def wait_for_scrape_of(prom, exposition):
        """Prometheus's view once it has scraped what connscope served after the traffic."""
        expected = {
            'connscope_connections_total{direction="active"}':
                exposition_values(exposition, "connscope_connections_total")['{direction="active"}'],
            "sum(connscope_connections_closed_total)":
                sum(exposition_values(exposition, "connscope_connections_closed_total").values()),
        }
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if all([v for _, v in prom.query(expr)] == [value] for expr, value in expected.items()):
                return {name: prom.query(name) for name in (
                    "connscope_connections_total", "connscope_retransmits_total", "connscope_resets_total",
                    "connscope_connect_errors_total", "connscope_connections_closed_total",
                    "connscope_events_lost_total", "connscope_connections_open", "connscope_http_requests_total",
                    "connscope_http_body_io_counted_total",
                    "connscope_delayed_acks_total", "connscope_findings_total", "connscope_listen_drops_total",
                    "connscope_time_wait_destination_sockets")}
            time.sleep(0.2)
        raise RuntimeError(f"prometheus never scraped {expected}")

    @staticmethod
    def evaluate_panels(prom):
        results = []
        for file_name, model in dashboard_models().items():
            for panel in model["panels"]:
                for target in panel.get("targets", []):
                    expr = substituted(target["expr"])
                    results.append((file_name, panel["title"], expr, prom.query(expr)))
        return results

    @staticmethod
    def evaluate_variables(prom):
        values = {}
        for model in dashboard_models().values():
            for variable in model["templating"]["list"]:
                match = re.fullmatch(r"label_values\((.+), (\w+)\)", substituted(variable["query"]["query"]))
                metric, label = match.groups()
                values[variable["name"]] = {s[label] for s in prom.series(metric) if label in s}
        return values

    def scraped_value(self, name, **labels):
        found = [v for metric, v in self.scraped[name] if all(metric.get(k) == x for k, x in labels.items())]
        self.assertEqual(len(found), 1, f"{name}{labels}: {self.scraped[name]}")
        return found[0]

    def test_connscope_exits_cleanly(self):
        self.assertEqual(self.cs.returncode, 0, self.cs.stderr)

    def test_promtool_accepts_the_exposition(self):
        checked = subprocess.run(["promtool", "check", "metrics"], input=self.exposition, text=True,
                                 capture_output=True)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertIn("connscope_handshake_seconds_bucket{", self.exposition)

    def test_the_scenario_moves_every_metric(self):
        names = re.findall(r"^# TYPE (\S+) (\S+)$", self.exposition, re.M)
        self.assertGreaterEqual(len(names), 18)
        for name, metric_type in names:
            if name in ZERO_AT_REST:
                continue
            sample_name = name + "_count" if metric_type == "histogram" else name
            with self.subTest(metric=name):
                self.assertTrue(any(v > 0 for v in exposition_values(self.exposition, sample_name).values()))

    def test_gauges_at_zero_now_moved_during_the_scenario(self):
        # Nothing is lost, so events_lost stays 0; the others rose while connections were open.
        self.assertEqual([v for _, v in self.peaks["connscope_events_lost_total"]], [0])
        self.assertGreater(max(v for _, v in self.peaks["connscope_connections_open"]), 0)
        self.assertEqual([v for _, v in self.peaks["connscope_close_wait_connections"]], [1])
        # The listener that never accepts held a full queue: backlog 1 + 1, as the kernel counts full.
        self.assertEqual([v for m, v in self.peaks["connscope_accept_queue"] if m["port"] == LISTEN_PORT], [2])

    def test_every_panel_query_returns_data(self):
        self.assertGreater(len(self.panels), 10)
        for file_name, title, expr, result in self.panels:
            with self.subTest(dashboard=file_name, panel=title, expr=expr):
                self.assertTrue(result, "no series")
                self.assertTrue(any(not math.isnan(value) for _, value in result), f"only NaN: {result}")

    def test_every_dashboard_variable_has_values(self):
        self.assertEqual(set(self.variables), {"instance", "peer", "process"})
        for name, values in self.variables.items():
            with self.subTest(variable=name):
                self.assertTrue(values)
        self.assertIn("python3", self.variables["process"])

    def test_findings_equal_the_records(self):
        kinds = {"handshake": "slow_handshake", "stall": "stall", "idle_close_race": "idle_close_race"}
        expected = {finding: len(self.cs.of_type(record)) for record, finding in kinds.items()}
        expected["close_wait"] = len({r["cookie"] for r in self.cs.of_type("close_wait")})
        self.assertTrue(all(expected.values()), expected)
        self.assertEqual({m["kind"]: v for m, v in self.scraped["connscope_findings_total"]}, expected)

    def test_listen_drops_equal_the_listen_records(self):
        drops = [r["drops"] for r in self.cs.of_type("listen") if r["lport"] == int(LISTEN_PORT)]
        self.assertGreater(drops[-1], 0)
        self.assertEqual(self.scraped_value("connscope_listen_drops_total", port=LISTEN_PORT), drops[-1])

    def test_peer_label_is_bounded_by_max_peers(self):
        # The scenario reaches more peers than the bound: the rest must be folded into "other".
        self.assertIn("other", self.peer_values)
        self.assertEqual(len(self.peer_values - {"other"}), MAX_PEERS, self.peer_values)

    def test_scraped_counters_equal_the_summary(self):
        summary = self.cs.summary
        self.assertGreater(summary["connections_active"], 5)
        self.assertEqual(self.scraped_value("connscope_connections_total", direction="active"),
                         summary["connections_active"])
        self.assertEqual(self.scraped_value("connscope_connections_total", direction="passive"),
                         summary["connections_passive"])
        for kind, field in RETRANSMIT_KINDS.items():
            with self.subTest(kind=kind):
                self.assertEqual(self.scraped_value("connscope_retransmits_total", kind=kind), summary[field])
        self.assertEqual(sum(v for _, v in self.scraped["connscope_retransmits_total"]), summary["retransmits"])
        self.assertEqual(self.scraped_value("connscope_delayed_acks_total"), summary["delayed_acks"])
        self.assertEqual(sum(v for _, v in self.scraped["connscope_http_requests_total"]),
                         summary["http_transactions"])
        statuses = {}
        for metric, value in self.scraped["connscope_http_requests_total"]:
            statuses[metric["status_class"]] = statuses.get(metric["status_class"], 0) + value
        self.assertEqual(statuses, summary["http_status"])
        self.assertEqual(self.scraped_value("connscope_resets_total", direction="sent"), summary["resets_sent"])
        self.assertEqual(self.scraped_value("connscope_resets_total", direction="received"),
                         summary["resets_received"])
        self.assertEqual({m["errno"]: v for m, v in self.scraped["connscope_connect_errors_total"]},
                         summary["connect_errors"])
        self.assertEqual(sum(v for _, v in self.scraped["connscope_connections_closed_total"]),
                         summary["connections_closed"])
        self.assertEqual(self.scraped_value("connscope_events_lost_total"), 0)
        self.assertEqual(self.scraped_value("connscope_http_body_io_counted_total"), summary["http_body_io_counted"])
        self.assertEqual(self.scraped_value("connscope_connections_open"), summary["connections_open"])

    def test_port_metrics_match_ss_and_the_exhaustion(self):
        netns = f'netns="{self.netns}"'
        time_wait = exposition_values(self.exposition, "connscope_time_wait_sockets")
        self.assertEqual(set(time_wait), {f'{{{netns},holder="client"}}', f'{{{netns},holder="server"}}'})
        self.assertGreaterEqual(self.ss_time_wait, RANGE[1] - RANGE[0] + 1)
        self.assertEqual(sum(time_wait.values()), self.ss_time_wait)
        # Client-held TIME_WAIT per destination, as Prometheus has it, against ss: a socket is the
        # client's when its local port is ephemeral (the default range holds RANGE) and its peer's not.
        ephemeral = range(32768, 61000)
        ss_client_held = collections.Counter(
            peer for local, peer in self.ss_time_wait_sockets
            if int(local.rsplit(":", 1)[1]) in ephemeral and int(peer.rsplit(":", 1)[1]) not in ephemeral)
        self.assertGreaterEqual(ss_client_held["127.0.0.1:9400"], RANGE[1] - RANGE[0] + 1)
        per_destination = {m["peer"]: v for m, v in self.scraped["connscope_time_wait_destination_sockets"]
                           if m["netns"] == str(self.netns)}
        labelled = set(per_destination) - {"other"}
        self.assertEqual({peer: per_destination[peer] for peer in labelled},
                         {peer: ss_client_held[peer] for peer in labelled})
        # The exhausting client's destination came after --max-peers others: it is folded into other.
        self.assertNotIn("127.0.0.1:9400", labelled)
        self.assertEqual(per_destination.get("other"),
                         sum(n for peer, n in ss_client_held.items() if peer not in labelled))
        self.assertEqual(sum(per_destination.values()), time_wait[f'{{{netns},holder="client"}}'])
        # The client took every port of the range toward one destination, and was warned.
        utilization = exposition_values(self.exposition, "connscope_port_utilization_ratio")
        self.assertEqual(max(utilization.values()), 1.0, utilization)
        self.assertTrue(all(0 <= v <= 1 for v in utilization.values()), utilization)
        warnings = exposition_values(self.exposition, "connscope_port_warnings_total")
        self.assertEqual(sum(warnings.values()), len(self.cs.of_type("port_warning")))
        self.assertGreaterEqual(sum(warnings.values()), 1)


class MetricsAddressTest(unittest.TestCase):
    def test_address_in_use_is_a_one_line_error(self):
        with Prometheus() as prom:  # anything listening will do
            result = subprocess.run([BINARY, "run", "--duration", "1", "--metrics-addr", str(prom.port)],
                                    capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
        self.assertIn("--metrics-addr: cannot listen on 127.0.0.1:", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
