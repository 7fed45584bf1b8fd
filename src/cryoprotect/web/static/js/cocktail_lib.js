// Pure helpers of the cocktail design page (no DOM): the design request from the form, API
// error paths (and the constraint an infeasible job names) mapped onto the form's fields,
// the Pareto chart (predicted surviving fraction vs margin to the vitrification constraint,
// with the band propagated from the toxicity model), the chosen design's composition,
// prediction, binding constraints and protocol (reusing the protocol pages' step table and
// charts), and the comparison with each candidate alone. Nothing is computed here that the
// API did not send; a null the API sends is shown with its reason.
// Unit-tested with Node's built-in test runner (tests/js/cocktail.test.mjs).
import { formatInUnit, formatQuantity, formatTime, isNum, numberOrText } from "./format.js";
import { osmoticLimits } from "./protocols_lib.js";
import { compositionText } from "./toxicity_lib.js";

export const MAX_CANDIDATES = 5;

/** The vitrification bounds of the form, with the API's names and units. */
export const VITRIFICATION_FIELDS = [
  ["cooling_rate_c_per_min", "Cooling rate", "°C/min"],
  ["warming_rate_c_per_min", "Warming rate", "°C/min"],
  ["min_total_molality_mol_per_kg", "Least total CPA molality", "mol/kg"],
  ["min_total_mass_percent", "Least total CPA concentration", "% w/w"],
  ["max_melting_point_c", "Highest melting point", "°C"],
];

/** CPAs both the cell type (a permeability) and the toxicity model (parameters) know. */
export function usableCandidates(cellSolutes, modelCpas) {
  const known = new Set((modelCpas || []).map((c) => String(c).toLowerCase()));
  return (cellSolutes || []).filter((s) => known.has(String(s).toLowerCase()));
}

/**
 * The design request (POST /cocktails/design) from the form's raw values (strings).
 * Blank optional fields are left out; the total time is typed in minutes.
 */
export function designRequest(v) {
  const num = (x) => numberOrText(x);
  const body = {
    candidates: (v.candidates || []).map((c) => String(c || "").trim()).filter(Boolean),
    cell_type: v.cellType || "",
    toxicity_model_id: v.toxicityModelId || "",
    temperature_c: num(v.temperatureC),
    vitrification: {},
  };
  for (const [key] of VITRIFICATION_FIELDS) {
    const value = num(v.vitrification?.[key]);
    if (value !== undefined) body.vitrification[key] = value;
  }
  const optional = {
    removal_temperature_c: num(v.removalTemperatureC),
    max_steps: num(v.maxSteps),
    composition_step: num(v.compositionStep),
    pareto_levels: num(v.paretoLevels),
  };
  const minutes = num(v.maxTotalTimeMin);
  if (minutes !== undefined) optional.max_total_time_s = typeof minutes === "number" ? minutes * 60 : minutes;
  for (const [k, value] of Object.entries(optional)) if (value !== undefined) body[k] = value;
  const limits = osmoticLimits(v.minVolume, v.maxVolume);
  if (limits) body.osmotic_limits = limits;
  return body;
}

/** An API error path (or an infeasible design's constraint) as the form's field name. */
export function designErrorPath(path) {
  const p = String(path || "");
  if (p === "max_total_time_s") return "max_total_time_min";
  if (p === "min_volume_fraction" || p === "max_volume_fraction") return `osmotic_limits.${p}`;
  if (p.startsWith("vitrification.") && !VITRIFICATION_FIELDS.some(([k]) => p === `vitrification.${k}`)) return "vitrification";
  return p;
}

/**
 * The constraint a failed design job names ("… (constraint: max_total_time_s; …)"), or "".
 * The service writes it into the job's error text (services/toxicity/cocktails.py).
 */
export function infeasibleConstraint(errorText) {
  const found = /constraint: ([A-Za-z0-9_.[\]]+)/.exec(String(errorText || ""));
  return found ? found[1] : "";
}

/** The readable part of a failed job's error (without the details dump). */
export function jobErrorMessage(errorText) {
  const text = String(errorText || "no reason given").replace(/^422 infeasible_protocol: /, "");
  const cut = text.indexOf(" (constraint:");
  return cut > 0 ? text.slice(0, cut) : text;
}

/** Progress of a design job as a fraction and a sentence. */
export function jobProgress(job) {
  const fraction = isNum(job?.progress) ? Math.min(1, Math.max(0, job.progress)) : 0;
  const status = job?.status || "queued";
  if (status === "done") return { fraction: 1, text: "Done.", done: true, failed: false };
  if (status === "failed" || status === "cancelled") return { fraction, text: `The design ${status}: ${jobErrorMessage(job.error)}`, done: true, failed: true };
  return { fraction, text: `${status === "queued" ? "Queued" : "Designing"}… ${formatQuantity("share", fraction * 100)} done`, done: false, failed: false };
}

