"""Scope changes are authorization decisions: team moves, widening, verification across
teams, and the evidence a team record cites (issue 12, findings 1 and 2).

Row-level security policies see either the old row (USING) or the new one (WITH CHECK),
never both, so the rules that compare the two live in BEFORE triggers:

* ``scope_change_guard`` (every owned table): changing ``team_id`` or widening
  ``visibility`` (private < team < public) needs authority over the **old** scope — the
  row's owner, or an admin (``manage``) of its current team — and over the **new** one:
  the owner moving it into a team where they may create, or an admin of the new team.
  Moving a row out of every team (``team_id`` NULL) is the owner's alone. Narrowing stays
  with whoever may edit the row (it shows the row to nobody new; ``team -> private`` is
  still the owner's by the UPDATE policy's WITH CHECK). The service role is exempt.
  A refusal is SQLSTATE 42501 naming the column (``team_id`` or ``visibility``).
* ``experiment_guard`` (redone): a verified or rejected experiment whose team changes
  returns to ``pending`` like one whose science was edited, and the reopening is written to
  ``lab_verifications`` with the old and the new team — a verdict never travels between
  teams.
* ``experiment_evidence_guard`` / ``cited_evidence_guard``: a team-visible experiment may
  cite (``mixture_id``, ``protocol_id``, ``cell_type_id``) only records its audience can
  see — public ones, or team-visible ones of the same team; a public experiment only
  public ones. Checked when an experiment is written, and when a cited mixture, protocol
  or cell type is narrowed or moved (it cannot strand an experiment that cites it).
  A refusal is SQLSTATE 23514 with the constraint name ``evidence_in_scope``, the column
  at fault, and a JSON detail (the cited item, or the count and first experiment).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

from cryoprotect.db.migration_helpers import (
    EXPERIMENT_GUARD_0008,
    EXPERIMENT_GUARD_CHECKS,
    OWNED_TABLES,
    reopen_as_pending,
    scope_change_guard_trigger,
)

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# What an experiment cites: (column on experiments, cited table, noun in messages).
CITED = (
    ("mixture_id", "mixtures", "mixture"),
    ("protocol_id", "protocols", "protocol"),
    ("cell_type_id", "cell_types", "cell type"),
)

SCOPE_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION public.visibility_rank(vis text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE vis WHEN 'private' THEN 0 WHEN 'team' THEN 1 WHEN 'public' THEN 2 END
$$;

-- Changing team_id or widening visibility: authority over the old and the new scope.
CREATE OR REPLACE FUNCTION public.scope_change_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    me uuid := auth.uid();
    is_owner boolean := me IS NOT NULL AND OLD.created_by = me;
    moved boolean := NEW.team_id IS DISTINCT FROM OLD.team_id;
    widened boolean :=
        public.visibility_rank(NEW.visibility) > public.visibility_rank(OLD.visibility);
    noun text := replace(regexp_replace(TG_TABLE_NAME, 's$', ''), '_', ' ');
BEGIN
    IF auth.role() = 'service_role' OR NOT (moved OR widened) THEN
        RETURN NEW;
    END IF;
    IF NOT (is_owner OR auth.team_can(OLD.team_id, 'manage')) THEN
        IF moved THEN
            RAISE EXCEPTION 'Only the owner of this % or an admin of its team may move it to another team.', noun
                USING ERRCODE = '42501', COLUMN = 'team_id', TABLE = TG_TABLE_NAME;
        END IF;
        RAISE EXCEPTION 'Only the owner of this % or an admin of its team may widen its visibility from % to %.',
                noun, OLD.visibility, NEW.visibility
            USING ERRCODE = '42501', COLUMN = 'visibility', TABLE = TG_TABLE_NAME;
    END IF;
    IF moved AND NOT (
        (is_owner AND (NEW.team_id IS NULL OR auth.team_can(NEW.team_id, 'create')))
        OR auth.team_can(NEW.team_id, 'manage')
    ) THEN
        IF NEW.team_id IS NULL THEN
            RAISE EXCEPTION 'Only the owner of this % may take it out of every team.', noun
                USING ERRCODE = '42501', COLUMN = 'team_id', TABLE = TG_TABLE_NAME;
        END IF;
        RAISE EXCEPTION USING
            MESSAGE = format('This %s may move only into a team where its owner may create '
                             || 'records or that you administer.', noun),
            ERRCODE = '42501', COLUMN = 'team_id', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END $$;

-- May an experiment of (exp_vis, exp_team) cite a record of (item_vis, item_team)?
-- Its audience must see the record: public, or team-visible in the same team.
CREATE OR REPLACE FUNCTION public.evidence_in_scope(
    item_vis text, item_team uuid, exp_vis text, exp_team uuid
) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT exp_vis = 'private'
        OR item_vis = 'public'
        OR (exp_vis = 'team' AND item_vis = 'team' AND item_team = exp_team)
$$;

-- Why an experiment of (exp_vis, exp_team) may not cite row item_id of item_table, or
-- NULL when it may. The record is named when the caller may see it, else by its id.
CREATE OR REPLACE FUNCTION public.evidence_problem(
    item_table text, item_id uuid, exp_vis text, exp_team uuid
) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    item record;
    found_rows integer;
    label text;
    noun text := replace(regexp_replace(item_table, 's$', ''), '_', ' ');
BEGIN
    IF item_id IS NULL OR exp_vis = 'private' THEN
        RETURN NULL;
    END IF;
    IF item_table NOT IN ('mixtures', 'protocols', 'cell_types') THEN
        RAISE EXCEPTION 'not a cited table: %', item_table;
    END IF;
    EXECUTE format(
        'SELECT name, visibility, team_id, created_by FROM public.%I WHERE id = $1', item_table
    ) INTO item USING item_id;
    GET DIAGNOSTICS found_rows = ROW_COUNT;
    IF found_rows = 0 OR public.evidence_in_scope(item.visibility, item.team_id, exp_vis, exp_team) THEN
        RETURN NULL;
    END IF;
    label := CASE WHEN auth.can_view_row(item.created_by, item.team_id, item.visibility)
                  THEN format('%s "%s"', noun, item.name) ELSE format('%s %s', noun, item_id) END;
    IF exp_vis = 'public' THEN
        RETURN format('The %s is %s, not public: make it public before making the experiment public.',
                      label, item.visibility);
    END IF;
    IF item.visibility = 'private' THEN
        RETURN format('The %s is private: share it with the team (or make it public) '
                      || 'before making the experiment team-visible.', label);
    END IF;
    RETURN format('The %s is shared with another team: share it with the experiment''s '
                  || 'team (or make it public) before making the experiment team-visible.',
                  label);
END $$;

-- An experiment shown to a team (or everyone) cites only what that audience can see.
CREATE OR REPLACE FUNCTION public.experiment_evidence_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    cited record;
    problem text;
BEGIN
    IF NEW.visibility = 'private' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
       AND NEW.visibility IS NOT DISTINCT FROM OLD.visibility
       AND NEW.team_id IS NOT DISTINCT FROM OLD.team_id
       AND NEW.mixture_id IS NOT DISTINCT FROM OLD.mixture_id
       AND NEW.protocol_id IS NOT DISTINCT FROM OLD.protocol_id
       AND NEW.cell_type_id IS NOT DISTINCT FROM OLD.cell_type_id THEN
        RETURN NEW;
    END IF;
    FOR cited IN
        SELECT * FROM (VALUES
            ('mixture_id', 'mixtures', NEW.mixture_id),
            ('protocol_id', 'protocols', NEW.protocol_id),
            ('cell_type_id', 'cell_types', NEW.cell_type_id)
        ) AS c(col, tbl, item_id)
    LOOP
        problem := public.evidence_problem(cited.tbl, cited.item_id, NEW.visibility, NEW.team_id);
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION '%', problem USING
                ERRCODE = '23514', CONSTRAINT = 'evidence_in_scope', TABLE = 'experiments',
                COLUMN = cited.col,
                DETAIL = jsonb_build_object('field', cited.col, cited.col, cited.item_id)::text;
        END IF;
    END LOOP;
    RETURN NEW;
END $$;

-- A cited mixture, protocol or cell type cannot be narrowed or moved away from the
-- team-visible or public experiments that cite it.
CREATE OR REPLACE FUNCTION public.cited_evidence_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    col text := CASE TG_TABLE_NAME WHEN 'mixtures' THEN 'mixture_id'
                                   WHEN 'protocols' THEN 'protocol_id'
                                   WHEN 'cell_types' THEN 'cell_type_id' END;
    noun text := replace(regexp_replace(TG_TABLE_NAME, 's$', ''), '_', ' ');
    field text := CASE WHEN NEW.team_id IS DISTINCT FROM OLD.team_id THEN 'team_id'
                       ELSE 'visibility' END;
    stranded integer;
    first_id uuid;
    first_label text;
BEGIN
    IF NEW.visibility IS NOT DISTINCT FROM OLD.visibility
       AND NEW.team_id IS NOT DISTINCT FROM OLD.team_id THEN
        RETURN NEW;
    END IF;
    EXECUTE format(
        'SELECT count(*), (array_agg(e.id ORDER BY e.created_at, e.id))[1] '
        'FROM public.experiments e WHERE e.%I = $1 AND e.visibility <> ''private'' '
        'AND NOT public.evidence_in_scope($2, $3, e.visibility, e.team_id)', col
    ) INTO stranded, first_id USING NEW.id, NEW.visibility, NEW.team_id;
    IF stranded = 0 THEN
        RETURN NEW;
    END IF;
    SELECT CASE WHEN auth.can_view_row(e.created_by, e.team_id, e.visibility)
                THEN format('"%s"', e.title) ELSE e.id::text END
    INTO first_label FROM public.experiments e WHERE e.id = first_id;
    RAISE EXCEPTION USING
        MESSAGE = format('The %s "%s" is cited by %s team-visible or public experiment(s) '
                         || '(first: %s) whose audience would no longer see it: keep it '
                         || 'visible to them, or change those experiments first.',
                         noun, NEW.name, stranded, first_label),
              ERRCODE = '23514', CONSTRAINT = 'evidence_in_scope', TABLE = TG_TABLE_NAME,
              COLUMN = field,
              DETAIL = jsonb_build_object('field', field, col, NEW.id, 'experiments', stranded,
                                          'experiment_id', first_id)::text;
END $$;
"""

