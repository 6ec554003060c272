#!/usr/bin/env python3
"""gen-tenant.py - generate benchmark tenants and request mixes for rolegate.

For each tenant size (agents), and for each shipped product (the services
dynamics365, rocketchat and omni24 of policies/rolegate.conf), writes a
directory import file in the format rg_directory_import() reads.  From the
same users it draws a request mix that the C benchmark, the HTTP benchmark
and the peer benchmarks (casbin, Cedar) all read.

Tenant shape, per product: N agents, one supervisor per 10 agents, one
administrator per 50, a business-unit tree three levels deep (Dynamics),
one department per 25 agents and one unit per 10 departments (Rocket.Chat),
and some users with Productivity tools or custom roles.

The role and privilege data come from the policy files themselves, so that
the expected decisions and the peers' policies follow whatever the policy
files say.  Output is deterministic for a given seed.

Output (under --out):
  model.json                  roles, privileges and custom roles per service,
                              as the peers need them
  tenant-N/directory-SERVICE.json   directory import file
  tenant-N/users.tsv          service, user, roles, subject attributes
  tenant-N/requests.tsv       the request mix (format below)
  tenant-N/adhoc.conf,        a configuration that needs no directory: the
  tenant-N/adhoc-swap.conf    same tenant as tenant files and policy copies
                              (custom roles as policy roles), for a library
                              built without the directory
  swap/rolegate.conf          the shipped configuration with one policy
                              changed (omnichannel-agent may add quick
                              replies): what the reload benchmark swaps in

Line formats (tab-separated, '#' starts a comment line):
  users.tsv:     SERVICE USER ROLE,ROLE,... ATTRS
  requests.tsv:  SERVICE USER ACTION ATTRS EXPECT KIND
ATTRS is "-" or KEY=VALUE pairs separated by '|' (values may hold commas).
EXPECT is allow or deny.  KIND is rbac (the answer follows from roles and
grants alone: every peer must agree), prereq (the user lacks a prerequisite
role, which plain RBAC peers do not model) or scope (the request names a
business unit, department or owner, or depends on the agent's state, as
take-inquiry does).
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import sys

SERVICES = ("dynamics365", "rocketchat", "omni24")
POLICY_FILES = {
    "dynamics365": "dynamics365-2021.ini",
    "rocketchat": "rocketchat.ini",
    "omni24": "omni24.ini",
}
SIZES = (500, 5000, 50000)
SEED = 20240611
NREQUESTS = 65536

AGENTS_PER_SUPERVISOR = 10
AGENTS_PER_ADMIN = 50
AGENTS_PER_DEPARTMENT = 25
DEPARTMENTS_PER_UNIT = 10
AGENTS_PER_LEAF_BU = 500
MIN_LEAF_BUS = 4
DEFAULT_MAX_CHATS = 5

# Share of the mix: which product, which kind of user, and what it asks.
SERVICE_WEIGHTS = (("dynamics365", 0.4), ("rocketchat", 0.4), ("omni24", 0.2))
CLASS_WEIGHTS = (("agent", 0.75), ("supervisor", 0.17), ("admin", 0.08))
P_DENY = 0.36      # aim: about a third of the mix denied
P_SCOPED = 0.25    # requests naming a business unit, department or owner

# Custom roles, created in the directory (or, without one, as policy roles).
CUSTOM_ROLES = {
    "dynamics365": [
        {"id": "case-reviewer", "name": "Case reviewer",
         "description": "Reviews cases and conversations for quality",
         "privileges": ["case.read", "quick-reply.view", "workstream.view",
                        "queue.view"]},
    ],
    "rocketchat": [
        {"id": "quality-analyst", "name": "Quality analyst",
         "description": "Reads analytics, reports and closed chats",
         "privileges": ["view-livechat-analytics", "view-livechat-reports",
                        "view-livechat-current-chats", "view-livechat-rooms",
                        "view-livechat-room-closed-by-another-agent"]},
    ],
    "omni24": [
        {"id": "team-lead", "name": "Team lead",
         "description": "Leads a team of agents: tickets, tasks, inbox reports",
         "privileges": ["conversation.create-ticket", "conversation.update",
                        "conversation.move", "reports.inbox",
                        "reports.export", "task.manage"]},
        {"id": "help-center-editor", "name": "Help center editor",
         "description": "Writes and organises help-center articles",
         "privileges": ["knowledge.manage-articles",
                        "knowledge.manage-categories",
                        "knowledge.customize-docs"]},
    ],
}

# Actions whose answer depends on the agent's state, not only on roles.
STATEFUL_ACTIONS = ("take-inquiry",)

# The policy change the reload benchmark swaps in.
SWAP_ROLE = "omnichannel-agent"
SWAP_GRANT = "quick-reply.add"


# ---- policy files -----------------------------------------------------------

def parse_policy(path):
    """Reads a policy file: roles (grants with depth, includes, requires) and
    privileges (requires).  Keys may repeat; values are space separated."""
    roles, privs = {}, {}
    order = []
    cur = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            m = re.match(r"^\[(\w+)(?:\s+(\S+))?\]$", line)
            if m:
                kind, name = m.group(1), m.group(2)
                if kind == "role":
                    cur = roles.setdefault(name, {
                        "grants": {}, "include": [], "requires": [],
                        "flags": []})
                    order.append(name)
                elif kind == "privilege":
                    cur = privs.setdefault(name, {"requires": []})
                else:
                    cur = None
                continue
            if cur is None or "=" not in line:
                continue
            key, value = (s.strip() for s in line.split("=", 1))
            words = value.split()
            if key == "grant":
                for w in words:
                    priv, _, depth = w.partition(":")
                    cur["grants"][priv] = depth or "organization"
            elif key in ("include", "requires", "flags"):
                cur[key].extend(words)
    return {"roles": roles, "privileges": privs, "order": order}


def effective_grants(pol, role, seen=None):
    """A role's privileges with their depth, includes followed."""
    seen = seen or set()
    if role in seen:
        return {}
    seen.add(role)
    r = pol["roles"][role]
    out = {}
    for inc in r["include"]:
        for p, d in effective_grants(pol, inc, seen).items():
            out[p] = deeper(out.get(p), d)
    for p, d in r["grants"].items():
        out[p] = deeper(out.get(p), d)
    return out


