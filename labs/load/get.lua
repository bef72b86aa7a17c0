-- wrk script for a fixed-duration GET run: checks every answer's status and writes a JSON result.
--
--   wrk -t T -c C -d D -s get.lua URL -- TOKEN_FILE|- OUT_FILE
--
-- With a token file, every request carries `Authorization: Bearer <token>`. Every answer that is not a
-- 200 is counted (by status) and reported; run.sh fails the run when there is one.

package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local ok, bad = 0, 0
local statuses = {}

function init(args)
  if args[1] and args[1] ~= "-" then
    common.use_token(args[1])
  end
  out_file = args[2]
  status_text = ""
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
    local parts = {}
    for code, count in pairs(statuses) do
      table.insert(parts, code .. ":" .. count)
    end
    status_text = table.concat(parts, ",")
    if bad == 1 then
      first_error = tostring(status) .. " " .. (body or ""):sub(1, 300)
    end
  end
  ok_count, bad_count = ok, bad
end

function done(summary, latency, requests)
  local ok_total, bad_total, texts, first = 0, 0, {}, ""
  for _, thread in ipairs(threads) do
    ok_total = ok_total + (thread:get("ok_count") or 0)
    bad_total = bad_total + (thread:get("bad_count") or 0)
    local st = thread:get("status_text")
    if st and st ~= "" then table.insert(texts, st) end
    if first == "" then first = thread:get("first_error") or "" end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local f = assert(io.open(threads[1]:get("out_file"), "w"))
  f:write("{",
    '"requests": ', summary.requests, ", ",
    '"ok": ', ok_total, ", ",
    '"non_200": ', bad_total, ", ",
    '"non_200_statuses": ', common.json_string(table.concat(texts, ",")), ", ",
    '"first_error": ', common.json_string(first), ", ",
    '"seconds": ', string.format("%.6f", seconds), ", ",
    '"per_second": ', string.format("%.3f", summary.requests / seconds), ", ",
    '"p50_ms": ', string.format("%.3f", latency:percentile(50) / 1000), ", ",
    '"p90_ms": ', string.format("%.3f", latency:percentile(90) / 1000), ", ",
    '"p99_ms": ', string.format("%.3f", latency:percentile(99) / 1000), ", ",
    '"max_ms": ', string.format("%.3f", latency.max / 1000), ", ",
    '"socket_errors": {"connect": ', e.connect, ', "read": ', e.read, ', "write": ', e.write,
    ', "timeout": ', e.timeout, "}",
    "}\n")
  f:close()
end
