#!/usr/bin/env python3
"""gen-tenant.py - write a large Rocket.Chat tenant as a rolegate directory
import file (the format `rolegate export` writes), for load and fault tests.

    gen-tenant.py [--users N] [--service NAME] [--seed S] [-o FILE]

The tenant has units, departments in them, a default chat limit, and N
users: mostly agents (livechat-agent, one to three departments, a status and
sometimes a chat limit), some managers and some monitors (livechat-monitor,
one or two units).  The same arguments always give the same file.
"""
import argparse
import json
import random
import sys

UNITS = 10
DEPARTMENTS_PER_UNIT = 5
MANAGER_EVERY = 50  # one user in 50 is a manager
MONITOR_EVERY = 20  # one in 20 a monitor
DEFAULT_MAX_CHATS = 5


def tenant(users, service, seed):
    rng = random.Random(seed)
    units = ["unit-%02d" % u for u in range(UNITS)]
    departments = [
        {"name": "dept-%02d-%d" % (u, d), "unit": units[u],
         "max_chats": rng.choice([None, None, 3, 4])}
        for u in range(UNITS) for d in range(DEPARTMENTS_PER_UNIT)
    ]
    names = [d["name"] for d in departments]
    width = len(str(users))
    people = []
    for i in range(users):
        uid = "user%0*d" % (width, i)
        roles, depts, member_units = ["user"], [], []
        if i % MANAGER_EVERY == 0:
            roles.append("livechat-manager")
        elif i % MONITOR_EVERY == 0:
            roles.append("livechat-monitor")
            member_units = sorted(rng.sample(units, rng.randint(1, 2)))
        else:
            roles.append("livechat-agent")
            depts = sorted(rng.sample(names, rng.randint(1, 3)))
        people.append({
            "id": uid,
            "name": "User %d" % i,
            "bu": None,
            "status": rng.choice(["available", "unavailable"]),
            "max_chats": rng.choice([None, 2, 3, 5]),
            "roles": sorted(roles),
            "departments": depts,
            "units": member_units,
        })
    return {
        "format": "rolegate-directory",
        "version": 1,
        "services": [{
            "name": service,
            "settings": {"default_max_chats": str(DEFAULT_MAX_CHATS)},
            "business_units": [],
            "units": [{"name": u} for u in units],
            "departments": departments,
            "custom_roles": [],
            "users": people,
        }],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=50000)
    ap.add_argument("--service", default="rocketchat")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", default="-")
    args = ap.parse_args()
    if args.users < 0:
        ap.error("--users must be >= 0")
    data = tenant(args.users, args.service, args.seed)
    out = sys.stdout if args.output == "-" else open(args.output, "w")
    with out:
        json.dump(data, out, separators=(",", ":"))
        out.write("\n")


if __name__ == "__main__":
    main()
