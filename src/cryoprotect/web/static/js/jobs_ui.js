// Background jobs for the pages: an import of more than CRYOPROTECT_IMPORT_SYNC_ROWS rows
// answers 202 with a job instead of its report; wait for the job (GET /api/v1/jobs/<id>)
// and hand back its result, which is the report.
import { apiRequest, showError } from "./api.js";

/** True when an API answer is a background job (id, kind, status) rather than a report. */
export function isJob(body) {
  return Boolean(body) && typeof body === "object" && typeof body.id === "string" && typeof body.kind === "string" && typeof body.status === "string";
}

/**
 * Poll ``job`` until it ends. Resolves with its result when done; when it failed or was
 * cancelled, shows why in ``error`` and resolves with null.
 * @param {{id: string, status: string}} job - the 202 body
 * @param {{error?: HTMLElement, onWait?: (job: object) => void, intervalMs?: number}} options
 */
export async function waitForJob(job, { error, onWait, intervalMs = 1000 } = {}) {
  let state = job;
  for (;;) {
    if (state.status === "done") return state.result;
    if (state.status === "failed" || state.status === "cancelled") {
      showError(error, `The background job ${state.status}: ${state.error || "no reason given"}`);
      return null;
    }
    if (onWait) onWait(state);
    await new Promise((resolve) => {
      setTimeout(resolve, intervalMs);
    });
    state = await apiRequest(`/api/v1/jobs/${encodeURIComponent(job.id)}`, { error });
  }
}

/**
 * The report an import answered with: itself when the import ran in the request, else the
 * result of its background job, waited for with ``loading`` shown (null when the job did
 * not finish; ``error`` then says why).
 * @param {object|null} answer - the import endpoint's body (report, or 202 job)
 * @param {{error?: HTMLElement, loading?: HTMLElement}} options
 */
export async function reportOf(answer, { error, loading } = {}) {
  if (!isJob(answer)) return answer;
  if (loading) loading.hidden = false;
  try {
    return await waitForJob(answer, { error });
  } finally {
    if (loading) loading.hidden = true;
  }
}
