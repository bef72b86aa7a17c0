-- What acks.lua and get.lua share. Each finds it beside itself:
--   package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
--   local common = require("common")

local common = {}

-- A JSON string literal of any value: control characters, quotes and backslashes as \u escapes.
function common.json_string(s)
  return '"' .. tostring(s):gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

-- Every request carries `Authorization: Bearer <token>`, the token read from a file (whitespace dropped).
function common.use_token(path)
  local f = assert(io.open(path, "r"))
  local token = f:read("*a"):gsub("%s+", "")
  f:close()
  wrk.headers["Authorization"] = "Bearer " .. token
end

return common
