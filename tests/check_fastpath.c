/*
 * check_fastpath.c - the decision table says exactly what the stack says.
 *
 * A check of a directory user without request attributes and without a
 * reason (RG_CHECK_NO_REASON) is answered from the snapshot's decision
 * table (core/table.c), built from the plugins' subject_answers() and the
 * stack's controls applied bit-parallel.  Every test here fills a directory
 * with users holding random role sets (prerequisites met or not), random
 * attributes and custom roles, then asks every user every privilege twice:
 * with a reason (the stack, one plugin call at a time) and without (the
 * table), and requires the same result and status.  rg_directory_tabled()
 * proves the table was there to answer, and the debug log that it did.
 * The product plugins' short ways for a prepared user asked with a reason
 * are held to what an ad-hoc subject of the same roles and attributes
 * gets, reason and all.
 *
 * Environment (set by make check): ROLEGATE_POLICIES, ROLEGATE_TEST_PLUGINS,
 * ROLEGATE_TEST_TESTPLUGINS.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/rolegate.h>

#include "testutil.h"

#define ERRLEN    1024
#define ID_LEN    64
#define SEED      20261122u
#define USERS     60 /* per service */
#define ROLE_ODDS 4  /* each role with probability 1/ROLE_ODDS */
#define ROLES_MAX 64 /* roles a product has, at most */

/*
 * test_scopes asks every user under its first control, every third under
 * the others, each check six ways, with a reason and without; test_stacks
 * makes STACKS random stacks.  Their checks run on one thread, and the
 * address-sanitizer build asks them all.  ThreadSanitizer looks for
 * races here (the library may start a directory watcher) and slows every
 * check down: there, every thirtieth user and a quarter of the stacks
 * still take every path and control, and no longer most of CI's budget
 * (the suite took 270 s of it).
 */
#ifdef __SANITIZE_THREAD__
#define SCOPE_FIRST_STEP 30
#define SCOPE_STEP       30
#define STACKS           40
#else
#define SCOPE_FIRST_STEP 1
#define SCOPE_STEP       3
#define STACKS           160
#endif
#define CUSTOMS    3 /* custom roles tried per service */
#define CUSTOM_MAX 4 /* privileges per custom role, at most */
#define ENTRIES    4 /* entries per random stack, at most */
#define MAX_CHATS  6
#define USER_ATTRS 16 /* attributes and memberships of a user, at most */
/* A valid action id that no plugin of any test service declares. */
#define UNDECLARED_ACTION "no.such.action"

/* A small deterministic generator (xorshift32): the same users each run. */
struct rng {
	uint32_t s;
};

static uint32_t rng_next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 17;
	r->s ^= r->s << 5;
	return r->s;
}

static size_t rng_below(struct rng *r, size_t n)
{
	return n ? rng_next(r) % n : 0;
}

/* ---- Contexts ------------------------------------------------------------ */

static struct tu_env env;
static char *dbpath;

static void open_config(const char *config, const char *plugin_dir)
{
	tu_open_directory(&env, config, plugin_dir, dbpath, 0);
	/* The first problem only: Check's messages are short. */
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0,
	              "%s has %zu problems, first: %s", config,
	              rg_diagnostic_count(env.ctx), rg_diagnostic(env.ctx, 0));
}

/* Opens the rolegate.conf the test wrote into its directory. */
static void open_written(void)
{
	free(env.config);
	env.config = tu_join(env.dir, "rolegate.conf");
	open_config(env.config, env.plugin_dir);
}

static void setup(void)
{
	tu_env_setup(&env);
	dbpath = tu_join(env.dir, "directory.db");
}

static void teardown(void)
{
	tu_env_teardown(&env);
	free(dbpath);
	dbpath = NULL;
}

/* ---- Filling a directory ---------------------------------------------------
 */

static rg_txn *begin(const char *service)
{
	char err[ERRLEN] = "";
	rg_txn *txn = NULL;
	int rc = rg_txn_begin(env.ctx, service, "check_fastpath",
	                      "check_fastpath", &txn, err, sizeof(err));

	ck_assert_msg(rc == RG_OK && txn, "rg_txn_begin %s: %s (%s)", service,
	              rg_status_name(rc), err);
	return txn;
}

static void must(rg_txn *txn, int rc, const char *what, const char *id)
{
	ck_assert_msg(rc == RG_OK, "%s %s: %s: %s", what, id,
	              rg_status_name(rc), rg_txn_error(txn));
}

static void commit(rg_txn *txn)
{
	int rc = rg_txn_commit(txn);

	ck_assert_msg(rc == RG_OK, "rg_txn_commit: %s", rg_status_name(rc));
}

/* The organisation the product plugins read: business units, units,
 * departments (some with a chat limit) and a default limit. */
static const char *const bus[] = {"org", "north", "south", "north-east"};
static const char *const bu_parent[] = {NULL, "org", "org", "north"};
static const char *const units[] = {"apac", "emea"};
static const char *const depts[] = {"sales", "support", "retail", "lobby"};
static const char *const dept_unit[] = {"apac", "apac", "emea", NULL};
static const char *const dept_max[] = {"2", NULL, "4", NULL};
/* Dynamics 365 owner teams: a user holds their roles, at depths measured
 * from the team's unit. */
static const char *const teams[] = {"t-org", "t-north", "t-ne"};
static const char *const team_bu[] = {"org", "north", "north-east"};

static int is_dynamics(const char *service)
{
	return strncmp(service, "dynamics365", strlen("dynamics365")) == 0;
}

static void add_org(const char *service)
{
	rg_txn *txn = begin(service);
	size_t i;

	if (is_dynamics(service))
		for (i = 0; i < RG_COUNTOF(bus); i++)
			must(txn, rg_org_add(txn, "bu", bus[i], bu_parent[i]),
			     "bu", bus[i]);
	if (strncmp(service, "rocketchat", strlen("rocketchat")) == 0) {
		for (i = 0; i < RG_COUNTOF(units); i++)
			must(txn, rg_org_add(txn, "unit", units[i], NULL),
			     "unit", units[i]);
		for (i = 0; i < RG_COUNTOF(depts); i++) {
			must(txn,
			     rg_org_add(txn, "department", depts[i],
			                dept_unit[i]),
			     "department", depts[i]);
			if (dept_max[i])
				must(txn,
				     rg_org_set(txn, "department", depts[i],
				                "max_chats", dept_max[i]),
				     "max_chats", depts[i]);
		}
		must(txn, rg_setting_set(txn, "default_max_chats", "3"),
		     "setting", "default_max_chats");
		/* Chat limits apply only while the waiting queue is on. */
		must(txn, rg_setting_set(txn, "waiting_queue", "on"), "setting",
		     "waiting_queue");
	}
	commit(txn);
}

/* The owner teams (Dynamics 365), each with random roles of the policy. */
static void add_teams(const char *service, struct rng *r)
{
	const rg_service *svc = tu_service(env.ctx, service);
	size_t i, k, nroles = rg_role_count(svc);
	rg_txn *txn = begin(service);

	for (i = 0; i < RG_COUNTOF(teams); i++) {
		char roles[ERRLEN] = "";

		must(txn, rg_org_add(txn, "team", teams[i], team_bu[i]), "team",
		     teams[i]);
		for (k = 0; k < nroles; k++) {
			rg_role_info ri;

			if (rng_below(r, ROLE_ODDS))
				continue;
			rg_role_at(svc, k, &ri);
			if (*roles)
				strcat(roles, ",");
			strcat(roles, ri.id);
		}
		if (*roles)
			must(txn,
			     rg_org_set(txn, "team", teams[i], "roles", roles),
			     "roles", teams[i]);
	}
	commit(txn);
}

/*
 * Custom roles of up to CUSTOM_MAX random privileges, each in its own
 * transaction: a product may refuse one (Omni24 takes only category
 * permissions, Rocket.Chat Community none), which is not this test's
 * business.  Returns how many were made, their ids in ids.
 */
static size_t add_customs(const char *service, struct rng *r,
                          char ids[CUSTOMS][ID_LEN])
{
	const rg_service *svc = tu_service(env.ctx, service);
	size_t k, made = 0, nprivs = rg_privilege_count(svc);

	for (k = 0; k < CUSTOMS && nprivs; k++) {
		const char *privs[CUSTOM_MAX];
		size_t n = 1 + rng_below(r, CUSTOM_MAX), j;
		rg_txn *txn = begin(service);

		for (j = 0; j < n; j++) {
			rg_privilege_info pi;

			rg_privilege_at(svc, rng_below(r, nprivs), &pi);
			privs[j] = pi.id;
		}
		snprintf(ids[made], ID_LEN, "custom-%zu", k);
		if (rg_custom_role_create(txn, ids[made], ids[made], "a test",
		                          privs, n) != RG_OK) {
			rg_txn_abort(txn);
			continue;
		}
		commit(txn);
		made++;
	}
	return made;
}

/* Random attributes of the kind the products read. */
static void add_attrs(rg_txn *txn, const char *service, const char *id,
                      struct rng *r)
{
	static const char *const status[] = {"available", "unavailable"};
	char max[ID_LEN];
	size_t i;

	if (is_dynamics(service) && rng_below(r, ROLE_ODDS))
		must(txn,
		     rg_user_set(txn, id, "bu",
		                 bus[rng_below(r, RG_COUNTOF(bus))]),
		     "bu", id);
	for (i = 0; is_dynamics(service) && i < RG_COUNTOF(teams); i++)
		if (!rng_below(r, ROLE_ODDS))
			must(txn, rg_member_add(txn, id, "team", teams[i]),
			     "team", id);
	if (strncmp(service, "rocketchat", strlen("rocketchat")) != 0)
		return;
	if (rng_below(r, ROLE_ODDS))
		must(txn,
		     rg_user_set(txn, id, "status",
		                 status[rng_below(r, RG_COUNTOF(status))]),
		     "status", id);
	if (rng_below(r, 2)) {
		snprintf(max, sizeof(max), "%zu", rng_below(r, MAX_CHATS));
		must(txn, rg_user_set(txn, id, "max_chats", max), "max_chats",
		     id);
	}
	for (i = 0; i < RG_COUNTOF(depts); i++)
		if (!rng_below(r, ROLE_ODDS))
			must(txn,
			     rg_member_add(txn, id, "department", depts[i]),
			     "department", id);
	for (i = 0; i < RG_COUNTOF(units); i++)
		if (!rng_below(r, ROLE_ODDS))
			must(txn, rg_member_add(txn, id, "unit", units[i]),
			     "unit", id);
}

