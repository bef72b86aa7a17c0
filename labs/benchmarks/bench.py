#!/usr/bin/env python3
"""CAVRA against Cedar (cedarpy), Rego (regopy) and Casbin (pycasbin) on one policy.

One description of a policy (roles, rules, conditions) is translated into each engine's language, one
request set is written as CAVRA JSONL, every engine decides every request, the decisions are compared
request by request, and the speed of each engine is printed as a table. See README.md beside this file.

Run through run.sh, which sets up the pinned packages and the cavra binary.
"""

import argparse
import fnmatch
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time

ACTIONS = ["acknowledge", "escalate", "resolve", "dismiss", "export", "plan"]
ENVIRONMENTS = ["production", "staging", "qa", "dev"]
STATES = ["outstanding", "acknowledged", "escalated", "resolved", "dismissed"]
SEVERITIES = ["healthy", "warning", "critical"]
SERVICES = ["checkout-api", "checkout-web", "search", "payments", "ledger", "notifications"]
TAGS = ["tier-1", "tier-2", "payments", "customer-facing", "batch"]
CHANNELS = ["api", "console", "cli"]
# Role name -> the group that grants it. Every role reads only actor.groups, so it cannot fail and the
# CAVRA evaluator may index rules on it.
ROLES = {
    "release-manager": "release-managers",
    "incident-commander": "incident-commanders",
    "auditor": "auditors",
    "drill-planner": "drill-planners",
    "sre": "sre",
    "payments-oncall": "payments-oncall",
    "search-oncall": "search-oncall",
    "platform-lead": "platform-leads",
}
GROUPS = list(ROLES.values()) + ["contractors"]

# Attribute paths used by conditions, with their CAVRA type.
STRING_ATTRS = {"route.environment", "route.state", "route.severity", "route.service", "route.provider",
                "context.channel"}
BOOL_ATTRS = {"route.breached", "context.bulk", "actor.verified"}
INT_ATTRS = {"context.bulk_size"}
DURATION_ATTRS = {"route.age"}


# ---------------------------------------------------------------------------------------------------------
# The description. A condition is a tuple:
#   ("eq", path, "v")   ("in", path, ["v", ...])   ("tag", "v")   ("glob", path, "prefix*")
#   ("ge", path, n)     ("lt", path, n)            ("true", path)
#   ("not", c)          ("and", [c, ...])          ("or", [c, ...])
# Durations (route.age) are in seconds. A rule is a dict:
#   {id, effect, actions: [..] | None (all), roles: [..] | None (anyone), clauses: [("when"|"unless", c)],
#    requires: [(name, c | None)], because: str | None}
# ---------------------------------------------------------------------------------------------------------


def main_policy(seed, count=50):
    """A policy in the spirit of Benchmarks/policy-50, restricted to what all four engines express."""
    rng = random.Random(seed)
    role_names = list(ROLES)
    pool = [
        ("when", ("eq", "route.environment", "production")),
        ("when", ("eq", "route.environment", "staging")),
        ("when", ("in", "route.environment", ["staging", "dev"])),
        ("unless", ("in", "route.state", ["resolved", "dismissed"])),
        ("when", ("in", "route.state", ["outstanding", "escalated"])),
        ("when", ("or", [("eq", "route.severity", "critical"), ("true", "route.breached")])),
        ("when", ("or", [("eq", "route.severity", "warning"), ("true", "route.breached")])),
        ("when", ("tag", "tier-1")),
        ("when", ("tag", "tier-2")),
        ("unless", ("tag", "batch")),
        ("when", ("glob", "route.service", "checkout*")),
        ("when", ("and", [("ge", "route.age", 1800), ("lt", "context.bulk_size", 20)])),
        ("unless", ("true", "context.bulk")),
        ("when", ("eq", "context.channel", "console")),
    ]
    rules = []
    for index in range(count):
        forbid = rng.random() < 0.14
        actions = None if (forbid and rng.random() < 0.3) else rng.sample(ACTIONS, rng.choice([1, 1, 2]))
        roles = None
        if not forbid or rng.random() < 0.3:
            roles = rng.sample(role_names, rng.choice([1, 1, 2]))
        clauses = rng.sample(pool, rng.choice([1, 2, 2, 3]) if not forbid else 2)
        if forbid and roles is None and actions is None:
            # An unconditional-looking forbid for every action must stay narrow.
            clauses = [("when", ("and", [("eq", "route.environment", "production"), ("not", ("true", "actor.verified"))]))]
        requires = []
        if not forbid and rng.random() < 0.3:
            requires.append(("note", ("eq", "route.severity", "critical")))
        if not forbid and rng.random() < 0.15:
            requires.append(("external_ref", None))
        rules.append({
            "id": f"rule-{index:02d}", "effect": "forbid" if forbid else "permit", "actions": actions,
            "roles": roles, "clauses": clauses, "requires": requires,
            "because": f"rule {index} forbids this" if forbid else None,
        })
    return {"name": "bench-main", "rules": rules}


