"""bench/load_faults.py counts everything (issue 12): against a real HTTP server, an answer
cut short is recorded as cut (it once killed its client thread and printed "failures: 0"),
a refused connection as no answer, a fault of the client itself as a client error, and the
client goes on after each; cuts during the outage are counted apart, others fail the run."""

import importlib.util
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "load_faults", Path(__file__).resolve().parents[1] / "bench" / "load_faults.py")
load_faults = importlib.util.module_from_spec(spec)
spec.loader.exec_module(load_faults)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        if self.path == "/cut":  # a chunked CSV stream that stops mid-way, as an outage cuts one
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"12\r\nid,person,form\r\n1,\r\n")
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status = 503 if self.path == "/down" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(base, deadline=0.0):
    return load_faults.Client(0, base, "token", [1], deadline, [])


def test_each_outcome_is_recorded_not_raised(server):
    assert client(server).request("GET", "/ok") == (200, b"ok")
    assert client(server).request("GET", "/down")[0] == 503
    assert client(server).request("GET", "/cut")[0] == "cut: IncompleteRead"
    assert client(f"http://127.0.0.1:{closed_port()}").request("GET", "/")[0].startswith("no answer:")


def test_the_client_goes_on_after_any_error(server):
    plan = iter(["/cut", "boom", "/ok", "/down"])

    class Scripted(load_faults.Client):
        def step(self):
            path = next(plan, "/ok")
            if path == "boom":
                raise ValueError("a bad JSON body")
            return path, self.request("GET", path)[0]

    scripted = Scripted(0, server, "token", [1], time.monotonic() + 0.5, [])
    scripted.start()
    scripted.join(timeout=10)
    outcomes = [entry.outcome for entry in scripted.log]
    assert outcomes[:4] == ["cut: IncompleteRead", "client error: ValueError: a bad JSON body", 200, 503]
    assert len(outcomes) > 4 and not scripted.is_alive()


def test_a_cut_counts_apart_only_during_the_outage():
    entry = load_faults.Entry
    log = [entry(0, 1.0, 1.1, "/", 200),
           entry(1, 9.0, 10.5, "/api/v1/cases/?format=csv", "cut: IncompleteRead"),  # cut by the outage
           entry(2, 3.0, 4.0, "/api/v1/cases/?format=csv", "cut: IncompleteRead"),   # before it: a failure
           entry(3, 11.0, 11.2, "/", 503),                                             # during: allowed
           entry(8, 4.0, 10.2, "/", 503),                        # asked before, answered during: allowed
           entry(4, 20.0, 20.1, "/", 503),                                             # after: a failure
           entry(5, 21.0, 21.0, "/", "no answer: ConnectionResetError"),
           entry(6, 22.0, 22.0, "(client)", "client error: KeyError: 'id'"),
           entry(7, 23.0, 23.1, "/", 500)]
    failures, cut = load_faults.judge(log, down=10.0, up=15.0)
    assert [e.client for e in cut] == [1]
    assert [e.client for e in failures] == [2, 4, 5, 6, 7]
