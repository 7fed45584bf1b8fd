// Pure helpers of the admin page (no DOM): the database health report as sections to
// render, and feature-flag wording. Unit-tested in tests/js/experiments.test.mjs.
import { formatRecorded, label } from "./format.js";

/** Badge class for a health status (passed / warning / failed). */
export function healthClass(status) {
  return { passed: "badge verified", warning: "badge pending", failed: "badge rejected" }[status] || "badge";
}

const TITLES = {
  schema: "Schema (tables, columns, keys, indexes, row-level security)",
  integrity: "Data integrity (orphaned rows, invalid values)",
  performance: "Performance hints",
  rls_problems: "Row-level security problems",
  sees_all_rows: "Checked every row (not filtered by row-level security)",
  seq_scan_heavy_tables: "Tables read mostly by sequential scans",
  slow_statements: "Slowest statements (pg_stat_statements)",
  mean_exec_time_ms: "Mean time (ms)",
  total_exec_time_ms: "Total time (ms)",
  n_live_tup: "Live rows",
  seq_scan: "Sequential scans",
  idx_scan: "Index scans",
};

/** A readable title for a report key, with units for *_ms keys. */
export function healthTitle(key) {
  if (Object.hasOwn(TITLES, key)) return TITLES[key];
  if (key.endsWith("_ms")) return `${label(key.slice(0, -3))} (ms)`;
  return label(key);
}

function cellText(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : formatRecorded(value, ""); // as the server reports it
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * One finding of a check as something to render:
 * {key, title, kind: "none" | "list" | "table" | "value", items?, columns?, rows?, value?}.
 * Empty lists are "none" (nothing found), lists of objects become tables.
 */
export function finding(key, value) {
  const title = healthTitle(key);
  if (Array.isArray(value)) {
    if (!value.length) return { key, title, kind: "none" };
    if (value.every((v) => v && typeof v === "object" && !Array.isArray(v))) {
      const columns = [...new Set(value.flatMap((v) => Object.keys(v)))];
      return {
        key,
        title,
        kind: "table",
        columns: columns.map((c) => ({ key: c, title: healthTitle(c) })),
        rows: value.map((v) => columns.map((c) => cellText(v[c]))),
      };
    }
    return { key, title, kind: "list", items: value.map(cellText) };
  }
  if (value && typeof value === "object") {
    if (Array.isArray(value.statements)) return { ...finding(key, value.statements), title };
    if (value.available === false) return { key, title, kind: "value", value: `not available: ${value.reason || "unknown reason"}` };
    return { key, title, kind: "list", items: Object.entries(value).map(([k, v]) => `${healthTitle(k)}: ${cellText(v)}`) };
  }
  return { key, title, kind: "value", value: cellText(value) };
}

/** The report's checks as [{key, title, status, findings: [...]}], in the report's order. */
export function healthSections(report) {
  return Object.entries(report?.checks || {}).map(([key, check]) => ({
    key,
    title: healthTitle(key),
    status: check.status,
    findings: Object.entries(check.details || {}).map(([k, v]) => finding(k, v)),
  }));
}

/** What a flag's default does, in words. */
export function rolloutText(flag) {
  if (!flag.enabled) return "off for everyone except the overrides below";
  if (flag.rollout_percentage >= 100) return "on for everyone";
  if (flag.rollout_percentage <= 0) return "on, but rolled out to 0 % of signed-in users (only overrides turn it on)";
  return `on for ${flag.rollout_percentage} % of signed-in users (a stable share: the same people each time)`;
}

/** An override's target: {kind, id, name}; names come from what the page knows. */
export function overrideTarget(override, names) {
  const kind = override.target === "team" || (!override.user_id && override.team_id) ? "team" : "user";
  const id = kind === "team" ? override.team_id : override.user_id;
  return { kind, id, name: names?.get(id) || id };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The id an override form names: a pasted UUID, or one picked from the suggestions
 * ("Ada Lovelace <ada@example.org> · 1b4e…" → the UUID at the end); null when none.
 */
export function parseTargetId(text) {
  const s = String(text ?? "").trim();
  if (UUID.test(s)) return s.toLowerCase();
  const tail = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s*$/i.exec(s);
  return tail ? tail[1].toLowerCase() : null;
}
