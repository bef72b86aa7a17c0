#!/usr/bin/env python3
"""Small helpers for labs/load/run.sh (Python standard library only).

Subcommands:
  schedule     write wide drill schedules whose plans hold N routes in total
  bodies       turn `cavra drills plan --json` outputs into one acknowledgement request per route
  store-stats  what the store holds after a run (records, their size, the span of acknowledged_at)
  log-stats    counts and server-side durations from the server's JSON request log
  raw-insert   the durable insert rate of SQLite with the store's settings, one transaction per row
  summary      the final table, and the same as JSON
"""

import argparse
import calendar
import json
import math
import os
import random
import sqlite3
import sys
import time

ACK_PATH = "/runtime/go-pilot/rollback-drill-notifications/{}/acknowledgements"
PROVIDERS = ["slack", "webhook"]


def cmd_schedule(args):
    """Schedules with owners x providers routes, every route `deliver` (the due date is long past)."""
    total = args.routes
    per_schedule = [total // args.schedules + (1 if i < total % args.schedules else 0) for i in range(args.schedules)]
    paths = []
    for index, count in enumerate(per_schedule):
        if count == 0:
            continue
        owners = [f"owner-{index:02d}-{i:05d}" for i in range(math.ceil(count / len(PROVIDERS)))]
        schedule = {
            "schema_version": "cavra.go-backend-rollback-drill-schedule.v1",
            "schedule_id": f"load_wide_{index:02d}",
            "environment": "staging",
            "service": "load-test",
            "tags": ["load"],
            "status": "active",
            "interval_days": 7,
            "next_due_at": "2020-01-01T00:00:00Z",
            "owners": owners,
            "notification_providers": PROVIDERS,
            "runbook_ref": "RB-LOAD-1",
        }
        if count % len(PROVIDERS):
            # An odd count: the last owner is routed to one provider only.
            schedule["owner_routes"] = {owners[-1]: {"providers": PROVIDERS[: count % len(PROVIDERS)]}}
        path = os.path.join(args.out, f"schedule-{index:02d}.json")
        with open(path, "w") as f:
            json.dump(schedule, f, indent=1)
        paths.append(path)
    print("\n".join(paths))


def cmd_bodies(args):
    lines = []
    for plan_file in args.plans:
        with open(plan_file) as f:
            plan = json.load(f)["plan"]
        for route in plan["routes"]:
            if route["category"] != "deliver" or route.get("removed"):
                sys.exit(f"route {route['route_id']} is {route['category']}, not deliver: the schedule is wrong")
            body = {
                "provider": route["provider"],
                "owner": route["owner"],
                "route_id": route["route_id"],
                "notes": "load test",
            }
            path = ACK_PATH.format(route["schedule_id"])
            lines.append(path + "\t" + json.dumps(body, separators=(",", ":")))
    if len(lines) != args.expect + args.probe or len(set(lines)) != len(lines):
        sys.exit(f"the plans hold {len(lines)} routes ({len(set(lines))} distinct), expected {args.expect + args.probe}")
    # A fixed shuffle: the threads of wrk take every T-th line, so any order works; a shuffled one does not
    # favour one owner or one end of the plan.
    random.Random(9).shuffle(lines)
    with open(args.out, "w") as f:
        f.write("\n".join(lines[: args.expect]) + "\n")
    if args.probe:
        with open(args.probe_out, "w") as f:
            f.write("\n".join(lines[args.expect :]) + "\n")


def cmd_store_stats(args):
    db = sqlite3.connect(f"file:{args.store}?mode=ro", uri=True)
    count, avg, first, last = db.execute(
        "SELECT COUNT(*), AVG(LENGTH(document)), MIN(json_extract(document, '$.acknowledged_at')),"
        " MAX(json_extract(document, '$.acknowledged_at')) FROM records"
    ).fetchone()
    routes = db.execute("SELECT COUNT(*) FROM route_plans").fetchone()[0]
    states = dict(db.execute("SELECT state, COUNT(*) FROM records GROUP BY state").fetchall())
    db.close()

    def parse(ts):
        return calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) + int(ts[20:23]) / 1000 if ts else None

    span = (parse(last) - parse(first)) if first and last else None
    json.dump(
        {
            "records": count,
            "routes": routes,
            "states": states,
            "avg_record_bytes": round(avg or 0),
            "first_acknowledged_at": first,
            "last_acknowledged_at": last,
            "span_seconds": span,
        },
        sys.stdout,
    )
    print()


