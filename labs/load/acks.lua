-- wrk request generator: every request acknowledges a different route, exactly once.
--
--   wrk -t T -c C -d MAX --timeout 30s -s acks.lua URL -- BODIES TOKEN_FILE T OUT_DIR
--
-- BODIES holds one line per route, "PATH<TAB>JSON BODY". Thread k (0-based) sends lines k+1, k+1+T,
-- k+1+2T, ... once each. When its last acknowledgement has answered, the thread writes
-- OUT_DIR/done-k and stops; run.sh then interrupts wrk (whose main thread otherwise sleeps for the whole
-- -d) and done() writes OUT_DIR/acks.json. Once a thread has sent all its routes, delay() parks its
-- connections; only a connection opened with nothing left to send (more connections than routes) sends
-- GET /healthz instead, recognised by its body, counted apart and never counted as an acknowledgement. wrk calls request() once on its main OS thread to check the script
-- (script_verify_request) and never sends that request; it must not use up a route.

package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } cavra_load_timespec;
  int clock_gettime(int clock_id, cavra_load_timespec *tp);
  unsigned long pthread_self(void);
]]
local CLOCK_MONOTONIC = 1

local function now()
  local ts = ffi.new("cavra_load_timespec")
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

-- The main script state: hand out thread numbers and keep the threads for done().
local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

-- The thread states.
local mine = {}
local issued, answered, ok, bad, fillers = 0, 0, 0, 0, 0
local statuses = {}
local samples = {}

function init(args)
  -- init() runs on wrk's main OS thread, and so does the one request() call wrk makes on its first
  -- thread's script to check the request; the real ones run on the worker OS threads.
  main_os_thread = ffi.C.pthread_self()
  local bodies, token_file, thread_count = args[1], args[2], tonumber(args[3])
  out_dir = args[4]
  common.use_token(token_file)
  wrk.headers["Content-Type"] = "application/json"
  local line_number = 0
  for line in io.lines(bodies) do
    if line ~= "" then
      if line_number % thread_count == thread_index then
        local path, body = line:match("^([^\t]+)\t(.+)$")
        table.insert(mine, { path = path, body = body })
      end
      line_number = line_number + 1
    end
  end
  started, finished = 0, 0
  quota = #mine
end

function request()
  if ffi.C.pthread_self() == main_os_thread then
    -- wrk's check of the script, never sent: do not use up a route.
    local item = mine[1] or { path = "/healthz" }
    return wrk.format(item.body and "POST" or "GET", item.path, nil, item.body)
  end
  if issued < #mine then
    issued = issued + 1
    if issued == 1 then
      started = now()
    end
    local item = mine[issued]
    return wrk.format("POST", item.path, nil, item.body)
  end
  return wrk.format("GET", "/healthz", nil, nil)
end

-- Called before every request after a connection's first: a connection whose thread has sent all its
-- routes waits instead of sending fillers while the thread's last answers are on their way.
function delay()
  if issued < #mine then
    return 0
  end
  return 600000
end

function response(status, headers, body)
  if status == 200 and body and body:match('^%s*{%s*"status"%s*:%s*"ok"%s*}%s*$') then
    fillers = fillers + 1
  else
    answered = answered + 1
    if status == 200 and body and body:find('"acknowledgement_id"', 1, true) then
      ok = ok + 1
    else
      bad = bad + 1
      statuses[status] = (statuses[status] or 0) + 1
      if #samples < 3 then
        table.insert(samples, tostring(status) .. " " .. (body or ""):sub(1, 300))
      end
    end
  end
  if answered >= #mine and finished == 0 then
    finished = now()
    local parts = {}
    for code, count in pairs(statuses) do
      table.insert(parts, code .. ":" .. count)
    end
    status_text = table.concat(parts, ",")
    sample_text = table.concat(samples, "\n")
    local f = io.open(out_dir .. "/done-" .. thread_index, "w")
    if f then
      f:write(ok, " ", bad, "\n")
      f:close()
    end
    wrk.thread:stop()
  end
  -- wrk's thread:get reads globals
  ok_count, bad_count, filler_count, issued_count = ok, bad, fillers, issued
end

function done(summary, latency, requests)
  local ok_total, bad_total, fillers_total, quota_total, issued_total = 0, 0, 0, 0, 0
  local first, last, unfinished = nil, nil, 0
  local status_texts, sample_texts = {}, {}
  for _, thread in ipairs(threads) do
    ok_total = ok_total + (thread:get("ok_count") or 0)
    bad_total = bad_total + (thread:get("bad_count") or 0)
    fillers_total = fillers_total + (thread:get("filler_count") or 0)
    issued_total = issued_total + (thread:get("issued_count") or 0)
    quota_total = quota_total + (thread:get("quota") or 0)
    local s, f = thread:get("started") or 0, thread:get("finished") or 0
    if s > 0 and (first == nil or s < first) then first = s end
    if f > 0 and (last == nil or f > last) then last = f end
    if (thread:get("quota") or 0) > 0 and f == 0 then unfinished = unfinished + 1 end
    local st = thread:get("status_text")
    if st and st ~= "" then table.insert(status_texts, st) end
    local sm = thread:get("sample_text")
    if sm and sm ~= "" then table.insert(sample_texts, sm) end
  end
  local seconds = (first and last) and (last - first) or 0
  local e = summary.errors
  local f = assert(io.open(threads[1]:get("out_dir") .. "/acks.json", "w"))
  f:write("{",
    '"routes": ', quota_total, ", ",
    '"issued": ', issued_total, ", ",
    '"ok": ', ok_total, ", ",
    '"non_200": ', bad_total, ", ",
    '"non_200_statuses": ', common.json_string(table.concat(status_texts, ",")), ", ",
    '"non_200_samples": ', common.json_string(table.concat(sample_texts, "\n")), ", ",
    '"healthz_fillers": ', fillers_total, ", ",
    '"unfinished_threads": ', unfinished, ", ",
    '"seconds": ', string.format("%.6f", seconds), ", ",
    '"per_second": ', seconds > 0 and string.format("%.3f", ok_total / seconds) or "null", ", ",
    '"p50_ms": ', string.format("%.3f", latency:percentile(50) / 1000), ", ",
    '"p90_ms": ', string.format("%.3f", latency:percentile(90) / 1000), ", ",
    '"p99_ms": ', string.format("%.3f", latency:percentile(99) / 1000), ", ",
    '"max_ms": ', string.format("%.3f", latency.max / 1000), ", ",
    '"socket_errors": {"connect": ', e.connect, ', "read": ', e.read, ', "write": ', e.write,
    ', "timeout": ', e.timeout, "}",
    "}\n")
  f:close()
end
