"""ModelService checks that come before the database (no server needed)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.ml import train as ml_train
from cryoprotect.services.actor import Actor
from cryoprotect.services.models import ModelService


def test_an_unknown_algorithm_is_a_validation_error_naming_the_known_ones() -> None:
    db: Any = SimpleNamespace(settings=SimpleNamespace(training_timeout_s=1.0))
    actor = Actor(user_id=uuid.uuid4())
    with pytest.raises(ValidationError) as caught:
        ModelService(db).create_pending(
            actor, dataset="d", target="viability_percent", algorithm="no-such-algorithm"
        )
    assert caught.value.field == "algorithm"
    assert caught.value.message == (
        f"algorithm must be one of {', '.join(sorted(ml_train.ALGORITHMS.names()))}."
    )
