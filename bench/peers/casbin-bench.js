'use strict';
/*
 * casbin-bench.js - node-casbin on the benchmark tenant, in its idiomatic
 * form: the RBAC-with-domains model (g = user, role, domain), the domain
 * being the service, with p lines generated from the same role grants as
 * rolegate's policy files (bench/work/model.json) and g lines from the
 * same users, both in a policy CSV file loaded by the file adapter.
 *
 * Plain RBAC with domains has no notion of prerequisite roles or of
 * business-unit and department scope: casbin answers those requests from
 * roles and grants alone (see the agreement figures per kind).
 *
 *   node casbin-bench.js --model model.json --users users.tsv
 *        --requests requests.tsv --checks N --tag TAG --work DIR
 */
const fs = require('fs');
const path = require('path');
const common = require('./common');

const MODEL = `[request_definition]
r = sub, dom, act

[policy_definition]
p = sub, dom, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.act == p.act
`;

function writePolicy(file, model, users) {
  const lines = [];
  for (const service of Object.keys(model)) {
    for (const [role, r] of Object.entries(common.serviceRoles(model, service)))
      for (const priv of r.privileges)
        lines.push(`p, ${role}, ${service}, ${priv}`);
  }
  const np = lines.length;
  for (const u of users)
    for (const role of u.roles)
      lines.push(`g, ${u.id}, ${role}, ${u.service}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return { p: np, g: lines.length - np };
}

async function main() {
  const a = common.parseArgs(process.argv);
  let casbin;
  try {
    casbin = require('casbin');
  } catch (e) {
    console.log(`casbin: not installed (${e.code || e.message}); skipped`);
    common.result(a.tag, 'available', 0);
    return;
  }
  const model = common.loadModel(a.model);
  const users = common.loadUsers(a.users);
  const reqs = common.loadRequests(a.requests);
  fs.mkdirSync(a.work, { recursive: true });
  const modelFile = path.join(a.work, 'casbin-model.conf');
  const policyFile = path.join(a.work, 'casbin-policy.csv');
  fs.writeFileSync(modelFile, MODEL);
  const n = writePolicy(policyFile, model, users);

  const t0 = common.nowNs();
  const e = await casbin.newEnforcer(modelFile, policyFile);
  const loadMs = Number(common.nowNs() - t0) / 1e6;
  console.log(`casbin: ${n.p} p lines, ${n.g} g lines loaded in ` +
              `${loadMs.toFixed(0)} ms`);
  common.result(a.tag, 'available', 1);
  common.result(a.tag, 'load_ms', loadMs.toFixed(1));

  const sync = typeof e.enforceSync === 'function';
  const decide = sync ? (r) => e.enforceSync(r.user, r.service, r.action)
                      : (r) => e.enforce(r.user, r.service, r.action);
  await common.measure(`casbin ${sync ? 'enforceSync' : 'enforce'}`, a.tag,
                       reqs, Number(a.checks), decide, !sync);
}

main().catch((err) => {
  console.log(`casbin: failed: ${err.stack || err}`);
  process.exitCode = 1;
});
