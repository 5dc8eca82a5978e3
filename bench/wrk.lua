-- wrk script for bench/run: one request shape per run, described by the environment, and a
-- one-line JSON summary (with p95, which wrk does not print itself) for the report.
--
--   BENCH_METHOD   GET or POST
--   BENCH_BODY     request body; in chain mode "{TOKEN}" is replaced by a refresh token
--   BENCH_HEADERS  "name: value" lines
--   BENCH_CHAIN    file of refresh tokens, one a line: each response's new refresh token is
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

if chain_file then
  -- A queue of refresh tokens this thread may use; a failed refresh loses its token.
  local queue, head, tail = {}, 1, 0

  function init(args)
    local share = tonumber(os.getenv("BENCH_THREADS") or "1")
    local n = 0
    for token in io.lines(chain_file) do
      if n % share == thread_index then
        tail = tail + 1
        queue[tail] = token
      end
      n = n + 1
    end
  end

  function request()
    local token = "exhausted"
    if head <= tail then
      token = queue[head]
      queue[head] = nil
      head = head + 1
    end
    local body = wrk.body:gsub("{TOKEN}", token)
    return wrk.format(nil, nil, nil, body)
  end

  function response(status, headers, body)
    local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if status == 200 and token then
      tail = tail + 1
      queue[tail] = token
    end
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