/*
 * USERS users "u-NN" with random roles (prerequisites met or not), custom
 * roles and attributes.  Each odd user holds the roles of u-00 or of the
 * user before (in turn) and no custom role, with attributes of its own:
 * what a plugin compiles once per role set must still follow each user's
 * attributes.
 */
static void add_users(const char *service, struct rng *r)
{
	const rg_service *svc = tu_service(env.ctx, service);
	char customs[CUSTOMS][ID_LEN], id[ID_LEN];
	size_t ncustom = add_customs(service, r, customs);
	size_t u, i, nroles = rg_role_count(svc);
	rg_txn *txn = begin(service);
	unsigned char first[ROLES_MAX], held[ROLES_MAX];

	ck_assert_uint_le(nroles, ROLES_MAX);
	for (u = 0; u < USERS; u++) {
		int same = u % 2 == 1;

		snprintf(id, sizeof(id), "u-%02zu", u);
		must(txn, rg_user_add(txn, id, NULL), "user", id);
		for (i = 0; i < nroles; i++) {
			rg_role_info ri;

			if (!same)
				held[i] = rng_below(r, ROLE_ODDS) == 0;
			else if (u % 4 == 1)
				held[i] = first[i];
			if (u == 0)
				first[i] = held[i];
			if (!held[i])
				continue;
			rg_role_at(svc, i, &ri);
			must(txn, rg_role_assign(txn, id, ri.id, 0), ri.id, id);
		}
		for (i = 0; i < ncustom && !same; i++)
			if (!rng_below(r, ROLE_ODDS))
				must(txn,
				     rg_role_assign(txn, id, customs[i], 0),
				     customs[i], id);
		add_attrs(txn, service, id, r);
	}
	commit(txn);
}

/* ---- Comparing -------------------------------------------------------------
 */

/*
 * Asks every user of service every privilege with and without a reason,
 * and an unknown user and action without one; the answers must agree.
 * Returns how many checks were compared.
 */
static size_t compare_service(const char *service)
{
	const rg_service *svc = tu_service(env.ctx, service);
	size_t nprivs = rg_privilege_count(svc);

	tu_table_agrees(env.ctx, service, "u-", 2, USERS);
	/* What the table does not hold goes the slow way, and fails closed. */
	{
		rg_decision d;

		ck_assert_int_eq(tu_check(env.ctx, service, "nobody",
		                          "no.such-action", RG_CHECK_NO_REASON,
		                          &d),
		                 RG_ENOUSER);
		ck_assert_int_eq(d.result, RG_DENY);
		if (nprivs) {
			ck_assert_int_eq(tu_check(env.ctx, service, "u-00",
			                          "no.such-action",
			                          RG_CHECK_NO_REASON, &d),
			                 RG_ENOACTION);
			ck_assert_int_eq(d.result, RG_DENY);
		}
	}
	return USERS * nprivs;
}

/* A directory user as an ad-hoc subject: its roles, its attributes and
 * its memberships as KIND + "s", in storage of the caller's. */
struct adhoc {
	char roles[ERRLEN];
	char keys[USER_ATTRS][ID_LEN];
	char values[USER_ATTRS][ERRLEN];
	rg_attr attrs[USER_ATTRS];
	size_t n;
};

static void adhoc_put(struct adhoc *a, const char *key, const char *suffix,
                      const char *value)
{
	ck_assert_uint_lt(a->n, USER_ATTRS);
	snprintf(a->keys[a->n], ID_LEN, "%s%s", key, suffix);
	snprintf(a->values[a->n], ERRLEN, "%s", value);
	a->attrs[a->n].key = a->keys[a->n];
	a->attrs[a->n].value = a->values[a->n];
	a->n++;
}

static int adhoc_fill(void *user, const rg_user_info *u)
{
	struct adhoc *a = user;
	size_t i;

	for (i = 0; i < u->nattrs; i++)
		adhoc_put(a, u->attr_keys[i], "", u->attr_values[i]);
	for (i = 0; i < u->nmembers; i++)
		adhoc_put(a, u->member_kinds[i], "s", u->member_names[i]);
	return 0;
}

/* A Dynamics 365 owner team's member: its teams' roles reach a directory
 * user through the organisation, and the role its reason names may be
 * another than an ad-hoc subject's.  Such a user never takes the short
 * way (d365_prep_plain()), which is what the comparison is for. */
static int adhoc_teams(const struct adhoc *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->keys[i], "teams") == 0)
			return 1;
	return 0;
}

/*
 * Every user of service asked every privilege with a reason, without
 * request attributes, as itself (a directory user, whose plugins may
 * answer from what they prepared of the snapshot) and as an ad-hoc subject
 * of the same roles and attributes (which nothing was prepared for): the
 * same result, status, role, missing role and reason, byte for byte.  So
 * a plugin's short way for a prepared user with a reason says what its
 * whole decision says.  Returns the checks.
 */
static size_t adhoc_agrees(const char *service)
{
	const rg_service *svc = tu_service(env.ctx, service);
	size_t u, p, nprivs = rg_privilege_count(svc), n = 0;
	char id[ID_LEN];

	for (u = 0; u < USERS; u++) {
		static struct adhoc a;
		rg_subject who = {NULL, NULL, NULL, 0};

		memset(&a, 0, sizeof(a));
		snprintf(id, sizeof(id), "u-%02zu", u);
		who.user = id;
		ck_assert_int_eq(rg_subject_roles(env.ctx, service, &who,
		                                  a.roles, sizeof(a.roles)),
		                 RG_OK);
		ck_assert_int_eq(
		    rg_user_get(env.ctx, service, id, adhoc_fill, &a), RG_OK);
		if (adhoc_teams(&a))
			continue;
		for (p = 0; p < nprivs; p++) {
			static rg_decision mine, adhoc;
			rg_privilege_info pi;
			rg_request req;
			int s1, s2;

			rg_privilege_at(svc, p, &pi);
			tu_request(&req, service, id, pi.id);
			s1 = rg_check(env.ctx, &req, 0, &mine);
			req.subject.user = NULL;
			req.subject.roles = a.roles;
			req.subject.attrs = a.attrs;
			req.subject.nattrs = a.n;
			s2 = rg_check(env.ctx, &req, 0, &adhoc);
			ck_assert_msg(
			    s1 == s2 && mine.result == adhoc.result &&
			        strcmp(mine.reason, adhoc.reason) == 0 &&
			        strcmp(mine.role, adhoc.role) == 0 &&
			        strcmp(mine.missing, adhoc.missing) == 0,
			    "%s %s %s: as the user %s/%s (%s), ad hoc "
			    "%s/%s (%s), roles %s",
			    service, id, pi.id, rg_result_name(mine.result),
			    rg_status_name(s1), mine.reason,
			    rg_result_name(adhoc.result), rg_status_name(s2),
			    adhoc.reason, a.roles);
			n++;
		}
	}
	ck_assert_uint_gt(n, 0);
	return n;
}

/* Requires got, decided as asked, to be want field by field. */
static void decision_same(const char *how, const rg_request *req, int a,
                          const rg_decision *want, int b,
                          const rg_decision *got)
{
	ck_assert_msg(a == b && want->result == got->result &&
	                  want->status == got->status &&
	                  (want->plugin == got->plugin ||
	                   (want->plugin && got->plugin &&
	                    strcmp(want->plugin, got->plugin) == 0)) &&
	                  strcmp(want->role, got->role) == 0 &&
	                  strcmp(want->missing, got->missing) == 0 &&
	                  strcmp(want->reason, got->reason) == 0,
	              "%s %s %s, %s: the stack %s/%s %s [%s/%s] (%s), "
	              "asked %s/%s %s [%s/%s] (%s)",
	              req->service, req->subject.user, req->action, how,
	              rg_result_name(want->result), rg_status_name(a),
	              want->plugin ? want->plugin : "-", want->role,
	              want->missing, want->reason, rg_result_name(got->result),
	              rg_status_name(b), got->plugin ? got->plugin : "-",
	              got->role, got->missing, got->reason);
}

/* Privilege p of svc (named service) into *pi, resolved: free it. */
static rg_target *priv_target(const rg_service *svc, const char *service,
                              size_t p, rg_privilege_info *pi)
{
	rg_target *t = NULL;

	rg_privilege_at(svc, p, pi);
	ck_assert_int_eq(rg_target_resolve(env.ctx, service, pi->id, &t),
	                 RG_OK);
	return t;
}

/*
 * Every user of service (ids prefix and two digits) asked every privilege
 * with a reason and without request attributes, through rg_check() and
 * rg_check_target(), which may answer from the decision table and
 * rg_decide_rbac() (ABI 1.5, subject_rbac), against the whole stack (a
 * trace always runs it): the same result, status, plugin, role, missing
 * role and reason, byte for byte.  Returns the checks.
 */
static size_t rbac_agrees(const char *service)
{
	const rg_service *svc = tu_service(env.ctx, service);
	size_t u, p, nprivs = rg_privilege_count(svc), n = 0;
	char id[ID_LEN];

	for (p = 0; p < nprivs; p++) {
		rg_privilege_info pi;
		rg_target *t = priv_target(svc, service, p, &pi);

		for (u = 0; u < USERS; u++) {
			static rg_decision want, got;
			rg_request req;
			int a, b;

			snprintf(id, sizeof(id), "u-%02zu", u);
			tu_request(&req, service, id, pi.id);
			a = rg_check(env.ctx, &req, RG_CHECK_TRACE, &want);
			b = rg_check(env.ctx, &req, 0, &got);
			decision_same("rg_check", &req, a, &want, b, &got);
			b = rg_check_target(env.ctx, t, id, strlen(id),
			                    rg_user_hash(id, strlen(id)), NULL,
			                    0, 0, &got);
			decision_same("rg_check_target", &req, a, &want, b,
			              &got);
			n += 2;
		}
		rg_target_free(t);
	}
	return n;
}