def scaling_policy(count):
    """`count` rules, each guarded by an equality on route.provider (two rules per provider)."""
    rules = []
    for index in range(count):
        provider = f"p{index // 2:04d}"
        if index % 2 == 0:
            rule = {
                "id": f"rule-{index:04d}", "effect": "permit", "actions": ["acknowledge", "escalate", "resolve"],
                "roles": None,
                "clauses": [("when", ("eq", "route.provider", provider)),
                            ("when", ("in", "route.severity", ["warning", "critical"])),
                            ("unless", ("true", "context.bulk"))],
                "requires": [("note", ("eq", "route.severity", "critical"))], "because": None,
            }
        else:
            rule = {
                "id": f"rule-{index:04d}", "effect": "forbid", "actions": None, "roles": None,
                "clauses": [("when", ("and", [("eq", "route.provider", provider),
                                              ("not", ("true", "actor.verified"))]))],
                "requires": [], "because": f"provider {provider} needs a verified actor",
            }
        rules.append(rule)
    return {"name": f"bench-scale-{count}", "rules": rules}


def make_requests(seed, count, providers):
    rng = random.Random(seed)
    lines = []
    for index in range(count):
        groups = rng.sample(GROUPS, rng.choice([0, 1, 2, 2, 3]))
        bulk = rng.random() < 0.25
        request = {
            "action": rng.choice(ACTIONS),
            "actor": {"id": f"u{index % 997}@example.com", "verified": rng.random() < 0.75, "groups": groups,
                      "claims": {}},
            "route": {"id": f"r{index}", "provider": f"p{rng.randrange(providers):04d}",
                      "environment": rng.choice(ENVIRONMENTS), "state": rng.choice(STATES),
                      "severity": rng.choice(SEVERITIES), "category": "deliver", "service": rng.choice(SERVICES),
                      "tags": rng.sample(TAGS, rng.choice([0, 1, 2, 2, 3])), "age": rng.randrange(0, 7200),
                      "slo": 3600, "breached": rng.random() < 0.2},
            "context": {"now": 1780000000 + index, "channel": rng.choice(CHANNELS), "bulk": bulk,
                        "bulk_size": rng.randrange(2, 40) if bulk else 1},
        }
        lines.append(json.dumps(request, separators=(",", ":")))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------
# Translations.
# ---------------------------------------------------------------------------------------------------------

def q(text):
    return json.dumps(text)


def to_cavra(policy):
    out = [f'policy {q(policy["name"])} version "1.0.0"',
           'description "Generated by labs/benchmarks/bench.py; equivalent Cedar, Rego and Casbin policies beside it."',
           ""]
    used = sorted({role for rule in policy["rules"] for role in (rule["roles"] or [])}, key=list(ROLES).index)
    for role in used:
        out.append(f"role {role} = {q(ROLES[role])} in actor.groups")

    def expr(c, nested=False):
        kind = c[0]
        if kind == "eq":
            return f"{c[1]} == {q(c[2])}"
        if kind == "in":
            return f"{c[1]} in [{', '.join(q(v) for v in c[2])}]"
        if kind == "tag":
            return f"route.tags contains {q(c[1])}"
        if kind == "glob":
            return f"{c[1]} matches {q(c[2])}"
        if kind in ("ge", "lt"):
            op = ">=" if kind == "ge" else "<"
            value = f"{c[2]}s" if c[1] in DURATION_ATTRS else str(c[2])
            if c[1] in DURATION_ATTRS and c[2] % 60 == 0:
                value = f"{c[2] // 60}m"
            return f"{c[1]} {op} {value}"
        if kind == "true":
            return c[1]
        if kind == "not":
            return f"not ({expr(c[1])})" if c[1][0] in ("and", "or") else f"not {expr(c[1])}"
        if kind in ("and", "or"):
            text = f" {kind} ".join(expr(item, True) for item in c[1])
            return f"({text})" if nested else text
        raise ValueError(kind)

    for rule in policy["rules"]:
        out.append("")
        out.append(f"@id({q(rule['id'])})")
        actions = "*" if rule["actions"] is None else ", ".join(rule["actions"])
        by = f" by {', '.join(rule['roles'])}" if rule["roles"] else ""
        out.append(f"{rule['effect']} {actions}{by}")
        for kind, cond in rule["clauses"]:
            out.append(f"  {kind} {expr(cond)}")
        for name, cond in rule["requires"]:
            out.append(f"  require {name}" + (f" when {expr(cond)}" if cond else ""))
        if rule["because"]:
            out.append(f"  because {q(rule['because'])}")
    return "\n".join(out) + "\n"


