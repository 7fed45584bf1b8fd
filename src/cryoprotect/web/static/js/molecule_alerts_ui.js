// The molecule page's "Structural alerts" section (issue 16, item 4): the alerts of RDKit's
// Brenk, NIH and PAINS catalogues that match the structure, each with its matched atoms and
// the catalogue's publication, and the alert-adjusted CPA score with how it was obtained.
// Every number comes from the API (GET /api/v1/molecules/{id}: alerts, cpa_score,
// alert_adjusted_score); nothing is computed here. Choosing an alert draws the structure
// (the depiction endpoint's SVG) with that alert's matched atoms highlighted.
import { apiRequest, ApiError, fetchResourceFromApi, reportUnexpected } from "./api.js";
import { alertsCellText, highlightSvg } from "./alerts_lib.js";
import { $, h, replace } from "./dom.js";
import { formatQuantity } from "./format.js";
import { depictionPath, svgDataUrl } from "./molecules_lib.js";

const API = "/api/v1/molecules";

function summaryText(report) {
  if (report.count === 0) {
    return "No alert of the Brenk, NIH or PAINS catalogues matches this structure. An absence of alerts is not evidence of safety.";
  }
  const n = report.count === 1 ? "1 alert matches" : `${report.count} alerts match`;
  const shown = alertsCellText(report).text.includes("not penalised")
    ? " Alerts marked “not penalised” are over-matches or not about toxicity or reactivity for a CPA; they are shown but do not lower the score."
    : "";
  return `${n} (catalogues: ${report.catalogues.join(", ")}). An alert is a reason to check, not a measured toxicity.${shown}`;
}

function penalisedCell(a) {
  if (a.penalised !== false) return "yes";
  return h("span", {}, "no — shown only: ", h("span", { class: "hint" }, a.override_reason));
}

async function showHighlight(molecule, alert, figure) {
  replace(figure, h("p", { class: "loading", role: "status" }, "Drawing…"));
  let svg;
  try {
    svg = await apiRequest(depictionPath(molecule.id, { width: 340, height: 260 }), { quiet: true });
  } catch (exc) {
    replace(figure, h("p", { class: "note" }, `Drawing unavailable: ${exc instanceof ApiError ? exc.message : String(exc)}`));
    return;
  }
  const marked = highlightSvg(svg, alert.atoms);
  const label = `${alert.catalogue}: ${alert.description}`;
  replace(
    figure,
    h("img", {
      src: svgDataUrl(marked.svg),
      width: 340,
      height: 260,
      class: "drawing-large",
      id: "alert-highlight-drawing",
      "data-highlighted": String(marked.highlighted),
      alt: `Structure of ${molecule.name || molecule.formula || "the molecule"}, atoms ${alert.atoms.join(", ")} matched by ${label} highlighted`,
    }),
    h(
      "figcaption",
      { class: "hint" },
      marked.highlighted
        ? `Atoms matched by ${label} (0-based: ${alert.atoms.join(", ")}) highlighted.`
        : `${label}: its atoms (${alert.atoms.join(", ")}) could not be marked in this drawing.`,
    ),
  );
}

function alertsTable(report, molecule, figure) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data", id: "alerts-table" },
      h("caption", {}, "Matched alerts: catalogue, RDKit's name of the alert, the matched atoms and the catalogue's source"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Catalogue"),
          h("th", { scope: "col", class: "text" }, "Alert"),
          h("th", { scope: "col", class: "text" }, "Matched atoms (0-based, in SMILES order)"),
          h("th", { scope: "col", class: "text" }, "Penalised"),
          h("th", { scope: "col", class: "text" }, "Source"),
          h("th", { scope: "col", class: "text" }, "Drawing"),
        ),
      ),
      h(
        "tbody",
        {},
        report.alerts.map((a) =>
          h(
            "tr",
            { class: "alert-row" },
            h("th", { scope: "row" }, a.catalogue),
            h("td", { class: "text" }, a.description),
            h("td", { class: "text" }, a.atoms.join(", ")),
            h("td", { class: "text" }, penalisedCell(a)),
            h("td", { class: "text hint" }, a.reference),
            h(
              "td",
              { class: "text" },
              h(
                "button",
                {
                  type: "button",
                  class: "secondary highlight-alert",
                  onclick: () => showHighlight(molecule, a, figure).catch((exc) => reportUnexpected(exc, $("alerts-error"))),
                },
                "Highlight",
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function adjustedText(molecule, report) {
  if (molecule.alert_adjusted_score === null || molecule.alert_adjusted_score === undefined || !molecule.cpa_score) {
    return "No alert-adjusted score: the molecule has no CPA score.";
  }
  return (
    `Alert-adjusted score: ${formatQuantity("score", molecule.alert_adjusted_score)} ` +
    `(CPA score ${formatQuantity("score", molecule.cpa_score.score)} × penalty factor ${formatQuantity("score", report.penalty_factor)}; dimensionless, 0–1).`
  );
}

export function renderAlerts(molecule, body) {
  const report = molecule.alerts;
  if (!report) {
    replace(body, h("p", { class: "note empty", id: "alerts-summary" }, "No alerts checked: this component has no structure."));
    return;
  }
  const figure = h("figure", { id: "alert-figure", class: "alert-figure", "aria-live": "polite" });
  replace(
    body,
    h("p", { id: "alerts-summary" }, summaryText(report)),
    report.count > 0 ? alertsTable(report, molecule, figure) : null,
    report.count > 0 ? figure : null,
    h("p", { id: "alerts-adjusted" }, adjustedText(molecule, report)),
    h(
      "p",
      { class: "note" },
      `How: ${report.method}. Ranking: ${report.ranking_method}. Provenance: `,
      h("span", { class: "badge computed" }, "computed"),
      " (alerts); ",
      h("span", { class: "badge estimated" }, "estimated"),
      " (penalty factors).",
    ),
  );
}

async function main() {
  const page = $("molecule-page");
  const body = $("alerts-body");
  const error = $("alerts-error");
  const moleculeId = page?.dataset.moleculeId;
  if (!body || !moleculeId) return;
  const molecule = await fetchResourceFromApi(`${API}/${moleculeId}`, { loading: $("alerts-loading"), error });
  renderAlerts(molecule, body);
}

main().catch((exc) => reportUnexpected(exc, $("alerts-error")));
