// Pure helpers (no DOM) of the model pages and of every page that shows a prediction: whether
// a model beats its baselines (a plain sentence); the train form's request, field errors and
// progress; the predict form's request and error paths; and what a prediction answer may show
// — a value with its interval and unit, or, outside the applicability domain, no value but the
// reason, the distance against the threshold and the nearest training rows. Unit-tested in
// tests/js/models.test.mjs, tests/js/molecule_predictions.test.mjs, tests/js/protocols.test.mjs
// and tests/js/mixtures.test.mjs.
import { formatInUnit, formatQuantity, isNum, label, numberOrText, uniqueWarnings } from "./format.js";
import { scopePayload } from "./scope_lib.js";

// The verdicts by the model's not_better_than_baseline flag (true, false, anything else);
// ``sentence`` is used when the model carries no baseline_statement of its own.
const VERDICTS = {
  true: {
    state: "not_better",
    short: "Not better than baseline",
    sentence: "This model does not predict better than the mean of the training data.",
    className: "warning",
  },
  false: { state: "better", short: "Better than baselines", sentence: "This model predicts better than its baselines.", className: "note" },
  unknown: {
    state: "unknown",
    short: "Not shown to beat baselines",
    sentence:
      "This model has no cross-validated comparison with its baselines, so it is not shown to predict better than the mean of the training data.",
    className: "warning",
  },
};

/**
 * The model's verdict against its baselines (GET /predictive-models[/id]).
 * @returns {{state: "not_better"|"better"|"unknown", short: string, sentence: string, className: string}}
 */
export function baselineVerdict(model) {
  const flag = model?.not_better_than_baseline;
  const verdict = VERDICTS[flag === true || flag === false ? flag : "unknown"];
  return { ...verdict, sentence: model?.baseline_statement || verdict.sentence };
}

/** The sentence recorded when a model was made active despite its verdict, or "". */
export function overrideSentence(model) {
  const o = model?.promotion_override;
  if (!o || !o.forced) return "";
  return `Made active by override on ${String(o.at || "").slice(0, 10)}: “${o.reason}”.`;
}

/** The unit of a prediction's target ("%" for percentages), from its declared domain or name. */
export function predictionUnit(p) {
  if (p?.target_domain && typeof p.target_domain.unit === "string") return p.target_domain.unit;
  const match = /\(([^)]+)\)$/.exec(label(p?.target || ""));
  return match ? match[1] : "";
}

/**
 * What a prediction answer may show.
 * kind "value": a value inside the domain; "extrapolated": a value the caller asked for
 * outside the domain (a warning, never a result); "no_value": outside the applicability
 * domain, no number at all.
 */
export function predictionState(p) {
  const unit = predictionUnit(p);
  const title = label(p?.target || "").replace(/ \([^)]+\)$/, "");
  const distance = `mean distance to the nearest training rows ${formatQuantity("score", p?.domain_score)} against the threshold ${formatQuantity("score", p?.domain_threshold)} (standardised features)`;
  const nearest = (p?.nearest || []).map((n) => ({
    rowId: n.row_id,
    distance: formatQuantity("score", n.distance),
    group: n.group || "—",
    measured: isNum(n.measured) ? formatInUnit(n.measured, unit) : "—",
  }));
  const base = {
    title,
    unit,
    distance,
    nearest,
    transform: p?.target_transform ? `Fitted on ${p.target_transform}.` : "",
    clipped: p?.clipped ? `Clipped: ${p.clip_reason || "a bound reached beyond the target's domain"}.` : "",
    baseline: p?.not_better_than_baseline === false ? "" : p?.baseline_statement || "",
  };
  if (p?.value === null || p?.value === undefined || !isNum(p.value)) {
    return {
      ...base,
      kind: "no_value",
      className: "warning",
      headline: `No prediction: ${p?.reason || "outside applicability domain"}`,
      detail: `This composition lies outside what the model was trained on (${distance}), so the model gives no value. The nearest training rows are listed below.`,
    };
  }
  const level = isNum(p.level) ? `${Math.round(p.level * 100)} %` : "—";
  const interval = `${formatInUnit(p.lower, unit, "")} – ${formatInUnit(p.upper, unit)} (${level} CV+ interval)`;
  if (p.extrapolated) {
    return {
      ...base,
      kind: "extrapolated",
      className: "warning",
      headline: `Extrapolation only: ${title} ${formatInUnit(p.value, unit)}`,
      interval,
      detail: `Outside the applicability domain (${distance}); the value was asked for explicitly and its interval's coverage does not hold.`,
    };
  }
  return {
    ...base,
    kind: "value",
    className: base.baseline ? "warning" : "success",
    headline: `${title}: ${formatInUnit(p.value, unit)}`,
    interval,
    detail: "",
  };
}

/**
 * Rows of the molecule page's "Predicted properties" table from
 * GET /predictive-models/molecules/{id}/predictions: a value with its interval, or —
 * outside the model's applicability domain — no value but the reason, the Tanimoto
 * distance against the threshold and the nearest training molecule.
 */
