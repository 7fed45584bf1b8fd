"""Protocol evaluation and design: the DMSO 1.4 M example, limits, infeasibility, inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cryoprotect.errors import InfeasibleProtocolError, ValidationError
from cryoprotect.science import composition
from cryoprotect.science import transport as tr
from cryoprotect.science.cells import CellType, get_cell_type
from cryoprotect.science.protocols import (
    Limits,
    ProtocolDesign,
    design_protocol,
    evaluate_protocol,
)
from cryoprotect.science.transport import Step

pytestmark = pytest.mark.unit

DMSO = "Dimethyl sulfoxide"


def dmso_molality(mol_per_l: float) -> float:
    """mol/L of DMSO in water → mol/kg, by the composition module's density model."""
    solute = composition.get_solute(DMSO)
    result = composition.convert([composition.Component(solute, mol_per_l, "mol/L")], "mol/kg")
    value = result.amounts["mol/kg"][0]
    assert value is not None
    return value


@pytest.fixture(scope="module")
def oocyte() -> CellType:
    # Published Lp, Ps(DMSO) and vb (Karlsson et al., Mol Reprod Dev 76:321, 2009).
    return get_cell_type("rhesus_mii_oocyte")


@pytest.fixture(scope="module")
def target() -> dict[str, float]:
    return {DMSO: dmso_molality(1.4)}  # 1.4 M ≈ 10 % v/v


@pytest.fixture(scope="module")
def design(oocyte: CellType, target: dict[str, float]) -> ProtocolDesign:
    return design_protocol(oocyte, target, temperature_c=22.0)


# --- done means ---------------------------------------------------------------------------


def test_target_is_converted_not_hard_coded(target: dict[str, float]) -> None:
    assert 1.5 < target[DMSO] < 1.6  # molality exceeds molarity for a dense solute


def test_designed_protocol_stays_within_the_cells_limits(
    design: ProtocolDesign, oocyte: CellType
) -> None:
    designed = design.designed
    volume = designed.trajectory.volume_fraction
    assert designed.within_limits and designed.violations == ()
    assert volume.min() >= oocyte.min_volume_fraction
    assert volume.max() <= oocyte.max_volume_fraction
    # An independent simulation of the returned steps agrees.
    again = tr.simulate(oocyte, [*designed.addition, *designed.removal])
    assert again.volume_fraction.min() >= oocyte.min_volume_fraction
    assert again.volume_fraction.max() <= oocyte.max_volume_fraction


def test_designed_protocol_is_less_toxic_than_one_step(design: ProtocolDesign) -> None:
    assert design.designed.toxicity.total < design.one_step.toxicity.total
    assert design.designed.toxicity.total < design.equal_steps.toxicity.total


def test_designed_protocol_loads_and_unloads(
    design: ProtocolDesign, oocyte: CellType, target: dict[str, float]
) -> None:
    designed = design.designed
    loaded = tr.simulate(oocyte, list(designed.addition)).final_state()
    assert loaded.molality(DMSO) >= 0.95 * target[DMSO] * (1 - 1e-6)
    final = designed.trajectory.final_state()
    assert final.molality(DMSO) <= 0.05 * target[DMSO] * (1 + 1e-6)
    # Ends in the isotonic carrier.
    assert set(designed.removal[-1].solutes) == {"Sodium chloride"}
    assert len(designed.addition) <= 4 and len(designed.removal) <= 4
    assert all(step.temperature_c == 22.0 for step in (*designed.addition, *designed.removal))


def test_one_step_protocol_with_these_limits_shrinks_the_cell_too_far(
    design: ProtocolDesign,
) -> None:
    one = design.one_step
    assert len(one.addition) == 1 and len(one.removal) == 1
    assert not one.within_limits
    assert any("below the lower limit" in v for v in one.violations)


def test_equal_step_protocol_uses_equal_increments_and_holds(
    design: ProtocolDesign, target: dict[str, float]
) -> None:
    equal = design.equal_steps
    assert len(equal.addition) == 4 and len(equal.removal) == 4
    levels = [step.solutes.get(DMSO, 0.0) for step in equal.addition]
    assert np.allclose(np.diff([0.0, *levels]), target[DMSO] / 4)
    holds = {step.duration_s for step in equal.addition[:-1]}
    assert len(holds) == 1


def test_design_is_json_ready(design: ProtocolDesign) -> None:
    data = json.loads(json.dumps(design.as_dict()))
    assert set(data["protocols"]) == {"designed", "one_step", "equal_steps"}
    chart = data["protocols"]["designed"]["chart"]
    assert chart["limits"] == {"min_volume_fraction": 0.6, "max_volume_fraction": 1.4}
    assert len(chart["time_s"]) <= 420
    assert data["protocols"]["designed"]["steps"][0]["phase"] == "addition"
    comparison = {row["name"]: row for row in data["comparison"]}
    assert comparison["one_step"]["relative_to_one_step"] == pytest.approx(1.0)
    assert comparison["designed"]["relative_to_one_step"] < 1.0


def test_design_is_deterministic() -> None:
    cell = get_cell_type("generic_mammalian")
    first = design_protocol(cell, {DMSO: 1.0}, temperature_c=22.0, max_steps=2)
    second = design_protocol(cell, {DMSO: 1.0}, temperature_c=22.0, max_steps=2)
    assert [s.as_dict() for s in first.designed.addition] == [
        s.as_dict() for s in second.designed.addition
    ]
    assert first.designed.toxicity.total == second.designed.toxicity.total


