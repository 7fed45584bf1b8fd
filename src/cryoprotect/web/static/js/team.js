// One team: what it shares (experiments, mixtures, protocols), its members and their roles
// (invite by e-mail, change role, remove, leave — as the API allows), and, for team admins,
// the invitations sent, the name, description and deletion.
import { apiRequest, confirmDelete, currentTeam, currentUser, guarded, onSubmit, pageStatus, reportUnexpected, setCurrentTeam } from "./api.js";
import { fillTable, h, replace, showSuccess } from "./dom.js";
import { query } from "./format.js";
import { timeEl } from "./precision_ui.js";
import { countFigure, memberActions, memberName, ROLES, sharedWith } from "./teams_lib.js";

const teamId = document.getElementById("team-page").dataset.teamId;
const api = `/api/v1/teams/${teamId}`;
const { error, loading } = pageStatus();
const LIST_LIMIT = 100; // the API's largest page

let user = null;
let team = null;
let members = [];

function flash(message) {
  showSuccess(document.getElementById("flash"), message);
}

function renderTeam() {
  document.getElementById("team-name").textContent = team.name;
  document.getElementById("crumb").textContent = team.name;
  document.title = `${team.name} · Teams · CryoProtect`;
  document.getElementById("team-description").textContent = team.description || "";
  const role = document.getElementById("my-role");
  role.textContent = team.my_role ? `you: ${team.my_role}` : "";
  role.hidden = !team.my_role;
  const admin = team.my_role === "admin";
  document.getElementById("member-form").hidden = !admin;
  document.getElementById("settings").hidden = !admin;
  document.getElementById("members-note").textContent = admin
    ? "A team keeps at least one admin: promote someone else before you step down or leave."
    : "Only the team's admins invite members and change roles. You can leave the team yourself.";
  const settings = document.getElementById("settings-form");
  settings.elements.name.value = team.name;
  settings.elements.description.value = team.description || "";
  const links = [h("a", { href: `/experiments${query({ team_id: teamId })}` }, "The team's experiments")];
  if (["verifier", "admin"].includes(team.my_role)) links.push(" · ", h("a", { href: "/experiments/queue" }, "Your verification queue"));
  links.push(" · ", h("a", { href: "/experiments/new" }, "Record an experiment"));
  replace(document.getElementById("team-links"), links);
}

function roleSelect(member) {
  return h(
    "select",
    {
      "aria-label": `Role of ${memberName(member)}`,
      onchange: guarded(async (event) => {
        const role = event.target.value;
        try {
          await apiRequest(`${api}/members/${member.user_id}`, { method: "PATCH", json: { role }, error, loading });
          flash(`${memberName(member)} is now ${role}.`);
        } finally {
          await loadMembers();
        }
      }),
    },
    ROLES.map((r) => h("option", { value: r.name, selected: r.name === member.role }, r.name)),
  );
}

function actionCell(member) {
  const can = memberActions(member, user.id, team.my_role, members);
  if (can.canLeave) {
    return h(
      "button",
      {
        type: "button",
        class: "secondary",
        onclick: guarded(async () => {
          await apiRequest(`${api}/members/${member.user_id}`, { method: "DELETE", error, loading });
          if (currentTeam() === teamId) setCurrentTeam("");
          window.location.assign("/teams");
        }),
      },
      "Leave team",
    );
  }
  if (can.canRemove) {
    return h(
      "button",
      {
        type: "button",
        class: "secondary",
        "aria-label": `Remove ${memberName(member)}`,
        onclick: guarded(async () => {
          await apiRequest(`${api}/members/${member.user_id}`, { method: "DELETE", error, loading });
          flash(`${memberName(member)} was removed from the team.`);
          await loadMembers();
        }),
      },
      "Remove",
    );
  }
  return can.lastAdmin ? h("span", { class: "hint" }, "last admin") : "";
}

async function loadInvitations() {
  const section = document.getElementById("invitations");
  if (team.my_role !== "admin") {
    section.hidden = true;
    return;
  }
  const invitations = await apiRequest(`${api}/invitations`, { error });
  section.hidden = invitations.length === 0;
  fillTable(document.querySelector("#invitations-table tbody"), invitations, [
    { header: true, cell: (i) => i.email },
    { cell: (i) => i.role },
    { cell: () => "invitation sent" },
    { cell: (i) => timeEl(i.expires_at) },
    {
      cell: (i) =>
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            "aria-label": `Withdraw the invitation of ${i.email}`,
            onclick: guarded(async () => {
              await apiRequest(`${api}/invitations/${i.id}`, { method: "DELETE", error, loading });
              flash(`The invitation of ${i.email} was withdrawn.`);
              await loadInvitations();
            }),
          },
          "Withdraw",
        ),
    },
  ]);
}