export function moleculePredictionRows(body) {
  return (body?.predictions || []).map((p) => {
    const unit = p.unit || p.target_domain?.unit || "";
    const verdict = baselineVerdict(p);
    const model = `${p.model_name || "model"} v${p.model_version}${p.is_active ? " (active)" : ""}`;
    const distance = `Tanimoto distance to the nearest training molecules ${formatQuantity("tanimoto", p.domain_score)} (threshold ${formatQuantity("tanimoto", p.domain_threshold)})`;
    const near = (p.nearest || [])[0];
    const nearest = near ? `; nearest: ${near.row_id}${isNum(near.measured) ? ` (measured ${formatInUnit(near.measured, unit)})` : ""}` : "";
    const base = { property: label(p.target || ""), modelId: p.model_id, model, verdict: verdict.short, verdictClass: verdict.className };
    if (!isNum(p.value)) {
      return {
        ...base,
        kind: "no_value",
        value: `No value: ${p.reason || "outside applicability domain"}`,
        interval: "—",
        domain: `Outside: ${distance}${nearest}`,
      };
    }
    const level = isNum(p.level) ? `${Math.round(p.level * 100)} %` : "";
    return {
      ...base,
      kind: p.extrapolated ? "extrapolated" : "value",
      value: p.extrapolated ? `Extrapolation only: ${formatInUnit(p.value, unit)}` : formatInUnit(p.value, unit),
      interval: `${formatInUnit(p.lower, unit, "")} – ${formatInUnit(p.upper, unit)} (${level})`,
      domain: p.in_domain ? `Inside: ${distance}` : `Outside: ${distance}${nearest}`,
    };
  });
}

// --------------------------------------------------------------------------- model training

/** One sentence per algorithm of ml/train.py ALGORITHMS (the API's enum gives the names). */
export const ALGORITHM_DESCRIPTIONS = {
  ridge: "Ridge regression on arcsinh-scaled, standardised features (fast: seconds)",
  random_forest: "Random forest, 300 trees (slower: about a minute)",
  gradient_boosting: "Gradient-boosted trees, 200 stages",
  gaussian_process: "Gaussian process, kernel chosen by grouped cross-validation (slowest)",
};

/** Options of the algorithm select for the names the API accepts. */
export function algorithmOptions(names) {
  return (names || []).map((name) => ({ value: name, label: ALGORITHM_DESCRIPTIONS[name] ? `${name} — ${ALGORITHM_DESCRIPTIONS[name]}` : name }));
}

/** The target choices of a dataset, labelled with their units ("Viability (%)"). */
export function targetOptions(dataset) {
  return (dataset?.target_names || []).map((name) => ({ value: name, label: label(name) }));
}

/** The body of POST /predictive-models from the train form's values. */
export function trainRequest(values) {
  const body = { dataset: values.dataset || "", target: values.target || "", algorithm: values.algorithm || "" };
  const level = numberOrText(values.level_percent);
  if (level !== undefined) body.level = typeof level === "number" ? Math.round(level * 1e6) / 1e8 : level;
  const name = String(values.name || "").trim();
  if (name) body.name = name;
  return { ...body, ...scopePayload(values.visibility || "private", values.team_id) };
}

/**
 * API field errors of POST /predictive-models placed on the train form: the level is entered
 * in percent there, so its message is restated in percent.
 */
export function trainFieldErrors(errors) {
  const out = {};
  for (const [path, message] of Object.entries(errors || {})) {
    if (path === "level") out.level_percent = `The interval level must be from 50 to 99 % (the API checks the fraction: ${message})`;
    else out[path] = message;
  }
  return out;
}

/**
 * Where a training job stands, from GET /jobs/<id> and GET /predictive-models/<id>.
 * @returns {{state: string, fraction: number, text: string, done: boolean, failed: boolean}}
 */
export function trainingProgress(job, model) {
  const fraction = isNum(model?.progress) ? Math.min(Math.max(model.progress, 0), 1) : 0;
  const status = job?.status || "queued";
  if (status === "done" || model?.status === "ready") {
    return { state: "done", fraction: 1, text: "Training finished: the model is ready.", done: true, failed: false };
  }
  if (status === "cancelled") {
    const why = job?.error || model?.error || "cancelled";
    return { state: "cancelled", fraction, text: `Training stopped: ${why}`, done: true, failed: true };
  }
  if (status === "failed" || model?.status === "failed") {
    const why = job?.error || model?.error || "no reason given";
    return { state: "failed", fraction, text: `Training failed: ${why}`, done: true, failed: true };
  }
  if (status === "queued" || model?.status === "queued") {
    return { state: "queued", fraction, text: "Queued: waiting for a free worker…", done: false, failed: false };
  }
  return { state: "running", fraction, text: `Training (nested cross-validation)… ${formatQuantity("share", fraction * 100)}`, done: false, failed: false };
}

