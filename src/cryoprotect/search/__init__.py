"""Stateful search indexes over the molecule library: Tanimoto similarity and substructure.

The molecule service keeps two indexes beside PostgreSQL:

* :class:`SimilarityIndex` (:mod:`.similarity`) answers "the k most similar molecules" on
  Morgan fingerprints (radius 2, 2048 bits, the bytes stored in ``molecules.morgan_fp``).
* :class:`SubstructureIndex` (:mod:`.substructure`) wraps RDKit's ``SubstructLibrary``
  with vectorised screens, page-at-a-time scans, deadlines and isolated (forked) scans
  (:mod:`.isolation`).

Both are concurrent, mutable data structures (locks, snapshots, thread pools), which is
why they live here and not in the pure :mod:`cryoprotect.science`; the pure parts they
use (fingerprints, Tanimoto, query parsing, pattern bits) are in
:mod:`cryoprotect.science.fingerprints` and :mod:`cryoprotect.science.substructure`.

Both return exactly what a brute-force loop would (``BulkTanimotoSimilarity``,
``HasSubstructMatch``); the unit tests and ``benchmarks/`` check it. Callers pass an
``allowed`` callback (:mod:`.visibility`) to keep only ids the actor may see: visibility
is decided by the service (and PostgreSQL), never here. :class:`FeedPosition`
(:mod:`.feed`) is where the change feed that keeps them in step stands: the PostgreSQL
snapshot it has read everything of.

Saved indexes (:mod:`.persist`): both indexes are written as ``.npy`` arrays and byte files
(ids in a sorted :class:`~.keys.KeyColumn`, molecules as RDKit pickles, see
:mod:`.library_block`) and opened as read-only memory maps, so every worker process shares
one copy through the page cache and starts in the same time whatever the library's size;
rows changed since live in the indexes' in-memory blocks on top.

Layer: may import ``science``, ``errors`` and ``settings``; serves ``services`` and the
adapters.
"""

from cryoprotect.search.feed import FeedPosition
from cryoprotect.search.isolation import ISOLATION_AVAILABLE
from cryoprotect.search.similarity import SimilarityIndex
from cryoprotect.search.substructure import SubstructureHits, SubstructureIndex
from cryoprotect.search.visibility import Allowed

__all__ = [
    "ISOLATION_AVAILABLE",
    "Allowed",
    "FeedPosition",
    "SimilarityIndex",
    "SubstructureHits",
    "SubstructureIndex",
]
