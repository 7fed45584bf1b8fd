// Administration (platform administrators only): accounts and the audit log
// (admin_users.js), the database health report
// (GET /api/v1/admin/db-health) and feature flags (list, toggle, rollout percentage,
// description, team and user overrides) through /api/v1/feature-flags.
import { apiRequest, currentUser, guarded, reportUnexpected, showFieldErrors } from "./api.js";
import { myTeams } from "./scope_ui.js";
import { h, headerRow, replace } from "./dom.js";
import { formatTimestamp } from "./format.js";
import { timeEl } from "./precision_ui.js";
import { healthClass, healthSections, overrideTarget, parseTargetId, rolloutText } from "./admin_lib.js";
import { initAccounts } from "./admin_users.js";

const error = document.getElementById("error");
const loading = document.getElementById("loading");
const names = new Map(); // user/team id → what to call it

const errorSlot = (path) => h("span", { class: "field-error", "data-error-for": path, hidden: true });

// ------------------------------------------------------------------ health
function renderFinding(f) {
  let body;
  if (f.kind === "none") body = h("p", { class: "note" }, "none found");
  else if (f.kind === "value") body = h("p", {}, f.value);
  else if (f.kind === "list") body = h("ul", {}, f.items.map((x) => h("li", {}, x)));
  else {
    body = h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data text" },
        h("thead", {}, headerRow(f.columns.map((c) => c.title))),
        h("tbody", {}, f.rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell))))),
      ),
    );
  }
  return h("div", { class: `finding finding-${f.kind}`, dataset: { finding: f.key } }, h("h4", {}, f.title), body);
}

async function loadHealth() {
  const report = await apiRequest("/api/v1/admin/db-health", { loading: document.getElementById("health-loading"), error });
  const badge = document.getElementById("health-status");
  badge.className = healthClass(report.status);
  badge.textContent = report.status;
  badge.hidden = false;
  document.getElementById("health-checked").textContent = `Checked ${formatTimestamp(report.checked_at, { utc: true })}.`;
  replace(
    document.getElementById("health-sections"),
    healthSections(report).map((s) =>
      h(
        "details",
        { class: "health-check", open: s.status !== "passed", dataset: { check: s.key } },
        h("summary", {}, h("span", { class: healthClass(s.status) }, s.status), " ", s.title),
        s.findings.map(renderFinding),
      ),
    ),
  );
}

// ------------------------------------------------------------------ flags
function overrideRows(flag) {
  if (!flag.overrides.length) return h("p", { class: "note" }, "No overrides.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data text overrides" },
      h("caption", {}, `Overrides of ${flag.key}`),
      h("thead", {}, headerRow(["For", "Who", "Flag is", "Note", "Changed (UTC)", "Action"])),
      h(
        "tbody",
        {},
        flag.overrides.map((o) => {
          const target = overrideTarget(o, names);
          return h(
            "tr",
            {},
            h("td", {}, target.kind),
            h("td", {}, target.kind === "team" ? h("a", { href: `/teams/${target.id}` }, target.name) : target.name),
            h("td", {}, h("span", { class: o.enabled ? "badge verified" : "badge" }, o.enabled ? "on" : "off")),
            h("td", {}, o.note || ""),
            h("td", {}, timeEl(o.updated_at)),
            h(
              "td",
              {},
              h(
                "button",
                {
                  type: "button",
                  class: "secondary",
                  "aria-label": `Remove the override of ${flag.key} for ${target.kind} ${target.name}`,
                  onclick: guarded(async () => {
                    await apiRequest(`/api/v1/feature-flags/${flag.key}/overrides/${target.kind}s/${target.id}`, { method: "DELETE", error, loading });
                    await refreshFlag(flag.key);
                  }),
                },
                "Remove",
              ),
            ),
          );
        }),
      ),
    ),
  );
}

function editForm(flag) {
  const status = h("span", { class: "note", role: "status" });
  const form = h(
    "form",
    { class: "row flag-edit", novalidate: true },
    h(
      "label",
      { class: "check" },
      h("input", {
        type: "checkbox",
        name: "enabled",
        checked: flag.enabled,
        onchange: guarded(async (event) => {
          await apiRequest(`/api/v1/feature-flags/${flag.key}`, { method: "PATCH", json: { enabled: event.target.checked }, form, error, loading });
          await refreshFlag(flag.key, "input[name=enabled]");
        }),
      }),
      " On",
    ),
    h(
      "label",
      {},
      "Rollout (% of signed-in users)",
      h("input", { type: "number", name: "rollout_percentage", min: 0, max: 100, step: 1, value: flag.rollout_percentage }),
      errorSlot("rollout_percentage"),
    ),
    h("label", { class: "grow" }, "Description", h("input", { type: "text", name: "description", maxlength: 2000, value: flag.description || "" }), errorSlot("description")),
    h("button", { type: "submit" }, "Save"),
    status,
    errorSlot("enabled"),
  );
  form.addEventListener(
    "submit",
    guarded(async (event) => {
      event.preventDefault();
      const text = form.elements.rollout_percentage.value.trim();
      const body = { description: form.elements.description.value.trim() || null, rollout_percentage: text === "" ? null : Number(text) };
      await apiRequest(`/api/v1/feature-flags/${flag.key}`, { method: "PATCH", json: body, form, error, loading });
      await refreshFlag(flag.key, "input[name=rollout_percentage]", "Saved.");
    }),
  );
  return form;
}

