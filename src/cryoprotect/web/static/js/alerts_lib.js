// Pure helpers for structural alerts (issue 16, item 4), shared by the library list
// (molecules.js) and the molecule page (molecule_alerts_ui.js). Every number comes from the
// API's `alerts` report (count, catalogues, per-alert atoms and penalised flag); nothing is
// computed here except counting the flags the API returned.

/**
 * The library list's alerts cell for an API `alerts` report: `{ text, title }`.
 * `report` undefined: this list answer carries no alerts; null: no structure to check.
 */
export function alertsCellText(report) {
  if (report === undefined) return { text: "—", title: "This search does not return alerts; open the molecule." };
  if (report === null) return { text: "no structure", title: "A component without structure has no alerts to check." };
  if (report.count === 0) return { text: "none", title: "No Brenk, NIH or PAINS alert matches (not evidence of safety)." };
  const shownOnly = report.alerts.filter((a) => a.penalised === false).length;
  const note = shownOnly === 0 ? "" : shownOnly === report.count ? ", not penalised" : `, ${shownOnly} not penalised`;
  return {
    text: `${report.count} (${report.catalogues.join(", ")}${note})`,
    title: report.alerts.map((a) => `${a.catalogue}: ${a.description}${a.penalised === false ? " (not penalised)" : ""}`).join("; "),
  };
}

const HIGHLIGHT = "#FF7F7F";

function classesOf(tag) {
  const match = /\sclass=(['"])([^'"]*)\1/.exec(tag);
  return match ? match[2].split(/\s+/) : [];
}

function isMatched(classes, atoms) {
  const atomIds = classes.filter((c) => /^atom-\d+$/.test(c)).map((c) => Number(c.slice(5)));
  if (!atomIds.length) return false;
  // a bond path names its two atoms: both must be matched; a label path names one atom
  return atomIds.every((i) => atoms.has(i));
}

function halo(tag) {
  const cleaned = tag.replace(/\sstyle=(['"])[^'"]*\1/, "").replace(/\sfill=(['"])[^'"]*\1/, "").replace(/\sclass=(['"])[^'"]*\1/, "");
  const style = `fill:none;stroke:${HIGHLIGHT};stroke-width:8px;stroke-linecap:round;stroke-linejoin:round;stroke-opacity:0.8`;
  return cleaned.replace(/^<path/, `<path class='alert-highlight' style='${style}'`);
}

/**
 * An RDKit SVG drawing (from the depiction endpoint, atoms in the order of the API's
 * `smiles`) with the atoms `atoms` (0-based indices, as in an alert's `atoms`) and the
 * bonds between them highlighted: a halo is drawn behind each matched bond and atom label,
 * using the `atom-N` / `bond-K atom-A atom-B` classes RDKit puts on its paths.
 * Returns `{ svg, highlighted }` (how many paths got a halo; 0: nothing could be marked).
 */
export function highlightSvg(svg, atoms) {
  const wanted = new Set(atoms);
  const halos = [];
  for (const match of svg.matchAll(/<path\b[^>]*\/>/g)) {
    if (isMatched(classesOf(match[0]), wanted)) halos.push(halo(match[0]));
  }
  if (!halos.length) return { svg, highlighted: 0 };
  const rectEnd = svg.indexOf("</rect>");
  const at = rectEnd >= 0 ? rectEnd + "</rect>".length : svg.indexOf(">", svg.indexOf("<svg")) + 1;
  return { svg: `${svg.slice(0, at)}\n${halos.join("\n")}${svg.slice(at)}`, highlighted: halos.length };
}
