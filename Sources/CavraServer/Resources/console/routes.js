// The route table: filters kept in the URL, one row per route, and per-row action buttons whose state comes
// only from the route's `permissions` in the API answer (the console never decides who may act).

import { api, DRILLS } from "./api.js";
import { h, formatDuration } from "./dom.js";

/** The route-list filters, in the order of the form and the query string. */
export const FILTER_FIELDS = ["schedule_id", "owner", "provider", "state", "category", "breached"];

export const PAGE_SIZE = 50;

/** Each row action, the state it asks for, and its button label. */
export const ACTIONS = [
  { action: "acknowledge", state: "acknowledged", label: "Ack", verb: "Acknowledge" },
  { action: "escalate", state: "escalated", label: "Escalate", verb: "Escalate" },
  { action: "resolve", state: "resolved", label: "Resolve", verb: "Resolve" },
  { action: "dismiss", state: "dismissed", label: "Dismiss", verb: "Dismiss" },
];

export function actionInfo(action) {
  return ACTIONS.find((a) => a.action === action);
}

/** Filters and page offset from the page's query string (so a filtered view can be bookmarked or shared). */
export function readUrlState(search = window.location.search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const field of FILTER_FIELDS) {
    const value = params.get(field);
    if (value) filters[field] = value;
  }
  const offset = Math.max(0, Number.parseInt(params.get("offset") ?? "0", 10) || 0);
  return { filters, offset };
}

/** Writes filters and offset into the URL; `push` adds a history entry (Back returns to the previous view). */
export function writeUrlState(filters, offset, push) {
  const params = new URLSearchParams();
  for (const field of FILTER_FIELDS) if (filters[field]) params.set(field, filters[field]);
  if (offset > 0) params.set("offset", String(offset));
  const text = params.toString();
  const url = `${window.location.pathname}${text ? `?${text}` : ""}`;
  if (url === `${window.location.pathname}${window.location.search}`) return;
  if (push) window.history.pushState({ filters, offset }, "", url);
  else window.history.replaceState({ filters, offset }, "", url);
}

export function filtersToForm(form, filters) {
  for (const field of FILTER_FIELDS) {
    const control = form.elements.namedItem(field);
    if (control) control.value = filters[field] ?? "";
  }
}

export function formToFilters(form) {
  const filters = {};
  for (const field of FILTER_FIELDS) {
    const control = form.elements.namedItem(field);
    const value = control ? control.value.trim() : "";
    if (value) filters[field] = value;
  }
  return filters;
}

/** A person-readable summary of the filters: "schedule_id=…, breached=true" or "no filters". */
export function describeFilters(filters) {
  const parts = FILTER_FIELDS.filter((f) => filters[f]).map((f) => `${f}=${filters[f]}`);
  return parts.length ? parts.join(", ") : "no filters";
}

export async function fetchRoutesPage(filters, offset, limit = PAGE_SIZE) {
  return api("GET", `${DRILLS}/routes`, { query: { ...filters, limit, offset } });
}

/** Every route matching the filters (page by page, 500 at a time): what the bulk actions work over. */
export async function fetchAllRoutes(filters) {
  const items = [];
  for (let offset = 0; ; ) {
    const page = await api("GET", `${DRILLS}/routes`, { query: { ...filters, limit: 500, offset } });
    const batch = Array.isArray(page?.items) ? page.items : [];
    items.push(...batch);
    offset += batch.length;
    if (batch.length === 0 || offset >= (page.total ?? 0)) break;
  }
  return items;
}

/** Why an action is (not) available, from the route's permissions: the policy's or state machine's words. */
export function permissionText(permission) {
  if (!permission) return "the server gave no permission for this action";
  if (permission.allowed) {
    const parts = [];
    if (permission.determining?.length) parts.push(`allowed by ${permission.determining.join(", ")}`);
    else parts.push("allowed");
    if (permission.obligations?.length) parts.push(`requires ${permission.obligations.join(" and ")}`);
    return parts.join("; ");
  }
  const reasons = (permission.reasons ?? []).filter(Boolean);
  return reasons.length ? reasons.join("; ") : "not allowed";
}

