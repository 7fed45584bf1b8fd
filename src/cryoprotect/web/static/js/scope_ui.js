// The "who can see this" controls of every form that creates a record: visibility + team.
// Defaults to the team chosen in the header's switcher (team visibility), else private, and
// follows the switcher until the user changes the controls themselves.
import { ApiError, apiRequest, currentTeam } from "./api.js";
import { h, replace } from "./dom.js";
import { defaultScope, scopePayload } from "./scope_lib.js";

const MY_TEAMS = "/api/v1/teams?per_page=100";
const teamItems = (body) => body?.items || [];

/**
 * The caller's teams (the first page of 100 of GET /api/v1/teams; [] when signed out). With
 * ``error`` a failure is shown there and thrown; without it the list is quietly empty when
 * it cannot be loaded.
 */
export async function myTeams(error = null) {
  if (error) return teamItems(await apiRequest(MY_TEAMS, { error }));
  try {
    return teamItems(await apiRequest(MY_TEAMS, { quiet: true }));
  } catch (exc) {
    if (exc instanceof ApiError) return [];
    throw exc;
  }
}

/**
 * Wire a form's ``visibility`` and ``team_id`` selects. ``initial`` (an edit form's current
 * scope) is shown instead of the default and, like a user's choice, stops the controls from
 * following the header's switcher.
 * @returns {{value: () => {visibility, team_id}, set: (scope) => void}}
 */
export function scopeControls(form, teams, { initial = null } = {}) {
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
  if (initial) {
    touched = true;
    set(initial);
  } else {
    set(defaultScope(currentTeam()));
  }
  return {
    value: () => scopePayload(visibility.value, team.value),
    set: (scope) => {
      touched = true;
      set(scope);
    },
  };
}

/**
 * The multipart body of an import form: its chosen file (field ``file``, left out when none
 * is chosen, so the API names the missing field) and the scope ``controls`` give the new records.
 */
export function scopedUpload(form, controls) {
  const data = new FormData();
  const file = form.elements.file.files[0];
  if (file) data.append("file", file, file.name);
  const { visibility, team_id } = controls.value();
  data.append("visibility", visibility);
  if (team_id) data.append("team_id", team_id);
  return data;
}
