// DOM pieces shared by the molecule pages: RDKit drawings fetched with the caller's token,
// visibility badges and authenticated file downloads (the forms' visibility/team controls are
// scope_ui.js's, as on every other page).
import { ApiError, apiRequest } from "./api.js";
import { h, replace } from "./dom.js";
import { depictionPath, drawingAlt, svgDataUrl } from "./molecules_lib.js";

/**
 * A drawing of molecule ``m`` (from the depiction endpoint, highlighting ``highlight`` if
 * given). The SVG is fetched with the bearer token (private molecules need it) and shown as
 * a data: image; a failure replaces the drawing with its reason, never a blank box.
 */
export function drawing(m, { highlight = "", width = 200, height = 150, className = "drawing" } = {}) {
  const box = h("span", { class: `${className} drawing-pending`, style: `width:${width}px;height:${height}px` }, "Drawing…");
  if (m.kind === "no_structure" || m.smiles === null) {
    replace(box, "No structure (component without structure)");
    box.className = `${className} drawing-none`;
    return box;
  }
  apiRequest(depictionPath(m.id, { highlight, width, height }), { quiet: true })
    .then((svg) => {
      const img = h("img", { src: svgDataUrl(svg), alt: drawingAlt(m, highlight), width, height, class: className });
      box.replaceWith(img);
    })
    .catch((exc) => {
      box.className = `${className} drawing-error`;
      replace(box, `Drawing unavailable: ${exc instanceof ApiError ? exc.message : String(exc)}`);
    });
  return box;
}

/** A small badge with the record's visibility. */
export function visibilityBadge(visibility) {
  return h("span", { class: `badge visibility-${visibility}` }, visibility);
}

/** GET ``path`` with the token and save the body as ``filename``. */
export async function download(path, filename, { error, loading } = {}) {
  const text = await apiRequest(path, { error, loading });
  const body = typeof text === "string" ? text : JSON.stringify(text, null, 1);
  const url = URL.createObjectURL(new Blob([body], { type: "application/octet-stream" }));
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return body;
}
