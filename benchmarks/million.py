"""A library of --molecules (default 1,000,000) in the app: start-up, memory per worker, HTTP.

1. Library: ``million_library.generate(n, seed=17)`` (distinct drug/CPA-like molecules),
   screened once into the screen's Parquet (``screen --engine dask``, 2 processes) and
   cached under --cache; bulk-loaded through the COPY path (``import_screen_parquet``,
   public scope, one signed-in user) into the embedded PostgreSQL of --home (kept, so later
   runs skip the load; a marker file records what was loaded).
2. For each --workers count: ``cryoprotect serve --prod`` on loopback with
   CRYOPROTECT_WEB_WORKERS=w. Start-up = seconds until ``/health/ready`` answers 200 and
   every worker is up; the first start after the load is "cold" (nothing built yet), a
   restart is "warm". Memory per process after the queries below have run, for the serve
   parent, the gunicorn master and each worker: RSS from ``/proc/<pid>/status`` (RssAnon
   heap, which after gunicorn's fork may still be shared copy-on-write with the master;
   RssFile + RssShmem, mapped files such as the saved index) and from ``smaps_rollup`` PSS
   (shared pages divided among the processes mapping them) and private pages (what the
   process's exit would free). What a worker adds is read from the sum of PSS over all
   processes: its growth from one worker count to the next, per worker added.
3. Through HTTP with the signed-in user (RLS applies; rate limits off), sequentially,
   --repeat times each: similarity top-10 (a library structure), substructure first page
   (four patterns), text search (``?q=`` a molecule's name), list page 1 and a deep page
   (80 % of the way through, page 40,000 at 1M) in the default order (name), and the same
   deep page by molecular weight and newest first. p50/p99 in ms; the targets of issue 17
   are printed beside them. Deep pages are read from the index's list orders
   (``services/molecule_list.py``); ``benchmarks/list_pages.py`` measures them against the
   SQL path (``OFFSET``) in one run.

Absolute timings depend on the machine's load (2 cores shared here): run the baseline (the
code before a change) in the same session and compare ratios.

Run: ``.venv/bin/python benchmarks/million.py --molecules 100000 --home /tmp/m100k``
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from load import Http, free_port  # benchmarks/ is on sys.path when run as a script
from million_library import write_smiles

PASSWORD = "million benchmark password"  # noqa: S105 - a throwaway local account
EMAIL = "million@example.org"
PATTERNS = ("c1ccncc1", "C(=O)N", "OCC(O)CO", "C1CCOCC1")
TARGETS_MS = {
    "similarity top-10": (30, 100),
    "substructure first page": (50, None),
    "text search": (50, None),
    "list page 1": (50, None),
    "list deep page": (50, None),
    "list deep page by weight": (50, None),
    "list deep page, newest first": (50, None),
}


def library(n: int, cache: Path) -> Path:
    """The screen's Parquet directory of the first ``n`` generated molecules (cached)."""
    from cryoprotect.services.screening_dask import screen_files_dask

    out = cache / f"screen-{n}"
    if (out / "_done").exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    smi = cache / f"library-{n}.smi"
    started = time.perf_counter()
    write_smiles(smi, n)
    print(f"generated {n} molecules in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    summary = screen_files_dask([smi], parquet_dir=out, processes=2)
    print(
        f"screened {summary.total} ({summary.failed} failed) in {time.perf_counter() - started:.0f} s"
    )
    (out / "_done").write_text(str(summary.total))
    return out


def load(home: Path, parquet: Path, n: int, secret: str) -> None:
    """Bulk-load ``parquet`` into ``home`` as EMAIL (public scope), unless already there."""
    marker = home / f"loaded-{n}"
    if marker.exists():
        return
    from cryoprotect.db.database import Database
    from cryoprotect.services.actor import Actor
    from cryoprotect.services.auth import AuthService
    from cryoprotect.services.molecules.bulk import import_screen_parquet
    from cryoprotect.settings import Settings

    settings = Settings(home=home, secret_key=secret)
    db = Database(settings).start()
    try:
        db.upgrade()
        user = AuthService(db, settings).register(EMAIL, PASSWORD)
        actor = Actor(user_id=user.id, email=EMAIL)
        started = time.perf_counter()
        report = import_screen_parquet(db, actor, parquet, visibility="public")
        took = time.perf_counter() - started
        print(
            f"COPY import: {report.total} rows, {report.created} added in {took:.0f} s "
            f"({report.total / took:.0f} mol/s)"
        )
    finally:
        db.stop()
    marker.write_text(str(n))


def proc_memory(pid: int) -> dict[str, int]:
    """Memory of ``pid`` in KiB: RssAnon, RssFile, RssShmem (``/proc/<pid>/status``) and Pss,
    Private (= Private_Clean + Private_Dirty, the USS: what the process's exit would free)
    from ``/proc/<pid>/smaps_rollup``."""
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("RssAnon", "RssFile", "RssShmem"):
                values[key] = int(rest.split()[0])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            key, _, rest = line.partition(":")
            if key == "Pss":
                values["Pss"] = int(rest.split()[0])
            elif key in ("Private_Clean", "Private_Dirty"):
                values["Private"] = values.get("Private", 0) + int(rest.split()[0])
    return values


class Serve:
    """``cryoprotect serve --prod`` on an existing home."""

    def __init__(self, home: Path, workers: int, secret: str) -> None:
        self.port = free_port()
        self.workers = workers
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            CRYOPROTECT_HOME=str(home),
            CRYOPROTECT_SECRET_KEY=secret,
            CRYOPROTECT_WEB_WORKERS=str(workers),
            CRYOPROTECT_LOG_LEVEL="WARNING",
            RATELIMIT_ENABLED="false",
        )
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log = home / f"serve-{workers}.log"
        self.started = time.perf_counter()
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
                [sys.executable, "-c", "from cryoprotect.cli import main; main()", "serve"]
                + ["--prod", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.http = Http(self.port, timeout_s=120)

    def processes(self) -> tuple[psutil.Process | None, list[psutil.Process]]:
        master = None
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(self.proc.pid).children():
                if "gunicorn" in " ".join(child.cmdline()):
                    master = child
        workers = []
        if master is not None:
            with contextlib.suppress(psutil.Error):
                workers = sorted(master.children(), key=lambda p: p.pid)
        return master, workers

    def wait_ready(self, timeout_s: float) -> float:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited: {self.log.read_text()[-2000:]}")
            ready = self.http.request("GET", "/health/ready").status == 200
            if ready and len(self.processes()[1]) >= self.workers:
                return time.perf_counter() - self.started
            time.sleep(0.25)
        raise RuntimeError(f"not ready after {timeout_s} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def percentiles(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


def timed(http: Http, method: str, path: str, token: str, body: Any = None) -> float:
    reply = http.request(method, path, body, token)
    if reply.status != 200:
        raise RuntimeError(f"{method} {path}: {reply.status} {str(reply.body)[:300]}")
    return reply.latency_s


def queries(serve: Serve, n: int, repeat: int, smiles: list[str]) -> dict[str, list[float]]:
    http = serve.http
    login = http.request("POST", "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
    if login.status != 200:
        raise RuntimeError(f"login: {login.status} {login.body}")
    token = login.body["access_token"]
    deep = max(1, int(n / 25 * 0.8))
    out: dict[str, list[float]] = {name: [] for name in TARGETS_MS}
    # one warm-up of each kind (first-request costs are start-up, reported separately)
    timed(http, "POST", "/api/v1/molecules/search/similarity", token, {"structure": smiles[0]})
    timed(http, "GET", "/api/v1/molecules?per_page=25&page=1", token)
    for i in range(repeat):
        structure = smiles[(i * 7919) % len(smiles)]
        out["similarity top-10"].append(
            timed(
                http,
                "POST",
                "/api/v1/molecules/search/similarity",
                token,
                {"structure": structure, "k": 10},
            )
        )
        pattern = PATTERNS[i % len(PATTERNS)]
        out["substructure first page"].append(
            timed(
                http,
                "POST",
                "/api/v1/molecules/search/substructure",
                token,
                {"query": pattern, "max_hits": 25},
            )
        )
        name = f"lib-{(i * 104729) % n + 1}"
        out["text search"].append(
            timed(http, "GET", f"/api/v1/molecules?q={name}&per_page=25", token)
        )
        out["list page 1"].append(timed(http, "GET", "/api/v1/molecules?per_page=25&page=1", token))
        page = deep - i  # a different deep page each time (no cached plan of one page)
        out["list deep page"].append(
            timed(http, "GET", f"/api/v1/molecules?per_page=25&page={page}", token)
        )
        for label, sort in (
            ("list deep page by weight", "molecular_weight"),
            ("list deep page, newest first", "created_at"),
        ):
            out[label].append(
                timed(http, "GET", f"/api/v1/molecules?per_page=25&page={page}&sort={sort}", token)
            )
    return out


def report_memory(serve: Serve) -> tuple[list[str], float]:
    """One line per process (serve parent, gunicorn master, each worker) and the sum of PSS
    over all of them in MiB (shared pages divided among the processes that map them)."""
    master, workers = serve.processes()
    rows, pss_total = [], 0.0
    for label, pid in (
        [("serve parent", serve.proc.pid)]
        + ([("gunicorn master", master.pid)] if master else [])
        + [(f"worker {i + 1}", w.pid) for i, w in enumerate(workers)]
    ):
        mem = {key: value / 1024 for key, value in proc_memory(pid).items()}
        pss_total += mem.get("Pss", 0.0)
        rows.append(
            f"    {label:16s} anon {mem.get('RssAnon', 0):7.1f}  file {mem.get('RssFile', 0):7.1f}  "
            f"shmem {mem.get('RssShmem', 0):6.1f}  PSS {mem.get('Pss', 0):7.1f}  "
            f"private {mem.get('Private', 0):7.1f}  (MiB)"
        )
    return rows, pss_total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--molecules", type=int, default=1_000_000)
    parser.add_argument("--home", type=Path, required=True, help="CRYOPROTECT_HOME (kept)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cryoprotect-million"))  # noqa: S108
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--start-timeout", type=float, default=1800)
    args = parser.parse_args(argv)
    secret_file = args.home / "benchmark-secret"
    args.home.mkdir(parents=True, exist_ok=True)
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(48))
    secret = secret_file.read_text()
    parquet = library(args.molecules, args.cache)
    load(args.home, parquet, args.molecules, secret)
    smi = args.cache / f"library-{args.molecules}.smi"
    sample = [line.split()[0] for line, _ in zip(smi.open(), range(5000), strict=False)]
    print(f"{args.molecules} molecules, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    first = True
    previous: tuple[int, float] | None = None
    for workers in [int(w) for w in args.workers.split(",")]:
        starts = []
        for _ in range(2 if first else 1):
            serve = Serve(args.home, workers, secret)
            try:
                starts.append(serve.wait_ready(args.start_timeout))
                if first and len(starts) == 1:
                    serve.stop()
                    continue
                results = queries(serve, args.molecules, args.repeat, sample)
                rss, pss_total = report_memory(serve)
            finally:
                serve.stop()
        label = f"cold {starts[0]:.1f} s, warm {starts[1]:.1f} s" if first else f"{starts[0]:.1f} s"
        first = False
        print(f"\n{workers} worker(s): start-up {label}; memory after the queries:")
        print("\n".join(rss))
        grown = ""
        if previous is not None:
            per_worker = (pss_total - previous[1]) / (workers - previous[0])
            grown = f"; {per_worker:.1f} MiB per worker added since {previous[0]} worker(s)"
        print(f"    sum of PSS over these processes {pss_total:.1f} MiB{grown}")
        previous = (workers, pss_total)
        for name, seconds in results.items():
            p50, p99 = percentiles(seconds)
            t50, t99 = TARGETS_MS[name]
            target = f"target p50 <= {t50}" + (f", p99 <= {t99}" if t99 else "")
            print(f"    {name:24s} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({target})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
