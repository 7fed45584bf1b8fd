"""The public reference datasets shipped with the app (CryoMN v1 and v2, FreeSolv)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from cryoprotect.db.database import SYSTEM_USER_ID, Database, Identity
from cryoprotect.db.models import Dataset
from cryoprotect.ml import cryomn_v2
from cryoprotect.ml import datasets as ml_datasets
from cryoprotect.ml import molecule_features as ml_molecules

CRYOMN_DIR = Path(__file__).resolve().parents[2] / "db" / "reference" / "cryomn"
CRYOMN_SOURCE = (
    "CryoMN (DoggoneBastard/ML-for-CryoMN, MIT licence, (c) 2026 Hao Li), commit "
    "c7583b423970f57f891772a0e086e8938daecac7; literature rows cite their DOIs"
)


def load_reference_datasets(db: Database) -> int:
    """Store the CryoMN (v1 and v2) literature and wet-lab data as public reference datasets."""
    loaded = [
        (
            "cryomn-literature",
            "Cryopreservation formulations from the literature with post-thaw viability "
            "(mostly mesenchymal stromal cells, slow freezing); grouped by source DOI.",
            ml_datasets.load_cryomn_literature(CRYOMN_DIR / "literature_formulations.csv"),
        ),
        (
            "cryomn-wetlab",
            "Wet-lab measurements of model-proposed formulations (prospective validation set).",
            ml_datasets.load_cryomn_wetlab(CRYOMN_DIR / "wetlab_validation.csv"),
        ),
        # CryoMN v2 (issue 14, item 2): conditions parsed from the raw records, per-source
        # noise, literature + wet-lab + feedback rows (ml/cryomn_v2.py documents the parse).
        (
            "cryomn-v2-literature",
            "CryoMN v2 literature formulations with post-thaw viability and conditions parsed "
            "from the raw records (cell type, cooling protocol and rate, basal medium, assay; "
            "'unknown' where the text says nothing); grouped by source DOI.",
            cryomn_v2.load_v2_literature(),
        ),
        (
            "cryomn-v2-wetlab",
            "CryoMN v2 wet-lab measurements of model-proposed formulations (106 rows); "
            "grouped by experiment date.",
            cryomn_v2.load_v2_wetlab(),
        ),
        (
            "cryomn-v2-all",
            "Every CryoMN v2 viability observation: literature (DOI groups), wet-lab (date "
            "groups) and the first feedback round, with the curators' per-source noise "
            "(condition observation_noise_sd).",
            cryomn_v2.load_v2_all(),
        ),
        # Molecules (issue 14, item 5): a structure-property reference set.
        (
            "freesolv",
            "FreeSolv: experimental hydration free energies (kcal/mol, 298 K) of 642 neutral "
            "molecules (Mobley & Guthrie 2014); a molecule dataset grouped by Bemis-Murcko "
            "scaffold, shipped to test and demonstrate structure-property models.",
            ml_molecules.load_freesolv(),
        ),
    ]
    with db.transaction(Identity.service()) as session:
        for name, description, ds in loaded:
            values = {
                "name": name,
                "description": description,
                "content_hash": ds.content_hash,
                "row_count": len(ds),
                "rows": ds.to_records(),
                "target_names": list(ds.target_names()),
                "sources": [
                    {
                        "citation": cryomn_v2.SOURCE
                        if name.startswith("cryomn-v2")
                        else ml_molecules.FREESOLV_SOURCE
                        if name == "freesolv"
                        else CRYOMN_SOURCE
                    }
                ],
                "visibility": "public",
                "created_by": SYSTEM_USER_ID,
            }
            existing = session.scalar(
                sa.select(Dataset).where(Dataset.name == name, Dataset.visibility == "public")
            )
            if existing is None:
                session.add(Dataset(**values))
            elif existing.content_hash != values["content_hash"]:
                for key, value in values.items():
                    setattr(existing, key, value)
    return len(loaded)
