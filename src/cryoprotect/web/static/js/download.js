// Files from the API (issue 18): fetch with the signed-in user's token and save the answer
// under the name the server gives it. The download buttons (record_export.js) and the
// ".eln" export (record_share.js) both use it.

import { ApiError, apiHeaders } from "./api.js";
import { h } from "./dom.js";

/** The file name of a Content-Disposition header, or ``fallback``. */
export function dispositionName(disposition, fallback) {
  const match = /filename="?([^";]+)"?/.exec(disposition || "");
  return match ? match[1] : fallback;
}

/**
 * What a failed download tells the user: the API's message (or the HTTP status), with
 * "Please sign in." for 401 and ``notes[status]`` appended when given.
 */
export function failureMessage(status, body, notes = {}) {
  const message = body?.error?.message || `Download failed (HTTP ${status}).`;
  const note = status === 401 ? "Please sign in." : notes[status];
  return note ? `${message} ${note}` : message;
}

/** Save ``blob`` as the file ``name`` (a hidden link clicked once). */
export function saveBlob(blob, name) {
  const href = URL.createObjectURL(blob);
  const link = h("a", { href, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/**
 * Fetch ``path`` with the user's token (``json``: a JSON request body) and save the answer
 * as a file; returns the file's name. A failure throws an ApiError whose message is
 * ``failureMessage`` (``notes``: extra words per HTTP status).
 */
export async function downloadFile(path, { method = "GET", json, fallbackName = "download", notes = {} } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: apiHeaders(json !== undefined ? { "Content-Type": "application/json" } : {}),
      body: json !== undefined ? JSON.stringify(json) : undefined,
      credentials: "same-origin",
    });
  } catch (exc) {
    throw new ApiError(`could not reach the server: ${exc.message}`, 0, "network");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new ApiError(failureMessage(response.status, body, notes), response.status, body?.error?.code, body?.error?.details);
  }
  const name = dispositionName(response.headers.get("Content-Disposition"), fallbackName);
  saveBlob(await response.blob(), name);
  return name;
}