def cedar_path(path):
    # The whole CAVRA request (actor, route, context) is the Cedar request's context.
    return "context." + path


def to_cedar(policy):
    def expr(c):
        kind = c[0]
        if kind == "eq":
            return f"{cedar_path(c[1])} == {q(c[2])}"
        if kind == "in":
            return f"[{', '.join(q(v) for v in c[2])}].contains({cedar_path(c[1])})"
        if kind == "tag":
            return f"context.route.tags.contains({q(c[1])})"
        if kind == "glob":
            return f"{cedar_path(c[1])} like {q(c[2])}"
        if kind == "ge":
            return f"{cedar_path(c[1])} >= {c[2]}"
        if kind == "lt":
            return f"{cedar_path(c[1])} < {c[2]}"
        if kind == "true":
            return cedar_path(c[1])
        if kind == "not":
            return f"!({expr(c[1])})"
        if kind in ("and", "or"):
            op = " && " if kind == "and" else " || "
            return "(" + op.join(expr(item) for item in c[1]) + ")"
        raise ValueError(kind)

    out = []
    for rule in policy["rules"]:
        if rule["actions"] is None:
            action = "action"
        elif len(rule["actions"]) == 1:
            action = f'action == Action::{q(rule["actions"][0])}'
        else:
            action = "action in [" + ", ".join(f"Action::{q(a)}" for a in rule["actions"]) + "]"
        out.append(f"@id({q(rule['id'])})")
        out.append(f"{rule['effect']} (principal, {action}, resource)")
        if rule["roles"]:
            held = " || ".join(f"context.actor.groups.contains({q(ROLES[r])})" for r in rule["roles"])
            out.append(f"when {{ {held} }}")
        for kind, cond in rule["clauses"]:
            out.append(f"{kind} {{ {expr(cond)} }}")
        out[-1] += ";"
        out.append("")
    return "\n".join(out)


def to_rego(policy):
    helpers = []
    bodies = []

    def rego_path(path):
        return "input." + path

    def atom(c):
        kind = c[0]
        if kind == "eq":
            return f"{rego_path(c[1])} == {q(c[2])}"
        if kind == "in":
            return f"{rego_path(c[1])} in {{{', '.join(q(v) for v in c[2])}}}"
        if kind == "tag":
            return f"{q(c[1])} in input.route.tags"
        if kind == "glob":
            return f"glob.match({q(c[2])}, [], {rego_path(c[1])})"
        if kind == "ge":
            return f"{rego_path(c[1])} >= {c[2]}"
        if kind == "lt":
            return f"{rego_path(c[1])} < {c[2]}"
        if kind == "true":
            return f"{rego_path(c[1])} == true"
        return None

    def statements(c, name):
        """Body statements that hold exactly when c holds (helper rules for `or` and negated compounds)."""
        simple = atom(c)
        if simple is not None:
            return [simple]
        kind = c[0]
        if kind == "not":
            inner = atom(c[1])
            if inner is not None:
                return [f"not {inner}"]
            helper = f"{name}_n"
            define(helper, c[1])
            return [f"not {helper}"]
        if kind == "and":
            result = []
            for position, item in enumerate(c[1]):
                result += statements(item, f"{name}_{position}")
            return result
        if kind == "or":
            define(name, c)
            return [name]
        raise ValueError(kind)

    def define(name, c):
        if c[0] == "or":
            for position, item in enumerate(c[1]):
                body = "\n  ".join(statements(item, f"{name}_{position}"))
                helpers.append(f"{name} if {{\n  {body}\n}}")
        else:
            body = "\n  ".join(statements(c, f"{name}_x"))
            helpers.append(f"{name} if {{\n  {body}\n}}")

    for index, rule in enumerate(policy["rules"]):
        body = []
        if rule["actions"] is not None:
            body.append(f"input.action in {{{', '.join(q(a) for a in rule['actions'])}}}")
        if rule["roles"]:
            body.append("some group in input.actor.groups")
            body.append(f"group in {{{', '.join(q(ROLES[r]) for r in rule['roles'])}}}")
        for position, (kind, cond) in enumerate(rule["clauses"]):
            name = f"c{index}_{position}"
            if kind == "when":
                body += statements(cond, name)
            else:
                simple = atom(cond)
                if simple is not None:
                    body.append(f"not {simple}")
                else:
                    define(name, cond)
                    body.append(f"not {name}")
        target = "permits" if rule["effect"] == "permit" else "forbids"
        inner = "\n  ".join(body) if body else "true"
        bodies.append(f"{target} contains {q(rule['id'])} if {{\n  {inner}\n}}")
    return ("package cavra\n\nimport rego.v1\n\n" + "\n\n".join(bodies + helpers) +
            '\n\nresult := {"permits": permits, "forbids": forbids}\n')


