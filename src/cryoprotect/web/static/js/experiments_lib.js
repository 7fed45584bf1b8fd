// Pure helpers of the experiment pages (no DOM): building API payloads from form rows,
// describing results with their units, verification status and history, predicted versus
// measured rows and chart traces, the team's prediction-error summary and the CSV template.
// Unit-tested with Node's built-in test runner (tests/js/experiments.test.mjs).
import { formatInUnit, formatQuantity, formatRecorded, formatTimestamp, isNum, label } from "./format.js";

/** Verification statuses in workflow order, with the words the pages show. */
export const STATUS_TEXT = {
  unverified: "Not submitted",
  pending: "Pending verification",
  verified: "Verified",
  rejected: "Rejected",
};

/** Text and CSS class of a verification badge ("badge verified", …). */
export function statusBadge(status) {
  const known = Object.hasOwn(STATUS_TEXT, status);
  return {
    text: known ? STATUS_TEXT[status] : String(status || "unknown"),
    className: status === "unverified" || !known ? "badge" : `badge ${status}`,
  };
}

/** Team roles that carry the *verify* capability (migration 0002's TEAM_ROLES table). */
export const VERIFYING_ROLES = ["verifier", "admin"];

/** The measures of GET /experiments/vocabulary, keyed by their API key. */
export function measureIndex(vocabulary) {
  return new Map((vocabulary?.measures || []).map((m) => [m.key, m]));
}

/**
 * How a measure's unit is entered: one fixed unit ("%"), a free unit the user types
 * (function assays), or no unit at all (yes/no results).
 */
export function unitChoice(measure) {
  if (!measure) return { kind: "free", units: [] };
  if (measure.kind === "boolean") return { kind: "none", units: [] };
  const units = (measure.units || []).filter((u) => u !== "");
  return units.length ? { kind: "fixed", units } : { kind: "free", units: [] };
}

/** The unit a condition's key names (``storage_temperature_c`` → "°C"). */
export function conditionUnit(key) {
  const match = /\(([^)]+)\)$/.exec(label(key));
  return match ? match[1] : "";
}

/**
 * The numeric conditions of the vocabulary as form fields, in the API's order:
 * [{key, label, unit, min, max}].
 */
export function conditionFields(conditions) {
  return Object.entries(conditions || {}).map(([key, range]) => ({
    key,
    label: label(key).replace(/ \([^)]+\)$/, ""),
    unit: conditionUnit(key),
    min: Array.isArray(range) ? range[0] : null,
    max: Array.isArray(range) ? range[1] : null,
  }));
}

/** The free-text conditions the API accepts besides the numeric ones. */
export const TEXT_CONDITIONS = ["method", "container", "seeding", "notes"];

/**
 * "22, 4, -20" → [22, 4, -20]. A token that is not a number is passed on unchanged so the
 * API names it (``conditions.step_temperatures_c[1]``) next to the field.
 */
export function parseNumberList(text) {
  return String(text ?? "")
    .split(/[;,\s]+/)
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .map((t) => (Number.isFinite(Number(t)) ? Number(t) : t));
}

/** A number from an input's text; "" → null; anything else unparseable passes through. */
export function numberOrRaw(text) {
  const s = String(text ?? "").trim();
  if (s === "") return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : s;
}

/** Copy into ``out`` the trimmed texts of ``keys`` in ``values`` that are not empty. */
function putTexts(out, values, keys) {
  for (const key of keys) {
    const text = (values[key] || "").trim();
    if (text) out[key] = text;
  }
  return out;
}

/** Copy into ``out`` the numbers (numberOrRaw) of ``keys`` in ``values`` that are not empty. */
function putNumbers(out, values, keys) {
  for (const key of keys) {
    const v = numberOrRaw(values[key]);
    if (v !== null) out[key] = v;
  }
  return out;
}

/**
 * Nothing typed into a result row: no value, SD, assay, method, time or notes, the
 * replicates left at their default (1), and no unit typed (a unit the measure fixes, chosen
 * from its list, is not typed). The measure does not count — the select always shows one.
 * The new-experiment form starts with one such row, ready to fill, and leaves it out on save
 * rather than sending a result without a value.
 */
export function isBlankResult(row, measure) {
  const blank = (key) => String(row?.[key] ?? "").trim() === "";
  const replicates = String(row?.replicates ?? "").trim();
  const unitTyped = unitChoice(measure).kind === "free" && !blank("unit");
  return ["value", "sd", "assay", "method", "time_point_h", "notes"].every(blank) && !unitTyped && (replicates === "" || replicates === "1");
}

/**
 * Result rows of the form → the API's ``results`` list, one per row (so the API's
 * ``results[i]`` errors land on row i; drop blank rows, isBlankResult, before). A row is
 * {measure, value, unit, replicates, sd, assay, time_point_h, notes} as strings; yes/no
 * measures take "yes"/"no". Values are not range-checked here: the API does that and its
 * message lands next to the field.
 */
