-- rolegate.lua - an HAProxy 2.6 action asking rolegated before a request.
--
-- HAProxy 2.6 has no forward auth of its own: this action asks rolegated's
-- /v1/authz, as nginx's auth_request does, with the user the gateway
-- authenticated and the original method and URI (X-Original-Method,
-- X-Original-URI: rolegated's default authz_uri_from), and nothing else
-- the client sent.  Load it with "lua-load" and see haproxy.cfg beside it.
--
-- Before it runs, the configuration puts the authenticated user in the
-- variable txn.rolegate_user (http-request set-var).  It then
--   1. removes every X-Rolegate-* header the client sent, so that neither
--      rolegated nor the application reads one the client made up;
--   2. refuses a user name with a control character (403, no question);
--   3. asks rolegated and sets txn.rolegate_status to 200, 401 or 403 as it
--      answered, and to 503 when it could not ask or got anything else:
--      haproxy.cfg lets only 200 through;
--   4. on 200, passes X-Rolegate-User, X-Rolegate-Roles and
--      X-Rolegate-Decision-Id on to the application; on any answer keeps
--      the decision id in txn.rolegate_id for the deny.

local rolegated = "http://127.0.0.1:8470/v1/authz" -- <- rolegated
local timeout_ms = 250

local PREFIX = "x-rolegate-"
local PASSED_ON = { "x-rolegate-user", "x-rolegate-roles",
                    "x-rolegate-decision-id" }
local ANSWERS = { [200] = 200, [401] = 401, [403] = 403 }
local UNAVAILABLE = 503
local FORBIDDEN = 403

-- The client's X-Rolegate-* headers, all of them, whatever their case.
local function strip(http)
	local names = {}
	for name, _ in pairs(http:req_get_headers()) do
		if string.sub(string.lower(name), 1, #PREFIX) == PREFIX then
			names[#names + 1] = name
		end
	end
	for _, name in ipairs(names) do
		http:req_del_header(name)
	end
end

-- The first value of a response header (names are lower case).
local function first(headers, name)
	local v = headers and headers[name]
	if type(v) == "table" then
		return v[0] or v[1]
	end
	return v
end

local function ask(txn, user)
	local headers = {
		["x-original-method"] = { txn.f:method() },
		["x-original-uri"] = { txn.f:pathq() },
	}
	if user ~= "" then
		headers["x-rolegate-user"] = { user }
	end
	local ok, res = pcall(function()
		return core.httpclient():get{ url = rolegated,
		                              headers = headers,
		                              timeout = timeout_ms }
	end)
	if not ok or not res then
		return nil
	end
	return res
end

core.register_action("rolegate", { "http-req" }, function(txn)
	local user = txn:get_var("txn.rolegate_user") or ""

	txn:set_var("txn.rolegate_status", UNAVAILABLE)
	strip(txn.http)
	-- A CR, LF or NUL would split the header rolegated reads.
	if string.find(user, "[%c\127]") then
		txn:set_var("txn.rolegate_status", FORBIDDEN)
		return
	end
	local res = ask(txn, user)
	if not res then
		return
	end
	local id = first(res.headers, "x-rolegate-decision-id")
	if id then
		txn:set_var("txn.rolegate_id", id)
	end
	local status = ANSWERS[tonumber(res.status)] or UNAVAILABLE
	if status == 200 then
		for _, name in ipairs(PASSED_ON) do
			local v = first(res.headers, name)
			if v then
				txn.http:req_set_header(name, v)
			end
		end
	end
	txn:set_var("txn.rolegate_status", status)
end)
