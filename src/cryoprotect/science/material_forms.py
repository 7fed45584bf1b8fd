"""Material forms: the hydrate, salt or solvate a scientist weighs, beside the parent.

The library's identity of a substance is its standardised parent (ChEMBL pipeline:
trehalose dihydrate → trehalose). What is weighed at the bench is a *material form*:
the parent with its counter-ions and/or solvent of crystallisation, each with a
stoichiometry per parent (trehalose · 2 H2O; citrate · 3 Na+; choline · Cl-).

Formula and molar mass (:func:`form_formula`). The form's atoms are the parent's plus
each component's atoms times its count. Where the ions given do not balance the
parent's charge, protons make up the difference, the way a salt forms from its acid or
base: three Na+ on neutral citric acid take three protons off it (trisodium citrate,
C6H5Na3O7), Cl- on a neutral amino acid adds one (proline hydrochloride, C5H10ClNO2).
The formula is written in Hill order (C, H, then the other elements alphabetically; with
no carbon all elements alphabetically) and the molar mass is the sum of RDKit's average
atomic weights over that formula, the same table RDKit's ``MolWt`` uses
(:data:`MOLAR_MASS_METHOD`). Trehalose dihydrate: C12H26O13, 378.33 g/mol (anhydrous
342.30 g/mol).

Stripped components (:func:`stripped_components`): the fragments of an input structure
that standardisation removed, found by comparing each fragment's element graph (elements
and connectivity, which neutralisation and normalisation do not change) with the
parent's, divided by the number of parent copies in the input.

Amounts (:func:`parent_amount`): an amount given by *mass* of the form (``g/L``, ``% w/v``,
``% w/w``) is a mass of the parent times ``M_parent / M_form``; the rest of the weighed
mass — the water of hydration — is water of the solution (for mass-based units the
solution's total mass or volume is fixed by the amount, so water makes up the remainder).
An amount in moles (``mol/L``, ``mmol/L``, ``mol/kg``, ``mole fraction``) is the same
number of moles of parent: one formula unit of the form holds one parent. ``% v/v`` is a
volume of the pure *liquid* parent and is not defined for a weighed form.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rdkit import Chem
from rdkit.Chem import rdMolHash

from cryoprotect.errors import InvalidCompositionError, InvalidStructureError
from cryoprotect.science.molecules import capture_rdkit_log, rdkit_reason

MOLAR_MASS_METHOD = "RDKit average molecular weight from the formula"
"""How a form's molar mass is obtained (RDKit's periodic table of average atomic weights)."""

MASS_UNITS = ("g/L", "% w/v", "% w/w")
"""Units that give the mass of what was weighed (converted with the form's molar mass)."""

MOLE_UNITS = ("mol/L", "mmol/L", "mol/kg", "mole fraction")
"""Units that count formula units (one form unit holds one parent)."""

WATER_SMILES = "O"
MAX_COMPONENTS = 6
MAX_COUNT = 20

_MULTIPLIERS = {1: "mono", 2: "di", 3: "tri", 4: "tetra", 5: "penta", 6: "hexa", 7: "hepta"}
_MULTIPLIERS.update({8: "octa", 9: "nona", 10: "deca", 11: "undeca", 12: "dodeca"})
_ION_NAMES = {
    "[Na+]": "sodium",
    "[K+]": "potassium",
    "[Li+]": "lithium",
    "[Ca+2]": "calcium",
    "[Mg+2]": "magnesium",
    "[Zn+2]": "zinc",
    "[NH4+]": "ammonium",
    "[Cl-]": "chloride",
    "[Br-]": "bromide",
    "[I-]": "iodide",
    "Cl": "hydrochloride",
    "Br": "hydrobromide",
    "I": "hydroiodide",
    "O=S(=O)(O)O": "sulfate",
    "O=P(O)(O)O": "phosphate",
}


@dataclass(frozen=True)
class FormComponent:
    """One counter-ion or solvent of a form and how many there are per parent.

    Attributes:
        smiles: RDKit canonical SMILES of the component (charged ions as drawn).
        count: number of this component per parent (a positive whole number).
    """

    smiles: str
    count: int


@dataclass(frozen=True)
class FormFormula:
    """A material form's formula and molar mass.

    Attributes:
        formula: Hill-order formula of the whole form (one parent plus its components).
        molar_mass_g_per_mol: average molar mass of that formula, g/mol.
        water_per_parent: molecules of water of crystallisation per parent.
        protons_adjusted: protons added (positive) or removed (negative) to balance charge.
        method: how the molar mass was obtained.
    """

    formula: str
    molar_mass_g_per_mol: float
    water_per_parent: int
    protons_adjusted: int
    method: str = MOLAR_MASS_METHOD


def _mol(smiles: str, field: str) -> Chem.Mol:
    with capture_rdkit_log() as log:
        mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetNumAtoms() == 0:
        raise InvalidStructureError(
            f"Invalid SMILES {smiles!r}: {rdkit_reason(log, 'RDKit could not parse it')}",
            field=field,
        )
    return mol


def _atoms(mol: Chem.Mol) -> tuple[Counter[str], int]:
    """Element counts (implicit and explicit hydrogens included) and net charge."""
    counts: Counter[str] = Counter()
    charge = 0
    for atom in mol.GetAtoms():
        counts[atom.GetSymbol()] += 1
        hydrogens = atom.GetTotalNumHs()
        if hydrogens:
            counts["H"] += hydrogens
        charge += atom.GetFormalCharge()
    return counts, charge


def hill_formula(counts: Counter[str]) -> str:
    """A formula in Hill order: C, then H, then the rest alphabetically (all alphabetical
    without carbon); a count of 1 is not written."""
    present = {element: n for element, n in counts.items() if n > 0}
    order = sorted(present)
    if "C" in present:
        order = ["C", *(["H"] if "H" in present else []), *(e for e in order if e not in "CH")]
    return "".join(f"{e}{present[e] if present[e] != 1 else ''}" for e in order)


def canonical_components(
    components: Sequence[tuple[str, object]], *, field: str = "components"
) -> tuple[FormComponent, ...]:
    """Components with canonical SMILES, equal ones merged, sorted (the form's identity).

    Raises:
        InvalidStructureError: a SMILES RDKit cannot read, or one with several fragments.
        InvalidCompositionError: a count that is not a whole number from 1 to 20, or more
            than six distinct components.
    """
    merged: Counter[str] = Counter()
    for index, (smiles, count) in enumerate(components):
        path = f"{field}[{index}]"
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
            raise InvalidCompositionError(
                f"count must be a whole number from 1 to {MAX_COUNT}.", field=f"{path}.count"
            )
        mol = _mol(str(smiles or "").strip(), f"{path}.smiles")
        if len(Chem.GetMolFrags(mol)) != 1:
            raise InvalidStructureError(
                "Give each counter-ion or solvent as its own component.", field=f"{path}.smiles"
            )
        merged[Chem.MolToSmiles(mol)] += count
    if len(merged) > MAX_COMPONENTS:
        raise InvalidCompositionError(f"At most {MAX_COMPONENTS} distinct components.", field=field)
    return tuple(FormComponent(s, n) for s, n in sorted(merged.items()))


def components_key(components: Sequence[FormComponent]) -> str:
    """A text key of canonical components (``"O*2"``, ``"[Na+]*3.O*2"``); empty for the free form."""
    return ".".join(f"{c.smiles}*{c.count}" for c in components)


def form_formula(parent_smiles: str, components: Sequence[FormComponent]) -> FormFormula:
    """Formula and molar mass of one parent with its components (see the module docstring).

    Raises:
        InvalidStructureError: the parent or a component does not parse.
    """
    counts, charge = _atoms(_mol(parent_smiles, "smiles"))
    water = 0
    for component in components:
        part, part_charge = _atoms(_mol(component.smiles, "components"))
        for element, n in part.items():
            counts[element] += n * component.count
        charge += part_charge * component.count
        if component.smiles == WATER_SMILES:
            water += component.count
    counts["H"] -= charge  # balance the charge with protons
    if counts["H"] < 0:
        raise InvalidStructureError(
            "The counter-ions given leave the form with a charge that removing protons "
            "cannot balance.",
            field="components",
        )
    table = Chem.GetPeriodicTable()
    mass = math.fsum(table.GetAtomicWeight(e) * n for e, n in counts.items() if n > 0)
    return FormFormula(
        formula=hill_formula(counts),
        molar_mass_g_per_mol=mass,
        water_per_parent=water,
        protons_adjusted=-charge,
    )


def _graph_key(frag: Chem.Mol) -> str:
    work = Chem.Mol(frag)
    for atom in work.GetAtoms():
        atom.SetIsotope(0)
    Chem.RemoveStereochemistry(work)
    return str(rdMolHash.MolHash(work, rdMolHash.HashFunction.ElementGraph))


def stripped_components(original: Chem.Mol, parent: Chem.Mol) -> tuple[FormComponent, ...]:
    """The fragments of ``original`` that are not the parent, per parent copy.

    Returns an empty tuple when nothing was stripped, when the parent is not found among
    the input's fragments, or when the stripped fragments do not divide evenly among the
    parent copies (the stoichiometry per parent would not be whole).
    """
    with capture_rdkit_log():
        work = Chem.RemoveHs(original, sanitize=False)
    frags = Chem.GetMolFrags(work, asMols=True, sanitizeFrags=False)
    parent_keys = Counter(_graph_key(f) for f in Chem.GetMolFrags(parent, asMols=True))
    copies = 0
    stripped: Counter[str] = Counter()
    for frag in frags:
        if frag.GetNumAtoms() == 0:
            continue
        if _graph_key(frag) in parent_keys:
            copies += 1
        else:
            stripped[Chem.MolToSmiles(frag)] += 1
    per_parent = max(1, copies // max(1, sum(parent_keys.values())))
    if not stripped or not copies or any(n % per_parent for n in stripped.values()):
        return ()
    return canonical_components([(s, n // per_parent) for s, n in stripped.items()])


def form_kind(components: Sequence[FormComponent]) -> str:
    """``hydrate``, ``salt``, ``salt hydrate``, ``solvate`` or ``free form`` from the components."""
    if not components:
        return "free form"
    water = any(c.smiles == WATER_SMILES for c in components)
    others = [c for c in components if c.smiles != WATER_SMILES]
    if not others:
        return "hydrate"
    ionic = any(_ION_NAMES.get(c.smiles) or "+" in c.smiles or "-" in c.smiles for c in others)
    if ionic:
        return "salt hydrate" if water else "salt"
    return "solvate"


def form_label(components: Sequence[FormComponent]) -> str:
    """A name for the form from its components: ``dihydrate``, ``trisodium``,
    ``hydrochloride``, ``chloride monohydrate``; a formula where no name is known."""
    words = []
    for c in sorted(components, key=lambda c: c.smiles == WATER_SMILES):
        if c.smiles == WATER_SMILES:
            prefix = _MULTIPLIERS.get(c.count, f"{c.count}-")
            words.append(f"{prefix}hydrate")
            continue
        name = _ION_NAMES.get(c.smiles) or hill_formula(_atoms(_mol(c.smiles, "components"))[0])
        prefix = "" if c.count == 1 else _MULTIPLIERS.get(c.count, f"{c.count}-")
        words.append(f"{prefix}{name}")
    return " ".join(words) or "free form"


def parent_amount(
    amount: float, unit: str, *, form_molar_mass: float, parent_molar_mass: float
) -> float:
    """The parent's amount, in the same unit, for an amount of a material form.

    Args:
        amount: amount of the weighed form, in ``unit``.
        unit: a mass-based unit (:data:`MASS_UNITS`) or a mole-based one (:data:`MOLE_UNITS`).
        form_molar_mass: g/mol of the form.
        parent_molar_mass: g/mol of the parent.

    Returns:
        ``amount × M_parent / M_form`` for mass-based units; ``amount`` for mole-based ones.

    Raises:
        InvalidCompositionError: ``% v/v`` (or an unknown unit), or a form lighter than
            its parent.
    """
    if not form_molar_mass >= parent_molar_mass > 0:
        raise InvalidCompositionError(
            "A material form cannot weigh less than its parent.", field="material_form_id"
        )
    if unit in MASS_UNITS:
        return amount * parent_molar_mass / form_molar_mass
    if unit in MOLE_UNITS:
        return amount
    raise InvalidCompositionError(
        f"{unit} is not defined for a weighed material form; give it by mass "
        f"({', '.join(MASS_UNITS)}) or in moles.",
        field="unit",
    )


@dataclass(frozen=True)
class WeighedMass:
    """What a weighed mass of a form puts into a solution.

    Attributes:
        parent_mol: moles of parent (one per formula unit of the form).
        parent_g: grams of parent.
        water_g: grams of water of crystallisation, which join the solvent.
    """

    parent_mol: float
    parent_g: float
    water_g: float


def weighed(
    mass_g: float, *, form_molar_mass: float, parent_molar_mass: float, water_per_parent: int
) -> WeighedMass:
    """Split a weighed mass of a form into parent and water of crystallisation.

    Args:
        mass_g: grams of the form weighed.
        form_molar_mass, parent_molar_mass: g/mol.
        water_per_parent: molecules of water per formula unit.

    Returns:
        Moles and grams of parent, and grams of water (RDKit's average molar mass of H2O).
    """
    moles = mass_g / form_molar_mass
    water_molar_mass = form_formula(WATER_SMILES, ()).molar_mass_g_per_mol
    return WeighedMass(
        parent_mol=moles,
        parent_g=moles * parent_molar_mass,
        water_g=moles * water_per_parent * water_molar_mass,
    )
