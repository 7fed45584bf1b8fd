// Small DOM helpers: build elements without innerHTML (no injection from API data).

/** The element with id ``id`` (null when the page has none). */
export const $ = (id) => document.getElementById(id);

/** Create ``tag`` with attributes (``on*`` functions become listeners) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of ``el``. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A header row: one ``<th scope="col">`` per item (text, a node or a list of them). */
export function headerRow(cells) {
  return h("tr", {}, cells.map((c) => h("th", { scope: "col" }, c)));
}

/** A body row: ``<tr attrs>`` with the row header ``<th scope="row">`` then ``cells``. */
export function bodyRow(attrs, header, ...cells) {
  return h("tr", attrs, h("th", { scope: "row" }, header), ...cells);
}

/** ``<table>`` with ``attrs``, a caption, a header row of ``headers`` and a body to fill. */
export function headedTable(attrs, caption, headers) {
  return h("table", attrs, h("caption", {}, caption), h("thead", {}, headerRow(headers)), h("tbody"));
}

/**
 * Fill a table body: ``columns`` = [{cell: (row) => Node|string|array, header?: true (a row
 * header), class?: the cell's class}].
 */
export function fillTable(tbody, rows, columns) {
  tbody.replaceChildren(
    ...rows.map((row) =>
      h("tr", {}, ...columns.map((c) => h(c.header ? "th" : "td", { scope: c.header ? "row" : null, class: c.class }, c.cell(row)))),
    ),
  );
}

/** ``fillTable`` columns showing the row's own fields ``names`` as they are, in order. */
export function fieldColumns(...names) {
  return names.map((name) => ({ cell: (row) => row[name] }));
}

/** ``<dl>`` rows from [[term, value], ...]. */
export function definitionList(pairs, attrs = {}) {
  return h("dl", attrs, ...pairs.map(([t, d]) => [h("dt", {}, t), h("dd", {}, d)]));
}

/** Form fields as an object (checkboxes as booleans, empty strings dropped). */
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "number") {
      if (el.value !== "") out[el.name] = Number(el.value);
    } else if (el.type === "file") continue;
    else if (el.value !== "") out[el.name] = el.value;
  }
  return out;
}

/** Unhide a success box and scroll it into view: it often sits far above the form just submitted. */
export function revealSuccess(el) {
  if (!el) return;
  el.hidden = false;
  if (typeof el.scrollIntoView === "function") el.scrollIntoView({ block: "nearest" });
}

/**
 * Show a success message (text, nodes or a list of them) in ``el`` — a role="status" box —
 * and scroll it into view (revealSuccess). Empty content hides the box.
 */
export function showSuccess(el, ...content) {
  if (!el) return;
  replace(el, ...content);
  if (el.textContent) revealSuccess(el);
  else el.hidden = true;
}
