-- wrk script for bench/run: one request shape per run, described by the environment, and a
-- one-line JSON summary (with p95, which wrk does not print itself) for the report.
--
--   BENCH_METHOD   GET or POST
--   BENCH_BODY     request body; in chain mode "{TOKEN}" is replaced by a refresh token and
--                  "{EXTRA}" by the rest of the token's line (e.g. its client's credentials)
--   BENCH_BODIES   file of request bodies, one a line, sent round-robin (each thread starts
--                  at its own place): spreads logins over many accounts, or calls over many
--                  clients, instead of BENCH_BODY
--   BENCH_HEADERS  "name: value" lines
--   BENCH_CHAIN    file of refresh tokens, one a line ("TOKEN" or "TOKEN EXTRA"): each
--                  response's new refresh token (with the EXTRA of the one it replaced) is
--                  used for a later request, because a refresh token works only once
--   BENCH_THREADS  wrk's -t, so each thread takes its own share of the tokens

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.body = os.getenv("BENCH_BODY")
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

local chain_file = os.getenv("BENCH_CHAIN")
local bodies_file = os.getenv("BENCH_BODIES")

if chain_file then
  -- A queue of refresh tokens this thread may use; a failed refresh loses its token.
  local queue, head, tail = {}, 1, 0
  -- The EXTRA of each client named in the lines ("client_id=…" in EXTRA): a response does
  -- not say which request it answers, but its access token (a JWT) names the client, and
  -- every chain of one client has the same EXTRA.
  local extras_by_client = {}

  function init(args)
    local share = tonumber(os.getenv("BENCH_THREADS") or "1")
    local n = 0
    for line in io.lines(chain_file) do
      local token, extra = line:match("^(%S+)%s*(.*)$")
      if n % share == thread_index then
        tail = tail + 1
        queue[tail] = { token = token, extra = extra }
      end
      local client = extra:match("client_id=([^&]+)")
      if client then extras_by_client[client] = extra end
      n = n + 1
    end
  end

  function request()
    local entry = { token = "exhausted", extra = "" }
    if head <= tail then
      entry = queue[head]
      queue[head] = nil
      head = head + 1
    end
    local body = wrk.body:gsub("{TOKEN}", entry.token):gsub("{EXTRA}", function() return entry.extra end)
    return wrk.format(nil, nil, nil, body)
  end

  function response(status, headers, body)
    local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if status == 200 and token then
      tail = tail + 1
      queue[tail] = { token = token, extra = extra_of(body) }
    end
  end

  function extra_of(body)
    if next(extras_by_client) == nil then return "" end
    local payload = body:match('"access_token"%s*:%s*"[^".]+%.([^".]+)%.')
    local client = payload and base64url_decode(payload):match('"client_id"%s*:%s*"([^"]+)"')
    return extras_by_client[client] or ""
  end

  local sextets = {}
  for i, c in ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"):gmatch("()(.)") do
    sextets[c:byte()] = i - 1
  end

  function base64url_decode(text)
    local out, value, bits = {}, 0, 0
    for i = 1, #text do
      value, bits = value * 64 + (sextets[text:byte(i)] or 0), bits + 6
      if bits >= 8 then
        bits = bits - 8
        local byte = math.floor(value / 2 ^ bits)
        out[#out + 1] = string.char(byte)
        value = value - byte * 2 ^ bits
      end
    end
    return table.concat(out)
  end
elseif bodies_file then
  local bodies = {}
  local next_body

  function init(args)
    for line in io.lines(bodies_file) do table.insert(bodies, line) end
    next_body = thread_index % #bodies
  end

  function request()
    next_body = next_body % #bodies + 1
    return wrk.format(nil, nil, nil, bodies[next_body])
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_SUMMARY {"requests":%d,"duration_us":%d,"non_2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
