-- wrk script for scripts/e2e: read-only MCP tool calls (tools/call get_company_details) with
-- the bearer token in E2E_TOKEN, counting every answer that is not a 200 carrying the tool's
-- result. wrk's own socket errors (connect, read, write, timeout) are counted in done().
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  seen = ""
  wrk.method = "POST"
  wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_company_details","arguments":{}}}'
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("E2E_TOKEN") or "")
end

function response(status, headers, body)
  -- A 200 must carry a tool result, not a JSON-RPC error or a failed tool call.
  if status ~= 200 or not string.find(body, '"result"', 1, true)
      or string.find(body, '"isError":true', 1, true) then
    bad = bad + 1
    local tag = tostring(status)
    if not string.find(seen, "[" .. tag .. "]", 1, true) then
      seen = seen .. "[" .. tag .. "]"
    end
  end
end

function done(summary, latency, requests)
  local total_bad, kinds = 0, ""
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
    kinds = kinds .. thread:get("seen")
  end
  local e = summary.errors
  io.write(string.format(
    "E2E requests=%d bad=%d socket_errors=%d connect=%d read=%d write=%d timeout=%d statuses=%s\n",
    summary.requests, total_bad, e.connect + e.read + e.write + e.timeout,
    e.connect, e.read, e.write, e.timeout, kinds == "" and "-" or kinds))
end
