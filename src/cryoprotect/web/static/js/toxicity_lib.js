// Pure helpers of the toxicity-model pages (no DOM): the exposure import's row errors, the
// fit request, list rows, the parameter table with its 90 % intervals and sloppy-parameter
// flags, the measured points grouped per exposure condition with the model's fitted values
// (Plotly traces of viability vs time), residuals and the held-out errors. Every number comes
// from the API; a value the API sends as null is shown as its reason, never as a number.
// Unit-tested with Node's built-in test runner (tests/js/toxicity.test.mjs).
import { formatQuantity, formatTimestamp, formatWith, isNum } from "./format.js";

/** ``conditions.method`` of an exposure experiment (services/toxicity/exposure.py). */
export const EXPOSURE_METHOD = "cpa_exposure";
const FREEZING_CONDITIONS = ["cooling_rate_c_per_min", "warming_rate_c_per_min", "storage_temperature_c", "storage_duration_h"];
const TERM_LABELS = { nonspecific: "non-specific", interactions: "interactions", temperature: "temperature (Arrhenius)" };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/** An exposure experiment the fit can use (same rule as the API: method, no freezing). */
export function isExposureExperiment(experiment) {
  const c = experiment?.conditions || {};
  return c.method === EXPOSURE_METHOD && !FREEZING_CONDITIONS.some((k) => c[k] !== undefined && c[k] !== null);
}

/** The rejected rows of an exposure import's 422 (details.rows), in file order. */
export function importRowErrors(details) {
  const rows = Array.isArray(details?.rows) ? details.rows : [];
  return rows
    .filter((r) => r && typeof r === "object")
    .map((r) => ({ row: Number(r.row), field: String(r.field || ""), reason: String(r.reason || "") }))
    .sort((a, b) => a.row - b.row || a.field.localeCompare(b.field));
}

/** "3 rows rejected (rows 3, 4, 7); nothing was imported." */
export function importErrorSummary(errors) {
  const rows = [...new Set(errors.map((e) => e.row))];
  if (!rows.length) return "";
  const n = rows.length;
  return `${n} row${n === 1 ? "" : "s"} rejected (CSV line${n === 1 ? "" : "s"} ${rows.join(", ")}); nothing was imported. Fix them and upload the file again.`;
}

/** What an import wrote, as a sentence. */
export function importSummary(report) {
  if (!report) return "";
  const cpas = (report.cpas || []).join(", ") || "no CPA";
  const plates = (report.plates || []).length;
  return `Imported ${report.rows} row${report.rows === 1 ? "" : "s"} as the exposure experiment “${report.title}”: ${cpas}; ${plates} plate${plates === 1 ? "" : "s"}.`;
}

/**
 * The fit request (POST /toxicity-models) from the form's values.
 * @param {{name: string, experimentIds?: string[]|null, verifiedOnly?: boolean, nonspecific?: boolean,
 *   interactions?: boolean, temperature?: boolean, nBootstrap?: string|number, visibility?: string, teamId?: string}} v
 */
export function fitRequest(v) {
  const body = {
    name: String(v.name || "").trim(),
    verified_only: Boolean(v.verifiedOnly),
    terms: { nonspecific: Boolean(v.nonspecific), interactions: Boolean(v.interactions), temperature: Boolean(v.temperature) },
  };
  if (Array.isArray(v.experimentIds)) body.experiment_ids = v.experimentIds;
  const n = Number(v.nBootstrap);
  if (v.nBootstrap !== undefined && v.nBootstrap !== "" && Number.isFinite(n)) body.n_bootstrap = n;
  if (v.visibility) body.visibility = v.visibility;
  if (v.teamId) body.team_id = v.teamId;
  return body;
}

/** API error paths of the fit request mapped onto the form's field names. */
export function fitErrorPath(path) {
  if (path.startsWith("terms.")) return path.slice("terms.".length);
  if (path.startsWith("experiment_ids")) return "experiment_ids";
  return path;
}

/** The fitted terms of a model's spec as text ("CPA-specific, non-specific"). */
export function termsText(spec) {
  const terms = ["CPA-specific"];
  for (const key of Object.keys(TERM_LABELS)) {
    const value = spec?.[key];
    if (value === true || (Array.isArray(value) && value.length)) terms.push(TERM_LABELS[key]);
  }
  return terms.join(", ");
}

