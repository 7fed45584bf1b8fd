// Share links and ".eln" export of one record (issue 18), the pure part: the request
// bodies and paths, and how a link of the record's "Shared links" list reads.

import { formatTimestamp } from "./precision.js";

/** The records a share link or an .eln export may name. */
export const SHARE_RESOURCES = ["mixture", "protocol", "experiment"];

/** The body of POST /api/v1/eln/export selecting one record. */
export function elnSelection(resource, id) {
  if (!SHARE_RESOURCES.includes(resource)) throw new Error(`not a shareable record: ${resource}`);
  return { [`${resource}s`]: [id] };
}

/** GET /api/v1/share-links for one record's links (newest first, up to ``perPage``). */
export function shareLinksPath(resource, id, perPage = 50) {
  const params = new URLSearchParams({ resource, resource_id: id, per_page: String(perPage) });
  return `/api/v1/share-links?${params}`;
}

/**
 * One link of the list as the page shows it: when it was made and when it expires (UTC),
 * its status in words, and whether it can still be revoked (only an active link).
 */
export function linkRow(link) {
  const status = {
    active: "active",
    expired: "expired",
    revoked: `revoked ${formatTimestamp(link.revoked_at, { utc: true })}`,
  }[link.status] || link.status;
  return {
    id: link.id,
    created: formatTimestamp(link.created_at, { utc: true }),
    expires: formatTimestamp(link.expires_at, { utc: true }),
    status,
    canRevoke: link.status === "active",
  };
}

/** The sentence shown with a new link. */
export function shareNotice(resource, expiresAt) {
  return `Anyone with this link can read this ${resource} (and nothing else) until ${formatTimestamp(expiresAt, { utc: true })}: `;
}
