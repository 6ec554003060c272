/*
 * check_omni24.c - the omni24 plugin through the public API.
 *
 * The matrix and rule tests open the SHIPPED configuration (policies/
 * rolegate.conf with policies/omni24.ini) on the built plugins, so a wrong
 * policy file fails them.  The bad-input tests write their own
 * configuration and policy into a private directory.
 *
 * Environment (set by make check): ROLEGATE_POLICIES, ROLEGATE_TEST_PLUGINS.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/rolegate.h>

#include "testutil.h"

#define SERVICE    "omni24"
#define BAD_POLICY "bad.ini"
#define CONF_BAD                                                               \
	"[service omni24]\nstack = required omni24 policy=" BAD_POLICY "\n"
/* ---- The grant matrix: every privilege against every role -------------- */

/* Roles of the shipped policy, in declaration order. */
enum {
	R_OWNER,
	R_ADMIN,
	R_AGENT,
	R_KNOWLEDGE,
	R_REPORTING,
	NROLES,
};

#define OWNER       (1u << R_OWNER)
#define ADMIN       (1u << R_ADMIN)
#define AGENT       (1u << R_AGENT)
#define KNOWLEDGE   (1u << R_KNOWLEDGE)
#define REPORTING   (1u << R_REPORTING)
#define CORE_ALL    (OWNER | ADMIN | AGENT)
#define CORE_ADMINS (OWNER | ADMIN)

static const struct role_row {
	const char *id;
	const char *name;
	unsigned flags;
} roles[NROLES] = {
    [R_OWNER] = {"account-owner", "Account Owner",
                 RG_ROLE_CORE | RG_ROLE_PROTECTED},
    [R_ADMIN] = {"admin", "Admin", RG_ROLE_CORE | RG_ROLE_PROTECTED},
    [R_AGENT] = {"agent", "Agent", RG_ROLE_CORE | RG_ROLE_PROTECTED},
    [R_KNOWLEDGE] = {"knowledge-editor", "Knowledge Editor", RG_ROLE_CUSTOM},
    [R_REPORTING] = {"reporting-analyst", "Reporting Analyst", RG_ROLE_CUSTOM},
};

/* Every privilege, the roles that hold it, and its category ("" none). */
static const struct priv_row {
	const char *id;
	unsigned holders;
	const char *category;
} privs[] = {
    /* agent, and so admin and account-owner */
    {"chat.handle", CORE_ALL, ""},
    {"canned-messages.use", CORE_ALL, ""},
    {"knowledge.view", CORE_ALL, ""},
    {"profile.edit-own", CORE_ALL, ""},
    {"availability.set-own", CORE_ALL, ""},
    /* admin, and so account-owner */
    {"settings.configure", CORE_ADMINS, ""},
    {"integrations.configure", CORE_ADMINS, ""},
    {"analytics.view", CORE_ADMINS, ""},
    {"agents.manage", CORE_ADMINS, ""},
    /* account-owner only */
    {"billing.manage", OWNER, ""},
    {"subscription.manage", OWNER, ""},
    {"admins.manage", OWNER, ""},
    {"roles.manage", OWNER, ""},
    /* category permissions: admin, account-owner, matching custom roles */
    {"conversation.create-ticket", CORE_ADMINS, "conversation"},
    {"conversation.update", CORE_ADMINS, "conversation"},
    {"conversation.delete", CORE_ADMINS, "conversation"},
    {"conversation.move", CORE_ADMINS, "conversation"},
    {"knowledge.manage-articles", CORE_ADMINS | KNOWLEDGE, "knowledge"},
    {"knowledge.manage-categories", CORE_ADMINS | KNOWLEDGE, "knowledge"},
    {"knowledge.customize-docs", CORE_ADMINS | KNOWLEDGE, "knowledge"},
    {"knowledge.docs-reports", CORE_ADMINS | KNOWLEDGE, "knowledge"},
    {"assets.manage", CORE_ADMINS, "assets"},
    {"assets.manage-custom-fields", CORE_ADMINS, "assets"},
    {"assets.import", CORE_ADMINS, "assets"},
    {"assets.export", CORE_ADMINS, "assets"},
    {"task.manage", CORE_ADMINS, "task"},
    {"task.manage-templates", CORE_ADMINS, "task"},
    {"task.manage-automation", CORE_ADMINS, "task"},
    {"reports.inbox", CORE_ADMINS | REPORTING, "reports"},
    {"reports.task", CORE_ADMINS | REPORTING, "reports"},
    {"reports.assets", CORE_ADMINS | REPORTING, "reports"},
    {"reports.export", CORE_ADMINS | REPORTING, "reports"},
    {"channels.manage-emails", CORE_ADMINS, "channels"},
    {"channels.manage-widget", CORE_ADMINS, "channels"},
    {"channels.manage-facebook", CORE_ADMINS, "channels"},
};

#define NPRIVS          RG_COUNTOF(privs)
#define NCATEGORY_PRIVS 22

/* ---- Fixture: the shipped configuration -------------------------------- */

static struct tu_env shipped;

static void shipped_setup(void)
{
	tu_open_shipped(&shipped);
}

static void shipped_teardown(void)
{
	tu_env_teardown(&shipped);
}

static const rg_service *omni24_service(const rg_context *ctx)
{
	return tu_service(ctx, SERVICE);
}

