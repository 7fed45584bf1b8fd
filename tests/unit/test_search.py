"""The search core returns exactly what brute force returns, and stays in step with writes."""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from rdkit.RDConfig import RDDataDir

from cryoprotect.errors import InvalidStructureError, ValidationError
from cryoprotect.science.fingerprints import FP_BYTES, fingerprint_to_bitvect, morgan_fingerprint
from cryoprotect.science.substructure import parse_query
from cryoprotect.search import SimilarityIndex, SubstructureIndex

pytestmark = pytest.mark.unit

NCI = os.path.join(RDDataDir, "NCI", "first_5K.smi")


@cache
def nci_smiles(n: int = 600) -> tuple[str, ...]:
    """The first n parseable SMILES of RDKit's NCI sample."""
    out: list[str] = []
    with open(NCI, encoding="utf-8") as handle:
        for line in handle:
            smiles = line.split()[0]
            if Chem.MolFromSmiles(smiles) is not None:
                out.append(smiles)
                if len(out) == n:
                    break
    return tuple(out)


@cache
def nci_fps(n: int = 400) -> tuple[bytes, ...]:
    return tuple(morgan_fingerprint(Chem.MolFromSmiles(s)) for s in nci_smiles()[:n])


def ids_for(n: int) -> list[str]:
    return [f"mol-{i:04d}" for i in range(n)]


def brute_force(
    query: bytes,
    library: dict[str, bytes],
    k: int,
    threshold: float = 0.0,
    allowed: set[str] | None = None,
) -> list[tuple[str, float]]:
    """RDKit's BulkTanimotoSimilarity, ranked by score then id."""
    keys = sorted(library)
    scores = DataStructs.BulkTanimotoSimilarity(
        fingerprint_to_bitvect(query), [fingerprint_to_bitvect(library[key]) for key in keys]
    )
    ranked = sorted(
        (-score, key)
        for key, score in zip(keys, scores, strict=True)
        if score >= threshold and (allowed is None or key in allowed)
    )
    return [(key, -negated) for negated, key in ranked[:k]]


def filled_index(n: int = 400, **options: int) -> tuple[SimilarityIndex, dict[str, bytes]]:
    library = dict(zip(ids_for(n), nci_fps()[:n], strict=True))
    index = SimilarityIndex(**options)
    index.add(list(library), list(library.values()))
    return index, library


# --------------------------------------------------------------------------- fingerprints


def test_morgan_fingerprint_packs_rdkit_radius_2_2048_bits() -> None:
    mol = Chem.MolFromSmiles("OCC(O)CO")
    fp = morgan_fingerprint(mol)
    expected = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048).GetFingerprint(mol)
    assert len(fp) == FP_BYTES == 256
    assert fingerprint_to_bitvect(fp) == expected
    assert sum(bin(byte).count("1") for byte in fp) == expected.GetNumOnBits()


# --------------------------------------------------------------------------- similarity


@pytest.mark.parametrize("screen_bits", [512, 2048, 64])
def test_top_k_equals_bulk_tanimoto(screen_bits: int) -> None:
    index, library = filled_index(screen_bits=screen_bits)
    for query in nci_fps()[::37] + (morgan_fingerprint(Chem.MolFromSmiles("OCC(O)CO")),):
        for k in (1, 10, 25):
            assert index.search(query, k) == brute_force(query, library, k)


def test_scores_are_rdkit_tanimoto_and_ties_break_by_id() -> None:
    fp = nci_fps()[3]
    index = SimilarityIndex()
    index.add(["b", "c", "a"], [fp, fp, nci_fps()[4]])
    hits = index.search(fp, k=3)
    assert [key for key, _ in hits[:2]] == ["b", "c"]  # equal scores: ascending id
    expected = DataStructs.TanimotoSimilarity(
        fingerprint_to_bitvect(fp), fingerprint_to_bitvect(nci_fps()[4])
    )
    assert hits[0][1] == 1.0 and hits[2] == ("a", expected)


