// DOM builders for the precision policy (precision.js): numbers, timestamps and formulas as
// elements, built with dom.js's h() (text nodes only: nothing from the API goes through innerHTML).
import { h } from "./dom.js";
import { UNKNOWN, formatPublished, formatQuantity, formatTime, formatTimestamp, formulaParts } from "./precision.js";

const unknown = (attrs) => h("span", { ...attrs, class: "unknown", title: "unknown (no value recorded or computed)" }, UNKNOWN);

/** ``<span class="num">`` with ``value`` of ``quantity`` (precision.js PRECISION); "—" titled "unknown". */
export function numEl(quantity, value, attrs = {}) {
  const text = formatQuantity(quantity, value);
  return text === UNKNOWN ? unknown(attrs) : h("span", { ...attrs, class: "num" }, text);
}

/** A literature value with its published precision (see precision.js formatPublished). */
export function publishedEl(quantity, entry, unit, attrs = {}) {
  const text = formatPublished(quantity, entry, unit);
  return text === UNKNOWN ? unknown(attrs) : h("span", { ...attrs, class: "num published", title: "as published" }, text);
}

/** A duration in seconds, readable ("2 min 30 s"), the exact seconds in the title. */
export function timeSpanEl(seconds) {
  const text = formatTime(seconds);
  return text === UNKNOWN ? unknown({}) : h("span", { class: "num", title: `${seconds} s` }, text);
}

/** ``<time>`` with the local date and time to the minute, the ISO timestamp in datetime and title. */
export function timeEl(iso) {
  const text = formatTimestamp(iso);
  return text === UNKNOWN ? unknown({}) : h("time", { datetime: iso, title: iso }, text);
}

/** A chemical formula with subscripted counts and a superscripted charge (C<sub>12</sub>H<sub>22</sub>…). */
export function formulaEl(formula) {
  const parts = formulaParts(formula);
  if (!parts.length) return unknown({});
  return h(
    "span",
    { class: "formula", title: formula },
    parts.map(({ text, kind }) => (kind ? h(kind, {}, text) : text)),
  );
}
