// Who can see a new record: pure helpers shared by every form with visibility + team.

/** The scope fields of a request body: a team only with team visibility. */
export function scopePayload(visibility, teamId) {
  return { visibility, team_id: visibility === "team" ? teamId || null : null };
}

/** The default scope: the team chosen in the header's switcher, else private. */
export function defaultScope(teamId) {
  return teamId ? { visibility: "team", team_id: teamId } : { visibility: "private", team_id: null };
}
