"""Row-level security, proven in the database as the app role, for every owned table.

For each table: a private, a team and a public row owned by A; then every kind of caller
tries to SELECT, UPDATE and DELETE each of them. Denials must be silent (0 rows), as
PostgreSQL RLS does, never an error that leaks the row's existence.

Changes of scope (migration 0010) are decided on the old and the new scope: every kind
of caller tries to *move* a team row to a team they administer or out of any team, and
to *widen* a row's visibility. A caller who cannot edit the row changes nothing (0 rows);
one who can edit it but may not change its scope gets an error (PermissionDenied), and
the row stays as it was.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from cryoprotect.db import models
from cryoprotect.db.database import Database, Identity, rows_changed
from cryoprotect.errors import PermissionDenied
from cryoprotect.services.actor import Actor
from cryoprotect.services.auth import AuthService
from cryoprotect.services.teams import TeamService

pytestmark = pytest.mark.integration


@dataclass
class World:
    owner: uuid.UUID
    admin: uuid.UUID
    verifier: uuid.UUID
    editor: uuid.UUID
    viewer: uuid.UUID
    outsider: uuid.UUID
    team: uuid.UUID


PEOPLE = ("owner", "admin", "verifier", "editor", "viewer", "outsider")


@pytest.fixture(scope="module")
def world(db: Database, settings) -> World:
    auth = AuthService(db, settings)
    ids = {}
    for name in PEOPLE:
        ids[name] = auth.register(f"rls-{name}-{uuid.uuid4().hex[:8]}@example.org", "password123")
    teams = TeamService(db)
    owner = Actor(user_id=ids["owner"].id, email=ids["owner"].email)
    team = teams.create(owner, "RLS lab")
    for role in ("admin", "verifier", "editor", "viewer"):
        invitation = teams.invite(owner, team.id, ids[role].email, role)
        teams.respond(Actor(user_id=ids[role].id), invitation.id, accept=True)
    return World(team=team.id, **{k: v.id for k, v in ids.items()})


@pytest.fixture(scope="module")
def own_team(db: Database, world: World) -> dict[str, uuid.UUID]:
    """A second team administered by each person (the destination of a "move")."""
    teams = TeamService(db)
    return {
        name: teams.create(Actor(user_id=getattr(world, name)), f"{name}'s own lab").id
        for name in PEOPLE
    }


def _fake_inchikey() -> str:
    return uuid.uuid4().hex[:14].upper() + "-" + uuid.uuid4().hex[:10].upper() + "-N"


# Minimal valid columns for each owned table (parents are created by `parents`).
def _values(table: str, parents: dict[str, uuid.UUID]) -> dict[str, Any]:
    values: dict[str, dict[str, Any]] = {
        "molecules": {"name": "rls molecule", "smiles": "CCO", "inchikey": _fake_inchikey()},
        "mixtures": {"name": "rls mixture"},
        "toxicity_models": {"name": f"rls toxicity model {uuid.uuid4().hex[:6]}"},
        "cell_types": {"name": "rls cell"},
        "protocols": {"name": "rls protocol"},
        "experiments": {"title": "rls experiment"},
        "datasets": {"name": f"rls dataset {uuid.uuid4().hex[:8]}"},
        "predictive_models": {
            "name": f"rls model {uuid.uuid4().hex[:6]}",
            "algorithm": "ridge",
            "target": "viability",
        },
        "predictions": {
            "model_id": parents.get("predictive_models"),
            "target": "viability",
            "value": 50.0,
        },
        "material_forms": {
            "molecule_id": parents.get("molecules"),
            "kind": "hydrate",
            "label": "dihydrate",
            "components": [{"smiles": "O", "count": 2}],
            "components_key": f"O*2 {uuid.uuid4().hex[:8]}",
            "formula": "C2H10O3",
            "molar_mass": 82.10,
        },
    }
    return values[table]


OWNED = {
    "molecules": models.Molecule,
    "mixtures": models.Mixture,
    "cell_types": models.CellType,
    "protocols": models.Protocol,
    "experiments": models.Experiment,
    "datasets": models.Dataset,
    "predictive_models": models.PredictiveModel,
    "predictions": models.Prediction,
    "toxicity_models": models.ToxicityModel,
    "material_forms": models.MaterialForm,
}

# The public parent a child table's rows need (a form's molecule, a prediction's model), so
# that the child row's own scope decides who sees it.
PARENT = {"predictions": "predictive_models", "material_forms": "molecules"}


def _public_parent(db: Database, w: World, table: str) -> dict[str, uuid.UUID]:
    parent = PARENT.get(table)
    if parent is None:
        return {}
    values = {**_values(parent, {}), "created_by": w.owner, "visibility": "public"}
    return {parent: _insert(db, w.owner, OWNED[parent], values)}


def _insert(
    db: Database, who: uuid.UUID | Identity, model: Any, values: dict[str, Any]
) -> uuid.UUID:
    identity = who if isinstance(who, Identity) else Identity.user(who)
    with db.transaction(identity) as s:
        return s.execute(sa.insert(model).values(**values).returning(model.id)).scalar_one()


def _count(db: Database, identity: Identity, model: Any, row_id: uuid.UUID) -> int:
    with db.transaction(identity) as s:
        return (
            s.scalar(sa.select(sa.func.count()).select_from(model).where(model.id == row_id)) or 0
        )


def _update(db: Database, identity: Identity, model: Any, row_id: uuid.UUID) -> int:
    with db.transaction(identity) as s:
        return rows_changed(
            s.execute(sa.update(model).where(model.id == row_id).values(updated_at=sa.func.now()))
        )


def _delete(db: Database, identity: Identity, model: Any, row_id: uuid.UUID) -> int:
    with db.transaction(identity) as s:
        return rows_changed(s.execute(sa.delete(model).where(model.id == row_id)))


def _make_rows(db: Database, w: World, table: str) -> dict[str, uuid.UUID]:
    model = OWNED[table]
    parents = _public_parent(db, w, table)
    rows = {}
    for vis in ("private", "team", "public"):
        values = {
            **_values(table, parents),
            "created_by": w.owner,
            "visibility": vis,
            "team_id": w.team if vis == "team" else None,
        }
        rows[vis] = _insert(db, w.owner, model, values)
    return rows


@pytest.mark.parametrize("table", sorted(OWNED))
def test_select_matrix(db: Database, world: World, table: str) -> None:
    model = OWNED[table]
    rows = _make_rows(db, world, table)
    expected: dict[str, tuple[Identity, dict[str, int]]] = {
        "owner": (Identity.user(world.owner), {"private": 1, "team": 1, "public": 1}),
        "viewer": (Identity.user(world.viewer), {"private": 0, "team": 1, "public": 1}),
        "editor": (Identity.user(world.editor), {"private": 0, "team": 1, "public": 1}),
        "outsider": (Identity.user(world.outsider), {"private": 0, "team": 0, "public": 1}),
        "anonymous": (Identity.anonymous(), {"private": 0, "team": 0, "public": 1}),
        "service": (Identity.service(), {"private": 1, "team": 1, "public": 1}),
    }
    seen = {
        who: {vis: _count(db, ident, model, rows[vis]) for vis in rows}
        for who, (ident, _) in expected.items()
    }
    assert seen == {who: exp for who, (_, exp) in expected.items()}


@pytest.mark.parametrize("table", sorted(OWNED))
def test_update_matrix(db: Database, world: World, table: str) -> None:
    model = OWNED[table]
    rows = _make_rows(db, world, table)
    expected = {
        "viewer": (Identity.user(world.viewer), {"private": 0, "team": 0, "public": 0}),
        "editor": (Identity.user(world.editor), {"private": 0, "team": 1, "public": 0}),
        "outsider": (Identity.user(world.outsider), {"private": 0, "team": 0, "public": 0}),
        "anonymous": (Identity.anonymous(), {"private": 0, "team": 0, "public": 0}),
        "owner": (Identity.user(world.owner), {"private": 1, "team": 1, "public": 1}),
        "service": (Identity.service(), {"private": 1, "team": 1, "public": 1}),
    }
    seen = {
        who: {vis: _update(db, ident, model, rows[vis]) for vis in rows}
        for who, (ident, _) in expected.items()
    }
    assert seen == {who: exp for who, (_, exp) in expected.items()}


@pytest.mark.parametrize("table", sorted(OWNED))
def test_delete_matrix(db: Database, world: World, table: str) -> None:
    model = OWNED[table]
    rows = _make_rows(db, world, table)
    # Nobody but the owner, a team admin (team rows) and the service role may delete.
    for ident in (
        Identity.user(world.viewer),
        Identity.user(world.editor),
        Identity.user(world.outsider),
        Identity.anonymous(),
    ):
        assert {vis: _delete(db, ident, model, rows[vis]) for vis in rows} == {
            "private": 0,
            "team": 0,
            "public": 0,
        }
    assert _delete(db, Identity.user(world.admin), model, rows["private"]) == 0
    assert _delete(db, Identity.user(world.admin), model, rows["team"]) == 1
    assert _delete(db, Identity.user(world.owner), model, rows["private"]) == 1
    assert _delete(db, Identity.service(), model, rows["public"]) == 1


@pytest.mark.parametrize("table", sorted(OWNED))
def test_insert_rules(db: Database, world: World, table: str) -> None:
    model = OWNED[table]
    parents = _public_parent(db, world, table)
    # Someone else's name on a row: refused.
    with pytest.raises(PermissionDenied):
        _insert(db, world.outsider, model, {**_values(table, parents), "created_by": world.owner})
    # A viewer may not create team rows; an editor may.
    team_row = {**_values(table, parents), "visibility": "team", "team_id": world.team}
    with pytest.raises(PermissionDenied):
        _insert(db, world.viewer, model, {**team_row, "created_by": world.viewer})
    assert _insert(
        db,
        world.editor,
        model,
        {
            **_values(table, parents),
            "visibility": "team",
            "team_id": world.team,
            "created_by": world.editor,
        },
    )
    # Outsiders cannot write into the team; anonymous callers write nothing at all.
    with pytest.raises(PermissionDenied):
        _insert(db, world.outsider, model, {**team_row, "created_by": world.outsider})
    with pytest.raises(PermissionDenied):
        _insert(
            db,
            Identity.anonymous(),
            model,
            {**_values(table, parents), "created_by": world.owner, "visibility": "public"},
        )


def test_owner_cannot_be_reassigned(db: Database, world: World) -> None:
    row = _make_rows(db, world, "mixtures")["private"]
    with pytest.raises(PermissionDenied):
        with db.transaction(Identity.user(world.owner)) as s:
            s.execute(
                sa.update(models.Mixture)
                .where(models.Mixture.id == row)
                .values(created_by=world.outsider)
            )


def test_child_rows_follow_their_parent(db: Database, world: World) -> None:
    molecule = _make_rows(db, world, "molecules")
    mixture_rows = _make_rows(db, world, "mixtures")
    prop_ids = {}
    for vis, mol_id in molecule.items():
        prop_ids[vis] = _insert(
            db,
            world.owner,
            models.MolecularProperty,
            {
                "molecule_id": mol_id,
                "property_name": "logP",
                "value": 1.0,
                "method": "test",
                "provenance": "computed",
                "created_by": world.owner,
            },
        )
    seen = {
        vis: _count(db, Identity.user(world.outsider), models.MolecularProperty, pid)
        for vis, pid in prop_ids.items()
    }
    assert seen == {"private": 0, "team": 0, "public": 1}
    assert _count(db, Identity.user(world.viewer), models.MolecularProperty, prop_ids["team"]) == 1
    assert _update(db, Identity.user(world.viewer), models.MolecularProperty, prop_ids["team"]) == 0
    assert _update(db, Identity.user(world.editor), models.MolecularProperty, prop_ids["team"]) == 1
    assert (
        _delete(db, Identity.user(world.outsider), models.MolecularProperty, prop_ids["public"])
        == 0
    )
    # Adding a component to someone else's public mixture is refused.
    with pytest.raises(PermissionDenied):
        _insert(
            db,
            world.outsider,
            models.MixtureComponent,
            {
                "mixture_id": mixture_rows["public"],
                "molecule_id": molecule["public"],
                "amount": 1.0,
                "unit": "mol/L",
                "created_by": world.outsider,
            },
        )
    assert _insert(
        db,
        world.editor,
        models.MixtureComponent,
        {
            "mixture_id": mixture_rows["team"],
            "molecule_id": molecule["public"],
            "amount": 1.0,
            "unit": "mol/L",
            "created_by": world.editor,
        },
    )


def test_lab_verification_rules_live_in_the_database(db: Database, world: World) -> None:
    LV = models.LabVerification
    experiment = _make_rows(db, world, "experiments")["team"]
    decision = {"experiment_id": experiment, "status": "verified"}
    pending = {"experiment_id": experiment, "status": "pending"}

    def status() -> str:
        with db.transaction(Identity.user(world.owner)) as s:
            return s.get(models.Experiment, experiment).verification_status  # type: ignore[union-attr]

    with pytest.raises(PermissionDenied):  # not submitted yet: nothing to decide
        _insert(
            db, world.admin, LV, {**decision, "verifier_id": world.admin, "created_by": world.admin}
        )
    with pytest.raises(PermissionDenied):  # viewers may not submit (they cannot edit)
        _insert(db, world.viewer, LV, {**pending, "created_by": world.viewer})
    _insert(db, world.owner, LV, {**pending, "created_by": world.owner})
    assert status() == "pending"
    with pytest.raises(PermissionDenied):  # editors lack can_verify
        _insert(
            db,
            world.editor,
            LV,
            {**decision, "verifier_id": world.editor, "created_by": world.editor},
        )
    with pytest.raises(PermissionDenied):  # the author cannot verify, even as a team admin
        _insert(
            db, world.owner, LV, {**decision, "verifier_id": world.owner, "created_by": world.owner}
        )
    with pytest.raises(PermissionDenied):  # the verifier signs as themselves
        _insert(
            db,
            world.admin,
            LV,
            {**decision, "verifier_id": world.editor, "created_by": world.admin},
        )
    vid = _insert(
        db, world.admin, LV, {**decision, "verifier_id": world.admin, "created_by": world.admin}
    )
    assert status() == "verified"
    with pytest.raises(PermissionDenied):  # nobody sets the status by editing the row
        with db.transaction(Identity.user(world.owner)) as s:
            s.execute(
                sa.update(models.Experiment)
                .where(models.Experiment.id == experiment)
                .values(verification_status="rejected")
            )
    with db.transaction(Identity.user(world.owner)) as s:  # an edit of the science reopens it
        s.execute(
            sa.update(models.Experiment)
            .where(models.Experiment.id == experiment)
            .values(notes="recounted")
        )
    assert status() == "pending"
    assert _count(db, Identity.user(world.viewer), LV, vid) == 1
    assert _count(db, Identity.user(world.outsider), LV, vid) == 0
    assert _delete(db, Identity.user(world.admin), LV, vid) == 0  # history kept
    with db.transaction(Identity.user(world.admin)) as s:  # and never rewritten
        changed = rows_changed(s.execute(sa.update(LV).where(LV.id == vid).values(notes="x")))
    assert changed == 0


def test_membership_and_accounts(db: Database, world: World) -> None:
    # Team members see each other's accounts; outsiders see only themselves.
    with db.transaction(Identity.user(world.viewer)) as s:
        emails = s.scalars(sa.select(models.User.id)).all()
        assert set(emails) >= {world.owner, world.viewer, world.editor}
        assert world.outsider not in emails
        # A viewer cannot add members or promote themselves.
        assert (
            rows_changed(
                s.execute(
                    sa.update(models.UserTeamMembership)
                    .where(
                        models.UserTeamMembership.user_id == world.viewer,
                        models.UserTeamMembership.team_id == world.team,
                    )
                    .values(role_id=4)
                )
            )
            == 0
        )
    with db.transaction(Identity.user(world.outsider)) as s:
        assert s.scalars(sa.select(models.User.id)).all() == [world.outsider]
        assert (
            s.scalar(
                sa.select(sa.func.count())
                .select_from(models.UserTeamMembership)
                .where(models.UserTeamMembership.team_id == world.team)
            )
            == 0
        )
        assert s.get(models.Team, world.team) is None
    # Nobody but the service role makes themselves an administrator.
    with pytest.raises(PermissionDenied):
        with db.transaction(Identity.user(world.outsider)) as s:
            s.execute(
                sa.update(models.User).where(models.User.id == world.outsider).values(is_admin=True)
            )
    with pytest.raises(PermissionDenied):
        with db.transaction(Identity.user(world.outsider)) as s:
            s.execute(
                sa.insert(models.UserTeamMembership).values(
                    user_id=world.outsider, team_id=world.team, role_id=4
                )
            )
    # Not even a team admin adds someone without their consent (an accepted invitation).
    with pytest.raises(PermissionDenied):
        with db.transaction(Identity.user(world.owner)) as s:
            s.execute(
                sa.insert(models.UserTeamMembership).values(
                    user_id=world.outsider, team_id=world.team, role_id=1
                )
            )


def test_identity_does_not_leak_across_pooled_connections(db: Database, world: World) -> None:
    row = _make_rows(db, world, "datasets")["private"]
    assert _count(db, Identity.user(world.owner), models.Dataset, row) == 1
    # The same pooled connections now serve anonymous transactions: nothing carries over.
    for _ in range(db.settings.pool_size * 2):
        with db.transaction(Identity.anonymous()) as s:
            assert s.scalar(sa.text("SELECT auth.uid()")) is None
            assert (
                s.scalar(
                    sa.select(sa.func.count())
                    .select_from(models.Dataset)
                    .where(models.Dataset.id == row)
                )
                == 0
            )
    with db.app_engine.connect() as conn:  # outside any identity transaction
        assert conn.scalar(sa.text("SELECT current_setting('request.jwt.claim.sub', true)")) in (
            None,
            "",
        )


def test_app_role_has_no_privileges_beyond_rls(db: Database) -> None:
    with db.app_engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT rolsuper, rolbypassrls, current_user FROM pg_roles WHERE rolname = current_user"
            )
        ).one()
        assert row == (False, False, db.settings.app_db_role)
        owned = conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname IN ('public', 'auth') AND pg_get_userbyid(c.relowner) = current_user"
            )
        )
        assert owned == 0


def test_audit_log_records_writes(db: Database, world: World) -> None:
    row = _make_rows(db, world, "protocols")["private"]
    with db.transaction(Identity.user(world.owner)) as s:
        actions = s.scalars(
            sa.select(models.AuditLog.action).where(
                models.AuditLog.table_name == "protocols", models.AuditLog.row_id == str(row)
            )
        ).all()
        assert actions == ["INSERT"]
        # The app role cannot forge or erase audit entries.
    with pytest.raises(PermissionDenied):
        with db.transaction(Identity.user(world.owner)) as s:
            s.execute(sa.delete(models.AuditLog))


# ----------------------------------------------------------------------------- scope changes
# Outcome of one UPDATE: 1 = changed, 0 = nothing (the caller may not edit the row, RLS is
# silent), "denied" = the caller may edit the row but not change its scope (an error).
SCOPE_CALLERS = (*PEOPLE, "anonymous", "service")


def _identity(w: World, who: str) -> Identity:
    if who == "anonymous":
        return Identity.anonymous()
    if who == "service":
        return Identity.service()
    return Identity.user(getattr(w, who))


def _scope(db: Database, model: Any, row_id: uuid.UUID) -> tuple[uuid.UUID | None, str]:
    with db.transaction(Identity.service()) as s:
        row = s.execute(sa.select(model.team_id, model.visibility).where(model.id == row_id)).one()
        return row.team_id, row.visibility


def _try_scope_change(
    db: Database, identity: Identity, model: Any, row_id: uuid.UUID, values: dict[str, Any]
) -> int | str:
    before = _scope(db, model, row_id)
    try:
        with db.transaction(identity) as s:
            changed = s.execute(sa.update(model).where(model.id == row_id).values(**values))
            count = rows_changed(changed)
    except PermissionDenied:
        assert _scope(db, model, row_id) == before, "a refused change left the row changed"
        return "denied"
    if count == 0:
        assert _scope(db, model, row_id) == before
    return count


def _scoped_row(
    db: Database, w: World, table: str, visibility: str, team_id: uuid.UUID | None
) -> uuid.UUID:
    """One row owned by ``w.owner`` with the given scope (a fresh one per attempt)."""
    values = {
        **_values(table, _public_parent(db, w, table)),
        "created_by": w.owner,
        "visibility": visibility,
        "team_id": team_id,
    }
    return _insert(db, w.owner, OWNED[table], values)


# (start visibility, start in team?, change, expected outcome per caller)
SCOPE_CASES: dict[str, tuple[str, bool, Any, dict[str, int | str]]] = {
    # team row of T -> a team the caller administers: owner-or-admin of T, and (as owner)
    # create or admin rights in the new team
    "move_to_own_team": (
        "team",
        True,
        lambda own, who: {"team_id": own.get(who, own["outsider"])},
        {
            "owner": 1,
            "admin": 1,
            "verifier": "denied",
            "editor": "denied",
            "viewer": 0,
            "outsider": 0,
            "anonymous": 0,
            "service": 1,
        },
    ),
    # team row of T -> no team (private): the owner's personal scope, theirs alone
    "move_out_of_team": (
        "team",
        True,
        lambda own, who: {"team_id": None, "visibility": "private"},
        {
            "owner": 1,
            "admin": "denied",
            "verifier": "denied",
            "editor": "denied",
            "viewer": 0,
            "outsider": 0,
            "anonymous": 0,
            "service": 1,
        },
    ),
    # team -> public: the owner or an admin of the row's team
    "widen_team_to_public": (
        "team",
        True,
        lambda own, who: {"visibility": "public"},
        {
            "owner": 1,
            "admin": 1,
            "verifier": "denied",
            "editor": "denied",
            "viewer": 0,
            "outsider": 0,
            "anonymous": 0,
            "service": 1,
        },
    ),
    # private (filed under T) -> team: only the owner edits a private row at all
    "widen_private_to_team": (
        "private",
        True,
        lambda own, who: {"visibility": "team"},
        {
            "owner": 1,
            "admin": 0,
            "verifier": 0,
            "editor": 0,
            "viewer": 0,
            "outsider": 0,
            "anonymous": 0,
            "service": 1,
        },
    ),
    # public (in T) -> team: narrowing shows the row to nobody new; whoever may edit may
    "narrow_public_to_team": (
        "public",
        True,
        lambda own, who: {"visibility": "team"},
        {
            "owner": 1,
            "admin": 1,
            "verifier": 1,
            "editor": 1,
            "viewer": 0,
            "outsider": 0,
            "anonymous": 0,
            "service": 1,
        },
    ),
}


@pytest.mark.parametrize("case", sorted(SCOPE_CASES))
@pytest.mark.parametrize("table", sorted(OWNED))
def test_scope_change_matrix(
    db: Database, world: World, own_team: dict[str, uuid.UUID], table: str, case: str
) -> None:
    model = OWNED[table]
    visibility, in_team, change, expected = SCOPE_CASES[case]
    seen = {}
    for who in SCOPE_CALLERS:
        row = _scoped_row(db, world, table, visibility, world.team if in_team else None)
        seen[who] = _try_scope_change(db, _identity(world, who), model, row, change(own_team, who))
    assert seen == expected


def test_a_refused_move_says_which_field_and_why(
    db: Database, world: World, own_team: dict[str, uuid.UUID]
) -> None:
    row = _scoped_row(db, world, "molecules", "team", world.team)
    with pytest.raises(PermissionDenied) as refused:
        with db.transaction(Identity.user(world.editor)) as s:
            s.execute(
                sa.update(models.Molecule)
                .where(models.Molecule.id == row)
                .values(team_id=own_team["editor"])
            )
    assert refused.value.details["field"] == "team_id"
    assert "owner" in refused.value.message and "admin" in refused.value.message
    with pytest.raises(PermissionDenied) as refused:
        with db.transaction(Identity.user(world.editor)) as s:
            s.execute(
                sa.update(models.Molecule)
                .where(models.Molecule.id == row)
                .values(visibility="public")
            )
    assert refused.value.details["field"] == "visibility"


def test_an_admin_moves_only_into_a_team_they_may_write_to(
    db: Database, world: World, own_team: dict[str, uuid.UUID]
) -> None:
    # The admin of T may take a teammate's row out of T only into a team they administer:
    # the verifier's own team is not theirs.
    row = _scoped_row(db, world, "mixtures", "team", world.team)
    outcome = _try_scope_change(
        db,
        Identity.user(world.admin),
        models.Mixture,
        row,
        {"team_id": own_team["verifier"]},
    )
    assert outcome == "denied"


def test_verification_does_not_survive_a_move(
    db: Database, world: World, own_team: dict[str, uuid.UUID]
) -> None:
    LV = models.LabVerification
    experiment = _scoped_row(db, world, "experiments", "team", world.team)
    _insert(
        db,
        world.owner,
        LV,
        {"experiment_id": experiment, "status": "pending", "created_by": world.owner},
    )
    _insert(
        db,
        world.verifier,
        LV,
        {
            "experiment_id": experiment,
            "status": "verified",
            "verifier_id": world.verifier,
            "created_by": world.verifier,
        },
    )
    with db.transaction(Identity.user(world.owner)) as s:
        s.execute(
            sa.update(models.Experiment)
            .where(models.Experiment.id == experiment)
            .values(team_id=own_team["owner"])
        )
    with db.transaction(Identity.user(world.owner)) as s:
        assert s.get(models.Experiment, experiment).verification_status == "pending"  # type: ignore[union-attr]
        last = s.scalars(
            sa.select(LV)
            .where(LV.experiment_id == experiment)
            .order_by(LV.created_at.desc(), LV.id.desc())
        ).first()
    assert last is not None and last.status == "pending"
    assert "moved from team" in (last.notes or "")
