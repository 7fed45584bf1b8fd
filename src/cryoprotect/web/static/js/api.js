// Calls to the CryoProtect API: the `fetchResourceFromApi` pattern.
// A loading indicator is shown while a request runs; any failure (network, HTTP error,
// malformed body) is shown to the user in the page's role="alert" element and re-thrown,
// never swallowed.

export const TOKEN_KEY = "cryoprotect.token";

/** Request headers, with the bearer token from localStorage when there is one. */
export function apiHeaders() {
  const headers = { Accept: "application/json" };
  let token = null;
  try {
    token = window.localStorage.getItem(TOKEN_KEY);
  } catch {
    token = null; // storage disabled: anonymous requests
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/** An API failure with the HTTP status and the API's error code. */
export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

function describe(status, body) {
  const err = body && body.error;
  const message = (err && err.message) || `request failed (HTTP ${status})`;
  if (status === 401 || status === 404) {
    return `${message}. If this resource is private, sign in (an API token in localStorage "${TOKEN_KEY}").`;
  }
  return message;
}

/** Show ``message`` in the alert element (or clear it when ``message`` is empty). */
export function showError(errorEl, message) {
  if (!errorEl) return;
  errorEl.textContent = message || "";
  errorEl.hidden = !message;
}

/**
 * GET ``path`` from the API and return the parsed JSON body.
 * @param {string} path - e.g. "/api/v1/predictive-models/<id>"
 * @param {{loading?: HTMLElement, error?: HTMLElement}} ui - indicator and alert elements
 */
export async function fetchResourceFromApi(path, { loading, error } = {}) {
  if (loading) loading.hidden = false;
  showError(error, "");
  try {
    let response;
    try {
      response = await fetch(path, { headers: apiHeaders(), credentials: "same-origin" });
    } catch (exc) {
      throw new ApiError(`could not reach the server: ${exc.message}`, 0, "network");
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      if (response.ok) throw new ApiError("the server sent a malformed response", response.status, "parse");
    }
    if (!response.ok) {
      throw new ApiError(describe(response.status, body), response.status, body?.error?.code);
    }
    return body;
  } catch (exc) {
    showError(error, `Could not load ${path}: ${exc.message}`);
    throw exc;
  } finally {
    if (loading) loading.hidden = true;
  }
}
