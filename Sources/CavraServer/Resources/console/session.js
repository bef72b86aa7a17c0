// What the browser keeps between page loads, and nothing else:
//   - a pasted (or sample persona's) bearer token: sessionStorage, i.e. this tab only, gone when it closes;
//     with the opt-in "remember", localStorage instead (survives restarts on this device);
//   - an asserted identity for local mode or the sample visitor persona ({sub, groups, …} claims, not a secret):
//     sessionStorage only.
// At most one credential is kept at a time: saving one forgets the other. Credentials are read from storage at
// every request, so signing out takes effect for the very next call.

const TOKEN_KEY = "cavra.console.token";
const CLAIMS_KEY = "cavra.console.actor_claims";

// Storage can be unavailable (blocked cookies, some private modes); the console then simply forgets.
function storageGet(storage, key) {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(storage, key, value) {
  try {
    storage.setItem(key, value);
    return true;
  } catch {
    return false;
  }
}

function storageRemove(storage, key) {
  try {
    storage.removeItem(key);
  } catch {
    // nothing to forget
  }
}

/** {token} or {claims} or {}: the credential the next request will carry. */
export function currentCredentials() {
  const token = storageGet(sessionStorage, TOKEN_KEY) ?? storageGet(localStorage, TOKEN_KEY);
  if (token) return { token, remembered: storageGet(localStorage, TOKEN_KEY) === token };
  const raw = storageGet(sessionStorage, CLAIMS_KEY);
  if (raw) {
    try {
      const claims = JSON.parse(raw);
      if (claims && typeof claims === "object" && !Array.isArray(claims)) return { claims };
    } catch {
      storageRemove(sessionStorage, CLAIMS_KEY);
    }
  }
  return {};
}

/** People paste "Bearer eyJ…" or a token with a trailing newline; keep the token itself. */
export function normaliseToken(text) {
  return String(text ?? "")
    .trim()
    .replace(/^bearer\s+/i, "")
    .replace(/\s+/g, "");
}

export function saveToken(token, remember) {
  forgetCredentials();
  const storage = remember ? localStorage : sessionStorage;
  return storageSet(storage, TOKEN_KEY, token);
}

export function saveClaims(claims) {
  forgetCredentials();
  return storageSet(sessionStorage, CLAIMS_KEY, JSON.stringify(claims));
}

export function forgetCredentials() {
  for (const storage of [sessionStorage, localStorage]) {
    storageRemove(storage, TOKEN_KEY);
    storageRemove(storage, CLAIMS_KEY);
  }
}

/**
 * The JWT's payload, decoded without verifying anything: the console only reads `exp` to warn early.
 * The server verifies the token on every request and is the only judge of whether it is valid.
 */
export function decodeJwtPayload(token) {
  const parts = String(token ?? "").split(".");
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    return payload && typeof payload === "object" ? payload : null;
  } catch {
    return null;
  }
}

/** The token's `exp` as a Date, or null when it has none the console can read. */
export function tokenExpiry(token) {
  const exp = decodeJwtPayload(token)?.exp;
  const seconds = typeof exp === "number" ? exp : typeof exp === "string" ? Number(exp) : NaN;
  return Number.isFinite(seconds) ? new Date(seconds * 1000) : null;
}

/** True when the saved token's own `exp` has passed (by this browser's clock). */
export function tokenLooksExpired(token, now = Date.now()) {
  const expiry = tokenExpiry(token);
  return expiry !== null && expiry.getTime() <= now;
}