/* One Dynamics 365 question both ways; 1 when the reason names a team. */
static int depth_agrees(const char *service, const char *id, const char *action,
                        const rg_attr *attrs, size_t n)
{
	rg_decision with;
	rg_request req;

	tu_request(&req, service, id, action);
	req.attrs = attrs;
	req.nattrs = n;
	tu_quiet_agrees(env.ctx, &req, &with);
	return strstr(with.reason, "through team") != NULL;
}

/*
 * Dynamics 365: every user and privilege on user records, every target
 * unit (and none), with no owner, the user, a team, someone else: the
 * prepared snapshot agrees with decide(), teams or not, and some answers
 * come through a team.  Returns the checks.
 */
static size_t depths_agree(const char *service)
{
	static const char *const keys[] = {NULL, "owner", "owner_team",
	                                   "owner"};
	const rg_service *svc = tu_service(env.ctx, service);
	size_t p, u, b, o, n = 0, through = 0;
	char id[ID_LEN];

	for (p = 0; p < rg_privilege_count(svc); p++) {
		rg_privilege_info pi;

		rg_privilege_at(svc, p, &pi);
		if (strncmp(pi.id, "user.", strlen("user.")) != 0)
			continue;
		for (u = 0; u < USERS * (RG_COUNTOF(bus) + 1); u++)
			for (o = 0; o < RG_COUNTOF(keys); o++) {
				const char *owner[] = {
				    NULL, id, teams[u % RG_COUNTOF(teams)],
				    "someone"};
				rg_attr attrs[2] = {{"bu", NULL},
				                    {keys[o], NULL}};

				b = u % (RG_COUNTOF(bus) + 1);
				snprintf(id, sizeof(id), "u-%02zu",
				         u / (RG_COUNTOF(bus) + 1));
				attrs[0].value =
				    b < RG_COUNTOF(bus) ? bus[b] : NULL;
				attrs[1].value = owner[o];
				/* no unit: the owner alone */
				through += (size_t)depth_agrees(
				    service, id, pi.id, attrs + !attrs[0].value,
				    !!attrs[0].value + !!keys[o]);
				n++;
			}
	}
	ck_assert_uint_gt(through, 0);
	return n;
}

static void fill(const char *service, struct rng *r)
{
	add_org(service);
	if (is_dynamics(service))
		add_teams(service, r);
	add_users(service, r);
}

/* ---- Tests -----------------------------------------------------------------
 */

static size_t targets_agree(const char *service);
static void target_agrees(const rg_target *t, const char *service,
                          const char *user, const char *action,
                          const rg_attr *attrs, size_t nattrs, unsigned flags);

/* The shipped services: every product plugin, both versions and editions. */
START_TEST(test_products)
{
	static const char *const services[] = {
	    "dynamics365", "dynamics365-2019", "rocketchat",
	    "rocketchat-community", "omni24"};
	struct rng r = {SEED};
	char *conf = tu_join(tu_getenv("ROLEGATE_POLICIES"), "rolegate.conf");
	size_t i, n = 0;

	open_config(conf, tu_getenv("ROLEGATE_TEST_PLUGINS"));
	free(conf);
	for (i = 0; i < RG_COUNTOF(services); i++) {
		fill(services[i], &r);
		/* Every product plugin answers in bulk: all users tabled. */
		ck_assert_uint_eq(
		    rg_directory_tabled(env.ctx,
		                        tu_service(env.ctx, services[i])),
		    USERS);
		n += compare_service(services[i]);
		n += adhoc_agrees(services[i]);
		n += rbac_agrees(services[i]);
		/* ... and rg_check_target() answers as rg_check(). */
		n += targets_agree(services[i]);
		if (is_dynamics(services[i]))
			n += depths_agree(services[i]);
	}
	ck_assert_uint_gt(n, USERS * RG_COUNTOF(services));
}
END_TEST

/* Opens one service "helpdesk" of one rbac entry, logging at level. */
static void open_helpdesk(const char *level)
{
	const char *policy = TU_POLICIES "/example-rbac.ini";

	tu_add_plugins(&env, "rbac", NULL);
	free(tu_write(env.dir, "rolegate.conf", 0644,
	              "[rolegate]\ndirectory = %s\nlog_level = %s\n"
	              "[service helpdesk]\nstack = required rbac policy=%s\n",
	              dbpath, level, policy));
	open_written();
}

/* One rbac entry: every user of the directory is in the table. */
START_TEST(test_rbac_tabled)
{
	struct rng r = {SEED};

	open_helpdesk("debug");
	fill("helpdesk", &r);
	ck_assert_uint_eq(
	    rg_directory_tabled(env.ctx, tu_service(env.ctx, "helpdesk")),
	    USERS);
	compare_service("helpdesk");
	/* ... and the table answered: the debug log says so. */
	ck_assert(tu_log_has(&env.log, "(decision table)"));
}
END_TEST

/* One step: a change in its own transaction, then one fast check. */
enum step_op { STEP_USER, STEP_ASSIGN, STEP_UNASSIGN, STEP_REMOVE };
struct step {
	enum step_op op;
	const char *role;   /* STEP_ASSIGN, STEP_UNASSIGN */
	const char *action; /* then checked for "ann" */
	int status;
	rg_result want;
};

static int step_apply(rg_txn *txn, const struct step *st)
{
	switch (st->op) {
	case STEP_USER:
		return rg_user_add(txn, "ann", NULL);
	case STEP_ASSIGN:
		return rg_role_assign(txn, "ann", st->role, 0);
	case STEP_UNASSIGN:
		return rg_role_unassign(txn, "ann", st->role);
	default:
		return rg_user_remove(txn, "ann");
	}
}

/* A change to the directory is in the next snapshot's table, and a
 * target resolved before it answers from that snapshot. */
START_TEST(test_table_follows_directory)
{
	/* agent requires viewer: granted, then blocked when viewer goes. */
	static const struct step steps[] = {
	    {STEP_USER, NULL, "ticket.view", RG_OK, RG_DENY},
	    {STEP_ASSIGN, "viewer", "ticket.view", RG_OK, RG_ALLOW},
	    {STEP_ASSIGN, "agent", "ticket.reply", RG_OK, RG_ALLOW},
	    {STEP_UNASSIGN, "viewer", "ticket.reply", RG_OK, RG_DENY},
	    {STEP_REMOVE, NULL, "ticket.view", RG_ENOUSER, RG_DENY},
	};
	rg_target *view = NULL, *reply = NULL;
	size_t i;

	open_helpdesk("debug");
	/* Resolved before every change: a target follows the snapshots. */
	ck_assert_int_eq(
	    rg_target_resolve(env.ctx, "helpdesk", "ticket.view", &view),
	    RG_OK);
	ck_assert_int_eq(
	    rg_target_resolve(env.ctx, "helpdesk", "ticket.reply", &reply),
	    RG_OK);
	for (i = 0; i < RG_COUNTOF(steps); i++) {
		rg_txn *txn = begin("helpdesk");
		rg_decision d;

		must(txn, step_apply(txn, &steps[i]), "step", "ann");
		commit(txn);
		ck_assert_int_eq(tu_check(env.ctx, "helpdesk", "ann",
		                          steps[i].action, RG_CHECK_NO_REASON,
		                          &d),
		                 steps[i].status);
		ck_assert_msg(d.result == steps[i].want, "step %zu: %s", i,
		              rg_result_name(d.result));
		target_agrees(
		    strcmp(steps[i].action, "ticket.view") == 0 ? view : reply,
		    "helpdesk", "ann", steps[i].action, NULL, 0,
		    RG_CHECK_NO_REASON);
	}
	rg_target_free(view);
	rg_target_free(reply);
}
END_TEST

/*
 * Random stacks of rbac and fixed entries under every control word and
 * random tables of every action (jumps included, some past the end): the
 * bit-parallel stack of the table, and rg_check_batch(), against stack.c's.
 */
static const char *const controls[] = {
    "required",
    "requisite",
    "sufficient",
    "optional",
    "[allow=done deny=reset default=ignore]",
    "[deny=die abstain=ok default=bad]",
    "[allow=ok deny=ignore abstain=reset error=die]",
};
/* Entries besides the one rbac entry (a service declares its roles once);
 * the last answers error, which no table holds. */
static const char *const fixed_entries[] = {
    "fixed result=allow", "fixed result=deny", "fixed result=abstain",
    "fixed result=error"};
#define FIXED_ERROR_ENTRY 3
/* One in CONTROL_WORD_ODDS controls is a word, the others random tables. */
#define CONTROL_WORD_ODDS 3
/* A jump of up to JUMP_MAX entries (some land past the end). */
#define JUMP_MAX 3
static const char *const table_actions[] = {"ok",     "done",  "bad", "die",
                                            "ignore", "reset", "jump"};
static const char *const table_keys[] = {"allow", "deny", "abstain", "error",
                                         "default"};

/* A random control into buf: a word, or a table naming some results.
 * Returns how many jumps it holds. */
static size_t random_control(struct rng *r, char *buf, size_t len)
{
	size_t k, pos = 0, jumps = 0;

	if (rng_below(r, CONTROL_WORD_ODDS) == 0) {
		snprintf(buf, len, "%s",
		         controls[rng_below(r, RG_COUNTOF(controls))]);
		return 0;
	}
	pos += (size_t)snprintf(buf + pos, len - pos, "[");
	for (k = 0; k < RG_COUNTOF(table_keys) && pos < len; k++) {
		const char *act;

		if (rng_below(r, 2) && !(k == RG_COUNTOF(table_keys) - 1 &&
		                         pos == 1)) /* never empty */
			continue;
		act = table_actions[rng_below(r, RG_COUNTOF(table_actions))];
		jumps += strcmp(act, "jump") == 0;
		if (strcmp(act, "jump") == 0)
			pos +=
			    (size_t)snprintf(buf + pos, len - pos, "%s%s=%zu",
			                     pos > 1 ? " " : "", table_keys[k],
			                     1 + rng_below(r, JUMP_MAX));
		else
			pos += (size_t)snprintf(buf + pos, len - pos, "%s%s=%s",
			                        pos > 1 ? " " : "",
			                        table_keys[k], act);
	}
	if (pos < len)
		snprintf(buf + pos, len - pos, "]");
	return jumps;
}

