// Invitations for me (accept or decline), my teams (with my role) and the form to create
// one; the creator becomes its admin.
import { apiRequest, currentUser, guarded, onSubmit, pageStatus, reportUnexpected } from "./api.js";
import { fillTable, h } from "./dom.js";
import { timeEl } from "./precision_ui.js";

const { error, loading } = pageStatus();

async function loadTeams() {
  const body = await apiRequest("/api/v1/teams?per_page=100", { loading, error });
  const teams = body.items || [];
  const table = document.getElementById("teams-table");
  table.hidden = teams.length === 0;
  document.getElementById("empty").hidden = teams.length > 0;
  fillTable(table.querySelector("tbody"), teams, [
    { header: true, cell: (t) => h("a", { href: `/teams/${t.id}` }, t.name) },
    { cell: (t) => h("span", { class: "badge" }, t.my_role || "—") },
    { cell: (t) => t.description || "" },
    { cell: (t) => timeEl(t.created_at) },
  ]);
}

function answerButton(invitation, accept) {
  const verb = accept ? "Accept" : "Decline";
  return h(
    "button",
    {
      type: "button",
      class: accept ? "" : "secondary",
      "aria-label": `${verb} the invitation to ${invitation.team_name}`,
      onclick: guarded(async () => {
        await apiRequest(`/api/v1/teams/invitations/${invitation.id}/${accept ? "accept" : "decline"}`, {
          method: "POST",
          error,
          loading,
        });
        await Promise.all([loadInvitations(), loadTeams()]);
      }),
    },
    verb,
  );
}

async function loadInvitations() {
  const invitations = await apiRequest("/api/v1/teams/invitations", { error });
  document.getElementById("invited").hidden = invitations.length === 0;
  fillTable(document.querySelector("#invitations-table tbody"), invitations, [
    { header: true, cell: (i) => i.team_name },
    { cell: (i) => h("span", { class: "badge" }, i.role) },
    { cell: (i) => i.invited_by_name || "—" },
    { cell: (i) => timeEl(i.expires_at) },
    { cell: (i) => [answerButton(i, true), " ", answerButton(i, false)] },
  ]);
}

async function main() {
  const user = await currentUser();
  if (!user) {
    document.getElementById("signed-out").hidden = false;
    return;
  }
  document.getElementById("mine").hidden = false;
  document.getElementById("create").hidden = false;
  const form = document.getElementById("team-form");
  onSubmit(form, async () => {
    const body = { name: form.elements.name.value.trim(), description: form.elements.description.value.trim() || null };
    const team = await apiRequest("/api/v1/teams", { method: "POST", json: body, form, error, loading });
    window.location.assign(`/teams/${team.id}?created=1`);
  });
  await Promise.all([loadInvitations(), loadTeams()]);
}

main().catch((exc) => reportUnexpected(exc));