def test_max_steps_one_gives_the_one_step_protocol() -> None:
    cell = get_cell_type("generic_mammalian")
    design = design_protocol(cell, {DMSO: 1.0}, temperature_c=22.0, max_steps=1)
    assert design.designed.toxicity.total == pytest.approx(design.one_step.toxicity.total)


# --- evaluation and Boyle–van 't Hoff ---------------------------------------------------------


def test_evaluation_reaches_boyle_vant_hoff_and_names_violations(oocyte: CellType) -> None:
    carrier = tr.isotonic_carrier(oocyte)
    hypertonic = Step({**carrier, "Sucrose": 0.6}, 20000.0, 22.0, "sucrose")
    evaluation = evaluate_protocol(oocyte, [hypertonic], [Step(carrier, 20000.0, 22.0)])
    expected = tr.boyle_vant_hoff_volume_fraction(oocyte, tr.extracellular_osmolality(hypertonic))
    assert evaluation.min_volume_fraction == pytest.approx(expected, rel=1e-6)
    assert evaluation.max_volume_fraction == pytest.approx(1.0, abs=1e-6)
    assert evaluation.toxicity.total == 0.0
    assert not evaluation.within_limits
    assert "step 1 (sucrose)" in evaluation.violations[0]
    assert evaluation.total_duration_s == 40000.0


# --- infeasible requests ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "constraint"),
    [(Limits(1.0, 1.4), "min_volume_fraction"), (Limits(0.6, 0.99), "max_volume_fraction")],
)
def test_limits_that_exclude_the_isotonic_volume_are_infeasible(
    oocyte: CellType, target: dict[str, float], limits: Limits, constraint: str
) -> None:
    with pytest.raises(InfeasibleProtocolError) as raised:
        design_protocol(oocyte, target, temperature_c=22.0, limits=limits)
    details = raised.value.details
    assert details["constraint"] == constraint
    assert details["best_achievable"] == 1.0
    assert raised.value.code == "infeasible_protocol"


def test_optimiser_reports_the_binding_constraint() -> None:
    # Human spermatozoa, 1 M glycerol, motility limits 0.75–1.1 (Gao et al. 1995, as quoted by
    # Gilmore et al. 1998): no 4-step addition keeps the volume above 0.75 (the cells shrink
    # fast, glycerol enters slowly).
    sperm = get_cell_type("human_sperm")
    with pytest.raises(InfeasibleProtocolError) as raised:
        design_protocol(sperm, {"Glycerol": 1.0}, temperature_c=22.0)
    details = raised.value.details
    assert details["constraint"] == "min_volume_fraction"
    assert details["phase"] == "addition"
    assert details["limit"] == 0.75
    assert details["best_achievable"] < 0.75
    assert "0.75" in raised.value.message


# --- inputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target_molality": {"Glycerol": 1.0}}, "target.components"),
        ({"target_molality": {"Unobtainium": 1.0}}, "target.components"),
        ({"target_molality": {DMSO: 0.0}}, "target.components"),
        ({"target_molality": {DMSO: -1.0}}, "target.components"),
        ({"target_molality": {}}, "target.components"),
        ({"temperature_c": 60.0}, "temperature_c"),
        ({"temperature_c": -5.0}, "temperature_c"),
        ({"removal_temperature_c": 80.0}, "removal_temperature_c"),
        ({"max_steps": 0}, "max_steps"),
        ({"equilibration": 1.0}, "equilibration"),
        ({"limits": Limits(-0.1, 1.4)}, "osmotic_limits.min_volume_fraction"),
        ({"limits": Limits(0.9, 0.8)}, "osmotic_limits.min_volume_fraction"),
    ],
)
def test_bad_inputs_name_the_field(oocyte: CellType, kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"target_molality": {DMSO: 1.0}, "temperature_c": 22.0}
    arguments.update(kwargs)
    with pytest.raises(ValidationError) as raised:
        design_protocol(oocyte, **arguments)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_full_strength_carrier_keeps_every_loading_step_isotonic_in_salts() -> None:
    from cryoprotect.science import cells, protocols
    from cryoprotect.science.transport import CARRIER_SOLUTE, isotonic_carrier

    cell = cells.get_cell_type("generic_mammalian")
    free = protocols.design_protocol(cell, {"Dimethyl sulfoxide": 1.5573}, temperature_c=22.0)
    kept = protocols.design_protocol(
        cell, {"Dimethyl sulfoxide": 1.5573}, temperature_c=22.0, min_carrier_fraction=1.0
    )
    salt = isotonic_carrier(cell)[CARRIER_SOLUTE]
    assert all(
        step.solutes[CARRIER_SOLUTE] == pytest.approx(salt) for step in kept.designed.addition
    )
    assert kept.designed.within_limits
    assert kept.settings["min_carrier_fraction"] == 1.0
    # The constraint can only cost toxicity, never save it; both beat the one-step protocol.
    assert free.designed.toxicity.total <= kept.designed.toxicity.total + 1e-9
    assert kept.designed.toxicity.total <= kept.one_step.toxicity.total


def test_min_carrier_fraction_is_validated() -> None:
    from cryoprotect.errors import ValidationError
    from cryoprotect.science import cells, protocols

    cell = cells.get_cell_type("generic_mammalian")
    with pytest.raises(ValidationError) as info:
        protocols.design_protocol(
            cell, {"Dimethyl sulfoxide": 1.0}, temperature_c=22.0, min_carrier_fraction=1.5
        )
    assert info.value.details["field"] == "min_carrier_fraction"