/*
 * Stacks where the order of the rules matters, before the random ones.
 * done stops only a positive stack (the first: a negative one goes on, is
 * reset, then allowed); die stops a negative one; sufficient stops at the
 * first allow.  A NULL plugin is the service's one rbac entry.
 */
struct entry {
	const char *control;
	const char *plugin;
};
#define DENY    "fixed result=deny"
#define ALLOW   "fixed result=allow"
#define ABSTAIN "fixed result=abstain"
static const struct entry tricky[][ENTRIES] = {
    {{"required", DENY},
     {"[allow=done deny=reset default=ignore]", NULL},
     {"[abstain=reset default=ignore]", ABSTAIN},
     {"required", ALLOW}},
    {{"requisite", DENY}, {"required", ALLOW}, {"sufficient", NULL}},
    {{"sufficient", NULL}, {"required", DENY}},
    {{"optional", ABSTAIN}, {"optional", NULL}},
    {{"[allow=reset default=ok]", NULL}, {"optional", ABSTAIN}},
    {{"required", ALLOW},
     {"[deny=die default=ignore]", NULL},
     {"[allow=reset default=ignore]", ALLOW},
     {"optional", ALLOW}},
};

/* A tricky stack's lines. */
static void tricky_lines(char *buf, size_t len, size_t k, const char *policy)
{
	size_t i, pos = 0;

	buf[0] = '\0';
	for (i = 0; i < ENTRIES && tricky[k][i].control && pos < len; i++)
		pos += (size_t)snprintf(
		    buf + pos, len - pos, "stack = %s %s%s\n",
		    tricky[k][i].control,
		    tricky[k][i].plugin ? tricky[k][i].plugin : "rbac policy=",
		    tricky[k][i].plugin ? "" : policy);
}

/* Up to ENTRIES fixed entries, and rbac at a random place among them;
 * *errors tells whether one of them answers error, *jumps counts jumps. */
static void stack_lines(char *buf, size_t len, struct rng *r,
                        const char *policy, int *errors, size_t *jumps)
{
	size_t n = rng_below(r, ENTRIES + 1), at = rng_below(r, n + 1), i;
	size_t pos = 0;
	char control[ERRLEN];

	*errors = 0;
	for (i = 0; i <= n && pos < len; i++) {
		size_t e = rng_below(r, RG_COUNTOF(fixed_entries));

		*jumps += random_control(r, control, sizeof(control));
		if (i == at) {
			pos += (size_t)snprintf(buf + pos, len - pos,
			                        "stack = %s rbac policy=%s\n",
			                        control, policy);
			continue;
		}
		*errors |= e == FIXED_ERROR_ENTRY;
		pos += (size_t)snprintf(buf + pos, len - pos, "stack = %s %s\n",
		                        control, fixed_entries[e]);
	}
}

/* Every user's every privilege in one batch, with and without reasons:
 * the same answers as single checks (table's or stack's).  Each user also
 * asks for an action no plugin declared: denied (RG_ENOACTION) both ways,
 * whatever the stack would answer for a known one. */
static void compare_batch(const char *service)
{
	static const unsigned flag_sets[] = {0, RG_CHECK_NO_REASON};
	const rg_service *svc = tu_service(env.ctx, service);
	size_t nprivs = rg_privilege_count(svc), known = USERS * nprivs;
	size_t n = known + USERS;
	rg_request *reqs = calloc(n, sizeof(*reqs));
	char(*ids)[ID_LEN] = calloc(USERS, sizeof(*ids));
	rg_privilege_info *pi = calloc(nprivs, sizeof(*pi));
	rg_result *res = calloc(n, sizeof(*res));
	int *st = calloc(n, sizeof(*st));
	size_t i, f;

	ck_assert(reqs && ids && pi && res && st);
	for (i = 0; i < nprivs; i++)
		ck_assert_int_eq(rg_privilege_at(svc, i, &pi[i]), RG_OK);
	for (i = 0; i < USERS; i++)
		snprintf(ids[i], ID_LEN, "u-%02zu", i);
	for (i = 0; i < known; i++)
		tu_request(&reqs[i], service, ids[i / nprivs],
		           pi[i % nprivs].id);
	for (i = known; i < n; i++)
		tu_request(&reqs[i], service, ids[i - known],
		           UNDECLARED_ACTION);
	for (f = 0; f < RG_COUNTOF(flag_sets); f++) {
		ck_assert_int_eq(
		    rg_check_batch(env.ctx, reqs, n, flag_sets[f], res, st),
		    RG_OK);
		for (i = 0; i < n; i++) {
			rg_decision d;
			int one = rg_check(env.ctx, &reqs[i], 0, &d);

			ck_assert_msg(st[i] == one && res[i] == d.result,
			              "%s %s %s: batch %s (%s), single %s (%s: "
			              "%s)",
			              service, reqs[i].subject.user,
			              reqs[i].action, rg_result_name(res[i]),
			              rg_status_name(st[i]),
			              rg_result_name(d.result),
			              rg_status_name(one), d.reason);
			if (i >= known)
				ck_assert_msg(st[i] == RG_ENOACTION &&
				                  res[i] == RG_DENY,
				              "%s: an undeclared action: %s",
				              service, d.reason);
		}
	}
	free(reqs);
	free(ids);
	free(pi);
	free(res);
	free(st);
}

/* Opens the written config; the only problems allowed are those that
 * contain allowed. */
static void open_written_allowing(const char *allowed)
{
	size_t i, n;

	free(env.config);
	env.config = tu_join(env.dir, "rolegate.conf");
	tu_open_directory(&env, env.config, env.plugin_dir, dbpath, 0);
	n = rg_diagnostic_count(env.ctx);
	for (i = 0; i < n; i++)
		ck_assert_msg(strstr(rg_diagnostic(env.ctx, i), allowed),
		              "unexpected problem: %s",
		              rg_diagnostic(env.ctx, i));
}

START_TEST(test_stacks)
{
	struct rng r = {SEED};
	const char *policy = TU_POLICIES "/example-rbac.ini";
	char *text = NULL, line[4 * ERRLEN], name[ID_LEN];
	int errors[STACKS] = {0};
	size_t len = 0, i, jumps = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert(f != NULL);
	tu_add_plugins(&env, "rbac", "fixed", NULL);
	fprintf(f, "[rolegate]\ndirectory = %s\n", dbpath);
	/* Every stack has an rbac entry, so that the users have roles. */
	for (i = 0; i < STACKS; i++) {
		if (i < RG_COUNTOF(tricky))
			tricky_lines(line, sizeof(line), i, policy);
		else
			stack_lines(line, sizeof(line), &r, policy, &errors[i],
			            &jumps);
		fprintf(f, "[service s%zu]\n%s", i, line);
	}
	fclose(f);
	free(tu_write(env.dir, "rolegate.conf", 0644, "%s", text));
	free(text);
	/* A jump past the end is reported; the stack then fails on it. */
	open_written_allowing("past the end");
	/* The generator made some of each: jumps, past the end too. */
	ck_assert_uint_gt(jumps, STACKS / 4);
	ck_assert_uint_gt(rg_diagnostic_count(env.ctx), 0);
	for (i = 0; i < STACKS; i++) {
		snprintf(name, sizeof(name), "s%zu", i);
		fill(name, &r);
		/* A plugin that answers error cannot answer in bulk. */
		ck_assert_uint_eq(
		    rg_directory_tabled(env.ctx, tu_service(env.ctx, name)),
		    errors[i] ? 0 : USERS);
		compare_service(name);
		compare_batch(name);
	}
}
END_TEST

/* Stacks the table cannot hold: decided the slow way, and right. */
START_TEST(test_not_tabled)
{
	static const char *const services[] = {"refused", "error",
	                                       "nodirectory"};
	struct rng r = {SEED};
	const char *policy = TU_POLICIES "/example-rbac.ini";
	size_t i;

	tu_add_plugins(&env, "rbac", "fixed", NULL);
	free(tu_write(env.dir, "rolegate.conf", 0644,
	              "[rolegate]\ndirectory = %s\n"
	              "[service refused]\n"
	              "stack = [allow=ok nonsense] fixed result=allow\n"
	              "stack = required rbac policy=%s\n"
	              "[service error]\n"
	              "stack = optional fixed result=error\n"
	              "stack = required rbac policy=%s\n"
	              "[service nodirectory]\n"
	              "stack = required rbac policy=%s\n",
	              dbpath, policy, policy, policy));
	open_written_allowing("'nonsense'");
	for (i = 0; i < 2; i++) {
		fill(services[i], &r);
		ck_assert_uint_eq(
		    rg_directory_tabled(env.ctx,
		                        tu_service(env.ctx, services[i])),
		    0);
		compare_service(services[i]);
	}
	/* A service without users has no table either. */
	ck_assert_uint_eq(
	    rg_directory_tabled(env.ctx, tu_service(env.ctx, "nodirectory")),
	    0);
	ck_assert_uint_eq(rg_directory_tabled(NULL, NULL), 0);
}
END_TEST

/* How many logged lines contain needle. */
static size_t log_count(const char *needle)
{
	size_t i, n = 0;

	for (i = 0; i < env.log.n; i++)
		n += strstr(env.log.lines[i], needle) != NULL;
	return n;
}

/* Opens one service of one stack entry, module args under control,
 * logging at debug (config lint warns of some controls: meant here). */
