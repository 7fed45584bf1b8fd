// The one precision policy for numbers on every page (issue 18), pure (no DOM).
// The server-side twin is cryoprotect/science/precision.py (Jinja filters: web/numbers.py; PDF reports:
// services/exports): tests/unit/test_precision_policy.py
// checks that both hold the SAME table and give the same text for tests/fixtures/precision_cases.json.
//
// Rules: a quantity has either significant figures (``sig``) or fixed decimals (``decimals``) and a
// unit; exact zero is "0" (never "0.000"); -0 is 0; a non-zero value that would round to zero at its
// decimals keeps FALLBACK_SIG significant figures instead (0.004 is not shown as "0.00"); magnitudes
// below 1e-3 or from 1e6 (after rounding) are written "1.23 × 10⁻⁴"; null, undefined, NaN and ±Infinity
// are UNKNOWN ("—"); a value below its upper bound that would round onto it gets up to two more
// decimals (99.6 % viability is not "100 %"). Ties round half away from zero, as JavaScript's toFixed/toExponential do.

/** Shown for a missing or non-finite number (the DOM builders add the title "unknown"). */
export const UNKNOWN = "—";

/** Significant figures kept by a decimals quantity whose non-zero value would round to zero. */
export const FALLBACK_SIG = 2;

/**
 * Quantity → display rule. ``sig``: significant figures; ``decimals``: fixed decimals;
 * ``unit``: appended after a space; ``scale``: multiply the API's value first (osmol/kg → mOsm/kg);
 * ``min``/``max``: bounds the value is clamped to (rounding noise such as 100.0000001 %).
 */
export const PRECISION = {
  molality: { sig: 3, unit: "mol/kg" },
  molarity: { sig: 3, unit: "mol/L" },
  osmolality: { sig: 3, unit: "mOsm/kg", scale: 1000 },
  temperature: { decimals: 1, unit: "°C" },
  temperature_k: { decimals: 1, unit: "K" },
  rate: { sig: 3, unit: "°C/min" },
  viability: { decimals: 0, unit: "%", min: 0, max: 100 },
  mass_fraction: { decimals: 1, unit: "%" },
  percent: { decimals: 1, unit: "%" },
  molar_mass: { decimals: 2, unit: "g/mol" },
  mass: { sig: 3, unit: "g" },
  volume: { sig: 3, unit: "mL" },
  density: { sig: 4, unit: "g/mL" },
  tanimoto: { decimals: 3, unit: "" },
  probability: { decimals: 2, unit: "" },
  score: { decimals: 3, unit: "" },
  weight: { decimals: 2, unit: "" },
  log_p: { decimals: 2, unit: "" },
  metric: { sig: 3, unit: "" },
  p_value: { sig: 2, unit: "" },
  confidence: { decimals: 0, unit: "%" },
  share: { decimals: 0, unit: "%" },
  correlation: { decimals: 3, unit: "" },
  volume_fraction: { decimals: 3, unit: "× V_iso" },
  ratio: { decimals: 2, unit: "×" },
  toxicity_cost: { sig: 4, unit: "" },
  coefficient: { sig: 4, unit: "" },
  minutes: { decimals: 1, unit: "min" },
  hours: { sig: 3, unit: "h" },
  bytes: { sig: 3, unit: "bytes" },
  number: { sig: 3, unit: "" },
};

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

const finite = (x) => typeof x === "number" && Number.isFinite(x);

/** "× 10ⁿ" form of a non-zero magnitude ``abs`` with ``sig`` significant figures. */
function scientific(abs, sig) {
  const [mantissa, exponent] = abs.toExponential(sig - 1).split("e");
  const power = String(Number(exponent)).replace(/./g, (c) => SUPERSCRIPT[c]);
  return `${mantissa} × 10${power}`;
}

/** ``abs`` (> 0) to ``sig`` significant figures, plain digits unless tiny or huge. */
function significant(abs, sig) {
  const exponent = Number(abs.toExponential(sig - 1).split("e")[1]); // after rounding (9.996 → 1.00e+1)
  if (exponent < -3 || exponent >= 6) return scientific(abs, sig);
  const decimals = sig - 1 - exponent;
  if (decimals >= 0) return abs.toFixed(decimals);
  return String(Number(abs.toExponential(sig - 1))); // 12345 at 3 s.f. → "12300"
}

