// The Evidence Console: wires the page to the CAVRA API. It shows what the API answers and sends what the
// operator asks for; every decision (who may do what, what is stored) is the server's. See docs/console.md.

import { api, ApiError, DRILLS, describeError } from "./api.js";
import { $, h, timeEl, formatDuration, formatTimestamp, shortHash } from "./dom.js";
import {
  currentCredentials,
  saveToken,
  saveClaims,
  forgetCredentials,
  normaliseToken,
  tokenExpiry,
  tokenLooksExpired,
} from "./session.js";
import {
  PAGE_SIZE,
  actionInfo,
  describeFilters,
  fetchAllRoutes,
  fetchRoutesPage,
  filtersToForm,
  formToFilters,
  permissionText,
  readUrlState,
  rememberSuggestions,
  renderRoutes,
  writeUrlState,
} from "./routes.js";
import { loadRouteHistory, renderHistory } from "./details.js";
import { renderChart } from "./chart.js";

const state = {
  session: null, // the last GET /console/session answer (null when it failed)
  mode: null, // its mode, kept when a later session call fails
  personas: null, // sample mode: GET /console/sample-personas → personas
  filters: {},
  offset: 0,
  routes: [],
  total: 0,
  detailsRoute: null,
  pendingAction: null, // {route, info, obligations} while the action dialog is open
  pendingBulk: null, // {info, routes, obligations, kind} while the bulk dialog is open
  expiryTimer: null,
};

// Each loader counts its calls and ignores an answer that a newer call has overtaken.
const generations = { session: 0, routes: 0, dashboard: 0, chart: 0, details: 0 };

const OBLIGATION_LABELS = { note: "a note", external_ref: "an external reference" };
const PERMISSION_LABELS = {
  acknowledge_drill_notifications: "acknowledge",
  escalate_drill_notifications: "escalate",
  resolve_drill_notifications: "resolve",
  dismiss_drill_notifications: "dismiss",
  export_drill_audit: "export audit packages",
  plan_drills: "plan drills",
};
const MODE_WORDS = {
  authenticated: "authenticated (OIDC; your token was verified)",
  auth_required: "sign-in required (OIDC; no token yet)",
  local: "local (no identity provider: actors are asserted and unverified)",
  sample: "sample (cavra sandbox: sample data, sample identity provider)",
};

// ---------------------------------------------------------------------------------------------------------
// Messages

function showNotice(text) {
  $("notice").textContent = text;
}

/** Shows a failed call: what was attempted, then the server's status, code and detail, verbatim. */
function showProblem(context, error) {
  const box = $("problem");
  box.replaceChildren(h("p", {}, h("strong", {}, `${context}: `), describeError(error)), ...problemExtras(error));
  box.hidden = false;
}

/** The extra fields an error answer carries (architecture.md §5), for a person to read. */
function problemExtras(error) {
  if (!(error instanceof ApiError)) return [];
  const body = error.body ?? {};
  const extras = [];
  if (body.current_state) {
    extras.push(
      h(
        "p",
        { class: "small" },
        `Current state: ${body.current_state}. Allowed next states: ${(body.allowed_transitions ?? []).join(", ") || "none (final)"}.`,
      ),
    );
  }
  if (body.missing?.length) extras.push(h("p", { class: "small" }, `Missing: ${body.missing.join(", ")}.`));
  // The policy's reasons, unless the detail already says them.
  const reasons = body.decision?.reasons ?? [];
  if (reasons.length && !reasons.every((r) => error.detail.includes(r))) {
    extras.push(h("p", { class: "small" }, `Policy reasons: ${reasons.join("; ")}.`));
  }
  if (body.field) extras.push(h("p", { class: "small" }, `Field: ${body.field}.`));
  if (error.status === 401 && tokenLooksExpired(currentCredentials().token)) {
    const expiry = tokenExpiry(currentCredentials().token);
    extras.push(h("p", { class: "small" }, `The saved token's own exp claim says it expired at ${expiry.toISOString()}.`));
  }
  return extras;
}

/** A problem found before anything was sent (e.g. an empty token field). */
function showProblemMessage(context, message) {
  const box = $("problem");
  box.replaceChildren(h("p", {}, h("strong", {}, `${context}: `), message));
  box.hidden = false;
}

function clearProblem() {
  const box = $("problem");
  box.hidden = true;
  box.replaceChildren();
}

// ---------------------------------------------------------------------------------------------------------
// Session

async function loadSession() {
  const generation = ++generations.session;
  let session = null;
  let failure = null;
  try {
    session = await api("GET", "/console/session");
  } catch (error) {
    failure = error;
  }
  if (generation !== generations.session) return;
  state.session = session;
  if (session?.mode) state.mode = session.mode;
  applyMode(state.mode);
  renderSession(session, failure);
  if (state.mode === "sample" && state.personas === null) await loadPersonas();
  syncPersonaSelect();
}