let describedCounter = 0;

/** One action button. A refused action stays focusable (aria-disabled) so that focus can show the reason. */
function actionButton(route, info) {
  const permission = route.permissions?.[info.action];
  const allowed = Boolean(permission?.allowed);
  const why = permissionText(permission);
  const whyId = `why-${++describedCounter}`;
  const obligations = allowed ? (permission.obligations ?? []) : [];
  const button = h(
    "button",
    {
      type: "button",
      class: ["act", `act-${info.action}`, obligations.length ? "has-obligations" : null],
      "aria-disabled": allowed ? "false" : "true",
      "aria-describedby": whyId,
      title: allowed ? why : `Not allowed: ${why}`,
      dataset: { action: info.action, routeId: route.route_id },
    },
    info.label,
    obligations.length ? h("span", { class: "obligation-mark", "aria-hidden": "true" }, "*") : null,
  );
  // Visually hidden until the button has focus (CSS shows it as a bubble); always the button's description.
  const description = h(
    "span",
    { id: whyId, class: ["why", allowed ? "why-allowed" : "why-refused"] },
    allowed ? why : `Not allowed: ${why}`,
  );
  return h("span", { class: "act-wrap" }, button, description);
}

function badge(kind, value, label = value) {
  return h("span", { class: ["badge", `${kind}-${String(value).replace(/[^a-z0-9_-]/gi, "")}`] }, label);
}

export function renderRouteRow(route) {
  const state = route.state ?? "unknown";
  const actions = h(
    "td",
    { class: "actions" },
    h("div", { class: "action-buttons" }, ACTIONS.map((info) => actionButton(route, info))),
    h(
      "button",
      {
        type: "button",
        class: "details-button secondary",
        dataset: { details: route.route_id },
        "aria-label": `History of ${route.schedule_id} ${route.owner}/${route.provider}`,
      },
      "History",
    ),
  );
  const category = h("td", { class: "category" }, route.category ?? "—");
  if (route.reason) category.append(h("div", { class: "muted small" }, route.reason));
  if (route.removed) category.append(h("div", {}, badge("flag", "removed", "removed from plan")));
  return h(
    "tr",
    { dataset: { routeId: route.route_id, scheduleId: route.schedule_id, state } },
    h(
      "th",
      { scope: "row", class: "route-cell" },
      h("span", { class: "schedule" }, route.schedule_id),
      h("div", { class: "muted small mono" }, route.route_id),
    ),
    h("td", { class: "owner" }, route.owner, route.escalation_owner && route.escalation_owner !== route.owner
      ? h("div", { class: "muted small" }, `escalates to ${route.escalation_owner}`)
      : null),
    h("td", { class: "provider" }, route.provider),
    h("td", { class: "env" }, route.environment || "—", " · ", badge("severity", route.severity ?? "none")),
    category,
    h("td", { class: "state" }, badge("state", state)),
    h(
      "td",
      { class: "age" },
      h("span", { class: "nowrap" }, formatDuration(route.age_seconds)),
      " / ",
      h("span", { class: "nowrap" }, formatDuration(route.slo_seconds)),
    ),
    h("td", { class: "breached" }, route.breached ? badge("breach", "yes", "breached") : badge("breach", "no", "no")),
    actions,
  );
}

export function renderRoutes(tbody, items) {
  tbody.replaceChildren(...items.map(renderRouteRow));
  if (items.length === 0) {
    tbody.append(h("tr", {}, h("td", { colspan: "9", class: "empty" }, "No route matches these filters.")));
  }
}

/** Suggestions for the free-text filters, from every route the console has been shown. */
export function rememberSuggestions(items, lists) {
  for (const route of items) {
    for (const [field, datalist] of Object.entries(lists)) {
      const value = route[field];
      if (!value || datalist.dataset.seen?.split("\n").includes(value)) continue;
      datalist.dataset.seen = `${datalist.dataset.seen ?? ""}\n${value}`;
      datalist.append(h("option", { value }));
    }
  }
}
