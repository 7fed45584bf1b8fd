"""The visibility filter callers pass to the indexes, and how the indexes ask it.

Visibility is decided by the service (and PostgreSQL), never by an index: an index asks
the caller's ``allowed`` callback about candidate ids, in small batches, once per id.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Allowed", "accept_ranked", "decide"]

Allowed = Callable[[list[str]], list[bool]]
"""Visibility filter: given candidate ids, says for each whether the caller may see it."""


def accept_ranked(
    ranked: list[tuple[float, str]], k: int, allowed: Allowed | None, decided: dict[str, bool]
) -> list[tuple[str, float]]:
    """The first k ranked entries the filter allows (asking it in small batches, once per id).

    Args:
        ranked: ``(-score, id)`` pairs, best first.
        k: hits wanted.
        allowed: the caller's filter (None: everything is visible).
        decided: verdicts already known, updated in place.

    Returns:
        ``(id, score)`` pairs.
    """
    if allowed is None:
        return [(key, -negated) for negated, key in ranked[:k]]
    hits: list[tuple[str, float]] = []
    position = 0
    while position < len(ranked) and len(hits) < k:
        window = ranked[position : position + max(2 * (k - len(hits)), 16)]
        position += len(window)
        decide([key for _, key in window], allowed, decided)
        for negated, key in window:
            if decided[key]:
                hits.append((key, -negated))
                if len(hits) == k:
                    break
    return hits


def decide(keys: list[str], allowed: Allowed, decided: dict[str, bool]) -> None:
    """Ask ``allowed`` about the keys not yet in ``decided`` (once each) and record the answers.

    Raises:
        ValueError: the filter returned a different number of answers than it was asked.
    """
    pending = list(dict.fromkeys(key for key in keys if key not in decided))
    if not pending:
        return
    verdicts = list(allowed(pending))
    if len(verdicts) != len(pending):
        raise ValueError(f"allowed() returned {len(verdicts)} answers for {len(pending)} ids")
    decided.update(zip(pending, map(bool, verdicts), strict=True))