/**
 * ``value`` as text under the rule ``{ sig | decimals, unit, scale, min, max }`` ("0.290 mol/kg").
 * Non-finite → "—"; 0 and -0 → "0" (with the unit).
 */
export function formatWith(rule, value) {
  if (!finite(value)) return UNKNOWN;
  let x = value * (rule.scale ?? 1);
  if (rule.min !== undefined) x = Math.max(rule.min, x);
  if (rule.max !== undefined) x = Math.min(rule.max, x);
  const abs = Math.abs(x);
  let text;
  if (abs === 0) text = "0";
  else if (rule.sig !== undefined) text = significant(abs, rule.sig);
  else if (abs >= 1e6) text = significant(abs, 3);
  else {
    let decimals = rule.decimals;
    text = abs.toFixed(decimals);
    // Below the bound but rounding onto it (99.6 % viability): one more decimal, up to two.
    while (rule.max !== undefined && x < rule.max && Number(text) >= rule.max && decimals < rule.decimals + 2) {
      decimals += 1;
      text = abs.toFixed(decimals);
    }
    if (Number(text) === 0) text = significant(abs, FALLBACK_SIG); // 0.004 → "0.0040", not "0.00"
  }
  const sign = x < 0 ? "-" : "";
  return rule.unit ? `${sign}${text} ${rule.unit}` : `${sign}${text}`;
}

/**
 * ``value`` of ``quantity`` (a key of PRECISION) as text with its unit; unknown quantity → throws.
 * ``unit`` replaces the rule's unit (``""`` in a column whose header names it, "% w/w", a toxicity unit).
 */
export function formatQuantity(quantity, value, unit) {
  const rule = PRECISION[quantity];
  if (!rule) throw new Error(`No precision rule for "${quantity}"`);
  return formatWith(unit === undefined ? rule : { ...rule, unit }, value);
}

/** The quantity whose API unit is ``unit`` (osmol/kg is shown in mOsm/kg by its rule). */
export const UNIT_QUANTITY = {
  "%": "percent",
  "°C": "temperature",
  K: "temperature_k",
  "°C/min": "rate",
  "mol/kg": "molality",
  "mol/L": "molarity",
  "osmol/kg": "osmolality",
  "g/mol": "molar_mass",
  g: "mass",
  mL: "volume",
  "g/mL": "density",
};

/**
 * ``value`` given in ``unit`` under that unit's rule; a unit without one: 3 significant figures.
 * ``shown`` replaces the displayed unit (``""`` in a column whose header names it).
 */
export function formatInUnit(value, unit, shown) {
  const quantity = UNIT_QUANTITY[unit];
  if (quantity) return formatQuantity(quantity, value, shown);
  return formatWith({ sig: 3, unit: shown ?? (unit || "") }, value);
}

/**
 * A literature value as published: a string is shown as given; ``{ value, digits }`` (or
 * ``published_precision``) keeps exactly those decimals; a bare number falls back to the
 * quantity's rule. The unit is the quantity's unless ``unit`` is given.
 */
export function formatPublished(quantity, entry, unit) {
  const rule = { ...(PRECISION[quantity] || PRECISION.number) };
  if (unit !== undefined) rule.unit = unit;
  const suffix = rule.unit ? ` ${rule.unit}` : "";
  if (typeof entry === "string" && entry.trim() !== "") return `${entry.trim()}${suffix}`;
  if (entry && typeof entry === "object") {
    const digits = entry.digits ?? entry.published_precision;
    if (typeof entry.value === "string" && entry.value.trim() !== "") return `${entry.value.trim()}${suffix}`;
    if (Number.isInteger(digits) && finite(entry.value)) {
      return formatWith({ decimals: digits, unit: rule.unit, scale: rule.scale }, entry.value);
    }
    return formatWith(rule, entry.value);
  }
  return formatWith(rule, entry);
}

