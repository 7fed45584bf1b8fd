// Pure helpers of the admin page's Users and Audit log sections (no DOM): what an account's
// buttons do, and an audit-log entry in words. Unit-tested in tests/js/admin_users.test.mjs.

const SYSTEM_USER_ID = "00000000-0000-0000-0000-000000000000";
const ACTIONS = { INSERT: "created", UPDATE: "changed", DELETE: "deleted" };

/** The changes an account's buttons make: [{key, label, body, aria}]. */
export function accountActions(user) {
  const who = user.display_name ? `${user.display_name} (${user.email})` : user.email;
  return [
    user.is_active
      ? { key: "deactivate", label: "Deactivate", body: { is_active: false }, aria: `Deactivate ${who}` }
      : { key: "reactivate", label: "Reactivate", body: { is_active: true }, aria: `Reactivate ${who}` },
    user.is_admin
      ? { key: "revoke-admin", label: "Revoke admin", body: { is_admin: false }, aria: `Revoke administrator rights of ${who}` }
      : { key: "grant-admin", label: "Make admin", body: { is_admin: true }, aria: `Make ${who} an administrator` },
  ];
}

/** A JSON value of an audited row as short text. */
export function valueText(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") {
    const stamp = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?/.exec(value);
    if (stamp) return `${stamp[1]} ${stamp[2]}`;
    return value.length > 80 ? `${value.slice(0, 77)}…` : value;
  }
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** Who made an audited change, in words. */
export function whoText(entry) {
  if (entry.actor_id === SYSTEM_USER_ID || (!entry.actor_id && entry.actor_role === "service_role")) return "system (server)";
  if (entry.actor_email) return entry.actor_email;
  if (entry.actor_id) return entry.actor_id;
  return entry.actor_role === "anon" ? "anonymous" : "—";
}

/** "users: changed" — the action on which table. */
export function whatText(entry) {
  return `${entry.table_name}: ${ACTIONS[entry.action] || entry.action.toLowerCase()}`;
}

/** The lines describing an entry's change ("is_active: yes → no"; "created"). */
export function changeLines(entry) {
  if (entry.action !== "UPDATE") return [ACTIONS[entry.action] || entry.action];
  if (!entry.changes.length) return ["no visible change"];
  return entry.changes.map((c) => `${c.field}: ${valueText(c.old)} → ${valueText(c.new)}`);
}

/** The audit-log query parameters from the filter form's values (empty ones dropped). */
export function auditParams(values, page = 1) {
  const params = { page, per_page: 25 };
  for (const key of ["table", "action", "actor", "row_id", "since", "until"]) {
    const value = String(values[key] ?? "").trim();
    if (value) params[key] = value;
  }
  return params;
}