export function buildResults(rows, measures) {
  return rows.map((row) => {
    const measure = measures.get(row.measure);
    const out = { measure: row.measure };
    if (measure && measure.kind === "boolean") {
      out.value = row.value === "yes" ? true : row.value === "no" ? false : row.value || null;
    } else {
      out.value = numberOrRaw(row.value);
      putTexts(out, row, ["unit"]);
    }
    putNumbers(out, row, ["replicates", "sd", "time_point_h"]);
    return putTexts(out, row, ["assay", "method", "notes"]);
  });
}

/** Condition inputs ({key: text}) → the API's ``conditions`` object (empty ones dropped). */
export function buildConditions(values, numericKeys) {
  const out = putNumbers({}, values, numericKeys);
  const steps = parseNumberList(values.step_temperatures_c);
  if (steps.length) out.step_temperatures_c = steps;
  return putTexts(out, values, TEXT_CONDITIONS);
}

/** Biological-system inputs → the API's object (empty fields dropped). */
export function buildBiologicalSystem(values) {
  return putTexts({}, values, ["kind", "name", "species", "source", "passage", "details"]);
}

/** Attachment rows → the API's list; a row without a file name is left out. */
export function buildAttachments(rows) {
  return rows
    .filter((r) => (r.filename || "").trim())
    .map((r) => {
      const out = putTexts({ filename: r.filename.trim() }, r, ["content_type"]);
      putNumbers(out, r, ["size_bytes"]);
      return putTexts(out, r, ["sha256", "url", "description"]);
    });
}

/** A result's value with its unit: "72.5 %", "2.1 U/mL", "yes". */
export function describeValue(result, measure) {
  if (typeof result?.value === "boolean" || measure?.kind === "boolean") {
    return result.value === true ? "yes" : result.value === false ? "no" : "—";
  }
  if (!isNum(result?.value)) return "—";
  return formatRecorded(result.value, result.unit || ""); // as recorded
}

/** "72.5 % (n = 3, SD 4.1 %)" for one result. */
export function describeResult(result, measure) {
  const value = describeValue(result, measure);
  const parts = [`n = ${result.replicates ?? 1}`];
  if (isNum(result.sd)) parts.push(`SD ${formatRecorded(result.sd, result.unit || "")}`);
  if (isNum(result.time_point_h)) parts.push(`${formatRecorded(result.time_point_h, "h")} after thaw`);
  return `${value} (${parts.join(", ")})`;
}

/** One line for a list: "Post-thaw viability 72.5 %; Ice observed: no". */
export function resultSummary(results, measures, limit = 3) {
  const list = results || [];
  const text = list.slice(0, limit).map((r) => {
    const m = measures.get(r.measure);
    const name = m ? m.label : label(r.measure);
    return m?.kind === "boolean" ? `${name}: ${describeValue(r, m)}` : `${name} ${describeValue(r, m)}`;
  });
  if (list.length > limit) text.push(`+${list.length - limit} more`);
  return text.join("; ");
}

/** The biological system in words: "HepG2 (cell, human)", "Fibroblast · HFF-1 (cell)", "kidney slice (tissue)". */
export function describeBiologicalSystem(experiment) {
  const system = experiment?.biological_system || {};
  const names = [experiment?.cell_type_name, system.name].filter(Boolean);
  const name = [...new Set(names)].join(" · ");
  const extra = [system.kind, system.species].filter(Boolean).join(", ");
  if (!name && !extra) return "—";
  return extra ? `${name || "unnamed"} (${extra})` : name;
}

/** "10% DMSO v2" or "—". */
export function describeMixture(experiment) {
  if (!experiment?.mixture_id) return "—";
  const name = experiment.mixture_name || "mixture";
  return experiment.mixture_version ? `${name} v${experiment.mixture_version}` : name;
}

/** The conditions as [[label with unit, value text]], numeric ones with their units. */
export function conditionRows(conditions) {
  const rows = [];
  for (const [key, value] of Object.entries(conditions || {})) {
    if (key === "step_temperatures_c" && Array.isArray(value)) {
      rows.push(["Step temperatures", value.map((t) => formatRecorded(t, "°C")).join(" → ")]); // as entered
    } else if (typeof value === "number") {
      rows.push([label(key).replace(/ \([^)]+\)$/, ""), formatRecorded(value, conditionUnit(key))]);
    } else if (value !== null && value !== undefined && value !== "") {
      rows.push([label(key), String(value)]);
    }
  }
  return rows;
}