def cmd_probe(args):
    """Acknowledge the probe routes one after another (each must answer 200); print how many answered 200."""
    import urllib.error
    import urllib.request

    token = open(args.token).read().strip()
    ok = 0
    with open(args.bodies) as f:
        for line in f:
            if not line.strip():
                continue
            path, body = line.rstrip("\n").split("\t", 1)
            request = urllib.request.Request(
                args.base + path, data=body.encode(), method="POST",
                headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request) as answer:
                    ok += answer.status == 200
            except urllib.error.HTTPError as error:
                print(f"probe acknowledgement answered {error.code}: {error.read()[:300]!r}", file=sys.stderr)
    print(ok)


def cmd_syncs(args):
    """The fsync + fdatasync calls counted by `strace -c` in FILE."""
    calls = 0
    with open(args.file) as f:
        for line in f:
            parts = line.split()
            if parts and parts[-1] in ("fsync", "fdatasync") and len(parts) >= 5:
                calls += int(parts[3])
    print(calls)


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]


def cmd_log_stats(args):
    statuses = {}
    durations = {}
    other = 0
    with open(args.log) as f:
        for line in f:
            try:
                entry = json.loads(line)
            except ValueError:
                other += 1
                continue
            if entry.get("message") != "request":
                if entry.get("level") in ("error", "critical", "warning"):
                    other += 1
                continue
            key = f"{entry.get('method')} {entry.get('route')}"
            statuses.setdefault(key, {}).setdefault(str(entry.get("status")), 0)
            statuses[key][str(entry.get("status"))] += 1
            try:
                durations.setdefault(key, []).append(float(entry.get("duration_ms")))
            except (TypeError, ValueError):
                pass
    result = {
        "statuses": statuses,
        "server_ms": {
            key: {"p50": percentile(v, 50), "p99": percentile(v, 99), "max": max(v)} for key, v in durations.items()
        },
        "warnings_or_errors": other,
    }
    json.dump(result, sys.stdout)
    print()