/** "S = 0.998 (90 % band 0.997 – 0.999)" — or why there is no band / no value. */
export function predictionText(prediction) {
  if (!prediction || !isNum(prediction.surviving_fraction)) return "unknown: the designer returned no prediction";
  const s = `S = ${formatQuantity("coefficient", prediction.surviving_fraction)}`;
  const band = prediction.band;
  if (band && isNum(band.low) && isNum(band.high)) {
    return `${s} (${formatQuantity("share", (band.level ?? 0.9) * 100)} band ${formatQuantity("coefficient", band.low)} – ${formatQuantity("coefficient", band.high)})`;
  }
  return `${s} (${prediction.band_reason || "no band given"})`;
}

/** The margin to the vitrification constraint with its unit, or the reason it is unknown. */
export function marginText(vitrification) {
  if (!vitrification) return "—";
  if (!isNum(vitrification.margin)) return `unknown: ${vitrification.reason || "no reason given"}`;
  return formatInUnit(vitrification.margin, vitrification.unit || "");
}

/**
 * The Pareto chart: one marker per front point (x: margin, y: surviving fraction with its
 * band as asymmetric error bars when the API gives one), the chosen design marked.
 * Points whose margin or surviving fraction is null are left off (listed in ``omitted``).
 */
export function paretoChart(result) {
  const front = result?.pareto || [];
  const shown = front.filter((p) => isNum(p.vitrification?.margin) && isNum(p.prediction?.surviving_fraction));
  const omitted = front.filter((p) => !shown.includes(p)).map((p) => p.label);
  const unit = shown[0]?.vitrification?.unit || "";
  const criterion = shown[0]?.vitrification?.criterion || "";
  const withBand = (p) => p.prediction.band && isNum(p.prediction.band.low) && isNum(p.prediction.band.high);
  const trace = {
    type: "scatter",
    mode: "lines+markers",
    name: "Pareto front",
    x: shown.map((p) => p.vitrification.margin),
    y: shown.map((p) => p.prediction.surviving_fraction),
    text: shown.map((p) => `${p.label}: ${compositionText(p.composition?.molality_mol_per_kg)}`),
    hoverinfo: "text+x+y",
    marker: { size: 9, color: "#1f77b4" },
    error_y: {
      type: "data",
      symmetric: false,
      array: shown.map((p) => (withBand(p) ? p.prediction.band.high - p.prediction.surviving_fraction : 0)),
      arrayminus: shown.map((p) => (withBand(p) ? p.prediction.surviving_fraction - p.prediction.band.low : 0)),
      visible: shown.some(withBand),
    },
  };
  const traces = [trace];
  const best = result?.best;
  if (best && isNum(best.vitrification?.margin) && isNum(best.prediction?.surviving_fraction)) {
    traces.push({
      type: "scatter",
      mode: "markers",
      name: "Chosen design",
      x: [best.vitrification.margin],
      y: [best.prediction.surviving_fraction],
      marker: { size: 16, symbol: "star", color: "#d62728" },
      hoverinfo: "name+x+y",
    });
  }
  const layout = {
    margin: { l: 80, r: 20, t: 20, b: 60 },
    xaxis: { title: { text: `Margin to the vitrification constraint${criterion ? ` (${criterion.replace(/_/g, " ")})` : ""}${unit ? ` (${unit})` : ""}` }, zeroline: true },
    yaxis: { title: { text: "Predicted surviving fraction S (toxicity only)" }, zeroline: false },
    legend: { orientation: "h", y: -0.25 },
  };
  return { traces, layout, shown: shown.length, omitted };
}

/** Rows of the Pareto table (display texts). */
export function paretoRows(result) {
  const bestLabel = result?.best?.label;
  return (result?.pareto || []).map((p) => ({
    label: p.label,
    chosen: p.label === bestLabel,
    composition: compositionText(p.composition?.molality_mol_per_kg),
    total: `${formatQuantity("molality", p.composition?.total_molality_mol_per_kg)} (${formatQuantity("mass_fraction", p.composition?.total_mass_percent, "% w/w")})`,
    margin: marginText(p.vitrification),
    prediction: predictionText(p.prediction),
    binding: bindingText(p.binding_constraints),
    duration: formatTime(p.total_duration_s),
  }));
}

/** The composition of a point, one row per CPA (mol/kg and % w/w of the solution). */
export function compositionRows(point) {
  const molality = point?.composition?.molality_mol_per_kg || {};
  const mass = point?.composition?.mass_percent || {};
  const rows = Object.keys(molality).map((cpa) => ({
    cpa,
    molality: formatQuantity("molality", molality[cpa]),
    mass: isNum(mass[cpa]) ? formatQuantity("mass_fraction", mass[cpa], "% w/w") : "—",
  }));
  rows.push({
    cpa: "Total",
    molality: formatQuantity("molality", point?.composition?.total_molality_mol_per_kg),
    mass: formatQuantity("mass_fraction", point?.composition?.total_mass_percent, "% w/w"),
  });
  return rows;
}

