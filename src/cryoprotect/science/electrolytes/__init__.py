"""Electrolytes and buffers: which ions a salt puts into solution, and their osmolality.

This module owns the ionic part of a solution's osmolality. Each salt dissociates into its
ions by stoichiometry (``params/salts.csv``: NaCl → Na⁺ + Cl⁻, Na₂HPO₄ → 2 Na⁺ + HPO₄²⁻,
KH₂PO₄ → K⁺ + H₂PO₄⁻, NaHCO₃ → Na⁺ + HCO₃⁻, CaCl₂, MgCl₂, MgSO₄, …; HEPES free acid is a
zwitterion and counts as one uncharged particle, its sodium salt as Na⁺ + HEPES⁻). The
non-ideality of the ions — why 0.9 % saline is 0.286 osmol/kg and not 2 × 0.155 — is the
osmotic coefficient φ of the ion mixture from Pitzer's ion-interaction model (Pitzer &
Mayorga, J Phys Chem 77:2300, 1973), with the binary parameters of ``params/pitzer_binary.csv``
(each with its source)::

    φ − 1 = (2/Σ m_i) · [ −A_φ I^{3/2}/(1 + b√I) + Σ_c Σ_a m_c m_a (B^φ_ca + Z C_ca) ]
    B^φ_ca = β0 + β1 exp(−α1 √I) + β2 exp(−α2 √I),  C_ca = C^φ_ca / (2 √|z_c z_a|)
    π_ions = φ · Σ m_i

with I = ½ Σ z_i² m_i, Z = Σ |z_i| m_i, A_φ = 0.3915 kg^½ mol^-½ (25 °C), b = 1.2. Uncharged
species (the HEPES zwitterion) count once in Σ m_i and take part in no interaction term, so
each contributes exactly its molality. The like-charge mixing terms θ and ψ are omitted: for
the carriers (Na⁺/K⁺ with mM potassium) they change φ by less than 10⁻⁴. A cation–anion pair
without parameters keeps only the Debye–Hückel term and a warning says so.

Temperature: the parameters are the 25 °C values, while osmometers and the melting-point
relation work at the freezing point. Checked against the CRC Handbook's measured freezing
points of the single salts (``tests/unit/test_electrolytes.py``), the model is within a few
per cent up to an ionic strength of :data:`VALID_MAX_IONIC_STRENGTH`; above it the answer is
flagged outside the validated range (and :mod:`~cryoprotect.science.thermo` keeps the
freezing-point-fitted virial coefficients there).

Buffers (pKa at 25 °C with sources in ``params/buffer_pka.csv``):

* Phosphate: the salts of a recipe fix which phosphate anion each supplies (HPO₄²⁻ from
  Na₂HPO₄, H₂PO₄⁻ from KH₂PO₄); their ratio sets the pH through pKa2 = 7.207
  (:func:`phosphate_ratio_at_ph` gives the ratio a pH implies). No proton is moved between
  them here: doing so without adding HCl or NaOH would break electroneutrality.
* HEPES (pKa 7.565, Vega & Bates 1976) is made up as the free acid — a zwitterion, one
  uncharged particle — and titrated to the carrier's pH with NaOH: :func:`hepes_at_ph` splits
  a total into the zwitterion and the sodium salt (Na⁺ + HEPES⁻), the Na⁺ being the NaOH
  added. That split is what :func:`ionic_osmolality` then counts.
* Bicarbonate (NaHCO₃) is counted as Na⁺ + HCO₃⁻. :func:`carbonate_fractions` gives the
  CO₂(aq)/HCO₃⁻/CO₃²⁻ split a pH implies (pKa1 6.352, pKa2 10.329): at pH 7.4 about 92 % is
  HCO₃⁻, 8 % CO₂(aq) and 0.1 % CO₃²⁻. The CO₂(aq) of a medium equilibrated with a CO₂
  atmosphere comes from the gas, not from the bicarbonate, so it is not moved here either.

The pH splits use Henderson–Hasselbalch with the thermodynamic pKa (activities ignored); at
the carriers' ionic strength (≈0.16 mol/kg) the apparent pKa of a charged pair is lower by
roughly 0.1–0.2, which moves at most that fraction of the buffer between its forms: for
10 mmol/kg HEPES at pH 7.4 that is < 1 mOsm/kg.

Layout (one job per module; this package re-exports their public names):

* :mod:`.tables` — species, salts and Pitzer parameters from ``science/params``;
* :mod:`.buffers` — buffer pKa values and speciation at a pH;
* :mod:`.pitzer` — the ionic osmolality model (:func:`ionic_osmolality`);
* :mod:`.carriers` — measured carrier osmolalities and agreement with them.
"""

from __future__ import annotations

from cryoprotect.science.electrolytes.buffers import (
    BufferPka,
    HepesSplit,
    base_fraction,
    buffer_pka,
    buffer_pkas,
    buffers_present,
    carbonate_fractions,
    hepes_at_ph,
    phosphate_ratio_at_ph,
)
from cryoprotect.science.electrolytes.carriers import (
    CARRIER_TARGET_REL,
    MeasuredOsmolality,
    agreement_with_cited,
    measured_carrier_osmolalities,
)
from cryoprotect.science.electrolytes.pitzer import (
    IonicResult,
    ionic_osmolality,
    osmotic_coefficient,
)
from cryoprotect.science.electrolytes.tables import (
    BUFFER_TABLE,
    DEBYE_HUCKEL_A_PHI_25C,
    MEASURED_CARRIER_TABLE,
    METHOD,
    PARAMS_DIR,
    PITZER_B,
    PITZER_TABLE,
    SALT_TABLE,
    SPECIES_TABLE,
    VALID_MAX_IONIC_STRENGTH,
    BoolArray,
    FloatArray,
    PitzerPair,
    Salt,
    find_salt,
    is_electrolyte,
    pitzer_pairs,
    salt,
    species_charges,
)

__all__ = [
    "BoolArray",
    "BUFFER_TABLE",
    "DEBYE_HUCKEL_A_PHI_25C",
    "find_salt",
    "FloatArray",
    "is_electrolyte",
    "MEASURED_CARRIER_TABLE",
    "METHOD",
    "PARAMS_DIR",
    "PITZER_B",
    "pitzer_pairs",
    "PITZER_TABLE",
    "PitzerPair",
    "Salt",
    "salt",
    "SALT_TABLE",
    "species_charges",
    "SPECIES_TABLE",
    "VALID_MAX_IONIC_STRENGTH",
    "base_fraction",
    "buffer_pka",
    "buffer_pkas",
    "BufferPka",
    "buffers_present",
    "carbonate_fractions",
    "hepes_at_ph",
    "HepesSplit",
    "phosphate_ratio_at_ph",
    "ionic_osmolality",
    "IonicResult",
    "osmotic_coefficient",
    "agreement_with_cited",
    "CARRIER_TARGET_REL",
    "measured_carrier_osmolalities",
    "MeasuredOsmolality",
]
