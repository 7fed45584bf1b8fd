"""The change feed's position (a PostgreSQL snapshot) and the indexes' content accessors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdkit import Chem

from cryoprotect.science.fingerprints import morgan_fingerprint
from cryoprotect.search import FeedPosition, SimilarityIndex, SubstructureIndex

pytestmark = pytest.mark.unit


def test_parse_and_text_round_trip() -> None:
    position = FeedPosition.parse("740:760:742,755")
    assert position == FeedPosition(740, 760, (742, 755))
    assert str(position) == "740:760:742,755"
    assert FeedPosition.parse("12:12:") == FeedPosition(12, 12)
    assert str(FeedPosition(12, 12)) == "12:12:"


@pytest.mark.parametrize("text", ["", "1:2", "a:b:", "5:3:", "3:9:10", "3:9:2"])
def test_parse_rejects_what_is_not_a_snapshot(text: str) -> None:
    with pytest.raises(ValueError):
        FeedPosition.parse(text)


def test_shows_follows_pg_visible_in_snapshot() -> None:
    position = FeedPosition(740, 760, (742, 755))
    assert position.shows(3) and position.shows(739) and position.shows(741)
    assert not position.shows(742) and not position.shows(755)
    assert position.shows(759)
    assert not position.shows(760) and not position.shows(10**12)
    assert position.unseen() == (760, (742, 755))


@given(
    st.integers(0, 1000),
    st.integers(0, 1000),
    st.integers(0, 1000),
    st.integers(0, 1000),
)
def test_advance_never_moves_backward(xmin1: int, span1: int, xmin2: int, span2: int) -> None:
    old = FeedPosition(xmin1, xmin1 + span1)
    new = FeedPosition(xmin2, xmin2 + span2)
    after = old.advance(new)
    assert after.xmin >= old.xmin and after.xmax >= old.xmax
    assert after in (old, new)
    if new.xmin >= old.xmin and new.xmax >= old.xmax:
        assert after == new


def test_indexes_report_what_they_hold() -> None:
    smiles = {"a": "CCO", "b": "c1ccccc1O", "c": "OCC(O)CO"}
    fps = {key: morgan_fingerprint(Chem.MolFromSmiles(s)) for key, s in smiles.items()}
    similarity = SimilarityIndex(compact_threshold=2)  # "a", "b" compacted, "c" in delta
    similarity.add(["a", "b"], [fps["a"], fps["b"]])
    similarity.add(["c"], [fps["c"]])
    similarity.remove(["b"])
    assert similarity.fingerprints() == {"a": fps["a"], "c": fps["c"]}
    substructure = SubstructureIndex()
    substructure.add(list(smiles), list(smiles.values()))
    substructure.remove(["a"])
    assert substructure.structures() == {
        "b": Chem.CanonSmiles("c1ccccc1O"),
        "c": Chem.CanonSmiles("OCC(O)CO"),
    }
