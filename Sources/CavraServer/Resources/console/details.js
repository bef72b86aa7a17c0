// A route's history: every acknowledgement record, refused attempt, plan event and audit export that concerns
// it, newest first, each showing who acted (verified or not), what the operator typed (kept visibly apart
// from the verified actor) and the policy decision with its trace, so a person can read why it was allowed.

import { api, DRILLS } from "./api.js";
import { h, timeEl, shortHash, formatTimestamp } from "./dom.js";

/** A history item's record (`payload`): the acknowledgement, refusal, plan change or package summary. */
function recordOf(item) {
  return item?.payload ?? {};
}

/** Does this history item concern `routeId`? */
function concernsRoute(item, route) {
  const routeId = route.route_id;
  const record = recordOf(item);
  switch (item.kind) {
    case "acknowledgement":
    case "refusal":
      return record.route_id === routeId;
    case "plan_created":
    case "plan_revised":
      return (
        (record.plan?.routes ?? []).some((r) => r.route_id === routeId) ||
        (record.changes ?? []).some((c) => c.route_id === routeId)
      );
    case "audit_package": {
      // The history keeps a summary of each export (its filters and counts), not its route list: show the
      // exports of this schedule whose provider and owner filters, if any, match the route.
      const filters = record.filters ?? {};
      const matches = (value, wanted) => value === null || value === undefined || value === "" ||
        String(value).toLowerCase() === String(wanted).toLowerCase();
      return matches(filters.provider, route.provider) && matches(filters.owner, route.owner);
    }
    default:
      return false;
  }
}

/**
 * The route's history. The feed is filtered by schedule and provider on the server; plan events, and exports
 * that spanned several providers, carry no provider, so they are asked for separately by kind. Everything is
 * then narrowed to the route here.
 */