static void open_one_entry(const char *service, const char *control,
                           const char *module, const char *args,
                           const char *plugin_dir)
{
	free(tu_write(env.dir, "rolegate.conf", 0644,
	              "[rolegate]\ndirectory = %s\nlog_level = debug\n"
	              "[service %s]\nstack = %s %s %s\n",
	              dbpath, service, control, module, args));
	free(env.config);
	env.config = tu_join(env.dir, "rolegate.conf");
	tu_open_directory(&env, env.config, plugin_dir, dbpath, 0);
}

/*
 * A check with a reason of a stack of one rbac entry is answered from the
 * table and rg_decide_rbac(), under any control, as the whole stack would
 * answer it: the entry's answer kept, counted as a failure, ignored, reset
 * or jumping past the end; grants, prerequisites a user lacks, and no
 * grant.  The debug log shows that the table answered.
 */
START_TEST(test_rbac_reasons)
{
	static const char *const one_entry[] = {
	    "required",
	    "requisite",
	    "sufficient",
	    "optional",
	    "[allow=ok deny=ignore default=bad]",
	    "[allow=done deny=ok default=bad]",
	    "[allow=bad deny=die default=bad]",
	    "[allow=reset deny=ok default=bad]",
	    "[allow=1 deny=2 default=bad]",
	};
	const char *args = "policy=" TU_POLICIES "/example-rbac.ini";
	size_t i, n = 0, before;

	tu_add_plugins(&env, "rbac", NULL);
	for (i = 0; i < RG_COUNTOF(one_entry); i++) {
		struct rng r = {SEED};

		open_one_entry("helpdesk", one_entry[i], "rbac", args,
		               env.plugin_dir);
		if (i == 0)
			fill("helpdesk", &r);
		before = log_count(") (decision table)");
		n += rbac_agrees("helpdesk");
		ck_assert_msg(log_count(") (decision table)") > before,
		              "%s: no check with a reason took the table",
		              one_entry[i]);
		tu_close(&env);
	}
	ck_assert_uint_gt(n, 0);
}
END_TEST

/*
 * Prepared snapshots (ABI 1.3), through the fixed plugin's result=prepared,
 * which allows exactly a directory user found at its own index among the
 * users its view_prepare() saw.  "prep" stacks it under rbac, so it must
 * answer as "ref" (rbac and a fixed allow: the same roles, so the same
 * users) both ways, the table's and the stack's; "prepfail" fails its
 * preparation, which the core must
 * release and do without: everything denied.  An ad-hoc subject has no
 * user index; every snapshot prepared is released by the close.
 */
