"""Store the structural alerts of molecules that have none under the current key.

Registration, the file import and the screen's Parquet import store each new molecule's
alerts beside its descriptors (migration 0022). Molecules stored before that migration, or
whose alerts were found under another :func:`~cryoprotect.science.alerts.alerts_key` (an
older RDKit, another override table), have their alerts found on every read until this
runs (``cryoprotect alerts store``). It reads the library in batches by molecule id, finds
each batch's alerts (in ``processes`` worker processes) and writes them with one UPDATE per
batch, each batch in its own transaction as the service role: an interrupted run keeps
what it committed, and running it again continues with what is left.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context

import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity
from cryoprotect.errors import CryoprotectError, ValidationError
from cryoprotect.science.alerts import alerts_for_smiles, alerts_key, encode_alerts

BATCH_ROWS = 2000

_PENDING = sa.text(
    """
    SELECT d.molecule_id, m.smiles
    FROM molecule_descriptors d
    JOIN molecules m ON m.id = d.molecule_id
    WHERE d.molecule_id > :after
      AND d.alerts_key IS DISTINCT FROM :key
      AND m.smiles IS NOT NULL
    ORDER BY d.molecule_id
    LIMIT :limit
    """
)
_STORE = sa.text(
    """
    UPDATE molecule_descriptors d
    SET alerts = found.alerts, alerts_key = :key
    FROM unnest(CAST(:ids AS uuid[]), CAST(:alerts AS jsonb[])) AS found(id, alerts)
    WHERE d.molecule_id = found.id
    """
)


@dataclass
class StoredAlertsReport:
    """What a run did: ``stored`` molecules' alerts written, ``failed`` whose SMILES did not
    parse (left as they were: found on read, which reports the error)."""

    stored: int = 0
    failed: int = 0


def _encoded(smiles: str) -> str | None:
    try:
        return json.dumps(encode_alerts(alerts_for_smiles(smiles)))
    except CryoprotectError:
        return None


def store_alerts(
    db: Database,
    *,
    batch_rows: int = BATCH_ROWS,
    processes: int = 1,
    progress: Callable[[int], None] | None = None,
) -> StoredAlertsReport:
    """Find and store the alerts of every molecule without current stored alerts.

    ``progress`` is called with the number of molecules done after each batch.
    """
    if batch_rows < 1:
        raise ValidationError("batch_rows must be at least 1.", field="batch_rows")
    if processes < 1:
        raise ValidationError("processes must be at least 1.", field="processes")
    key = alerts_key()
    report = StoredAlertsReport()
    with _encoder(processes) as encode:
        after = uuid.UUID(int=0)
        while True:
            with db.transaction(Identity.service()) as session:
                rows = session.execute(
                    _PENDING, {"after": after, "key": key, "limit": batch_rows}
                ).all()
                if not rows:
                    return report
                after = rows[-1].molecule_id
                found = [
                    (row.molecule_id, encoded)
                    for row, encoded in zip(rows, encode([r.smiles for r in rows]), strict=True)
                    if encoded is not None
                ]
                if found:
                    session.execute(
                        _STORE,
                        {
                            "ids": [i for i, _ in found],
                            "alerts": [a for _, a in found],
                            "key": key,
                        },
                    )
            report.stored += len(found)
            report.failed += len(rows) - len(found)
            if progress is not None:
                progress(len(rows))


@contextmanager
def _encoder(processes: int) -> Iterator[Callable[[list[str]], Iterable[str | None]]]:
    """``encode(smiles) -> encoded alerts`` in this process, or in a pool of ``processes``."""
    if processes == 1:
        yield lambda smiles: map(_encoded, smiles)
        return
    with ProcessPoolExecutor(max_workers=processes, mp_context=get_context("forkserver")) as pool:
        yield lambda smiles: pool.map(_encoded, smiles, chunksize=64)
