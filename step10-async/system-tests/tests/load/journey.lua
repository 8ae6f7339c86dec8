-- A user's journey through step 10's pages, for wrk (https://github.com/wg/wrk):
--
--   wrk -t24 -c24 -d10s --timeout 5s -s step10-async/system-tests/tests/load/journey.lua http://127.0.0.1:5000
--
-- Each wrk thread is one user on one connection (so run as many threads as
-- connections), who goes, one request after the other, as a browser would:
--
--   the home page → a search → a post of the home page → the login form →
--   log in (→ the home page, logged in) → the post → tag it (→ the post,
--   which must show the tag) → like it (→ the post: "You like …") → share
--   it (→ the post: "Your link to …")
--
-- and then starts again as a new user. Each answer must have the status
-- the journey expects (200 for a page, 303 after a form, whose Location is
-- followed) and what the step checks (the flash message that says the
-- write happened, the fields the next form needs); an answer that does
-- not is a failure: each thread prints its first, and the user starts over.
--
-- At the end, one summary line; the exit status is 1 if there was any
-- failure, any answer of 400 or more, any socket error or any request that
-- took longer than wrk's --timeout.

local queries = { "python", "rust", "mongodb", "web", "code" }

-- The threads, for done() to read their counters.
local threads = {}
local created = 0

function setup(thread)
  created = created + 1
  thread:set("number", created)
  table.insert(threads, thread)
end

-- Each thread's counters (globals of its Lua state: thread:get reads them).
journeys, failures = 0, 0
local step, cookie, post, token, form_key, user, started = 1, nil, nil, nil, nil, nil, 0

local function encode(fields)
  local parts = {}
  for _, pair in ipairs(fields) do
    local value = tostring(pair[2]):gsub("[^%w%-_%.~]", function(c)
      return string.format("%%%02X", string.byte(c))
    end)
    table.insert(parts, pair[1] .. "=" .. value)
  end
  return table.concat(parts, "&")
end

-- What a page lacked, for the failure's message.
local missing = nil

local function field(body, name)
  local value = body:match('name="' .. name .. '" value="([^"]*)"')
  if not value then missing = 'a field named "' .. name .. '"' end
  return value
end

-- Picks a post from a page: one of the first links to a post.
local function some_post(body)
  local found = {}
  for id in body:gmatch('href="/posts/(%x+)"') do
    if #id == 24 then table.insert(found, id) end
    if #found == 10 then break end
  end
  if #found == 0 then return nil end
  return found[math.random(#found)]
end

-- The page a form's 303 sent the user to (followed, as a browser does).
local location = nil

-- Keeps the form fields of a logged-in post page.
local function forms(body)
  token, form_key = field(body, "csrf_token"), field(body, "idempotency_key")
  return token ~= nil and form_key ~= nil
end

-- A check: the page shows `text`, and carries the forms for the next step.
local function shows(text)
  return function(body)
    if not body:find(text, 1, true) then
      missing = text
      return false
    end
    return forms(body)
  end
end

local function followed() return location end

-- The steps: method, path, form (or nil), the status expected, and what
-- to check or keep from the page (false: a failure).
local steps = {
  { "GET", function() return "/" end, nil, 200, function(body)
    post = some_post(body)
    if not post then missing = "a link to a post" end
    return post ~= nil
  end },
  { "GET", function() return "/search_results/" .. queries[math.random(#queries)] end, nil, 200 },
  { "GET", function() return "/posts/" .. post end, nil, 200 },
  { "GET", function() return "/login" end, nil, 200, function(body)
    token = field(body, "csrf_token")
    return token ~= nil
  end },
  { "POST", function() return "/login" end, function()
    return { { "csrf_token", token }, { "username", user } }
  end, 303 },
  { "GET", followed, nil, 200, function(body) return shows(user)(body) end }, -- the header names the user
  { "GET", function() return "/posts/" .. post end, nil, 200, forms },
  { "POST", function() return "/posts/" .. post .. "/tags" end, function()
    return { { "csrf_token", token }, { "action", "add" }, { "tag", "load test" } }
  end, 303 },
  { "GET", followed, nil, 200, shows("load test") },
  { "POST", function() return "/posts/" .. post .. "/like" end, function()
    return { { "csrf_token", token }, { "idempotency_key", form_key } }
  end, 303 },
  { "GET", followed, nil, 200, shows("You like") },
  { "POST", function() return "/posts/" .. post .. "/share" end, function()
    return { { "csrf_token", token }, { "idempotency_key", form_key } }
  end, 303 },
  { "GET", followed, nil, 200, shows("Your link to") },
}

local function start_over()
  started = started + 1
  step, cookie, post, token, form_key = 1, nil, nil, nil, nil
  -- A new user each time: names are letters, digits, _ and -.
  user = string.format("load%d_%d", number, started)
end

function init(args)
  math.randomseed(number * 7919 + os.time())
  start_over()
end

function request()
  local method, path, form = unpack(steps[step])
  local headers = {}
  if cookie then headers["Cookie"] = cookie end
  local body = nil
  if form then
    body = encode(form())
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  return wrk.format(method, path(), headers, body)
end

function response(status, headers, body)
  local method, path, _, want, check = unpack(steps[step])
  for name, value in pairs(headers) do
    local lower = name:lower()
    if lower == "set-cookie" then cookie = value:match("^([^;]+)") end
    if lower == "location" then location = value end
  end
  missing = nil
  local ok = status == want
  if ok and check then ok = check(body) end
  if not ok then
    failures = failures + 1
    if failures == 1 then -- each thread prints its first
      io.stderr:write(string.format("load: user %s, step %d (%s %s): status %d (expected %d)%s\n%s\n", user, step,
        method, path(), status, want, status == want and (", the page lacks " .. (missing or "what the journey needs")) or "",
        body:sub(1, 300)))
    end
    start_over()
    return
  end
  step = step + 1
  if step > #steps then
    journeys = journeys + 1
    start_over()
  end
end

function done(summary, latency, requests)
  local total_journeys, total_failures = 0, 0
  for _, thread in ipairs(threads) do
    total_journeys = total_journeys + thread:get("journeys")
    total_failures = total_failures + thread:get("failures")
  end
  local e = summary.errors
  local socket = e.connect + e.read + e.write
  local bad = total_failures + e.status + e.timeout + socket
  print(string.format(
    "load: %d users, %.1f s: %d requests, %d journeys, %d errors (%d unexpected answers, %d of status >= 400, "
      .. "%d timeouts, %d socket errors), p50 %.1f ms, p99 %.1f ms",
    #threads, summary.duration / 1e6, summary.requests, total_journeys, bad, total_failures, e.status, e.timeout,
    socket, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  if bad > 0 or total_journeys == 0 then os.exit(1) end
end
