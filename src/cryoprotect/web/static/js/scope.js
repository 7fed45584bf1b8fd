// The "who can see this" controls of every form that creates a record: visibility + team.
// Defaults to the team chosen in the header's switcher (team visibility), else private, and
// follows the switcher until the user changes the controls themselves.
import { apiRequest, currentTeam } from "./api.js";
import { h, replace } from "./dom.js";
import { defaultScope, scopePayload } from "./scope_lib.js";

/** The caller's teams (GET /api/v1/teams; [] when signed out). */
export async function myTeams(error) {
  const body = await apiRequest("/api/v1/teams", { error });
  return Array.isArray(body) ? body : body.items || [];
}

/**
 * Wire a form's ``visibility`` and ``team_id`` selects.
 * @returns {{value: () => {visibility, team_id}, set: (scope) => void}}
 */
export function scopeControls(form, teams) {
  const visibility = form.elements.visibility;
  const team = form.elements.team_id;
  replace(
    team,
    h("option", { value: "" }, teams.length ? "— choose a team —" : "— you are in no team —"),
    teams.map((t) => h("option", { value: t.id }, `${t.name}${t.my_role ? ` (${t.my_role})` : ""}`)),
  );
  let touched = false;
  const sync = () => {
    team.disabled = visibility.value !== "team";
  };
  const set = ({ visibility: v, team_id: t }) => {
    visibility.value = v;
    team.value = t && teams.some((x) => x.id === t) ? t : "";
    sync();
  };
  visibility.addEventListener("change", () => {
    touched = true;
    if (visibility.value === "team" && !team.value && teams.length === 1) team.value = teams[0].id;
    sync();
  });
  team.addEventListener("change", () => {
    touched = true;
  });
  document.addEventListener("cryoprotect:team", (event) => {
    if (!touched) set(defaultScope(event.detail));
  });
  set(defaultScope(currentTeam()));
  return {
    value: () => scopePayload(visibility.value, team.value),
    set: (scope) => {
      touched = true;
      set(scope);
    },
  };
}
