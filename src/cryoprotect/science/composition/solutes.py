"""Solutes and their density data: units and physical constants, :class:`Solute`, the
shipped registry (pure-liquid densities and CRC binary densities, looked up by
:func:`get_solute`) and the density of a solution from them (:class:`DensityEstimate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import InvalidCompositionError
from cryoprotect.science.tables import read_rows

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# --- constants ----------------------------------------------------------------------------

UNITS: Final[tuple[str, ...]] = (
    "mol/L",
    "mmol/L",
    "mol/kg",
    "% w/w",
    "% w/v",
    "% v/v",
    "g/L",
    "mole fraction",
)
"""The composition units, as the API spells them."""
VOLUME_UNITS: Final[frozenset[str]] = frozenset({"mol/L", "mmol/L", "g/L", "% w/v", "% v/v"})
"""Units that refer to the solution volume and therefore need a density."""

WATER_MOLAR_MASS_G_PER_MOL: Final = 18.01528
"""Molar mass of water, 2 × 1.00794 + 15.9994 g/mol (IUPAC standard atomic weights of H and O)."""
WATER_DENSITY_20C_G_PER_ML: Final = 0.998203
"""Density of air-free water at 20 °C, g/mL."""
WATER_DENSITY_SOURCE: Final = (
    "water 0.998203 g/mL at 20 °C: Kell GS, J Chem Eng Data 20:97 (1975), equation re-expressed "
    "on ITS-90 by Bettin & Spieweck (1990), which gives 998.2031 kg/m³"
)
CRC_SOURCE: Final = (
    "CRC Handbook of Chemistry and Physics, 102nd ed. (2021), 'Concentrative properties of "
    "aqueous solutions', 20 °C (from Wolf, Aqueous Solutions and Body Fluids, 1966); "
    "transcribed in amosonabike/CRC-Solution-Properties- @5eb7053b (MIT)"
)

METHOD_CRC_BINARY: Final = (
    "CRC measured, binary, interpolated in mass fraction (monotone cubic Hermite, PCHIP)"
)
METHOD_IDEAL: Final = "ideal mixing of pure-component densities"
METHOD_ADDITIVE: Final = (
    "additive apparent molar volumes (Young's rule) from CRC binaries, each at the solute's "
    "own molality"
)

SOLVER_RELATIVE_TOLERANCE: Final = 1e-13
"""Mixed units: stop when |V − V_w − Σ ΔV_i| ≤ this × V (V in mL per kg water)."""
SOLVER_MAX_ITERATIONS: Final = 200

PARAMS_DIR: Final = Path(__file__).resolve().parent.parent / "params"
CRC_TABLE: Final = PARAMS_DIR / "crc_densities_20c.csv"
PURE_TABLE: Final = PARAMS_DIR / "pure_densities.csv"

WATER_G: Final = 1000.0  # the canonical state holds 1 kg of water
WATER_MOL: Final = WATER_G / WATER_MOLAR_MASS_G_PER_MOL
WATER_VOLUME_ML: Final = WATER_G / WATER_DENSITY_20C_G_PER_ML
MAX_SOLUTE_G_PER_KG_WATER: Final = 1.0e15  # mass fraction 1 − 10⁻¹²; keeps sums finite

_Kind = Literal["molal", "mass fraction", "mole fraction", "volume"]
UNIT_KIND: Final[dict[str, _Kind]] = {
    "mol/kg": "molal",
    "% w/w": "mass fraction",
    "mole fraction": "mole fraction",
    "mol/L": "volume",
    "mmol/L": "volume",
    "g/L": "volume",
    "% w/v": "volume",
    "% v/v": "volume",
}


# --- data model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Solute:
    """A solute as the unit conversion needs it.

    Attributes:
        name: display name, also the key (two solutes of one solution must differ in name).
        molar_mass_g_per_mol: molar mass M, g/mol.
        pure_density_g_per_ml: density of the pure liquid at 20 °C, g/mL; ``None`` for solids
            (needed for ``% v/v``, and for the solution density of a solute without CRC data).
        density_source: where ``pure_density_g_per_ml`` comes from.
        crc_key: the solute's name in the CRC binary-density table, if it is there.
    """

    name: str
    molar_mass_g_per_mol: float
    pure_density_g_per_ml: float | None = None
    density_source: str | None = None
    crc_key: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise InvalidCompositionError("a solute needs a name", field="solute.name")
        if not (math.isfinite(self.molar_mass_g_per_mol) and self.molar_mass_g_per_mol > 0):
            raise InvalidCompositionError(
                f"molar mass of {self.name} must be a positive number of g/mol",
                field="solute.molar_mass_g_per_mol",
            )
        density = self.pure_density_g_per_ml
        if density is not None and not (math.isfinite(density) and density > 0):
            raise InvalidCompositionError(
                f"pure density of {self.name} must be a positive number of g/mL",
                field="solute.pure_density_g_per_ml",
            )
        if self.crc_key is not None and self.crc_key not in _crc_binaries():
            raise InvalidCompositionError(
                f"{self.crc_key!r} is not a solute of the CRC density table",
                field="solute.crc_key",
            )

    @property
    def has_density_data(self) -> bool:
        """Whether the solution density can be computed with this solute in it."""
        return self.crc_key is not None or self.pure_density_g_per_ml is not None


@dataclass(frozen=True, eq=False)
class DensityEstimate:
    """Density of N solutions and how it was obtained.

    Attributes:
        density_g_per_ml: solution density at 20 °C, shape (N,).
        volume_ml_per_kg_water: volume of the solution that holds 1 kg of water, shape (N,).
        method: the density method of each composition (N strings).
        source: the data behind it.
    """

    density_g_per_ml: FloatArray
    volume_ml_per_kg_water: FloatArray
    method: tuple[str, ...]
    source: str


def get_solute(name: str) -> Solute:
    """Look up a solute with density data by name, synonym or CAS number (exact, any case).

    Args:
        name: e.g. ``"DMSO"``, ``"Ethylene glycol"``, ``"1,2-Ethanediol"``, ``"7647-14-5"``.

    Raises:
        InvalidCompositionError: no solute has that name.
    """
    solute = _registry()[1].get(name.strip().casefold())
    if solute is None:
        raise InvalidCompositionError(
            f"no density data for a solute called {name!r}; define a Solute with its molar mass",
            field="solute",
        )
    return solute


def known_solutes() -> tuple[Solute, ...]:
    """Every solute shipped with density data (pure-liquid table first, then the CRC table)."""
    return _registry()[0]


def estimate_density(masses: FloatArray, solutes: tuple[Solute, ...]) -> DensityEstimate:
    models = [volume_model(s) for s in solutes]
    volume = np.full(masses.shape[0], WATER_VOLUME_ML)
    for i, model in enumerate(models):
        volume = volume + model.delta_volume(masses[:, i])
    rho = (WATER_G + masses.sum(axis=1)) / volume
    methods, source = _describe(masses, solutes, models)
    return DensityEstimate(
        density_g_per_ml=rho, volume_ml_per_kg_water=volume, method=methods, source=source
    )


def _describe(
    masses: FloatArray, solutes: tuple[Solute, ...], models: list[_VolumeModel]
) -> tuple[tuple[str, ...], str]:
    """The density method of every row, and the sources."""
    crc = [i for i, m in enumerate(models) if m.interpolant is not None]
    ideal = [i for i, m in enumerate(models) if m.interpolant is None]
    if len(solutes) == 1:
        base = METHOD_CRC_BINARY if crc else METHOD_IDEAL
    elif not crc:
        base = METHOD_IDEAL
    else:
        base = METHOD_ADDITIVE
        if ideal:
            base += "; pure-component volumes (ideal mixing) for " + ", ".join(
                solutes[i].name for i in ideal
            )
    sources = [WATER_DENSITY_SOURCE]
    if crc:
        sources.append(CRC_SOURCE)
    for i in ideal:
        sources.append(
            f"{solutes[i].name}: {solutes[i].density_source or 'density given by caller'}"
        )

    beyond = [(i, models[i].beyond_table(masses[:, i])) for i in crc]
    beyond = [(i, flags) for i, flags in beyond if flags.any()]
    if not beyond:
        return (base,) * masses.shape[0], " | ".join(sources)
    code = np.zeros(masses.shape[0], dtype=np.int64)
    for bit, (_, flags) in enumerate(beyond):
        code |= flags.astype(np.int64) << bit
    labels: dict[int, str] = {}
    for value in np.unique(code).tolist():
        notes = [
            models[i].beyond_note(solutes[i].name)
            for bit, (i, _) in enumerate(beyond)
            if value >> bit & 1
        ]
        labels[value] = base if not notes else base + "; " + "; ".join(notes)
    for i, _ in beyond:
        if models[i].pure_node:
            sources.append(f"{solutes[i].name}: {solutes[i].density_source}")
    return tuple(labels[c] for c in code.tolist()), " | ".join(sources)


# --- density data -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _CrcBinary:
    name: str
    synonym: str
    cas: str
    molar_mass_g_per_mol: float
    mass_fraction: FloatArray
    density_g_per_ml: FloatArray


@lru_cache(maxsize=1)
def _crc_binaries() -> dict[str, _CrcBinary]:
    rows: dict[str, list[dict[str, str]]] = {}
    for row in read_rows(CRC_TABLE, comments=True):
        rows.setdefault(row["solute"], []).append(row)
    table: dict[str, _CrcBinary] = {}
    for name, group in rows.items():
        group.sort(key=lambda r: float(r["mass_fraction"]))
        table[name] = _CrcBinary(
            name=name,
            synonym=group[0]["synonym"],
            cas=group[0]["cas"],
            molar_mass_g_per_mol=float(group[0]["mol_wt_g_per_mol"]),
            mass_fraction=np.array([float(r["mass_fraction"]) for r in group]),
            density_g_per_ml=np.array([float(r["density_g_per_cm3"]) for r in group]),
        )
    return table


@lru_cache(maxsize=1)
def _registry() -> tuple[tuple[Solute, ...], dict[str, Solute]]:
    binaries = _crc_binaries()
    solutes: list[Solute] = []
    index: dict[str, Solute] = {}

    def register(solute: Solute, aliases: list[str]) -> None:
        solutes.append(solute)
        for alias in aliases:
            key = alias.strip().casefold()
            if not key:
                continue
            if index.get(key, solute) is not solute:
                raise RuntimeError(f"alias {alias!r} names two solutes")  # a data error
            index[key] = solute

    claimed: set[str] = set()
    for row in read_rows(PURE_TABLE):
        crc_key = row["crc_solute"] or None
        solute = Solute(
            name=row["solute"],
            molar_mass_g_per_mol=float(row["molar_mass_g_per_mol"]),
            pure_density_g_per_ml=float(row["density_g_per_ml"]),
            density_source=f"{row['source']} ({row['provenance']}, {row['temperature_c']} °C)",
            crc_key=crc_key,
        )
        aliases = [row["solute"], *row["aliases"].split(";")]
        if crc_key is not None:
            claimed.add(crc_key)
            binary = binaries[crc_key]
            aliases += [crc_key, binary.synonym, binary.cas]
        register(solute, aliases)
    for name, binary in binaries.items():
        if name not in claimed:
            solute = Solute(
                name=name, molar_mass_g_per_mol=binary.molar_mass_g_per_mol, crc_key=name
            )
            register(solute, [name, binary.synonym, binary.cas])
    return tuple(solutes), index


@dataclass(frozen=True, eq=False)
class _Pchip:
    """Monotone piecewise-cubic Hermite interpolant (Fritsch–Carlson; SciPy's end conditions)."""

    x: FloatArray
    coefficients: FloatArray  # (4, k): y = c0 + s·(c1 + s·(c2 + s·c3)), s = x − x_k

    @classmethod
    def fit(cls, x: FloatArray, y: FloatArray) -> _Pchip:
        h = np.diff(x)
        delta = np.diff(y) / h
        slopes = np.zeros_like(y)
        if x.size == 2:
            slopes[:] = delta[0]
        else:
            w1 = 2.0 * h[1:] + h[:-1]
            w2 = h[1:] + 2.0 * h[:-1]
            same_sign = (np.sign(delta[:-1]) * np.sign(delta[1:])) > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                harmonic = (w1 + w2) / (w1 / delta[:-1] + w2 / delta[1:])
            slopes[1:-1] = np.where(same_sign, harmonic, 0.0)
            slopes[0] = _pchip_end_slope(h[0], h[1], delta[0], delta[1])
            slopes[-1] = _pchip_end_slope(h[-1], h[-2], delta[-1], delta[-2])
        c2 = (3.0 * delta - 2.0 * slopes[:-1] - slopes[1:]) / h
        c3 = (slopes[:-1] + slopes[1:] - 2.0 * delta) / h**2
        return cls(x=x, coefficients=np.vstack([y[:-1], slopes[:-1], c2, c3]))

    def __call__(self, xq: FloatArray) -> FloatArray:
        k = np.clip(np.searchsorted(self.x, xq, side="right") - 1, 0, self.x.size - 2)
        s = xq - self.x[k]
        c = self.coefficients
        result: FloatArray = c[0, k] + s * (c[1, k] + s * (c[2, k] + s * c[3, k]))
        return result


def _pchip_end_slope(h0: float, h1: float, m0: float, m1: float) -> float:
    """SciPy's one-sided three-point end slope, limited to keep the shape."""
    d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if np.sign(d) != np.sign(m0):
        return 0.0
    if np.sign(m0) != np.sign(m1) and abs(d) > abs(3.0 * m0):
        return 3.0 * m0
    return float(d)


@dataclass(frozen=True, eq=False)
class _VolumeModel:
    """ΔV(g): the volume (mL) that g grams of one solute add to 1 kg of water."""

    interpolant: _Pchip | None  # density vs mass fraction of the binary (CRC solutes)
    crc_max_mass_fraction: float  # last CRC row
    top_mass_fraction: float  # last node: the CRC row, or 1 with the pure liquid appended
    pure_node: bool
    pure_density_g_per_ml: float | None
    tail_ml_per_g: float  # apparent specific volume at the top node (extrapolation of solids)

    def delta_volume(self, grams: FloatArray) -> FloatArray:
        if self.interpolant is None:
            assert self.pure_density_g_per_ml is not None
            ideal: FloatArray = grams / self.pure_density_g_per_ml
            return ideal
        fraction = grams / (WATER_G + grams)
        rho = self.interpolant(np.minimum(fraction, self.top_mass_fraction))
        volume: FloatArray = (WATER_G + grams) / rho - WATER_VOLUME_ML
        if self.top_mass_fraction < 1.0:
            volume = np.where(fraction > self.top_mass_fraction, grams * self.tail_ml_per_g, volume)
        return volume

    def beyond_table(self, grams: FloatArray) -> BoolArray:
        flags: BoolArray = grams / (WATER_G + grams) > self.crc_max_mass_fraction * (1 + 1e-12)
        return flags

    def beyond_note(self, name: str) -> str:
        top = 100.0 * self.crc_max_mass_fraction
        if self.pure_node:
            return (
                f"{name} above the CRC table ({top:g} % w/w): interpolated to the pure-liquid "
                "density"
            )
        return (
            f"{name} above the CRC table ({top:g} % w/w): extrapolated with the apparent molar "
            "volume of the last row"
        )


@lru_cache(maxsize=512)
def volume_model(solute: Solute) -> _VolumeModel:
    pure = solute.pure_density_g_per_ml
    if solute.crc_key is None:
        if pure is None:  # pragma: no cover - callers check has_density_data
            raise InvalidCompositionError(f"no density for {solute.name}", field="solute")
        return _VolumeModel(None, 0.0, 0.0, False, pure, 1.0 / pure)
    binary = _crc_binaries()[solute.crc_key]
    x = np.concatenate([[0.0], binary.mass_fraction])
    y = np.concatenate([[WATER_DENSITY_20C_G_PER_ML], binary.density_g_per_ml])
    crc_top = float(binary.mass_fraction[-1])
    pure_node = crc_top < 1.0 and pure is not None
    if pure_node:
        assert pure is not None
        x = np.concatenate([x, [1.0]])
        y = np.concatenate([y, [pure]])
    top = float(x[-1])
    interpolant = _Pchip.fit(x, y)
    tail = 0.0
    if top < 1.0:
        top_grams = WATER_G * top / (1.0 - top)
        top_volume = (WATER_G + top_grams) / float(y[-1]) - WATER_VOLUME_ML
        tail = top_volume / top_grams
    return _VolumeModel(interpolant, crc_top, top, pure_node, pure, tail)