// --------------------------------------------------------------------------- prediction

/**
 * The unit of a target: for a model (an object), the unit its validation plots state, else
 * the one its target's name carries; for a target name, the unit its label carries
 * ("viability_percent" → "%"), "" when none.
 */
export function targetUnit(modelOrTarget) {
  if (modelOrTarget && typeof modelOrTarget === "object") {
    return modelOrTarget.metrics?.validation_plots?.unit || targetUnit(modelOrTarget.target);
  }
  const match = /\(([^)]+)\)$/.exec(label(modelOrTarget || ""));
  return match ? match[1] : "";
}

/** The components a model saw in training, from its feature names (``mass_fraction[X]``). */
export function trainingComponents(featureNames) {
  const names = new Set();
  for (const f of featureNames || []) {
    const match = /^(?:mass_fraction|molality)\[(.+)\]$/.exec(f);
    if (match && match[1] !== "other") names.add(match[1]);
  }
  return [...names].sort((a, b) => a.localeCompare(b));
}

/** The body of POST /predictive-models/<id>/predict: a saved mixture or inline components. */
export function predictRequest({ mixtureId, components }) {
  if (mixtureId) return { mixture_id: mixtureId };
  return {
    components: (components || [])
      .filter((c) => String(c.name || "").trim() || String(c.amount ?? "").trim())
      .map((c) => ({ name: String(c.name || "").trim(), amount: numberOrText(c.amount), unit: c.unit })),
  };
}

/** Predict-form field of an API error path (the featurizer names ``rows[0].composition[i]``). */
export function predictErrorPath(path) {
  const p = String(path || "");
  const match = /^(?:items\[\d+\]|rows\[\d+\])\.composition\[(\d+)\](.*)$/.exec(p);
  if (match) return `components[${match[1]}]${match[2]}`;
  if (/^items\[\d+\]$/.test(p)) return "components";
  return p;
}

/** Display texts of a prediction: value and interval with the unit, level, domain check. */
export function predictionView(prediction, model) {
  const unit = targetUnit(model);
  const p = prediction || {};
  const level = isNum(p.level) ? formatQuantity("share", p.level * 100) : "—";
  const notes = [...(p.warnings || [])];
  if (unit === "%" && isNum(p.lower) && isNum(p.upper) && (p.lower < 0 || p.upper > 100)) {
    notes.push("The interval reaches beyond 0–100 %: it is the conformal interval as computed, not clipped to the possible range.");
  }
  return {
    target: label(p.target || model?.target || ""),
    value: formatInUnit(p.value, unit),
    interval: `${formatInUnit(p.lower, unit, "")} – ${formatInUnit(p.upper, unit)}`,
    level,
    intervalText: `${formatInUnit(p.lower, unit, "")} – ${formatInUnit(p.upper, unit)} (${level} CV+ interval)`,
    inDomain: p.in_domain === true,
    domainText: p.in_domain
      ? `inside the applicability domain (mean distance to the nearest training rows ${formatQuantity("score", p.domain_score)}, standardised features)`
      : `OUTSIDE the applicability domain (mean distance ${formatQuantity("score", p.domain_score)}, standardised features): treat the value with caution`,
    notes,
    model: `${model?.name || "model"} v${p.model_version ?? model?.version ?? "?"}`,
  };
}

/** The nearest training rows of a prediction with their measured values (from the model's out-of-fold rows). */
export function nearestRows(prediction, model) {
  const unit = targetUnit(model);
  const measured = new Map((model?.metrics?.validation_plots?.out_of_fold?.rows || []).map((r) => [r.row_id, r.measured]));
  return (prediction?.nearest || []).map((n) => ({
    rowId: n.row_id,
    distance: formatQuantity("score", n.distance),
    measured: measured.has(n.row_id) ? formatInUnit(measured.get(n.row_id), unit) : "—",
  }));
}

/** A model prediction (POST /predictive-models/{id}/predict) as display lines. */
export function predictionSummary(p) {
  const unit = targetUnit(p.target);
  const title = label(p.target).replace(/ \([^)]+\)$/, "");
  return {
    headline: `${title}: ${formatInUnit(p.value, unit)}`,
    interval: `${formatQuantity("share", isNum(p.level) ? p.level * 100 : null)} interval ${formatInUnit(p.lower, unit, "")} to ${formatInUnit(p.upper, unit)}`,
    domain: p.in_domain
      ? `inside the model's applicability domain (score ${formatQuantity("tanimoto", p.domain_score)})`
      : `outside the model's applicability domain (score ${formatQuantity("tanimoto", p.domain_score)}): the interval may not hold`,
    nearest: (p.nearest || []).map((n) => `${n.row_id} (distance ${formatQuantity("tanimoto", n.distance)})`),
    warnings: uniqueWarnings(p.warnings),
    model: `model v${p.model_version}`,
  };
}