def test_threshold_keeps_only_scores_at_or_above_it() -> None:
    index, library = filled_index()
    for query in nci_fps()[5:400:60]:
        for threshold in (0.2, 0.35, 0.6, 1.0):
            hits = index.search(query, k=50, threshold=threshold)
            assert all(score >= threshold for _, score in hits)
            assert hits == brute_force(query, library, 50, threshold)


def test_allowed_filter_still_returns_k_hits_when_they_exist() -> None:
    index, library = filled_index()
    visible = {key for key in library if int(key[-4:]) % 7 == 0}
    asked: list[str] = []

    def allowed(keys: list[str]) -> list[bool]:
        asked.extend(keys)
        return [key in visible for key in keys]

    for query in nci_fps()[1:400:50]:
        asked.clear()
        hits = index.search(query, k=10, allowed=allowed)
        assert len(hits) == 10
        assert hits == brute_force(query, library, 10, allowed=visible)
        assert len(asked) == len(set(asked))  # each candidate is asked about once


def test_allowed_filter_returns_fewer_only_when_fewer_exist() -> None:
    index, library = filled_index()
    visible = set(list(library)[-3:])
    query = nci_fps()[0]
    hits = index.search(query, k=10, allowed=lambda keys: [key in visible for key in keys])
    assert hits == brute_force(query, library, 10, allowed=visible)
    assert len(hits) == 3


def test_writes_are_visible_to_the_next_search() -> None:
    index, library = filled_index(compact_threshold=10_000)
    query = library["mol-0042"]
    assert index.search(query, 1) == [("mol-0042", 1.0)]
    index.remove(["mol-0042"])
    assert "mol-0042" not in index and len(index) == 399
    assert all(key != "mol-0042" for key, _ in index.search(query, 400))
    index.add(["new"], [query])
    assert index.search(query, 1) == [("new", 1.0)]
    index.add(["mol-0042"], [query])
    assert index.search(query, 2) == [("mol-0042", 1.0), ("new", 1.0)]
    index.add(["new"], [nci_fps()[0]])  # replacing an id replaces its fingerprint
    library.pop("mol-0042")
    library.update({"mol-0042": query, "new": nci_fps()[0]})
    assert index.search(query, 400) == brute_force(query, library, 400)
    assert index.pending_changes > 0  # all of that without a compaction


def test_compaction_preserves_results() -> None:
    index, library = filled_index(compact_threshold=25)
    for i, key in enumerate(list(library)[:100:3]):
        index.remove([key])
        del library[key]
        new_key = f"added-{i}"
        index.add([new_key], [nci_fps()[i + 1]])
        library[new_key] = nci_fps()[i + 1]
    queries = nci_fps()[::41]
    before = [index.search(query, 10) for query in queries]
    assert before == [brute_force(query, library, 10) for query in queries]
    index.compact()
    assert index.pending_changes == 0
    assert [index.search(query, 10) for query in queries] == before
    assert len(index) == len(library)


def test_searches_on_two_threads_equal_one_thread() -> None:
    single, _ = filled_index()
    threaded = SimilarityIndex(num_threads=2)
    threaded.add(ids_for(400), list(nci_fps()))
    for query in nci_fps()[::53]:
        assert threaded.search(query, 10) == single.search(query, 10)


def test_invalid_arguments_are_rejected() -> None:
    index, _ = filled_index(n=10)
    with pytest.raises(ValidationError) as info:
        index.search(b"\x00" * 10)
    assert info.value.field == "fingerprint"
    with pytest.raises(ValidationError):
        index.search(nci_fps()[0], threshold=1.5)
    with pytest.raises(ValidationError):
        index.add(["a", "b"], [nci_fps()[0]])
    assert index.search(nci_fps()[0], k=0) == []
    assert index.search(bytes(FP_BYTES), k=3) == [
        ("mol-0000", 0.0),
        ("mol-0001", 0.0),
        ("mol-0002", 0.0),
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(
        st.tuples(st.booleans(), st.integers(0, 40), st.integers(0, 59)), min_size=1, max_size=60
    ),
    k=st.integers(1, 12),
    threshold=st.sampled_from([0.0, 0.25, 0.5]),
)
def test_random_writes_match_a_dict_model(
    ops: list[tuple[bool, int, int]], k: int, threshold: float
) -> None:
    pool = nci_fps()[:60]
    index = SimilarityIndex(compact_threshold=7)
    model: dict[str, bytes] = {}
    for is_add, key_number, fp_number in ops:
        key = f"k{key_number}"
        if is_add:
            index.add([key], [pool[fp_number]])
            model[key] = pool[fp_number]
        else:
            index.remove([key])
            model.pop(key, None)
    assert len(index) == len(model)
    for query in (pool[0], pool[17], pool[42]):
        assert index.search(query, k, threshold) == brute_force(query, model, k, threshold)


