// Pure helpers (no DOM) for the pages that list or use predictive models: whether a model
// beats its baselines (a plain sentence), and what a prediction answer may show — a value
// with its interval, or, outside the applicability domain, no value but the reason, the
// distance against the threshold and the nearest training rows. Unit-tested in
// tests/js/models.test.mjs.
import { fmt, isNum, label } from "./format.js";

const UNKNOWN_VERDICT =
  "This model has no cross-validated comparison with its baselines, so it is not shown to predict better than the mean of the training data.";

/**
 * The model's verdict against its baselines (GET /predictive-models[/id]).
 * @returns {{state: "not_better"|"better"|"unknown", short: string, sentence: string, className: string}}
 */
export function baselineVerdict(model) {
  const flag = model?.not_better_than_baseline;
  if (flag === true) {
    return {
      state: "not_better",
      short: "Not better than baseline",
      sentence: model.baseline_statement || "This model does not predict better than the mean of the training data.",
      className: "warning",
    };
  }
  if (flag === false) {
    return {
      state: "better",
      short: "Better than baselines",
      sentence: model.baseline_statement || "This model predicts better than its baselines.",
      className: "note",
    };
  }
  return { state: "unknown", short: "Not shown to beat baselines", sentence: model?.baseline_statement || UNKNOWN_VERDICT, className: "warning" };
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
  const distance = `mean distance to the nearest training rows ${fmt(p?.domain_score, "", 3)} against the threshold ${fmt(p?.domain_threshold, "", 3)} (standardised features)`;
  const nearest = (p?.nearest || []).map((n) => ({
    rowId: n.row_id,
    distance: fmt(n.distance, "", 3),
    group: n.group || "—",
    measured: isNum(n.measured) ? fmt(n.measured, unit, 1) : "—",
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
  const interval = `${fmt(p.lower, "", 1)} – ${fmt(p.upper, unit, 1)} (${level} CV+ interval)`;
  if (p.extrapolated) {
    return {
      ...base,
      kind: "extrapolated",
      className: "warning",
      headline: `Extrapolation only: ${title} ${fmt(p.value, unit, 1)}`,
      interval,
      detail: `Outside the applicability domain (${distance}); the value was asked for explicitly and its interval's coverage does not hold.`,
    };
  }
  return {
    ...base,
    kind: "value",
    className: base.baseline ? "warning" : "success",
    headline: `${title}: ${fmt(p.value, unit, 1)}`,
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
    const distance = `Tanimoto distance to the nearest training molecules ${fmt(p.domain_score, "", 2)} (threshold ${fmt(p.domain_threshold, "", 2)})`;
    const near = (p.nearest || [])[0];
    const nearest = near ? `; nearest: ${near.row_id}${isNum(near.measured) ? ` (measured ${fmt(near.measured, unit, 2)})` : ""}` : "";
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
      value: p.extrapolated ? `Extrapolation only: ${fmt(p.value, unit, 2)}` : fmt(p.value, unit, 2),
      interval: `${fmt(p.lower, "", 2)} – ${fmt(p.upper, unit, 2)} (${level})`,
      domain: p.in_domain ? `Inside: ${distance}` : `Outside: ${distance}${nearest}`,
    };
  });
}