function overrideForm(flag) {
  const who = h("input", { type: "text", name: "who", list: "user-suggestions", autocomplete: "off", spellcheck: "false", placeholder: "pick a suggestion or paste an id" });
  const form = h(
    "form",
    { class: "row override-form", novalidate: true },
    h(
      "label",
      {},
      "Override for",
      h(
        "select",
        { name: "target", onchange: (e) => who.setAttribute("list", `${e.target.value}-suggestions`) },
        h("option", { value: "user" }, "a user"),
        h("option", { value: "team" }, "a team"),
      ),
    ),
    h("label", { class: "grow" }, "Who", who, errorSlot("who"), errorSlot("user_id"), errorSlot("team_id")),
    h("label", {}, "Flag is", h("select", { name: "enabled" }, h("option", { value: "true" }, "on"), h("option", { value: "false" }, "off"))),
    h("label", { class: "grow" }, "Note", h("input", { type: "text", name: "note", maxlength: 2000, placeholder: "why" }), errorSlot("note")),
    h("button", { type: "submit" }, "Set override"),
  );
  form.addEventListener(
    "submit",
    guarded(async (event) => {
      event.preventDefault();
      const kind = form.elements.target.value;
      const id = parseTargetId(form.elements.who.value);
      if (!id) {
        showFieldErrors(form, { who: `Choose a ${kind} from the suggestions or paste its id (a UUID).` });
        return;
      }
      const body = { enabled: form.elements.enabled.value === "true", note: form.elements.note.value.trim() || null };
      await apiRequest(`/api/v1/feature-flags/${flag.key}/overrides/${kind}s/${id}`, { method: "PUT", json: body, form, error, loading });
      await refreshFlag(flag.key, "input[name=who]");
    }),
  );
  return form;
}

function flagArticle(flag, message = "") {
  const headingId = `flag-${flag.key.replace(/[^a-z0-9_-]/g, "-")}`;
  const article = h(
    "article",
    { class: "flag card", "aria-labelledby": headingId, dataset: { flag: flag.key } },
    h(
      "h3",
      { id: headingId },
      h("code", {}, flag.key),
      " ",
      h("span", { class: flag.enabled ? "badge verified" : "badge" }, flag.enabled ? `on · ${flag.rollout_percentage} %` : "off"),
    ),
    flag.description ? h("p", { class: "note" }, flag.description) : null,
    h("p", { class: "rollout" }, `Default: ${rolloutText(flag)}. Last changed ${formatTimestamp(flag.updated_at, { utc: true })}.`),
    editForm(flag),
    h("h4", {}, "Overrides"),
    overrideRows(flag),
    overrideForm(flag),
  );
  if (message) article.querySelector(".flag-edit [role=status]").textContent = message;
  return article;
}

async function refreshFlag(key, focusSelector = "", message = "") {
  const flag = await apiRequest(`/api/v1/feature-flags/${key}`, { error });
  const old = document.querySelector(`article[data-flag="${CSS.escape(key)}"]`);
  const fresh = flagArticle(flag, message);
  if (old) old.replaceWith(fresh);
  else document.getElementById("flags").append(fresh);
  if (focusSelector) fresh.querySelector(focusSelector)?.focus();
}

async function loadFlags() {
  const flags = await apiRequest("/api/v1/feature-flags", { loading, error });
  document.getElementById("flags-empty").hidden = flags.length > 0;
  replace(document.getElementById("flags"), flags.map((f) => flagArticle(f)));
}

/** Suggestions for overrides: you, your teams and their members (ids with names). */
async function loadSuggestions(user) {
  const label = (u) => `${u.display_name || u.email} <${u.email}>`;
  names.set(user.id, label(user));
  const users = new Map([[user.id, label(user)]]);
  const teams = await myTeams(error);
  for (const t of teams) names.set(t.id, t.name);
  const memberLists = await Promise.all(teams.map((t) => apiRequest(`/api/v1/teams/${t.id}/members`, { error })));
  for (const m of memberLists.flat()) {
    const text = label(m);
    users.set(m.user_id, text);
    names.set(m.user_id, text);
  }
  replace(document.getElementById("user-suggestions"), [...users].map(([id, text]) => h("option", { value: `${text} · ${id}` })));
  replace(document.getElementById("team-suggestions"), teams.map((t) => h("option", { value: `${t.name} · ${t.id}` })));
}

async function main() {
  const user = await currentUser();
  const forbidden = document.getElementById("forbidden");
  if (!user || !user.is_admin) {
    if (!user) {
      replace(document.getElementById("forbidden-text"), "This page is for platform administrators. ", h("a", { href: "/signin?next=/admin" }, "Sign in"), " with an administrator account.");
    } else {
      document.getElementById("forbidden-text").textContent = `This page is for platform administrators only, and ${user.email} is not one.`;
    }
    forbidden.hidden = false;
    return;
  }
  document.getElementById("content").hidden = false;
  const flagForm = document.getElementById("flag-form");
  flagForm.addEventListener(
    "submit",
    guarded(async (event) => {
      event.preventDefault();
      const text = flagForm.elements.rollout_percentage.value.trim();
      const body = {
        key: flagForm.elements.key.value.trim(),
        description: flagForm.elements.description.value.trim() || null,
        enabled: flagForm.elements.enabled.checked,
        rollout_percentage: text === "" ? 100 : Number(text),
      };
      const created = await apiRequest("/api/v1/feature-flags", { method: "POST", json: body, form: flagForm, error, loading });
      flagForm.reset();
      document.getElementById("flags-empty").hidden = true;
      await refreshFlag(created.key, "", "Created.");
    }),
  );
  document.getElementById("health-run").addEventListener("click", guarded(loadHealth));
  await loadSuggestions(user);
  await Promise.all([initAccounts(), loadHealth(), loadFlags()]);
}

main().catch((exc) => reportUnexpected(exc));
