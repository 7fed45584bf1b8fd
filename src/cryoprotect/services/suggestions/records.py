"""What the suggestion service returns: typed records that ``api/suggestions.py`` dumps.

The parts the API publishes as free-form objects (a suggestion's composition, prediction,
acquisition terms, physics and constraints; the incumbent, the space, the candidate counts)
stay plain dicts here, as the schema describes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AcquisitionRule:
    """The acquisition rule a batch was picked with, its parameters and where the
    model's uncertainty came from."""

    rule: str
    description: str
    parameters: dict[str, Any]
    uncertainty_source: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One formulation to test next: its prediction, acquisition value and why it was picked."""

    rank: int
    composition: list[dict[str, Any]]
    prediction: dict[str, Any]
    acquisition: dict[str, Any]
    picked_for: str
    why: str
    physics: dict[str, Any] | None
    makeable: dict[str, Any]
    constraints: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class SuggestionBatch:
    """A batch of suggestions with the model, rule, incumbent, space and candidate counts
    it was drawn from, and notes on what was not checked."""

    model_id: uuid.UUID
    model_version: int | None
    target: str
    goal: str
    acquisition: AcquisitionRule
    incumbent: dict[str, Any]
    space: dict[str, Any]
    candidates: dict[str, Any]
    suggestions: list[Suggestion]
    notes: list[str]
