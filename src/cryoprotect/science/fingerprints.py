"""Morgan fingerprints as packed bytes, and Tanimoto on their 64-bit words.

Pure functions over plain data: the fingerprint stored in ``molecules.morgan_fp``
(radius 2, 2048 bits, 256 bytes), its RDKit ``ExplicitBitVect``, and the vectorised
popcount / Tanimoto arithmetic the similarity index (:mod:`cryoprotect.search`) runs on.

Fingerprint bytes: bit ``i`` of the 2048-bit vector is bit ``i % 8`` of byte ``i // 8``
(the FPS format's little-endian order; ``numpy.packbits(..., bitorder="little")``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from cryoprotect.errors import ValidationError

__all__ = [
    "FP_BITS",
    "FP_BYTES",
    "FP_WORDS",
    "MORGAN_RADIUS",
    "check_fingerprint_bytes",
    "fingerprint_to_bitvect",
    "fingerprint_words",
    "morgan_fingerprint",
    "popcounts",
    "tanimoto_scores",
]

FP_BITS = 2048
FP_BYTES = FP_BITS // 8
FP_WORDS = FP_BITS // 64
MORGAN_RADIUS = 2

_local = threading.local()


def _morgan_generator() -> Any:
    generator = getattr(_local, "morgan", None)
    if generator is None:  # one generator per thread: RDKit generators keep scratch state
        generator = rdFingerprintGenerator.GetMorganGenerator(radius=MORGAN_RADIUS, fpSize=FP_BITS)
        _local.morgan = generator
    return generator


def morgan_fingerprint(mol: Chem.Mol) -> bytes:
    """Morgan fingerprint (radius 2, 2048 bits) packed into 256 bytes.

    Args:
        mol: a sanitised RDKit molecule.

    Returns:
        256 bytes; bit ``i`` is bit ``i % 8`` of byte ``i // 8``.
    """
    bits = _morgan_generator().GetFingerprintAsNumPy(mol)
    return np.packbits(bits, bitorder="little").tobytes()


def fingerprint_to_bitvect(fp: bytes) -> DataStructs.ExplicitBitVect:
    """The RDKit ``ExplicitBitVect`` of packed fingerprint bytes (inverse of the packing)."""
    check_fingerprint_bytes(fp)
    return DataStructs.CreateFromFPSText(bytes(fp).hex())


def check_fingerprint_bytes(fp: object) -> None:
    """Raise unless ``fp`` is a bytes-like fingerprint of exactly :data:`FP_BYTES` bytes.

    Raises:
        ValidationError: wrong type or size (``field="fingerprint"``).
    """
    if not isinstance(fp, bytes | bytearray | memoryview) or len(fp) != FP_BYTES:
        size = len(fp) if isinstance(fp, bytes | bytearray | memoryview) else type(fp).__name__
        raise ValidationError(
            f"A fingerprint must be {FP_BYTES} bytes, got {size}.", field="fingerprint"
        )


def fingerprint_words(fps: Sequence[bytes] | NDArray[np.uint8]) -> NDArray[np.uint64]:
    """Packed fingerprints as an (n, 32) array of little-endian 64-bit words.

    Raises:
        ValidationError: a fingerprint has the wrong size, or the array the wrong shape.
    """
    if isinstance(fps, np.ndarray):
        if fps.ndim != 2 or fps.shape[1] != FP_BYTES or fps.dtype != np.uint8:
            raise ValidationError(
                f"Fingerprint arrays must be uint8 of shape (n, {FP_BYTES}).", field="fingerprint"
            )
        raw = np.ascontiguousarray(fps)
    else:
        for fp in fps:
            check_fingerprint_bytes(fp)
        raw = np.frombuffer(b"".join(fps), dtype=np.uint8).reshape(-1, FP_BYTES)
    return raw.view("<u8").astype(np.uint64, copy=True)


def popcounts(words: NDArray[np.uint64]) -> NDArray[np.int64]:
    """Bits set in each row of an (n, words) array."""
    counts: NDArray[np.int64] = np.bitwise_count(words).sum(axis=1, dtype=np.int64)
    return counts


def tanimoto_scores(
    words: NDArray[np.uint64], counts: NDArray[np.int64], query: NDArray[np.uint64], qcount: int
) -> NDArray[np.float64]:
    """Exact Tanimoto (float64 ``common / union``, 0 when both are empty, as RDKit does).

    Args:
        words: (n, 32) fingerprint words; ``counts`` their popcounts.
        query: the query's 32 words; ``qcount`` its popcount.
    """
    common = np.bitwise_count(words & query).sum(axis=1, dtype=np.int64)
    union = counts + qcount - common
    scores = np.zeros(common.shape[0], dtype=np.float64)
    np.divide(common, union, out=scores, where=union > 0)
    return scores
