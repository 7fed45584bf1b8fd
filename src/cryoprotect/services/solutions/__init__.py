"""Physical properties of CPA solutions: composition in every unit, osmolality, melting
point, glass transition — each number with its method, the provenance of its parameters
and validity flags.

This package only maps library molecules onto the pure science modules
(:mod:`~cryoprotect.science.composition`, :mod:`~cryoprotect.science.thermo`,
:mod:`~cryoprotect.science.glass`) and assembles the answer; it computes nothing itself.
A library molecule is matched to a parameter set by its name or any synonym, exactly
(case-insensitive): never by substring. It imports nothing from the other services
(mixtures and protocols import it, never the reverse).

- :mod:`.components`: the component type, its solute and parameter names, composition check
- :mod:`.carriers`: shipped carrier solutions
- :mod:`.properties`: the properties of one solution
- :mod:`.glass_state`: the glass that applies and the vitrification verdicts
- :mod:`.phase_diagram`: binary phase diagrams
"""

from cryoprotect.services.solutions.carriers import PARAMS, carrier_definition, carriers
from cryoprotect.services.solutions.components import (
    SolutionComponent,
    check_composition,
    component_names,
    parameter_name,
    solute_for,
)
from cryoprotect.services.solutions.phase_diagram import PhaseDiagram, binary_phase_diagram
from cryoprotect.services.solutions.properties import (
    SolutionProperties,
    answer_fields,
    melting_point_values,
    solution_properties,
)

__all__ = [
    "PARAMS",
    "PhaseDiagram",
    "SolutionComponent",
    "SolutionProperties",
    "answer_fields",
    "binary_phase_diagram",
    "carrier_definition",
    "carriers",
    "check_composition",
    "component_names",
    "melting_point_values",
    "parameter_name",
    "solute_for",
    "solution_properties",
]
