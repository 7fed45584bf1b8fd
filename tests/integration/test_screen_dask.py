"""`cryoprotect screen` on a real Dask cluster (issue 17, item 1): a `dask scheduler` and two
`dask worker` processes on loopback, started here as separate processes as on real machines.

The distributed engine gives the local engine's rows and ranks (plus a source column), reads
many files (gzip, SDF, Parquet), writes a partitioned Parquet directory and a rejects file;
a bad file fails the run naming it; a worker killed with SIGKILL mid-run costs only its
in-flight partitions: every input row is in the output exactly once.
"""

from __future__ import annotations

import csv
import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from distributed import Client
from rdkit import RDConfig

from cryoprotect.cli import main
from cryoprotect.ml.molecule_features import FREESOLV_TARGET, load_freesolv
from cryoprotect.ml.train import train
from cryoprotect.services.screening import screen_file
from cryoprotect.services.screening_dask import SCHEDULER_ENV, screen_files_dask

pytestmark = pytest.mark.integration

NCI = Path(RDConfig.RDDataDir) / "NCI"
DASK = Path(sys.executable).parent / "dask"


def _nci_lines(count: int) -> list[str]:
    lines = [ln for ln in (NCI / "first_5K.smi").read_text().splitlines() if ln.strip()]
    return lines[:count]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A scheduler and ``workers`` single-threaded worker processes (no nanny: a killed
    worker stays dead)."""

    def __init__(self, directory: Path, workers: int = 2) -> None:
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        port = self.address.rsplit(":", 1)[1]
        log = (directory / "dask.log").open("ab")
        common = {"stdout": log, "stderr": subprocess.STDOUT, "cwd": directory}
        self.scheduler = subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
            **common,  # type: ignore[call-overload]
        )
        self.workers = [
            subprocess.Popen(
                [
                    str(DASK),
                    "worker",
                    self.address,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                    "--name",
                    f"w{i}",
                    "--local-directory",
                    str(directory / f"w{i}"),
                ],
                **common,  # type: ignore[call-overload]
            )  # fmt: skip
            for i in range(workers)
        ]
        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(tmp_path_factory.mktemp("dask"))
    yield running
    running.stop()


def _library(tmp_path: Path) -> list[Path]:
    """Four files of four formats (with failing rows): SMILES, gzip CSV, SDF and Parquet."""
    lines = _nci_lines(150)
    smi = tmp_path / "a.smi"
    smi.write_text("\n".join([*lines[:60], "C1CC broken_ring", *lines[60:100]]) + "\n")
    csv_gz = tmp_path / "b.csv.gz"
    rows = [f"{ln.split()[0]},{ln.split()[1]}" for ln in lines[100:130]]
    csv_gz.write_bytes(gzip.compress(("smiles,name\n" + "\n".join(rows) + "\n").encode()))
    sdf = tmp_path / "c.sdf"
    shutil.copy(NCI / "first_200.props.sdf", sdf)
    parquet = tmp_path / "d.parquet"
    smiles = [ln.split()[0] for ln in lines[130:150]] + ["not_a_smiles"]
    pq.write_table(pa.table({"smiles": smiles, "name": [f"p{i}" for i in range(21)]}), parquet)
    return [smi, csv_gz, sdf, parquet]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_same_rows_and_ranks_as_the_local_engine(cluster: Cluster, tmp_path: Path) -> None:
    source = tmp_path / "one.smi"
    source.write_text("\n".join([*_nci_lines(120), "C1CC broken"]) + "\n")
    screen_file(source, tmp_path / "local.csv", processes=1)
    with Client(cluster.address) as client:
        summary = screen_files_dask(
            [source], csv_output=tmp_path / "dask.csv", partition_rows=17, client=client
        )
    assert (summary.total, summary.failed, summary.partitions, summary.workers) == (121, 1, 8, 2)
    local = (tmp_path / "local.csv").read_text().splitlines()
    dask_lines = (tmp_path / "dask.csv").read_text().splitlines()
    assert dask_lines[0] == local[0] + ",source"
    assert [ln.removesuffix(",one.smi") for ln in dask_lines[1:]] == local[1:]
    assert _csv(tmp_path / "dask.rejects.csv") == [
        {"source": "one.smi", "row": "121", "input": "C1CC", "reason": _csv(
            tmp_path / "local.csv")[-1]["error"]}
    ]  # fmt: skip


def test_many_formats_to_parquet_and_top_csv_through_the_cli(
    cluster: Cluster, tmp_path: Path
) -> None:
    sources = _library(tmp_path)
    out = tmp_path / "ranked"
    top = tmp_path / "top.csv"
    result = CliRunner().invoke(
        main,
        ["screen", *map(str, sources), "--parquet", str(out), "-o", str(top), "--top", "25",
         "--partition-rows", "16"],
        env={SCHEDULER_ENV: cluster.address},
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "352 molecules:" in result.output and "on 2 workers" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        p.name for p in out.iterdir() if p.name.startswith("part-")
    )
    table = pq.read_table(out)
    assert table.num_rows == 100 + 1 + 30 + 200 + 21
    assert sorted(table.column("rank").to_pylist()) == list(range(1, table.num_rows + 1))
    seen = Counter(
        zip(table.column("source").to_pylist(), table.column("input_row").to_pylist(), strict=True)
    )
    expected = Counter(
        [("a.smi", n) for n in range(1, 102)]
        + [("b.csv.gz", n) for n in range(2, 32)]
        + [("c.sdf", n) for n in range(1, 201)]
        + [("d.parquet", n) for n in range(1, 22)]
    )
    assert seen == expected
    best = _csv(top)
    assert [int(r["rank"]) for r in best] == list(range(1, 26))
    ranked = table.sort_by("rank").slice(0, 25)
    assert [r["inchikey"] for r in best] == ranked.column("inchikey").to_pylist()
    keys = [float(r["alert_adjusted_score"]) for r in best]
    assert keys == sorted(keys, reverse=True)
    rejects = _csv(tmp_path / "top.rejects.csv")  # beside the CSV
    assert {(r["source"], r["row"]) for r in rejects} >= {("a.smi", "61"), ("d.parquet", "21")}
    failed = table.filter(pc.not_equal(table.column("error"), ""))
    assert failed.num_rows == len(rejects)
    assert min(failed.column("rank").to_pylist()) > table.num_rows - len(rejects)


def test_a_bad_file_fails_fast_naming_it(cluster: Cluster, tmp_path: Path) -> None:
    good = tmp_path / "good.smi"
    good.write_text("\n".join(_nci_lines(50)) + "\n")
    bad = tmp_path / "truncated.smi.gz"
    bad.write_bytes(gzip.compress(good.read_bytes() * 20)[:-64])
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        main,
        ["screen", str(good), str(bad), "-o", str(out), "--scheduler", cluster.address],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert "truncated.smi.gz" in result.output and "cannot be read" in result.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".screen-staging")] == []


def test_molecule_model_predictions_match_the_local_engine(
    cluster: Cluster, tmp_path: Path
) -> None:
    data = load_freesolv()
    model = train(
        data.subset(range(0, len(data), 3)),
        FREESOLV_TARGET,
        "ridge",
        nested=False,
        param_grid={"model__alpha": [10.0]},
    )
    source = tmp_path / "lib.smi"
    source.write_text("OCC(O)CO glycerol\nCCO ethanol\nC1CC broken\n" + "\n".join(_nci_lines(40)))
    screen_file(source, tmp_path / "local.csv", processes=1, model=model)
    with Client(cluster.address) as client:
        screen_files_dask(
            [source], csv_output=tmp_path / "dask.csv", model=model, partition_rows=9,
            client=client,
        )  # fmt: skip
    local = _csv(tmp_path / "local.csv")
    distributed = _csv(tmp_path / "dask.csv")
    assert f"predicted_{FREESOLV_TARGET}_upper" in distributed[0]
    assert [{k: v for k, v in r.items() if k != "source"} for r in distributed] == local
    assert any(r["prediction_in_domain"] == "true" for r in distributed)


def test_a_local_cluster_by_default(tmp_path: Path) -> None:
    source = tmp_path / "lib.smi"
    source.write_text("\n".join(_nci_lines(30)) + "\n")
    out = tmp_path / "ranked"
    result = CliRunner().invoke(
        main,
        ["screen", str(source), "--engine", "dask", "--processes", "1", "--parquet", str(out)],
        env={SCHEDULER_ENV: None},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "30 molecules: 30 scored, 0 failed" in result.output and "on 1 workers" in result.output
    assert pq.read_table(out).num_rows == 30


def _kill_busy_worker(cluster: Cluster, done: list[int]) -> dict[str, Any]:
    """Once a partition has finished, SIGKILL a worker that is processing one."""
    deadline = time.monotonic() + 120
    while not done and time.monotonic() < deadline:
        time.sleep(0.05)
    with Client(cluster.address) as monitor:
        processing = monitor.processing()
        workers = monitor.scheduler_info()["workers"]
        busy = next(address for address, tasks in processing.items() if tasks)
        in_flight = len(processing[busy])
    victim = cluster.workers[int(str(workers[busy]["name"]).removeprefix("w"))]
    pid = victim.pid
    os.kill(pid, signal.SIGKILL)
    victim.wait(timeout=30)
    return {"pid": pid, "in_flight": in_flight, "returncode": victim.returncode}


def test_a_worker_killed_mid_run_costs_only_its_partitions(tmp_path: Path) -> None:
    directory = tmp_path / "cluster"
    directory.mkdir()
    cluster = Cluster(directory)
    try:
        source = tmp_path / "lib.smi"
        lines = _nci_lines(1200)
        source.write_text("\n".join(lines) + "\n")
        out = tmp_path / "ranked"
        done: list[int] = []
        outcome: dict[str, Any] = {}

        def run() -> None:
            with Client(cluster.address) as client:
                outcome["summary"] = screen_files_dask(
                    [source], parquet_dir=out, csv_output=tmp_path / "ranked.csv",
                    partition_rows=40, progress=done.append, client=client,
                )  # fmt: skip

        runner = threading.Thread(target=run)
        runner.start()
        killed = _kill_busy_worker(cluster, done)
        finished_before_kill = "summary" in outcome
        runner.join(timeout=300)
        assert not runner.is_alive()
        assert killed["returncode"] == -signal.SIGKILL and killed["in_flight"] >= 1
        assert not finished_before_kill and len(done) == 30
        summary = outcome["summary"]
        assert summary.total == 1200 and summary.workers == 1
        table = pq.read_table(out)
        rows = Counter(table.column("input_row").to_pylist())
        assert rows == Counter(range(1, 1201))
        assert sorted(table.column("rank").to_pylist()) == list(range(1, 1201))
        assert Counter(int(r["input_row"]) for r in _csv(tmp_path / "ranked.csv")) == rows
    finally:
        cluster.stop()


def test_the_local_engine_stays_default_and_reads_gzip(tmp_path: Path) -> None:
    plain = tmp_path / "lib.smi"
    plain.write_text("\n".join(_nci_lines(20)) + "\n")
    packed = tmp_path / "lib.smi.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    runner = CliRunner()
    env = {SCHEDULER_ENV: None}
    for source, out in ((plain, "plain.csv"), (packed, "packed.csv")):
        result = runner.invoke(
            main, ["screen", str(source), "-o", str(tmp_path / out), "--processes", "1"], env=env
        )
        assert result.exit_code == 0 and "(local)" in result.output, result.output
    assert (tmp_path / "plain.csv").read_text() == (tmp_path / "packed.csv").read_text()
    refusals = {
        ("screen", str(plain), str(packed), "-o", "x.csv"): "use --engine dask",
        ("screen", str(plain), "-o", "x.csv", "--parquet", "d"): "need --engine dask",
        ("screen", str(plain), "-o", "x.csv", "--engine", "local", "--scheduler", "tcp://h:1"): (
            "--scheduler needs --engine dask"
        ),
        ("screen", str(plain)): "needs -o/--output",
    }
    for args, message in refusals.items():
        result = runner.invoke(main, list(args), env=env)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