/**
 * A bare literature number as its data file gives it, for formatPublished: the shortest decimal
 * text of ``value`` (at most ``sig`` significant figures, no padding zeros: Lp 0.55 stays "0.55",
 * Tg′ 164 K stays "164"); tiny or huge magnitudes and non-numbers are returned unchanged (the
 * quantity's rule applies to them).
 */
export function asPublished(value, sig = 4) {
  if (!finite(value) || value === 0 || Math.abs(value) < 1e-3 || Math.abs(value) >= 1e6) return value;
  return String(Number(value.toPrecision(sig)));
}

/**
 * A recorded value (a measurement, a published figure, an amount or condition a person entered)
 * in ``unit``, at the precision it was recorded with: "-196 °C", "3 mol/L", "40 °C/min" (not
 * "-196.0 °C"); computed values go through formatInUnit instead.
 */
export function formatRecorded(value, unit) {
  return formatPublished(UNIT_QUANTITY[unit] || "number", asPublished(value), unit || "");
}

/** A duration in seconds, readable: "45 s", "2 min 30 s", "1 h 5 min", "2 d 3 h"; "—" when unknown. */
export function formatTime(seconds) {
  if (!finite(seconds)) return UNKNOWN;
  const sign = seconds < 0 ? "-" : "";
  const abs = Math.abs(seconds);
  if (abs === 0) return "0 s";
  if (abs < 10) return `${sign}${Number(significant(abs, 2))} s`; // 0.5 s, 9.5 s
  const total = Math.round(abs);
  const parts = [
    [Math.floor(total / 86400), "d"],
    [Math.floor((total % 86400) / 3600), "h"],
    [Math.floor((total % 3600) / 60), "min"],
    [total % 60, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  const shown = parts.slice(first, first + 2).filter(([n]) => n > 0); // two largest units, no "0 s"
  return sign + shown.map(([n, u]) => `${n} ${u}`).join(" ");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n) => String(n).padStart(2, "0");

/**
 * An ISO timestamp as "6 Dec 2026 09:05" to the minute, in the browser's time zone (``utc``: in UTC,
 * as the server renders it, with the suffix " UTC"); "—" for missing or unparsable input.
 */
export function formatTimestamp(iso, { utc = false } = {}) {
  if (!iso || typeof iso !== "string") return UNKNOWN;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return UNKNOWN;
  const [y, mo, d, hh, mm] = utc
    ? [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes()]
    : [date.getFullYear(), date.getMonth(), date.getDate(), date.getHours(), date.getMinutes()];
  return `${d} ${MONTHS[mo]} ${y} ${pad(hh)}:${pad(mm)}${utc ? " UTC" : ""}`;
}

/**
 * A chemical formula split for display: ``[{ text, kind }]`` with kind "" (plain), "sub" (atom
 * counts: digits after an element or a bracket) or "sup" (a trailing charge, as "2+" / "−").
 * Leading coefficients ("2H2O" in "C12H22O11·2H2O") stay plain.
 */
export function formulaParts(formula) {
  if (typeof formula !== "string" || !formula) return [];
  const parts = [];
  let body = formula;
  let charge = "";
  // RDKit writes the charge sign first ("C2H3O2-", "SO4-2"); "^2-" is also read.
  const tail = /(?:\^(\d*[+-])|([+-]\d*))$/.exec(body);
  if (tail && tail.index > 0) {
    body = body.slice(0, tail.index);
    const raw = tail[1] ?? tail[2];
    const count = raw.replace(/[+-]/g, "");
    charge = `${count === "1" ? "" : count}${raw.includes("+") ? "+" : "−"}`;
  }
  const push = (text, kind) => {
    const last = parts[parts.length - 1];
    if (last && last.kind === kind) last.text += text;
    else parts.push({ text, kind });
  };
  for (const [, digits, other] of body.matchAll(/(\d+)|(\D+)/g)) {
    if (other !== undefined) push(other, "");
    else {
      const before = parts.length ? parts[parts.length - 1].text.slice(-1) : "";
      push(digits, /[A-Za-z)\]]/.test(before) ? "sub" : "");
    }
  }
  if (charge) parts.push({ text: charge, kind: "sup" });
  return parts;
}
