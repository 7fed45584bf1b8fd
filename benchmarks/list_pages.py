"""Molecule list pages at --molecules rows: the index's list orders against the SQL path.

What is timed: ``MoleculeService.list(actor, sort=…, page=…, per_page=25)`` in-process (the
service level, no HTTP), for each sort (name, molecular_weight, created_at) and pages 1,
the middle and 80 % of the way through, for a signed-in caller who sees every row (their
private and team rows among the public ones) and for the anonymous caller (public rows).

* "index": the list as shipped (``services/molecule_list.indexed_page``: the feed synced,
  the page read off the saved list orders, the rows and the exact total re-read under RLS);
* "SQL": the same call with that hook switched off (``ORDER BY … OFFSET``, the total from
  ``molecule_counts``): the baseline, measured in the same run on the same database.

Each timed call's result is compared (ids, order, total) between the two paths. p50/p99 of
--repeat calls (a different page near the target each time, so no plan or page is reused
verbatim), and the ratio SQL p50 / index p50.

The library: --molecules rows inserted by one statement per 100,000 as the service role
(``generate_series``; the benchmark owner's rows: 90 % public, 5 % private, 5 % team),
with distinct names (2 % without a name, mixed case), molecular weights on a 1 mg/mol grid
(so equal weights occur, ordered by id), and creation times in batches of 1,000 (as bulk
imports write them). The rows carry a structure identity but no fingerprint, so the
search indexes stay empty and the index build measures the list orders alone; the list
reads the same columns either way. The database is kept under --home (a marker file), so
later runs skip the load.

Run: ``nice -n 19 .venv/bin/python benchmarks/list_pages.py --molecules 100000 --home /tmp/lp``
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

EMAIL = "list-pages@example.org"
PASSWORD = "list pages benchmark password"  # noqa: S105 - a throwaway local account
SECRET = "list-pages-benchmark-secret-" + "x" * 32
BATCH = 100_000

INSERT = """
INSERT INTO molecules (id, kind, name, smiles, inchikey, formula, molecular_weight,
                       visibility, team_id, created_by, created_at)
SELECT gen_random_uuid(), 'structure',
       CASE WHEN i % 50 = 0 THEN NULL
            WHEN i % 3 = 0 THEN initcap('bench ' || md5(i::text))
            ELSE 'bench ' || md5(i::text) END,
       'C', 'LISTBENCH' || lpad(i::text, 12, '0'), 'CH4',
       50 + (i::bigint * 7919 % 850000) / 1000.0,
       CASE WHEN i % 20 = 0 THEN 'private' WHEN i % 20 = 1 THEN 'team' ELSE 'public' END,
       CASE WHEN i % 20 = 1 THEN CAST(:team AS uuid) END,
       CAST(:owner AS uuid),
       timestamptz '2026-01-01' + (i / 1000) * interval '1 minute'
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS i
"""


def load(home: Path, n: int) -> None:
    """Insert ``n`` molecules into the database under ``home`` unless already there."""
    from cryoprotect.db.database import Database, Identity
    from cryoprotect.services.actor import Actor
    from cryoprotect.services.auth import AuthService
    from cryoprotect.services.teams import TeamService
    from cryoprotect.settings import Settings

    marker = home / f"loaded-{n}"
    if marker.exists():
        return
    import sqlalchemy as sa

    db = Database(Settings(home=home, secret_key=SECRET)).start()
    try:
        db.upgrade()
        user = AuthService(db, db.settings).register(EMAIL, PASSWORD)
        owner = Actor(user_id=user.id, email=EMAIL)
        team = TeamService(db).create(owner, "list pages benchmark team")
        started = time.perf_counter()
        for first in range(1, n + 1, BATCH):
            with db.transaction(Identity.service()) as session:
                session.execute(
                    sa.text(INSERT),
                    {
                        "owner": str(user.id),
                        "team": str(team.id),
                        "first": first,
                        "last": min(n, first + BATCH - 1),
                    },
                )
            print(f"  inserted {min(n, first + BATCH - 1):,}", flush=True)
        print(f"load: {n:,} molecules in {time.perf_counter() - started:.0f} s")
        (home / "owner-id").write_text(str(user.id))
        with db.transaction(Identity.service()) as session:
            session.execute(sa.text("ANALYZE molecules"))
    finally:
        db.stop()
    marker.write_text(str(n))


def percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return statistics.median(ms), p99


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--molecules", type=int, default=100_000)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    args.home.mkdir(parents=True, exist_ok=True)
    load(args.home, args.molecules)

    from cryoprotect.db.database import Database
    from cryoprotect.services.actor import Actor
    from cryoprotect.services.molecule_index import MoleculeIndex
    from cryoprotect.services.molecules import MoleculeService
    from cryoprotect.services.molecules import registry as registry_module
    from cryoprotect.settings import Settings

    db = Database(Settings(home=args.home, secret_key=SECRET)).start()
    try:
        index = MoleculeIndex(db, index_dir=args.home / "indexes")
        service = MoleculeService(db, index)
        started = time.perf_counter()
        index.ensure_loaded()
        print(
            f"index open (built once, then opened): {time.perf_counter() - started:.1f} s; "
            f"list rows {len(index._state.listing):,}"
        )
        owner = Actor(user_id=uuid.UUID((args.home / "owner-id").read_text()), email=EMAIL)
        original = registry_module.indexed_page

        def sql_list(actor: Actor, **kw: Any) -> Any:
            registry_module.indexed_page = lambda *a, **k: None  # type: ignore[assignment]
            try:
                return service.list(actor, **kw)
            finally:
                registry_module.indexed_page = original

        print(
            f"\n{'caller':<10} {'sort':<17} {'page':>8}  {'index p50/p99 ms':>17}  "
            f"{'SQL p50/p99 ms':>17}  {'SQL/index':>9}"
        )
        for who, actor in (("signed-in", owner), ("anonymous", Actor.anonymous())):
            for sort in ("name", "molecular_weight", "created_at"):
                total = service.list(actor, sort=sort, per_page=25).total
                last = max(1, -(-total // 25))
                for label, target in (("1", 1), ("middle", last // 2), ("80 %", int(last * 0.8))):
                    fast_s: list[float] = []
                    sql_s: list[float] = []
                    for i in range(args.repeat):
                        page = max(1, target - i) if target > 1 else 1
                        kw = {"sort": sort, "page": page, "per_page": 25}
                        t0 = time.perf_counter()
                        fast = service.list(actor, **kw)
                        t1 = time.perf_counter()
                        slow = sql_list(actor, **kw)
                        t2 = time.perf_counter()
                        fast_s.append(t1 - t0)
                        sql_s.append(t2 - t1)
                        if fast != slow:
                            raise SystemExit(f"index and SQL pages differ: {who} {kw}")
                    f50, f99 = percentiles(fast_s)
                    s50, s99 = percentiles(sql_s)
                    print(
                        f"{who:<10} {sort:<17} {label + ' (' + str(target) + ')':>8}  "
                        f"{f50:>8.1f}/{f99:<8.1f}  {s50:>8.1f}/{s99:<8.1f}  {s50 / f50:>8.1f}x",
                        flush=True,
                    )
        print("\nissue 17 target: any page p50 <= 50 ms at 1,000,000 molecules")
    finally:
        db.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