export async function loadRouteHistory(route) {
  const base = { schedule_id: route.schedule_id, limit: 500 };
  const pages = await Promise.all([
    api("GET", DRILLS, { query: { ...base, provider: route.provider } }),
    api("GET", DRILLS, { query: { ...base, kind: "plan_created" } }),
    api("GET", DRILLS, { query: { ...base, kind: "plan_revised" } }),
    api("GET", DRILLS, { query: { ...base, kind: "audit_package" } }),
  ]);
  const items = pages.flatMap((page) => page?.items ?? []);
  const seen = new Set();
  const unique = items.filter((item) => {
    const key = JSON.stringify([item.kind, item.at, recordOf(item).acknowledgement_id ?? recordOf(item).entry_id ??
      recordOf(item).audit_id ?? recordOf(item).plan?.revision ?? ""]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const mine = unique.filter((item) => concernsRoute(item, route));
  // Newest first; records of the same instant by their chain sequence.
  mine.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : (recordOf(b).sequence ?? 0) - (recordOf(a).sequence ?? 0)));
  const truncated = pages.some((page) => (page?.items?.length ?? 0) >= 500);
  return { items: mine, truncated };
}

const OUTCOME_WORDS = {
  applied: "applied",
  not_applied: "did not apply (a condition was false)",
  skipped_principal: "skipped (the actor is not one of its principals)",
  error: "failed to evaluate (the decision fails closed: deny)",
};

function list(values, empty = "none") {
  const items = (values ?? []).filter((v) => v !== undefined && v !== null && v !== "");
  if (items.length === 0) return h("span", { class: "muted" }, empty);
  return h("ul", { class: "inline-list" }, items.map((v) => h("li", {}, typeof v === "string" ? v : JSON.stringify(v))));
}

function kv(rows) {
  return h(
    "dl",
    { class: "kv" },
    rows.filter(Boolean).map(([key, value]) => [h("dt", {}, key), h("dd", {}, value)]),
  );
}

/** Who acted, as the server verified (or did not verify) it. */
function actorBlock(actor, channel, bulkId) {
  if (!actor) return null;
  const verified = actor.verified === true;
  return h(
    "div",
    { class: ["actor-block", verified ? "is-verified" : "is-unverified"] },
    h("h4", {}, "Actor"),
    kv([
      ["id", h("strong", {}, actor.id ?? "—")],
      [
        "identity",
        verified
          ? h("span", { class: "badge verified-yes" }, "verified")
          : h("span", { class: "badge verified-no" }, "unverified — asserted, not proven"),
      ],
      actor.issuer ? ["issuer", actor.issuer] : null,
      actor.subject ? ["subject", actor.subject] : null,
      channel ? ["channel", channel] : null,
      bulkId ? ["bulk", h("code", {}, bulkId)] : null,
    ]),
  );
}

/** What the operator typed: shown apart from the actor because the server records it but cannot verify it. */
function operatorBlock(record) {
  const input = record.operator_input ?? {};
  const claimed = record.claimed_acknowledged_by;
  if (!input.notes && !input.external_ref && !claimed) {
    return h("div", { class: "operator-block" }, h("h4", {}, "Operator input"), h("p", { class: "muted" }, "no notes, no external reference"));
  }
  return h(
    "div",
    { class: "operator-block" },
    h("h4", {}, "Operator input ", h("span", { class: "muted small" }, "(as typed; not verified)")),
    kv([
      input.notes ? ["notes", h("blockquote", { class: "notes" }, input.notes)] : null,
      input.external_ref ? ["external ref", h("code", {}, input.external_ref)] : null,
      claimed
        ? [
            "claimed acknowledged by",
            h("span", {}, claimed, h("span", { class: "muted small" }, " — a name in the request body, not the actor")),
          ]
        : null,
    ]),
  );
}

function verdictSentence(decision) {
  const policy = decision.policy ? `${decision.policy.id ?? "policy"} ${decision.policy.version ?? ""}`.trim() : "the policy";
  const determining = decision.determining ?? [];
  if (decision.decision === "allow") {
    const by = determining.length ? ` by rule${determining.length > 1 ? "s" : ""} ${determining.join(", ")}` : "";
    const obligations = decision.obligations?.length ? `, with obligation ${decision.obligations.join(" and ")}` : "";
    return `Allowed${by}${obligations} (${policy}${decision.enforced === false ? ", not enforced" : ""}).`;
  }
  const reasons = (decision.reasons ?? []).join("; ");
  const by = determining.length ? ` by rule${determining.length > 1 ? "s" : ""} ${determining.join(", ")}` : "";
  return `Denied${by}${reasons ? `: ${reasons}` : ""} (${policy}).`;
}

function conditionsList(conditions) {
  if (!conditions?.length) return h("span", { class: "muted" }, "no conditions");
  return h(
    "ul",
    { class: "conditions" },
    conditions.map((c) =>
      h(
        "li",
        {},
        h("span", { class: "clause" }, c.clause ?? "when"),
        " ",
        h("code", {}, c.source ?? ""),
        " → ",
        h("strong", { class: `value-${String(c.value)}` }, c.value === undefined ? "not evaluated" : JSON.stringify(c.value)),
      ),
    ),
  );
}

/** The decision: verdict, determining rules, obligations, reasons, and the trace as a readable table. */
export function decisionBlock(decision, title = "Decision") {
  if (!decision || typeof decision !== "object") return null;
  const trace = decision.trace ?? {};
  const rules = trace.rules ?? [];
  const block = h(
    "div",
    { class: ["decision-block", decision.decision === "allow" ? "is-allow" : "is-deny"] },
    h("h4", {}, title),
    h("p", { class: "verdict" }, verdictSentence(decision)),
    kv([
      ["decision", h("span", { class: `badge decision-${decision.decision}` }, decision.decision ?? "—")],
      ["action", decision.action ?? "—"],
      ["determining rules", list(decision.determining)],
      ["obligations", list(decision.obligations)],
      ["reasons", list(decision.reasons)],
      decision.errors?.length
        ? [
            "errors",
            list(decision.errors.map((e) => (typeof e === "string" ? e : `${e.rule ?? "?"} (${e.file ?? "?"}:${e.line ?? "?"}:${e.column ?? "?"}): ${e.message ?? ""}`))),
          ]
        : null,
      decision.policy
        ? ["policy", h("span", {}, `${decision.policy.id ?? ""} ${decision.policy.version ?? ""} `, shortHash(decision.policy.sha256))]
        : null,
    ]),
  );
  if (rules.length || trace.roles?.length) {
    const roles = (trace.roles ?? []).map((r) =>
      h("li", {}, h("code", {}, r.role), ": ", h("strong", { class: `value-${String(r.value)}` }, r.value === null ? `failed: ${r.error ?? "error"}` : r.value ? "yes" : "no")),
    );
    const table = h(
      "table",
      { class: "trace-table" },
      h("caption", {}, `Rules evaluated: ${rules.length}${trace.rules_total ? ` of ${trace.rules_total} in the policy` : ""}`),
      h(
        "thead",
        {},
        h("tr", {}, ["Rule", "Effect", "Where", "Actor is a principal", "Conditions", "Outcome"].map((t) => h("th", { scope: "col" }, t))),
      ),
      h(
        "tbody",
        {},
        rules.map((rule) =>
          h(
            "tr",
            { class: `outcome-${rule.outcome}` },
            h("th", { scope: "row" }, h("code", {}, rule.rule ?? "")),
            h("td", {}, rule.effect ?? ""),
            h("td", { class: "small" }, rule.file ? `${rule.file}:${rule.line ?? "?"}` : ""),
            h("td", {}, rule.principal === null || rule.principal === undefined ? "anyone (or not evaluated)" : rule.principal ? "yes" : "no"),
            h("td", {}, conditionsList(rule.conditions)),
            h("td", {}, OUTCOME_WORDS[rule.outcome] ?? rule.outcome ?? ""),
          ),
        ),
      ),
    );
    block.append(
      h(
        "details",
        { class: "trace", open: true },
        h("summary", {}, "Trace: how the policy reached this decision"),
        roles.length ? h("div", {}, h("span", { class: "muted" }, "Roles of the actor: "), h("ul", { class: "inline-list" }, roles)) : null,
        table,
      ),
    );
  }
  if (decision.request) {
    block.append(
      h(
        "details",
        { class: "request" },
        h("summary", {}, "The request the decision was made on"),
        h("pre", { class: "json" }, JSON.stringify(decision.request, null, 2)),
      ),
    );
  }
  return block;
}

function ackArticle(item, record) {
  return h(
    "article",
    { class: "event kind-acknowledgement", dataset: { kind: "acknowledgement" } },
    h(
      "h3",
      {},
      `Record #${record.sequence ?? "?"}: `,
      h("span", { class: `badge state-${record.previous_state}` }, record.previous_state ?? "?"),
      " → ",
      h("span", { class: `badge state-${record.acknowledgement_state}` }, record.acknowledgement_state ?? "?"),
      " ",
      timeEl(record.acknowledged_at ?? item.at),
    ),
    h("div", { class: "event-grid" }, actorBlock(record.actor, record.channel, record.bulk_id), operatorBlock(record)),
    decisionBlock(record.decision),
    record.shadow_decision ? decisionBlock(record.shadow_decision, "Shadow policy decision (recorded, not enforced)") : null,
    h(
      "p",
      { class: "muted small" },
      h("code", {}, record.acknowledgement_id ?? ""),
      " · hash ",
      shortHash(record.hash),
      " · previous ",
      record.prev_hash ? shortHash(record.prev_hash) : "none (first record)",
    ),
  );
}

function refusalArticle(item, record) {
  return h(
    "article",
    { class: "event kind-refusal", dataset: { kind: "refusal" } },
    h(
      "h3",
      {},
      "Refused attempt: ",
      h("strong", {}, record.action ?? "?"),
      " — ",
      h("span", { class: `badge outcome-${record.outcome}` }, record.outcome === "missing_obligation" ? "missing obligation" : record.outcome ?? "refused"),
      " ",
      timeEl(record.at ?? item.at),
    ),
    h("div", { class: "event-grid" }, actorBlock(record.actor, record.channel, record.bulk_id), operatorBlock(record)),
    decisionBlock(record.decision),
    h("p", { class: "muted small" }, h("code", {}, record.entry_id ?? ""), " · hash ", shortHash(record.hash)),
  );
}

function planArticle(item, record, routeId) {
  const plan = record.plan ?? {};
  const mine = (plan.routes ?? []).find((r) => r.route_id === routeId);
  const changes = (record.changes ?? []).filter((c) => !c.route_id || c.route_id === routeId);
  return h(
    "article",
    { class: `event kind-${item.kind}`, dataset: { kind: item.kind } },
    h(
      "h3",
      {},
      item.kind === "plan_created" ? "Plan created" : "Plan revised",
      ` (revision ${plan.revision ?? "?"}) `,
      timeEl(item.at),
    ),
    kv([
      ["plan", h("code", {}, plan.plan_id ?? "")],
      ["cycle", plan.cycle ? formatTimestamp(plan.cycle) : "—"],
      ["alert level", plan.alert_level ?? "—"],
      mine ? ["this route", `${mine.category}${mine.reason ? ` — ${mine.reason}` : ""}${mine.removed ? " (removed)" : ""}`] : null,
      changes.length
        ? [
            "changes",
            h(
              "ul",
              {},
              changes.map((c) => h("li", {}, `${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`)),
            ),
          ]
        : null,
    ]),
    h("div", { class: "event-grid" }, actorBlock(record.actor, record.channel), operatorBlock(record)),
    decisionBlock(record.decision),
  );
}

function auditArticle(item, record) {
  const filters = Object.entries(record.filters ?? {})
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${v}`);
  return h(
    "article",
    { class: "event kind-audit_package", dataset: { kind: "audit_package" } },
    h("h3", {}, "Audit package exported ", timeEl(item.at)),
    kv([
      ["audit id", h("code", {}, record.audit_id ?? "")],
      ["filters", filters.length ? filters.join(", ") : "none"],
      ["routes", `${record.route_count ?? "?"} exported, ${record.withheld_route_count ?? 0} withheld`],
      ["records", String(record.acknowledgement_count ?? "?")],
    ]),
    actorBlock(record.generated_by),
  );
}

export function renderHistory(container, route, history) {
  const header = h(
    "div",
    { class: "details-route" },
    h("p", {}, h("strong", {}, route.schedule_id), ` · ${route.owner} / ${route.provider} · `, h("code", {}, route.route_id)),
    h("p", { class: "muted small" }, "Newest first. Refused attempts are kept too. ",
      history.truncated ? "Only the newest 500 events of each kind were read." : ""),
  );
  const articles = history.items.map((item) => {
    const record = recordOf(item);
    switch (item.kind) {
      case "acknowledgement":
        return ackArticle(item, record);
      case "refusal":
        return refusalArticle(item, record);
      case "plan_created":
      case "plan_revised":
        return planArticle(item, record, route.route_id);
      case "audit_package":
        return auditArticle(item, record);
      default:
        return h("article", { class: "event" }, h("h3", {}, item.kind, " ", timeEl(item.at)), h("pre", { class: "json" }, JSON.stringify(record, null, 2)));
    }
  });
  container.replaceChildren(
    header,
    articles.length ? h("div", { class: "events" }, articles) : h("p", { class: "muted" }, "No history for this route yet."),
  );
}
