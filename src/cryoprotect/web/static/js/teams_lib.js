// Pure helpers of the team pages (no DOM): the roles, what a member may do to another, and
// what the team shares. Unit-tested in tests/js/experiments.test.mjs.

/**
 * The team roles the API accepts (services/teams.py ROLE_NAMES), weakest first, with what
 * each may do (migration 0002's team_roles rows). The browser test checks the names.
 */
export const ROLES = [
  { name: "viewer", can: "sees the team's data" },
  { name: "editor", can: "sees, records and edits the team's data" },
  { name: "verifier", can: "an editor who also verifies other members' experiments" },
  { name: "admin", can: "everything, including deleting team data and managing members and roles" },
];

/** A member's name for display: the display name, else the e-mail. */
export function memberName(member) {
  return member?.display_name || member?.email || "unknown member";
}

/** Members holding the admin role. */
export function adminCount(members) {
  return (members || []).filter((m) => m.role === "admin").length;
}

/**
 * What the caller (``me``: a user id, ``myRole``: their role in the team) may do to
 * ``member``: admins change roles and remove members; anyone may leave; the last admin
 * can neither leave nor be demoted (the API answers 409), so the page says so instead.
 */
export function memberActions(member, me, myRole, members) {
  const self = member.user_id === me;
  const lastAdmin = member.role === "admin" && adminCount(members) <= 1;
  const admin = myRole === "admin";
  return {
    self,
    lastAdmin,
    canChangeRole: admin && !lastAdmin,
    canRemove: admin && !self && !lastAdmin,
    canLeave: self && !lastAdmin,
  };
}

/** Records (mixtures, protocols, …) shared with ``teamId``: team or public rows of that team. */
export function sharedWith(items, teamId) {
  return (items || []).filter((x) => x.team_id === teamId && x.visibility !== "private");
}

/** A count for a card: "3", or "≥ 100" when the list was cut at the API's largest page. */
export function countFigure(n, { partial = false } = {}) {
  return partial ? `≥ ${n}` : String(n);
}
