// The structure editor: a "Draw" button beside a structure field opens Ketcher (EPAM,
// Apache-2.0) in a dialog; "Use structure" writes the drawing into the field as SMILES (or
// SMARTS for a substructure pattern). Ketcher is built from pinned npm packages into
// static/vendor/ketcher (web-build/, `make ketcher`) and served by this app: no CDN. Its
// ~16 MB (JavaScript plus Indigo's WebAssembly) load only when a user first opens the dialog.
import { h } from "./dom.js";

const VENDOR = new URL("../vendor/ketcher/", import.meta.url);
const EDITOR_CSS = [new URL("ketcher.css", VENDOR), new URL("../css/structure_editor.css", import.meta.url)];

/** What "Use structure" writes, by the field's ``format``. */
export const OUTPUT_FORMATS = {
  smiles: (ketcher) => ketcher.getSmiles(),
  smarts: (ketcher) => ketcher.getSmarts(),
  molfile: (ketcher) => ketcher.getMolfile(),
};

let dialog = null; // one dialog per page, shared by the page's Draw buttons
let editor = null; // Promise<{ketcher}> once the bundle has been asked for
let target = null; // the open request: { field, format }

function loadStyles() {
  for (const href of EDITOR_CSS) document.head.append(h("link", { rel: "stylesheet", href: href.href }));
}

function status(text) {
  dialog.querySelector(".structure-editor-status").textContent = text;
}

function loadEditor() {
  if (!editor) {
    loadStyles();
    const canvas = dialog.querySelector(".structure-editor-canvas");
    editor = import(new URL("ketcher.js", VENDOR).href)
      .then((bundle) => bundle.mount(canvas, (message) => status(`The editor reported: ${message}`)))
      .catch((exc) => {
        editor = null; // let the next opening try again
        throw exc;
      });
  }
  return editor;
}

function buildDialog() {
  const use = h("button", { type: "button", class: "structure-editor-use", disabled: true }, "Use structure");
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const el = h(
    "dialog",
    { class: "structure-editor", "aria-labelledby": "structure-editor-title" },
    h("h2", { id: "structure-editor-title" }, "Draw a structure"),
    h("div", { class: "structure-editor-canvas" }),
    h("div", { class: "row" }, use, cancel, h("span", { class: "structure-editor-status note", role: "status", "aria-live": "polite" })),
  );
  use.addEventListener("click", () => useStructure().catch((exc) => status(`Could not read the drawing: ${exc.message || exc}`)));
  cancel.addEventListener("click", () => el.close());
  document.body.append(el);
  return el;
}

async function useStructure() {
  const { ketcher } = await editor;
  const text = (await OUTPUT_FORMATS[target.format](ketcher)).trim();
  if (!text) {
    status("Draw a structure first (the canvas is empty).");
    return;
  }
  target.field.value = text;
  // The page reacts as if the user had typed it (the register page checks it live).
  target.field.dispatchEvent(new Event("input", { bubbles: true }));
  dialog.close();
  target.field.focus();
}

async function open(field, format) {
  dialog ||= buildDialog();
  target = { field, format };
  const use = dialog.querySelector(".structure-editor-use");
  use.disabled = true;
  dialog.showModal();
  status("Loading the editor…");
  let ketcher;
  try {
    ({ ketcher } = await loadEditor());
  } catch (exc) {
    status(`The editor could not be loaded: ${exc.message || exc}`);
    return;
  }
  const current = field.value.trim();
  // A blank canvas, then the field's structure (if any) as the starting point.
  await ketcher.setMolecule("");
  if (current) {
    let drawn = "";
    try {
      await ketcher.setMolecule(current);
      drawn = await OUTPUT_FORMATS[format](ketcher);
    } catch {
      drawn = ""; // Ketcher leaves the canvas blank when it cannot read the text
    }
    status(
      drawn.trim()
        ? "Loaded the structure from the field."
        : "The field's text could not be drawn; starting from a blank canvas.",
    );
  } else {
    status("");
  }
  use.disabled = false;
}

/**
 * Wires a "Draw" ``button`` to the editor for ``field`` (an input or textarea).
 * @param {HTMLButtonElement} button
 * @param {HTMLInputElement|HTMLTextAreaElement} field
 * @param {"smiles"|"smarts"|"molfile"} format what "Use structure" writes into the field
 */
export function attachStructureEditor(button, field, format = "smiles") {
  if (!(format in OUTPUT_FORMATS)) throw new Error(`unknown structure format ${format}`);
  button.addEventListener("click", () => open(field, format));
}
