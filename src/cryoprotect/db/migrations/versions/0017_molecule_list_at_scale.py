"""The molecule list and its text search at a million rows: trigram indexes, an exact count.

* Text search (``GET /molecules?q=``) is one OR of ``name ILIKE '%q%'``, the synonyms
  joined by spaces ``ILIKE '%q%'``, ``inchikey = Q``, ``formula = q`` (and ``pubchem_cid``).
  ``public.text_trigrams(t)``: the distinct 3-character substrings of ``lower(t)`` (the
  embedded server has no pg_trgm, so built-in GIN on ``text[]``). A text containing ``q``
  holds every trigram of ``q`` (ILIKE compares ``lower()`` of both sides in a UTF-8
  database), so ``text_trigrams(name) @> text_trigrams(q) AND name ILIKE '%q%'`` selects
  the same rows through a GIN index (for a ``q`` of 3+ characters without LIKE wildcards).
  GIN indexes on the trigrams of ``name`` and of the synonyms joined
  (``public.molecule_synonyms_text``, IMMUTABLE so it can be indexed) and a b-tree on
  ``formula`` give every arm of the OR an index: a bitmap OR instead of reading the table.
* ``ix_molecules_list_name``: ``(name, id)`` with the columns the row-level-security
  policy and the list filters read (``visibility``, ``created_by``, ``team_id``, ``kind``,
  ``molecule_class``) included, so the ids of any page in the default order are found by an
  index-only scan; only that page's rows are then read.
* ``molecule_counts``: how many molecules each (visibility, team, owner, kind, class)
  group holds, kept by statement-level triggers on ``molecules`` (transition tables: one
  upsert per statement and group; deletes add negative counts). Each writer upserts its
  own row (``stripe`` = its backend pid, unique among live connections), so concurrent
  writers never wait on each other's counter, not even behind a transaction held open for
  hours (the change feed's test holds one while 5,000 other inserts commit); rows of
  connections gone are summed like any other and folded into one by ``recount_molecules()``.
  Its SELECT policy is the molecules SELECT policy applied to the group
  (``auth.can_view_row(created_by, team_id, visibility)``, plus ``service_role``), so the
  caller's sum over the groups equals ``count(*)`` of the molecules the caller sees: the
  list's ``total`` stays exact without reading a million rows. Only the trigger (SECURITY
  DEFINER, owned by the migration role) writes it; the app role may only read.
  ``public.recount_molecules()`` rebuilds it from the table (run after a data-only restore
  of ``molecules`` with triggers disabled; the migration runs it once).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

from cryoprotect.db.migration_helpers import SERVICE_ROLE_ONLY, app_role, enable_rls, policy

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

GROUP = "visibility, team_id, created_by, kind, molecule_class"
# NULL team / class as a value of the key (ON CONFLICT needs equal keys to conflict).
GROUP_KEY = "visibility, team_key, created_by, kind, class_key, stripe"

TEXT_FUNCTIONS = """
CREATE OR REPLACE FUNCTION public.molecule_synonyms_text(synonyms text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_to_string(synonyms, ' ') $$;

CREATE OR REPLACE FUNCTION public.text_trigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT COST 1000 AS $$
    SELECT coalesce(array_agg(DISTINCT substr(l, i, 3)), '{}')
    FROM (SELECT lower(t) AS l) AS lowered, generate_series(1, length(l) - 2) AS i
$$;
"""
# Under RLS, PostgreSQL uses an index only through leakproof operators, and the array
# containment of the trigram indexes is not one (only a superuser may declare it so). This
# function runs the indexed search as its owner and applies the molecules SELECT policy
# itself (the same two predicates), so it returns only ids the caller may see.
CONTAINING = f"""
CREATE OR REPLACE FUNCTION public.molecules_containing(q text) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public ROWS 100 AS $$
    SELECT m.id FROM public.molecules m
    WHERE ((public.text_trigrams(m.name) @> public.text_trigrams(q)
            AND m.name ILIKE '%' || q || '%')
        OR (public.text_trigrams(public.molecule_synonyms_text(m.synonyms))
                @> public.text_trigrams(q)
            AND public.molecule_synonyms_text(m.synonyms) ILIKE '%' || q || '%'))
      AND ({SERVICE_ROLE_ONLY} OR auth.can_view_row(m.created_by, m.team_id, m.visibility))
$$
"""
COUNT_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION public.count_molecules() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.molecule_counts AS c ({GROUP}, stripe, n)
        SELECT {GROUP}, pg_backend_pid(), count(*)
        FROM new_rows GROUP BY {GROUP} ORDER BY {GROUP}
        ON CONFLICT ({GROUP_KEY}) DO UPDATE SET n = c.n + excluded.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO public.molecule_counts AS c ({GROUP}, stripe, n)
        SELECT {GROUP}, pg_backend_pid(), -count(*)
        FROM old_rows GROUP BY {GROUP} ORDER BY {GROUP}
        ON CONFLICT ({GROUP_KEY}) DO UPDATE SET n = c.n + excluded.n;
    ELSE
        INSERT INTO public.molecule_counts AS c ({GROUP}, stripe, n)
        SELECT {GROUP}, pg_backend_pid(), sum(d)
        FROM (SELECT {GROUP}, 1 AS d FROM new_rows
              UNION ALL SELECT {GROUP}, -1 FROM old_rows) AS changes
        GROUP BY {GROUP} HAVING sum(d) <> 0 ORDER BY {GROUP}
        ON CONFLICT ({GROUP_KEY}) DO UPDATE SET n = c.n + excluded.n;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION public.recount_molecules() RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    DELETE FROM public.molecule_counts;
    INSERT INTO public.molecule_counts ({GROUP}, stripe, n)
    SELECT {GROUP}, 0, count(*) FROM public.molecules GROUP BY {GROUP};
    SELECT coalesce(sum(n), 0)::bigint FROM public.molecule_counts;
$$;
REVOKE ALL ON FUNCTION public.recount_molecules() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.count_molecules() FROM PUBLIC;
"""


def upgrade() -> None:
    op.execute(TEXT_FUNCTIONS)
    op.execute(CONTAINING)
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_molecules_name_trigrams ON public.molecules "
        "USING gin (public.text_trigrams(name))"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_molecules_synonyms_trigrams ON public.molecules "
        "USING gin (public.text_trigrams(public.molecule_synonyms_text(synonyms)))"
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_molecules_formula ON public.molecules (formula)")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_molecules_list_name ON public.molecules (name, id) "
        "INCLUDE (visibility, created_by, team_id, kind, molecule_class)"
    )
    op.execute(
        f"""
        CREATE TABLE public.molecule_counts (
            visibility varchar(16) NOT NULL,
            team_id uuid,
            created_by uuid NOT NULL,
            kind varchar(16) NOT NULL,
            molecule_class varchar(32),
            stripe integer NOT NULL,
            n bigint NOT NULL,
            team_key uuid GENERATED ALWAYS AS
                (coalesce(team_id, '00000000-0000-0000-0000-000000000000'::uuid)) STORED,
            class_key text GENERATED ALWAYS AS (coalesce(molecule_class, '')) STORED,
            CONSTRAINT uq_molecule_counts_group UNIQUE ({GROUP_KEY})
        )
        """
    )
    enable_rls("molecule_counts")
    policy(
        "molecule_counts",
        "select_policy",
        "SELECT",
        using="auth.can_view_row(created_by, team_id, visibility)",
    )
    op.execute(f"GRANT SELECT ON public.molecule_counts TO {app_role()}")
    op.execute(COUNT_FUNCTIONS)
    op.execute("SELECT public.recount_molecules()")
    for event, tables in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER count_molecules_{event.lower()} AFTER {event} ON public.molecules "
            f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION public.count_molecules()"
        )


def downgrade() -> None:
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS count_molecules_{event} ON public.molecules")
    op.execute("DROP FUNCTION IF EXISTS public.count_molecules()")
    op.execute("DROP FUNCTION IF EXISTS public.recount_molecules()")
    op.execute("DROP TABLE IF EXISTS public.molecule_counts")
    for index in ("list_name", "formula", "synonyms_trigrams", "name_trigrams"):
        op.execute(f"DROP INDEX IF EXISTS public.ix_molecules_{index}")
    op.execute("DROP FUNCTION IF EXISTS public.molecules_containing(text)")
    op.execute("DROP FUNCTION IF EXISTS public.text_trigrams(text)")
    op.execute("DROP FUNCTION IF EXISTS public.molecule_synonyms_text(text[])")
