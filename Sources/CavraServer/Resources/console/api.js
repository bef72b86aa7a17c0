// Every call to the CAVRA API goes through `api()`: it adds the channel header and the credential, and turns
// an error answer into an ApiError that keeps the server's own `detail`, `code` and extra fields
// (architecture.md §5: `current_state`, `allowed_transitions`, `decision`, `missing`, `results`, …).

import { currentCredentials } from "./session.js";

export const DRILLS = "/runtime/go-pilot/rollback-drill-notifications";

export class ApiError extends Error {
  constructor(status, body, statusText = "") {
    const detail =
      body && typeof body.detail === "string" && body.detail
        ? body.detail
        : status === 0
          ? "the server could not be reached"
          : `the server answered ${status} ${statusText}`.trim();
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.body = body ?? {};
    this.detail = detail;
    this.code = body?.code ?? null;
  }
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * One API call. `body` (an object) makes it a JSON request. With no token but asserted claims (local mode, the
 * sample visitor) mutations carry `actor_claims` and GETs the `X-Cavra-Actor` / `X-Cavra-Actor-Groups`
 * headers, so reads show the permissions of the identity the mutations will use.
 */
export async function api(method, path, { query, body } = {}) {
  const credentials = currentCredentials();
  const headers = { Accept: "application/json", "X-Cavra-Channel": "console" };
  if (credentials.token) {
    headers.Authorization = `Bearer ${credentials.token}`;
  } else if (credentials.claims && method === "GET") {
    headers["X-Cavra-Actor"] = String(credentials.claims.sub ?? "");
    const groups = Array.isArray(credentials.claims.groups) ? credentials.claims.groups : [];
    headers["X-Cavra-Actor-Groups"] = groups.join(",");
  }
  const init = { method, headers, cache: "no-store", credentials: "same-origin", redirect: "error" };
  if (body !== undefined) {
    const payload = { ...body };
    if (!credentials.token && credentials.claims) payload.actor_claims = credentials.claims;
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(payload);
  }

  let response;
  try {
    response = await fetch(path + queryString(query), init);
  } catch (error) {
    // fetch rejects on network failure and on header values it cannot send (e.g. a non-Latin-1 name).
    throw new ApiError(0, { detail: `the request could not be sent: ${error.message}`, code: "network_error" });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text.slice(0, 500) };
    }
  }
  if (!response.ok) throw new ApiError(response.status, data, response.statusText);
  return data;
}

/** A one-line description of an error for a person: the status and the server's detail, verbatim. */
export function describeError(error) {
  if (error instanceof ApiError) {
    const status = error.status ? `${error.status}` : "no answer";
    return `${status}${error.code ? ` ${error.code}` : ""}: ${error.detail}`;
  }
  return `unexpected problem in the console: ${error?.message ?? error}`;
}
