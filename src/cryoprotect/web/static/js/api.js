// Calls to the CryoProtect API: the `fetchResourceFromApi` pattern.
// A loading indicator is shown while a request runs; any failure (network, HTTP error,
// malformed body) is shown to the user — in the page's role="alert" element and, when the
// API names the field at fault, next to that field — and re-thrown, never swallowed.

export const TOKEN_KEY = "cryoprotect.token";
export const REFRESH_KEY = "cryoprotect.refresh";
export const TEAM_KEY = "cryoprotect.team";

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: anonymous requests only
  }
}

export function getToken() {
  return storage()?.getItem(TOKEN_KEY) || null;
}

/** Remember a token pair from /auth/login, /auth/register+login or /auth/refresh. */
export function setTokens({ access_token, refresh_token }) {
  const s = storage();
  if (!s) return;
  if (access_token) s.setItem(TOKEN_KEY, access_token);
  if (refresh_token) s.setItem(REFRESH_KEY, refresh_token);
}

export function clearTokens() {
  const s = storage();
  s?.removeItem(TOKEN_KEY);
  s?.removeItem(REFRESH_KEY);
}

/** The team chosen in the header's team switcher ("" = personal scope). */
export function currentTeam() {
  return storage()?.getItem(TEAM_KEY) || "";
}

export function setCurrentTeam(teamId) {
  const s = storage();
  if (!s) return;
  if (teamId) s.setItem(TEAM_KEY, teamId);
  else s.removeItem(TEAM_KEY);
}

