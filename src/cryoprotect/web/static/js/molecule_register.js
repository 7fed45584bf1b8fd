// Register a molecule: by structure (checked live as the user types: the standardised
// parent's drawing and identifiers, or RDKit's reason next to the field), by copying a
// library molecule, or as a named component without structure; visibility and team.
import { ApiError, apiRequest, currentUser, fieldErrors, guarded, reportUnexpected } from "./api.js";
import { $, formValues, h, replace, showSuccess } from "./dom.js";
import { API, changesText, massText, REGISTER_MODES, registerBody, svgDataUrl } from "./molecules_lib.js";
import { myTeams, scopeControls } from "./scope_ui.js";
import { attachStructureEditor } from "./structure_editor.js";
import { debounce, latestOnly } from "./timing_lib.js";

const form = $("register-form");
const error = $("error");
const loading = $("loading");
const structureInput = form.elements.structure;
const structureSlot = form.querySelector('[data-error-for="structure"]');
const tickets = latestOnly();
let mode = "structure";
let existingIds = new Set();

function setMode(next) {
  mode = REGISTER_MODES.includes(next) ? next : "structure";
  for (const panel of form.querySelectorAll(".mode-panel")) {
    const active = panel.dataset.mode === mode;
    panel.hidden = !active;
    for (const input of panel.querySelectorAll("input, textarea, select")) input.disabled = !active;
  }
  form.elements.on_duplicate.disabled = mode === "no_structure";
}

function structureError(message) {
  structureSlot.textContent = message || "";
  structureSlot.hidden = !message;
  if (message) structureInput.setAttribute("aria-invalid", "true");
  else structureInput.removeAttribute("aria-invalid");
}

function renderPreview(result) {
  const img = h("img", {
    src: svgDataUrl(result.svg),
    alt: `Standardised structure: ${result.smiles}`,
    width: 240,
    height: 180,
    class: "drawing",
  });
  replace($("preview-drawing"), img);
  const rows = [
    ["SMILES", result.smiles],
    ["InChIKey", result.inchikey],
    ["Formula", result.formula],
    ["Molecular weight", massText(result.molecular_weight)],
    ["Standardisation", changesText(result.changes)],
    ["Method", result.method],
  ];
  replace($("preview-ids"), rows.map(([t, d]) => [h("dt", {}, t), h("dd", {}, d)]));
  existingIds = new Set(result.existing.map((m) => m.id));
  replace(
    $("preview-existing"),
    result.existing.length
      ? [
          "Already in the library: ",
          result.existing.map((m, i) => [
            i ? ", " : "",
            h("a", { href: `/molecules/${m.id}` }, m.name || result.formula),
            ` (${m.visibility})`,
          ]),
          ". Registering again in the same scope is refused unless you choose to add the names to the existing record.",
        ]
      : "Not in the library yet (among the molecules you can see).",
  );
  $("preview").hidden = false;
}

async function checkStructure() {
  const text = structureInput.value.trim();
  const ticket = tickets.next();
  const status = $("preview-status");
  if (!text) {
    structureError("");
    status.textContent = "";
    $("preview").hidden = true;
    return;
  }
  status.textContent = "Checking the structure…";
  try {
    const result = await apiRequest(`${API}/validate`, { method: "POST", json: { structure: text }, quiet: true });
    if (!tickets.isCurrent(ticket)) return;
    structureError("");
    status.textContent = "Valid structure.";
    status.className = "preview-status note preview-ok";
    renderPreview(result);
  } catch (exc) {
    if (!tickets.isCurrent(ticket)) return;
    if (!(exc instanceof ApiError)) throw exc;
    const messages = fieldErrors(exc.details, exc.message);
    structureError(messages.structure || exc.message);
    status.textContent = exc.status === 0 ? "Could not check the structure (server unreachable)." : "Not a valid structure yet.";
    status.className = "preview-status note";
    $("preview").hidden = true;
  }
}

function showCreated(molecule, merged) {
  showSuccess(
    $("created"),
    merged ? "Added the names to the existing record " : "Registered ",
    h("a", { href: `/molecules/${molecule.id}`, id: "created-link" }, molecule.name || molecule.formula || "the new molecule"),
    molecule.formula ? ` (${molecule.formula}, ${massText(molecule.molecular_weight)})` : "",
    ". ",
    h("a", { href: "/molecules?sort=created_at" }, "See your newest molecules"),
    " or register another below.",
  );
}

async function submit(event) {
  event.preventDefault();
  $("created").hidden = true;
  const values = formValues(form);
  const body = registerBody(values, mode);
  let molecule;
  try {
    molecule = await apiRequest(API, { method: "POST", json: body, form, error, loading });
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 409 && exc.details.existing_id) {
      error.append(" ", h("a", { href: `/molecules/${exc.details.existing_id}` }, "Open the existing record"), ".");
    }
    throw exc;
  }
  showCreated(molecule, body.on_duplicate === "merge" && existingIds.has(molecule.id));
  for (const name of ["structure", "lookup", "average_molar_mass", "name", "synonyms", "pubchem_cid"]) form.elements[name].value = "";
  $("preview").hidden = true;
  $("preview-status").textContent = "";
}

async function main() {
  for (const radio of form.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => setMode(radio.value));
  }
  const requested = new URLSearchParams(window.location.search);
  setMode(requested.get("mode") || "structure");
  for (const radio of form.querySelectorAll("input[name=mode]")) radio.checked = radio.value === mode;
  const live = debounce(guarded(checkStructure), 400);
  structureInput.addEventListener("input", live);
  attachStructureEditor($("draw-structure"), structureInput, "smiles");
  form.addEventListener("submit", guarded(submit));
  if (requested.get("structure")) {
    structureInput.value = requested.get("structure");
    await checkStructure();
  }
  const user = await currentUser();
  $("signed-out").hidden = Boolean(user);
  $("register-button").disabled = !user;
  scopeControls(form, user ? await myTeams() : []);
}

main().catch((exc) => reportUnexpected(exc));
