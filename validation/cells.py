"""Shipped cell types against published measurements (issue 13, item 6).

For every shipped cell type (``science/params/cell_types.csv``) and each parameter whose
published values are recorded in ``science/params/cell_parameter_literature.csv`` (Lp, Ps
per CPA, the carrier half-saturation constant K, the osmotically inactive fraction vb):

* ``spread`` rows — the published range (smallest and largest published mean counted
  towards it, or one value's mean ± SD) and the shipped value; passes when the shipped
  value lies inside the range (the value was chosen from the data, see ``choice_reason``).
* ``boyle_vant_hoff`` rows — the model's equilibrium volume (V/V_iso in a solution of
  non-permeating solutes, :func:`transport.boyle_vant_hoff_volume_fraction`) against a
  published equilibrium volume; passes within ±0.03 of V/V_iso.
* ``permeation`` rows — the model's permeability against a published permeation
  measurement made in a different regime (a saturable carrier: the effective
  Ps = Ps0/((1 + m_e/K)(1 + m_i/K)) over the loading of the experiment must span the
  published value); where no published permeation time course with numbers was found for a
  cell type, a row says so (``passes`` None, ``status`` "no_data").

Published data (all cited in full in the two CSVs):
  * human RBC: Zhao et al., Chin Sci Bull 49 (2004) — 0.57 of isotonic volume at
    3,186 mOsm/kg (electronic particle counter); Jay & Rowlands, J Physiol 252:817 (1975)
    — glycerol 0.0179 ± 0.0045 µm/s (single-cell haemolysis); Campos et al. 2011 —
    0.137 µm/s (stopped flow); Mlekoday et al. 1983 and Sidel & Solomon 1957 — Lp.
  * mouse MII oocyte: Litkouhi et al., Cryobiology 34:23 (1997); Leibo, J Membr Biol
    53:179 (1980); Bernard et al., Cryobiology 25 (1988).
  * rhesus MII oocyte: Karlsson et al., Mol Reprod Dev 76:321 (2009).
  * human sperm: Curry et al. 1994; Du et al. 1994; Devireddy et al. 2000.
  * human MSC, rat hepatocyte, generic: few or no data (estimated rows say so).

:func:`rows` returns the table as dicts (``validation/report.py`` prints it).

Usage: python validation/cells.py
"""

from __future__ import annotations

from typing import Any

from cryoprotect.science import cells, transport

BVH_TOLERANCE = 0.03
"""Allowed |model − published| equilibrium V/V_iso."""

# Published equilibrium volumes in solutions of non-permeating solutes.
BVH_DATA: tuple[dict[str, Any], ...] = (
    {
        "cell_type": "human_rbc",
        "osmolality_osmol_per_kg": 3.186,
        "volume_fraction": 0.57,
        "source": (
            "Zhao G, He L, Guo X, Liu Z, Luo D, Gao D. Chinese Science Bulletin 49 (2004), "
            "doi:10.1360/03ye0450, abstract: equilibrium volume 57 % of isotonic at 3186 mOsm "
            "(electronic particle counter)"
        ),
        "verified": True,
    },
)

# Published permeabilities measured where a carrier is (partly) saturated.
PERMEATION_DATA: tuple[dict[str, Any], ...] = (
    {
        "cell_type": "human_rbc",
        "solute": "Glycerol",
        "value_um_per_s": 0.0179,
        "loading_molality_mol_per_kg": 0.3,
        "source": (
            "Jay AW, Rowlands S. The stages of osmotic haemolysis. J Physiol 252(3):817-832 "
            "(1975), abstract: mean glycerol permeability 1.79e-6 cm/s (SD 0.45e-6). The "
            "haemolysis is assumed to run in isosmotic glycerol (~0.3 mol/kg, the classical "
            "design; concentration and temperature not in the abstract): the model's "
            "effective Ps over that loading (m_i from 0 to m_e) must span the value"
        ),
        "verified": True,
    },
)

# Cell types for which no published permeation time course (volume vs time in a CPA, with
# numbers) could be read: said, not hidden.
NO_TIME_COURSE = {
    "human_rbc": "no volume-vs-time data in glycerol with numbers could be read (abstracts only)",
    "mouse_mii_oocyte": "no shrink-swell minimum volume/time in a CPA could be read",
    "rhesus_mii_oocyte": "Karlsson et al. 2009 fitted their time courses; the curves were not "
    "readable (abstract only)",
    "human_msc": "Casula et al. 2017 measured shrink-swell in DMSO; numbers not readable",
    "rat_hepatocyte": "no published permeation time course found",
    "human_sperm": "Gilmore et al. 2000 (1 M CPA, electronic particle counter): results "
    "section not readable",
    "generic_mammalian": "not a real cell type: no data can exist",
}