def to_casbin(policy):
    """One policy line per rule: [condition, effect, id]. The condition is the matcher's eval() argument."""
    def expr(c):
        kind = c[0]
        path = lambda p: "r." + p.replace("context.", "ctx.", 1)  # noqa: E731
        if kind == "eq":
            return f"{path(c[1])} == {q(c[2])}"
        if kind == "in":
            return f"{path(c[1])} in [{', '.join(q(v) for v in c[2])}]"
        if kind == "tag":
            return f"{q(c[1])} in r.route.tags"
        if kind == "glob":
            return f"globmatch({path(c[1])}, {q(c[2])})"
        if kind == "ge":
            return f"{path(c[1])} >= {c[2]}"
        if kind == "lt":
            return f"{path(c[1])} < {c[2]}"
        if kind == "true":
            return f"{path(c[1])} == True"
        if kind == "not":
            return f"not ({expr(c[1])})"
        if kind in ("and", "or"):
            return "(" + f" {kind} ".join(expr(item) for item in c[1]) + ")"
        raise ValueError(kind)

    lines = []
    for rule in policy["rules"]:
        parts = []
        if rule["actions"] is not None:
            parts.append(f"r.act in [{', '.join(q(a) for a in rule['actions'])}]")
        if rule["roles"]:
            parts.append("(" + " or ".join(f"{q(ROLES[r])} in r.actor.groups" for r in rule["roles"]) + ")")
        for kind, cond in rule["clauses"]:
            parts.append(expr(cond) if kind == "when" else f"not ({expr(cond)})")
        condition = " and ".join(parts) if parts else "True"
        lines.append([condition, "allow" if rule["effect"] == "permit" else "deny", rule["id"]])
    return lines


CASBIN_MODEL = """[request_definition]
r = act, actor, route, ctx

[policy_definition]
p = cond, eft, id

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = eval(p.cond)
"""


# ---------------------------------------------------------------------------------------------------------
# Engines, each run as its own process: `bench.py engine NAME --policy DIR --batch FILE --out FILE`.
# Each writes one line per request, {"decision": "allow"|"deny", "determining": [ids]} (Casbin: no
# determining), and prints its timings as JSON: e2e_s from opening the batch to closing the output (reading
# and parsing the JSONL, building each engine's request, deciding, writing), decide_s the deciding alone.
# ---------------------------------------------------------------------------------------------------------

