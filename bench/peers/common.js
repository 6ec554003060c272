'use strict';
/*
 * common.js - what the peer benchmarks share: reading the generated tenant
 * (bench/gen-tenant.py), timing a fixed number of checks, and printing
 * figures as "RESULT TAG.KEY VALUE" lines for bench/run.sh.
 */
const fs = require('fs');

/* Command-line options: --name value pairs. */
function parseArgs(argv) {
  const out = {};
  for (let i = 2; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length)
      throw new Error('usage: --model F --users F --requests F --checks N --tag T');
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

function dataLines(path) {
  return fs.readFileSync(path, 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#'));
}

function parseAttrs(s) {
  const out = {};
  if (s === '-')
    return out;
  for (const kv of s.split('|')) {
    const eq = kv.indexOf('=');
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/* users.tsv: service, user, roles, attributes. */
function loadUsers(path) {
  return dataLines(path).map((l) => {
    const f = l.split('\t');
    return { service: f[0], id: f[1], roles: f[2] ? f[2].split(',') : [],
             attrs: parseAttrs(f[3]) };
  });
}

/* requests.tsv: service, user, action, attributes, expected, kind. */
function loadRequests(path) {
  return dataLines(path).map((l) => {
    const f = l.split('\t');
    return { service: f[0], user: f[1], action: f[2], attrs: parseAttrs(f[3]),
             expect: f[4] === 'allow', kind: f[5] };
  });
}

function loadModel(path) {
  return JSON.parse(fs.readFileSync(path, 'utf8'));
}

/*
 * Every role of a service, declared and custom, with its privileges and
 * prerequisite roles, and each privilege's own required roles.
 */
function serviceRoles(model, service) {
  const m = model[service];
  const roles = {};
  for (const [id, r] of Object.entries(m.roles))
    roles[id] = { privileges: Object.keys(r.grants), prereqs: r.prereqs };
  for (const [id, r] of Object.entries(m.custom_roles))
    roles[id] = { privileges: Object.keys(r.grants), prereqs: [] };
  return roles;
}

function result(tag, key, value) {
  console.log(`RESULT ${tag}.${key} ${value}`);
}

function nowNs() {
  return process.hrtime.bigint();
}

/*
 * Decides the first requests of the mix once (at most `checks` of them:
 * the agreement with the generator's expectation, per kind), then `checks`
 * checks timed as a whole.  decide(req) returns a boolean, or a Promise of
 * one when isAsync is set.
 */
async function measure(name, tag, reqs, checks, decide, isAsync) {
  const agree = {};
  const total = {};
  for (const r of reqs.slice(0, Math.min(reqs.length, checks))) {
    const ok = isAsync ? await decide(r) : decide(r);
    total[r.kind] = (total[r.kind] || 0) + 1;
    if (ok === r.expect)
      agree[r.kind] = (agree[r.kind] || 0) + 1;
  }
  const t0 = nowNs();
  let allowed = 0;
  for (let i = 0, j = 0; i < checks; i++) {
    const ok = isAsync ? await decide(reqs[j]) : decide(reqs[j]);
    if (ok)
      allowed++;
    if (++j === reqs.length)
      j = 0;
  }
  const secs = Number(nowNs() - t0) / 1e9;
  const rate = checks / secs;
  const kinds = Object.keys(total).sort()
    .map((k) => `${k} ${agree[k] || 0}/${total[k]}`).join(', ');
  console.log(`${name}: ${checks} checks in ${secs.toFixed(2)} s: ` +
              `${rate.toFixed(0)} checks/s; agrees with the expected ` +
              `decision: ${kinds}`);
  result(tag, 'checks_per_s', rate.toFixed(0));
  for (const k of Object.keys(total))
    result(tag, `agree_${k}_pct`,
           (100 * (agree[k] || 0) / total[k]).toFixed(1));
  return rate;
}

module.exports = { parseArgs, loadUsers, loadRequests, loadModel,
                   serviceRoles, result, nowNs, measure };