/** Who may do what on the experiment page (the API and the database have the last word). */
export function permissions(experiment, user, teams) {
  if (!experiment || !user) {
    return { author: false, role: null, canEdit: false, canDelete: false, canSubmit: false, canVerify: false };
  }
  const author = experiment.created_by === user.id;
  const team = (teams || []).find((t) => t.id === experiment.team_id);
  const role = team ? team.my_role : null;
  const shared = experiment.visibility !== "private" && Boolean(experiment.team_id);
  // auth.can_edit_row / can_delete_row (migration 0002): the owner, or a team member whose
  // role may edit (editor, verifier, admin) / delete (admin) a non-private row.
  const canEdit = author || (shared && ["editor", "verifier", "admin"].includes(role));
  const canDelete = (author || (shared && role === "admin")) && experiment.verification_status !== "verified";
  const status = experiment.verification_status;
  return {
    author,
    role,
    canEdit,
    canDelete,
    canSubmit: canEdit && shared && (status === "unverified" || status === "rejected"),
    canVerify: !author && shared && status === "pending" && VERIFYING_ROLES.includes(role),
  };
}

function shortJson(value, max = 80) {
  if (value === null || value === undefined) return "—";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One field's change in words: "title: “old” → “new”", "results: 1 → 2 entries". */
export function describeChange(field, change) {
  const before = change?.old;
  const after = change?.new;
  if (Array.isArray(before) || Array.isArray(after)) {
    const n = (x) => (Array.isArray(x) ? x.length : 0);
    const note = `${label(field)}: ${n(before)} → ${n(after)} entries`;
    return field === "results" ? `${note} (${shortJson(after)})` : note;
  }
  return `${label(field)}: ${shortJson(before)} → ${shortJson(after)}`;
}

/**
 * Verification decisions and edits merged into one timeline, oldest first:
 * [{at, when, who, what, detail, kind, status?}]. At equal times (one transaction) the edit
 * comes before the verification row it caused.
 */
export function historyTimeline(history) {
  const entries = [];
  for (const c of history?.changes || []) {
    const fields = Object.entries(c.changes || {}).filter(([key]) => key !== "verification_status");
    const statusChange = c.changes?.verification_status;
    const action = { INSERT: "Recorded", UPDATE: "Edited", DELETE: "Deleted" }[c.action] || c.action;
    if (c.action === "UPDATE" && !fields.length && statusChange) continue; // shown as a verification
    const detail = c.redacted
      ? "details withheld: made while the experiment was not visible to you"
      : fields.map(([k, v]) => describeChange(k, v)).join("; ");
    entries.push({ at: c.occurred_at, who: c.actor || "someone", what: action, detail, kind: "change" });
  }
  for (const v of history?.verifications || []) {
    const decided = v.status !== "pending";
    const who = decided ? v.verifier || v.created_by_name || "a verifier" : v.created_by_name || "the author";
    const detail = [v.notes, v.equipment ? `equipment: ${v.equipment}` : ""].filter(Boolean).join(" · ");
    const what = STATUS_TEXT[v.status] || v.status;
    entries.push({ at: v.verified_at || v.created_at, who, what, detail, kind: "verification", status: v.status });
  }
  entries.sort((a, b) => String(a.at).localeCompare(String(b.at)));
  return entries.map((e) => ({ ...e, when: formatTimestamp(e.at, { utc: true }) }));
}

/** "Model name v3" for a comparison or summary row. */
export function modelLabel(row) {
  return `${row.model_name} v${row.model_version}`;
}

/** Predicted-vs-measured rows for the table, with units and the interval. */
export function comparisonRows(comparisons) {
  return (comparisons || []).map((c) => ({
    model: modelLabel(c),
    model_id: c.model_id,
    measure: label(c.measure),
    measured: formatRecorded(c.measured, c.unit),
    replicates: String(c.replicates),
    predicted: formatInUnit(c.predicted, c.unit),
    interval:
      isNum(c.lower) && isNum(c.upper)
        ? `${formatInUnit(c.lower, c.unit, "")} – ${formatInUnit(c.upper, c.unit)}${isNum(c.confidence_level) ? ` (${Math.round(c.confidence_level * 100)} %)` : ""}`
        : "—",
    error: formatInUnit(c.error, c.unit),
    inside: c.inside_interval === true ? "yes" : c.inside_interval === false ? "no" : "—",
    predicted_at: formatTimestamp(c.predicted_at, { utc: true }),
  }));
}

/**
 * Plotly traces: per model version (x, categorical) the prediction with its interval as
 * asymmetric error bars, and the measured value as a separate marker.
 */
export function comparisonTraces(comparisons) {
  const list = comparisons || [];
  const measures = [...new Set(list.map((c) => c.measure))];
  const x = list.map((c) => (measures.length > 1 ? `${modelLabel(c)} · ${label(c.measure)}` : modelLabel(c)));
  const bounded = (c) => isNum(c.lower) && isNum(c.upper);
  return [
    {
      type: "scatter",
      mode: "markers",
      name: "Predicted (interval)",
      x,
      y: list.map((c) => c.predicted),
      error_y: {
        type: "data",
        symmetric: false,
        array: list.map((c) => (bounded(c) ? c.upper - c.predicted : 0)),
        arrayminus: list.map((c) => (bounded(c) ? c.predicted - c.lower : 0)),
        thickness: 2,
        width: 8,
      },
      marker: { size: 10, color: "#1f77b4" },
    },
    {
      type: "scatter",
      mode: "markers",
      name: "Measured (replicate-weighted mean)",
      x,
      y: list.map((c) => c.measured),
      text: list.map((c) => `n = ${c.replicates}`),
      marker: { size: 12, symbol: "diamond", color: "#d62728" },
    },
  ];
}

/** The y-axis title of the comparison chart: the measure(s) and unit. */
export function comparisonAxisTitle(comparisons) {
  const list = comparisons || [];
  const units = [...new Set(list.map((c) => c.unit).filter(Boolean))];
  const measures = [...new Set(list.map((c) => label(c.measure).replace(/ \([^)]+\)$/, "")))];
  const name = measures.length === 1 ? measures[0] : "Value";
  return units.length === 1 ? `${name} (${units[0]})` : name;
}

