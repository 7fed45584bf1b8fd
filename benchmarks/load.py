"""Load and chaos on ``cryoprotect serve --prod``: mixed traffic, an attacker, killed processes.

Starts ``cryoprotect serve --prod`` as a subprocess on 127.0.0.1 (a free port, a temporary
``CRYOPROTECT_HOME`` with its own embedded PostgreSQL), signs up one user per client, gives
each a mixture, then runs ``--clients`` concurrent clients (threads, one ``http.client``
connection per request) of mixed traffic for ``--duration`` seconds per phase:

  list molecules 25 %, get one molecule 25 %, solution properties of a mixture 20 %,
  similarity search 20 %, create a mixture or a molecule 10 %.

Phases (``--phases``, any of them, in this order):

1. ``baseline``: the mixed traffic alone. It is the baseline the other phases are compared
   with (their req/s and p99 are printed as a ratio to it).
2. ``attack``: the same traffic while ``--attackers`` anonymous clients send the recursive
   SMARTS substructure query of issue 12 finding 3 in a loop. Targets: p99 <= 300 ms and
   0 errors for the normal clients.
3. ``attack-chain``: an attack that passes the pattern-cost check. Before the phase an
   attacker account registers the four seeded lattices of ``substructure_attack.py``
   (``seeded_lattice``: polycyclic sp3 carbon lattices with O and F at opposite corners,
   widths 15-18, private: every search still matches them before the visibility filter);
   during it ``--attackers`` anonymous clients send the allowed 18-carbon chain
   ``C~C~...~C~O~F`` in a loop, which is exhaustive on the lattices and runs to the search
   deadline. Same targets as ``attack``.
4. ``worker-kill``: kill -9 of one gunicorn worker a third into the phase. Target: <= 10
   failed requests.
5. ``postmaster-kill``: kill -9 of the embedded postmaster (first line of
   ``<home>/pgdata/postmaster.pid``) a quarter into the phase; the time until
   ``/health/ready`` answers 200 again with a new postmaster (target <= 30 s; given up after
   ``--recovery-timeout``), and every acknowledged write (a 2xx create, in any phase) read
   back by its owner afterwards (target: none missing).

An error is any normal-client request that is not answered 2xx (5xx, 4xx, timeout, reset).
Rate limits are off in the server (``RATELIMIT_ENABLED=false``): the attacker is then not
slowed by the per-address limit a real one would evade with many addresses, and the normal
clients cannot be throttled; ``--rate-limits`` keeps the defaults. Every loop has a
deadline, requests time out after ``--request-timeout`` s, and the server (and any database
process under its temporary home) is stopped at the end: the script stops by itself.

Run: ``.venv/bin/python benchmarks/load.py [--duration 20] [--clients 16] [--phases all]
[--json]``
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from substructure_attack import seeded_lattice  # noqa: E402

PHASES = ("baseline", "attack", "attack-chain", "worker-kill", "postmaster-kill")
ATTACK_PHASES = ("attack", "attack-chain")
ATTACK_SMARTS = "[$(*~*~*~*~*~*~*~*~*~*~*~*~*~*~*~*~*~*~*~*~*~[U])]"
CHAIN_SMARTS = "~".join(["C"] * 18) + "~O~F"  # allowed to anonymous callers (20 atoms)
LATTICE_WIDTHS = (16, 15, 17, 18)  # four lattices of height 8: four distinct identities
SUBSTRUCTURE_PATH = "/api/v1/molecules/search/substructure"
SIMILARITY_QUERIES = ("OCC(O)CO", "CS(C)=O", "OCCO", "CC(O)CO", "NC(N)=O", "OC1COC(O)C(O)C1O")
MIX = (("list", 25), ("get", 25), ("properties", 20), ("similarity", 20), ("create", 10))
TARGET_P99_MS = 300.0
TARGET_WORKER_KILL_FAILURES = 10
TARGET_RECOVERY_S = 30.0
START_TIMEOUT_S = 300.0


# ----------------------------------------------------------------------------- HTTP


@dataclass
class Reply:
    status: int  # 0: no HTTP answer (refused, reset, timeout)
    body: Any
    latency_s: float
    error: str | None = None


class Http:
    """Tiny JSON client over ``http.client``: a fresh loopback connection per request."""

    def __init__(self, port: int, timeout_s: float) -> None:
        self.port = port
        self.timeout_s = timeout_s

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Reply:
        headers = {"Accept": "application/json", "Connection": "close"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout_s)
        try:
            conn.request(method, path, body=payload, headers=headers)
            res = conn.getresponse()
            raw = res.read()
            status = res.status
        except (OSError, http.client.HTTPException) as exc:
            return Reply(0, None, time.perf_counter() - start, type(exc).__name__)
        finally:
            conn.close()
        latency = time.perf_counter() - start
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return Reply(status, parsed, latency)


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``cryoprotect serve --prod`` on loopback with its own temporary home."""

    def __init__(self, workers: int, threads: int, rate_limits: bool) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="cpt-load-", dir="/tmp"))  # noqa: S108 - short socket path
        self.port = free_port()
        self.workers = workers
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            CRYOPROTECT_HOME=str(self.home / "home"),
            CRYOPROTECT_SECRET_KEY=secrets.token_urlsafe(48),
            CRYOPROTECT_WEB_WORKERS=str(workers),
            CRYOPROTECT_WEB_THREADS=str(threads),
            CRYOPROTECT_LOG_LEVEL="WARNING",
            CRYOPROTECT_ACCESS_TOKEN_TTL="7200",  # noqa: S106 - a lifetime (s), longer than any run
        )
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if not rate_limits:
            env["RATELIMIT_ENABLED"] = "false"
        self.stderr_path = self.home / "serve.stderr"
        with open(self.home / "serve.stdout", "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
                [
                    sys.executable,
                    "-c",
                    "from cryoprotect.cli import main; main()",
                    "serve",
                    "--prod",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=env,
                stdout=out,
                stderr=err,
            )

    @property
    def pgdata(self) -> Path:
        return self.home / "home" / "pgdata"

    def stderr_tail(self, n: int = 3000) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def master(self) -> psutil.Process | None:
        try:
            for child in psutil.Process(self.proc.pid).children():
                if "gunicorn" in " ".join(child.cmdline()):
                    return child
        except psutil.Error:
            return None
        return None

    def worker_pids(self) -> list[int]:
        master = self.master()
        if master is None:
            return []
        try:
            return sorted(p.pid for p in master.children())
        except psutil.Error:
            return []

    def postmaster_pid(self) -> int | None:
        try:
            first = (self.pgdata / "postmaster.pid").read_text().splitlines()[0]
            pid = int(first.strip())
        except (OSError, ValueError, IndexError):
            return None
        return pid if psutil.pid_exists(pid) else None

    def wait_ready(self, http: Http) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"serve --prod exited with {self.proc.returncode}:\n{self.stderr_tail()}"
                )
            reply = http.request("GET", "/health/ready")
            if reply.status == 200 and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.5)
        raise RuntimeError(f"serve --prod did not become ready:\n{self.stderr_tail()}")

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL of what is left that this run started."""
        started = self._our_processes()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for proc in started + self._our_processes():
            try:
                if proc.is_running():
                    proc.kill()
            except psutil.Error:
                pass
        shutil.rmtree(self.home, ignore_errors=True)

    def _our_processes(self) -> list[psutil.Process]:
        """Descendants of the serve process, and database processes under our home."""
        found: list[psutil.Process] = []
        with contextlib.suppress(psutil.Error):
            found.extend(psutil.Process(self.proc.pid).children(recursive=True))
        marker = str(self.home)
        for proc in psutil.process_iter(["cmdline"]):
            try:
                if marker in " ".join(proc.info["cmdline"] or ()):
                    found.append(proc)
            except psutil.Error:
                continue
        return found


# ------------------------------------------------------------------------ workload


@dataclass
class User:
    email: str
    token: str
    mixture_id: str


@dataclass
class Write:
    kind: str  # "mixtures" or "molecules"
    id: str
    token: str


@dataclass
class Shared:
    molecule_ids: list[str]
    glycerol_id: str
    dmso_id: str
    writes: list[Write] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def unique_smiles(rng: random.Random) -> str:
    """A SMILES whose standardised structure is (almost surely) new: 32 random F bits."""
    bits = rng.getrandbits(32)
    return "O" + "".join("C(F)" if bits >> i & 1 else "C" for i in range(32))


def mixture_body(shared: Shared, rng: random.Random) -> dict[str, Any]:
    return {
        "name": f"load-{uuid.uuid4().hex[:12]}",
        "components": [
            {"molecule_id": shared.glycerol_id, "amount": rng.choice((5, 10, 15)), "unit": "% w/v"},
            {"molecule_id": shared.dmso_id, "amount": rng.choice((5, 10)), "unit": "% w/v"},
        ],
    }


def setup(http: Http, clients: int) -> tuple[list[User], Shared]:
    tag = uuid.uuid4().hex[:8]
    listing = http.request("GET", "/api/v1/molecules?per_page=100")
    if listing.status != 200:
        raise RuntimeError(f"listing molecules failed: {listing.status} {listing.body}")
    items = listing.body["items"]
    by_name = {str(m.get("name", "")).lower(): m["id"] for m in items}
    glycerol = by_name.get("glycerol")
    dmso = by_name.get("dimethyl sulfoxide") or by_name.get("dmso")
    if not glycerol or not dmso:
        raise RuntimeError("the reference library lacks glycerol or DMSO")
    shared = Shared(molecule_ids=[m["id"] for m in items], glycerol_id=glycerol, dmso_id=dmso)
    users = []
    rng = random.Random(0)  # noqa: S311 - workload choices, not secrets
    password = "load test password " + tag
    for i in range(clients):
        email = f"load-{i}-{tag}@example.org"
        reg = http.request("POST", "/api/v1/auth/register", {"email": email, "password": password})
        if not 200 <= reg.status < 300:  # 201, or 202 where registration hides existing accounts
            raise RuntimeError(f"register failed: {reg.status} {reg.body}")
        login = http.request("POST", "/api/v1/auth/login", {"email": email, "password": password})
        if login.status != 200:
            raise RuntimeError(f"login failed: {login.status} {login.body}")
        token = login.body["access_token"]
        mix = http.request("POST", "/api/v1/mixtures", mixture_body(shared, rng), token)
        if mix.status != 201:
            raise RuntimeError(f"mixture create failed: {mix.status} {mix.body}")
        users.append(User(email, token, mix.body["id"]))
    return users, shared


@dataclass
class Sample:
    op: str
    start: float  # monotonic
    latency_s: float
    status: int
    error: str | None
    outcome: str | None = None  # attackers: "200 truncated", "429 busy", ...


def normal_client(
    http: Http, user: User, shared: Shared, seed: int, stop: threading.Event, out: list[Sample]
) -> None:
    rng = random.Random(seed)  # noqa: S311 - workload choices, not secrets
    ops = [name for name, weight in MIX for _ in range(weight)]
    while not stop.is_set():
        op = rng.choice(ops)
        start = time.monotonic()
        write_kind = None
        if op == "list":
            page = rng.randint(1, 2)
            reply = http.request(
                "GET", f"/api/v1/molecules?per_page=25&page={page}", None, user.token
            )
        elif op == "get":
            reply = http.request(
                "GET", f"/api/v1/molecules/{rng.choice(shared.molecule_ids)}", None, user.token
            )
        elif op == "properties":
            reply = http.request(
                "GET", f"/api/v1/mixtures/{user.mixture_id}/properties", None, user.token
            )
        elif op == "similarity":
            body = {"structure": rng.choice(SIMILARITY_QUERIES), "k": 10}
            reply = http.request("POST", "/api/v1/molecules/search/similarity", body, user.token)
        elif rng.random() < 0.5:
            write_kind = "mixtures"
            reply = http.request("POST", "/api/v1/mixtures", mixture_body(shared, rng), user.token)
        else:
            write_kind = "molecules"
            body = {"smiles": unique_smiles(rng), "name": f"load-{uuid.uuid4().hex[:10]}"}
            reply = http.request("POST", "/api/v1/molecules", body, user.token)
        if write_kind and 200 <= reply.status < 300 and isinstance(reply.body, dict):
            with shared.lock:
                shared.writes.append(Write(write_kind, reply.body["id"], user.token))
        out.append(Sample(op, start, reply.latency_s, reply.status, reply.error))


def attack_outcome(reply: Reply) -> str:
    """``"200 truncated"``, ``"200 complete"``, ``"429 busy"``, ``"400 query_too_complex"``..."""
    if not reply.status:
        return reply.error or "no answer"
    body = reply.body if isinstance(reply.body, dict) else {}
    if reply.status == 200:
        return "200 truncated" if body.get("truncated") else "200 complete"
    error = body.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return f"{reply.status} {code}" if code else str(reply.status)


def attacker(http: Http, query: str, stop: threading.Event, out: list[Sample]) -> None:
    """An anonymous client sending ``query`` in a loop, without backing off."""
    while not stop.is_set():
        start = time.monotonic()
        reply = http.request("POST", SUBSTRUCTURE_PATH, {"query": query, "max_hits": 100})
        out.append(
            Sample(
                "attack", start, reply.latency_s, reply.status, reply.error, attack_outcome(reply)
            )
        )


def seed_lattices(http: Http) -> dict[str, Any]:
    """An attacker account registers the seeded lattices (private) through the API."""
    tag = uuid.uuid4().hex[:8]
    email, password = f"attacker-{tag}@example.org", f"attacker password {tag}"
    reg = http.request("POST", "/api/v1/auth/register", {"email": email, "password": password})
    if not 200 <= reg.status < 300:
        raise RuntimeError(f"attacker register failed: {reg.status} {reg.body}")
    login = http.request("POST", "/api/v1/auth/login", {"email": email, "password": password})
    if login.status != 200:
        raise RuntimeError(f"attacker login failed: {login.status} {login.body}")
    token = login.body["access_token"]
    started = time.monotonic()
    atoms = []
    for width in LATTICE_WIDTHS:
        body = {
            "smiles": seeded_lattice(width=width),
            "name": f"lattice-{width}x8-{tag}",
            "visibility": "private",
        }
        reply = http.request("POST", "/api/v1/molecules", body, token)
        if reply.status != 201:
            raise RuntimeError(f"lattice registration failed: {reply.status} {reply.body}")
        atoms.append(width * 8 + 2)
    return {
        "molecules": len(LATTICE_WIDTHS),
        "heavy_atoms": atoms,
        "visibility": "private",
        "registered_in_s": time.monotonic() - started,
    }


# --------------------------------------------------------------------------- phases


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summarise(samples: list[Sample], elapsed_s: float) -> dict[str, Any]:
    latencies = sorted(s.latency_s * 1000 for s in samples)
    errors = [s for s in samples if not 200 <= s.status < 300]
    kinds = Counter(str(s.status) if s.status else (s.error or "no answer") for s in errors)
    return {
        "requests": len(samples),
        "req_per_s": len(samples) / elapsed_s if elapsed_s > 0 else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "errors": len(errors),
        "error_kinds": dict(kinds.most_common()),
    }


def run_traffic(
    http: Http,
    users: list[User],
    shared: Shared,
    duration_s: float,
    *,
    attackers: int = 0,
    attack_query: str = ATTACK_SMARTS,
    event: Callable[[float], dict[str, Any]] | None = None,
    event_at_s: float = 0.0,
    request_timeout_s: float = 30.0,
    seed: int = 0,
) -> tuple[dict[str, Any], dict[str, Any] | None, list[Sample]]:
    """Normal clients (and attackers sending ``attack_query``) for ``duration_s``;
    ``event(start)`` runs at
    ``event_at_s`` and may extend the phase by returning ``{"extend_to_s": t}``."""
    stop = threading.Event()
    samples: list[Sample] = []
    attack_samples: list[Sample] = []
    threads = [
        threading.Thread(
            target=normal_client, args=(http, u, shared, seed + i, stop, samples), daemon=True
        )
        for i, u in enumerate(users)
    ]
    threads += [
        threading.Thread(
            target=attacker, args=(http, attack_query, stop, attack_samples), daemon=True
        )
        for _ in range(attackers)
    ]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    outcome = None
    end_s = duration_s
    if event is not None:
        time.sleep(max(0.0, event_at_s - (time.monotonic() - start)))
        outcome = event(start)
        end_s = max(end_s, float(outcome.get("extend_to_s", 0.0)))
    time.sleep(max(0.0, end_s - (time.monotonic() - start)))
    stop.set()
    elapsed = time.monotonic() - start
    deadline = time.monotonic() + request_timeout_s + 5
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.monotonic()))
    # Only requests started within the phase count; their latency runs to their answer.
    summary = summarise([s for s in samples if s.start - start < elapsed], elapsed)
    if attackers:
        statuses = Counter(s.outcome or str(s.status) for s in attack_samples)
        lat = sorted(s.latency_s * 1000 for s in attack_samples)
        by_outcome = {
            outcome: sorted(s.latency_s * 1000 for s in attack_samples if s.outcome == outcome)
            for outcome in statuses
        }
        summary["attacker"] = {
            "query": attack_query,
            "requests": len(attack_samples),
            "statuses": dict(statuses.most_common()),
            "p50_ms": percentile(lat, 50),
            "max_ms": lat[-1] if lat else 0.0,
            "p50_ms_by_status": {k: percentile(v, 50) for k, v in by_outcome.items()},
            "max_ms_by_status": {k: v[-1] for k, v in by_outcome.items()},
        }
    return summary, outcome, samples


def kill_worker(server: Server) -> Callable[[float], dict[str, Any]]:
    def event(start: float) -> dict[str, Any]:
        pids = server.worker_pids()
        if not pids:
            return {"killed": None, "note": "no gunicorn worker found"}
        victim = pids[0]
        os.kill(victim, signal.SIGKILL)
        return {"killed": victim, "at_s": time.monotonic() - start}

    return event


def kill_postmaster(
    server: Server, http: Http, recovery_timeout_s: float, tail_s: float
) -> Callable[[float], dict[str, Any]]:
    def event(start: float) -> dict[str, Any]:
        old = server.postmaster_pid()
        if old is None:
            return {"killed": None, "note": "no postmaster.pid (not the embedded server?)"}
        os.kill(old, signal.SIGKILL)
        killed_at = time.monotonic()
        saw_failure = False
        while time.monotonic() - killed_at < recovery_timeout_s:
            reply = http.request("GET", "/health/ready")
            new = server.postmaster_pid()
            if reply.status != 200:
                saw_failure = True
            elif new is not None and new != old:
                recovered = time.monotonic() - killed_at
                return {
                    "killed": old,
                    "new_postmaster": new,
                    "recovered_s": recovered,
                    "readiness_failed_meanwhile": saw_failure,
                    "extend_to_s": killed_at - start + recovered + tail_s,
                }
            time.sleep(0.2)
        return {
            "killed": old,
            "recovered_s": None,
            "readiness_failed_meanwhile": saw_failure,
            "note": f"not recovered within {recovery_timeout_s:.0f} s",
        }

    return event


def check_writes(http: Http, shared: Shared, *, budget_s: float = 120.0) -> dict[str, Any]:
    """Read every acknowledged write back as its owner (within ``budget_s``; what is left
    unread then counts as unverified)."""
    counts: Counter[str] = Counter()
    deadline = time.monotonic() + budget_s
    for write in list(shared.writes):
        if time.monotonic() > deadline:
            counts["unverified"] += 1
            continue
        reply = http.request("GET", f"/api/v1/{write.kind}/{write.id}", None, write.token)
        if reply.status == 200:
            counts["present"] += 1
        elif reply.status == 404:
            counts["missing"] += 1
        else:
            counts["unverified"] += 1
    return {
        "acknowledged": len(shared.writes),
        "present": counts["present"],
        "missing": counts["missing"],
        "unverified": counts["unverified"],
    }


# ---------------------------------------------------------------------------- report


def fmt_ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}x" if base else "n/a"


def print_table(result: dict[str, Any]) -> None:
    phases = result["phases"]
    base = phases.get("baseline")
    header = (
        f"{'phase':<16}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'errors':>8} | {'req/s vs base':>13}{'p99 vs base':>12}"
    )
    print(header)
    print("-" * len(header))
    for name in PHASES:
        if name not in phases:
            continue
        p = phases[name]
        print(
            f"{name:<16}{p['requests']:>9}{p['req_per_s']:>8.1f}{p['p50_ms']:>8.0f}"
            f"{p['p95_ms']:>8.0f}{p['p99_ms']:>8.0f}{p['errors']:>8} | "
            f"{fmt_ratio(p['req_per_s'], base and base['req_per_s']) if name != 'baseline' else '':>13}"
            f"{fmt_ratio(p['p99_ms'], base and base['p99_ms']) if name != 'baseline' else '':>12}"
        )
    print()
    for name in PHASES:
        if name in phases and phases[name]["error_kinds"]:
            print(f"{name}: errors by kind {phases[name]['error_kinds']}")
    for name in ATTACK_PHASES:
        if name not in phases:
            continue
        a = phases[name]
        ok = a["p99_ms"] <= TARGET_P99_MS and a["errors"] == 0
        att = a["attacker"]
        per_status = ", ".join(
            f"{k}: {n} (median {att['p50_ms_by_status'][k]:.0f} ms, "
            f"longest {att['max_ms_by_status'][k]:.0f} ms)"
            for k, n in att["statuses"].items()
        )
        seeded = a.get("seeded")
        print(
            f"{name}: normal clients p99 {a['p99_ms']:.0f} ms (target <= {TARGET_P99_MS:.0f}, "
            f"{fmt_ratio(a['p99_ms'], base and base['p99_ms'])} of baseline), "
            f"errors {a['errors']} (target 0): {'met' if ok else 'NOT met'}"
            + (
                f"; {seeded['molecules']} {seeded['visibility']} lattices of "
                f"{'/'.join(map(str, seeded['heavy_atoms']))} heavy atoms seeded"
                if seeded
                else ""
            )
            + f"\n  attackers ({att['query']}): {att['requests']} requests; {per_status}"
        )
    if "worker-kill" in phases:
        w = phases["worker-kill"]
        ok = w["errors"] <= TARGET_WORKER_KILL_FAILURES and w["event"].get("killed")
        print(
            f"worker-kill: killed pid {w['event'].get('killed')}; failed requests {w['errors']} "
            f"(target <= {TARGET_WORKER_KILL_FAILURES}): {'met' if ok else 'NOT met'}"
        )
    if "postmaster-kill" in phases:
        k = phases["postmaster-kill"]
        ev = k["event"]
        rec = ev.get("recovered_s")
        recovery = f"{rec:.1f} s" if rec is not None else ev.get("note", "not recovered")
        writes = k["writes"]
        ok = rec is not None and rec <= TARGET_RECOVERY_S and writes["missing"] == 0
        print(
            f"postmaster-kill: killed pid {ev.get('killed')}; ready again after {recovery} "
            f"(target <= {TARGET_RECOVERY_S:.0f} s); acknowledged writes {writes['acknowledged']}, "
            f"missing {writes['missing']}, unverified {writes['unverified']}: "
            f"{'met' if ok else 'NOT met'}"
        )


# ------------------------------------------------------------------------------ main


def parse_phases(text: str) -> list[str]:
    if text == "all":
        return list(PHASES)
    chosen = []
    for item in (t.strip() for t in text.split(",") if t.strip()):
        name = PHASES[int(item) - 1] if item.isdigit() and 1 <= int(item) <= len(PHASES) else item
        if name not in PHASES:
            raise argparse.ArgumentTypeError(f"unknown phase {item!r}; choose from {PHASES}")
        chosen.append(name)
    return [p for p in PHASES if p in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--clients", type=int, default=16, help="normal concurrent clients")
    parser.add_argument(
        "--attackers", type=int, default=4, help="attacking clients (phases 2 and 3)"
    )
    parser.add_argument(
        "--phases",
        type=parse_phases,
        default=list(PHASES),
        help="all, or e.g. 1,3 / baseline,attack-chain",
    )
    parser.add_argument("--workers", type=int, default=2, help="CRYOPROTECT_WEB_WORKERS")
    parser.add_argument("--threads", type=int, default=8, help="CRYOPROTECT_WEB_THREADS")
    parser.add_argument("--request-timeout", type=float, default=30.0, help="seconds")
    parser.add_argument("--recovery-timeout", type=float, default=60.0, help="seconds (phase 5)")
    parser.add_argument("--rate-limits", action="store_true", help="keep the server's rate limits")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    http = Http(0, args.request_timeout)
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    log(
        f"load benchmark: serve --prod, {args.workers} workers x {args.threads} threads, "
        f"{args.clients} clients, {args.duration:.0f} s per phase, phases {','.join(args.phases)}; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    started = time.monotonic()
    server = Server(args.workers, args.threads, args.rate_limits)
    http.port = server.port
    result: dict[str, Any] = {
        "clients": args.clients,
        "attackers": args.attackers,
        "duration_s": args.duration,
        "workers": args.workers,
        "threads": args.threads,
        "rate_limits": args.rate_limits,
        "phases": {},
    }
    try:
        server.wait_ready(http)
        log(f"server ready in {time.monotonic() - started:.1f} s on port {server.port}")
        users, shared = setup(http, args.clients)
        for op in ("list", "properties", "similarity"):  # warm caches and search indexes
            for user in users[:2]:
                path = {
                    "list": "/api/v1/molecules?per_page=25",
                    "properties": f"/api/v1/mixtures/{user.mixture_id}/properties",
                    "similarity": "/api/v1/molecules/search/similarity",
                }[op]
                body = {"structure": "OCC(O)CO"} if op == "similarity" else None
                http.request("POST" if body else "GET", path, body, user.token)
        for phase in args.phases:
            if phase != PHASES[0]:
                try:
                    server.wait_ready(http)
                except RuntimeError as exc:
                    log(f"{phase}: skipped, the server is not ready: {str(exc).splitlines()[0]}")
                    continue
            log(f"phase {phase} ...")
            # A fresh seed per phase: new molecules must not repeat an earlier phase's.
            kwargs: dict[str, Any] = {
                "request_timeout_s": args.request_timeout,
                "seed": 1000 * (PHASES.index(phase) + 1),
            }
            if phase == "attack":
                kwargs["attackers"] = args.attackers
            elif phase == "attack-chain":
                seeded = seed_lattices(http)
                log(
                    f"  seeded {seeded['molecules']} private lattices in "
                    f"{seeded['registered_in_s']:.1f} s"
                )
                kwargs.update(attackers=args.attackers, attack_query=CHAIN_SMARTS)
            elif phase == "worker-kill":
                kwargs.update(event=kill_worker(server), event_at_s=args.duration / 3)
            elif phase == "postmaster-kill":
                kwargs.update(
                    event=kill_postmaster(server, http, args.recovery_timeout, tail_s=3.0),
                    event_at_s=args.duration / 4,
                )
            summary, outcome, _ = run_traffic(http, users, shared, args.duration, **kwargs)
            if outcome is not None:
                summary["event"] = outcome
            if phase == "attack-chain":
                summary["seeded"] = seeded
            if phase == "postmaster-kill":
                recovered = (outcome or {}).get("recovered_s") is not None
                summary["writes"] = check_writes(
                    http, shared, budget_s=120.0 if recovered else 15.0
                )
            result["phases"][phase] = summary
    finally:
        server.stop()
    result["total_s"] = time.monotonic() - started
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print()
        print_table(result)
        print(f"\ntotal {result['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