/** Which sign-in controls the mode calls for. */
function applyMode(mode) {
  $("sample-banner").hidden = mode !== "sample";
  $("persona-panel").hidden = mode !== "sample";
  $("local-form").hidden = mode !== "local";
  // A bearer token is refused in local mode (400 "no OIDC configured"), so the token form is not offered there.
  $("token-form").hidden = mode === "local";
}

function credentialWords(credentials) {
  if (credentials.token) {
    return credentials.remembered
      ? "a token remembered in localStorage (this device, until you sign out)"
      : "a token in sessionStorage (this tab, until it closes or you sign out)";
  }
  if (credentials.claims) return "asserted claims in sessionStorage (unverified; no token)";
  return "none";
}

function expiryWords(iso, expired) {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return String(iso);
  const left = (at - Date.now()) / 1000;
  return `${formatTimestamp(iso)} (${expired || left <= 0 ? "expired" : `in ${formatDuration(left)}`})`;
}

function renderSession(session, failure) {
  const container = $("session-status");
  const credentials = currentCredentials();
  const rows = [];
  const notes = [];
  const localExpiry = credentials.token ? tokenExpiry(credentials.token) : null;
  const locallyExpired = credentials.token ? tokenLooksExpired(credentials.token) : false;

  if (failure) {
    const expired = failure instanceof ApiError && /expired/i.test(failure.detail);
    notes.push(
      h(
        "div",
        { class: "problem", role: "alert", id: "session-error" },
        h("p", {}, h("strong", {}, expired ? "Your token has expired. " : "The server refused the session: "), describeError(failure)),
        h("p", { class: "small" }, "Paste a new token, pick a persona, or sign out."),
      ),
    );
  }
  rows.push(["Mode", MODE_WORDS[session?.mode ?? state.mode] ?? session?.mode ?? state.mode ?? "unknown"]);
  const actor = session?.actor;
  if (actor) {
    rows.push([
      "Actor",
      h(
        "span",
        {},
        h("strong", { id: "session-actor" }, actor.id ?? actor.actor ?? "?"),
        " ",
        actor.verified
          ? h("span", { class: "badge verified-yes", id: "session-verified" }, "verified")
          : h("span", { class: "badge verified-no", id: "session-verified" }, "unverified (asserted)"),
      ),
    ]);
    if (actor.issuer) rows.push(["Issuer · subject", `${actor.issuer} · ${actor.subject ?? ""}`]);
    rows.push(["Groups", (actor.groups ?? []).join(", ") || "none"]);
    rows.push(["Roles", (actor.roles ?? []).join(", ") || "none"]);
  } else {
    rows.push(["Actor", h("span", { id: "session-actor", class: "muted" }, failure ? "unknown (the session call failed)" : "nobody — anonymous")]);
  }
  if (session?.permissions) {
    rows.push([
      "May (on at least one current route)",
      h(
        "ul",
        { class: "permissions", id: "session-permissions" },
        Object.entries(session.permissions).map(([key, allowed]) =>
          h("li", { class: allowed ? "perm-yes" : "perm-no", dataset: { permission: key } }, `${PERMISSION_LABELS[key] ?? key}: ${allowed ? "yes" : "no"}`),
        ),
      ),
    ]);
  }
  if (session?.expires_at) {
    rows.push(["Token expires", h("span", { id: "session-expiry" }, expiryWords(session.expires_at, locallyExpired))]);
  } else if (localExpiry) {
    rows.push([
      "Token expires",
      h("span", { id: "session-expiry" }, expiryWords(localExpiry.toISOString(), locallyExpired), h("span", { class: "muted small" }, " (from the token's exp claim)")),
    ]);
  }
  if (locallyExpired) {
    notes.push(
      h(
        "p",
        { class: "warning", id: "token-expired" },
        `This token expired at ${localExpiry.toISOString()} (its exp claim). The server refuses expired tokens; paste a new one.`,
      ),
    );
  }
  if (session?.policy) {
    rows.push(["Policy", h("span", {}, `${session.policy.id ?? ""} ${session.policy.version ?? ""} `, shortHash(session.policy.sha256))]);
  }
  rows.push(["Credential kept", credentialWords(credentials)]);

  container.replaceChildren(
    ...notes,
    h("dl", { class: "kv session-kv" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
  );
  $("sign-out").disabled = !credentials.token && !credentials.claims;
  scheduleExpiryCheck(localExpiry, locallyExpired);
}

/** Re-renders the session panel when the token's exp passes, so "expired" shows without a reload. */
function scheduleExpiryCheck(expiry, alreadyExpired) {
  clearTimeout(state.expiryTimer);
  if (!expiry || alreadyExpired) return;
  const delay = Math.min(expiry.getTime() - Date.now() + 250, 2 ** 31 - 1);
  state.expiryTimer = setTimeout(() => renderSession(state.session, null), Math.max(0, delay));
}

async function loadPersonas() {
  try {
    const answer = await api("GET", "/console/sample-personas");
    state.personas = Array.isArray(answer?.personas) ? answer.personas : [];
  } catch (error) {
    state.personas = [];
    $("persona-description").textContent = `The personas could not be loaded: ${describeError(error)}`;
  }
  const select = $("persona-select");
  select.replaceChildren(
    h("option", { value: "" }, "Choose a persona…"),
    ...state.personas.map((p, i) => h("option", { value: String(i) }, `${p.name}${p.token ? "" : " (no token: unverified)"}`)),
  );
}

/** Points the persona picker at the persona whose credential is in use, if any. */
function syncPersonaSelect() {
  if (!state.personas?.length) return;
  const credentials = currentCredentials();
  const index = state.personas.findIndex((p) =>
    credentials.token ? p.token === credentials.token : credentials.claims ? !p.token && p.claims?.sub === credentials.claims.sub : false,
  );
  $("persona-select").value = index >= 0 ? String(index) : "";
  describePersona();
}

function describePersona() {
  const persona = state.personas?.[Number.parseInt($("persona-select").value, 10)];
  $("persona-description").textContent = persona
    ? `${persona.description ?? ""} ${persona.token ? "Signs in with its sample token." : "Has no token: its claims are sent as actor_claims and recorded as unverified."}`
    : "Each persona is an identity of the sandbox's sample identity provider.";
}

// ---------------------------------------------------------------------------------------------------------
// Routes

async function loadRoutes() {
  const generation = ++generations.routes;
  const table = $("routes-table");
  table.setAttribute("aria-busy", "true");
  try {
    const page = await fetchRoutesPage(state.filters, state.offset);
    if (generation !== generations.routes) return;
    state.routes = Array.isArray(page?.items) ? page.items : [];
    state.total = page?.total ?? state.routes.length;
    renderRoutes($("routes-body"), state.routes);
    rememberSuggestions(state.routes, {
      schedule_id: $("schedule-options"),
      owner: $("owner-options"),
      provider: $("provider-options"),
    });
    $("routes-error").hidden = true;
    const from = state.routes.length ? state.offset + 1 : 0;
    $("routes-summary").textContent = `Showing ${from}–${state.offset + state.routes.length} of ${state.total} routes (${describeFilters(state.filters)}).`;
  } catch (error) {
    if (generation !== generations.routes) return;
    state.routes = [];
    state.total = 0;
    $("routes-body").replaceChildren(
      h("tr", {}, h("td", { colspan: "9", class: "empty" }, "The route list could not be loaded (see above).")),
    );
    const box = $("routes-error");
    box.replaceChildren(h("p", {}, h("strong", {}, "The route list could not be loaded: "), describeError(error)), ...problemExtras(error));
    box.hidden = false;
    $("routes-summary").textContent = "";
  } finally {
    if (generation === generations.routes) table.setAttribute("aria-busy", "false");
  }
  $("page-prev").disabled = state.offset <= 0;
  $("page-next").disabled = state.offset + state.routes.length >= state.total;
  $("page-info").textContent = state.total > PAGE_SIZE ? `Page ${Math.floor(state.offset / PAGE_SIZE) + 1} of ${Math.ceil(state.total / PAGE_SIZE)}` : "";
}

function findRoute(routeId) {
  return state.routes.find((r) => r.route_id === routeId) ?? null;
}

function routeLabel(route) {
  return `${route.schedule_id} · ${route.owner}/${route.provider}`;
}

function onRouteTableClick(event) {
  const historyButton = event.target.closest("button[data-details]");
  if (historyButton) {
    const route = findRoute(historyButton.dataset.details);
    if (route) openDetails(route);
    return;
  }
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const route = findRoute(button.dataset.routeId);
  const info = actionInfo(button.dataset.action);
  if (!route || !info) return;
  const permission = route.permissions?.[info.action];
  if (button.getAttribute("aria-disabled") === "true") {
    // A refused action is focusable so that its reason can be read; activating it only repeats the reason.
    showNotice(`${info.verb} is not available on ${routeLabel(route)}: ${permissionText(permission)}`);
    return;
  }
  const obligations = permission?.obligations ?? [];
  // Obligations are asked for before sending; a final state (resolved, dismissed) is confirmed first.
  if (obligations.length || info.action === "resolve" || info.action === "dismiss") {
    openActionDialog(route, info, obligations, null, {});
  } else {
    void sendAction(route, info, {});
  }
}

function warnIfTokenExpired() {
  const token = currentCredentials().token;
  if (token && tokenLooksExpired(token)) {
    showNotice(`Your token expired at ${tokenExpiry(token).toISOString()} (its exp claim); the server decides, sending anyway.`);
    return true;
  }
  return false;
}

async function sendAction(route, info, inputs) {
  clearProblem();
  const expired = warnIfTokenExpired();
  const body = {
    provider: route.provider,
    owner: route.owner,
    route_id: route.route_id,
    acknowledgement_state: info.state,
    // The state the operator saw: if someone else changed the route meanwhile, the server answers 409.
    expected_state: route.state,
  };
  if (inputs.notes) body.notes = inputs.notes;
  if (inputs.external_ref) body.external_ref = inputs.external_ref;
  const row = document.querySelector(`tr[data-route-id="${CSS.escape(route.route_id)}"]`);
  row?.setAttribute("aria-busy", "true");
  try {
    const answer = await api("POST", `${DRILLS}/${encodeURIComponent(route.schedule_id)}/acknowledgements`, { body });
    state.pendingAction = null;
    const record = answer?.acknowledgement ?? {};
    const actor = answer?.actor;
    showNotice(
      `${info.verb}: ${routeLabel(route)} is now ${answer?.route?.state ?? record.acknowledgement_state ?? info.state} ` +
        `(record ${record.acknowledgement_id ?? "?"}, by ${actor?.id ?? record.acknowledged_by ?? "?"}${actor ? (actor.verified ? ", verified" : ", unverified") : ""}).`,
    );
    await refreshData();
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      // An unmet obligation: reopen the dialog with the server's detail and what it says is missing.
      const missing = error.body?.missing ?? [];
      const obligations = [...new Set([...(state.pendingAction?.obligations ?? []), ...missing])];
      openActionDialog(route, info, obligations, error, inputs);
    } else {
      state.pendingAction = null;
      showProblem(`${info.verb} ${routeLabel(route)}${expired ? " (with an expired token)" : ""}`, error);
      // A conflict means the route changed under us: show its current state.
      if (error instanceof ApiError && error.status === 409) await refreshData();
    }
  } finally {
    row?.removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------------------------------------------------
// The action dialog

function setObligationFields(prefix, obligations) {
  const needsNote = obligations.includes("note");
  const needsRef = obligations.includes("external_ref");
  const note = $(`${prefix}-note`);
  const ref = $(`${prefix}-ref`);
  // `required` makes the browser refuse an empty submission; the server still checks (422) whatever we send.
  note.required = needsNote;
  ref.required = needsRef;
  $(`${prefix}-note-req`).textContent = needsNote ? "(required by the policy)" : "(optional)";
  $(`${prefix}-ref-req`).textContent = needsRef ? "(required by the policy)" : "(optional)";
  return { note, ref, needsNote, needsRef };
}

function openActionDialog(route, info, obligations, error, values) {
  const dialog = $("action-dialog");
  const permission = route.permissions?.[info.action];
  state.pendingAction = { route, info, obligations };
  $("action-dialog-title").textContent = `${info.verb} this route`;
  $("action-dialog-route").textContent = `${routeLabel(route)} · ${route.environment || "no environment"} · ${route.state} → ${info.state}`;
  const why = [];
  if (obligations.length) {
    const rules = permission?.determining?.length ? ` (rule ${permission.determining.join(", ")})` : "";
    why.push(`The policy requires ${obligations.map((o) => OBLIGATION_LABELS[o] ?? o).join(" and ")} for this action${rules}.`);
  }
  if (info.action === "resolve" || info.action === "dismiss") why.push(`${info.state} is final: it cannot be changed afterwards.`);
  why.push("Notes and references are recorded as typed, next to your verified identity.");
  $("action-dialog-why").textContent = why.join(" ");
  const errorBox = $("action-dialog-error");
  if (error) {
    errorBox.replaceChildren(h("p", {}, describeError(error)), ...problemExtras(error));
    errorBox.hidden = false;
  } else {
    errorBox.hidden = true;
    errorBox.replaceChildren();
  }
  const { note, ref, needsNote, needsRef } = setObligationFields("action", obligations);
  note.value = values.notes ?? "";
  ref.value = values.external_ref ?? "";
  $("action-submit").textContent = info.verb;
  if (!dialog.open) dialog.showModal();
  (needsNote && !note.value ? note : needsRef && !ref.value ? ref : note).focus();
}

function onActionSubmit(event) {
  event.preventDefault();
  const pending = state.pendingAction;
  const dialog = $("action-dialog");
  if (!pending) {
    dialog.close();
    return;
  }
  const values = { notes: $("action-note").value.trim(), external_ref: $("action-ref").value.trim() };
  dialog.close();
  void sendAction(pending.route, pending.info, values);
}

function closeActionDialog() {
  state.pendingAction = null;
  const dialog = $("action-dialog");
  if (dialog.open) dialog.close();
}

// ---------------------------------------------------------------------------------------------------------
// Bulk actions over the filtered routes (all or nothing on the server)

async function startBulk(kind) {
  clearProblem();
  const info = actionInfo(kind === "ack" ? "acknowledge" : "escalate");
  let all;
  try {
    all = await fetchAllRoutes(state.filters);
  } catch (error) {
    showProblem(`${kind === "ack" ? "Bulk Ack Outstanding" : "Bulk Escalate Breached"}: the filtered routes could not be read`, error);
    return;
  }
  // Only delivered routes of a current plan can change state (architecture.md §2); suppressed or removed
  // routes are outstanding too but would make the whole bulk a 409, so they are left out and counted.
  const actionable = (r) => r.category === "deliver" && !r.removed;
  const selected = kind === "ack" ? all.filter((r) => r.state === "outstanding" && actionable(r)) : all.filter((r) => r.breached === true);
  const leftOut = kind === "ack" ? all.filter((r) => r.state === "outstanding" && !actionable(r)).length : 0;
  if (selected.length === 0) {
    showNotice(
      `No filtered route is ${kind === "ack" ? "outstanding and delivered" : "breached"} (${describeFilters(state.filters)}): nothing to send.`,
    );
    return;
  }
  const obligations = [...new Set(selected.flatMap((r) => r.permissions?.[info.action]?.obligations ?? []))].sort();
  state.pendingBulk = { kind, info, routes: selected, obligations, leftOut };
  openBulkDialog(null, {});
}

function openBulkDialog(error, values) {
  const pending = state.pendingBulk;
  const { info, routes, obligations, leftOut, kind } = pending;
  $("bulk-dialog-title").textContent = kind === "ack" ? "Bulk Ack Outstanding" : "Bulk Escalate Breached";
  $("bulk-dialog-count").textContent =
    `${info.verb} ${routes.length} ${kind === "ack" ? "outstanding" : "breached"} route${routes.length === 1 ? "" : "s"} ` +
    `(→ ${info.state}) among the filtered routes (${describeFilters(state.filters)})?`;
  const refused = routes.filter((r) => !r.permissions?.[info.action]?.allowed);
  const warnings = [];
  if (refused.length) {
    warnings.push(
      h(
        "p",
        {},
        `The route list shows ${info.verb.toLowerCase()} as not allowed for you on ${refused.length} of these routes; ` +
          "the server then refuses the whole bulk and stores nothing.",
      ),
    );
  }
  if (leftOut) {
    warnings.push(h("p", {}, `${leftOut} outstanding route${leftOut === 1 ? " is" : "s are"} left out: suppressed or removed routes cannot be acted on.`));
  }
  if (obligations.length) {
    warnings.push(h("p", {}, `The policy requires ${obligations.map((o) => OBLIGATION_LABELS[o] ?? o).join(" and ")} for some of these routes.`));
  }
  const warningBox = $("bulk-dialog-warning");
  warningBox.replaceChildren(...warnings);
  warningBox.hidden = warnings.length === 0;
  $("bulk-dialog-list").replaceChildren(
    ...routes.map((r) => {
      const permission = r.permissions?.[info.action];
      return h(
        "li",
        {},
        routeLabel(r),
        h("span", { class: "muted small" }, ` · ${r.environment || "—"} · ${r.state}${r.breached ? " · breached" : ""}`),
        permission?.allowed ? null : h("span", { class: "refused small" }, ` — not allowed: ${permissionText(permission)}`),
      );
    }),
  );
  const errorBox = $("bulk-dialog-error");
  if (error) {
    errorBox.replaceChildren(h("p", {}, describeError(error)), ...problemExtras(error));
    errorBox.hidden = false;
  } else {
    errorBox.hidden = true;
    errorBox.replaceChildren();
  }
  const { note, ref } = setObligationFields("bulk", obligations);
  note.value = values.notes ?? "";
  ref.value = values.external_ref ?? "";
  const dialog = $("bulk-dialog");
  if (!dialog.open) dialog.showModal();
  $("bulk-submit").focus();
}

async function onBulkSubmit(event) {
  event.preventDefault();
  const pending = state.pendingBulk;
  const dialog = $("bulk-dialog");
  dialog.close();
  if (!pending) return;
  warnIfTokenExpired();
  const values = { notes: $("bulk-note").value.trim(), external_ref: $("bulk-ref").value.trim() };
  const body = {
    routes: pending.routes.map((r) => ({ schedule_id: r.schedule_id, provider: r.provider, owner: r.owner, route_id: r.route_id })),
    acknowledgement_state: pending.info.state,
  };
  if (values.notes) body.notes = values.notes;
  if (values.external_ref) body.external_ref = values.external_ref;
  try {
    const answer = await api("POST", `${DRILLS}/acknowledgements/bulk`, { body });
    state.pendingBulk = null;
    renderBulkResults(pending, answer, null);
    showNotice(`Bulk stored ${answer?.acknowledgement_count ?? "?"} record(s) (${answer?.bulk_id ?? "no bulk id"}).`);
    await refreshData();
  } catch (error) {
    if (error instanceof ApiError && Array.isArray(error.body?.results)) renderBulkResults(pending, error.body, error);
    if (error instanceof ApiError && error.status === 422) {
      const missing = error.body?.missing ?? error.body?.results?.flatMap((r) => r.missing ?? []) ?? [];
      pending.obligations = [...new Set([...pending.obligations, ...missing])].sort();
      openBulkDialog(error, values);
    } else {
      state.pendingBulk = null;
      showProblem(`${pending.kind === "ack" ? "Bulk Ack Outstanding" : "Bulk Escalate Breached"} (nothing was stored)`, error);
    }
    await refreshData();
  }
}

const OUTCOME_WORDS = {
  stored: "stored",
  would_store: "would have been stored (not stored: all or nothing)",
  not_found: "not found",
  conflict: "conflict",
  denied: "denied by the policy",
  missing_obligation: "missing obligation",
};

function renderBulkResults(pending, answer, error) {
  const section = $("bulk-results");
  const results = Array.isArray(answer?.results) ? answer.results : [];
  const summary = error
    ? h(
        "p",
        { class: "problem", id: "bulk-summary" },
        h("strong", {}, "Refused — nothing was stored. "),
        describeError(error),
      )
    : h(
        "p",
        { class: "success", id: "bulk-summary" },
        `Stored ${answer?.acknowledgement_count ?? results.length} record(s) → ${answer?.acknowledgement_state ?? pending.info.state}. Bulk id `,
        h("code", {}, answer?.bulk_id ?? "?"),
        ".",
      );
  const table = h(
    "table",
    { class: "bulk-table", id: "bulk-table" },
    h("caption", { class: "sr-only" }, "Outcome per route"),
    h("thead", {}, h("tr", {}, ["#", "Route", "Outcome", "Detail"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      results.map((result) => {
        const route = pending.routes[result.index] ?? pending.routes.find((r) => r.route_id === result.route_id);
        const detail = [result.detail ?? ""];
        if (result.missing?.length) detail.push(`Missing: ${result.missing.join(", ")}.`);
        const reasons = result.decision?.reasons ?? [];
        if (reasons.length && !reasons.every((r) => (result.detail ?? "").includes(r))) {
          detail.push(`Reasons: ${reasons.join("; ")}.`);
        }
        if (result.acknowledgement?.acknowledgement_id) detail.push(`record ${result.acknowledgement.acknowledgement_id}`);
        return h(
          "tr",
          { dataset: { outcome: result.outcome, routeId: result.route_id ?? route?.route_id ?? "" } },
          h("td", {}, String(result.index ?? "")),
          h("th", { scope: "row" }, route ? routeLabel(route) : result.route_id ?? "?"),
          h("td", {}, h("span", { class: `badge outcome-${result.outcome}` }, OUTCOME_WORDS[result.outcome] ?? result.outcome)),
          h("td", { class: "small" }, detail.filter(Boolean).join(" ")),
        );
      }),
    ),
  );
  $("bulk-body").replaceChildren(summary, results.length ? table : h("p", { class: "muted" }, "The answer lists no per-route outcome."));
  section.hidden = false;
  $("bulk-heading").focus();
}

// ---------------------------------------------------------------------------------------------------------
// Export

async function exportAudit() {
  clearProblem();
  warnIfTokenExpired();
  // The applied filters (those in the URL), as JSON fields; `breached` travels as a boolean.
  const body = {};
  for (const [key, value] of Object.entries(state.filters)) body[key] = key === "breached" ? value === "true" : value;
  if ($("include-superseded").checked) body.include_superseded = true;
  const button = $("export");
  button.setAttribute("aria-busy", "true");
  try {
    const answer = await api("POST", `${DRILLS}/acknowledgements/audit-package`, { body });
    const pkg = answer?.audit_package;
    if (!pkg || typeof pkg !== "object") throw new ApiError(200, { detail: "the answer holds no audit_package" });
    const name = `${String(pkg.audit_id ?? "cavra-audit-package").replace(/[^A-Za-z0-9._-]/g, "_")}.json`;
    // The package parsed and serialised again is the same JSON value: it holds no floating-point numbers
    // (architecture.md §7), so its canonical form and hashes are unchanged.
    const blob = new Blob([`${JSON.stringify(pkg, null, 2)}\n`], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: name, class: "sr-only" }, name);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    showNotice(
      `Exported ${pkg.audit_id ?? "an audit package"}: ${pkg.route_count ?? "?"} route(s), ${pkg.withheld_route_count ?? 0} withheld, ` +
        `${pkg.acknowledgement_count ?? "?"} record(s); saved as ${name}. Check it offline with: cavra audit verify ${name}`,
    );
    if (state.detailsRoute) void loadDetails();
  } catch (error) {
    showProblem("Export Ack Audit", error);
  } finally {
    button.removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------------------------------------------------
// Dashboard and chart

async function loadDashboard() {
  const generation = ++generations.dashboard;
  const container = $("dashboard");
  try {
    const d = await api("GET", `${DRILLS}/dashboard`);
    if (generation !== generations.dashboard) return;
    const states = d?.states ?? {};
    const tile = (label, value, cls) =>
      h("li", { class: ["tile", cls], dataset: { tile: label } }, h("span", { class: "tile-value" }, String(value ?? "—")), h("span", { class: "tile-label" }, label));
    container.replaceChildren(
      h(
        "ul",
        { class: "tiles", "aria-label": "Current routes" },
        tile("routes", d?.routes),
        tile("delivered", d?.delivered),
        tile("breached", d?.breached, d?.breached ? "tile-alert" : null),
        ...["outstanding", "acknowledged", "escalated", "resolved", "dismissed"].map((s) => tile(s, states[s], `tile-${s}`)),
        tile("oldest outstanding", d?.oldest_outstanding_age_seconds == null ? "—" : formatDuration(d.oldest_outstanding_age_seconds)),
      ),
      h("p", { class: "muted small" }, "As of ", timeEl(d?.generated_at), ". Counts over every current route, whatever the filters."),
    );
  } catch (error) {
    if (generation !== generations.dashboard) return;
    container.replaceChildren(h("p", { class: "unavailable" }, `Dashboard not available: ${describeError(error)}`));
  }
}

async function loadChart() {
  const generation = ++generations.chart;
  const container = $("chart");
  const scope = {};
  if (state.filters.schedule_id) scope.schedule_id = state.filters.schedule_id;
  if (state.filters.provider) scope.provider = state.filters.provider;
  $("chart-caption").textContent = `Acknowledgements over time${Object.keys(scope).length ? ` (${describeFilters(scope)})` : " (all routes)"}`;
  try {
    const answer = await api("GET", DRILLS, { query: { ...scope, kind: "acknowledgement", limit: 500 } });
    if (generation !== generations.chart) return;
    const items = Array.isArray(answer?.items) ? answer.items : [];
    renderChart(container, items, { truncated: items.length >= 500 });
  } catch (error) {
    if (generation !== generations.chart) return;
    container.replaceChildren(h("p", { class: "unavailable" }, `Chart not available: ${describeError(error)}`));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Details (a route's history)

function openDetails(route) {
  state.detailsRoute = route;
  $("details").hidden = false;
  void loadDetails().then(() => $("details-heading").focus());
}

async function loadDetails() {
  const route = state.detailsRoute;
  if (!route) return;
  const generation = ++generations.details;
  const body = $("details-body");
  $("details-heading").textContent = `Route history: ${routeLabel(route)}`;
  body.setAttribute("aria-busy", "true");
  try {
    const history = await loadRouteHistory(route);
    if (generation !== generations.details) return;
    renderHistory(body, route, history);
  } catch (error) {
    if (generation !== generations.details) return;
    body.replaceChildren(h("p", { class: "problem", role: "alert" }, `The history could not be loaded: ${describeError(error)}`));
  } finally {
    body.removeAttribute("aria-busy");
  }
}

function closeDetails() {
  const route = state.detailsRoute;
  state.detailsRoute = null;
  $("details").hidden = true;
  if (route) document.querySelector(`button[data-details="${CSS.escape(route.route_id)}"]`)?.focus();
}

// ---------------------------------------------------------------------------------------------------------
// Loading everything

/** Everything that depends on the data: routes, counts, chart, open history (and the session's permissions). */
async function refreshData() {
  await Promise.all([loadSession(), loadRoutes(), loadDashboard(), loadChart()]);
  if (state.detailsRoute) {
    // Keep the history of the open route current, with its fresh state.
    state.detailsRoute = findRoute(state.detailsRoute.route_id) ?? state.detailsRoute;
    await loadDetails();
  }
}

/** After the credential changes: start from the session again. */
async function refreshAll() {
  clearProblem();
  await loadSession();
  await Promise.all([loadRoutes(), loadDashboard(), loadChart(), state.detailsRoute ? loadDetails() : null]);
}

function applyFiltersFromForm() {
  state.filters = formToFilters($("filters"));
  state.offset = 0;
  writeUrlState(state.filters, state.offset, true);
  void Promise.all([loadRoutes(), loadChart()]);
}

function wire() {
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = normaliseToken($("token-input").value);
    if (!token) {
      showProblemMessage("Sign in", "paste a token first");
      return;
    }
    const remember = $("remember-token").checked;
    if (!saveToken(token, remember)) {
      showProblemMessage("Sign in", "this browser refused to store the token (storage is blocked)");
    }
    // The token is a secret: do not leave it on screen.
    $("token-input").value = "";
    showNotice(
      tokenLooksExpired(token)
        ? `Token saved, but its exp claim says it expired at ${tokenExpiry(token).toISOString()}.`
        : `Token saved in ${remember ? "localStorage (remembered on this device)" : "sessionStorage (this tab)"}.`,
    );
    void refreshAll();
  });

  $("persona-select").addEventListener("change", describePersona);
  $("persona-use").addEventListener("click", () => {
    const persona = state.personas?.[Number.parseInt($("persona-select").value, 10)];
    if (!persona) {
      showNotice("Choose a persona first.");
      return;
    }
    if (persona.token) {
      // Exactly like a pasted token (sessionStorage, or localStorage when "remember" is ticked).
      saveToken(persona.token, $("remember-token").checked);
      showNotice(`Acting as the ${persona.name} persona (a signed sample token).`);
    } else {
      saveClaims(persona.claims ?? {});
      showNotice(`Acting as the ${persona.name} persona: no token, so its claims are asserted and unverified.`);
    }
    void refreshAll();
  });

  $("local-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("local-name").value.trim();
    const groups = $("local-groups")
      .value.split(",")
      .map((g) => g.trim())
      .filter(Boolean);
    if (!name) return;
    saveClaims({ sub: name, groups });
    showNotice(`Acting as ${name} (asserted, unverified) with groups: ${groups.join(", ") || "none"}.`);
    void refreshAll();
  });

  $("sign-out").addEventListener("click", () => {
    forgetCredentials();
    showNotice("Signed out: this browser no longer keeps a token or an asserted identity.");
    void refreshAll();
  });

  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    applyFiltersFromForm();
  });
  $("filters-clear").addEventListener("click", () => {
    filtersToForm($("filters"), {});
    applyFiltersFromForm();
  });
  window.addEventListener("popstate", () => {
    const { filters, offset } = readUrlState();
    state.filters = filters;
    state.offset = offset;
    filtersToForm($("filters"), filters);
    void Promise.all([loadRoutes(), loadChart()]);
  });
  // Signing in or out in another tab changes localStorage: follow it here.
  window.addEventListener("storage", (event) => {
    if (event.key === null || event.key?.startsWith("cavra.console.")) void refreshAll();
  });

  $("routes-body").addEventListener("click", onRouteTableClick);
  $("page-prev").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    writeUrlState(state.filters, state.offset, true);
    void loadRoutes();
  });
  $("page-next").addEventListener("click", () => {
    state.offset += PAGE_SIZE;
    writeUrlState(state.filters, state.offset, true);
    void loadRoutes();
  });
  $("refresh").addEventListener("click", () => void refreshAll());
  $("bulk-ack").addEventListener("click", () => void startBulk("ack"));
  $("bulk-escalate").addEventListener("click", () => void startBulk("escalate"));
  $("export").addEventListener("click", () => void exportAudit());
  $("details-close").addEventListener("click", closeDetails);

  $("action-form").addEventListener("submit", onActionSubmit);
  $("action-cancel").addEventListener("click", closeActionDialog);
  $("action-dialog").addEventListener("cancel", () => {
    state.pendingAction = null;
  });
  $("bulk-form").addEventListener("submit", (event) => void onBulkSubmit(event));
  $("bulk-cancel").addEventListener("click", () => {
    state.pendingBulk = null;
    $("bulk-dialog").close();
  });
  $("bulk-dialog").addEventListener("cancel", () => {
    state.pendingBulk = null;
  });
}

function start() {
  const { filters, offset } = readUrlState();
  state.filters = filters;
  state.offset = offset;
  filtersToForm($("filters"), filters);
  wire();
  void refreshAll();
}

start();
