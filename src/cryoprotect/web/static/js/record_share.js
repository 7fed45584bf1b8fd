// "Export .eln", "Share read-only link" and the "Shared links" list of a record's page
// (templates/reports/_share.html, on the experiment, mixture and protocol pages). The
// element with data-share-resource ("mixture", "protocol" or "experiment") and data-share-id
// names the record and holds the controls. Export downloads POST /api/v1/eln/export; sharing
// makes a 7-day link (POST /api/v1/share-links), shown once with a button that revokes it;
// the list shows the user's links to the record (GET /api/v1/share-links) with their expiry
// and a Revoke button each (DELETE /api/v1/share-links/<id>).

import { ApiError, apiRequest, currentUser, guarded, reportUnexpected, showError } from "./api.js";
import { fillTable, h, replace } from "./dom.js";
import { downloadFile } from "./download.js";
import { elnSelection, linkRow, shareLinksPath, shareNotice } from "./record_share_lib.js";

const SHARE_DAYS = 7;

function controls(root) {
  const part = (name) => root.querySelector(`[data-share-part="${name}"]`);
  return {
    exportButton: part("export"),
    shareButton: part("share"),
    out: part("result"),
    error: part("error"),
    list: root.querySelector("#share-links-table"),
    empty: part("empty"),
    tbody: root.querySelector("#share-links-table tbody"),
  };
}

async function revoke(linkId, ui) {
  await apiRequest(`/api/v1/share-links/${linkId}`, { method: "DELETE", error: ui.error });
}

async function refreshList(resource, id, ui) {
  const page = await apiRequest(shareLinksPath(resource, id), { error: ui.error });
  const rows = page.items.map(linkRow);
  ui.empty.hidden = rows.length > 0;
  ui.list.hidden = rows.length === 0;
  fillTable(ui.tbody, rows, [
    { header: true, cell: (r) => r.created },
    { cell: (r) => r.expires },
    { cell: (r) => r.status },
    {
      cell: (r) =>
        r.canRevoke
          ? h(
              "button",
              {
                type: "button",
                class: "secondary",
                dataset: { revoke: r.id },
                onclick: guarded(async () => {
                  await revoke(r.id, ui);
                  await refreshList(resource, id, ui);
                }, ui.error),
              },
              "Revoke",
            )
          : "",
    },
  ]);
}

async function share(resource, id, ui) {
  const made = await apiRequest("/api/v1/share-links", { method: "POST", json: { resource, id, expires_in_days: SHARE_DAYS }, error: ui.error });
  const again = h("button", { type: "button", class: "secondary", id: "share-revoke" }, "Revoke this link");
  again.addEventListener(
    "click",
    guarded(async () => {
      await revoke(made.link.id, ui);
      replace(ui.out, "Link revoked: it no longer opens.");
      await refreshList(resource, id, ui);
    }, ui.error),
  );
  replace(ui.out, h("span", {}, shareNotice(resource, made.link.expires_at)), h("a", { href: made.url, id: "share-url", rel: "noreferrer" }, made.url), " ", again);
  ui.out.hidden = false;
  await refreshList(resource, id, ui);
}

async function exportEln(resource, id, ui) {
  showError(ui.error, "");
  try {
    await downloadFile("/api/v1/eln/export", { method: "POST", json: elnSelection(resource, id), fallbackName: "records.eln" });
  } catch (exc) {
    if (exc instanceof ApiError) showError(ui.error, exc.message);
    throw exc;
  }
}

async function main() {
  const root = document.querySelector("[data-share-resource]");
  if (!root) return;
  const ui = controls(root);
  const { shareResource: resource, shareId: id } = root.dataset;
  ui.exportButton.addEventListener("click", guarded(() => exportEln(resource, id, ui), ui.error));
  ui.shareButton.addEventListener("click", guarded(() => share(resource, id, ui), ui.error));
  if (!(await currentUser())) return; // signed out: nothing to share, export or list
  root.hidden = false;
  await refreshList(resource, id, ui);
}

main().catch((exc) => reportUnexpected(exc));
