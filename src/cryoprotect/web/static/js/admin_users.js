// The admin page's Users section (GET/PATCH /api/v1/admin/users, POST …/password-reset)
// and Audit log section (GET /api/v1/admin/audit-log with filters). Data are drawn as text
// nodes only (dom.js). The reset link is never shown here: the server writes it to its log.
import { apiRequest, guarded, onSubmit } from "./api.js";
import { $, fillTable, h, replace } from "./dom.js";
import { pageInfo, query } from "./format.js";
import { timeEl } from "./precision_ui.js";
import { accountActions, auditParams, changeLines, valueText, whatText, whoText } from "./admin_users_lib.js";

const error = () => $("error");
const loading = () => $("loading");
const state = { users: 1, audit: 1 };

function pager(nav, envelope, noun, go) {
  const info = pageInfo(envelope);
  nav.hidden = info.pages <= 1;
  replace(
    nav,
    h("button", { type: "button", class: "secondary", disabled: !info.hasPrev, onclick: guarded(() => go(info.page - 1)) }, "← Previous"),
    h("span", { "aria-live": "polite" }, `${info.first}–${info.last} of ${info.total} ${noun}`),
    h("button", { type: "button", class: "secondary", disabled: !info.hasNext, onclick: guarded(() => go(info.page + 1)) }, "Next →"),
  );
}

/** Name each cell after its column (``data-col``): on a phone admin.css shows the rows as
cards, each line led by its column's name; ``null`` leaves a cell unnamed. */
function nameCells(tbody, names) {
  for (const row of tbody.rows) [...row.cells].forEach((cell, i) => names[i] && (cell.dataset.col = names[i]));
}

// -------------------------------------------------------------------- users
function formQuery(form) {
  return Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v).trim()]));
}

function say(text) {
  const status = $("users-status");
  status.textContent = text;
  status.hidden = !text;
}

async function change(user, action) {
  const updated = await apiRequest(`/api/v1/admin/users/${user.id}`, { method: "PATCH", json: action.body, error: error(), loading: loading() });
  say(`${updated.email}: ${updated.is_active ? "active" : "deactivated (signed out everywhere)"}, ${updated.is_admin ? "administrator" : "not an administrator"}.`);
  await Promise.all([loadUsers(state.users), loadAudit(state.audit)]);
}

async function resetPassword(user) {
  const issued = await apiRequest(`/api/v1/admin/users/${user.id}/password-reset`, { method: "POST", error: error(), loading: loading() });
  say(`${issued.email}: ${issued.message}`);
  await loadAudit(1);
}

function actionCell(user) {
  const buttons = accountActions(user).map((a) =>
    h("button", { type: "button", class: "secondary", "aria-label": a.aria, dataset: { action: a.key }, onclick: guarded(() => change(user, a)) }, a.label),
  );
  const reset = h(
    "button",
    { type: "button", class: "secondary", "aria-label": `Reset the password of ${user.email}`, dataset: { action: "reset" }, disabled: !user.is_active, onclick: guarded(() => resetPassword(user)) },
    "Reset password",
  );
  return h("div", { class: "row actions" }, ...buttons, reset);
}

export async function loadUsers(page = 1) {
  const params = { ...formQuery($("users-filter")), page, per_page: 25 };
  const envelope = await apiRequest(`/api/v1/admin/users${query(params)}`, { error: error(), loading: loading() });
  state.users = envelope.page;
  $("users-empty").hidden = envelope.total > 0;
  fillTable($("users-table").querySelector("tbody"), envelope.items, [
    { header: true, class: "email", cell: (u) => [h("span", {}, u.email), u.display_name ? h("span", { class: "note" }, ` ${u.display_name}`) : null] },
    { cell: (u) => h("span", { class: u.is_active ? "badge verified" : "badge rejected" }, u.is_active ? "active" : "deactivated") },
    { cell: (u) => (u.is_admin ? h("span", { class: "badge pending" }, "administrator") : "user") },
    { cell: (u) => timeEl(u.created_at) },
    { cell: (u) => timeEl(u.last_login_at) },
    { cell: actionCell },
  ]);
  const tbody = $("users-table").tBodies[0];
  [...tbody.rows].forEach((row, i) => (row.dataset.email = envelope.items[i].email));
  nameCells(tbody, [null, "Status", "Role", "Created", "Last sign-in", null]);
  pager($("users-pager"), envelope, "accounts", loadUsers);
}

// ---------------------------------------------------------------- audit log
function recordCell(entry) {
  return [entry.label ? h("span", {}, valueText(entry.label)) : null, entry.row_id ? h("code", { class: "note", title: entry.row_id }, ` ${entry.row_id.slice(0, 8)}`) : null];
}

export async function loadAudit(page = 1) {
  const params = auditParams(formQuery($("audit-filter")), page);
  const envelope = await apiRequest(`/api/v1/admin/audit-log${query(params)}`, { error: error(), loading: loading(), form: $("audit-filter") });
  state.audit = envelope.page;
  $("audit-empty").hidden = envelope.total > 0;
  $("audit-caption").textContent = `Audit log: ${envelope.total} matching entr${envelope.total === 1 ? "y" : "ies"}, newest first`;
  fillTable($("audit-table").querySelector("tbody"), envelope.items, [
    { cell: (e) => timeEl(e.occurred_at) },
    { cell: (e) => whoText(e) },
    { cell: (e) => whatText(e) },
    { cell: recordCell },
    { cell: (e) => h("ul", { class: "changes" }, changeLines(e).map((line) => h("li", {}, line))) },
  ]);
  nameCells($("audit-table").tBodies[0], ["When (UTC)", "Who", "What", "Record", "Changes"]);
  pager($("audit-pager"), envelope, "entries", loadAudit);
}

async function loadTables() {
  const { tables } = await apiRequest("/api/v1/admin/audit-log/tables", { error: error() });
  $("audit-filter").elements.table.append(...tables.map((t) => h("option", { value: t }, t)));
}

/** Wire the two sections and load them (the caller has checked the user is an admin). */
export async function initAccounts() {
  onSubmit($("users-filter"), () => loadUsers(1));
  onSubmit($("audit-filter"), () => loadAudit(1));
  await loadTables();
  await Promise.all([loadUsers(1), loadAudit(1)]);
}