# A reopened verdict's note names every reason (a move to another team, an edit).
REOPEN = reopen_as_pending(
    """'Reopened: ' || OLD.verification_status || ' experiment '
                || array_to_string(reasons, ' and ')"""
)

EXPERIMENT_GUARD = f"""
CREATE OR REPLACE FUNCTION public.experiment_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    changed text[];
    moved boolean := NEW.team_id IS DISTINCT FROM OLD.team_id;
    reasons text[] := '{{}}';
BEGIN
{EXPERIMENT_GUARD_CHECKS}    IF OLD.verification_status IN ('verified', 'rejected')
       AND (cardinality(changed) > 0 OR moved) THEN
        IF moved THEN
            -- A verdict belongs to the team whose verifier gave it: it never moves along.
            reasons := reasons || format(
                'moved from %s to %s',
                coalesce((SELECT format('team "%s"', t.name) FROM public.teams t
                          WHERE t.id = OLD.team_id), 'no team'),
                coalesce((SELECT format('team "%s"', t.name) FROM public.teams t
                          WHERE t.id = NEW.team_id), 'no team'));
        END IF;
        IF cardinality(changed) > 0 THEN
            reasons := reasons || ('edited (' || array_to_string(changed, ', ') || ')');
        END IF;
{REOPEN}    END IF;
    RETURN NEW;
END $$;
"""