DEPTHS = ("user", "business-unit", "parent-child", "organization")


def deeper(a, b):
    if a is None:
        return b
    return a if DEPTHS.index(a) >= DEPTHS.index(b) else b


def build_model(policy_dir):
    model = {}
    for svc in SERVICES:
        pol = parse_policy(os.path.join(policy_dir, POLICY_FILES[svc]))
        roles = {}
        for rid in pol["order"]:
            roles[rid] = {
                "grants": effective_grants(pol, rid),
                "prereqs": list(pol["roles"][rid]["requires"]),
            }
        custom = {}
        for c in CUSTOM_ROLES[svc]:
            if c["id"] in pol["roles"]:
                sys.exit("gen-tenant: custom role %s of %s is a role of %s"
                         % (c["id"], svc, POLICY_FILES[svc]))
            missing = [p for p in c["privileges"] if p not in pol["privileges"]]
            if missing:
                sys.exit("gen-tenant: custom role %s of %s names unknown "
                         "privileges %s" % (c["id"], svc, missing))
            custom[c["id"]] = {"grants": {p: "organization"
                                          for p in c["privileges"]},
                               "prereqs": [], "name": c["name"],
                               "description": c["description"]}
        model[svc] = {
            "policy": POLICY_FILES[svc],
            "privileges": {p: {"requires": v["requires"]}
                           for p, v in pol["privileges"].items()},
            "roles": roles,
            "custom_roles": custom,
        }
    return model


# ---- tenants ----------------------------------------------------------------

class Tenant:
    """One product's users and organisation for one size."""

    def __init__(self, service):
        self.service = service
        self.users = []          # dicts: id, name, class, roles, attrs...
        self.by_class = {"agent": [], "supervisor": [], "admin": []}
        self.bus = []            # (name, parent)
        self.bu_parent = {}
        self.leaf_bus = []
        self.units = []
        self.departments = []    # dicts: name, unit, max_chats
        self.dept = {}
        self.settings = {}

    def add(self, u):
        self.users.append(u)
        self.by_class[u["class"]].append(u)


