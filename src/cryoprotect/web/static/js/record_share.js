// "Export .eln" and "Share read-only link" on a record's page (the experiment page loads it).
// The page's root element names the record: data-share-resource ("experiment") and
// data-share-id. Export downloads POST /api/v1/eln/export; sharing makes a 7-day link
// (POST /api/v1/share-links) shown with a button that revokes it.

import { ApiError, apiHeaders, apiRequest, guarded, showError } from "./api.js";
import { $, h, replace } from "./dom.js";

const SHARE_DAYS = 7;

/** The archive's file name from a Content-Disposition header ("records.eln" without one). */
export function attachmentName(disposition) {
  const match = /filename="?([^";]+)"?/.exec(disposition || "");
  return match ? match[1] : "records.eln";
}

async function exportEln(resource, id, error) {
  showError(error, "");
  const response = await fetch("/api/v1/eln/export", {
    method: "POST",
    headers: apiHeaders({ "Content-Type": "application/json" }),
    body: JSON.stringify({ [`${resource}s`]: [id] }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    const message = body?.error?.message || `Export failed (HTTP ${response.status}).`;
    showError(error, response.status === 401 ? `${message} Please sign in.` : message);
    throw new ApiError(message, response.status, body?.error?.code, body?.error?.details);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: attachmentName(response.headers.get("Content-Disposition")), hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function share(resource, id, out, error) {
  const made = await apiRequest("/api/v1/share-links", { method: "POST", json: { resource, id, expires_in_days: SHARE_DAYS }, error });
  const revoke = h("button", { type: "button", class: "secondary", id: "share-revoke" }, "Revoke this link");
  revoke.addEventListener(
    "click",
    guarded(async () => {
      await apiRequest(`/api/v1/share-links/${made.link.id}`, { method: "DELETE", error });
      replace(out, "Link revoked: it no longer opens.");
    }, error),
  );
  replace(
    out,
    h("span", {}, `Anyone with this link can read this ${resource} (and nothing else) until ${made.link.expires_at.slice(0, 10)}: `),
    h("a", { href: made.url, id: "share-url", rel: "noreferrer" }, made.url),
    " ",
    revoke,
  );
  out.hidden = false;
}

function main() {
  const root = document.querySelector("[data-share-resource]");
  const exportButton = $("eln-export");
  const shareButton = $("share-link");
  if (!root || !exportButton || !shareButton) return;
  const error = $("error");
  const { shareResource: resource, shareId: id } = root.dataset;
  exportButton.addEventListener("click", guarded(() => exportEln(resource, id, error), error));
  shareButton.addEventListener("click", guarded(() => share(resource, id, $("share-result"), error), error));
}

main();
