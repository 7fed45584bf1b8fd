// Pure formatting helpers shared by the pages (no DOM). Unit-tested with Node's built-in test
// runner (tests/js/). Every number, duration and timestamp goes through the precision policy
// (precision.js, re-exported at the end: formatQuantity, formatInUnit, formatRecorded,
// formatPublished, formatTime, formatTimestamp, formulaParts); the older fmt, fmtSig,
// fmtDuration and fmtDate helpers are gone (issue 18: one precision policy everywhere).

/** A finite number? */
export const isNum = (x) => typeof x === "number" && Number.isFinite(x);

/** Human label for a snake_case key, keeping unit suffixes readable. */
export function label(key) {
  if (!key) return "";
  const units = { _percent: " (%)", _c: " (°C)", _k: " (K)", _s: " (s)", _h: " (h)", _c_per_min: " (°C/min)" };
  let text = key;
  let suffix = "";
  for (const [end, unit] of Object.entries(units).sort((a, b) => b[0].length - a[0].length)) {
    if (text.endsWith(end)) {
      text = text.slice(0, -end.length);
      suffix = unit;
      break;
    }
  }
  const words = text.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1) + suffix;
}

/** Query string from an object, skipping empty values. */
export function query(params) {
  const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  if (!pairs.length) return "";
  return "?" + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}

/** Page count and a clamped page number for a paginated list envelope. */
export function pageInfo({ total = 0, page = 1, per_page = 25 } = {}) {
  const pages = Math.max(1, Math.ceil(total / Math.max(1, per_page)));
  const current = Math.min(Math.max(1, page), pages);
  const first = total === 0 ? 0 : (current - 1) * per_page + 1;
  const last = Math.min(total, current * per_page);
  return { pages, page: current, first, last, total, hasPrev: current > 1, hasNext: current < pages };
}

/** Composition units the API accepts (db/models.py COMPOSITION_UNITS; the e2e test checks). */
export const COMPOSITION_UNITS = ["mol/L", "mmol/L", "mol/kg", "% w/w", "% w/v", "% v/v", "g/L", "mole fraction"];

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Is ``id`` a UUID? */
export const isUuid = (id) => typeof id === "string" && UUID_RE.test(id);

/** A form field's value for a request body: a number when it reads as one, else the text, undefined when blank. */
export function numberOrText(value) {
  if (typeof value === "number") return value;
  const text = String(value ?? "").trim();
  if (text === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text; // the API names a non-number next to its field
}

/** Warnings without repeats (the phase diagram repeats one warning per point). */
export function uniqueWarnings(warnings) {
  return [...new Set((warnings || []).filter((w) => typeof w === "string" && w))];
}

// The precision policy (issue 18) lives in precision.js; the pages import it from here too.
export { PRECISION, UNKNOWN, asPublished, formatInUnit, formatPublished, formatQuantity, formatRecorded, formatTime, formatTimestamp, formatWith, formulaParts } from "./precision.js";