def test_concurrent_writes_never_break_a_search() -> None:
    index, library = filled_index(compact_threshold=50)
    query = nci_fps()[9]
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        try:
            for round_number in range(60):
                keys = [f"w{round_number}-{i}" for i in range(5)]
                index.add(keys, list(nci_fps()[round_number : round_number + 5]))
                index.remove(keys[:3])
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    while not stop.is_set():
        hits = index.search(query, 10)
        assert hits[0] == ("mol-0009", 1.0)
        assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)
    thread.join()
    assert errors == []


# --------------------------------------------------------------------------- substructure

CPAS = {
    "glycerol": "OCC(O)CO",
    "ethylene glycol": "OCCO",
    "propylene glycol": "CC(O)CO",
    "dmso": "CS(C)=O",
    "trehalose": "OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O",
    "formamide": "NC=O",
}

QUERIES = [
    "[OX2H][CX4]",
    "c1ccccc1",
    "[NX3][CX3]=O",
    "S(=O)(=O)N",
    "[#9]",
    "C#N",
    "[Br]",
    "[nH]",
    "[CX3](=O)[OX2H1]",
    "[Si]",
    "[R2]",
    "[C;r5]",
    "C@C",
    "[$(CO)]",
    "[!#6;!#1]",
    "[N+](=O)[O-]",
    "[C,N;H1]",
    "*",
    "[#1]",
    "O=C1CCCCC1",
]


@cache
def nci_library() -> tuple[list[str], list[Chem.Mol]]:
    smiles = list(nci_smiles())
    return ids_for(len(smiles)), [Chem.MolFromSmiles(s) for s in smiles]


def substructure_index(**options: Any) -> SubstructureIndex:
    ids, _ = nci_library()
    index = SubstructureIndex(**options)
    index.add(ids, nci_smiles())
    return index


def brute_matches(query: Chem.Mol, live: set[str] | None = None) -> list[str]:
    ids, mols = nci_library()
    return [
        key
        for key, mol in zip(ids, mols, strict=True)
        if (live is None or key in live) and mol.HasSubstructMatch(query)
    ]


def test_hydroxyl_query_finds_the_glycols_not_dmso() -> None:
    index = SubstructureIndex()
    index.add(list(CPAS), list(CPAS.values()))
    hits = index.search(parse_query("[OX2H][CX4]"))
    assert {"glycerol", "ethylene glycol", "propylene glycol", "trehalose"} <= set(hits)
    assert "dmso" not in hits and "formamide" not in hits
    assert index.count(parse_query("[OX2H][CX4]")) == 4


@pytest.mark.parametrize("text", QUERIES)
def test_substructure_hits_equal_has_substruct_match(text: str) -> None:
    index = substructure_index()
    query = parse_query(text)
    expected = brute_matches(query)
    assert index.search(query, max_hits=len(expected) + 10) == expected
    assert index.search(query, max_hits=7) == expected[:7]  # the first page, in order
    assert index.count(query) == len(expected)


def test_small_chunks_and_one_thread_give_the_same_hits() -> None:
    index = substructure_index(first_chunk=16, max_chunk=64, num_threads=1)
    for text in ("c1ccccc1", "[Br]", "[nH]"):
        query = parse_query(text)
        expected = brute_matches(query)
        assert index.search(query, max_hits=30) == expected[:30]
        assert index.count(query) == len(expected)