START_TEST(test_prepared)
{
	static const char *const services[] = {"ref", "prep", "prepfail"};
	const char *policy = TU_POLICIES "/example-rbac.ini";
	const rg_service *ref;
	size_t i, u, p, nprivs, allowed = 0;
	char id[ID_LEN], some_id[ID_LEN] = "", some_priv[ID_LEN] = "";
	rg_decision d;

	tu_add_plugins(&env, "rbac", "fixed", NULL);
	free(tu_write(env.dir, "rolegate.conf", 0644,
	              "[rolegate]\ndirectory = %s\nlog_level = info\n"
	              "[service ref]\n"
	              "stack = required rbac policy=%s\n"
	              "stack = required fixed result=allow\n"
	              "[service prep]\n"
	              "stack = required rbac policy=%s\n"
	              "stack = required fixed result=prepared\n"
	              "[service prepfail]\n"
	              "stack = required rbac policy=%s\n"
	              "stack = required fixed result=prepared fail_prepare\n",
	              dbpath, policy, policy, policy));
	open_written();
	for (i = 0; i < RG_COUNTOF(services); i++) {
		struct rng r = {SEED}; /* the same users in each service */

		fill(services[i], &r);
	}
	ck_assert_msg(log_count("prepared 60 users") > 0,
	              "view_prepare() saw every user");
	ck_assert(tu_log_has(&env.log, "preparing the directory snapshot "
	                               "failed: plugin failed; checks are "
	                               "decided without"));
	ref = tu_service(env.ctx, "ref");
	nprivs = rg_privilege_count(ref);
	for (u = 0; u < USERS; u++) {
		snprintf(id, sizeof(id), "u-%02zu", u);
		for (p = 0; p < nprivs; p++) {
			static const unsigned flag_sets[] = {
			    0, RG_CHECK_NO_REASON};
			rg_privilege_info pi;
			rg_decision want;
			size_t f;

			rg_privilege_at(ref, p, &pi);
			tu_check(env.ctx, "ref", id, pi.id, 0, &want);
			if (want.result == RG_ALLOW && !allowed++) {
				snprintf(some_id, sizeof(some_id), "%s", id);
				snprintf(some_priv, sizeof(some_priv), "%s",
				         pi.id);
			}
			for (f = 0; f < RG_COUNTOF(flag_sets); f++) {
				tu_check(env.ctx, "prep", id, pi.id,
				         flag_sets[f], &d);
				ck_assert_msg(d.result == want.result,
				              "prep %s %s: %s (%s), ref %s", id,
				              pi.id, rg_result_name(d.result),
				              d.reason,
				              rg_result_name(want.result));
				tu_check(env.ctx, "prepfail", id, pi.id,
				         flag_sets[f], &d);
				ck_assert_int_eq(d.result, RG_DENY);
			}
		}
	}
	/* Without it, "prep" would have answered nothing like "ref". */
	ck_assert_uint_gt(allowed, 0);
	/* A user rbac allows: the fixed entry's reason decides. */
	tu_check(env.ctx, "prepfail", some_id, some_priv, 0, &d);
	ck_assert_msg(strstr(d.reason, "nothing prepared"), "%s", d.reason);
	/* Explain tries roles the user does not hold: not the user's own,
	 * so no prepared data of the user may vouch for them.  Without
	 * the fixed entry a fix exists; with it none does. */
	{
		static rg_explanation ex;
		rg_request req;
		int found = 0;

		for (u = 0; u < USERS && !found; u++) {
			snprintf(id, sizeof(id), "u-%02zu", u);
			tu_request(&req, "ref", id, some_priv);
			ck_assert_int_eq(rg_explain(env.ctx, &req, &ex), RG_OK);
			found = ex.decision.result == RG_DENY &&
			        ex.nsuggestions > 0;
		}
		ck_assert_msg(found, "no user of ref could be fixed");
		tu_request(&req, "prep", id, some_priv);
		ck_assert_int_eq(rg_explain(env.ctx, &req, &ex), RG_OK);
		ck_assert_int_eq(ex.decision.result, RG_DENY);
		ck_assert_uint_eq(ex.nsuggestions, 0);
	}
	/* An ad-hoc subject reads the snapshot but is no directory user. */
	tu_check(env.ctx, "prep", "@viewer", "ticket.view", 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_msg(strstr(d.reason, "no user index"), "%s", d.reason);
	/* Every prepared snapshot is released, the last ones by the close. */
	tu_close(&env);
	ck_assert_uint_gt(log_count("released 60 users"), 0);
	ck_assert_uint_eq(log_count("prepared "), log_count("released "));
}
END_TEST

/*
 * What the snapshot keeps of a directory user is what a plugin is handed
 * (fixed result=match compares): every attribute, lists whole, for a user
 * whose departments run past what an offset in its sealed block reaches
 * (64 KiB: the units after them are found by walking) as for a plain one.
 * A value that is not the user's is denied.
 */
#define WIDE_DEPTS 600 /* departments of the wide user */
#define DEPT_NAME  110 /* bytes of each name, with its comma */
START_TEST(test_subject_attrs)
{
	static char list[WIDE_DEPTS * DEPT_NAME];
	static const struct {
		const char *user, *key, *value;
		rg_result want;
	} cases[] = {
	    {"wide", "units", "u1", RG_ALLOW},
	    {"wide", "units", "u2", RG_DENY},
	    {"wide", "status", "available", RG_ALLOW},
	    {"wide", "departments", list, RG_ALLOW},
	    {"wide", "departments", "d-000", RG_DENY},
	    {"plain", "units", "u2", RG_ALLOW},
	    {"plain", "units", "u1", RG_DENY},
	    {"plain", "status", "available", RG_DENY},
	};
	char name[DEPT_NAME];
	size_t i, f;
	rg_txn *txn;

	/* orgs declares the units, departments and status it stores. */
	tu_add_plugins(&env, "fixed", "orgs", NULL);
	free(tu_write(env.dir, "rolegate.conf", 0644,
	              "[rolegate]\ndirectory = %s\n"
	              "[service attrs]\n"
	              "stack = required fixed result=match\n"
	              "stack = optional orgs\n",
	              dbpath));
	open_written();
	txn = begin("attrs");
	must(txn, rg_org_add(txn, "unit", "u1", NULL), "unit", "u1");
	must(txn, rg_org_add(txn, "unit", "u2", NULL), "unit", "u2");
	must(txn, rg_user_add(txn, "wide", NULL), "user", "wide");
	must(txn, rg_user_set(txn, "wide", "status", "available"), "status",
	     "wide");
	list[0] = '\0';
	for (i = 0; i < WIDE_DEPTS; i++) {
		snprintf(name, sizeof(name), "d-%03zu-", i);
		memset(name + strlen(name), 'x',
		       sizeof(name) - 1 - strlen(name));
		name[sizeof(name) - 1] = '\0';
		must(txn, rg_org_add(txn, "department", name, NULL),
		     "department", name);
		must(txn, rg_member_add(txn, "wide", "department", name),
		     "department", name);
		if (i)
			strcat(list, ",");
		strcat(list, name);
	}
	ck_assert_uint_gt(strlen(list), UINT16_MAX);
	must(txn, rg_member_add(txn, "wide", "unit", "u1"), "unit", "wide");
	must(txn, rg_user_add(txn, "plain", NULL), "user", "plain");
	must(txn, rg_member_add(txn, "plain", "unit", "u2"), "unit", "plain");
	commit(txn);
	for (i = 0; i < RG_COUNTOF(cases); i++)
		for (f = 0; f < 2; f++) {
			rg_attr attr = {cases[i].key, cases[i].value};
			rg_request req;
			rg_decision d;

			tu_request(&req, "attrs", cases[i].user, "fixed.test");
			req.attrs = &attr;
			req.nattrs = 1;
			ck_assert_int_eq(rg_check(env.ctx, &req,
			                          f ? RG_CHECK_NO_REASON : 0,
			                          &d),
			                 RG_OK);
			ck_assert_msg(d.result == cases[i].want,
			              "%s %s=%.20s: %s (%s)", cases[i].user,
			              cases[i].key, cases[i].value,
			              rg_result_name(d.result), d.reason);
		}
}
END_TEST

/* Asks fixed result=facts as subject, with and without a reason: it
 * allows when RG_ANSWER_NO_FACTS agrees with the counts; the reason must
 * say the flag is want ("set" or "clear"). */
static void facts_agree(const char *subject, const char *want)
{
	static const unsigned flag_sets[] = {0, RG_CHECK_NO_REASON};
	char expect[32];
	size_t f;

	snprintf(expect, sizeof(expect), "flag %s,", want);
	for (f = 0; f < RG_COUNTOF(flag_sets); f++) {
		rg_decision d;

		ck_assert_int_eq(tu_check(env.ctx, "facts", subject,
		                          "fixed.test", flag_sets[f], &d),
		                 RG_OK);
		ck_assert_msg(d.result == RG_ALLOW, "%s (flags %u): %s: %s",
		              subject, flag_sets[f], rg_result_name(d.result),
		              d.reason);
		if (!flag_sets[f])
			ck_assert_msg(strstr(d.reason, expect), "%s: %s",
			              subject, d.reason);
	}
}

/*
 * RG_ANSWER_NO_FACTS (ABI 1.9) says what rg_fact_count() would, for every
 * plugin the stack asks: set without a directory and with a directory that
 * holds no fact (a user is not one), clear as soon as it holds one, for a
 * subject named by its roles and for a directory user.  The product
 * plugins choose their organisation's source by it, so a flag set over
 * facts would make them read their own file where the directory rules.
 */
START_TEST(test_no_facts_flag)
{
	static const char stack[] = "[service facts]\n"
	                            "stack = required fixed result=facts\n"
	                            "stack = optional orgs\n";
	rg_txn *txn;

	tu_add_plugins(&env, "fixed", "orgs", NULL);
	tu_open(&env, "%s", stack);
	facts_agree("@tester", "set");
	tu_close(&env);

	free(tu_write(env.dir, "rolegate.conf", 0644,
	              "[rolegate]\ndirectory = %s\n%s", dbpath, stack));
	open_written();
	txn = begin("facts");
	must(txn, rg_user_add(txn, "ann", NULL), "user", "ann");
	must(txn, rg_role_assign(txn, "ann", "tester", 0), "role", "ann");
	commit(txn);
	facts_agree("@tester", "set");
	facts_agree("ann", "set");

	txn = begin("facts");
	must(txn, rg_org_add(txn, "unit", "u1", NULL), "unit", "u1");
	commit(txn);
	facts_agree("@tester", "clear");
	facts_agree("ann", "clear");
}
END_TEST

/*
 * rg_check_batch() answers each request as rg_check() does: table hits,
 * requests with attributes (the stack), unknown users, actions and
 * services, and an empty request; with and without reasons.
 */
#define BATCH_N (USERS * 3)
START_TEST(test_batch)
{
	static const unsigned flag_sets[] = {0, RG_CHECK_NO_REASON};
	static rg_request reqs[BATCH_N];
	rg_attr attr = {"bu", "north"};
	rg_result res[BATCH_N];
	int st[BATCH_N];
	char ids[BATCH_N][ID_LEN];
	struct rng r = {SEED};
	size_t i, f;

	/* At debug level and below it (each table answer logged or not). */
	open_helpdesk(_i ? "debug" : "warning");
	fill("helpdesk", &r);
	for (i = 0; i < BATCH_N; i++) {
		static const char *const actions[] = {
		    "ticket.view", "ticket.reply", "customer.export",
		    "no.such-action"};

		snprintf(ids[i], ID_LEN, "u-%02zu", i % (USERS + 2));
		tu_request(&reqs[i], i % 17 ? "helpdesk" : "nosuch", ids[i],
		           actions[i % RG_COUNTOF(actions)]);
		if (i % 5 == 0) {
			reqs[i].attrs = &attr;
			reqs[i].nattrs = 1;
		}
	}
	memset(&reqs[BATCH_N - 1], 0, sizeof(reqs[0])); /* incomplete */
	for (f = 0; f < RG_COUNTOF(flag_sets); f++) {
		size_t first = env.log.n, logged;

		ck_assert_int_eq(rg_check_batch(env.ctx, reqs, BATCH_N,
		                                flag_sets[f], res, st),
		                 RG_OK);
		logged = env.log.n - first;
		for (i = 0; i < BATCH_N; i++) {
			rg_decision d;
			int one = rg_check(env.ctx, &reqs[i], flag_sets[f], &d);

			ck_assert_msg(
			    st[i] == one && res[i] == d.result,
			    "request %zu: batch %s (%s), single %s (%s)", i,
			    rg_result_name(res[i]), rg_status_name(st[i]),
			    rg_result_name(d.result), rg_status_name(one));
		}
		/* The batch logs what the single calls log, in order: at
		 * debug level a line for each request decided, table's or
		 * stack's, with its reason (not for an unknown service or
		 * user, whose status says it). */
		ck_assert_uint_eq(env.log.n - first, 2 * logged);
		for (i = 0; i < logged; i++)
			ck_assert_str_eq(env.log.lines[first + i],
			                 env.log.lines[first + logged + i]);
		if (_i)
			ck_assert_uint_gt(logged, BATCH_N / 2);
	}
	/* Without statuses, and bad arguments: everything denied. */
	ck_assert_int_eq(
	    rg_check_batch(env.ctx, reqs, 2, RG_CHECK_NO_REASON, res, NULL),
	    RG_OK);
	res[0] = RG_ALLOW;
	ck_assert_int_eq(
	    rg_check_batch(env.ctx, reqs, 1, RG_CHECK_TRACE, res, st),
	    RG_EINVAL);
	ck_assert_int_eq(res[0], RG_DENY);
	ck_assert_int_eq(st[0], RG_EINVAL);
	res[0] = RG_ALLOW;
	ck_assert_int_eq(rg_check_batch(NULL, reqs, 1, 0, res, st), RG_EINVAL);
	ck_assert_int_eq(res[0], RG_DENY);
	ck_assert_int_eq(rg_check_batch(env.ctx, NULL, 1, 0, res, st),
	                 RG_EINVAL);
	ck_assert_int_eq(rg_check_batch(env.ctx, reqs, 1, 0, NULL, st),
	                 RG_EINVAL);
	ck_assert_int_eq(rg_check_batch(env.ctx, reqs, 0, 0, res, st), RG_OK);
}
END_TEST

/* ---- Resolved once (rg_target) ------------------------------------------ */

/* Asks rg_check() and rg_check_target() the same and requires the same
 * result, status and reason.  The user is handed to rg_check_target() by
 * length, followed by bytes that are not part of it. */
static void target_agrees(const rg_target *t, const char *service,
                          const char *user, const char *action,
                          const rg_attr *attrs, size_t nattrs, unsigned flags)
{
	char slice[ID_LEN + 8];
	size_t len = strlen(user);
	rg_decision want, got;
	rg_request req;
	int a, b;

	tu_request(&req, service, user, action);
	req.attrs = attrs;
	req.nattrs = nattrs;
	a = rg_check(env.ctx, &req, flags, &want);
	memcpy(slice, user, len);
	memcpy(slice + len, "-tail", sizeof("-tail"));
	b = rg_check_target(env.ctx, t, slice, len, rg_user_hash(slice, len),
	                    attrs, nattrs, flags, &got);
	ck_assert_msg(a == b && want.result == got.result,
	              "%s %s %s flags %u: rg_check %s (%s), target %s (%s)",
	              service, user, action, flags, rg_result_name(want.result),
	              rg_status_name(a), rg_result_name(got.result),
	              rg_status_name(b));
	ck_assert_str_eq(want.reason, got.reason);
	ck_assert_uint_eq(want.ntrace, got.ntrace);
}

/* Every user (and two unknown ones) and every privilege of service, with
 * and without a reason, trace and attributes.  Returns the checks. */
static size_t targets_agree(const char *service)
{
	static const unsigned flag_sets[] = {0, RG_CHECK_NO_REASON,
	                                     RG_CHECK_TRACE};
	static const rg_attr attr = {"bu", "north"};
	const rg_service *svc = tu_service(env.ctx, service);
	size_t p, u, f, n = 0;
	char id[ID_LEN];

	for (p = 0; p < rg_privilege_count(svc); p++) {
		rg_privilege_info pi;
		rg_target *t = priv_target(svc, service, p, &pi);

		for (u = 0; u < USERS + 2; u++)
			for (f = 0; f < RG_COUNTOF(flag_sets); f++) {
				snprintf(id, sizeof(id), "u-%02zu", u);
				target_agrees(t, service, id, pi.id, NULL, 0,
				              flag_sets[f]);
				target_agrees(t, service, id, pi.id, &attr, 1,
				              flag_sets[f]);
				n += 2;
			}
		rg_target_free(t);
	}
	return n;
}

/* Checks t with user as given and requires a deny with status. */
static void target_denies(const rg_context *ctx, const rg_target *t,
                          const char *user, size_t len, uint64_t hash,
                          int status)
{
	/* Without a reason the table answers first; with one, not. */
	static const unsigned flags[] = {RG_CHECK_NO_REASON, 0};
	rg_decision d;
	size_t i;

	for (i = 0; i < RG_COUNTOF(flags); i++) {
		d.result = RG_ALLOW;
		ck_assert_int_eq(rg_check_target(ctx, t, user, len, hash, NULL,
		                                 0, flags[i], &d),
		                 status);
		ck_assert_int_eq(d.result, RG_DENY);
		ck_assert_str_ne(d.reason, "");
	}
}

/* Each user asked with another's hash: denied as unknown, or answered as
 * with the right hash. */
static void wrong_hash(const rg_target *t, unsigned flags)
{
	char id[ID_LEN], other[ID_LEN];
	rg_decision right, d;
	size_t u;
	int want, st;

	for (u = 0; u < USERS; u++) {
		snprintf(id, sizeof(id), "u-%02zu", u);
		snprintf(other, sizeof(other), "u-%02zu", (u + 1) % USERS);
		want = rg_check_target(env.ctx, t, id, strlen(id),
		                       rg_user_hash(id, strlen(id)), NULL, 0,
		                       flags, &right);
		st = rg_check_target(env.ctx, t, id, strlen(id),
		                     rg_user_hash(other, strlen(other)), NULL,
		                     0, flags, &d);
		if (st == RG_ENOUSER) {
			ck_assert_int_eq(d.result, RG_DENY);
			continue;
		}
		ck_assert_int_eq(st, want);
		ck_assert_int_eq(d.result, right.result);
	}
}

/* Bad arguments, a wrong hash and a target of another context (a
 * configuration reloaded into a new context) deny, never answer. */
START_TEST(test_target_refuses)
{
	struct rng r = {SEED};
	rg_target *t = NULL, *stale = NULL;
	rg_attr bad = {"bu", NULL};
	rg_decision d;

	open_helpdesk("warning");
	fill("helpdesk", &r);
	/* Resolving: what rg_check() would refuse on every request. */
	ck_assert_int_eq(
	    rg_target_resolve(env.ctx, "nosuch", "ticket.view", &t),
	    RG_ENOSERVICE);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(
	    rg_target_resolve(env.ctx, "helpdesk", UNDECLARED_ACTION, &t),
	    RG_ENOACTION);
	ck_assert_int_eq(rg_target_resolve(NULL, "helpdesk", "ticket.view", &t),
	                 RG_EINVAL);
	ck_assert_int_eq(rg_target_resolve(env.ctx, NULL, "ticket.view", &t),
	                 RG_EINVAL);
	ck_assert_int_eq(rg_target_resolve(env.ctx, "helpdesk", NULL, &t),
	                 RG_EINVAL);
	ck_assert_int_eq(
	    rg_target_resolve(env.ctx, "helpdesk", "ticket.view", NULL),
	    RG_EINVAL);
	rg_target_free(NULL);
	ck_assert_int_eq(
	    rg_target_resolve(env.ctx, "helpdesk", "ticket.view", &t), RG_OK);
	/* A user every check allows, to show that each refusal is one. */
	ck_assert_int_eq(rg_check_target(env.ctx, t, "u-00", 4,
	                                 rg_user_hash("u-00", 4), NULL, 0, 0,
	                                 &d),
	                 RG_OK);
	target_denies(env.ctx, NULL, "u-00", 4, rg_user_hash("u-00", 4),
	              RG_EINVAL);
	target_denies(NULL, t, "u-00", 4, rg_user_hash("u-00", 4), RG_EINVAL);
	target_denies(env.ctx, t, NULL, 4, 0, RG_EINVAL);
	target_denies(env.ctx, t, "u-00", 0, rg_user_hash("u-00", 0),
	              RG_EINVAL);
	/* "u-0" and a NUL: not the user "u-0", nor "u-00". */
	target_denies(env.ctx, t, "u-0\0", 4, rg_user_hash("u-0\0", 4),
	              RG_EINVAL);
	/* A user and NULs after it, with the user's own hash so that the
	 * probe reaches its slot: not the user, though the slot holds the
	 * same bytes and zeros past them (under a word, then two words). */
	target_denies(env.ctx, t, "u-00\0", 5, rg_user_hash("u-00", 4),
	              RG_EINVAL);
	target_denies(env.ctx, t, "u-00\0\0\0\0\0", 9, rg_user_hash("u-00", 4),
	              RG_EINVAL);
	/* A wrong hash finds nobody, or the user itself (the table's probe
	 * may walk on to its slot): never another user's answer. */
	wrong_hash(t, 0);
	wrong_hash(t, RG_CHECK_NO_REASON);
	/* A prefix of a user is not the user. */
	target_denies(env.ctx, t, "u-00", 3, rg_user_hash("u-00", 3),
	              RG_ENOUSER);
	/* An attribute without a value, as rg_check() has it. */
	ck_assert_int_eq(rg_check_target(env.ctx, t, "u-00", 4,
	                                 rg_user_hash("u-00", 4), &bad, 1, 0,
	                                 &d),
	                 RG_EINVAL);
	ck_assert_int_eq(d.result, RG_DENY);
	/* No decision wanted: the same statuses, both ways. */
	ck_assert_int_eq(rg_check_target(env.ctx, t, "u-00", 4,
	                                 rg_user_hash("u-00", 4), NULL, 0, 0,
	                                 NULL),
	                 RG_OK);
	ck_assert_int_eq(rg_check_target(env.ctx, t, "nobody", 6,
	                                 rg_user_hash("nobody", 6), NULL, 0, 0,
	                                 NULL),
	                 RG_ENOUSER);
	{
		rg_request req;

		tu_request(&req, "helpdesk", "u-00", "ticket.view");
		ck_assert_int_eq(rg_check(env.ctx, &req, 0, NULL), RG_OK);
		req.subject.user = "nobody";
		ck_assert_int_eq(rg_check(env.ctx, &req, 0, NULL), RG_ENOUSER);
	}
	/* The configuration opened again: the old target is refused by the
	 * new context, whether or not it landed at the old address. */
	ck_assert_int_eq(
	    rg_target_resolve(env.ctx, "helpdesk", "ticket.view", &stale),
	    RG_OK);
	tu_close(&env);
	open_written();
	target_denies(env.ctx, stale, "u-00", 4, rg_user_hash("u-00", 4),
	              RG_EINVAL);
	rg_target_free(stale);
	rg_target_free(t);
}
END_TEST

/* ---- Compiled scopes (subject_scopes(), ABI 1.6) ------------------------ */

/* How many debug lines say the decision table answered without a reason. */
static size_t scope_log_count(void)
{
	return log_count(": allow (decision table)") +
	       log_count(": deny (decision table)");
}

/* The values every scoped check of user u is asked with: its own id and
 * others, near misses, the organisation's names, nothing and the empty
 * string.  Storage in buf; returns the count. */
static size_t scope_values(size_t u, char (*buf)[ID_LEN], const char **v)
{
	size_t n = 0, i;

	snprintf(buf[0], ID_LEN, "u-%02zu", u);
	snprintf(buf[1], ID_LEN, "u-%02zu", (u + 1) % USERS);
	snprintf(buf[2], ID_LEN, "u-%02zux", u);
	snprintf(buf[3], ID_LEN, "u-%zu", u / 10);
	for (i = 0; i < 4; i++)
		v[n++] = buf[i];
	v[n++] = "";
	v[n++] = "nobody";
	for (i = 0; i < RG_COUNTOF(bus); i++)
		v[n++] = bus[i];
	for (i = 0; i < RG_COUNTOF(depts); i++)
		v[n++] = depts[i];
	for (i = 0; i < RG_COUNTOF(units); i++)
		v[n++] = units[i];
	return n;
}

#define SCOPE_VALUES                                                           \
	(6 + RG_COUNTOF(bus) + RG_COUNTOF(depts) + RG_COUNTOF(units))

/* How many debug lines say the decision table answered with a reason
 * (check.c's "...: allow (reason) (decision table)"). */
static size_t scope_why_log_count(void)
{
	return log_count(") (decision table)");
}

/* One check of one attribute with a reason, by rg_check() and
 * rg_check_target(), which may answer from the reasons compiled with the
 * scopes (ABI 1.7): the whole stack's decision (a trace always runs it),
 * field by field, reason and all. */
static void scope_why_agrees(const rg_target *t, const rg_request *req)
{
	const char *id = req->subject.user;
	rg_decision want, got;
	int st, st2;

	st = rg_check(env.ctx, req, RG_CHECK_TRACE, &want);
	st2 = rg_check(env.ctx, req, 0, &got);
	decision_same("with a reason", req, st, &want, st2, &got);
	st2 = rg_check_target(env.ctx, t, id, strlen(id),
	                      rg_user_hash(id, strlen(id)), req->attrs, 1, 0,
	                      &got);
	decision_same("target, with a reason", req, st, &want, st2, &got);
}

/* One check of one attribute four ways: the whole stack (a trace always
 * runs it), rg_check(), rg_check_batch() and rg_check_target() without a
 * reason, which may answer from the compiled scopes: the same status and
 * result.  Then the same with a reason (scope_why_agrees()). */
static void scope_agrees(const rg_target *t, const char *service,
                         const char *id, const char *action, const rg_attr *a)
{
	rg_decision want, got;
	rg_request req;
	rg_result res;
	int st, st2;

	tu_request(&req, service, id, action);
	req.attrs = a;
	req.nattrs = 1;
	scope_why_agrees(t, &req);
	st =
	    rg_check(env.ctx, &req, RG_CHECK_NO_REASON | RG_CHECK_TRACE, &want);
	st2 = rg_check(env.ctx, &req, RG_CHECK_NO_REASON, &got);
	ck_assert_msg(st == st2 && want.result == got.result &&
	                  want.status == got.status,
	              "%s %s %s %s=%s: the stack %s/%s, rg_check() %s/%s",
	              service, id, action, a->key, a->value,
	              rg_result_name(want.result), rg_status_name(st),
	              rg_result_name(got.result), rg_status_name(st2));
	ck_assert_int_eq(
	    rg_check_batch(env.ctx, &req, 1, RG_CHECK_NO_REASON, &res, &st2),
	    RG_OK);
	ck_assert_msg(st == st2 && want.result == res,
	              "%s %s %s %s=%s: the stack %s/%s, batch %s/%s", service,
	              id, action, a->key, a->value, rg_result_name(want.result),
	              rg_status_name(st), rg_result_name(res),
	              rg_status_name(st2));
	st2 = rg_check_target(env.ctx, t, id, strlen(id),
	                      rg_user_hash(id, strlen(id)), a, 1,
	                      RG_CHECK_NO_REASON, &got);
	ck_assert_msg(st == st2 && want.result == got.result,
	              "%s %s %s %s=%s: the stack %s/%s, target %s/%s", service,
	              id, action, a->key, a->value, rg_result_name(want.result),
	              rg_status_name(st), rg_result_name(got.result),
	              rg_status_name(st2));
}

/*
 * Every step-th user of service, every privilege, each of keys with every
 * value of scope_values(): the compiled answer is the stack's, with a
 * reason and without.  Returns the checks the table answered without a
 * reason (from the debug log); *why gets those it answered with one.
 */
static size_t scopes_agree(const char *service, const char *const *keys,
                           size_t nkeys, size_t step, size_t *why)
{
	const rg_service *svc = tu_service(env.ctx, service);
	size_t p, u, k, i, n, before = scope_log_count();
	size_t why_before = scope_why_log_count();
	char buf[4][ID_LEN], id[ID_LEN];
	const char *v[SCOPE_VALUES];

	for (p = 0; p < rg_privilege_count(svc); p++) {
		rg_privilege_info pi;
		rg_target *t = priv_target(svc, service, p, &pi);

		for (u = 0; u < USERS; u += step) {
			snprintf(id, sizeof(id), "u-%02zu", u);
			n = scope_values(u, buf, v);
			for (k = 0; k < nkeys; k++)
				for (i = 0; i < n; i++) {
					rg_attr a = {keys[k], v[i]};

					scope_agrees(t, service, id, pi.id, &a);
				}
		}
		rg_target_free(t);
	}
	*why = scope_why_log_count() - why_before;
	return scope_log_count() - before;
}

/*
 * u-00 made again with one custom role holding every privilege, and
 * nothing else: a service filled as Enterprise and opened as Community
 * must not count it (Rocket.Chat Community drops custom roles).
 */
static void custom_only(const char *service)
{
	const rg_service *svc = tu_service(env.ctx, service);
	size_t n = rg_privilege_count(svc), i;
	const char **privs = calloc(n ? n : 1, sizeof(*privs));
	rg_txn *txn = begin(service);

	ck_assert_ptr_nonnull(privs);
	for (i = 0; i < n; i++) {
		rg_privilege_info pi;

		rg_privilege_at(svc, i, &pi);
		privs[i] = pi.id;
	}
	must(txn,
	     rg_custom_role_create(txn, "custom-all", "custom-all", "a test",
	                           privs, n),
	     "custom role", "custom-all");
	must(txn, rg_user_remove(txn, "u-00"), "remove", "u-00");
	must(txn, rg_user_add(txn, "u-00", NULL), "user", "u-00");
	must(txn, rg_role_assign(txn, "u-00", "custom-all", 0), "custom-all",
	     "u-00");
	commit(txn);
	free(privs);
}

/*
 * The controls test_scopes asks under.  The table compiles scopes for a
 * stack of one entry only, and no control makes such a stack allow on its
 * entry's deny: the first four keep the entry's allow (each its own way),
 * so a scope compiled the wrong way round fails there; under the last
 * three the stack denies whatever the entry answers, which shows that the
 * table never allows there.  All but "sufficient" (whose entry's deny is
 * ignored, leaving the stack's own) keep the entry's deny and its reason.
 */
static const struct {
	const char *control;
	int keeps_deny;
} scope_controls[] = {
    {"required", 1},
    {"requisite", 1},
    {"sufficient", 0},
    {"[allow=done deny=die default=bad]", 1},
    {"[allow=bad deny=ok default=bad]", 1},
    {"[allow=ignore deny=ok default=bad]", 1},
    {"[allow=1 deny=done default=bad]", 1},
};

/*
 * Checks of one request attribute without a reason, answered from what the
 * product plugins compiled for each user (subject_scopes(), ABI 1.6) and
 * the table, under controls that keep, invert, ignore or jump past the
 * entry's answer: always the whole stack's answer.  The debug log shows
 * that the table answered some.
 */
START_TEST(test_scopes)
{
	static const struct {
		const char *service;
		const char *module;
		const char *args;
		const char *keys[2];
		const char *fill_args; /* filled under these; NULL: args */
		int why;               /* its scopes have reasons (ABI 1.7) */
	} products[] = {
	    {"omni24",
	     "omni24",
	     "policy=" TU_POLICIES "/omni24.ini",
	     {"owner", "x"},
	     NULL,
	     1},
	    /* The directory's tree (no tenant file), which fill() makes. */
	    {"dynamics365",
	     "dynamics365",
	     "policy=" TU_POLICIES "/dynamics365-2021.ini",
	     {"bu", "x"},
	     NULL,
	     1},
	    /* Every depth, parent-child included (no shipped role has). */
	    {"dynamics365-depths",
	     "dynamics365",
	     "policy=depths.ini",
	     {"bu", "x"},
	     NULL,
	     1},
	    /* The directory's organisation, which fill() makes. */
	    {"rocketchat",
	     "rocketchat",
	     "policy=" TU_POLICIES "/rocketchat.ini edition=enterprise",
	     {"department", "x"},
	     NULL,
	     1},
	    /* Filled as Enterprise, so that its users hold custom roles,
	     * which the Community edition drops. */
	    {"rocketchat-community",
	     "rocketchat",
	     "policy=" TU_POLICIES "/rocketchat.ini edition=community",
	     {"department", "x"},
	     "policy=" TU_POLICIES "/rocketchat.ini edition=enterprise",
	     1},
	};
	const char *control = scope_controls[_i].control;
	const char *dir = tu_getenv("ROLEGATE_TEST_PLUGINS");
	size_t i, got, why;

	free(tu_write(env.dir, "depths.ini", 0644, "%s", tu_d365_depth_policy));
	for (i = 0; i < RG_COUNTOF(products); i++) {
		const char *fill_args = products[i].fill_args;
		struct rng r = {SEED};

		/* Each control is a test of its own (a fresh directory), so
		 * that none waits on the others' checks: all four in one test
		 * took 137 s of its 300 under the address sanitizer. */
		open_one_entry(products[i].service, "required",
		               products[i].module,
		               fill_args ? fill_args : products[i].args, dir);
		fill(products[i].service, &r);
		if (fill_args)
			custom_only(products[i].service);
		tu_close(&env);
		open_one_entry(products[i].service, control, products[i].module,
		               products[i].args, dir);
		got =
		    scopes_agree(products[i].service, products[i].keys,
		                 RG_COUNTOF(products[i].keys),
		                 _i == 0 ? SCOPE_FIRST_STEP : SCOPE_STEP, &why);
		ck_assert_msg(got > 0, "%s under %s: no scope compiled",
		              products[i].service, control);
		/* A control that keeps the entry's deny keeps its reason. */
		ck_assert_msg(!products[i].why ||
		                  !scope_controls[_i].keeps_deny || why > 0,
		              "%s under %s: no reason compiled",
		              products[i].service, control);
		tu_close(&env);
	}
}
END_TEST

/* Every user of the one-entry service "svc" (of module args; filled
 * first when first is set) asked fixed.test with owner= each user's id and
 * another's: allowed, as the stack allows.  Returns how many the table
 * answered. */
static size_t scopes_fixed(const char *args, int first)
{
	size_t u, before;
	char id[ID_LEN], other[ID_LEN];
	struct rng r = {SEED};

	open_one_entry("svc", "required", "fixed", args, env.plugin_dir);
	if (first)
		fill("svc", &r);
	ck_assert_uint_eq(
	    rg_directory_tabled(env.ctx, tu_service(env.ctx, "svc")), USERS);
	before = scope_log_count();
	for (u = 0; u < USERS; u++) {
		rg_attr a = {"owner", id};
		rg_decision d;
		rg_request req;

		snprintf(id, sizeof(id), "u-%02zu", u);
		snprintf(other, sizeof(other), "u-%02zu", (u + 1) % USERS);
		tu_request(&req, "svc", id, "fixed.test");
		req.attrs = &a;
		req.nattrs = 1;
		ck_assert_int_eq(
		    rg_check(env.ctx, &req, RG_CHECK_NO_REASON, &d), RG_OK);
		ck_assert_int_eq(d.result, RG_ALLOW);
		a.value = other;
		ck_assert_int_eq(
		    rg_check(env.ctx, &req, RG_CHECK_NO_REASON, &d), RG_OK);
		ck_assert_int_eq(d.result, RG_ALLOW);
	}
	before = scope_log_count() - before;
	tu_close(&env);
	return before;
}

/*
 * rg_scope_add() refuses bad arguments and a ninth key (the fixed plugin
 * fails the user otherwise, and then it is not tabled), and keeps the good
 * scope it was given; two forms of one privilege and key drop the user's
 * scopes, whose first (SELF) would have denied another's record.
 */
START_TEST(test_scope_refusals)
{
	tu_add_plugins(&env, "fixed", NULL);
	ck_assert_uint_eq(scopes_fixed("result=allow scopes=bad", 1),
	                  2 * USERS);
	ck_assert_uint_eq(scopes_fixed("result=allow scopes=contradict", 0), 0);
	ck_assert_uint_eq(scopes_fixed("result=allow", 0), 0);
}
END_TEST

static Suite *fastpath_suite(void)
{
	Suite *s = suite_create("fastpath");
	TCase *tc = tcase_create("table");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_products);
	tcase_add_test(tc, test_rbac_tabled);
	tcase_add_test(tc, test_rbac_reasons);
	tcase_add_test(tc, test_table_follows_directory);
	tcase_add_test(tc, test_stacks);
	tcase_add_test(tc, test_not_tabled);
	tcase_add_test(tc, test_prepared);
	tcase_add_test(tc, test_subject_attrs);
	tcase_add_test(tc, test_no_facts_flag);
	tcase_add_loop_test(tc, test_batch, 0, 2);
	tcase_add_test(tc, test_target_refuses);
	tcase_add_loop_test(tc, test_scopes, 0,
	                    (int)RG_COUNTOF(scope_controls));
	tcase_add_test(tc, test_scope_refusals);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(fastpath_suite)