/** The prediction-error summary (GET /experiments/prediction-summary) as table rows. */
export function summaryRows(models) {
  return (models || []).map((m) => ({
    model: modelLabel(m),
    model_id: m.model_id,
    measure: label(m.measure),
    n: String(m.n),
    experiments: String(m.experiments),
    mae: formatInUnit(m.mae, m.unit),
    rmse: formatInUnit(m.rmse, m.unit),
    bias: formatInUnit(m.bias, m.unit),
    coverage: isNum(m.coverage) ? formatQuantity("share", m.coverage * 100) : "—",
  }));
}

/** Bar traces (MAE and RMSE per model version and measure) for the summary chart. */
export function summaryTraces(models) {
  const list = models || [];
  const measures = new Set(list.map((m) => m.measure));
  const x = list.map((m) => (measures.size > 1 ? `${modelLabel(m)} · ${label(m.measure)}` : modelLabel(m)));
  return [
    { type: "bar", name: "MAE", x, y: list.map((m) => m.mae), text: list.map((m) => `n = ${m.n}`), marker: { color: "#1f77b4" } },
    { type: "bar", name: "RMSE", x, y: list.map((m) => m.rmse), marker: { color: "#ff7f0e" } },
  ];
}

/** "Error (%)" when every row shares one unit, else "Error". */
export function summaryAxisTitle(models) {
  const units = [...new Set((models || []).map((m) => m.unit).filter(Boolean))];
  return units.length === 1 ? `Error (${units[0]})` : "Error";
}

/**
 * The columns POST /experiments/import reads (services/experiments.py IMPORT_COLUMNS),
 * with what each holds; the browser test checks them against the service.
 */
export const IMPORT_COLUMNS = [
  ["experiment_id", "Add the row's result to this existing experiment (its id), or leave empty and give a title"],
  ["title", "Rows with the same new title become one new experiment"],
  ["mixture", "Name of a mixture you can see (new experiments)"],
  ["mixture_version", "Whole number; empty = the mixture's current version"],
  ["cell_type", "Name of a cell type in the library"],
  ["performed_on", "Date, YYYY-MM-DD"],
  ["operator", "Who did the experiment"],
  ["measure", "Required: viability_percent, recovery_percent, attachment_percent, membrane_integrity_percent, function_assay, ice_observed or other"],
  ["value", "Number in the unit below; yes/no for ice_observed"],
  ["unit", "% for the percent measures; your unit for function_assay/other"],
  ["replicates", "Whole number ≥ 1 (default 1)"],
  ["sd", "Standard deviation, in the same unit"],
  ["assay", "Assay name (required for function_assay and other)"],
  ["time_point_h", "Hours after thaw"],
  ["notes", "Free text"],
];

/** The CSV template: the header row only, so no example value can be imported by mistake. */
export function templateCsv() {
  return `${IMPORT_COLUMNS.map(([name]) => name).join(",")}\r\n`;
}

/** One sentence for an import report. */
export function importSummary(report) {
  if (!report) return "";
  const parts = [
    `${report.written} of ${report.total} row${report.total === 1 ? "" : "s"} imported`,
    `${report.experiments_created} experiment${report.experiments_created === 1 ? "" : "s"} created`,
    `${report.experiments_updated} updated`,
  ];
  const text = `${parts.join(", ")}.`;
  if (!report.rejected_count) return text;
  const none = report.written === 0 ? " Nothing was written." : "";
  return `${text} ${report.rejected_count} row${report.rejected_count === 1 ? " was" : "s were"} rejected (see below).${none}`;
}