def engine_cedar(args):
    import cedarpy
    with open(os.path.join(args.policy, "policy.cedar")) as handle:
        text = handle.read()
    start = time.perf_counter()
    policies = cedarpy.PolicySet.from_str(text) if hasattr(cedarpy, "PolicySet") else text
    requests = []
    with open(args.batch) as handle:
        for line in handle:
            if args.limit and len(requests) >= args.limit:
                break
            if not line.strip():
                continue
            request = json.loads(line)
            requests.append({
                "principal": {"type": "User", "id": request["actor"]["id"]},
                "action": {"type": "Action", "id": request["action"]},
                "resource": {"type": "Route", "id": request["route"]["id"]},
                "context": {"actor": request["actor"], "route": request["route"], "context": request["context"]},
            })
    entities = cedarpy.Entities.from_json_str("[]") if hasattr(cedarpy, "Entities") else "[]"
    decide_start = time.perf_counter()
    results = cedarpy.is_authorized_batch(requests, policies, entities)
    decide_end = time.perf_counter()
    build_us = authz_us = 0
    with open(args.out, "w") as out:
        for result in results:
            build_us += result.metrics.get("build_request_duration_micros", 0)
            authz_us += result.metrics.get("authz_duration_micros", 0)
            if result.diagnostics.errors:
                raise SystemExit(f"cedar: evaluation error: {result.diagnostics.errors}")
            names = result.diagnostics.id_annotations_by_reason
            determining = [names.get(reason, reason) for reason in result.diagnostics.reasons]
            out.write(json.dumps({"decision": "allow" if result.allowed else "deny",
                                  "determining": determining}) + "\n")
    end = time.perf_counter()
    # Cedar's own metrics: building each request (context JSON to Cedar values) and authorizing it.
    return {"n": len(requests), "e2e_s": end - start, "decide_s": decide_end - decide_start,
            "build_request_s": build_us / 1e6, "authz_s": authz_us / 1e6}


def engine_rego(args):
    from regopy import Interpreter
    with open(os.path.join(args.policy, "policy.rego")) as handle:
        text = handle.read()
    start = time.perf_counter()
    rego = Interpreter()
    rego.add_module("policy.rego", text)
    bundle = rego.build("x = data.cavra.result")
    if not bundle.ok():
        raise SystemExit("rego: the policy does not compile")
    decide = 0.0
    count = 0
    with open(args.batch) as handle, open(args.out, "w") as out:
        for line in handle:
            if args.limit and count >= args.limit:
                break
            if not line.strip():
                continue
            count += 1
            before = time.perf_counter()
            rego.set_input_term(line)  # the JSONL line is the Rego input document as it stands
            output = rego.query_bundle(bundle)
            if not output.ok():
                raise SystemExit(f"rego: query failed: {output}")
            result = output.results[0]["x"]
            decide += time.perf_counter() - before
            forbids, permits = result["forbids"], result["permits"]
            decision = "deny" if forbids or not permits else "allow"
            out.write(json.dumps({"decision": decision, "determining": forbids or permits}) + "\n")
    end = time.perf_counter()
    return {"n": count, "e2e_s": end - start, "decide_s": decide}


def engine_casbin(args):
    import casbin
    with open(os.path.join(args.policy, "policy.casbin.json")) as handle:
        lines = json.load(handle)
    start = time.perf_counter()
    model = casbin.model.Model()
    model.load_model_from_text(CASBIN_MODEL)
    enforcer = casbin.Enforcer(model)
    enforcer.add_function("globmatch", lambda value, pattern: fnmatch.fnmatchcase(value, pattern))
    enforcer.add_policies(lines)
    decide = 0.0
    count = 0
    with open(args.batch) as handle, open(args.out, "w") as out:
        for line in handle:
            if args.limit and count >= args.limit:
                break
            if not line.strip():
                continue
            count += 1
            request = json.loads(line)
            before = time.perf_counter()
            allowed = enforcer.enforce(request["action"], request["actor"], request["route"], request["context"])
            decide += time.perf_counter() - before
            out.write(json.dumps({"decision": "allow" if allowed else "deny"}) + "\n")
    end = time.perf_counter()
    return {"n": count, "e2e_s": end - start, "decide_s": decide}


ENGINES = {"cedar": engine_cedar, "rego": engine_rego, "casbin": engine_casbin}


# ---------------------------------------------------------------------------------------------------------
# The harness.
# ---------------------------------------------------------------------------------------------------------

def log(message):
    print(message, file=sys.stderr, flush=True)


def write_policy(directory, policy):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "policy.cavra"), "w") as handle:
        handle.write(to_cavra(policy))
    with open(os.path.join(directory, "policy.cedar"), "w") as handle:
        handle.write(to_cedar(policy))
    with open(os.path.join(directory, "policy.rego"), "w") as handle:
        handle.write(to_rego(policy))
    with open(os.path.join(directory, "policy.casbin.json"), "w") as handle:
        json.dump(to_casbin(policy), handle, indent=0)
    with open(os.path.join(directory, "model.casbin.conf"), "w") as handle:
        handle.write(CASBIN_MODEL)