/** Status with progress ("fitting 40 %", "failed: reason"). */
export function statusText(model) {
  const status = model?.status || "?";
  if (status === "failed") return `failed: ${model.error || "no reason given"}`;
  if ((status === "queued" || status === "training" || status === "fitting") && isNum(model.progress)) {
    return `${status} ${formatQuantity("share", model.progress * 100)}`;
  }
  return status;
}

/** A number the API may send as null: the value, or why there is none. */
export function orReason(value, reason, unit = "", sig = 4) {
  return isNum(value) ? formatWith({ sig, unit }, value) : `unknown: ${reason}`;
}

/** One row of the model list (display texts). */
export function modelRow(m) {
  const td = m.training_data || {};
  const pending = m.status !== "ready";
  const why = pending ? `the model is ${m.status}` : "not computed";
  return {
    id: m.id,
    name: `${m.name} v${m.version}`,
    status: statusText(m),
    ready: m.status === "ready",
    cpas: (m.cpas || []).join(", ") || "—",
    terms: termsText(m.spec),
    rows: isNum(td.row_count) ? String(td.row_count) : "—",
    aic: orReason(m.aic, why, "", 4),
    bic: orReason(m.bic, why, "", 4),
    heldOut: isNum(m.held_out_rmse) ? formatQuantity("percent", m.held_out_rmse * 100, "% viability") : `unknown: ${pending ? why : "no group could be held out"}`,
    verified: m.verified ? "yes" : "no",
    created: formatTimestamp(m.created_at, { utc: true }),
  };
}

/** The 90 % interval of a parameter as text; an open end says it is unbounded. */
export function intervalText(p) {
  if (p.fixed) return "fixed (not fitted)";
  const low = isNum(p.low) ? formatQuantity("number", p.low) : "unbounded";
  const high = isNum(p.high) ? formatQuantity("number", p.high) : "unbounded";
  if (!isNum(p.low) && !isNum(p.high)) return "unknown: the bootstrap did not bound it";
  return `${low} – ${high}`;
}

/** Parameter table rows: name, estimate, interval, unit, sloppy flag with its reasons. */
export function parameterRows(model) {
  return (model?.parameters || []).map((p) => ({
    name: p.name,
    estimate: formatQuantity("coefficient", p.estimate),
    interval: intervalText(p),
    wald: isNum(p.wald_low) && isNum(p.wald_high) ? `${formatQuantity("number", p.wald_low)} – ${formatQuantity("number", p.wald_high)}` : "—",
    unit: p.unit || "",
    sloppy: Boolean(p.sloppy),
    reasons: (p.reasons || []).join("; "),
  }));
}

/** Molality map as text, CPAs in name order ("Glycerol 2 mol/kg + DMSO 1.5 mol/kg"). */
export function compositionText(molality) {
  const parts = Object.entries(molality || {})
    .filter(([, v]) => isNum(v) && v > 0)
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([name, v]) => `${name} ${formatQuantity("molality", v)}`);
  return parts.length ? parts.join(" + ") : "no CPA (control)";
}

/** The exposure condition of a point: composition and temperature (°C). */
export function conditionLabel(point) {
  return `${compositionText(point.molality_mol_per_kg)}, ${formatQuantity("temperature", point.temperature_k - 273.15)}`;
}

/**
 * The points grouped by exposure condition (composition + temperature), each group's points
 * by increasing time; groups in order of first appearance.
 * @returns {{label: string, points: object[]}[]}
 */
export function conditionGroups(points) {
  const groups = new Map();
  for (const p of points || []) {
    const key = conditionLabel(p);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(p);
  }
  return [...groups.entries()].map(([label, pts]) => ({ label, points: [...pts].sort((a, b) => a.time_s - b.time_s) }));
}

/**
 * Plotly traces of viability (%) vs exposure time (min): per condition the measured points
 * (markers) and the model's fitted viability at the same times (a line through them).
 */
export function curveTraces(points) {
  const traces = [];
  conditionGroups(points).forEach((g, i) => {
    const color = COLORS[i % COLORS.length];
    const x = g.points.map((p) => p.time_s / 60);
    traces.push({
      type: "scatter",
      mode: "markers",
      name: `${g.label} measured`,
      legendgroup: g.label,
      x,
      y: g.points.map((p) => p.viability * 100),
      marker: { color, size: 7 },
    });
    // One fitted value per distinct time (replicate wells share it).
    const fitted = new Map();
    for (const p of g.points) if (!fitted.has(p.time_s)) fitted.set(p.time_s, p.fitted);
    traces.push({
      type: "scatter",
      mode: "lines",
      name: `${g.label} fitted`,
      legendgroup: g.label,
      x: [...fitted.keys()].map((t) => t / 60),
      y: [...fitted.values()].map((v) => v * 100),
      line: { color, width: 2 },
    });
  });
  return traces;
}