/** The binding constraints as text ("vitrification.min_total_molality; max_steps"). */
export function bindingText(binding) {
  const list = (binding || []).map((b) => b.constraint);
  return list.length ? list.join("; ") : "none (no constraint is active)";
}

/** Binding constraint rows: constraint, value vs limit, note. */
export function bindingRows(point) {
  return (point?.binding_constraints || []).map((b) => ({
    constraint: b.constraint,
    value: isNum(b.value) ? formatQuantity("coefficient", b.value) : "—",
    limit: isNum(b.limit) ? formatQuantity("coefficient", b.limit) : "—",
    note: b.note || "",
  }));
}

/**
 * The chosen point in the shape the protocol pages' chart and table helpers read
 * (protocols_lib.volumeTraces / concentrationTraces / stepTable): only the designed protocol.
 */
export function protocolView(result) {
  const best = result?.best || {};
  return {
    protocols: { designed: best.protocol || { steps: best.steps || [] } },
    target: { ...(best.composition?.molality_mol_per_kg || {}) },
    limits: result?.limits || {},
    settings: { carrier: result?.settings?.carrier || {}, osmotic_buffer: buffer(best.steps, result) },
  };
}

function buffer(steps, result) {
  const carrier = result?.settings?.carrier || {};
  const cpas = new Set([...(result?.candidates || []), ...Object.keys(result?.best?.composition?.molality_mol_per_kg || {})]);
  for (const step of steps || []) {
    for (const name of Object.keys(step.solutes || {})) if (!cpas.has(name) && !Object.hasOwn(carrier, name)) return name;
  }
  return null;
}

/**
 * Each candidate alone at the same target (the API's ``one_cpa``): composition, margin,
 * prediction and the ratio of predicted toxicity (−ln S, chosen / alone) — or the reason
 * the API gives. ``available`` is false when the API sent no comparison.
 */
export function oneCpaRows(result) {
  if (!Array.isArray(result?.one_cpa)) return { available: false, rows: [] };
  const bestMargin = result?.best?.vitrification?.margin;
  const rows = result.one_cpa.map((s) => {
    const d = s.design;
    if (!d) return { cpa: s.cpa, composition: "—", margin: "—", prediction: `unknown: ${s.reason || "no reason given"}`, ratio: "—", duration: "—", sameMargin: null };
    const margin = d.vitrification?.margin;
    return {
      cpa: s.cpa,
      composition: compositionText(d.composition?.molality_mol_per_kg),
      margin: marginText(d.vitrification),
      sameMargin: isNum(margin) && isNum(bestMargin) ? Math.abs(margin - bestMargin) <= 1e-6 * Math.max(1, Math.abs(bestMargin)) : null,
      prediction: predictionText(d.prediction),
      ratio: isNum(s.ratio) ? formatQuantity("number", s.ratio) : "unknown: −ln S of this design is not positive",
      duration: formatTime(d.total_duration_s),
    };
  });
  return { available: true, rows };
}

/** The inputs echoed by the result, as definition-list pairs. */
export function designFacts(result, job) {
  const settings = result?.settings || {};
  const model = result?.toxicity_model || {};
  const target = result?.vitrification || {};
  const bounds = VITRIFICATION_FIELDS.filter(([k]) => isNum(target[k])).map(([k, text, unit]) => `${text} ${formatInUnit(target[k], unit)}`);
  return [
    ["Cell type", result?.cell_name || job?.cell_type_name || "—"],
    ["Candidates", (result?.candidates || []).join(", ")],
    ["Toxicity model", `${model.name || "—"} (${model.provenance || "?"}, verified=${model.verified === true})`],
    ["Temperatures", `loading ${formatQuantity("temperature", result?.temperature_c)}, unloading ${formatQuantity("temperature", settings.removal_temperature_c)}`],
    ["Vitrification target", bounds.join("; ") || "—"],
    ["Osmotic limits", `${formatQuantity("volume_fraction", result?.limits?.min_volume_fraction)} – ${formatQuantity("volume_fraction", result?.limits?.max_volume_fraction)}`],
    ["Search", `composition step ${settings.composition_step ?? "?"} (${settings.proportions ?? "?"} proportions, ${settings.proportions_meeting_constraint ?? "?"} meeting the constraint), ${settings.protocol_designs ?? "?"} protocol designs, ${settings.pareto_levels ?? "?"} Pareto levels, at most ${settings.max_steps ?? "?"} steps per phase`],
    ["Designer time", isNum(settings.seconds) ? formatTime(settings.seconds) : "—"],
  ];
}