def cavra_validate(cavra, path):
    done = subprocess.run([cavra, "policy", "validate", path], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the generated policy {path} is invalid:\n{done.stderr}")


def cavra_eval(cavra, path, batch, out):
    start = time.perf_counter()
    with open(out, "w") as handle:
        done = subprocess.run([cavra, "policy", "eval", path, "--batch", batch], stdout=handle,
                              stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"cavra policy eval failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def cavra_bench(cavra, path, batch, rounds, trace):
    command = [cavra, "policy", "bench", path, "--batch", batch, "--rounds", str(rounds)]
    if trace:
        command.append("--trace")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"cavra policy bench failed ({done.returncode}):\n{done.stderr}")
    rate = re.search(r"decisions/s:\s*([0-9.]+)", done.stdout)
    pcts = re.search(r"p50:\s*([0-9]+)\s*ns,\s*p99:\s*([0-9]+)\s*ns", done.stdout)
    if not rate or not pcts:
        raise SystemExit(f"cannot read the output of {' '.join(command)}:\n{done.stdout}")
    return {"rate": float(rate.group(1)), "p50": int(pcts.group(1)), "p99": int(pcts.group(2))}


def run_engine(name, policy_dir, batch, out, limit):
    command = [sys.executable, os.path.abspath(__file__), "engine", name, "--policy", policy_dir,
               "--batch", batch, "--out", out]
    if limit:
        command += ["--limit", str(limit)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{name} failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    timing = json.loads(done.stdout.strip().splitlines()[-1])
    timing["wall_s"] = wall
    return timing


def read_decisions(path, with_determining=True):
    decisions = []
    with open(path) as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                decisions.append((record["decision"], record.get("determining") if with_determining else None))
    return decisions


def check_agreement(label, batch, policy, answers):
    """answers: {engine: [(decision, determining | None)]}; the first engine's list is the reference."""
    order = {rule["id"]: position for position, rule in enumerate(policy["rules"])}
    names = list(answers)
    reference = names[0]
    with open(batch) as handle:
        requests = [line for line in handle if line.strip()]
    for name in names[1:]:
        count = len(answers[name])
        if count == 0:
            raise SystemExit(f"{label}: {name} decided no request")
        for index in range(count):
            mine, theirs = answers[reference][index], answers[name][index]
            same = mine[0] == theirs[0]
            if same and theirs[1] is not None:
                same = sorted(mine[1], key=order.get) == sorted(theirs[1], key=order.get)
            if not same:
                raise SystemExit(
                    f"DISAGREEMENT ({label}) on request {index + 1} of {batch}:\n  {requests[index].strip()}\n"
                    f"  {reference}: {mine[0]} by {mine[1]}\n  {name}: {theirs[0]} by {theirs[1]}")
    counts = {name: len(answers[name]) for name in names}
    return counts


def fmt_rate(rate):
    return f"{rate:,.0f}"


def main_run(args):
    cavra = os.path.abspath(args.cavra)
    smoke = args.smoke
    work = os.path.abspath(os.path.join(args.work, "smoke" if smoke else "full"))
    os.makedirs(work, exist_ok=True)
    requests = args.requests or (200 if smoke else 100_000)
    slow_limit = 0 if smoke else args.slow_limit
    runs = 1 if smoke else args.runs
    rounds = 2 if smoke else args.rounds
    scale_requests = 200 if smoke else 2_000
    scale_rounds = 3 if smoke else 200
    results = {"requests": requests, "slow_limit": slow_limit}

    # -- one policy, four engines -------------------------------------------------------------------------
    policy = main_policy(seed=9)
    policy_dir = os.path.join(work, "policies", "main")
    write_policy(policy_dir, policy)
    cavra_path = os.path.join(policy_dir, "policy.cavra")
    cavra_validate(cavra, cavra_path)
    batch = os.path.join(work, f"requests-main-{requests}.jsonl")
    with open(batch, "w") as handle:
        handle.write(make_requests(seed=20, count=requests, providers=100))
    one = os.path.join(work, "requests-main-1.jsonl")
    with open(batch) as source, open(one, "w") as handle:
        handle.write(source.readline())
    log(f"main policy: {len(policy['rules'])} rules, {requests:,} requests in {os.path.relpath(batch)}")

    out = os.path.join(work, "out-cavra.jsonl")
    eval_times = [cavra_eval(cavra, cavra_path, batch, out) for _ in range(runs)]
    answers = {"cavra": read_decisions(out)}
    timings = {}
    for name in ("cedar", "rego", "casbin"):
        limit = 0 if name == "cedar" else slow_limit
        engine_out = os.path.join(work, f"out-{name}.jsonl")
        engine_runs = runs if name == "cedar" else 1
        log(f"{name}: deciding {limit or requests:,} requests ({engine_runs} run(s))")
        rs = [run_engine(name, policy_dir, batch, engine_out, limit) for _ in range(engine_runs)]
        timings[name] = {
            "n": rs[0]["n"],
            "e2e_s": statistics.median(r["e2e_s"] for r in rs),
            "decide_s": statistics.median(r["decide_s"] for r in rs),
            "wall_s": statistics.median(r["wall_s"] for r in rs),
        }
        for key in ("build_request_s", "authz_s"):
            if key in rs[0]:
                timings[name][key] = statistics.median(r[key] for r in rs)
        answers[name] = read_decisions(engine_out, with_determining=(name != "casbin"))
    counts = check_agreement("main policy", batch, policy, answers)
    allows = sum(1 for decision, _ in answers["cavra"] if decision == "allow")
    log(f"agreement: every decision identical ({', '.join(f'{k} {v:,}' for k, v in counts.items())}); "
        f"{allows:,} allow, {len(answers['cavra']) - allows:,} deny")

    bench_off = cavra_bench(cavra, cavra_path, batch, rounds, trace=False)
    bench_on = cavra_bench(cavra, cavra_path, batch, rounds, trace=True)
    cavra_e2e_rate = requests / statistics.median(eval_times)

    rows = [("cavra (`policy eval --batch`, whole process)", requests, cavra_e2e_rate, None),
            ("cavra (`policy bench`, trace off)", requests * rounds, None, bench_off["rate"]),
            ("cavra (`policy bench --trace`)", requests * rounds, None, bench_on["rate"])]
    for name, label in (("cedar", "Cedar (cedarpy)"), ("rego", "Rego (regopy)"), ("casbin", "Casbin (pycasbin)")):
        t = timings[name]
        rows.append((label, t["n"], t["n"] / t["e2e_s"], t["n"] / t["decide_s"]))
    results["main"] = {"rows": rows, "bench_off": bench_off, "bench_on": bench_on, "allows": allows,
                       "eval_times": eval_times, "timings": timings}

    print()
    print(f"## One policy, four engines ({len(policy['rules'])} rules, {requests:,} requests"
          + (f"; Rego and Casbin on the first {slow_limit:,}" if slow_limit and slow_limit < requests else "")
          + ")")
    print()
    print("| engine | requests | end to end, decisions/s | cavra eval is × faster | deciding only, decisions/s "
          "| cavra bench is × faster |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, n, e2e, decide in rows:
        e2e_text = fmt_rate(e2e) if e2e else "–"
        e2e_ratio = f"{cavra_e2e_rate / e2e:,.1f}" if e2e else "–"
        decide_text = fmt_rate(decide) if decide else "–"
        decide_ratio = f"{bench_off['rate'] / decide:,.1f}" if decide else "–"
        print(f"| {label} | {n:,} | {e2e_text} | {e2e_ratio} | {decide_text} | {decide_ratio} |")
    print()
    print(f"cavra policy bench: p50 {bench_off['p50']} ns, p99 {bench_off['p99']} ns (trace off); "
          f"p50 {bench_on['p50']} ns, p99 {bench_on['p99']} ns (trace on)")
    print(f"decisions: {allows:,} allow, {requests - allows:,} deny; identical in every engine")
    cedar_t = timings["cedar"]
    print("Cedar as a whole process (Python start and imports included): "
          f"{fmt_rate(cedar_t['n'] / cedar_t['wall_s'])} decisions/s; by Cedar's metrics "
          f"{cedar_t['build_request_s'] / cedar_t['n'] * 1e6:.1f} us building and "
          f"{cedar_t['authz_s'] / cedar_t['n'] * 1e6:.1f} us authorizing each request")
    startup = cavra_eval(cavra, cavra_path, one, os.path.join(work, "out-cavra-one.jsonl"))
    per_request = (statistics.median(eval_times) - startup) / requests
    print(f"cavra eval: {startup * 1e3:.0f} ms for one request (start, policy load); then "
          f"{per_request * 1e6:.1f} us per request, of which about {1e6 / bench_off['rate']:.1f} us deciding")
    cedar_rate = timings["cedar"]["n"] / timings["cedar"]["e2e_s"]
    speedup = cavra_e2e_rate / cedar_rate
    target_e2e = speedup >= 20
    print(f"target: cavra eval --batch end to end >= 20x Cedar end to end: {speedup:.1f}x, "
          + ("met" if target_e2e else "NOT met"))

    # -- scaling -----------------------------------------------------------------------------------------
    print()
    print(f"## Scaling with the number of rules ({scale_requests:,} requests, {scale_rounds} rounds)")
    print()
    print("| rules | trace off p50 ns | trace off p99 ns | trace on p50 ns | trace on p99 ns "
          "| Cedar (cedarpy) decisions/s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    scale = {}
    for count in (10, 50, 1000):
        spolicy = scaling_policy(count)
        sdir = os.path.join(work, "policies", f"scale-{count}")
        write_policy(sdir, spolicy)
        spath = os.path.join(sdir, "policy.cavra")
        cavra_validate(cavra, spath)
        sbatch = os.path.join(work, f"requests-scale-{count}-{scale_requests}.jsonl")
        with open(sbatch, "w") as handle:
            handle.write(make_requests(seed=30 + count, count=scale_requests, providers=count // 2))
        sout = os.path.join(work, f"out-scale-{count}-cavra.jsonl")
        cavra_eval(cavra, spath, sbatch, sout)
        cedar_out = os.path.join(work, f"out-scale-{count}-cedar.jsonl")
        cedar = run_engine("cedar", sdir, sbatch, cedar_out, 0)
        check_agreement(f"{count}-rule policy", sbatch, spolicy,
                        {"cavra": read_decisions(sout), "cedar": read_decisions(cedar_out)})
        off = cavra_bench(cavra, spath, sbatch, scale_rounds, trace=False)
        on = cavra_bench(cavra, spath, sbatch, scale_rounds, trace=True)
        scale[count] = {"off": off, "on": on, "cedar_rate": cedar["n"] / cedar["decide_s"]}
        print(f"| {count:,} | {off['p50']} | {off['p99']} | {on['p50']} | {on['p99']} "
              f"| {fmt_rate(scale[count]['cedar_rate'])} |")
    ratio_off = scale[1000]["off"]["p50"] / scale[10]["off"]["p50"]
    ratio_on = scale[1000]["on"]["p50"] / scale[10]["on"]["p50"]
    target_scale = ratio_off <= 2
    print()
    print(f"p50 at 1,000 rules / p50 at 10 rules: {ratio_off:.2f} trace off, {ratio_on:.2f} trace on")
    print(f"target: cost per decision at 1,000 rules <= 2x the cost at 10 rules (trace off): "
          + ("met" if target_scale else "NOT met"))
    results["scale"] = scale

    with open(os.path.join(work, "results.json"), "w") as handle:
        json.dump({"machine": platform.platform(), "results": results}, handle, indent=1, default=str)
    if smoke:
        print()
        print("smoke run: agreement checked; figures from so few requests mean nothing")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    engine = sub.add_parser("engine", help="run one engine over a batch (used by the harness)")
    engine.add_argument("name", choices=sorted(ENGINES))
    engine.add_argument("--policy", required=True)
    engine.add_argument("--batch", required=True)
    engine.add_argument("--out", required=True)
    engine.add_argument("--limit", type=int, default=0)
    run = sub.add_parser("run", help="the whole benchmark")
    run.add_argument("--cavra", required=True)
    run.add_argument("--work", default=".build-bench")
    run.add_argument("--smoke", action="store_true")
    run.add_argument("--requests", type=int, default=0, help="requests in the main batch (default 100,000)")
    run.add_argument("--slow-limit", type=int, default=10_000,
                     help="Rego and Casbin decide only the first N requests (0: all)")
    run.add_argument("--runs", type=int, default=3, help="end-to-end runs of cavra and Cedar; the median counts")
    run.add_argument("--rounds", type=int, default=5, help="rounds of `cavra policy bench` over the main batch")
    args = parser.parse_args()
    if args.command == "engine":
        print(json.dumps(ENGINES[args.name](args)))
        return 0
    if args.command == "run":
        return main_run(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