/** Plotly traces of the residuals (measured − fitted, % viability) vs fitted, per condition. */
export function residualTraces(points) {
  return conditionGroups(points).map((g, i) => ({
    type: "scatter",
    mode: "markers",
    name: g.label,
    x: g.points.map((p) => p.fitted * 100),
    y: g.points.map((p) => p.residual * 100),
    marker: { color: COLORS[i % COLORS.length], size: 6 },
  }));
}

/** Data table rows (display texts), one per measured point. */
export function pointRows(points) {
  return (points || []).map((p) => [
    p.plate,
    p.well || "—",
    compositionText(p.molality_mol_per_kg),
    formatQuantity("temperature", p.temperature_k - 273.15, ""),
    formatQuantity("minutes", p.time_s / 60, ""),
    formatQuantity("percent", p.viability * 100, ""),
    formatQuantity("percent", p.fitted * 100, ""),
    formatQuantity("percent", p.residual * 100, ""),
  ]);
}

/** Held-out error rows: an error the rest of the data cannot inform says so. */
export function heldOutRows(model) {
  return (model?.held_out || []).map((h) => ({
    group: h.group,
    n: String(h.n),
    rmse: h.informed && isNum(h.rmse) ? formatQuantity("percent", h.rmse * 100, "% viability") : "unknown: the other groups do not inform this one",
    bias: h.informed && isNum(h.mean_error) ? formatQuantity("percent", h.mean_error * 100, "% viability") : "—",
  }));
}

/** The fit's summary pairs (term, text) for a definition list. */
export function fitSummaryPairs(model) {
  const ready = model?.status === "ready";
  const why = ready ? "not computed" : `the model is ${model?.status}`;
  const level = isNum(model?.interval_level) ? formatQuantity("share", model.interval_level * 100) : "90 %";
  return [
    ["Status", statusText(model)],
    ["CPAs", (model?.cpas || []).join(", ") || "—"],
    ["Terms", termsText(model?.spec)],
    ["Data", `${model?.training_data?.row_count ?? "?"} rows from ${(model?.training_data?.experiment_ids || []).length} experiment(s), ${model?.training_data?.groups ?? "?"} groups${model?.training_data?.verified_only ? ", verified only" : ""}`],
    ["Reference temperature", isNum(model?.t_ref_k) ? `${formatQuantity("temperature_k", model.t_ref_k)} (${formatQuantity("temperature", model.t_ref_k - 273.15)})` : "—"],
    ["AIC", orReason(model?.aic, why, "", 5)],
    ["BIC", orReason(model?.bic, why, "", 5)],
    ["Log-likelihood", orReason(model?.log_likelihood, why, "", 5)],
    ["Residual SD", isNum(model?.sigma) ? formatQuantity("percent", model.sigma * 100, "% viability") : `unknown: ${why}`],
    ["Held-out RMSE (all groups)", isNum(model?.held_out_rmse) ? formatQuantity("percent", model.held_out_rmse * 100, "% viability") : "unknown: no group could be held out"],
    ["Observations / free parameters", `${model?.n_observations ?? "?"} / ${model?.n_free ?? "?"}`],
    ["Intervals", `${level} ${model?.interval_method || ""} (${model?.n_draws ?? 0} draws)`.trim()],
    ["Error model", model?.error_model || "—"],
    ["Valid temperatures", Array.isArray(model?.valid_temperature_k) && model.valid_temperature_k.length === 2 ? `${formatQuantity("temperature", model.valid_temperature_k[0] - 273.15)} – ${formatQuantity("temperature", model.valid_temperature_k[1] - 273.15)}` : "—"],
    ["Highest total molality in the data", isNum(model?.valid_max_total_molality) ? formatQuantity("molality", model.valid_max_total_molality) : "—"],
    ["Provenance", `${model?.provenance || "—"}${model?.verified ? " (verified)" : " (not verified)"}`],
  ];
}