/* rg_check() with subject and request attributes. */
static int check_with(const rg_context *ctx, const char *subject,
                      const char *action, const rg_attr *sattrs, size_t nsattrs,
                      const rg_attr *attrs, size_t nattrs, rg_decision *out)
{
	rg_request req;

	tu_request(&req, SERVICE, subject, action);
	req.subject.attrs = sattrs;
	req.subject.nattrs = nsattrs;
	req.attrs = attrs;
	req.nattrs = nattrs;
	memset(out, 0, sizeof(*out));
	out->result = RG_ALLOW; /* poison: the check must overwrite it */
	return rg_check(ctx, &req, 0, out);
}

/* ---- The shipped policy loads cleanly ---------------------------------- */

START_TEST(test_shipped_loads)
{
	const rg_service *svc = omni24_service(shipped.ctx);
	rg_entry_info e;

	ck_assert_uint_eq(rg_entry_count(svc), 1);
	ck_assert_int_eq(rg_entry_at(svc, 0, &e), RG_OK);
	ck_assert_str_eq(e.plugin, "omni24");
	ck_assert_msg(e.status == RG_OK, "omni24 entry failed: %s%s", e.error,
	              tu_diag_dump(shipped.ctx));
	ck_assert_msg(tu_diag_find(shipped.ctx, "omni24", NULL) < 0,
	              "omni24 diagnostics:%s", tu_diag_dump(shipped.ctx));
	ck_assert_uint_eq(rg_role_count(svc), NROLES);
	ck_assert_uint_eq(rg_privilege_count(svc), NPRIVS);
}
END_TEST

/* Each role: display name, flags, declared by omni24. */
START_TEST(test_role_registry)
{
	const rg_service *svc = omni24_service(shipped.ctx);
	const struct role_row *row = &roles[_i];
	long idx = rg_role_find(svc, row->id);
	rg_role_info info;

	ck_assert_msg(idx >= 0, "role %s not declared", row->id);
	ck_assert_int_eq(rg_role_at(svc, (size_t)idx, &info), RG_OK);
	ck_assert_str_eq(info.id, row->id);
	ck_assert_str_eq(info.name, row->name);
	ck_assert_str_eq(info.plugin, "omni24");
	ck_assert_uint_eq(info.flags, row->flags);
	ck_assert_msg(info.description && *info.description,
	              "role %s has no description", row->id);
	ck_assert_uint_eq(info.nprereqs, 0);
}
END_TEST

/* Each privilege is declared, described, and needs no extra role. */
START_TEST(test_privilege_registry)
{
	const rg_service *svc = omni24_service(shipped.ctx);
	long idx = rg_privilege_find(svc, privs[_i].id);
	rg_privilege_info info;

	ck_assert_msg(idx >= 0, "privilege %s not declared", privs[_i].id);
	ck_assert_int_eq(rg_privilege_at(svc, (size_t)idx, &info), RG_OK);
	ck_assert_str_eq(info.plugin, "omni24");
	ck_assert_msg(info.description && *info.description,
	              "privilege %s has no description", privs[_i].id);
	ck_assert_uint_eq(info.nrequires, 0);
	/* scope = own: the owner scopes it (rg_privilege_scope()). */
	if (strstr(privs[_i].id, "-own"))
		ck_assert_str_eq(rg_privilege_scope(svc, (size_t)idx), "owner");
	else
		ck_assert_ptr_null(rg_privilege_scope(svc, (size_t)idx));
}
END_TEST

/* Loop index _i: privilege _i / NROLES against role _i % NROLES. */
START_ROW_TEST(test_matrix, (NPRIVS * NROLES))
{
	const struct priv_row *p = &privs[(size_t)_i / NROLES];
	const struct role_row *r = &roles[(size_t)_i % NROLES];
	int want = (p->holders >> (_i % NROLES)) & 1u;
	char subject[RG_ID_MAX + 1];
	rg_decision d;
	int rc;

	snprintf(subject, sizeof(subject), "@%s", r->id);
	rc = check_with(shipped.ctx, subject, p->id, NULL, 0, NULL, 0, &d);
	ck_assert_msg(rc == RG_OK, "%s %s: status %s (%s)", r->id, p->id,
	              rg_status_name(rc), d.reason);
	ck_assert_msg(d.result == (want ? RG_ALLOW : RG_DENY),
	              "%s %s: got %s, want %s (%s)", r->id, p->id,
	              rg_result_name(d.result), want ? "allow" : "deny",
	              d.reason);
	if (want) {
		/* The reason and the decision name the granting role. */
		ck_assert_msg(strstr(d.reason, r->id), "reason '%s' lacks %s",
		              d.reason, r->id);
		ck_assert_str_eq(d.role, r->id);
	}
}
END_TEST

/* whocan agrees with the matrix. */
static int whocan_collect(void *user, const rg_service *svc, size_t role)
{
	unsigned *mask = user;
	rg_role_info info;
	size_t i;

	if (rg_role_at(svc, role, &info) != RG_OK)
		return 1;
	for (i = 0; i < NROLES; i++)
		if (strcmp(info.id, roles[i].id) == 0)
			*mask |= 1u << i;
	return 0;
}

START_TEST(test_whocan)
{
	unsigned mask = 0;

	ck_assert_int_eq(rg_whocan(shipped.ctx, SERVICE, privs[_i].id,
	                           whocan_collect, &mask),
	                 RG_OK);
	ck_assert_msg(mask == privs[_i].holders,
	              "whocan %s: mask %#x, want %#x", privs[_i].id, mask,
	              privs[_i].holders);
}
END_TEST

/* ---- Category permissions ---------------------------------------------- */

