// DOM rendering shared by the mixture pages: property cards (value, unit, method,
// provenance, validity flags, warnings) and the composition-in-every-unit table.
import { bodyRow, h, headerRow, replace } from "./dom.js";
import { formatQuantity } from "./format.js";
import { compositionTable } from "./mixtures_lib.js";
import { propertyCards } from "./mixtures_properties_lib.js";

function provenanceBadge(text) {
  const known = ["measured", "fitted", "estimated"].includes(text);
  if (!known) return h("span", { class: "provenance-text" }, text);
  return h("span", { class: `badge provenance ${text}`, title: "provenance of the parameters behind this number" }, text);
}

/** Fill ``container`` with one card per computed property of ``props``. */
export function renderPropertyCards(container, props) {
  replace(
    container,
    propertyCards(props).map((card) =>
      h(
        "article",
        { class: "property-card", dataset: { property: card.key } },
        h("h3", {}, card.title),
        h("p", { class: "value" }, h("span", { class: "number" }, card.value), card.secondary ? [" ", h("span", { class: "secondary" }, `(${card.secondary})`)] : ""),
        h("p", { class: "prov-line" }, "Provenance: ", provenanceBadge(card.provenance)),
        h("ul", { class: "flags" }, card.flags.map((f, i) => h("li", { class: i === 0 && !card.ok ? "flag warn" : "flag" }, f))),
        h("p", { class: "method" }, h("strong", {}, "Method: "), card.method),
        card.warnings.length
          ? h("details", { class: "warnings" }, h("summary", {}, `Warnings (${card.warnings.length})`), h("ul", {}, card.warnings.map((w) => h("li", {}, w))))
          : "",
      ),
    ),
  );
}

/** Fill ``table`` (thead + tbody) with the composition of ``props`` in every unit. */
export function renderCompositionTable(table, props, mixtureCount) {
  const { units, rows } = compositionTable(props.composition, mixtureCount);
  replace(table.querySelector("thead"), headerRow(["Solute", "From", ...units]));
  replace(
    table.querySelector("tbody"),
    rows.map((r) =>
      bodyRow(
        { class: r.origin === "carrier" ? "carrier-row" : "" },
        r.name,
        h("td", { class: "text" }, r.origin === "carrier" ? `carrier (${props.carrier})` : "component"),
        r.cells.map((c) => h("td", {}, c)),
      ),
    ),
  );
  table.hidden = rows.length === 0;
}

/** The density used for the volume-based units, with its method and source. */
export function densityParagraph(el, composition) {
  const c = composition || {};
  const notes = (c.notes || []).length ? h("ul", { class: "notes" }, c.notes.map((n) => h("li", {}, n))) : "";
  replace(
    el,
    h("strong", {}, "Density: "),
    formatQuantity("density", c.density_g_per_ml),
    c.density_method ? ` — ${c.density_method}` : " — no density data: volume-based units are not available",
    c.density_source ? h("details", {}, h("summary", {}, "Density sources"), h("p", {}, c.density_source)) : "",
    notes,
  );
}