async function loadMembers() {
  members = await apiRequest(`${api}/members`, { error });
  fillTable(document.querySelector("#members-table tbody"), members, [
    { header: true, cell: (m) => [memberName(m), m.user_id === user.id ? " (you)" : ""] },
    { cell: (m) => m.email || "—" },
    { cell: (m) => (memberActions(m, user.id, team.my_role, members).canChangeRole ? roleSelect(m) : m.role) },
    { cell: (m) => timeEl(m.joined_at) },
    { cell: actionCell },
  ]);
}

function card(count, name, href, items, link) {
  return h(
    "div",
    { class: "card" },
    h("div", { class: "count" }, count),
    h("div", {}, href ? h("a", { href }, name) : name),
    items.length ? h("ul", { class: "card-list" }, items.slice(0, 5).map((x) => h("li", {}, h("a", { href: link(x) }, x.name || x.title)))) : null,
  );
}

async function loadShared() {
  const [experiments, mixtures, protocols] = await Promise.all([
    apiRequest(`/api/v1/experiments${query({ team_id: teamId, per_page: 5 })}`, { error }),
    apiRequest(`/api/v1/mixtures${query({ visibility: "team", per_page: LIST_LIMIT })}`, { error }),
    apiRequest(`/api/v1/protocols${query({ per_page: LIST_LIMIT })}`, { quiet: true }).catch((exc) => ({ failed: exc.message })),
  ]);
  // A page of rows by scope: the team's among them, counted as a lower bound when the page is partial.
  const sharedCard = (page, name, href, link) => {
    const shared = sharedWith(page.items, teamId);
    return card(countFigure(shared.length, { partial: page.total > page.items.length }), name, href, shared, link);
  };
  const cards = [
    card(String(experiments.total), "experiments", `/experiments${query({ team_id: teamId })}`, experiments.items, (e) => `/experiments/${e.id}`),
    sharedCard(mixtures, "team mixtures", "/mixtures", (m) => `/mixtures/${m.id}`),
  ];
  if (protocols.failed) {
    cards.push(h("div", { class: "card" }, h("div", { class: "count" }, "?"), h("div", {}, "protocols"), h("p", { class: "field-error" }, `Could not load protocols: ${protocols.failed}`)));
  } else {
    cards.push(sharedCard(protocols, "protocols", "/protocols", (p) => `/protocols/${p.id}`));
  }
  replace(document.getElementById("shared-cards"), cards);
}

function wireAdmin() {
  const memberForm = document.getElementById("member-form");
  replace(memberForm.elements.role, ROLES.map((r) => h("option", { value: r.name, selected: r.name === "editor" }, r.name)));
  onSubmit(memberForm, async () => {
    const body = { email: memberForm.elements.email.value.trim(), role: memberForm.elements.role.value };
    const invited = await apiRequest(`${api}/members`, { method: "POST", json: body, form: memberForm, error, loading });
    memberForm.reset();
    memberForm.elements.role.value = "editor";
    flash(`Invitation sent to ${invited.email} as ${invited.role}: they join when they accept it.`);
    await loadInvitations();
  });
  const settings = document.getElementById("settings-form");
  onSubmit(settings, async () => {
    const body = { name: settings.elements.name.value.trim(), description: settings.elements.description.value.trim() || null };
    team = await apiRequest(api, { method: "PATCH", json: body, form: settings, error, loading });
    renderTeam();
    flash("Team saved.");
  });
  confirmDelete(
    "delete-team",
    async () => {
      await apiRequest(api, { method: "DELETE", error, loading });
      if (currentTeam() === teamId) setCurrentTeam("");
      window.location.assign("/teams");
    },
    { refocus: false },
  );
}

async function main() {
  user = await currentUser();
  if (!user) {
    window.location.assign(`/signin?next=${encodeURIComponent(window.location.pathname)}`);
    return;
  }
  replace(
    document.getElementById("role-legend"),
    ROLES.map((r) => h("li", {}, h("strong", {}, r.name), `: ${r.can}`)),
  );
  team = await apiRequest(api, { loading, error });
  renderTeam();
  document.getElementById("content").hidden = false;
  if (new URLSearchParams(window.location.search).get("created")) {
    flash("Team created: you are its admin. Invite your colleagues by e-mail below.");
  }
  wireAdmin();
  await Promise.all([loadMembers(), loadInvitations(), loadShared()]);
}

main().catch((exc) => reportUnexpected(exc));