def counts(n):
    return {"agent": n,
            "supervisor": max(1, n // AGENTS_PER_SUPERVISOR),
            "admin": max(1, n // AGENTS_PER_ADMIN)}


def user_ids(cls, n):
    width = len(str(n))
    prefix = {"agent": "agent", "supervisor": "sup", "admin": "admin"}[cls]
    return ["%s-%0*d" % (prefix, width, i + 1) for i in range(n)]


def bu_tree(t, n):
    nleaves = max(MIN_LEAF_BUS, n // AGENTS_PER_LEAF_BU)
    nregions = max(2, int(round(math.sqrt(nleaves))))
    root = "contoso"
    t.bus.append((root, None))
    regions = ["region-%02d" % (i + 1) for i in range(nregions)]
    for r in regions:
        t.bus.append((r, root))
    for i in range(nleaves):
        r = regions[i % nregions]
        leaf = "%s-team-%02d" % (r, i // nregions + 1)
        t.bus.append((leaf, r))
        t.leaf_bus.append(leaf)
    t.bu_parent = {name: parent for name, parent in t.bus}
    return root, regions


def gen_dynamics(rng, n):
    t = Tenant("dynamics365")
    root, regions = bu_tree(t, n)
    c = counts(n)
    for i, uid in enumerate(user_ids("agent", c["agent"])):
        roles = ["basic-user", "omnichannel-agent"]
        if rng.random() < 0.30:
            roles.append("customer-service-representative")
        if rng.random() < 0.10:
            roles.append("productivity-tools-user")
        if rng.random() < 0.03:
            roles.append("case-reviewer")
        if rng.random() < 0.01:
            roles.remove("basic-user")  # a common misconfiguration
        t.add({"id": uid, "class": "agent", "roles": roles,
               "bu": t.leaf_bus[(i * 7 + rng.randrange(3)) %
                                len(t.leaf_bus)]})
    for i, uid in enumerate(user_ids("supervisor", c["supervisor"])):
        roles = ["basic-user", "omnichannel-supervisor"]
        if rng.random() < 0.5:
            roles.append("productivity-tools-user")
        t.add({"id": uid, "class": "supervisor", "roles": roles,
               "bu": t.leaf_bus[i % len(t.leaf_bus)]})
    for i, uid in enumerate(user_ids("admin", c["admin"])):
        roles = ["basic-user", "system-administrator",
                 "omnichannel-administrator"]
        if rng.random() < 0.5:
            roles.append("productivity-tools-administrator")
        if rng.random() < 0.10:
            roles.remove("system-administrator")
        bu = root if i % 3 == 0 else regions[i % len(regions)]
        t.add({"id": uid, "class": "admin", "roles": roles, "bu": bu})
    return t


def gen_rocketchat(rng, n):
    t = Tenant("rocketchat")
    c = counts(n)
    ndept = max(1, n // AGENTS_PER_DEPARTMENT)
    nunit = max(1, -(-ndept // DEPARTMENTS_PER_UNIT))
    t.units = ["unit-%03d" % (i + 1) for i in range(nunit)]
    for i in range(ndept):
        d = {"name": "dept-%04d" % (i + 1),
             "unit": t.units[i // DEPARTMENTS_PER_UNIT],
             "max_chats": rng.choice((3, 4, 6)) if rng.random() < 0.3
             else None}
        t.departments.append(d)
        t.dept[d["name"]] = d
    t.settings = {"default_max_chats": str(DEFAULT_MAX_CHATS)}
    for i, uid in enumerate(user_ids("agent", c["agent"])):
        roles = ["user", "livechat-agent"]
        if rng.random() < 0.05:
            roles.append("quality-analyst")
        depts = [t.departments[(i // AGENTS_PER_DEPARTMENT) % ndept]["name"]]
        if ndept > 1 and rng.random() < 0.10:
            other = t.departments[rng.randrange(ndept)]["name"]
            if other not in depts:
                depts.append(other)
        t.add({"id": uid, "class": "agent", "roles": roles,
               "departments": depts,
               "status": "available" if rng.random() < 0.85
               else "unavailable",
               "max_chats": rng.randint(2, 8) if rng.random() < 0.4
               else None})
    for i, uid in enumerate(user_ids("supervisor", c["supervisor"])):
        t.add({"id": uid, "class": "supervisor",
               "roles": ["user", "livechat-monitor"],
               "units": [t.units[i % nunit]], "status": "available"})
    for i, uid in enumerate(user_ids("admin", c["admin"])):
        roles = ["user", "livechat-manager"]
        if i == 0:
            roles.append("admin")
        t.add({"id": uid, "class": "admin", "roles": roles,
               "status": "available"})
    return t


def gen_omni24(rng, n):
    t = Tenant("omni24")
    c = counts(n)
    for uid in user_ids("agent", c["agent"]):
        roles = ["agent"]
        if rng.random() < 0.05:
            roles.append("help-center-editor")
        t.add({"id": uid, "class": "agent", "roles": roles})
    for uid in user_ids("supervisor", c["supervisor"]):
        t.add({"id": uid, "class": "supervisor",
               "roles": ["agent", "team-lead"]})
    for i, uid in enumerate(user_ids("admin", c["admin"])):
        t.add({"id": uid, "class": "admin",
               "roles": ["account-owner"] if i == 0 else ["admin"]})
    return t


GENERATORS = {"dynamics365": gen_dynamics, "rocketchat": gen_rocketchat,
              "omni24": gen_omni24}


def directory_json(t, model):
    svc = {"name": t.service, "settings": dict(t.settings),
           "business_units": [{"name": b, "parent": p} for b, p in t.bus],
           "units": [{"name": u} for u in t.units],
           "departments": [], "custom_roles": [], "users": []}
    for d in t.departments:
        item = {"name": d["name"], "unit": d["unit"]}
        if d["max_chats"]:
            item["max_chats"] = d["max_chats"]
        svc["departments"].append(item)
    for cid, c in model[t.service]["custom_roles"].items():
        svc["custom_roles"].append({"id": cid, "name": c["name"],
                                    "description": c["description"],
                                    "privileges": sorted(c["grants"])})
    for u in t.users:
        item = {"id": u["id"], "name": display_name(u)}
        if u.get("bu"):
            item["bu"] = u["bu"]
        if u.get("status"):
            item["status"] = u["status"]
        if u.get("max_chats"):
            item["max_chats"] = u["max_chats"]
        item["roles"] = list(u["roles"])
        item["departments"] = list(u.get("departments", []))
        item["units"] = list(u.get("units", []))
        svc["users"].append(item)
    return {"format": "rolegate-directory", "version": 1, "services": [svc]}


def display_name(u):
    kind, _, num = u["id"].partition("-")
    return "%s %s" % ({"agent": "Agent", "sup": "Supervisor",
                       "admin": "Administrator"}[kind], num.lstrip("0"))


def subject_attrs(u):
    """The attributes an ad-hoc subject carries (the directory's, else)."""
    a = [("id", u["id"])]
    if u.get("bu"):
        a.append(("bu", u["bu"]))
    if u.get("departments"):
        a.append(("departments", ",".join(u["departments"])))
    if u.get("units"):
        a.append(("units", ",".join(u["units"])))
    if u.get("status"):
        a.append(("status", u["status"]))
    if u.get("max_chats"):
        a.append(("max_chats", str(u["max_chats"])))
    return a


def fmt_attrs(attrs):
    return "|".join("%s=%s" % kv for kv in attrs) if attrs else "-"


# ---- expected decisions -------------------------------------------------------

def granting(model, svc, u, action):
    """(role, depth) for each of the user's roles that makes action
    effective, and whether a prerequisite blocked one."""
    m = model[svc]
    roles = set(u["roles"])
    priv = m["privileges"].get(action)
    if priv is None:
        return [], False
    out, blocked = [], False
    for r in u["roles"]:
        info = m["roles"].get(r) or m["custom_roles"].get(r)
        if not info or action not in info["grants"]:
            continue
        if not set(info["prereqs"]) <= roles or \
                not set(priv["requires"]) <= roles:
            blocked = True
            continue
        out.append((r, info["grants"][action]))
    return out, blocked


def bu_within(t, top, unit):
    while unit is not None:
        if unit == top:
            return True
        unit = t.bu_parent.get(unit)
    return False


def decide(model, t, u, action, attrs):
    """The decision the product semantics give (see products.md)."""
    grants, _ = granting(model, t.service, u, action)
    if not grants:
        return "deny"
    a = dict(attrs)
    if t.service == "dynamics365" and "bu" in a:
        target = a["bu"]
        if target not in t.bu_parent:
            return "deny"
        for _, depth in grants:
            if depth == "organization" or \
               (depth == "parent-child" and bu_within(t, u["bu"], target)) or \
               (depth == "business-unit" and target == u["bu"]):
                return "allow"
        return "deny"
    if t.service == "rocketchat":
        return decide_rocketchat(t, u, action, a, grants)
    if t.service == "omni24" and "owner" in a:
        return "allow" if a["owner"] == u["id"] else "deny"
    return "allow"


def decide_rocketchat(t, u, action, a, grants):
    dept = a.get("department")
    if dept is not None:
        d = t.dept.get(dept)
        if d is None:
            return "deny"
        ok = False
        for role, _ in grants:
            if role in ("admin", "livechat-manager"):
                ok = True
            elif role == "livechat-monitor":
                ok = ok or not t.units or d["unit"] in u.get("units", []) \
                    or dept in u.get("departments", [])
            elif action == "view-livechat-queue":
                ok = ok or dept in u.get("departments", [])
            else:
                ok = True
        if not ok:
            return "deny"
    if action == "take-inquiry":
        # Rocket.Chat 7.x: an agent takes a chat when available and
        # connected (away depends on a setting; the bench says online).
        if u.get("status") != "available" or a.get("connection") != "online":
            return "deny"
        dept_limit, agent_limit = chat_limits(t, u, dept)
        for limit, key in ((dept_limit, "department_open_chats"),
                           (agent_limit, "open_chats")):
            if limit and (key not in a or int(a[key]) >= limit):
                return "deny"
    return "allow"


def chat_limits(t, u, dept):
    """Rocket.Chat 7.x's two limits (0: none): the department's open chats
    below its max_chats when set, and the agent's below its own, else the
    workspace's (isAgentWithinChatLimits)."""
    d = t.dept.get(dept) if dept else None
    dept_limit = d["max_chats"] if d and d["max_chats"] else 0
    agent_limit = u.get("max_chats") or \
        int(t.settings.get("default_max_chats", "0"))
    return dept_limit, agent_limit


# ---- the request mix ------------------------------------------------------------

def held(model, svc, u, cache={}):
    """Privileges the user holds effectively, in a stable order (the same
    for every user with the same roles)."""
    key = (svc, tuple(u["roles"]))
    if key not in cache:
        cache[key] = sorted(p for p in model[svc]["privileges"]
                            if granting(model, svc, u, p)[0])
    return cache[key]


def weighted(rng, pairs):
    x = rng.random() * sum(w for _, w in pairs)
    for item, w in pairs:
        x -= w
        if x < 0:
            return item
    return pairs[-1][0]


def scoped_request(rng, model, t, u, want_deny):
    """A request naming a business unit, department or owner, or None."""
    svc = t.service
    if svc == "dynamics365":
        acts = [p for p in held(model, svc, u) if p.startswith("user.")]
        if not acts:
            return None
        action = rng.choice(acts)
        if want_deny:
            others = [b for b in t.leaf_bus if b != u["bu"]]
            return action, [("bu", rng.choice(others))]
        return action, [("bu", u["bu"])]
    if svc == "rocketchat":
        return scoped_rocketchat(rng, t, u, want_deny)
    if svc == "omni24":
        action = rng.choice(("profile.edit-own", "availability.set-own"))
        if want_deny:
            return action, [("owner", rng.choice(t.users)["id"])]
        return action, [("owner", u["id"])]
    return None


def other_department(rng, t, mine):
    """A department not in mine (any one when there is no other)."""
    for _ in range(len(t.departments) * 2):
        d = rng.choice(t.departments)["name"]
        if d not in mine:
            return d
    return rng.choice(t.departments)["name"]


def scoped_rocketchat(rng, t, u, want_deny):
    depts = [d["name"] for d in t.departments]
    if u["class"] == "agent":
        own = rng.choice(u["departments"])
        if rng.random() < 0.5:
            dept = other_department(rng, t, u["departments"]) \
                if want_deny else own
            return "view-livechat-queue", [("department", dept)]
        dept_limit, agent_limit = chat_limits(t, u, own)
        counts = []
        for limit in (dept_limit or DEFAULT_MAX_CHATS,
                      agent_limit or DEFAULT_MAX_CHATS):
            counts.append(limit + rng.randrange(2) if want_deny
                          else rng.randrange(limit))
        return "take-inquiry", [("department", own),
                                ("department_open_chats", str(counts[0])),
                                ("open_chats", str(counts[1])),
                                ("connection", "online")]
    if u["class"] == "supervisor":
        action = rng.choice(("view-livechat-analytics",
                             "view-livechat-current-chats",
                             "transfer-livechat-guest",
                             "manage-livechat-agents"))
        inside = [d["name"] for d in t.departments
                  if d["unit"] in u["units"]]
        if want_deny and len(inside) < len(depts):
            return action, [("department",
                             other_department(rng, t, set(inside)))]
        return action, [("department", rng.choice(inside or depts))]
    action = rng.choice(("manage-livechat-departments",
                         "view-livechat-rooms", "remove-livechat-department"))
    return action, [("department", rng.choice(depts))]


def gen_requests(rng, model, tenants, n):
    rows = []
    for _ in range(n):
        svc = weighted(rng, SERVICE_WEIGHTS)
        t = tenants[svc]
        cls = weighted(rng, CLASS_WEIGHTS)
        u = rng.choice(t.by_class[cls])
        want_deny = rng.random() < P_DENY
        req = None
        if rng.random() < P_SCOPED:
            req = scoped_request(rng, model, t, u, want_deny)
        if req is None:
            mine = held(model, svc, u)
            allp = list(model[svc]["privileges"])
            mine_set = set(mine)
            pool = [p for p in allp if p not in mine_set] if want_deny \
                else mine
            req = (rng.choice(pool or allp), [])
        action, attrs = req
        if action in STATEFUL_ACTIONS and not attrs:
            # A gateway asking take-inquiry says how many chats are open
            # and the agent's connection.
            limit = chat_limits(t, u, None)[1] or DEFAULT_MAX_CHATS
            attrs = [("open_chats", str(rng.randrange(limit + 2))),
                     ("connection", "online")]
        expect = decide(model, t, u, action, attrs)
        _, blocked = granting(model, svc, u, action)
        if attrs or action in STATEFUL_ACTIONS:
            kind = "scope"
        elif blocked or lacks_prereq(model, svc, u):
            kind = "prereq"
        else:
            kind = "rbac"
        rows.append((svc, u["id"], action, fmt_attrs(attrs), expect, kind))
    return rows


def lacks_prereq(model, svc, u):
    roles = set(u["roles"])
    m = model[svc]
    for r in u["roles"]:
        info = m["roles"].get(r)
        if info and not set(info["prereqs"]) <= roles:
            return True
    return False


# ---- configuration without a directory -------------------------------------------

def write_tenant_files(outdir, tenants):
    t = tenants["dynamics365"]
    with open(os.path.join(outdir, "tenant-dynamics365.ini"), "w") as f:
        f.write("# generated by bench/gen-tenant.py\n[tenant]\n"
                "name = Benchmark tenant\nroot = %s\n\n[business-units]\n"
                % t.bus[0][0])
        for name, parent in t.bus[1:]:
            f.write("%s = %s\n" % (name, parent))
    t = tenants["rocketchat"]
    with open(os.path.join(outdir, "tenant-rocketchat.ini"), "w") as f:
        f.write("# generated by bench/gen-tenant.py\n[tenant]\n"
                "max_chats = %s\n" % t.settings["default_max_chats"])
        for unit in t.units:
            f.write("\n[unit %s]\nname = %s\n" % (unit, unit))
        for d in t.departments:
            f.write("\n[department %s]\nname = %s\nunit = %s\n"
                    % (d["name"], d["name"], d["unit"]))
            if d["max_chats"]:
                f.write("max_chats = %d\n" % d["max_chats"])


def policy_copy(policy_dir, svc, model, dst, swap):
    """The shipped policy with the custom roles as policy roles."""
    with open(os.path.join(policy_dir, POLICY_FILES[svc])) as f:
        text = f.read()
    if swap:
        text = swap_policy(text)
    text += "\n# ---- generated by bench/gen-tenant.py: custom roles\n"
    for cid, c in model[svc]["custom_roles"].items():
        text += ("\n[role %s]\nname = %s\ndescription = %s\nflags = custom\n"
                 "grant = %s\n" % (cid, c["name"], c["description"],
                                   " ".join(sorted(c["grants"]))))
    with open(dst, "w") as f:
        f.write(text)


def swap_policy(text):
    """Adds SWAP_GRANT to SWAP_ROLE: the policy change a reload swaps in."""
    head = "[role %s]\n" % SWAP_ROLE
    if head not in text:
        sys.exit("gen-tenant: no %s in the policy" % head.strip())
    return text.replace(head, head + "grant = %s\n" % SWAP_GRANT, 1)


def write_adhoc_confs(outdir, policy_dir, model):
    for swap in (False, True):
        suffix = "-swap" if swap else ""
        for svc in SERVICES:
            policy_copy(policy_dir, svc, model,
                        os.path.join(outdir, "policy-%s%s.ini" % (svc, suffix)),
                        swap and svc == "dynamics365")
        with open(os.path.join(outdir, "adhoc%s.conf" % suffix), "w") as f:
            f.write("# generated by bench/gen-tenant.py: the benchmark "
                    "tenant without a directory\n[rolegate]\n"
                    "log_level = err\n\n"
                    "[service dynamics365]\nstack = required dynamics365 "
                    "policy=policy-dynamics365%s.ini "
                    "tenant=tenant-dynamics365.ini\n\n"
                    "[service rocketchat]\nstack = required rocketchat "
                    "policy=policy-rocketchat%s.ini edition=enterprise "
                    "tenant=tenant-rocketchat.ini\n\n"
                    "[service omni24]\nstack = required omni24 "
                    "policy=policy-omni24%s.ini\n" % (suffix, suffix, suffix))


def write_swap_config(out, policy_dir):
    """bench's copy of the shipped configuration and policies, with the
    dynamics365 policy changed."""
    d = os.path.join(out, "swap")
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(policy_dir):
        if name.endswith((".ini", ".conf")):
            shutil.copyfile(os.path.join(policy_dir, name),
                            os.path.join(d, name))
    p = os.path.join(d, POLICY_FILES["dynamics365"])
    with open(p) as f:
        text = swap_policy(f.read())
    with open(p, "w") as f:
        f.write(text)


# ---- main -------------------------------------------------------------------

def write_tsv(path, header, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write("# " + "\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(r) + "\n")


def generate_size(args, model, n):
    rng = random.Random("%d/%d" % (args.seed, n))
    outdir = os.path.join(args.out, "tenant-%d" % n)
    os.makedirs(outdir, exist_ok=True)
    tenants = {svc: GENERATORS[svc](rng, n) for svc in SERVICES}
    users = []
    for svc in SERVICES:
        t = tenants[svc]
        with open(os.path.join(outdir, "directory-%s.json" % svc), "w") as f:
            # dumps, not dump: the C encoder is many times faster.
            f.write(json.dumps(directory_json(t, model),
                               separators=(",", ":")))
        for u in t.users:
            users.append((svc, u["id"], ",".join(u["roles"]),
                          fmt_attrs(subject_attrs(u))))
    write_tsv(os.path.join(outdir, "users.tsv"),
              ("service", "user", "roles", "attrs"), users)
    rows = gen_requests(rng, model, tenants, args.requests)
    write_tsv(os.path.join(outdir, "requests.tsv"),
              ("service", "user", "action", "attrs", "expect", "kind"), rows)
    write_tenant_files(outdir, tenants)
    write_adhoc_confs(outdir, args.policies, model)
    ndeny = sum(1 for r in rows if r[4] == "deny")
    nscope = sum(1 for r in rows if r[5] == "scope")
    print("tenant %6d agents: %6d users, %d requests (%.0f%% denied, "
          "%.0f%% scoped)" % (n, len(users), len(rows),
                              100.0 * ndeny / len(rows),
                              100.0 * nscope / len(rows)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--policies", required=True,
                    help="the shipped policies directory")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)),
                    help="agents per tenant, comma separated")
    ap.add_argument("--requests", type=int, default=NREQUESTS,
                    help="requests in each mix")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model = build_model(args.policies)
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(model, f, indent=1, sort_keys=True)
    write_swap_config(args.out, args.policies)
    for n in (int(s) for s in args.sizes.split(",")):
        generate_size(args, model, n)


if __name__ == "__main__":
    main()