def spread_rows() -> list[dict[str, Any]]:
    """One row per cell type and recorded parameter: published range vs shipped value."""
    out: list[dict[str, Any]] = []
    for key, cell in cells.builtin_cell_types().items():
        for r in cells.parameter_ranges(cell):
            inside = r.low - 1e-12 <= r.shipped <= r.high + 1e-12
            out.append(
                {
                    "section": "cells",
                    "kind": "spread",
                    "system": key,
                    "quantity": r.name,
                    "published": [r.low, r.high],
                    "computed": r.shipped,
                    "unit": r.unit,
                    "passes": inside,
                    "spread": r.spread,
                    "n_values": len(
                        [
                            v
                            for v in cells.published_values(key)
                            if v.parameter == r.parameter and v.solute == r.solute and v.in_range
                        ]
                    ),
                    "source": " | ".join(r.sources),
                    "verified": r.verified,
                    "provenance": r.provenance,
                }
            )
    return out


def boyle_vant_hoff_rows() -> list[dict[str, Any]]:
    """The model's equilibrium volume against published equilibrium volumes."""
    out = []
    for data in BVH_DATA:
        cell = cells.get_cell_type(data["cell_type"])
        computed = transport.boyle_vant_hoff_volume_fraction(cell, data["osmolality_osmol_per_kg"])
        error = computed - data["volume_fraction"]
        out.append(
            {
                "section": "cells",
                "kind": "boyle_vant_hoff",
                "system": data["cell_type"],
                "quantity": f"V/V_iso at {data['osmolality_osmol_per_kg']:g} osmol/kg",
                "published": data["volume_fraction"],
                "computed": computed,
                "error": error,
                "unit": "1",
                "target": BVH_TOLERANCE,
                "passes": abs(error) <= BVH_TOLERANCE,
                "source": data["source"],
                "verified": data["verified"],
            }
        )
    return out


def permeation_rows() -> list[dict[str, Any]]:
    """Permeation measurements, and a ``no_data`` row per cell type without a time course."""
    out: list[dict[str, Any]] = []
    for data in PERMEATION_DATA:
        cell = cells.get_cell_type(data["cell_type"])
        permeability = cell.permeability(data["solute"])
        assert permeability is not None
        m_e = data["loading_molality_mol_per_kg"]
        start = transport.effective_ps(permeability, permeability.ps_um_per_s, m_e, 0.0)
        end = transport.effective_ps(permeability, permeability.ps_um_per_s, m_e, m_e)
        low, high = min(start, end), max(start, end)
        value = data["value_um_per_s"]
        out.append(
            {
                "section": "cells",
                "kind": "permeation",
                "system": data["cell_type"],
                "quantity": f"effective Ps ({data['solute']}) loading to {m_e:g} mol/kg",
                "published": value,
                "computed": [low, high],
                "unit": "um/s",
                "passes": low <= value <= high,
                "source": data["source"],
                "verified": data["verified"],
            }
        )
    for key, why in NO_TIME_COURSE.items():
        out.append(
            {
                "section": "cells",
                "kind": "permeation",
                "system": key,
                "quantity": "permeation time course (volume vs time in a CPA)",
                "published": None,
                "computed": None,
                "unit": "1",
                "passes": None,
                "status": "no_data",
                "reason": why,
                "source": "",
                "verified": None,
            }
        )
    return out


def rows() -> list[dict[str, Any]]:
    """Every row (keys: section="cells", system, source, quantity, published, computed, unit,
    passes; plus kind and details). ``passes`` is None where no published data exist."""
    return boyle_vant_hoff_rows() + permeation_rows() + spread_rows()


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return f"{value[0]:.4g}–{value[1]:.4g}"
    return f"{value:.4g}"


def main() -> None:
    print("Cell types: published vs shipped/computed")
    for row in rows():
        verdict = {True: "pass", False: "FAIL", None: "no data"}[row["passes"]]
        flag = "  (unverified source)" if row.get("verified") is False else ""
        print(
            f"{row['kind']:16s} {row['system']:18s} {row['quantity'][:44]:44s} "
            f"published {_fmt(row['published']):>13s} computed {_fmt(row['computed']):>13s} "
            f"{row['unit']:10s} {verdict}{flag}"
        )
        if row.get("reason"):
            print(f"{'':17s}reason: {row['reason']}")


if __name__ == "__main__":
    main()