def upgrade() -> None:
    op.execute(SCOPE_FUNCTIONS)
    # Only the guards (running as the owner) ask: it reads rows the caller may not see.
    op.execute(
        "REVOKE EXECUTE ON FUNCTION public.evidence_problem(text, uuid, text, uuid) FROM PUBLIC"
    )
    op.execute(EXPERIMENT_GUARD)
    for table in OWNED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS scope_change_guard ON public.{table}")
        scope_change_guard_trigger(table)
    op.execute("DROP TRIGGER IF EXISTS experiment_evidence_guard ON public.experiments")
    op.execute(
        "CREATE TRIGGER experiment_evidence_guard BEFORE INSERT OR UPDATE ON public.experiments "
        "FOR EACH ROW EXECUTE FUNCTION public.experiment_evidence_guard()"
    )
    for _, table, _ in CITED:
        op.execute(f"DROP TRIGGER IF EXISTS cited_evidence_guard ON public.{table}")
        op.execute(
            f"CREATE TRIGGER cited_evidence_guard BEFORE UPDATE OF team_id, visibility "
            f"ON public.{table} FOR EACH ROW EXECUTE FUNCTION public.cited_evidence_guard()"
        )


def downgrade() -> None:
    for _, table, _ in CITED:
        op.execute(f"DROP TRIGGER IF EXISTS cited_evidence_guard ON public.{table}")
    op.execute("DROP TRIGGER IF EXISTS experiment_evidence_guard ON public.experiments")
    for table in OWNED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS scope_change_guard ON public.{table}")
    op.execute(EXPERIMENT_GUARD_0008)
    for fn in (
        "public.cited_evidence_guard()",
        "public.experiment_evidence_guard()",
        "public.evidence_problem(text, uuid, text, uuid)",
        "public.evidence_in_scope(text, uuid, text, uuid)",
        "public.scope_change_guard()",
        "public.visibility_rank(text)",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
