'use strict';
/*
 * cedar-bench.js - Cedar (@cedar-policy/cedar-wasm) on the benchmark
 * tenant, in its idiomatic form: users are entities whose parents are
 * their roles, one permit policy per role and service generated from the
 * same role grants as rolegate's policy files (bench/work/model.json),
 * with the role's prerequisite roles, and any role a privilege requires,
 * as "when { principal in Role::... }" conditions.  Each request passes its
 * principal entity (built once per user, as an application's user cache
 * would) and asks isAuthorized.
 *
 * Measured two ways: statefulIsAuthorized on a policy set parsed once
 * (preparsePolicySet), the fast path, which the ratios use; and the
 * stateless isAuthorized that parses the policy text on every call.
 * Scope (business units, departments, owners) is not modelled.
 *
 *   node cedar-bench.js --model model.json --users users.tsv
 *        --requests requests.tsv --checks N --tag TAG
 */
const common = require('./common');

const PSET = 'rolegate-bench';
/* The stateless call parses every policy each time: far fewer checks. */
const STATELESS_DIVISOR = 20;

function role(service, id) {
  return `Role::${JSON.stringify(`${service}/${id}`)}`;
}

function action(service, id) {
  return `Action::${JSON.stringify(`${service}:${id}`)}`;
}

function permit(service, roleId, privs, needs) {
  const acts = privs.map((p) => action(service, p)).join(', ');
  const cond = needs.length
    ? ` when { ${needs.map((n) => `principal in ${role(service, n)}`)
        .join(' && ')} }`
    : '';
  return `permit (principal in ${role(service, roleId)}, ` +
         `action in [${acts}], resource == Service::"${service}")${cond};`;
}

/* One policy per role, plus one per privilege that needs roles itself. */
function policyText(model) {
  const out = [];
  for (const service of Object.keys(model)) {
    const privs = model[service].privileges;
    for (const [id, r] of Object.entries(common.serviceRoles(model, service))) {
      const plain = r.privileges.filter((p) => !privs[p].requires.length);
      if (plain.length)
        out.push(permit(service, id, plain, r.prereqs));
      for (const p of r.privileges.filter((q) => privs[q].requires.length))
        out.push(permit(service, id, [p],
                        [...new Set([...r.prereqs, ...privs[p].requires])]));
    }
  }
  return out.join('\n');
}

function entityOf(u) {
  return {
    uid: { type: 'User', id: `${u.service}/${u.id}` },
    attrs: {},
    parents: u.roles.map((r) => ({ type: 'Role', id: `${u.service}/${r}` })),
  };
}

function allowed(ans) {
  if (ans.type !== 'success') {
    if (!allowed.reported) {
      console.log(`cedar: failure: ${JSON.stringify(ans.errors)}`);
      allowed.reported = true;
    }
    return false;
  }
  return ans.response.decision === 'allow';
}

async function main() {
  const a = common.parseArgs(process.argv);
  let cedar;
  try {
    cedar = require('@cedar-policy/cedar-wasm/nodejs');
  } catch (e) {
    console.log(`cedar: not installed (${e.code || e.message}); skipped`);
    common.result(a.tag, 'available', 0);
    return;
  }
  const model = common.loadModel(a.model);
  const users = common.loadUsers(a.users);
  const reqs = common.loadRequests(a.requests);
  const text = policyText(model);
  const entity = new Map();
  for (const u of users)
    entity.set(`${u.service}\t${u.id}`, [entityOf(u)]);

  const t0 = common.nowNs();
  const parsed = cedar.preparsePolicySet(PSET, { staticPolicies: text });
  if (parsed.type !== 'success')
    throw new Error(`policy set: ${JSON.stringify(parsed.errors)}`);
  const loadMs = Number(common.nowNs() - t0) / 1e6;
  const npol = text.split('\n').length;
  console.log(`cedar ${cedar.getCedarVersion()}: ${npol} policies parsed ` +
              `in ${loadMs.toFixed(1)} ms, ${users.length} user entities`);
  common.result(a.tag, 'available', 1);
  common.result(a.tag, 'load_ms', loadMs.toFixed(1));

  const call = (r) => ({
    principal: { type: 'User', id: `${r.service}/${r.user}` },
    action: { type: 'Action', id: `${r.service}:${r.action}` },
    resource: { type: 'Service', id: r.service },
    context: {},
    entities: entity.get(`${r.service}\t${r.user}`),
  });
  const checks = Number(a.checks);
  await common.measure('cedar statefulIsAuthorized', a.tag, reqs, checks,
    (r) => allowed(cedar.statefulIsAuthorized(
      Object.assign(call(r), { preparsedPolicySetId: PSET }))), false);
  const policies = { staticPolicies: text };
  await common.measure('cedar isAuthorized', `${a.tag}.stateless`, reqs,
    Math.max(1, Math.floor(checks / STATELESS_DIVISOR)),
    (r) => allowed(cedar.isAuthorized(Object.assign(call(r), { policies }))),
    false);
}

main().catch((err) => {
  console.log(`cedar: failed: ${err.stack || err}`);
  process.exitCode = 1;
});
