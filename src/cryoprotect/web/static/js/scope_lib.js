// Who can see a new record: pure helpers shared by every form with visibility + team.

/** The scope fields of a request body: a team only with team visibility. */
export function scopePayload(visibility, teamId) {
  return { visibility, team_id: visibility === "team" ? teamId || null : null };
}

/** The default scope: the team chosen in the header's switcher, else private. */
export function defaultScope(teamId) {
  return teamId ? { visibility: "team", team_id: teamId } : { visibility: "private", team_id: null };
}

/**
 * The scope fields of a request body from a form's values: ``team_id`` only with team
 * visibility (absent otherwise), visibility private when not chosen.
 */
export function scopeBody(values) {
  const { visibility, team_id } = scopePayload(values.visibility || "private", values.team_id);
  return visibility === "team" ? { visibility, team_id } : { visibility };
}