/** Request headers, with the bearer token when there is one. */
export function apiHeaders(extra = {}) {
  const headers = { Accept: "application/json", ...extra };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/** An API failure with the HTTP status, the API's error code and its details. */
export class ApiError extends Error {
  constructor(message, status, code, details = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

function describe(status, body) {
  const err = body && body.error;
  const message = (err && err.message) || `request failed (HTTP ${status})`;
  if (status === 401) return `${message} Please sign in.`;
  return message;
}

/** Show ``message`` in the alert element (or clear it when ``message`` is empty). */
export function showError(errorEl, message) {
  if (!errorEl) return;
  errorEl.textContent = message || "";
  errorEl.hidden = !message;
}

/**
 * The fields an API error blames, as {path: message}: ``details.field`` for domain errors,
 * ``details.fields`` (marshmallow messages, possibly nested) for schema errors.
 */
export function fieldErrors(details, message = "") {
  const out = {};
  const walk = (prefix, value) => {
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      out[prefix] = value.join(" ");
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) {
        const path = /^\d+$/.test(key) ? `${prefix}[${key}]` : prefix ? `${prefix}.${key}` : key;
        walk(path, inner);
      }
    } else if (typeof value === "string") {
      out[prefix] = value;
    }
  };
  if (details && details.fields && typeof details.fields === "object") walk("", details.fields);
  if (details && typeof details.field === "string" && details.field && !(details.field in out)) {
    out[details.field] = message;
  }
  return out;
}

/** {path: message} with every path mapped by ``mapper`` (messages of paths that meet are joined). */
export function mapErrorPaths(errors, mapper) {
  const out = {};
  for (const [path, message] of Object.entries(errors || {})) {
    const key = mapper(path);
    out[key] = out[key] ? `${out[key]} ${message}` : message;
  }
  return out;
}

/** Clear the per-field messages of a form. */
export function clearFieldErrors(form) {
  if (!form) return;
  for (const el of form.querySelectorAll(".field-error")) {
    el.textContent = "";
    el.hidden = true;
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

/** The banner that only repeats a form's field errors (cleared once they are all fixed). */
const fieldBanners = new WeakMap();
const watchedForms = new WeakSet();

/** Does the error slot for ``key`` belong to the control named ``name``? */
function slotCovers(key, name) {
  return name === key || name.startsWith(`${key}.`) || name.startsWith(`${key}[`);
}

/**
 * The user edits a control whose value was rejected: its message and aria-invalid go (the
 * message no longer describes what is in the field); once no field message is left, the
 * banner that only repeated them goes too. Wired once per form, delegated (rows added later
 * are covered).
 */
function clearFixedField(event) {
  const form = event.currentTarget;
  const target = event.target;
  const name = target && target.getAttribute ? target.getAttribute("name") || "" : "";
  if (!name) return;
  target.removeAttribute("aria-invalid");
  for (const slot of form.querySelectorAll(".field-error[data-error-for]")) {
    if (!slot.hidden && slotCovers(slot.dataset.errorFor, name)) {
      slot.textContent = "";
      slot.hidden = true;
    }
  }
  const banner = fieldBanners.get(form);
  if (banner && ![...form.querySelectorAll(".field-error[data-error-for]")].some((s) => !s.hidden)) {
    if (banner.el.textContent === banner.text) showError(banner.el, "");
    fieldBanners.delete(form);
  }
}

function watchFieldEdits(form) {
  if (watchedForms.has(form)) return;
  watchedForms.add(form);
  form.addEventListener("input", clearFixedField);
  form.addEventListener("change", clearFixedField);
}

/**
 * Put each message next to its field: the element ``[data-error-for="<path>"]`` (or, failing
 * that, the one for the path's first segment) receives the text, and the input named like
 * the path is marked aria-invalid. Returns the paths that found no place on the form.
 * Editing a field afterwards clears its message.
 */
export function showFieldErrors(form, errors) {
  const unplaced = [];
  if (!form) return Object.keys(errors);
  watchFieldEdits(form);
  for (const [path, message] of Object.entries(errors)) {
    const candidates = [path, path.split(/[.[]/)[0]];
    let slot = null;
    for (const c of candidates) {
      slot = form.querySelector(`[data-error-for="${CSS.escape(c)}"]`);
      if (slot) break;
    }
    if (!slot) {
      unplaced.push(path);
      continue;
    }
    slot.textContent = message || "This value was rejected.";
    slot.hidden = false;
    for (const c of candidates) {
      const input = form.querySelector(`[name="${CSS.escape(c)}"]`);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        break;
      }
    }
  }
  return unplaced;
}

async function send(path, { method, json, formData }) {
  const headers = apiHeaders(json !== undefined ? { "Content-Type": "application/json" } : {});
  try {
    return await fetch(path, {
      method,
      headers,
      body: json !== undefined ? JSON.stringify(json) : formData,
      credentials: "same-origin",
    });
  } catch (exc) {
    throw new ApiError(`could not reach the server: ${exc.message}`, 0, "network");
  }
}

async function refreshTokens() {
  const refresh = storage()?.getItem(REFRESH_KEY);
  if (!refresh) return false;
  const response = await send("/api/v1/auth/refresh", {
    method: "POST",
    json: { refresh_token: refresh },
  });
  if (!response.ok) {
    clearTokens();
    return false;
  }
  setTokens(await response.json());
  return true;
}

async function parse(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) {
    if (response.ok) return response.text();
    return null;
  }
  try {
    return await response.json();
  } catch {
    if (response.ok) throw new ApiError("the server sent a malformed response", response.status, "parse");
    return null;
  }
}

/**
 * Call the API and return the parsed body (null for 204).
 * @param {string} path - e.g. "/api/v1/mixtures"
 * @param {{method?: string, json?: any, formData?: FormData, loading?: HTMLElement,
 *          error?: HTMLElement, form?: HTMLFormElement, quiet?: boolean}} options
 *   ``form``: API field errors are shown next to the form's fields;
 *   ``quiet``: do not write to ``error`` (the caller handles the ApiError itself).
 */
export async function apiRequest(path, options = {}) {
  const { method = "GET", json, formData, loading, error, form, quiet = false } = options;
  if (loading) loading.hidden = false;
  showError(error, "");
  clearFieldErrors(form);
  if (form) fieldBanners.delete(form);
  try {
    let response = await send(path, { method, json, formData });
    if (response.status === 401 && getToken() && (await refreshTokens())) {
      response = await send(path, { method, json, formData });
    }
    const body = await parse(response);
    if (!response.ok) {
      const err = body && body.error;
      throw new ApiError(describe(response.status, body), response.status, err?.code, err?.details);
    }
    return body;
  } catch (exc) {
    if (!quiet) {
      const errors = exc instanceof ApiError ? fieldErrors(exc.details, exc.message) : {};
      const unplaced = showFieldErrors(form, errors);
      const where = unplaced.length ? ` (${unplaced.join(", ")})` : "";
      showError(error, `${exc.message}${where}`);
      if (form && error && Object.keys(errors).length && !unplaced.length) {
        fieldBanners.set(form, { el: error, text: error.textContent });
      }
    }
    throw exc;
  } finally {
    if (loading) loading.hidden = true;
  }
}

/**
 * GET ``path`` from the API and return the parsed JSON body.
 * @param {string} path - e.g. "/api/v1/predictive-models/<id>"
 * @param {{loading?: HTMLElement, error?: HTMLElement}} ui - indicator and alert elements
 */
export async function fetchResourceFromApi(path, { loading, error } = {}) {
  try {
    return await apiRequest(path, { loading, error, quiet: true });
  } catch (exc) {
    showError(error, `Could not load ${path}: ${exc.message}`);
    throw exc;
  }
}

/** The signed-in user (GET /api/v1/users/me), or null when signed out. Cached per page. */
let mePromise = null;
export function currentUser() {
  if (!getToken()) return Promise.resolve(null);
  if (!mePromise) {
    mePromise = apiRequest("/api/v1/users/me", { quiet: true }).catch((exc) => {
      if (exc instanceof ApiError && exc.status === 401) {
        clearTokens();
        return null;
      }
      throw exc;
    });
  }
  return mePromise;
}

/**
 * For page entry points and event handlers: an ApiError has already been shown to the user
 * (alert / next to the field), so it is not re-reported; anything else is a bug in the page,
 * shown in ``errorEl`` and logged to the console.
 */
export function reportUnexpected(exc, errorEl = document.getElementById("error")) {
  if (exc instanceof ApiError) return;
  showError(errorEl, `Something went wrong on this page: ${exc && exc.message}`);
  console.error(exc);
}

/** Wrap an async event handler so failures are reported, never left unhandled. */
export function guarded(handler, errorEl) {
  return async (...args) => {
    try {
      await handler(...args);
    } catch (exc) {
      reportUnexpected(exc, errorEl);
    }
  };
}

/**
 * Handle a form's submit in the page (the browser never submits it): ``handler(event)``
 * runs after ``preventDefault()``, its failures reported as by ``guarded``.
 */
export function onSubmit(form, handler, errorEl) {
  form.addEventListener(
    "submit",
    guarded(async (event) => {
      event.preventDefault();
      await handler(event);
    }, errorEl),
  );
}

/** The page's alert (#error) and loading indicator (#loading), which its requests report to. */
export function pageStatus() {
  return { error: document.getElementById("error"), loading: document.getElementById("loading") };
}

/** The signed-in user, or null after revealing the page's "sign in to …" note (#signin-needed). */
export async function signedInUser() {
  const user = await currentUser();
  if (!user) document.getElementById("signin-needed").hidden = false;
  return user;
}

/**
 * A two-step delete: the button ``buttonId`` reveals the confirmation (``ids``: the
 * confirmation, its "yes" and its "no"), focused on "no"; "no" hides it again (and, with
 * ``refocus``, returns the focus to the button); "yes" runs ``onDelete``, guarded.
 */
export function confirmDelete(buttonId, onDelete, { ids = ["delete-confirm", "delete-yes", "delete-no"], refocus = true } = {}) {
  const button = document.getElementById(buttonId);
  const [confirm, yes, no] = ids.map((id) => document.getElementById(id));
  button.addEventListener("click", () => {
    confirm.hidden = false;
    no.focus();
  });
  no.addEventListener("click", () => {
    confirm.hidden = true;
    if (refocus) button.focus();
  });
  yes.addEventListener("click", guarded(onDelete));
}