def cmd_raw_insert(args):
    """One writer, one transaction per row, WAL + synchronous=FULL + BEGIN IMMEDIATE, as the store does."""
    path = os.path.join(args.dir, "raw-insert.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    db.execute(f"PRAGMA synchronous = {args.synchronous}")
    db.execute("PRAGMA busy_timeout = 10000")
    db.execute(
        "CREATE TABLE records (route_id TEXT NOT NULL, sequence INTEGER NOT NULL, hash TEXT NOT NULL,"
        " document TEXT NOT NULL, PRIMARY KEY (route_id, sequence))"
    )
    payload = ("x" * args.payload_bytes)
    for i in range(min(20, args.count)):  # warm the file and the page cache
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO records VALUES (?, 1, ?, ?)", (f"warm-{i}", "0" * 64, payload))
        db.execute("COMMIT")
    start = time.perf_counter()
    for i in range(args.count):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO records VALUES (?, 1, ?, ?)", (f"route-{i:08d}", f"{i:064x}", payload))
        db.execute("COMMIT")
    seconds = time.perf_counter() - start
    sync = db.execute("PRAGMA synchronous").fetchone()[0]
    db.close()
    json.dump(
        {
            "inserts": args.count,
            "seconds": seconds,
            "per_second": args.count / seconds,
            "journal_mode": mode,
            "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(sync, sync),
            "payload_bytes": args.payload_bytes,
            "sqlite_version": sqlite3.sqlite_version,
        },
        sys.stdout,
    )
    print()


def load(path):
    with open(path) as f:
        return json.load(f)


def cmd_collect(args):
    w = args.work
    acks, healthz, routes = load(f"{w}/acks/acks.json"), load(f"{w}/healthz.json"), load(f"{w}/routes.json")
    store, logs, raw = load(f"{w}/store.json"), load(f"{w}/log.json"), load(f"{w}/raw.json")
    raw_normal = load(f"{w}/raw-normal.json")
    ack_key = "POST /runtime/go-pilot/rollback-drill-notifications/{schedule_id}/acknowledgements"
    failures = []
    if acks["non_200"]:
        failures.append(f"{acks['non_200']} acknowledgements answered other than 200 ({acks['non_200_statuses']}):"
                        f" {acks['non_200_samples']}")
    if acks["ok"] != args.routes or acks["routes"] != args.routes:
        failures.append(f"{acks['ok']} acknowledgements answered 200, expected {args.routes}")
    if acks["unfinished_threads"]:
        failures.append(f"{acks['unfinished_threads']} wrk threads did not get all their answers")
    if any(acks["socket_errors"].values()):
        failures.append(f"socket errors during the acknowledgements: {acks['socket_errors']}")
    if args.api_total != acks["ok"]:
        failures.append(f"the API lists {args.api_total} acknowledged routes, but {acks['ok']} requests answered 200")
    answered = acks["ok"] + args.probe_ok
    for name, value in (("the CLI after the server stopped", args.cli_total), ("the records table", store["records"])):
        if value != answered:
            failures.append(f"{name} counts {value} acknowledged routes, but {answered} requests answered 200")
    server_acks = logs["statuses"].get(ack_key, {})
    if server_acks.get("200", 0) != answered or len(server_acks) > 1:
        failures.append(f"the server's log counts acknowledgement answers {server_acks}, the clients counted {answered} 200s")
    if args.probe_ok != args.probe_routes:
        failures.append(f"durability probe: {args.probe_ok} of {args.probe_routes} acknowledgements answered 200")
    if args.probe_syncs >= 0 and args.probe_syncs < args.probe_ok:
        failures.append(
            f"durability probe: the server called fsync/fdatasync {args.probe_syncs} times for {args.probe_ok}"
            " acknowledgements answered 200, so those commits were not synced to disk when answered"
            " (SQLite is not running with synchronous=FULL on the writer connection)")
    for name, result in (("GET /healthz", healthz), ("the route list", routes)):
        if result["non_200"]:
            failures.append(f"{name}: {result['non_200']} answers other than 200 ({result['non_200_statuses']}):"
                            f" {result['first_error']}")
        if any(result["socket_errors"].values()):
            failures.append(f"{name}: socket errors {result['socket_errors']}")
    if args.server_exit != 0:
        failures.append(f"cavra api exited {args.server_exit} on SIGTERM, expected 0")
    ratio = (acks["per_second"] or 0) / raw["per_second"]
    server_ack = logs["server_ms"].get(ack_key, {})
    result = {
        "config": {
            "routes": args.routes, "schedules": args.schedules, "threads": args.threads,
            "ack_connections": args.ack_connections, "get_connections": args.get_connections,
            "get_duration_seconds": args.duration, "smoke": bool(args.smoke), "cpus": os.cpu_count(),
        },
        "acks": {
            "ok": acks["ok"], "non_200": acks["non_200"], "seconds": acks["seconds"],
            "per_second": acks["per_second"], "p50_ms": acks["p50_ms"], "p90_ms": acks["p90_ms"],
            "p99_ms": acks["p99_ms"], "max_ms": acks["max_ms"], "healthz_fillers": acks["healthz_fillers"],
            "server_p50_ms": server_ack.get("p50"), "server_p99_ms": server_ack.get("p99"),
            "server_span_seconds": store["span_seconds"],
        },
        "stored_acknowledged": store["records"],
        "api_acknowledged_total": args.api_total,
        "cli_acknowledged_total": args.cli_total,
        "non_200": acks["non_200"] + healthz["non_200"] + routes["non_200"],
        "healthz": {k: healthz[k] for k in ("requests", "per_second", "p50_ms", "p99_ms", "max_ms")},
        "route_list": {k: routes[k] for k in ("requests", "per_second", "p50_ms", "p99_ms", "max_ms")},
        "raw_sqlite": raw,
        "raw_sqlite_synchronous_normal": raw_normal,
        "ratio": ratio,
        "durability_probe": {
            "acknowledgements": args.probe_routes, "ok": args.probe_ok,
            "fsync_calls": args.probe_syncs if args.probe_syncs >= 0 else None,
            "checked": args.probe_syncs >= 0,
        },
        "target_ratio": 0.5,
        "avg_record_bytes": store["avg_record_bytes"],
        "plan_seconds": args.plan_seconds,
        "server_log": logs,
        "failures": failures,
    }
    json.dump(result, sys.stdout, indent=2)
    print()


def fmt(value, unit=""):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        value = f"{value:.1f}" if value < 100 else f"{value:.0f}"
    return f"{value}{unit}"


def probe_text(probe):
    if not probe["checked"]:
        return "not checked (no strace)"
    return f"{probe['fsync_calls'] / max(1, probe['ok']):.2f} ({probe['fsync_calls']} for {probe['ok']})"


def cmd_summary(args):
    with open(args.results) as f:
        r = json.load(f)
    rows = [
        ("routes acknowledged (200s)", fmt(r["acks"]["ok"])),
        ("non-200 answers", fmt(r["non_200"])),
        ("acknowledged routes in the store (+ probe)", fmt(r["stored_acknowledged"])),
        ("durable acknowledgements/s", fmt(r["acks"]["per_second"])),
        ("acknowledgement p50 latency", fmt(r["acks"]["p50_ms"], " ms")),
        ("acknowledgement p99 latency", fmt(r["acks"]["p99_ms"], " ms")),
        ("GET /healthz requests/s", fmt(r["healthz"]["per_second"])),
        ("GET /healthz p50 / p99", f"{fmt(r['healthz']['p50_ms'])} / {fmt(r['healthz']['p99_ms'])} ms"),
        ("route list (limit=100) requests/s", fmt(r["route_list"]["per_second"])),
        ("route list p50 / p99", f"{fmt(r['route_list']['p50_ms'])} / {fmt(r['route_list']['p99_ms'])} ms"),
        ("raw SQLite durable inserts/s", fmt(r["raw_sqlite"]["per_second"])),
        ("acks/s / raw inserts/s", f"{r['ratio'] * 100:.1f}% (target >= 50%)"),
        ("syncs per acknowledgement (probe)", probe_text(r["durability_probe"])),
        ("raw SQLite inserts/s, synchronous=NORMAL", fmt(r["raw_sqlite_synchronous_normal"]["per_second"])),
    ]
    width = max(len(m) for m, _ in rows)
    print(f"{'metric':<{width}}  value")
    print(f"{'-' * width}  {'-' * 24}")
    for metric, value in rows:
        print(f"{metric:<{width}}  {value}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)
            f.write("\n")
    if r["failures"]:
        print()
        for failure in r["failures"]:
            print(f"FAILED: {failure}")
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("schedule")
    p.add_argument("--routes", type=int, required=True)
    p.add_argument("--schedules", type=int, default=1)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_schedule)

    p = sub.add_parser("bodies")
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--probe", type=int, default=0, help="routes set apart for the sync probe")
    p.add_argument("--probe-out")
    p.add_argument("plans", nargs="+")
    p.set_defaults(func=cmd_bodies)

    p = sub.add_parser("store-stats")
    p.add_argument("store")
    p.set_defaults(func=cmd_store_stats)

    p = sub.add_parser("log-stats")
    p.add_argument("log")
    p.set_defaults(func=cmd_log_stats)

    p = sub.add_parser("probe")
    p.add_argument("--base", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("bodies")
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser("syncs")
    p.add_argument("file")
    p.set_defaults(func=cmd_syncs)

    p = sub.add_parser("raw-insert")
    p.add_argument("--dir", required=True)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--payload-bytes", type=int, default=4096)
    p.add_argument("--synchronous", choices=["FULL", "NORMAL"], default="FULL")
    p.set_defaults(func=cmd_raw_insert)

    p = sub.add_parser("collect")
    p.add_argument("--work", required=True)
    for name in ("routes", "schedules", "threads", "ack-connections", "get-connections", "duration", "smoke",
                 "api-total", "cli-total", "server-exit", "probe-routes", "probe-ok", "probe-syncs"):
        p.add_argument("--" + name, type=int, required=True)
    p.add_argument("--plan-seconds", type=float)
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("summary")
    p.add_argument("--json")
    p.add_argument("results")
    p.set_defaults(func=cmd_summary)

    args = parser.parse_args()
    if getattr(args, "schedules", 1) < 1 or getattr(args, "routes", 1) < 1:
        parser.error("--routes and --schedules must be at least 1")
    args.func(args)


if __name__ == "__main__":
    main()