/* Exactly the 22 category permissions exist; the reason names the category. */
START_TEST(test_category_reason)
{
	const struct priv_row *p = &privs[_i];
	char want[64];
	rg_decision d;

	if (!*p->category)
		return;
	ck_assert_int_eq(
	    check_with(shipped.ctx, "@admin", p->id, NULL, 0, NULL, 0, &d),
	    RG_OK);
	ck_assert_int_eq(d.result, RG_ALLOW);
	snprintf(want, sizeof(want), "%s category", p->category);
	ck_assert_msg(strstr(d.reason, want), "reason '%s' lacks '%s'",
	              d.reason, want);
	/* The id says the category, and the category says the id. */
	ck_assert_int_eq(strncmp(p->id, p->category, strlen(p->category)), 0);
}
END_TEST

START_TEST(test_category_count)
{
	size_t i, n = 0;

	for (i = 0; i < NPRIVS; i++)
		n += *privs[i].category != '\0';
	ck_assert_uint_eq(n, NCATEGORY_PRIVS);
}
END_TEST

/* Roles combine: union of the core role's and the custom role's grants. */
static const struct combo_case {
	const char *subject;
	const char *action;
	rg_result want;
	const char *role; /* granting role, for allows */
} combo_cases[] = {
    {"@agent,reporting-analyst", "chat.handle", RG_ALLOW, "agent"},
    {"@agent,reporting-analyst", "reports.export", RG_ALLOW,
     "reporting-analyst"},
    {"@agent,reporting-analyst", "knowledge.manage-articles", RG_DENY, NULL},
    {"@agent,reporting-analyst", "analytics.view", RG_DENY, NULL},
    {"@agent,reporting-analyst", "billing.manage", RG_DENY, NULL},
    {"@knowledge-editor,reporting-analyst", "knowledge.docs-reports", RG_ALLOW,
     "knowledge-editor"},
    {"@knowledge-editor,reporting-analyst", "reports.inbox", RG_ALLOW,
     "reporting-analyst"},
    {"@knowledge-editor,reporting-analyst", "knowledge.view", RG_DENY, NULL},
    {"@knowledge-editor,reporting-analyst", "chat.handle", RG_DENY, NULL},
    {"@knowledge-editor", "assets.export", RG_DENY, NULL},
    {"@", "chat.handle", RG_DENY, NULL},
};

START_TEST(test_combo)
{
	const struct combo_case *c = &combo_cases[_i];
	rg_decision d;

	check_with(shipped.ctx, c->subject, c->action, NULL, 0, NULL, 0, &d);
	ck_assert_msg(d.result == c->want, "%s %s: got %s (%s)", c->subject,
	              c->action, rg_result_name(d.result), d.reason);
	if (c->role)
		ck_assert_msg(strstr(d.reason, c->role), "reason '%s' lacks %s",
		              d.reason, c->role);
}
END_TEST

