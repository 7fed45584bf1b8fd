"""Composition units of aqueous solutions of one or more solutes, converted exactly.

This module owns the conversion between the units in which CPA solutions are written down,
and the solution density that the volume-based units need. Everything is at 20 °C, the
temperature of the density data.

Units (the API strings, :data:`UNITS`):

=================  ==============================================================
``mol/kg``         molality: mol of solute per kg of *water*
``% w/w``          g of solute per 100 g of solution
``mole fraction``  mol of solute / (mol of water + Σ mol of solutes); formula units
                   (an electrolyte counts once, undissociated)
``mol/L``          mol of solute per L of solution
``mmol/L``         mmol of solute per L of solution
``g/L``            g of solute per L of solution
``% w/v``          g of solute per 100 mL of solution
``% v/v``          mL of the pure solute (20 °C) per 100 mL of solution
=================  ==============================================================

**Canonical state.** Any composition is reduced to the mass of each solute dissolved in
1 kg of water, ``g_i`` (g per kg water; the molality is ``m_i = g_i / M_i``). The first three
units are exact functions of ``g`` alone. The other five also need ``V``, the volume (mL) of
the solution that contains 1 kg of water, i.e. a density ``ρ = (1000 g + Σ g_i) / V``.

**Density model** (:func:`density`). ``V = V_w + Σ_i ΔV_i(g_i)``, with ``V_w = 1000 g / ρ_w``
and ``ΔV_i`` the volume that solute *i* adds to 1 kg of water:

* *Solute with CRC data* — ``ΔV_i`` is read from the measured density of its binary aqueous
  solution (CRC Handbook, ``params/crc_densities_20c.csv``), interpolated in mass fraction by
  a monotone piecewise-cubic Hermite interpolant (PCHIP: Fritsch & Carlson, SIAM J Numer Anal
  17:238, 1980, with the weighted-harmonic-mean slopes of Fritsch & Butland, SIAM J Sci Stat
  Comput 5:300, 1984, and the end conditions of SciPy's ``PchipInterpolator``, which the tests
  check it equals) through ``(0, ρ_w)``, every CRC row, and,
  where the table stops short of 100 % and the pure liquid's density is known, ``(1, ρ°)``.
  For a one-solute solution this *is* the measured binary density
  (``"CRC measured, binary, interpolated …"``). Beyond the last row of a solid (a salt or
  sugar), ``ΔV_i`` continues with the apparent molar volume of that last row, and the method
  string of that composition says so.
* *Several solutes* — the increments add: each solute contributes the volume change it makes
  in its own binary solution at the same molality, ``ΔV_i = V_binary,i(m_i) − V_w`` (its CRC
  apparent molar volume at ``m_i`` times ``m_i``). This is additivity of apparent molar
  volumes in the spirit of Young's rule (Young & Smith, J Phys Chem 58:716, 1954), taken at
  each solute's own molality rather than at a common ionic strength; it neglects the excess
  volume of solute–solute interaction.
* *Solute without CRC data but with a pure-liquid density* (DMSO, propylene glycol,
  formamide; ``params/pure_densities.csv``) — ideal mixing, ``ΔV_i = g_i / ρ°_i``.
* *Solute with neither* — no density: the volume-based units raise
  :class:`~cryoprotect.errors.InvalidCompositionError` naming it; the mass- and mole-based
  units still work.

Every result carries the method and its sources (``density_method``, ``density_source``).

**Mixed input units.** Each component's amount fixes its ``g_i`` up to one of three totals —
the solution mass ``1000 + Σ g`` (``% w/w``), the total amount of substance
``1000/M_w + Σ g/M`` (``mole fraction``) or the volume ``V`` (the volume-based units). For a
given ``V`` the first two make a 2 × 2 linear system, solved in closed form, so ``g`` is an
affine function of ``V``. ``V`` then solves the scalar equation ``V = V_w + Σ ΔV_i(g_i(V))``,
bracketed and solved per composition by the Illinois variant of regula falsi until the
residual is below ``1e-13 · V`` (:data:`SOLVER_RELATIVE_TOLERANCE`); with mass- and
mole-based inputs only, no iteration is needed. Compositions that leave no room for water
(fractions summing to ≥ 100 %, volumes beyond 100 %, more solute mass per litre than a
litre of solution can weigh) raise :class:`~cryoprotect.errors.InvalidCompositionError`
with ``field = "components[j].amount"`` and the solutes named. Solubility limits are not
checked.

Vectorised: :func:`to_molality`, :func:`from_molality` and :func:`density` take
``(N, n)`` arrays — N compositions of the same n solutes, each column in one unit — and do
the work for all N at once. :func:`convert` and :func:`all_units` are the one-composition
conveniences built on them.

Layout (one job per module; this package re-exports their public names):

* :mod:`.solutes` — constants, :class:`Solute`, the shipped registry and density data;
* :mod:`.checks` — validation of solutes, units and amounts;
* :mod:`.conversion` — the canonical state, solving and expressing amounts.
"""

from __future__ import annotations

from cryoprotect.science.composition.conversion import (
    Component,
    ConversionResult,
    SolutionState,
    all_units,
    convert,
    density,
    from_molality,
    to_molality,
)
from cryoprotect.science.composition.solutes import (
    CRC_SOURCE,
    METHOD_ADDITIVE,
    METHOD_CRC_BINARY,
    METHOD_IDEAL,
    UNITS,
    VOLUME_UNITS,
    WATER_DENSITY_20C_G_PER_ML,
    WATER_MOLAR_MASS_G_PER_MOL,
    DensityEstimate,
    Solute,
    get_solute,
    known_solutes,
)
from cryoprotect.science.composition.solutes import (
    CRC_TABLE as CRC_TABLE,
)
from cryoprotect.science.composition.solutes import (
    PARAMS_DIR as PARAMS_DIR,
)
from cryoprotect.science.composition.solutes import (
    PURE_TABLE as PURE_TABLE,
)
from cryoprotect.science.composition.solutes import (
    SOLVER_MAX_ITERATIONS as SOLVER_MAX_ITERATIONS,
)
from cryoprotect.science.composition.solutes import (
    SOLVER_RELATIVE_TOLERANCE as SOLVER_RELATIVE_TOLERANCE,
)
from cryoprotect.science.composition.solutes import (
    WATER_DENSITY_SOURCE as WATER_DENSITY_SOURCE,
)
from cryoprotect.science.composition.solutes import (
    BoolArray as BoolArray,
)
from cryoprotect.science.composition.solutes import (
    FloatArray as FloatArray,
)

# The interpolant itself, private: tests/unit/test_composition.py checks it against SciPy's.
from cryoprotect.science.composition.solutes import _Pchip as _Pchip

__all__ = [
    "CRC_SOURCE",
    "METHOD_ADDITIVE",
    "METHOD_CRC_BINARY",
    "METHOD_IDEAL",
    "UNITS",
    "VOLUME_UNITS",
    "WATER_DENSITY_20C_G_PER_ML",
    "WATER_MOLAR_MASS_G_PER_MOL",
    "Component",
    "ConversionResult",
    "DensityEstimate",
    "SolutionState",
    "Solute",
    "all_units",
    "convert",
    "density",
    "from_molality",
    "get_solute",
    "known_solutes",
    "to_molality",
]