def test_removed_molecules_disappear_and_rebuild_keeps_the_rest() -> None:
    index = substructure_index(rebuild_threshold=50, rebuild_fraction=0.05)
    ids, _ = nci_library()
    query = parse_query("c1ccccc1")
    removed = set(ids[::9])
    index.remove(sorted(removed))  # 67 tombstones: past the threshold, so a rebuild ran
    live = set(ids) - removed
    assert index.search(query, max_hits=1000) == brute_matches(query, live)
    index.remove(ids[1:3])
    live -= set(ids[1:3])
    assert index.search(query, max_hits=1000) == brute_matches(query, live)
    assert index.count(query) == len(brute_matches(query, live))
    assert len(index) == len(live) and ids[1] not in index


def test_replacing_an_id_replaces_its_structure() -> None:
    index = SubstructureIndex()
    index.add(["x", "y"], ["CCO", "c1ccccc1"])
    index.add(["x"], ["CBr"])
    assert index.search(parse_query("[OX2H]")) == []
    assert index.search(parse_query("[Br]")) == ["x"]
    assert index.search(parse_query("[#6]")) == ["y", "x"]  # insertion order of live entries


def test_allowed_filter_and_page_size() -> None:
    index = substructure_index()
    query = parse_query("c1ccccc1")
    expected = brute_matches(query)
    visible = set(expected[1::2])
    hits = index.search(query, max_hits=20, allowed=lambda keys: [k in visible for k in keys])
    assert hits == [key for key in expected if key in visible][:20]


def test_invalid_query_raises_with_rdkit_reason() -> None:
    with pytest.raises(InvalidStructureError) as info:
        parse_query("[C")
    assert info.value.field == "query"
    assert "syntax error" in info.value.message
    with pytest.raises(InvalidStructureError):
        parse_query("   ")
    with pytest.raises(InvalidStructureError) as info:
        parse_query("C\u2192C")
    assert info.value.field == "query"


def test_invalid_smiles_leaves_the_index_unchanged() -> None:
    index = SubstructureIndex()
    with pytest.raises(InvalidStructureError) as info:
        index.add(["a", "b"], ["CCO", "C1CC"])
    assert info.value.field == "smiles"
    assert len(index) == 0


def test_substructure_reads_and_writes_interleave_safely() -> None:
    index = substructure_index(rebuild_threshold=20, rebuild_fraction=0.01)
    ids, _ = nci_library()
    query = parse_query("c1ccccc1")
    known = set(ids)
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            for round_number in range(15):
                keys = [f"w{round_number}-{i}" for i in range(4)]
                known.update(keys)
                index.add(keys, ["c1ccccc1O", "CCO", "c1ccncc1", "Brc1ccccc1"])
                index.remove(ids[round_number * 10 : round_number * 10 + 10] + keys[:1])
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    while not done.is_set():
        page = index.search(query, max_hits=50)
        assert len(page) == len(set(page)) and set(page) <= known
        assert index.count(query) > 0
    thread.join()
    assert errors == []
    live = set(ids) - set(ids[:150])
    expected = brute_matches(query, live)
    added = [f"w{r}-3" for r in range(15)]  # bromobenzene; the phenols were removed
    assert index.search(query, max_hits=10_000) == expected + added


@pytest.mark.parametrize(
    ("query", "target", "matches"),
    [
        ("CS(C)=O", "C[S+](C)[O-]", True),  # drawn S=O, stored charge-separated
        ("CS(C)=O", "CS(C)=O", True),
        ("C[S+](C)[O-]", "CS(C)=O", False),  # an explicit charge is a charge
        ("N(=O)=O", "C[N+](=O)[O-]", True),  # nitro
        ("CS(C)=O", "C[S+](C)O", False),  # not an S-OH
        ("CN=O", "CNO", False),  # nitroso stays a double bond (not a hydroxylamine)
        ("CC(C)=O", "C[C+](C)[O-]", False),  # carbonyls are not relaxed
    ],
)
def test_query_matches_either_drawing_of_sulfoxide_and_nitro(
    query: str, target: str, matches: bool
) -> None:
    assert Chem.MolFromSmiles(target).HasSubstructMatch(parse_query(query)) is matches