/* Unknown roles and actions deny with an error status. */
START_TEST(test_unknown_ids)
{
	rg_decision d;
	int rc;

	rc = check_with(shipped.ctx, "@supervisor", "chat.handle", NULL, 0,
	                NULL, 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_ne(rc, RG_OK);
	rc = check_with(shipped.ctx, "@account-owner", "billing.refund", NULL,
	                0, NULL, 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_ne(rc, RG_OK);
}
END_TEST

/* ---- Own-record privileges --------------------------------------------- */

static const struct own_case {
	const char *subject;
	const char *action;
	const char *self;  /* subject attribute id, or NULL */
	const char *owner; /* request attribute owner, or NULL */
	rg_result want;
	const char *reason; /* substring of the reason */
} own_cases[] = {
    /* No owner named: is the privilege held at all? */
    {"@agent", "profile.edit-own", NULL, NULL, RG_ALLOW, "agent"},
    {"@agent", "availability.set-own", "alice", NULL, RG_ALLOW, "agent"},
    /* The subject's own record. */
    {"@agent", "profile.edit-own", "alice", "alice", RG_ALLOW, "alice"},
    {"@agent", "availability.set-own", "alice", "alice", RG_ALLOW, "agent"},
    {"@admin", "profile.edit-own", "root", "root", RG_ALLOW, "admin"},
    {"@account-owner", "availability.set-own", "o", "o", RG_ALLOW,
     "account-owner"},
    /* Someone else's record: no role edits another's own profile. */
    {"@agent", "profile.edit-own", "alice", "bob", RG_DENY,
     "owner 'bob' is not the subject 'alice'"},
    {"@agent", "availability.set-own", "alice", "bob", RG_DENY, "'bob'"},
    {"@admin", "profile.edit-own", "root", "alice", RG_DENY, "admin"},
    {"@account-owner", "availability.set-own", "o", "alice", RG_DENY,
     "account-owner"},
    /* Prefix is not equality. */
    {"@agent", "profile.edit-own", "alice", "alice2", RG_DENY, "'alice2'"},
    {"@agent", "profile.edit-own", "alice", "ALICE", RG_DENY, "'ALICE'"},
    /* Fail closed: no subject id to compare, or an empty owner. */
    {"@agent", "profile.edit-own", NULL, "alice", RG_DENY, "subject has no id"},
    {"@agent", "profile.edit-own", "", "alice", RG_DENY, "subject has no id"},
    {"@agent", "availability.set-own", "alice", "", RG_DENY,
     "attribute 'owner' is empty"},
    /* Own record but no grant. */
    {"@knowledge-editor", "profile.edit-own", "kim", "kim", RG_DENY, NULL},
    {"@reporting-analyst", "availability.set-own", "ra", "ra", RG_DENY, NULL},
    /* owner= means nothing to other privileges. */
    {"@agent", "chat.handle", "alice", "bob", RG_ALLOW, "agent"},
};

START_TEST(test_own)
{
	const struct own_case *c = &own_cases[_i];
	rg_attr sattr = {"id", c->self};
	rg_attr attr = {"owner", c->owner};
	rg_decision d;
	int rc;

	rc = check_with(shipped.ctx, c->subject, c->action, &sattr,
	                c->self ? 1 : 0, &attr, c->owner ? 1 : 0, &d);
	ck_assert_int_eq(rc, RG_OK);
	ck_assert_msg(d.result == c->want, "case %d: got %s (%s)", _i,
	              rg_result_name(d.result), d.reason);
	if (c->reason)
		ck_assert_msg(strstr(d.reason, c->reason),
		              "case %d: reason '%s' lacks '%s'", _i, d.reason,
		              c->reason);
}
END_TEST

/* ---- Quiet answers: the same decision without a reason ----------------- */

/* The privileges with scope = own. */
static int own_scope(const char *id)
{
	return strcmp(id, "profile.edit-own") == 0 ||
	       strcmp(id, "availability.set-own") == 0;
}

/*
 * rg_check() twice, with a reason and without (RG_CHECK_NO_REASON: the
 * plugin's quiet path, or for a directory user the decision table built
 * from subject_answers): the status and result must be the same, the quiet
 * one has no reason, and the roles it names (it may name none) are the
 * same.  *loud gets the first.
 */
static void check_both(const rg_context *ctx, const char *subject,
                       const char *action, const rg_attr *sattrs,
                       size_t nsattrs, const rg_attr *attrs, size_t nattrs,
                       rg_decision *loud)
{
	rg_request req;
	rg_decision quiet;
	int rc, qrc;

	rc = check_with(ctx, subject, action, sattrs, nsattrs, attrs, nattrs,
	                loud);
	tu_request(&req, SERVICE, subject, action);
	req.subject.attrs = sattrs;
	req.subject.nattrs = nsattrs;
	req.attrs = attrs;
	req.nattrs = nattrs;
	memset(&quiet, 0, sizeof(quiet));
	quiet.result = RG_ALLOW; /* poison */
	qrc = rg_check(ctx, &req, RG_CHECK_NO_REASON, &quiet);
	ck_assert_msg(
	    rc == qrc && loud->result == quiet.result &&
	        (!quiet.role[0] || strcmp(loud->role, quiet.role) == 0) &&
	        (!quiet.missing[0] ||
	         strcmp(loud->missing, quiet.missing) == 0),
	    "%s %s: %s %s role '%s' missing '%s' (%s), quietly %s "
	    "%s role '%s' missing '%s'",
	    subject, action, rg_status_name(rc), rg_result_name(loud->result),
	    loud->role, loud->missing, loud->reason, rg_status_name(qrc),
	    rg_result_name(quiet.result), quiet.role, quiet.missing);
	ck_assert_msg(quiet.reason[0] == '\0', "%s %s: quiet reason '%s'",
	              subject, action, quiet.reason);
}

/* "@r1,r2" for the roles of mask (bits of the roles[] rows). */
static void combo_subject(unsigned mask, char *buf, size_t len)
{
	size_t i, n = (size_t)snprintf(buf, len, "@");

	for (i = 0; i < NROLES; i++)
		if (mask & (1u << i))
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			                      n > 1 ? "," : "", roles[i].id);
}

/* The role rg_effective() names among mask's holders: the lowest index. */
static const char *granting_role(const rg_service *svc, unsigned held)
{
	const char *best = "";
	long best_idx = -1;
	size_t i;

	for (i = 0; i < NROLES; i++) {
		long idx = rg_role_find(svc, roles[i].id);

		if ((held & (1u << i)) && (best_idx < 0 || idx < best_idx)) {
			best_idx = idx;
			best = roles[i].id;
		}
	}
	return best;
}

/*
 * Loop index _i: one combination of the shipped roles, against every
 * privilege with no owner, the subject's own record and another's.
 */
START_ROW_TEST(test_combination, 1 << NROLES)
{
	const rg_service *svc = omni24_service(shipped.ctx);
	const unsigned mask = (unsigned)_i;
	rg_attr sattr = {"id", "me"};
	const rg_attr owners[] = {{"owner", "me"}, {"owner", "them"}};
	char subject[RG_REASON_MAX];
	size_t p, o;

	combo_subject(mask, subject, sizeof(subject));
	for (p = 0; p < NPRIVS; p++)
		for (o = 0; o <= RG_COUNTOF(owners); o++) {
			unsigned held = privs[p].holders & mask;
			int other = o == 2 && own_scope(privs[p].id);
			rg_decision d;

			check_both(shipped.ctx, subject, privs[p].id, &sattr, 1,
			           o ? &owners[o - 1] : NULL, o ? 1 : 0, &d);
			ck_assert_msg(
			    d.result == (held && !other ? RG_ALLOW : RG_DENY),
			    "%s %s owner %zu: %s (%s)", subject, privs[p].id, o,
			    rg_result_name(d.result), d.reason);
			ck_assert_str_eq(d.role, granting_role(svc, held));
			ck_assert_str_eq(d.missing, "");
		}
}
END_TEST

/* ---- Bad policy files -------------------------------------------------- */

/*
 * A small valid policy; each case appends to it.  Line numbers in the
 * cases count from the first appended line.
 */
static const char base_policy[] = "[policy]\n"
                                  "product = omni24\n"
                                  "version = test\n"
                                  "[privilege chat.handle]\n"
                                  "description = Handle chats\n"
                                  "[privilege billing.manage]\n"
                                  "[privilege reports.inbox]\n"
                                  "category = reports\n"
                                  "[privilege knowledge.manage-articles]\n"
                                  "category = knowledge\n"
                                  "[role agent]\n"
                                  "name = Agent\n"
                                  "flags = core protected\n"
                                  "grant = chat.handle\n";

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static struct tu_env bad;

static void bad_setup(void)
{
	tu_env_setup(&bad);
	tu_add_plugin(&bad, "omni24");
}

static void bad_teardown(void)
{
	tu_env_teardown(&bad);
}

/* Opens the service on a policy file; returns its entry's status. */
static int open_policy(const char *text)
{
	const rg_service *svc;
	rg_entry_info e;

	free(tu_write(bad.dir, BAD_POLICY, 0644, "%s", text));
	tu_open(&bad, CONF_BAD);
	svc = omni24_service(bad.ctx);
	ck_assert_uint_eq(rg_entry_count(svc), 1);
	ck_assert_int_eq(rg_entry_at(svc, 0, &e), RG_OK);
	return e.status;
}

/* A failed entry denies what its policy would have allowed. */
static void assert_fails_closed(const char *what)
{
	rg_decision d;

	check_with(bad.ctx, "@agent", "chat.handle", NULL, 0, NULL, 0, &d);
	ck_assert_msg(d.result == RG_DENY, "%s: allowed (%s)", what, d.reason);
}

START_TEST(test_base_policy_ok)
{
	rg_decision d;

	ck_assert_msg(open_policy(base_policy) == RG_OK, "base policy:%s",
	              tu_diag_dump(bad.ctx));
	check_with(bad.ctx, "@agent", "chat.handle", NULL, 0, NULL, 0, &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
}
END_TEST

static const struct bad_case {
	const char *what;
	const char *text; /* appended to base_policy */
	unsigned line;    /* of the error, within text */
	const char *msg;
} bad_cases[] = {
    {"unknown category", "[privilege reports.task]\ncategory = billing\n", 2,
     "unknown category 'billing'"},
    {"category not matching the id",
     "[privilege reports.task]\ncategory = knowledge\n", 2,
     "cannot be in category 'knowledge'"},
    {"empty category", "[privilege reports.task]\ncategory =\n", 2,
     "unknown category ''"},
    {"duplicate category key",
     "[privilege reports.task]\ncategory = reports\ncategory = reports\n", 3,
     "duplicate key 'category'"},
    {"unknown scope", "[privilege reports.task]\nscope = team\n", 2,
     "unknown scope 'team'"},
    {"duplicate scope key",
     "[privilege profile.edit-own]\nscope = own\nscope = own\n", 3,
     "duplicate key 'scope'"},
    {"unknown key in a privilege", "[privilege reports.task]\ncolour = blue\n",
     2, "unknown key 'colour'"},
    {"unknown key in a role", "[role x]\nname = X\nflavour = mint\n", 3,
     "unknown key 'flavour'"},
    {"category key in a role",
     "[role x]\nname = X\ndescription = d\nflags = custom\n"
     "category = knowledge\n",
     5, "unknown key 'category' in [role x]"},
    {"non-category grant in a custom role",
     "[role helper]\nname = Helper\ndescription = Helps\nflags = custom\n"
     "grant = knowledge.manage-articles\ngrant = billing.manage\n",
     6, "custom role 'helper' grants 'billing.manage'"},
    {"agent privilege in a custom role",
     "[role helper]\nname = Helper\ndescription = Helps\nflags = custom\n"
     "grant = reports.inbox chat.handle\n",
     5, "grants 'chat.handle', which is not a category permission"},
    {"custom role including a core role",
     "[role helper]\nname = Helper\ndescription = Helps\nflags = custom\n"
     "include = agent\n",
     5, "custom role 'helper' includes 'agent'"},
    {"custom role that is protected",
     "[role helper]\nname = Helper\ndescription = Helps\n"
     "flags = custom protected\n",
     4, "cannot be 'protected'"},
    {"core role that is not protected",
     "[role boss]\nname = Boss\nflags = core\n", 3,
     "must be flagged 'protected'"},
    {"role neither core nor custom",
     "[role plain]\nname = Plain\ngrant = chat.handle\n", 1,
     "must be flagged either 'core protected' or 'custom'"},
    {"custom role without a description",
     "[role quiet]\nname = Quiet\nflags = custom\n"
     "grant = reports.inbox\n",
     1, "needs a name and a description"},
    {"duplicate role", "[role agent]\nname = Agent\n", 1, "agent"},
    {"duplicate privilege", "[privilege chat.handle]\n", 1, "chat.handle"},
    {"grant of an unknown privilege",
     "[role helper]\nname = Helper\ndescription = Helps\nflags = custom\n"
     "grant = reports.nothing\n",
     5, "reports.nothing"},
    {"include of an undeclared role",
     "[role helper]\nname = Helper\ndescription = Helps\nflags = custom\n"
     "include = ghost\n",
     5, "ghost"},
    {"requires an undeclared role",
     "[role helper]\nname = Helper\ndescription = Helps\nflags = custom\n"
     "requires = phantom\n",
     5, "phantom"},
    {"grant qualifier",
     "[role boss]\nname = Boss\n"
     "flags = core protected\ngrant = chat.handle:team\n",
     4, "qualifier ':team'"},
};

START_TEST(test_bad_policy)
{
	const struct bad_case *c = &bad_cases[_i];
	char *text = tu_strdupf("%s%s", base_policy, c->text);
	char *where =
	    tu_strdupf(BAD_POLICY ":%u:", count_lines(base_policy) + c->line);

	ck_assert_msg(open_policy(text) != RG_OK, "%s: entry loaded", c->what);
	ck_assert_msg(tu_diag_find(bad.ctx, where, c->msg, NULL) >= 0,
	              "%s: no diagnostic with '%s' and '%s':%s", c->what, where,
	              c->msg, tu_diag_dump(bad.ctx));
	assert_fails_closed(c->what);
	free(where);
	free(text);
}
END_TEST

/* Problems not expressible as an addition to the base policy. */
static const struct bad_file {
	const char *what;
	const char *text;
	unsigned line;
	const char *msg;
} bad_files[] = {
    {"wrong product", "[policy]\nproduct = rocketchat\nversion = 1\n", 1,
     "rocketchat"},
    {"unknown key in [policy]", "[policy]\nproduct = omni24\nvendor = acme\n",
     3, "unknown key 'vendor'"},
    {"unknown section", "[policy]\nproduct = omni24\n[category x]\n", 3,
     "category x"},
    {"syntax error", "[policy]\nproduct = omni24\nthis is not ini\n", 3, ""},
};

START_TEST(test_bad_file)
{
	const struct bad_file *c = &bad_files[_i];
	char *where = tu_strdupf(BAD_POLICY ":%u:", c->line);

	ck_assert_msg(open_policy(c->text) != RG_OK, "%s: entry loaded",
	              c->what);
	ck_assert_msg(tu_diag_find(bad.ctx, where, c->msg, NULL) >= 0,
	              "%s: no diagnostic with '%s' and '%s':%s", c->what, where,
	              c->msg, tu_diag_dump(bad.ctx));
	assert_fails_closed(c->what);
	free(where);
}
END_TEST

/* Custom roles built from several categories, and from other custom roles. */
START_TEST(test_custom_roles_ok)
{
	char *text = tu_strdupf(
	    "%s"
	    "[role desk]\nname = Desk\ndescription = Mixed\n"
	    "flags = custom\ngrant = reports.inbox knowledge.manage-articles\n"
	    "[role desk-plus]\nname = Desk plus\ndescription = More\n"
	    "flags = custom\ninclude = desk\n",
	    base_policy);
	rg_decision d;

	ck_assert_msg(open_policy(text) == RG_OK, "custom roles:%s",
	              tu_diag_dump(bad.ctx));
	check_with(bad.ctx, "@desk-plus", "knowledge.manage-articles", NULL, 0,
	           NULL, 0, &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
	check_with(bad.ctx, "@desk", "reports.inbox", NULL, 0, NULL, 0, &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
	ck_assert_msg(strstr(d.reason, "desk"), "%s", d.reason);
	check_with(bad.ctx, "@desk-plus", "chat.handle", NULL, 0, NULL, 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	free(text);
}
END_TEST

/* A custom role including a custom role that includes a core role. */
START_TEST(test_custom_include_chain)
{
	char *text = tu_strdupf("%s"
	                        "[role outer]\nname = Outer\ndescription = O\n"
	                        "flags = custom\ninclude = inner\n"
	                        "[role inner]\nname = Inner\ndescription = I\n"
	                        "flags = custom\ninclude = agent\n",
	                        base_policy);
	unsigned inner = count_lines(base_policy) + 10;
	char *where = tu_strdupf(BAD_POLICY ":%u:", inner);

	ck_assert_int_ne(open_policy(text), RG_OK);
	ck_assert_msg(
	    tu_diag_find(bad.ctx, where, "'inner' includes 'agent'", NULL) >= 0,
	    "no diagnostic at %s:%s", where, tu_diag_dump(bad.ctx));
	assert_fails_closed("include chain");
	free(where);
	free(text);
}
END_TEST

/* ---- Prerequisites ----------------------------------------------------- */

/*
 * The shipped policy has no prerequisite: this one has role and privilege
 * prerequisites, which the plugin leaves to the core's rg_effective().
 */
static const char prereq_policy[] = "[policy]\n"
                                    "product = omni24\n"
                                    "version = test\n"
                                    "[privilege chat.handle]\n"
                                    "requires = agent\n"
                                    "[privilege analytics.view]\n"
                                    "[privilege reports.inbox]\n"
                                    "category = reports\n"
                                    "requires = agent\n"
                                    "[privilege availability.set-own]\n"
                                    "scope = own\n"
                                    "requires = agent\n"
                                    "[role agent]\n"
                                    "name = Agent\n"
                                    "flags = core protected\n"
                                    "grant = chat.handle availability.set-own\n"
                                    "[role supervisor]\n"
                                    "name = Supervisor\n"
                                    "flags = core protected\n"
                                    "requires = agent\n"
                                    "grant = analytics.view\n"
                                    "[role admin]\n"
                                    "name = Admin\n"
                                    "flags = core protected\n"
                                    "grant = chat.handle reports.inbox\n"
                                    "grant = availability.set-own\n"
                                    "[role desk]\n"
                                    "name = Desk\n"
                                    "description = Inbox reports\n"
                                    "flags = custom\n"
                                    "grant = reports.inbox\n";

static const struct prereq_case {
	const char *subject;
	const char *action;
	const char *owner; /* request attribute owner, or NULL */
	rg_result want;
	const char *role;
	const char *missing;
	const char *reason; /* the whole reason */
} prereq_cases[] = {
    {"@supervisor", "analytics.view", NULL, RG_DENY, "supervisor", "agent",
     "omni24: supervisor grants analytics.view, but supervisor requires "
     "role agent, which the subject lacks"},
    {"@agent,supervisor", "analytics.view", NULL, RG_ALLOW, "supervisor", "",
     "omni24: supervisor grants analytics.view"},
    {"@admin", "chat.handle", NULL, RG_DENY, "admin", "agent",
     "omni24: admin grants chat.handle, but chat.handle also requires role "
     "agent, which the subject lacks"},
    {"@admin,agent", "chat.handle", NULL, RG_ALLOW, "agent", "",
     "omni24: agent grants chat.handle"},
    {"@desk", "reports.inbox", NULL, RG_DENY, "desk", "agent",
     "omni24: desk grants reports.inbox, but reports.inbox also requires "
     "role agent, which the subject lacks"},
    {"@desk,agent", "reports.inbox", NULL, RG_ALLOW, "desk", "",
     "omni24: desk grants reports.inbox (reports category permission)"},
    {"@admin", "availability.set-own", "me", RG_DENY, "admin", "agent",
     "omni24: admin grants availability.set-own, but availability.set-own "
     "also requires role agent, which the subject lacks"},
    {"@admin,agent", "availability.set-own", "me", RG_ALLOW, "agent", "",
     "omni24: agent grants availability.set-own on the subject's own "
     "record ('me')"},
    {"@admin,agent", "availability.set-own", "them", RG_DENY, "agent", "",
     "omni24: agent grants availability.set-own on the subject's own "
     "record only; owner 'them' is not the subject 'me'"},
    {"@agent", "analytics.view", NULL, RG_DENY, "", "",
     "omni24: no role of the subject grants analytics.view"},
};

START_TEST(test_prereq)
{
	const struct prereq_case *c = &prereq_cases[_i];
	rg_attr sattr = {"id", "me"};
	rg_attr attr = {"owner", c->owner};
	rg_decision d;

	ck_assert_msg(open_policy(prereq_policy) == RG_OK, "policy:%s",
	              tu_diag_dump(bad.ctx));
	check_both(bad.ctx, c->subject, c->action, &sattr, 1, &attr,
	           c->owner ? 1 : 0, &d);
	ck_assert_msg(d.result == c->want, "case %d: got %s (%s)", _i,
	              rg_result_name(d.result), d.reason);
	ck_assert_str_eq(d.role, c->role);
	ck_assert_str_eq(d.missing, c->missing);
	ck_assert_str_eq(d.reason, c->reason);
}
END_TEST

/* ---- Directory users ---------------------------------------------------- */

/* Custom roles of the directory, of category permissions. */
static const struct dir_custom {
	const char *id;
	const char *privileges[2];
} dir_customs[] = {
    {"kb-writer", {"knowledge.manage-articles", "knowledge.manage-categories"}},
    {"desk", {"reports.inbox", "conversation.update"}},
};

#define NCUSTOMS RG_COUNTOF(dir_customs)
/* One user for each combination of shipped roles and custom roles. */
#define NDIR_USERS ((1u << NROLES) << NCUSTOMS)

static struct tu_env dir;

static void dir_user_id(unsigned u, char *buf, size_t len)
{
	snprintf(buf, len, "u%u", u);
}

/* "@r1,r2,c1" for user u's roles. */
static void dir_user_roles(unsigned u, char *buf, size_t len)
{
	size_t i, n;

	combo_subject(u & ((1u << NROLES) - 1), buf, len);
	n = strlen(buf);
	for (i = 0; i < NCUSTOMS; i++)
		if (u & ((1u << NROLES) << i))
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			                      n > 1 ? "," : "",
			                      dir_customs[i].id);
}

static void dir_txn_ok(rg_txn *txn, int rc, const char *what)
{
	ck_assert_msg(rc == RG_OK, "%s: %s: %s", what, rg_status_name(rc),
	              rg_txn_error(txn));
}

/* Adds user u with its roles. */
static void dir_add_user(rg_txn *txn, unsigned u)
{
	char id[RG_ID_MAX];
	size_t i;

	dir_user_id(u, id, sizeof(id));
	dir_txn_ok(txn, rg_user_add(txn, id, NULL), id);
	for (i = 0; i < NROLES; i++)
		if (u & (1u << i))
			dir_txn_ok(txn, rg_role_assign(txn, id, roles[i].id, 0),
			           roles[i].id);
	for (i = 0; i < NCUSTOMS; i++)
		if (u & ((1u << NROLES) << i))
			dir_txn_ok(
			    txn, rg_role_assign(txn, id, dir_customs[i].id, 0),
			    dir_customs[i].id);
}

/* The shipped configuration on a private directory holding the users. */
static void dir_setup(void)
{
	char *conf, *db;
	char err[RG_REASON_MAX] = "";
	rg_txn *txn = NULL;
	unsigned u;
	size_t i;
	int rc;

	tu_env_setup(&dir);
	conf = tu_join(tu_getenv("ROLEGATE_POLICIES"), "rolegate.conf");
	db = tu_join(dir.dir, "directory.db");
	tu_open_directory(&dir, conf, tu_getenv("ROLEGATE_TEST_PLUGINS"), db,
	                  0);
	rc = rg_txn_begin(dir.ctx, SERVICE, "check_omni24", "check_omni24",
	                  &txn, err, sizeof(err));
	ck_assert_msg(rc == RG_OK, "rg_txn_begin: %s", err);
	for (i = 0; i < NCUSTOMS; i++)
		dir_txn_ok(txn,
		           rg_custom_role_create(
		               txn, dir_customs[i].id, dir_customs[i].id,
		               "test role", dir_customs[i].privileges,
		               RG_COUNTOF(dir_customs[i].privileges)),
		           dir_customs[i].id);
	for (u = 0; u < NDIR_USERS; u++)
		dir_add_user(txn, u);
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
	/* Every user is in the decision table: quiet checks test the hook. */
	ck_assert_uint_eq(
	    rg_directory_tabled(dir.ctx, tu_service(dir.ctx, SERVICE)),
	    NDIR_USERS);
	free(db);
	free(conf);
}

static void dir_teardown(void)
{
	tu_env_teardown(&dir);
}

/*
 * Loop index _i: one directory user.  By user id, every privilege gets
 * the same answer with and without a reason (without one and without
 * owner=, from the decision table that subject_answers built), and the
 * same as the ad-hoc subject holding the user's roles; with owner= the
 * user's own record is the user id.
 */
START_TEST(test_directory_user)
{
	const rg_attr owners[] = {{"owner", NULL}, {"owner", "them"}};
	char id[RG_ID_MAX], adhoc[RG_REASON_MAX];
	rg_attr self_attr = {"id", NULL};
	size_t p, o;

	dir_user_id((unsigned)_i, id, sizeof(id));
	dir_user_roles((unsigned)_i, adhoc, sizeof(adhoc));
	self_attr.value = id;
	for (p = 0; p < NPRIVS; p++)
		for (o = 0; o <= RG_COUNTOF(owners); o++) {
			rg_attr owner = o ? owners[o - 1] : owners[0];
			rg_decision by_id, by_roles;

			if (o == 1)
				owner.value = id;
			check_both(dir.ctx, id, privs[p].id, NULL, 0, &owner,
			           o ? 1 : 0, &by_id);
			check_both(dir.ctx, adhoc, privs[p].id, &self_attr, 1,
			           &owner, o ? 1 : 0, &by_roles);
			ck_assert_msg(
			    by_id.result == by_roles.result &&
			        strcmp(by_id.role, by_roles.role) == 0 &&
			        strcmp(by_id.reason, by_roles.reason) == 0,
			    "%s %s owner %zu: by id %s (%s), as %s %s "
			    "(%s)",
			    id, privs[p].id, o, rg_result_name(by_id.result),
			    by_id.reason, adhoc,
			    rg_result_name(by_roles.result), by_roles.reason);
		}
}
END_TEST

/* ---- Bad plugin arguments ---------------------------------------------- */

static const struct bad_args {
	const char *what;
	const char *args;
	const char *msg;
} bad_args[] = {
    {"no policy", "", "policy"},
    {"unknown argument", "policy=" BAD_POLICY " edition=gold", "edition"},
    {"repeated policy", "policy=" BAD_POLICY " policy=" BAD_POLICY, "policy"},
    {"missing policy file", "policy=nowhere.ini", "nowhere.ini"},
    {"empty policy path", "policy=", "policy"},
};

START_TEST(test_bad_args)
{
	const struct bad_args *c = &bad_args[_i];
	const rg_service *svc;
	rg_entry_info e;

	free(tu_write(bad.dir, BAD_POLICY, 0644, "%s", base_policy));
	tu_open(&bad, "[service omni24]\nstack = required omni24 %s\n",
	        c->args);
	svc = omni24_service(bad.ctx);
	ck_assert_int_eq(rg_entry_at(svc, 0, &e), RG_OK);
	ck_assert_msg(e.status != RG_OK, "%s: entry loaded", c->what);
	ck_assert_msg(tu_diag_find(bad.ctx, "rolegate.conf:2:", c->msg, NULL) >=
	                      0 ||
	                  tu_diag_find(bad.ctx, c->msg, NULL) >= 0,
	              "%s: no diagnostic naming '%s':%s", c->what, c->msg,
	              tu_diag_dump(bad.ctx));
	assert_fails_closed(c->what);
}
END_TEST

/* ---- The suite --------------------------------------------------------- */

static Suite *omni24_suite(void)
{
	Suite *s = suite_create("omni24");
	TCase *tc;

	tc = tcase_create("registry");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_test(tc, test_shipped_loads);
	tcase_add_loop_test(tc, test_role_registry, 0, NROLES);
	tcase_add_loop_test(tc, test_privilege_registry, 0, (int)NPRIVS);
	suite_add_tcase(s, tc);

	tc = tcase_create("matrix");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tu_add_row_test(tc, test_matrix);
	tcase_add_loop_test(tc, test_whocan, 0, (int)NPRIVS);
	tcase_add_loop_test(tc, test_combo, 0, (int)RG_COUNTOF(combo_cases));
	tcase_add_test(tc, test_unknown_ids);
	suite_add_tcase(s, tc);

	tc = tcase_create("category");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_test(tc, test_category_count);
	tcase_add_loop_test(tc, test_category_reason, 0, (int)NPRIVS);
	suite_add_tcase(s, tc);

	tc = tcase_create("own-record");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_loop_test(tc, test_own, 0, (int)RG_COUNTOF(own_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-policy");
	tcase_add_checked_fixture(tc, bad_setup, bad_teardown);
	tcase_add_test(tc, test_base_policy_ok);
	tcase_add_loop_test(tc, test_bad_policy, 0, (int)RG_COUNTOF(bad_cases));
	tcase_add_loop_test(tc, test_bad_file, 0, (int)RG_COUNTOF(bad_files));
	tcase_add_test(tc, test_custom_roles_ok);
	tcase_add_test(tc, test_custom_include_chain);
	suite_add_tcase(s, tc);

	tc = tcase_create("quiet");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tu_add_row_test(tc, test_combination);
	suite_add_tcase(s, tc);

	tc = tcase_create("prerequisites");
	tcase_add_checked_fixture(tc, bad_setup, bad_teardown);
	tcase_add_loop_test(tc, test_prereq, 0, (int)RG_COUNTOF(prereq_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("directory");
	tcase_add_unchecked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_loop_test(tc, test_directory_user, 0, (int)NDIR_USERS);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-args");
	tcase_add_checked_fixture(tc, bad_setup, bad_teardown);
	tcase_add_loop_test(tc, test_bad_args, 0, (int)RG_COUNTOF(bad_args));
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(omni24_suite)
