/*
 * check_rocketchat.c - the rocketchat plugin through the public API.
 *
 * The matrix and rule tests open the SHIPPED configuration (policies/
 * rolegate.conf with policies/rocketchat.ini and rocketchat-tenant.ini) on
 * the built plugins, so a wrong policy or tenant file fails them: the
 * services rocketchat (Enterprise) and rocketchat-community.  The other
 * tests write their own configuration, policy and tenant files into a
 * private directory.
 *
 * The shipped tenant, which the rule tests rely on:
 *   [tenant] max_chats = 5
 *   unit emea: departments sales (max_chats 3) and support (none)
 *   unit americas: department billing (max_chats 0, i.e. not set)
 *   department onboarding: in no unit
 *
 * Environment (set by make check): ROLEGATE_POLICIES, ROLEGATE_TEST_PLUGINS.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/rolegate.h>

#include "testutil.h"

#define SVC_ENT    "rocketchat"
#define SVC_COM    "rocketchat-community"
#define PLUGIN     "rocketchat"
#define BAD_POLICY "bad.ini"
#define BAD_TENANT "tenant.ini"
#define MAX_ATTRS  8

/* ---- The grant matrix -------------------------------------------------- */

enum {
	R_ADMIN,
	R_USER,
	R_BOT,
	R_APP,
	R_GUEST,
	R_ANONYMOUS,
	R_OWNER,
	R_MODERATOR,
	R_LEADER,
	R_AGENT,
	R_MANAGER,
	R_MONITOR,
	NROLES,
};

#define ADMIN        (1u << R_ADMIN)
#define AGENT        (1u << R_AGENT)
#define MANAGER      (1u << R_MANAGER)
#define MONITOR      (1u << R_MONITOR)
#define ALL_LIVECHAT (ADMIN | MANAGER | MONITOR | AGENT)
#define MGR_AGENT    (ADMIN | MANAGER | AGENT)
#define MGR_MONITOR  (ADMIN | MANAGER | MONITOR)
#define MGR          (ADMIN | MANAGER)

/* clang-format off */
static const struct role_row {
	const char *id;
	const char *name;
	int enterprise_only;
} roles[NROLES] = {
	[R_ADMIN] = { "admin", "Admin", 0 },
	[R_USER] = { "user", "User", 0 },
	[R_BOT] = { "bot", "Bot", 0 },
	[R_APP] = { "app", "App", 0 },
	[R_GUEST] = { "guest", "Guest", 0 },
	[R_ANONYMOUS] = { "anonymous", "Anonymous", 0 },
	[R_OWNER] = { "owner", "Owner", 0 },
	[R_MODERATOR] = { "moderator", "Moderator", 0 },
	[R_LEADER] = { "leader", "Leader", 0 },
	[R_AGENT] = { "livechat-agent", "Livechat Agent", 0 },
	[R_MANAGER] = { "livechat-manager", "Livechat Manager", 0 },
	[R_MONITOR] = { "livechat-monitor", "Livechat Monitor", 1 },
};
/* clang-format on */

#define E 1 /* the row exists in the Enterprise edition only */

/* Every permission of products.md section 2, with its default roles. */
/* clang-format off */
static const struct priv_row {
	const char *id;
	unsigned holders;
	int enterprise_only;
} privs[] = {
	/* M, Mo, A (and admin) */
	{ "view-l-room", ALL_LIVECHAT, 0 },
	{ "create-livechat-contact", ALL_LIVECHAT, 0 },
	{ "update-livechat-contact", ALL_LIVECHAT, 0 },
	{ "view-livechat-contact", ALL_LIVECHAT, 0 },
	{ "view-livechat-contact-history", ALL_LIVECHAT, 0 },
	{ "view-omnichannel-contact-center", ALL_LIVECHAT, 0 },
	{ "close-livechat-room", ALL_LIVECHAT, 0 },
	{ "on-hold-livechat-room", ALL_LIVECHAT, 0 },
	{ "view-livechat-queue", ALL_LIVECHAT, 0 },
	{ "view-livechat-room-customfields", ALL_LIVECHAT, 0 },
	{ "edit-livechat-room-customfields", ALL_LIVECHAT, 0 },
	{ "request-pdf-transcript", ALL_LIVECHAT, E },
	{ "view-canned-responses", ALL_LIVECHAT, E },
	{ "save-canned-responses", ALL_LIVECHAT, E },
	{ "remove-canned-responses", ALL_LIVECHAT, E },
	/* M, A */
	{ "change-livechat-room-visitor", MGR_AGENT, 0 },
	{ "edit-omnichannel-contact", MGR_AGENT, 0 },
	/* M, Mo */
	{ "view-livechat-manager", MGR_MONITOR, 0 },
	{ "view-livechat-rooms", MGR_MONITOR, 0 },
	{ "close-others-livechat-room", MGR_MONITOR, 0 },
	{ "on-hold-others-livechat-room", MGR_MONITOR, 0 },
	{ "save-others-livechat-room-info", MGR_MONITOR, 0 },
	{ "remove-closed-livechat-rooms", MGR_MONITOR, 0 },
	{ "view-livechat-analytics", MGR_MONITOR, 0 },
	{ "transfer-livechat-guest", MGR_MONITOR, 0 },
	{ "manage-livechat-agents", MGR_MONITOR, 0 },
	{ "manage-livechat-departments", MGR_MONITOR, 0 },
	{ "view-livechat-departments", MGR_MONITOR, 0 },
	{ "add-livechat-department-agents", MGR_MONITOR, 0 },
	{ "view-livechat-real-time-monitoring", MGR_MONITOR, 0 },
	{ "view-livechat-business-hours", MGR_MONITOR, 0 },
	{ "view-livechat-room-closed-same-department", MGR_MONITOR, 0 },
	{ "view-livechat-room-closed-by-another-agent", MGR_MONITOR, 0 },
	{ "view-livechat-current-chats", MGR_MONITOR, 0 },
	{ "manage-livechat-canned-responses", MGR_MONITOR, E },
	{ "view-livechat-reports", MGR_MONITOR, E },
	/* M */
	{ "manage-livechat-managers", MGR, 0 },
	{ "view-livechat-triggers", MGR, 0 },
	{ "view-livechat-customfields", MGR, 0 },
	{ "view-livechat-installation", MGR, 0 },
	{ "view-livechat-appearance", MGR, 0 },
	{ "view-livechat-webhooks", MGR, 0 },
	{ "send-omnichannel-chat-transcript", MGR, 0 },
	{ "remove-closed-livechat-room", MGR, 0 },
	{ "remove-livechat-department", MGR, 0 },
	{ "manage-livechat-units", MGR, E },
	{ "manage-livechat-monitors", MGR, E },
	{ "manage-livechat-tags", MGR, E },
	{ "manage-livechat-priorities", MGR, E },
	{ "manage-livechat-sla", MGR, E },
	{ "view-all-canned-responses", MGR, E },
	{ "save-all-canned-responses", MGR, E },
	/* A only, Mo only: not admin */
	{ "view-agent-canned-responses", AGENT, E },
	{ "save-department-canned-responses", MONITOR, E },
	/*
	 * Rocket.Chat 7.x.  Core table: apps/meteor/app/authorization/
	 * server/constant/permissions.ts at commit
	 * 7dd565531895bdf38d8db88adf6172125f76f444 (7.8.0-develop);
	 * Enterprise table: apps/meteor/ee/app/livechat-enterprise/server/
	 * permissions.ts (omnichannelEEPermissions) of the 7.x releases.
	 */
	{ "manage-email-inbox", ADMIN, 0 },
	{ "manage-agent-extension-association", ADMIN, 0 },
	{ "manage-voip-call-settings", MGR, 0 },
	{ "manage-voip-contact-center-settings", MGR, 0 },
	{ "view-agent-extension-association", MGR_AGENT, 0 },
	{ "inbound-voip-calls", AGENT, 0 },
	{ "spy-voip-calls", MGR_MONITOR, E },
	{ "outbound-voip-calls", MGR, E },
	{ "block-livechat-contact", ALL_LIVECHAT, E },
	{ "unblock-livechat-contact", ALL_LIVECHAT, E },
	{ "outbound.send-messages", ALL_LIVECHAT, E },
	{ "outbound.can-assign-queues", MGR, E },
	{ "outbound.can-assign-any-agent", MGR_MONITOR, E },
	{ "outbound.can-assign-self-only", AGENT, E },
	/* the plugin's action */
	{ "take-inquiry", AGENT, 0 },
};
/* clang-format on */

#define NPRIVS            RG_COUNTOF(privs)
#define NENTERPRISE_PRIVS 23

/* ---- Requests ---------------------------------------------------------- */

/*
 * One request's attributes, written "key=value" (request) or
 * "subject.key=value" (subject), as on the rolegate command line.
 */
struct attrs {
	rg_attr req[MAX_ATTRS], subj[MAX_ATTRS];
	size_t nreq, nsubj;
	char buf[MAX_ATTRS][RG_REASON_MAX];
};

static void attrs_parse(struct attrs *a, const char *const *words)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	for (i = 0; words && words[i]; i++) {
		char *eq;
		rg_attr *at;

		ck_assert_uint_lt(i, MAX_ATTRS);
		snprintf(a->buf[i], sizeof(a->buf[i]), "%s", words[i]);
		eq = strchr(a->buf[i], '=');
		ck_assert_msg(eq, "bad test attribute '%s'", words[i]);
		*eq = '\0';
		if (!strncmp(a->buf[i], "subject.", 8)) {
			at = &a->subj[a->nsubj++];
			at->key = a->buf[i] + 8;
		} else {
			at = &a->req[a->nreq++];
			at->key = a->buf[i];
		}
		at->value = eq + 1;
	}
}

/*
 * rg_check() with attributes; *out is poisoned first.  quiet: the request
 * is asked without a reason as well (tu_quiet_matches()).
 */
static int check_as(const rg_context *ctx, const char *service,
                    const char *subject, const char *action,
                    const char *const *words, int quiet, rg_decision *out)
{
	struct attrs a;
	rg_request req;
	int rc;

	attrs_parse(&a, words);
	tu_request(&req, service, subject, action);
	req.subject.attrs = a.subj;
	req.subject.nattrs = a.nsubj;
	req.attrs = a.req;
	req.nattrs = a.nreq;
	memset(out, 0, sizeof(*out));
	out->result = RG_ALLOW; /* poison: the check must overwrite it */
	rc = rg_check(ctx, &req, 0, out);
	if (quiet)
		tu_quiet_matches(ctx, &req, rc, out);
	return rc;
}

static int check(const rg_context *ctx, const char *service,
                 const char *subject, const char *action,
                 const char *const *words, rg_decision *out)
{
	return check_as(ctx, service, subject, action, words, 0, out);
}

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

/* ---- Registry ---------------------------------------------------------- */

START_TEST(test_shipped_loads)
{
	static const char *const names[] = {SVC_ENT, SVC_COM};
	size_t i;

	for (i = 0; i < RG_COUNTOF(names); i++) {
		const rg_service *svc = tu_service(shipped.ctx, names[i]);
		rg_entry_info e;

		ck_assert_uint_eq(rg_entry_count(svc), 1);
		ck_assert_int_eq(rg_entry_at(svc, 0, &e), RG_OK);
		ck_assert_str_eq(e.plugin, PLUGIN);
		ck_assert_msg(e.status == RG_OK, "%s entry failed: %s%s",
		              names[i], e.error, tu_diag_dump(shipped.ctx));
	}
	ck_assert_msg(tu_diag_find(shipped.ctx, "rocketchat", NULL) < 0,
	              "rocketchat diagnostics:%s", tu_diag_dump(shipped.ctx));
	/* Community: no livechat-monitor, no Enterprise rows. */
	ck_assert_uint_eq(rg_role_count(tu_service(shipped.ctx, SVC_ENT)),
	                  NROLES);
	ck_assert_uint_eq(rg_role_count(tu_service(shipped.ctx, SVC_COM)),
	                  NROLES - 1);
	ck_assert_uint_eq(rg_privilege_count(tu_service(shipped.ctx, SVC_ENT)),
	                  NPRIVS);
	ck_assert_uint_eq(rg_privilege_count(tu_service(shipped.ctx, SVC_COM)),
	                  NPRIVS - NENTERPRISE_PRIVS);
}
END_TEST

START_TEST(test_enterprise_count)
{
	size_t i, n = 0;

	for (i = 0; i < NPRIVS; i++)
		n += privs[i].enterprise_only;
	ck_assert_uint_eq(n, NENTERPRISE_PRIVS);
}
END_TEST

/* Loop: role _i / 2 in edition _i % 2 (0 Enterprise, 1 Community). */
START_ROW_TEST(test_role_registry, NROLES * 2)
{
	const struct role_row *row = &roles[_i / 2];
	int community = _i % 2;
	const rg_service *svc =
	    tu_service(shipped.ctx, community ? SVC_COM : SVC_ENT);
	long idx = rg_role_find(svc, row->id);
	rg_role_info info;

	if (community && row->enterprise_only) {
		ck_assert_msg(idx < 0, "%s listed in Community", row->id);
		return;
	}
	ck_assert_msg(idx >= 0, "role %s not declared", row->id);
	ck_assert_int_eq(rg_role_at(svc, (size_t)idx, &info), RG_OK);
	ck_assert_str_eq(info.id, row->id);
	ck_assert_str_eq(info.name, row->name);
	ck_assert_str_eq(info.plugin, PLUGIN);
	/* Every Rocket.Chat role is protected: none can be deleted. */
	ck_assert_uint_eq(info.flags, RG_ROLE_PROTECTED);
	ck_assert_msg(info.description && *info.description,
	              "role %s has no description", row->id);
	ck_assert_uint_eq(info.nprereqs, 0);
}
END_TEST

/* Loop: privilege _i / 2 in edition _i % 2. */
START_ROW_TEST(test_privilege_registry, NPRIVS * 2)
{
	const struct priv_row *row = &privs[_i / 2];
	int community = _i % 2;
	const rg_service *svc =
	    tu_service(shipped.ctx, community ? SVC_COM : SVC_ENT);
	long idx = rg_privilege_find(svc, row->id);
	rg_privilege_info info;
	size_t r;

	if (community && row->enterprise_only) {
		ck_assert_msg(idx < 0, "%s listed in Community", row->id);
		return;
	}
	ck_assert_msg(idx >= 0, "privilege %s not declared", row->id);
	ck_assert_int_eq(rg_privilege_at(svc, (size_t)idx, &info), RG_OK);
	ck_assert_str_eq(info.plugin, PLUGIN);
	ck_assert_msg(info.description && *info.description,
	              "privilege %s has no description", row->id);
	ck_assert_uint_eq(info.nrequires, 0);
	/* The registry's grants are exactly the table's. */
	for (r = 0; r < NROLES; r++) {
		long ri = rg_role_find(svc, roles[r].id);
		int want = (row->holders >> r) & 1u;

		if (ri < 0)
			continue;
		ck_assert_msg(
		    rg_role_grants(svc, (size_t)ri, (size_t)idx) == want,
		    "%s grants %s: want %d", roles[r].id, row->id, want);
	}
}
END_TEST

/*
 * Loop: privilege _i / 2 in edition _i % 2.  The department scopes what a
 * monitor holds (Enterprise), the queue and taking a chat; nothing else.
 */
START_ROW_TEST(test_privilege_scope, NPRIVS * 2)
{
	const struct priv_row *row = &privs[_i / 2];
	int community = _i % 2;
	const rg_service *svc =
	    tu_service(shipped.ctx, community ? SVC_COM : SVC_ENT);
	long idx = rg_privilege_find(svc, row->id);
	const char *scope;
	int want;

	if (idx < 0)
		return;
	want = strcmp(row->id, "view-livechat-queue") == 0 ||
	       strcmp(row->id, "take-inquiry") == 0 ||
	       (!community && (row->holders & MONITOR));
	scope = rg_privilege_scope(svc, (size_t)idx);
	if (want)
		ck_assert_msg(scope && strcmp(scope, "department") == 0,
		              "%s: scope %s, want department", row->id,
		              scope ? scope : "(none)");
	else
		ck_assert_msg(scope == NULL, "%s: scope %s, want none", row->id,
		              scope);
	/* Out of range and no service: none. */
	ck_assert_ptr_null(rg_privilege_scope(svc, rg_privilege_count(svc)));
	ck_assert_ptr_null(rg_privilege_scope(NULL, 0));
}
END_TEST

/*
 * Loop: privilege, role and edition.  take-inquiry needs an available agent
 * with room for a chat, so every check says so; the attributes are valid
 * and change nothing for the other permissions.
 */
START_ROW_TEST(test_matrix, (NPRIVS * NROLES * 2))
{
	static const char *const words[] = {"subject.status=available",
	                                    "connection=online", "open_chats=0",
	                                    NULL};
	size_t i = (size_t)_i;
	int community = (int)(i % 2);
	const struct role_row *r = &roles[(i / 2) % NROLES];
	const struct priv_row *p = &privs[i / 2 / NROLES];
	int want = (p->holders >> ((i / 2) % NROLES)) & 1u;
	char subject[RG_ID_MAX + 1];
	rg_decision d;
	int rc;

	snprintf(subject, sizeof(subject), "@%s", r->id);
	rc = check(shipped.ctx, community ? SVC_COM : SVC_ENT, subject, p->id,
	           words, &d);
	if (community && (r->enterprise_only || p->enterprise_only)) {
		/* Neither listed nor granted: unknown, hence denied. */
		ck_assert_msg(d.result == RG_DENY, "%s %s allowed in Community",
		              r->id, p->id);
		ck_assert_int_eq(rc, r->enterprise_only ? RG_ENOROLE
		                                        : RG_ENOACTION);
		return;
	}
	ck_assert_msg(rc == RG_OK, "%s %s: status %s (%s)", r->id, p->id,
	              rg_status_name(rc), d.reason);
	ck_assert_msg(d.result == (want ? RG_ALLOW : RG_DENY),
	              "%s %s %s: got %s, want %s (%s)",
	              community ? "community" : "enterprise", r->id, p->id,
	              rg_result_name(d.result), want ? "allow" : "deny",
	              d.reason);
	ck_assert_msg(*d.reason, "%s %s: empty reason", r->id, p->id);
	if (want) {
		ck_assert_msg(strstr(d.reason, r->id), "reason '%s' lacks %s",
		              d.reason, r->id);
		ck_assert_str_eq(d.role, r->id);
	}
}
END_TEST

/* Roles combine: the union of their grants. */
START_TEST(test_union)
{
	static const char *const words[] = {"subject.status=available",
	                                    "connection=online", "open_chats=0",
	                                    NULL};
	rg_decision d;
	size_t i;

	for (i = 0; i < NPRIVS; i++) {
		int want = (privs[i].holders & (AGENT | MONITOR)) != 0;

		check(shipped.ctx, SVC_ENT, "@livechat-agent,livechat-monitor",
		      privs[i].id, words, &d);
		ck_assert_msg(d.result == (want ? RG_ALLOW : RG_DENY),
		              "agent+monitor %s: got %s (%s)", privs[i].id,
		              rg_result_name(d.result), d.reason);
	}
	check(shipped.ctx, SVC_ENT, "@", "view-l-room", NULL, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	check(shipped.ctx, SVC_ENT, "@user,bot,app,guest,anonymous,owner",
	      "view-l-room", NULL, &d);
	ck_assert_int_eq(d.result, RG_DENY);
}
END_TEST

START_TEST(test_unknown_ids)
{
	rg_decision d;
	int rc;

	rc =
	    check(shipped.ctx, SVC_ENT, "@supervisor", "view-l-room", NULL, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_eq(rc, RG_ENOROLE);
	rc =
	    check(shipped.ctx, SVC_ENT, "@admin", "delete-workspace", NULL, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_eq(rc, RG_ENOACTION);
	/* An Enterprise row asked in the Community edition. */
	rc = check(shipped.ctx, SVC_COM, "@admin", "manage-livechat-units",
	           NULL, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_eq(rc, RG_ENOACTION);
}
END_TEST

/* whocan (grants, before any attribute rule) agrees with the matrix. */
static int whocan_collect(void *user, const rg_service *svc, size_t role)
{
	unsigned *mask = user;
	rg_role_info info;
	size_t i;

	if (rg_role_at(svc, role, &info) != RG_OK)
		return 1;
	for (i = 0; i < NROLES; i++)
		if (!strcmp(info.id, roles[i].id))
			*mask |= 1u << i;
	return 0;
}

START_ROW_TEST(test_whocan, NPRIVS)
{
	const struct priv_row *p = &privs[_i];
	unsigned mask = 0;

	ck_assert_int_eq(
	    rg_whocan(shipped.ctx, SVC_ENT, p->id, whocan_collect, &mask),
	    RG_OK);
	ck_assert_msg(mask == p->holders, "whocan %s: %#x, want %#x", p->id,
	              mask, p->holders);
}
END_TEST

/* ---- Rule cases -------------------------------------------------------- */

struct rule_case {
	const char *service;
	const char *subject;
	const char *action;
	const char *words[MAX_ATTRS];
	rg_result want;
	const char *reason; /* substring of the reason, or NULL */
};

static void run_case(const rg_context *ctx, const struct rule_case *c, int i)
{
	rg_decision d;
	int rc;

	/* Asked without a reason as well: the quiet path decides the roles
	 * before it reads the attributes, and a bad one must still deny when
	 * the roles grant. */
	rc = check_as(ctx, c->service, c->subject, c->action, c->words, 1, &d);
	ck_assert_msg(rc == RG_OK, "case %d: status %s (%s)", i,
	              rg_status_name(rc), d.reason);
	ck_assert_msg(d.result == c->want, "case %d (%s %s %s): got %s (%s)", i,
	              c->service, c->subject, c->action,
	              rg_result_name(d.result), d.reason);
	if (c->reason)
		ck_assert_msg(strstr(d.reason, c->reason),
		              "case %d: reason '%s' lacks '%s'", i, d.reason,
		              c->reason);
}

#define MON       "@livechat-monitor"
#define ANALYTICS "view-livechat-analytics"
#define CHATS     "view-livechat-current-chats"

/* Monitors and units (the shipped tenant has units). */
/* clang-format off */
static const struct rule_case monitor_cases[] = {
	/* No department named: is the permission held at all? */
	{ SVC_ENT, MON, ANALYTICS, { NULL }, RG_ALLOW, "livechat-monitor" },
	/* Through a unit. */
	{ SVC_ENT, MON, ANALYTICS, { "department=sales", "subject.units=emea" },
	  RG_ALLOW, "unit 'emea'" },
	{ SVC_ENT, MON, CHATS, { "department=support", "subject.units=emea" },
	  RG_ALLOW, "unit 'emea'" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=billing", "subject.units=americas" }, RG_ALLOW,
	  "'americas'" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=billing", "subject.units=emea,americas" }, RG_ALLOW,
	  "'americas'" },
	/* Outside its units. */
	{ SVC_ENT, MON, ANALYTICS, { "department=billing", "subject.units=emea" },
	  RG_DENY, "department 'billing' is in unit 'americas'" },
	{ SVC_ENT, MON, CHATS, { "department=sales", "subject.units=americas" },
	  RG_DENY, "not one of the monitor's units (americas)" },
	{ SVC_ENT, MON, ANALYTICS, { "department=sales" }, RG_DENY,
	  "monitor's units (none)" },
	{ SVC_ENT, MON, ANALYTICS, { "department=sales", "subject.units=" },
	  RG_DENY, "monitor's units (none)" },
	/* As an agent of the department. */
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.departments=sales" }, RG_ALLOW,
	  "one of its agents" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=billing", "subject.units=emea",
	    "subject.departments=support,billing" },
	  RG_ALLOW, "one of its agents" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.departments=support" }, RG_DENY,
	  "not its agent" },
	/* A department in no unit: only its agents. */
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=onboarding", "subject.units=emea,americas" }, RG_DENY,
	  "'onboarding' is in no unit" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=onboarding", "subject.departments=onboarding" },
	  RG_ALLOW, "one of its agents" },
	/* The Mo-only row is restricted too. */
	{ SVC_ENT, MON, "save-department-canned-responses",
	  { "department=sales", "subject.units=emea" }, RG_ALLOW, "'emea'" },
	{ SVC_ENT, MON, "save-department-canned-responses",
	  { "department=billing", "subject.units=emea" }, RG_DENY, "'americas'" },
	/* The monitor's queue: the same rule. */
	{ SVC_ENT, MON, "view-livechat-queue",
	  { "department=sales", "subject.units=emea" }, RG_ALLOW, "'emea'" },
	{ SVC_ENT, MON, "view-livechat-queue",
	  { "department=billing", "subject.units=emea" }, RG_DENY, "'americas'" },
	{ SVC_ENT, MON, "view-livechat-queue", { NULL }, RG_ALLOW, NULL },
	/* An ad hoc subject's lists name what the tenant file has, each
	 * item a valid id; the first bad item is the one named. */
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.units= americas , emea" }, RG_ALLOW,
	  "'emea'" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.units=emea,atlantis,bad/id" },
	  RG_DENY, "names unit 'atlantis', which the tenant does not have "
		   "(the tenant file)" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.units=emea,bad/id,atlantis" },
	  RG_DENY, "subject attribute units='emea,bad/id,atlantis' is not a "
		   "comma-separated list of unit ids" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.units=emea",
	    "subject.departments=sales,nowhere" },
	  RG_DENY, "names department 'nowhere', which the tenant does not "
		   "have" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.units=emea",
	    "subject.departments=sales,no where" },
	  RG_DENY, "is not a comma-separated list of department ids" },
	/* An empty item, wherever it is, is no id: the one-pass check of
	 * a list the tenant file has all of must refuse it too. */
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.departments=sales," }, RG_DENY,
	  "subject attribute departments='sales,' is not a comma-separated "
	  "list of department ids" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.departments=,sales" }, RG_DENY,
	  "is not a comma-separated list of department ids" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.departments=sales, ,support" },
	  RG_DENY, "is not a comma-separated list of department ids" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.units=emea,,americas" }, RG_DENY,
	  "is not a comma-separated list of unit ids" },
	/* Blanks only: no item at all, so none is refused. */
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.departments= \t ",
	    "subject.units=emea" },
	  RG_ALLOW, "'emea'" },
	/* A prefix of a known id is not that id. */
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.departments=sale" }, RG_DENY,
	  "names department 'sale', which the tenant does not have" },
	/* Admin or manager besides: not restricted. */
	{ SVC_ENT, "@livechat-monitor,livechat-manager", ANALYTICS,
	  { "department=billing", "subject.units=emea" }, RG_ALLOW,
	  "livechat-manager grants view-livechat-analytics on every" },
	{ SVC_ENT, "@livechat-monitor,admin", CHATS,
	  { "department=onboarding" }, RG_ALLOW, "admin grants" },
	{ SVC_ENT, "@livechat-manager", ANALYTICS, { "department=billing" },
	  RG_ALLOW, "every department" },
	{ SVC_ENT, "@admin", ANALYTICS, { "department=onboarding" }, RG_ALLOW,
	  "every department" },
	/* An agent grant on a permission without a department rule. */
	{ SVC_ENT, "@livechat-monitor,livechat-agent", "view-l-room",
	  { "department=billing", "subject.units=emea" }, RG_ALLOW,
	  "livechat-agent grants view-l-room" },
	{ SVC_ENT, "@livechat-agent", "close-livechat-room",
	  { "department=billing" }, RG_ALLOW, "no department rule" },
	/* Both restricted grants refuse. */
	{ SVC_ENT, "@livechat-monitor,livechat-agent", "view-livechat-queue",
	  { "department=billing", "subject.units=emea",
	    "subject.departments=sales" },
	  RG_DENY, "billing" },
	/* No grant at all: the department changes nothing. */
	{ SVC_ENT, "@user", ANALYTICS, { "department=sales" }, RG_DENY, NULL },
	{ SVC_ENT, MON, "manage-livechat-units",
	  { "department=sales", "subject.units=emea" }, RG_DENY, NULL },
};
/* clang-format on */

START_TEST(test_monitor)
{
	run_case(shipped.ctx, &monitor_cases[_i], _i);
}
END_TEST

#define AGT   "@livechat-agent"
#define QUEUE "view-livechat-queue"

/* Queue visibility, in both editions. */
/* clang-format off */
static const struct rule_case queue_cases[] = {
	{ SVC_ENT, AGT, QUEUE, { NULL }, RG_ALLOW, "livechat-agent" },
	{ SVC_COM, AGT, QUEUE, { NULL }, RG_ALLOW, "livechat-agent" },
	{ SVC_ENT, AGT, QUEUE, { "subject.departments=sales" }, RG_ALLOW,
	  NULL },
	{ SVC_ENT, AGT, QUEUE,
	  { "department=sales", "subject.departments=sales" }, RG_ALLOW,
	  "the subject among them" },
	{ SVC_COM, AGT, QUEUE,
	  { "department=sales", "subject.departments=sales" }, RG_ALLOW,
	  "the subject among them" },
	{ SVC_ENT, AGT, QUEUE,
	  { "department=support", "subject.departments= sales , support" },
	  RG_ALLOW, "'support'" },
	{ SVC_ENT, AGT, QUEUE,
	  { "department=billing", "subject.departments=sales,support" },
	  RG_DENY, "visible only to its agents (subject departments: "
		   "sales,support)" },
	{ SVC_COM, AGT, QUEUE,
	  { "department=billing", "subject.departments=sales" }, RG_DENY,
	  "visible only to its agents" },
	{ SVC_ENT, AGT, QUEUE, { "department=sales" }, RG_DENY,
	  "(subject departments: none)" },
	/* Units mean nothing to an agent's queue. */
	{ SVC_ENT, AGT, QUEUE, { "department=sales", "subject.units=emea" },
	  RG_DENY, "visible only to its agents" },
	/* Managers and admins see every queue. */
	{ SVC_ENT, "@livechat-manager", QUEUE, { "department=billing" },
	  RG_ALLOW, "every department" },
	{ SVC_COM, "@livechat-manager", QUEUE, { "department=billing" },
	  RG_ALLOW, "every department" },
	{ SVC_ENT, "@admin", QUEUE, { "department=onboarding" }, RG_ALLOW,
	  "every department" },
	{ SVC_ENT, "@livechat-agent,livechat-manager", QUEUE,
	  { "department=billing", "subject.departments=sales" }, RG_ALLOW,
	  "livechat-manager" },
	/* Roles without the permission see no queue. */
	{ SVC_ENT, "@user", QUEUE, { NULL }, RG_DENY, NULL },
	{ SVC_COM, "@guest", QUEUE, { "department=sales" }, RG_DENY, NULL },
};
/* clang-format on */

START_TEST(test_queue)
{
	run_case(shipped.ctx, &queue_cases[_i], _i);
}
END_TEST

#define TAKE  "take-inquiry"
#define AVAIL "subject.status=available"

/*
 * take-inquiry, Rocket.Chat 7.x (the default rule), from the product's
 * source: the Enterprise hook checkAgentBeforeTakeInquiry
 * (apps/meteor/ee/app/livechat-enterprise/server/hooks/
 * checkAgentBeforeTakeInquiry.ts) returns early unless
 * Livechat_waiting_queue is on and skips bots, then
 * isAgentWithinChatLimits (apps/meteor/ee/app/livechat-enterprise/server/
 * lib/Helper.ts) requires the department's open chats below the
 * department's limit AND the agent's open chats below the agent's own
 * limit, else Livechat_maximum_chats_per_agent.  The agent must be
 * available and online, or away while Livechat_enabled_when_agent_idle
 * (default true, apps/meteor/server/settings/omnichannel.ts) is on.
 * The shipped tenant turns the waiting queue on; its default limit is 5,
 * sales' 3.
 */
#define ONLINE "connection=online"
/* clang-format off */
static const struct rule_case take_cases[] = {
	/* No role grants it: that reason stands, although the department
	 * and take-inquiry steps, which would replace it, are not run. */
	{ SVC_ENT, MON, TAKE,
	  { AVAIL, ONLINE, "department=sales", "subject.units=emea",
	    "open_chats=0" },
	  RG_DENY, "no role of the subject grants take-inquiry" },
	{ SVC_ENT, AGT, ANALYTICS, { "department=sales" }, RG_DENY,
	  "no role of the subject grants view-livechat-analytics" },
	/* Status and connection. */
	{ SVC_ENT, AGT, TAKE, { ONLINE, "open_chats=0" }, RG_DENY,
	  "subject attribute status is not given" },
	{ SVC_ENT, AGT, TAKE,
	  { "subject.status=unavailable", ONLINE, "open_chats=0" },
	  RG_DENY, "status is unavailable" },
	{ SVC_COM, AGT, TAKE,
	  { "subject.status=unavailable", ONLINE, "open_chats=0" },
	  RG_DENY, "needs status available" },
	{ SVC_ENT, AGT, TAKE, { AVAIL, "open_chats=0" }, RG_DENY,
	  "request attribute connection (online, away or offline) is not "
	  "given" },
	{ SVC_COM, AGT, TAKE, { AVAIL }, RG_DENY,
	  "connection (online, away or offline) is not given" },
	{ SVC_ENT, AGT, TAKE, { AVAIL, "connection=offline", "open_chats=0" },
	  RG_DENY, "the agent is offline" },
	/* Away: accepted while accept_when_idle is on (its default). */
	{ SVC_ENT, AGT, TAKE, { AVAIL, "connection=away", "open_chats=0" },
	  RG_ALLOW, "below the limit of 5" },
	/* The issue's example: agent max 2, department sales max 3, 2 open
	 * chats.  7.x denies (the agent's own limit), 6.x allows. */
	{ SVC_ENT, AGT, TAKE,
	  { AVAIL, ONLINE, "department=sales", "subject.max_chats=2",
	    "open_chats=2", "department_open_chats=2" },
	  RG_DENY, "2 open chats reach the limit of 2 set by the agent" },
	/* Both limits apply; the department's counts its own chats. */
	{ SVC_ENT, AGT, TAKE,
	  { AVAIL, ONLINE, "department=sales", "subject.max_chats=10",
	    "open_chats=2", "department_open_chats=2" },
	  RG_ALLOW, "the department's 2 open chats are below its limit of "
		    "3" },
	{ SVC_ENT, AGT, TAKE,
	  { AVAIL, ONLINE, "department=sales", "subject.max_chats=10",
	    "open_chats=2", "department_open_chats=3" },
	  RG_DENY, "the department's 3 open chats reach the limit of 3 set "
		   "by department 'sales'" },
	{ SVC_ENT, AGT, TAKE,
	  { AVAIL, ONLINE, "department=sales", "open_chats=5",
	    "department_open_chats=0" },
	  RG_DENY, "5 open chats reach the limit of 5 set by the tenant "
		   "default" },
	/* A count a limit needs is missing: deny, never a guess. */
	{ SVC_ENT, AGT, TAKE,
	  { AVAIL, ONLINE, "department=sales", "open_chats=0" },
	  RG_DENY, "request attribute department_open_chats is not given; "
		   "the department's limit is 3" },
	{ SVC_ENT, AGT, TAKE,
	  { AVAIL, ONLINE, "department=sales", "department_open_chats=0" },
	  RG_DENY, "open_chats is not given; the limit is 5" },
	/* No department limit (support; billing's 0 is not set): the
	 * department's count is not needed. */
	{ SVC_ENT, AGT, TAKE,
	  { AVAIL, ONLINE, "department=support", "subject.max_chats=2",
	    "open_chats=1" },
	  RG_ALLOW, "limit of 2 set by the agent (subject attribute "
		    "max_chats)" },
	{ SVC_ENT, AGT, TAKE,
	  { AVAIL, ONLINE, "department=billing", "subject.max_chats=8",
	    "open_chats=8" },
	  RG_DENY, "limit of 8 set by the agent" },
	{ SVC_ENT, AGT, TAKE, { AVAIL, ONLINE, "department=billing",
	    "open_chats=4" },
	  RG_ALLOW, "limit of 5 set by the tenant default" },
	{ SVC_ENT, AGT, TAKE, { AVAIL, ONLINE, "subject.max_chats=0",
	    "open_chats=5" },
	  RG_DENY, "5 open chats reach the limit of 5 set by the tenant "
		   "default" },
	{ SVC_ENT, AGT, TAKE, { AVAIL, ONLINE }, RG_DENY,
	  "open_chats is not given; the limit is 5" },
	/* A bot skips the limits. */
	{ SVC_ENT, "@livechat-agent,bot", TAKE,
	  { AVAIL, ONLINE, "department=sales", "open_chats=50",
	    "department_open_chats=50" },
	  RG_ALLOW, "a bot skips the chat limits" },
	{ SVC_ENT, "@livechat-agent,bot", TAKE, { AVAIL, "open_chats=0" },
	  RG_DENY, "connection" },
	/* The Community edition has no chat limits. */
	{ SVC_COM, AGT, TAKE, { AVAIL, ONLINE, "open_chats=50" }, RG_ALLOW,
	  "the Community edition has no chat limits" },
	{ SVC_COM, AGT, TAKE, { AVAIL, ONLINE, "department=sales" }, RG_ALLOW,
	  "Community edition" },
	/* Bad values of the new attributes. */
	{ SVC_ENT, AGT, TAKE, { AVAIL, "connection=busy", "open_chats=0" },
	  RG_DENY, "request attribute connection='busy': expected online, "
		   "away or offline" },
	{ SVC_ENT, AGT, TAKE,
	  { AVAIL, ONLINE, "open_chats=0", "department_open_chats=x" },
	  RG_DENY, "request attribute department_open_chats='x' is not a "
		   "whole number" },
	/* No role grants it but the agent. */
	{ SVC_ENT, "@livechat-manager", TAKE, { AVAIL, ONLINE, "open_chats=0" },
	  RG_DENY, NULL },
	{ SVC_ENT, "@admin", TAKE, { AVAIL, ONLINE, "open_chats=0" }, RG_DENY,
	  NULL },
	{ SVC_ENT, MON, TAKE, { AVAIL, ONLINE, "open_chats=0" }, RG_DENY,
	  NULL },
};
/* clang-format on */

START_TEST(test_take)
{
	run_case(shipped.ctx, &take_cases[_i], _i);
}
END_TEST

/* Attribute values that cannot be trusted deny, naming the attribute. */
/* clang-format off */
static const struct rule_case bad_attr_cases[] = {
	{ SVC_ENT, AGT, TAKE, { AVAIL, "open_chats=abc" }, RG_DENY,
	  "request attribute open_chats='abc'" },
	{ SVC_ENT, AGT, TAKE, { AVAIL, "open_chats=-1" }, RG_DENY,
	  "open_chats='-1'" },
	{ SVC_ENT, AGT, TAKE, { AVAIL, "open_chats=" }, RG_DENY,
	  "open_chats=''" },
	{ SVC_ENT, AGT, TAKE, { AVAIL, "open_chats= 1" }, RG_DENY,
	  "open_chats=' 1'" },
	{ SVC_ENT, AGT, TAKE, { AVAIL, "open_chats=1e3" }, RG_DENY,
	  "open_chats='1e3'" },
	{ SVC_ENT, AGT, TAKE, { AVAIL, "open_chats=99999999999999999999" },
	  RG_DENY, "open_chats=" },
	{ SVC_ENT, AGT, TAKE, { AVAIL, "subject.max_chats=many", "open_chats=0" },
	  RG_DENY, "subject attribute max_chats='many'" },
	{ SVC_ENT, AGT, TAKE, { "subject.status=busy", "open_chats=0" },
	  RG_DENY, "subject attribute status='busy'" },
	{ SVC_ENT, AGT, TAKE, { "subject.status=Available", "open_chats=0" },
	  RG_DENY, "status='Available'" },
	{ SVC_ENT, "@admin", ANALYTICS, { "department=nowhere" }, RG_DENY,
	  "request attribute department='nowhere'" },
	{ SVC_ENT, "@admin", ANALYTICS, { "department=" }, RG_DENY,
	  "department=''" },
	{ SVC_ENT, "@admin", ANALYTICS, { "department=sales team" }, RG_DENY,
	  "is not a department id" },
	{ SVC_ENT, MON, ANALYTICS,
	  { "department=sales", "subject.units=emea,mars" }, RG_DENY,
	  "subject attribute units names unit 'mars'" },
	{ SVC_ENT, MON, ANALYTICS, { "department=sales", "subject.units=e mea" },
	  RG_DENY, "units='e mea'" },
	{ SVC_ENT, AGT, QUEUE,
	  { "department=sales", "subject.departments=sales,,support" }, RG_DENY,
	  "departments='sales,,support'" },
	{ SVC_ENT, AGT, QUEUE,
	  { "department=sales", "subject.departments=sales,atlantis" },
	  RG_DENY, "names department 'atlantis'" },
	/* Checked whatever the action: a bad value is never ignored. */
	{ SVC_ENT, "@admin", "view-livechat-rooms", { "open_chats=lots" },
	  RG_DENY, "open_chats='lots'" },
	{ SVC_COM, "@livechat-manager", "view-livechat-rooms",
	  { "subject.status=away" }, RG_DENY, "status='away'" },
	/* Attributes the plugin does not know are left alone. */
	{ SVC_ENT, "@admin", "view-livechat-rooms", { "bu=anything" }, RG_ALLOW,
	  NULL },
};
/* clang-format on */

START_TEST(test_bad_attrs)
{
	run_case(shipped.ctx, &bad_attr_cases[_i], _i);
}
END_TEST

/*
 * An ad-hoc subject's lists, made at random from the tenant's ids, other
 * words, blanks and commas, against what the lists mean (tenant.c): split
 * at commas, each item trimmed of blanks and tabs, a list of blanks
 * naming none.  A list whose every item the tenant file has is good; any
 * other is refused, named.  The plugin checks a list the tenant has all of
 * in one pass and any other item by item: both must agree with this.
 */
#define LIST_ROUNDS 600
#define LIST_PARTS  5

/* One step of a fixed xorshift: the same lists on every run. */
static uint32_t list_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Whether the tenant file (policies/rocketchat-tenant.ini) has the len
 * bytes at s as a unit (units) or a department. */
static int list_known(const char *s, size_t len, int units)
{
	static const char *const depts[] = {"sales", "support", "billing",
	                                    "onboarding"};
	static const char *const unit_ids[] = {"emea", "americas"};
	const char *const *v = units ? unit_ids : depts;
	size_t n = units ? RG_COUNTOF(unit_ids) : RG_COUNTOF(depts), i;

	for (i = 0; i < n; i++)
		if (strlen(v[i]) == len && !memcmp(v[i], s, len))
			return 1;
	return 0;
}

/* What the list means: 1 when every item is known (or there is none). */
static int list_good(const char *list, int units)
{
	const char *s = list, *item, *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return 1;
	for (s = list;; s++) {
		item = s;
		while (*s && *s != ',')
			s++;
		end = s;
		while (item < end && (*item == ' ' || *item == '\t'))
			item++;
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (!list_known(item, (size_t)(end - item), units))
			return 0;
		if (!*s)
			return 1;
	}
}

static void list_make(char *buf, size_t size, uint32_t *x)
{
	static const char *const parts[] = {
	    "sales",    "support", "billing", "onboarding", "emea",
	    "americas", "sale",    "salesx",  "no where",   "",
	    " ",        "\t",      "bad/id"};
	static const char *const seps[] = {",", " ,", ", ", ",,", "\t,"};
	size_t n = 1 + list_rand(x) % LIST_PARTS, i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *p = parts[list_rand(x) % RG_COUNTOF(parts)];
		const char *sep =
		    i ? seps[list_rand(x) % RG_COUNTOF(seps)] : "";
		int w = snprintf(buf + len, size - len, "%s%s", sep, p);

		ck_assert(w >= 0 && (size_t)w < size - len);
		len += (size_t)w;
	}
}

START_TEST(test_list_forms)
{
	uint32_t x = 0x9e3779b9u;
	char list[RG_REASON_MAX / 2], word[RG_REASON_MAX];
	int round;

	for (round = 0; round < LIST_ROUNDS; round++) {
		int units = round % 2;
		const char *words[] = {"department=billing", word, NULL};
		rg_decision d;
		int good;

		list_make(list, sizeof(list), &x);
		good = list_good(list, units);
		snprintf(word, sizeof(word), "subject.%s=%s",
		         units ? "units" : "departments", list);
		ck_assert_int_eq(check(shipped.ctx, SVC_ENT,
		                       "@livechat-manager", QUEUE, words, &d),
		                 RG_OK);
		ck_assert_msg(d.result == (good ? RG_ALLOW : RG_DENY),
		              "'%s': got %s (%s)", word,
		              rg_result_name(d.result), d.reason);
		if (!good)
			ck_assert_msg(
			    strstr(d.reason, units ? "subject "
			                             "attribute units"
			                           : "subject attribute "
			                             "departments"),
			    "'%s': reason '%s'", word, d.reason);
	}
}
END_TEST

/* ---- Private configurations -------------------------------------------- */

static struct tu_env priv;

static void priv_setup(void)
{
	tu_env_setup(&priv);
	tu_add_plugin(&priv, PLUGIN);
}

static void priv_teardown(void)
{
	tu_env_teardown(&priv);
}

/* Opens services rc (Enterprise) and rc-community on the given lines. */
static void open_services(const char *ent_args, const char *com_args)
{
	tu_open(&priv,
	        "[service rc]\nstack = required rocketchat %s\n"
	        "[service rc-community]\nstack = required rocketchat %s\n",
	        ent_args, com_args);
}

static int entry_status(const char *svc_name)
{
	rg_entry_info e;

	ck_assert_int_eq(rg_entry_at(tu_service(priv.ctx, svc_name), 0, &e),
	                 RG_OK);
	return e.status;
}

/* A failed entry denies what its policy would have allowed. */
static void assert_fails_closed(const char *what)
{
	rg_decision d;

	check(priv.ctx, "rc", "@admin", "view-livechat-queue", NULL, &d);
	ck_assert_msg(d.result == RG_DENY, "%s: allowed (%s)", what, d.reason);
}

/* ---- Tenants without units, or without a tenant file ------------------- */

static const char nounits_tenant[] = "[tenant]\n"
                                     "max_chats = 0\n"
                                     "waiting_queue = on\n"
                                     "[department sales]\n"
                                     "name = Sales\n"
                                     "[department support]\n"
                                     "max_chats = 2\n";

/* The shipped policy, outside the config's directory, with a tenant of our
 * own beside the config. */
static void open_nounits(void)
{
	free(tu_write(priv.dir, "nounits.ini", 0644, "%s", nounits_tenant));
	open_services("policy=" TU_POLICIES "/rocketchat.ini "
	              "edition=enterprise tenant=nounits.ini",
	              "policy=" TU_POLICIES
	              "/rocketchat.ini edition=community");
	ck_assert_msg(entry_status("rc") == RG_OK &&
	                  entry_status("rc-community") == RG_OK,
	              "entries failed:%s", tu_diag_dump(priv.ctx));
}

/* clang-format off */
static const struct rule_case nounits_cases[] = {
	/* No units at all: a monitor is not restricted. */
	{ "rc", MON, ANALYTICS, { "department=sales" }, RG_ALLOW,
	  "the tenant has no units" },
	{ "rc", MON, CHATS, { "department=support", "subject.units=" },
	  RG_ALLOW, "no units" },
	{ "rc", MON, QUEUE, { "department=sales" }, RG_ALLOW, "no units" },
	/* The department must still exist. */
	{ "rc", MON, ANALYTICS, { "department=billing" }, RG_DENY,
	  "department='billing'" },
	/* And no unit can be named. */
	{ "rc", MON, ANALYTICS, { "department=sales", "subject.units=emea" },
	  RG_DENY, "unit 'emea'" },
	/* The queue rule does not depend on units. */
	{ "rc", AGT, QUEUE, { "department=sales" }, RG_DENY,
	  "visible only to its agents" },
	/* Limits: department 2; tenant default 0 and no agent limit: none. */
	{ "rc", AGT, TAKE,
	  { AVAIL, ONLINE, "department=support", "department_open_chats=2" },
	  RG_DENY, "limit of 2 set by department 'support'" },
	{ "rc", AGT, TAKE,
	  { AVAIL, ONLINE, "department=support", "department_open_chats=1" },
	  RG_ALLOW, "no agent limit is set" },
	{ "rc", AGT, TAKE,
	  { AVAIL, ONLINE, "department=sales", "open_chats=1000" },
	  RG_ALLOW, "no chat limit" },
	{ "rc", AGT, TAKE, { AVAIL, ONLINE }, RG_ALLOW, "no chat limit" },
	{ "rc", AGT, TAKE,
	  { AVAIL, ONLINE, "subject.max_chats=3", "open_chats=3" },
	  RG_DENY, "limit of 3 set by the agent" },
	/* No tenant file: no units, departments unchecked, no default. */
	{ "rc-community", AGT, QUEUE,
	  { "department=anything", "subject.departments=anything" }, RG_ALLOW,
	  "the subject among them" },
	{ "rc-community", AGT, QUEUE, { "department=anything" }, RG_DENY,
	  "visible only to its agents" },
	{ "rc-community", AGT, TAKE, { AVAIL, ONLINE, "department=anything" },
	  RG_ALLOW, "no chat limit" },
	/* The Community edition has no chat limits. */
	{ "rc-community", AGT, TAKE,
	  { AVAIL, ONLINE, "subject.max_chats=1", "open_chats=1" }, RG_ALLOW,
	  "the Community edition has no chat limits" },
	{ "rc-community", AGT, TAKE,
	  { AVAIL, ONLINE, "department=bad id" }, RG_DENY,
	  "not a department id" },
};
/* clang-format on */

START_TEST(test_nounits)
{
	open_nounits();
	run_case(priv.ctx, &nounits_cases[_i], _i);
}
END_TEST

/* ---- The 6.x rule, chosen in config ----------------------------------- */

/*
 * chat_limits=6 keeps Rocket.Chat 6.x's rule: the department's limit if
 * set, else the agent's, else the workspace's (6.x
 * getMaxNumberSimultaneousChat in the livechat-enterprise Helper); 7.x
 * (the default, and chat_limits=7) applies the department's and the
 * agent's both.  Both services read the shipped policy and tenant (the
 * waiting queue on, sales' limit 3, default 5).
 */
static void open_rules(void)
{
	open_services("policy=" TU_POLICIES "/rocketchat.ini "
	              "edition=enterprise tenant=" TU_POLICIES
	              "/rocketchat-tenant.ini chat_limits=6",
	              "policy=" TU_POLICIES "/rocketchat.ini "
	              "edition=enterprise tenant=" TU_POLICIES
	              "/rocketchat-tenant.ini chat_limits=7");
	ck_assert_msg(entry_status("rc") == RG_OK &&
	                  entry_status("rc-community") == RG_OK,
	              "entries failed:%s", tu_diag_dump(priv.ctx));
}

#define RULE6 "rc"
#define RULE7 "rc-community" /* Enterprise too, chat_limits=7 */

/* clang-format off */
static const struct rule_case rule_cases[] = {
	/* The issue's example: agent max 2, sales max 3, 2 open chats. */
	{ RULE6, AGT, TAKE,
	  { AVAIL, ONLINE, "department=sales", "subject.max_chats=2",
	    "open_chats=2", "department_open_chats=2" },
	  RG_ALLOW, "2 open chats are below the limit of 3 set by department "
		    "'sales'" },
	{ RULE7, AGT, TAKE,
	  { AVAIL, ONLINE, "department=sales", "subject.max_chats=2",
	    "open_chats=2", "department_open_chats=2" },
	  RG_DENY, "2 open chats reach the limit of 2 set by the agent" },
	/* 6.x reads open_chats against the department's limit alone. */
	{ RULE6, AGT, TAKE,
	  { AVAIL, ONLINE, "department=sales", "subject.max_chats=10",
	    "open_chats=3" },
	  RG_DENY, "3 open chats reach the limit of 3 set by department "
		   "'sales'" },
	{ RULE6, AGT, TAKE,
	  { AVAIL, ONLINE, "department=support", "subject.max_chats=2",
	    "open_chats=1" },
	  RG_ALLOW, "limit of 2 set by the agent" },
	{ RULE6, AGT, TAKE, { AVAIL, ONLINE, "open_chats=5" }, RG_DENY,
	  "limit of 5 set by the tenant default" },
	/* Both rules: connection, bots and the edition alike. */
	{ RULE6, AGT, TAKE, { AVAIL, "open_chats=0" }, RG_DENY,
	  "connection" },
	{ RULE6, "@livechat-agent,bot", TAKE,
	  { AVAIL, ONLINE, "department=sales", "open_chats=9" }, RG_ALLOW,
	  "a bot skips the chat limits" },
};
/* clang-format on */

START_TEST(test_rules)
{
	open_rules();
	run_case(priv.ctx, &rule_cases[_i], _i);
}
END_TEST

/* A chat_limits= value that is neither 6 nor 7 fails the entry. */
START_TEST(test_bad_rule)
{
	open_services("policy=" TU_POLICIES "/rocketchat.ini "
	              "edition=enterprise chat_limits=8",
	              "policy=" TU_POLICIES "/rocketchat.ini "
	              "edition=community chat_limits=");
	ck_assert_int_ne(entry_status("rc"), RG_OK);
	ck_assert_int_ne(entry_status("rc-community"), RG_OK);
	assert_fails_closed("chat_limits=8");
}
END_TEST

/* ---- Bad policy files -------------------------------------------------- */

/* A small valid policy; each case appends to it. */
static const char base_policy[] = "[policy]\n"
                                  "product = rocketchat\n"
                                  "version = test\n"
                                  "[privilege view-livechat-queue]\n"
                                  "description = Queue\n"
                                  "[privilege take-inquiry]\n"
                                  "[privilege view-livechat-analytics]\n"
                                  "[privilege manage-livechat-units]\n"
                                  "edition = enterprise\n"
                                  "[role admin]\n"
                                  "name = Admin\n"
                                  "flags = protected\n"
                                  "scope = global\n"
                                  "grant = view-livechat-queue "
                                  "view-livechat-analytics\n"
                                  "grant = manage-livechat-units\n"
                                  "[role livechat-manager]\n"
                                  "name = Livechat Manager\n"
                                  "grant = view-livechat-queue\n"
                                  "[role livechat-agent]\n"
                                  "name = Livechat Agent\n"
                                  "scope = global\n"
                                  "grant = view-livechat-queue take-inquiry\n"
                                  "[role livechat-monitor]\n"
                                  "name = Livechat Monitor\n"
                                  "edition = enterprise\n"
                                  "grant = view-livechat-analytics\n";

static const char base_tenant[] = "[tenant]\n"
                                  "max_chats = 4\n"
                                  "waiting_queue = on\n"
                                  "[unit emea]\n"
                                  "name = EMEA\n"
                                  "[department sales]\n"
                                  "name = Sales\n"
                                  "unit = emea\n"
                                  "max_chats = 2\n";

#define ARGS_ENT "policy=" BAD_POLICY " edition=enterprise tenant=" BAD_TENANT
#define ARGS_COM "policy=" BAD_POLICY " edition=community tenant=" BAD_TENANT

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void write_files(const char *policy, const char *tenant)
{
	free(tu_write(priv.dir, BAD_POLICY, 0644, "%s", policy));
	free(tu_write(priv.dir, BAD_TENANT, 0644, "%s", tenant));
}

START_TEST(test_base_ok)
{
	rg_decision d;
	int rc;

	write_files(base_policy, base_tenant);
	open_services(ARGS_ENT, ARGS_COM);
	ck_assert_msg(entry_status("rc") == RG_OK &&
	                  entry_status("rc-community") == RG_OK,
	              "base files:%s", tu_diag_dump(priv.ctx));
	ck_assert_uint_eq(rg_diagnostic_count(priv.ctx), 0);
	check(priv.ctx, "rc", "@admin", "manage-livechat-units", NULL, &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
	check(priv.ctx, "rc", MON, ANALYTICS,
	      (const char *const[]){"department=sales", "subject.units=emea",
	                            NULL},
	      &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
	check(priv.ctx, "rc", AGT, TAKE,
	      (const char *const[]){AVAIL, ONLINE, "department=sales",
	                            "open_chats=1", "department_open_chats=2",
	                            NULL},
	      &d);
	ck_assert_msg(d.result == RG_DENY && strstr(d.reason, "'sales'"), "%s",
	              d.reason);
	/* Community: the marked sections are gone, grants to them dropped. */
	rc = check(priv.ctx, "rc-community", "@admin", "manage-livechat-units",
	           NULL, &d);
	ck_assert_int_eq(rc, RG_ENOACTION);
	ck_assert_int_eq(d.result, RG_DENY);
	rc = check(priv.ctx, "rc-community", MON, ANALYTICS, NULL, &d);
	ck_assert_int_eq(rc, RG_ENOROLE);
	ck_assert_int_eq(d.result, RG_DENY);
	check(priv.ctx, "rc-community", "@admin", ANALYTICS, NULL, &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
	ck_assert_uint_eq(rg_role_count(tu_service(priv.ctx, "rc-community")),
	                  3);
	ck_assert_uint_eq(
	    rg_privilege_count(tu_service(priv.ctx, "rc-community")), 3);
}
END_TEST

/* Custom roles: Enterprise only; the Community edition leaves them out. */
START_TEST(test_custom_role)
{
	char *policy = tu_strdupf("%s[role supervisor]\n"
	                          "name = Supervisor\n"
	                          "description = Sees analytics\n"
	                          "flags = custom\n"
	                          "grant = view-livechat-analytics\n",
	                          base_policy);
	rg_decision d;
	int rc;

	write_files(policy, base_tenant);
	open_services(ARGS_ENT, ARGS_COM);
	ck_assert_msg(entry_status("rc") == RG_OK &&
	                  entry_status("rc-community") == RG_OK,
	              "custom role:%s", tu_diag_dump(priv.ctx));
	check(priv.ctx, "rc", "@supervisor", ANALYTICS, NULL, &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
	/* Not a monitor: no unit restriction on its grant. */
	check(priv.ctx, "rc", "@supervisor", ANALYTICS,
	      (const char *const[]){"department=sales", NULL}, &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
	ck_assert_int_lt(
	    rg_role_find(tu_service(priv.ctx, "rc-community"), "supervisor"),
	    0);
	rc =
	    check(priv.ctx, "rc-community", "@supervisor", ANALYTICS, NULL, &d);
	ck_assert_int_eq(rc, RG_ENOROLE);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_msg(tu_log_has(&priv.log, "custom role supervisor left out"),
	              "no log line for the custom role");
	free(policy);
}
END_TEST

/*
 * A custom role's grant counts only with its prerequisites met: "regional"
 * needs livechat-monitor and is unrestricted; "shadow" needs
 * livechat-manager, which the subject lacks, so the monitor's rule decides.
 */
/* clang-format off */
static const struct rule_case prereq_cases[] = {
	{ "rc", "@regional,livechat-monitor", ANALYTICS, { "department=sales" },
	  RG_ALLOW, "regional grants" },
	{ "rc", "@regional", ANALYTICS, { NULL }, RG_DENY, "livechat-monitor" },
	{ "rc", "@shadow,livechat-monitor", ANALYTICS, { "department=sales" },
	  RG_DENY, "livechat-monitor grants" },
	{ "rc", "@shadow,livechat-monitor", ANALYTICS,
	  { "department=sales", "subject.units=emea" }, RG_ALLOW, "'emea'" },
	/* Any queue grant but a manager's is limited to agents. */
	{ "rc", "@queue-lead", QUEUE, { "department=sales" }, RG_DENY,
	  "queue-lead grants view-livechat-queue, but" },
	{ "rc", "@queue-lead", QUEUE,
	  { "department=sales", "subject.departments=sales" }, RG_ALLOW,
	  "queue-lead" },
};
/* clang-format on */

START_TEST(test_custom_prereqs)
{
	char *policy = tu_strdupf("%s[role regional]\n"
	                          "name = Regional\n"
	                          "flags = custom\n"
	                          "requires = livechat-monitor\n"
	                          "grant = view-livechat-analytics\n"
	                          "[role shadow]\n"
	                          "name = Shadow\n"
	                          "flags = custom\n"
	                          "requires = livechat-manager\n"
	                          "grant = view-livechat-analytics\n"
	                          "[role queue-lead]\n"
	                          "name = Queue lead\n"
	                          "flags = custom\n"
	                          "grant = view-livechat-queue\n",
	                          base_policy);
	size_t i;

	write_files(policy, base_tenant);
	open_services(ARGS_ENT, ARGS_COM);
	ck_assert_msg(entry_status("rc") == RG_OK, "prereqs:%s",
	              tu_diag_dump(priv.ctx));
	for (i = 0; i < RG_COUNTOF(prereq_cases); i++)
		run_case(priv.ctx, &prereq_cases[i], (int)i);
	free(policy);
}
END_TEST

/* clang-format off */
static const struct bad_case {
	const char *what;
	const char *text; /* appended to the base file */
	unsigned line;    /* of the error, within text */
	const char *msg;
} bad_policy_cases[] = {
	{ "unknown key in a privilege", "[privilege x]\ncolour = blue\n", 2,
	  "unknown key 'colour'" },
	{ "unknown key in a role", "[role r]\nname = R\nflavour = mint\n", 3,
	  "unknown key 'flavour'" },
	{ "bad edition", "[privilege x]\nedition = gold\n", 2,
	  "edition = 'gold'" },
	{ "bad edition on a role", "[role r]\nname = R\nedition = Enterprise\n",
	  3, "expected enterprise or community" },
	{ "bad scope", "[role r]\nname = R\nscope = planet\n", 3,
	  "scope = 'planet'" },
	{ "scope on a privilege", "[privilege x]\nscope = room\n", 2,
	  "unknown key 'scope'" },
	{ "grant of an unknown permission",
	  "[role r]\nname = R\ngrant = no-such-permission\n", 3,
	  "no-such-permission" },
	{ "duplicate role", "[role admin]\nname = Admin\n", 1, "admin" },
	{ "duplicate privilege", "[privilege take-inquiry]\n", 1,
	  "take-inquiry" },
	{ "include of an undeclared role", "[role r]\nname = R\ninclude = ghost\n",
	  3, "ghost" },
	{ "requires an undeclared role",
	  "[role r]\nname = R\nrequires = phantom\n", 3, "phantom" },
	{ "grant qualifier",
	  "[role r]\nname = R\ngrant = view-livechat-queue:department\n", 3,
	  "grant qualifier ':department'" },
	{ "unknown flag", "[role r]\nname = R\nflags = sticky\n", 3,
	  "sticky" },
	{ "syntax error", "this is not ini\n", 1, "" },
};
/* clang-format on */

/*
 * One bad case: its text appended to the base policy (or tenant file),
 * the entry must fail with a diagnostic at FILE:LINE and fail closed.
 */
static void run_bad_case(const struct bad_case *c, int in_tenant)
{
	const char *base = in_tenant ? base_tenant : base_policy;
	char *text = tu_strdupf("%s%s", base, c->text);
	char *where = tu_strdupf("%s:%u:", in_tenant ? BAD_TENANT : BAD_POLICY,
	                         count_lines(base) + c->line);

	write_files(in_tenant ? base_policy : text,
	            in_tenant ? text : base_tenant);
	open_services(ARGS_ENT, ARGS_COM);
	ck_assert_msg(entry_status("rc") != RG_OK, "%s: entry loaded", c->what);
	ck_assert_msg(tu_diag_find(priv.ctx, where, c->msg, NULL) >= 0,
	              "%s: no diagnostic with '%s' and '%s':%s", c->what, where,
	              c->msg, tu_diag_dump(priv.ctx));
	assert_fails_closed(c->what);
	free(where);
	free(text);
}

START_TEST(test_bad_policy)
{
	run_bad_case(&bad_policy_cases[_i], 0);
}
END_TEST

/* Whole files: problems not expressible as an addition to the base. */
/* clang-format off */
static const struct bad_case bad_policy_files[] = {
	{ "wrong product", "[policy]\nproduct = omni24\nversion = 1\n", 1,
	  "omni24" },
	{ "edition in [policy]",
	  "[policy]\nproduct = rocketchat\nedition = enterprise\n", 3,
	  "unknown key 'edition'" },
	{ "unknown section", "[policy]\nproduct = rocketchat\n[permission x]\n",
	  3, "permission x" },
};
/* clang-format on */

START_TEST(test_bad_policy_file)
{
	const struct bad_case *c = &bad_policy_files[_i];
	char *where = tu_strdupf(BAD_POLICY ":%u:", c->line);

	write_files(c->text, base_tenant);
	open_services(ARGS_ENT, ARGS_COM);
	ck_assert_msg(entry_status("rc") != RG_OK, "%s: entry loaded", c->what);
	ck_assert_msg(tu_diag_find(priv.ctx, where, c->msg, NULL) >= 0,
	              "%s: no diagnostic with '%s' and '%s':%s", c->what, where,
	              c->msg, tu_diag_dump(priv.ctx));
	assert_fails_closed(c->what);
	free(where);
}
END_TEST

/* A policy without an id the plugin's rules name cannot be used. */
static const struct missing_case {
	const char *id;
	int community_ok; /* the Community edition does not need it */
} missing_cases[] = {
    {"admin", 0},
    {"livechat-manager", 0},
    {"livechat-agent", 0},
    {"livechat-monitor", 1},
    {"view-livechat-queue", 0},
    {"take-inquiry", 0},
};

/* The base policy with every "ID" (section and grants) spelled "ID-x". */
static char *rename_id(const char *id)
{
	size_t len = strlen(id), n = 0;
	char *out = calloc(1, sizeof(base_policy) * 2);
	const char *p = base_policy;
	const char *at;

	ck_assert_ptr_nonnull(out);
	while ((at = strstr(p, id))) {
		/* Whole ids only: "admin" is not part of another id here. */
		memcpy(out + n, p, (size_t)(at - p) + len);
		n += (size_t)(at - p) + len;
		memcpy(out + n, "-x", 2);
		n += 2;
		p = at + len;
	}
	strcpy(out + n, p);
	return out;
}

START_TEST(test_missing_id)
{
	const struct missing_case *c = &missing_cases[_i];
	char *text = rename_id(c->id);
	char *msg =
	    tu_strdupf("declares no %s '%s'",
	               strncmp(c->id, "livechat-", 9) && strcmp(c->id, "admin")
	                   ? "privilege"
	                   : "role",
	               c->id);

	write_files(text, base_tenant);
	open_services(ARGS_ENT, ARGS_COM);
	ck_assert_msg(entry_status("rc") != RG_OK, "%s missing: entry loaded",
	              c->id);
	ck_assert_msg(tu_diag_find(priv.ctx, BAD_POLICY, msg, NULL) >= 0,
	              "%s missing: no diagnostic '%s':%s", c->id, msg,
	              tu_diag_dump(priv.ctx));
	ck_assert_int_eq(entry_status("rc-community") == RG_OK,
	                 c->community_ok);
	assert_fails_closed(c->id);
	free(msg);
	free(text);
}
END_TEST

/* ---- Bad tenant files -------------------------------------------------- */

/* clang-format off */
static const struct bad_case bad_tenant_cases[] = {
	{ "unknown section", "[team x]\nname = X\n", 2, "unknown section [team x]" },
	{ "unknown key in a department", "[department d]\ncolour = red\n", 2,
	  "unknown key 'colour'" },
	{ "unknown key in a unit", "[unit u]\nmax_chats = 3\n", 2,
	  "unknown key 'max_chats'" },
	{ "[tenant] twice", "[tenant]\nmax_chats = 1\n", 2, "appears twice" },
	{ "department twice", "[unit x]\nname = X\n[department sales]\n"
	  "name = Again\n", 4, "[department sales] appears twice" },
	/* Right after the first: the reader cannot tell it from one section. */
	{ "department twice in a row", "[department sales]\nname = Again\n", 2,
	  "key 'name' repeated in [department sales]" },
	{ "unit twice", "[unit emea]\nname = Again\n", 2, "appears twice" },
	{ "repeated key", "[department d]\nname = D\nname = E\n", 3,
	  "key 'name' repeated" },
	{ "words for a number", "[department d]\nmax_chats = many\n", 2,
	  "max_chats = 'many'" },
	{ "negative number", "[department d]\nmax_chats = -1\n", 2,
	  "max_chats = '-1'" },
	{ "huge number", "[department d]\nmax_chats = 99999999999\n", 2,
	  "expected a whole number" },
	{ "unknown unit", "[department d]\nunit = mars\n", 2,
	  "names unit 'mars'" },
	{ "bad unit id", "[department d]\nunit = north america\n", 2,
	  "not a unit id" },
	{ "bad department id", "[department d!]\nname = D\n", 2, "bad id 'd!'" },
	{ "section without an id", "[department]\nname = D\n", 2, "bad id" },
	{ "empty name", "[unit u]\nname =\n", 2, "empty name" },
	{ "syntax error", "not a key\n", 1, "" },
};
/* clang-format on */

START_TEST(test_bad_tenant)
{
	run_bad_case(&bad_tenant_cases[_i], 1);
}
END_TEST

/* ---- Bad plugin arguments ---------------------------------------------- */

/* clang-format off */
static const struct bad_args {
	const char *what;
	const char *args;
	const char *msg;
} bad_args[] = {
	{ "no arguments", "", "policy" },
	{ "no policy", "edition=enterprise", "policy" },
	{ "no edition", "policy=" BAD_POLICY, "edition" },
	{ "unknown edition", "policy=" BAD_POLICY " edition=gold", "edition" },
	{ "edition without a value", "policy=" BAD_POLICY " edition",
	  "edition" },
	{ "unknown argument", ARGS_ENT " colour=red", "colour" },
	{ "repeated tenant", ARGS_ENT " tenant=" BAD_TENANT, "tenant" },
	{ "missing policy file", "policy=nowhere.ini edition=enterprise",
	  "nowhere.ini" },
	{ "missing tenant file",
	  "policy=" BAD_POLICY " edition=enterprise tenant=nothere.ini",
	  "nothere.ini" },
};
/* clang-format on */

START_TEST(test_bad_args)
{
	const struct bad_args *c = &bad_args[_i];

	write_files(base_policy, base_tenant);
	open_services(c->args, ARGS_COM);
	ck_assert_msg(entry_status("rc") != RG_OK, "%s: entry loaded", c->what);
	ck_assert_msg(tu_diag_find(priv.ctx, "rocketchat", c->msg, NULL) >= 0,
	              "%s: no diagnostic naming '%s':%s", c->what, c->msg,
	              tu_diag_dump(priv.ctx));
	assert_fails_closed(c->what);
	/* The other service's entry is not disturbed. */
	ck_assert_int_eq(entry_status("rc-community"), RG_OK);
}
END_TEST

/* ---- The decision table ------------------------------------------------ */

/*
 * A directory user's checks without request attributes and without a
 * reason are answered from the decision table, which the plugin's
 * subject_answers fills; with a reason, decide() answers.  The two must
 * agree for every user and privilege: every combination of the roles
 * below (prerequisites met or not, a privilege's own requirement, a custom
 * role of the directory, which the Community edition ignores), with the
 * attributes take-inquiry depends on.
 */
#define TABLE_DB      "directory.db"
#define TABLE_CUSTOM  "watcher"
#define TABLE_NSTATUS 3
#define TABLE_NMAX    3
#define TABLE_NDEPTS  3

static const char table_policy_extra[] = "[privilege view-livechat-rooms]\n"
                                         "requires = livechat-agent\n"
                                         "[role regional]\n"
                                         "name = Regional\n"
                                         "flags = custom\n"
                                         "requires = livechat-monitor\n"
                                         "grant = view-livechat-analytics "
                                         "view-livechat-rooms\n"
                                         "[role shadow]\n"
                                         "name = Shadow\n"
                                         "flags = custom\n"
                                         "requires = livechat-manager\n"
                                         "grant = take-inquiry\n";

/* Roles a user may hold: bit i of a user's role mask is table_roles[i]. */
static const char *const table_roles[] = {
    "admin",    "livechat-manager", "livechat-agent", "livechat-monitor",
    "regional", "shadow",           TABLE_CUSTOM,
};
#define TABLE_NROLES RG_COUNTOF(table_roles)
#define TABLE_USERS  (1u << TABLE_NROLES)

static rg_txn *table_begin(const char *service)
{
	char err[RG_REASON_MAX] = "";
	rg_txn *txn = NULL;
	int rc = rg_txn_begin(priv.ctx, service, "check_rocketchat",
	                      "check_rocketchat", &txn, err, sizeof(err));

	ck_assert_msg(rc == RG_OK && txn, "rg_txn_begin %s: %s (%s)", service,
	              rg_status_name(rc), err);
	return txn;
}

static void table_must(rg_txn *txn, int rc, const char *what)
{
	ck_assert_msg(rc == RG_OK, "%s: %s: %s", what, rg_status_name(rc),
	              rg_txn_error(txn));
}

/* Adds user id holding role_ids[i] for each bit i of mask (n roles). */
static void user_with_roles(rg_txn *txn, const char *id,
                            const char *const *role_ids, size_t n,
                            unsigned mask)
{
	size_t i;

	table_must(txn, rg_user_add(txn, id, NULL), id);
	for (i = 0; i < n; i++)
		if (mask & (1u << i))
			table_must(txn, rg_role_assign(txn, id, role_ids[i], 0),
			           role_ids[i]);
}

/* Both services on one directory; both Enterprise when community is 0. */
static void table_open(int community)
{
	tu_open(&priv,
	        "[rolegate]\ndirectory = %s/" TABLE_DB "\n"
	        "[service rc]\nstack = required rocketchat " ARGS_ENT "\n"
	        "[service rc-community]\nstack = required rocketchat %s\n",
	        priv.dir, community ? ARGS_COM : ARGS_ENT);
	ck_assert_msg(rg_diagnostic_count(priv.ctx) == 0, "%s",
	              tu_diag_dump(priv.ctx));
}

/* Units, departments, a default limit and the custom role. */
static void table_org(const char *service, const char *default_max)
{
	static const char *const granted[] = {QUEUE, TAKE, ANALYTICS};
	rg_txn *txn = table_begin(service);

	table_must(txn, rg_org_add(txn, "unit", "emea", NULL), "unit");
	table_must(txn, rg_org_add(txn, "department", "sales", "emea"),
	           "sales");
	table_must(txn,
	           rg_org_set(txn, "department", "sales", "max_chats", "2"),
	           "sales limit");
	table_must(txn, rg_org_add(txn, "department", "lobby", NULL), "lobby");
	table_must(txn, rg_setting_set(txn, "default_max_chats", default_max),
	           "default_max_chats");
	table_must(txn,
	           rg_custom_role_create(txn, TABLE_CUSTOM, "Watcher", "test",
	                                 granted, RG_COUNTOF(granted)),
	           "custom role");
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
}

/* User u holds the roles of its mask and attributes derived from u. */
static void table_user(rg_txn *txn, unsigned u)
{
	static const char *const status[TABLE_NSTATUS] = {NULL, "available",
	                                                  "unavailable"};
	static const char *const max[TABLE_NMAX] = {NULL, "0", "3"};
	static const char *const depts[TABLE_NDEPTS] = {NULL, "sales", "lobby"};
	char id[RG_ID_MAX];

	snprintf(id, sizeof(id), "u-%03u", u);
	user_with_roles(txn, id, table_roles, TABLE_NROLES, u);
	if (status[u % TABLE_NSTATUS])
		table_must(
		    txn,
		    rg_user_set(txn, id, "status", status[u % TABLE_NSTATUS]),
		    "status");
	if (max[(u / TABLE_NSTATUS) % TABLE_NMAX])
		table_must(txn,
		           rg_user_set(txn, id, "max_chats",
		                       max[(u / TABLE_NSTATUS) % TABLE_NMAX]),
		           "max_chats");
	if (depts[u % TABLE_NDEPTS])
		table_must(txn,
		           rg_member_add(txn, id, "department",
		                         depts[u % TABLE_NDEPTS]),
		           "department");
	if (u % 2)
		table_must(txn, rg_member_add(txn, id, "unit", "emea"), "unit");
}

static void table_fill(const char *service, const char *default_max)
{
	rg_txn *txn;
	unsigned u;

	table_org(service, default_max);
	txn = table_begin(service);
	for (u = 0; u < TABLE_USERS; u++)
		table_user(txn, u);
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
}

/* Every user, every privilege: the table says what decide() says. */
static void table_compare(const char *service)
{
	const rg_service *svc = tu_service(priv.ctx, service);

	ck_assert_uint_eq(rg_directory_tabled(priv.ctx, svc), TABLE_USERS);
	/* Not a table of denials. */
	ck_assert_uint_gt(
	    tu_table_agrees(priv.ctx, service, "u-", 3, TABLE_USERS),
	    TABLE_USERS);
}

START_TEST(test_table)
{
	char *policy = tu_strdupf("%s%s", base_policy, table_policy_extra);

	write_files(policy, base_tenant);
	free(policy);
	/* Custom roles are made while both services are Enterprise. */
	table_open(0);
	table_fill("rc", "0");
	table_fill("rc-community", "3");
	table_compare("rc");
	/* Community ignores the custom role its users still hold. */
	table_open(1);
	table_compare("rc-community");
}
END_TEST

/* ---- Prepared snapshots ------------------------------------------------ */

/*
 * For a directory user, decide() reads the organisation and the user's
 * attributes from what view_prepare() worked out once per snapshot; for
 * the same subject given ad hoc (the user's roles and attributes passed
 * in the request) it reads them the slow way, on every check.  Both must
 * answer alike: every user (each combination of the roles below, with
 * statuses, limits and memberships the slow path accepts or refuses),
 * every privilege, every department as department= (in a unit or not,
 * with or without a limit, with a limit the plugin refuses, with no
 * agent, unknown, malformed, none), open_chats around the limits, with
 * and without reasons, and again after the directory changes.
 *
 * Three services cover the three sources of the organisation: "rc" the
 * directory's, "rc-tenant" the tenant file's (the directory has no unit
 * or department of it), "rc-bare" none (no tenant file either).
 */
#define PREP_DB       "prepared.db"
#define PREP_TENANT   "prep-tenant.ini"
#define PREP_CUSTOM   "watcher"
#define PREP_BAD      "2000000" /* the directory stores it; too large here */
#define PREP_NVARIANT 2
#define PREP_ATTRS    8
#define PREP_TEXT     512

static const char prep_tenant[] = "[tenant]\n"
                                  "waiting_queue = on\n"
                                  "max_chats = 4\n"
                                  "[unit emea]\n"
                                  "name = EMEA\n"
                                  "[unit apac]\n"
                                  "name = APAC\n"
                                  "[department sales]\n"
                                  "name = Sales\n"
                                  "unit = emea\n"
                                  "max_chats = 2\n"
                                  "[department kiosk]\n"
                                  "name = Kiosk\n"
                                  "[department tokyo]\n"
                                  "name = Tokyo\n"
                                  "unit = apac\n";

/* Bit i of a user's role mask is prep_roles[i]. */
static const char *const prep_roles[] = {
    "admin",     "livechat-manager", "livechat-agent", "livechat-monitor",
    PREP_CUSTOM,
};
#define PREP_NROLES RG_COUNTOF(prep_roles)
#define PREP_USERS  ((1u << PREP_NROLES) * PREP_NVARIANT)

/* Requested departments: the directory's, the tenant file's, others. */
static const char *const prep_depts[] = {
    NULL,   "sales", "support", "billing", "lobby",   "vip",
    "huge", "ghost", "kiosk",   "tokyo",   "nowhere", "bad id",
};

static const char *const prep_open[] = {NULL, "0", "1", "2", "3", "4", "x"};
/* The agent's connection, cycled beside open_chats (one value bad). */
static const char *const prep_conn[] = {"online",  "away",   NULL,
                                        "offline", "online", "busy"};

/* The services; rc-tenant is Community when community is set. */
static void prep_open_services(int community)
{
	tu_open(&priv,
	        "[rolegate]\ndirectory = %s/" PREP_DB "\n"
	        "[service rc]\nstack = required rocketchat policy=" TU_POLICIES
	        "/rocketchat.ini edition=enterprise tenant=" PREP_TENANT "\n"
	        "[service rc-tenant]\nstack = required rocketchat "
	        "policy=" TU_POLICIES "/rocketchat.ini edition=%s "
	        "tenant=" PREP_TENANT "\n"
	        "[service rc-bare]\nstack = required rocketchat "
	        "policy=" TU_POLICIES "/rocketchat.ini edition=enterprise\n",
	        priv.dir, community ? "community" : "enterprise");
	ck_assert_msg(rg_diagnostic_count(priv.ctx) == 0, "%s",
	              tu_diag_dump(priv.ctx));
}

/* The directory's organisation of rc (the others have none). */
static void prep_org(void)
{
	rg_txn *txn = table_begin("rc");

	table_must(txn, rg_org_add(txn, "unit", "emea", NULL), "emea");
	table_must(txn, rg_org_add(txn, "unit", "americas", NULL), "am");
	table_must(txn, rg_org_add(txn, "unit", "apac", NULL), "apac");
	table_must(txn, rg_org_add(txn, "department", "sales", "emea"),
	           "sales");
	table_must(txn,
	           rg_org_set(txn, "department", "sales", "max_chats", "2"),
	           "sales limit");
	table_must(txn, rg_org_add(txn, "department", "support", "emea"),
	           "support");
	table_must(txn, rg_org_add(txn, "department", "billing", "americas"),
	           "billing");
	table_must(txn,
	           rg_org_set(txn, "department", "billing", "max_chats", "0"),
	           "billing limit");
	table_must(txn, rg_org_add(txn, "department", "lobby", NULL), "lobby");
	table_must(txn,
	           rg_org_set(txn, "department", "lobby", "max_chats", "4"),
	           "lobby limit");
	table_must(txn, rg_org_add(txn, "department", "vip", NULL), "vip");
	table_must(txn, rg_org_add(txn, "department", "huge", "americas"),
	           "huge");
	table_must(txn,
	           rg_org_set(txn, "department", "huge", "max_chats", PREP_BAD),
	           "huge limit");
	/* No user is an agent of ghost. */
	table_must(txn, rg_org_add(txn, "department", "ghost", "emea"),
	           "ghost");
	table_must(txn,
	           rg_org_set(txn, "department", "ghost", "max_chats", "1"),
	           "ghost limit");
	table_must(txn, rg_setting_set(txn, "default_max_chats", "3"),
	           "default_max_chats");
	/* The on/off settings from the directory, not the defaults: an
	 * away agent is refused, and the limits apply. */
	table_must(txn, rg_setting_set(txn, "accept_when_idle", "off"),
	           "accept_when_idle");
	table_must(txn, rg_setting_set(txn, "waiting_queue", "on"),
	           "waiting_queue");
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
}

/* The custom role, made while the service is Enterprise. */
static void prep_custom(const char *service)
{
	static const char *const granted[] = {QUEUE, TAKE, ANALYTICS};
	rg_txn *txn = table_begin(service);

	table_must(txn,
	           rg_custom_role_create(txn, PREP_CUSTOM, "Watcher", "test",
	                                 granted, RG_COUNTOF(granted)),
	           "custom role");
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
}

/* User u: the roles of its mask, attributes derived from u. */
static void prep_user(rg_txn *txn, unsigned u, int members)
{
	static const char *const status[] = {NULL, "available", "unavailable"};
	static const char *const max[] = {NULL, "0", "1", "3", PREP_BAD};
	static const char *const depts[][3] = {
	    {NULL},
	    {"sales"},
	    {"lobby", "support"},
	    {"huge"},
	    {"billing", "sales", "vip"},
	    {"vip"},
	};
	static const char *const units[][2] = {
	    {NULL}, {"emea"}, {"americas", "apac"}, {"apac"}};
	const unsigned mask = u % (1u << PREP_NROLES);
	char id[RG_ID_MAX];
	size_t i;

	snprintf(id, sizeof(id), "p-%03u", u);
	user_with_roles(txn, id, prep_roles, PREP_NROLES, mask);
	if (status[u % RG_COUNTOF(status)])
		table_must(txn,
		           rg_user_set(txn, id, "status",
		                       status[u % RG_COUNTOF(status)]),
		           "status");
	if (max[(u / 3) % RG_COUNTOF(max)])
		table_must(txn,
		           rg_user_set(txn, id, "max_chats",
		                       max[(u / 3) % RG_COUNTOF(max)]),
		           "max_chats");
	if (!members)
		return;
	for (i = 0; i < 3 && depts[(u / 2) % RG_COUNTOF(depts)][i]; i++)
		table_must(txn,
		           rg_member_add(txn, id, "department",
		                         depts[(u / 2) % RG_COUNTOF(depts)][i]),
		           "department");
	for (i = 0; i < 2 && units[(u / 5) % RG_COUNTOF(units)][i]; i++)
		table_must(txn,
		           rg_member_add(txn, id, "unit",
		                         units[(u / 5) % RG_COUNTOF(units)][i]),
		           "unit");
}

static void prep_fill(const char *service, int members)
{
	rg_txn *txn = table_begin(service);
	unsigned u;

	for (u = 0; u < PREP_USERS; u++)
		prep_user(txn, u, members);
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
}

/* A directory user as an ad-hoc subject: its roles and attributes. */
struct prep_subject {
	char roles[PREP_TEXT];
	char text[PREP_ATTRS][PREP_TEXT];
	rg_attr attrs[PREP_ATTRS];
	size_t nattrs;
};

static void prep_put(struct prep_subject *s, const char *key, const char *value)
{
	/* The directory leaves an empty attribute out. */
	if (!value || !*value)
		return;
	ck_assert_uint_lt(s->nattrs, PREP_ATTRS);
	snprintf(s->text[s->nattrs], PREP_TEXT, "%s", value);
	s->attrs[s->nattrs].key = key;
	s->attrs[s->nattrs].value = s->text[s->nattrs];
	s->nattrs++;
}

static int prep_user_fn(void *user, const rg_user_info *u)
{
	struct prep_subject *s = user;

	/* In the order and with the keys the directory gives plugins:
	 * memberships as the kind followed by "s". */
	prep_put(s, "id", u->id);
	prep_put(s, "name", u->name);
	prep_put(s, "bu", rg_user_info_attr(u, "bu"));
	prep_put(s, "status", rg_user_info_attr(u, "status"));
	prep_put(s, "max_chats", rg_user_info_attr(u, "max_chats"));
	prep_put(s, "departments", rg_user_info_members(u, "department"));
	prep_put(s, "units", rg_user_info_members(u, "unit"));
	return 0;
}

static void prep_subject(const char *service, const char *id,
                         struct prep_subject *s)
{
	rg_subject subj = {.user = id};

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(rg_user_get(priv.ctx, service, id, prep_user_fn, s),
	                 RG_OK);
	ck_assert_int_eq(rg_subject_roles(priv.ctx, service, &subj, s->roles,
	                                  sizeof(s->roles)),
	                 RG_OK);
}

/*
 * The one part of a reason that names the subject: a directory user's
 * limit is "the agent 'ID' (directory max_chats)", an ad-hoc subject's
 * "the agent (subject attribute max_chats)".
 */
static void prep_normalise(char *reason, const char *id)
{
	char from[RG_REASON_MAX], *p;
	static const char to[] = "the agent (subject attribute max_chats)";

	snprintf(from, sizeof(from), "the agent '%s' (directory max_chats)",
	         id);
	p = strstr(reason, from);
	if (!p)
		return;
	memmove(p + strlen(to), p + strlen(from), strlen(p + strlen(from)) + 1);
	memcpy(p, to, strlen(to));
}

/* One request of user id, directly and ad hoc, with and without reasons. */
static size_t prep_compare_one(const char *service, const char *id,
                               const struct prep_subject *s,
                               const char *priv_id, const rg_attr *attrs,
                               size_t nattrs)
{
	static const unsigned flags[] = {0, RG_CHECK_NO_REASON};
	size_t f, allowed = 0;

	for (f = 0; f < RG_COUNTOF(flags); f++) {
		rg_decision dir, adhoc;
		rg_request req;
		int s1, s2;

		memset(&req, 0, sizeof(req));
		req.service = service;
		req.action = priv_id;
		req.attrs = attrs;
		req.nattrs = nattrs;
		req.subject.user = id;
		s1 = rg_check(priv.ctx, &req, flags[f], &dir);
		req.subject.user = NULL;
		req.subject.roles = s->roles;
		req.subject.attrs = s->attrs;
		req.subject.nattrs = s->nattrs;
		s2 = rg_check(priv.ctx, &req, flags[f], &adhoc);
		ck_assert_msg(s1 == s2 && dir.result == adhoc.result &&
		                  dir.status == adhoc.status,
		              "%s %s (%s) %s %s%s flags %u: directory user %s "
		              "(%s), ad hoc %s (%s)",
		              service, id, s->roles, priv_id,
		              nattrs ? attrs[0].value : "",
		              nattrs > 1 ? " +open_chats" : "", flags[f],
		              rg_result_name(dir.result), dir.reason,
		              rg_result_name(adhoc.result), adhoc.reason);
		if (flags[f] == 0) {
			prep_normalise(dir.reason, id);
			ck_assert_msg(
			    !strcmp(dir.reason, adhoc.reason) &&
			        !strcmp(dir.role, adhoc.role),
			    "%s %s %s %s: reasons differ:\n  "
			    "directory: %s (%s)\n  ad hoc:    %s (%s)",
			    service, id, priv_id, nattrs ? attrs[0].value : "",
			    dir.reason, dir.role, adhoc.reason, adhoc.role);
		}
		allowed += dir.result == RG_ALLOW;
	}
	return allowed;
}

/*
 * Every department (and none), with open_chats for take-inquiry, and with
 * it a connection and the department's open chats (the next count).
 */
static size_t prep_compare_priv(const char *service, const char *id,
                                const struct prep_subject *s,
                                const char *priv_id, size_t *checks)
{
	size_t d, o, allowed = 0;
	int take = !strcmp(priv_id, TAKE);

	for (d = 0; d < RG_COUNTOF(prep_depts); d++) {
		for (o = 0; o < (take ? RG_COUNTOF(prep_open) : 1); o++) {
			rg_attr attrs[4];
			size_t n = 0;
			const char *conn = prep_conn[o % RG_COUNTOF(prep_conn)];
			const char *dopen =
			    prep_open[(o + 1) % RG_COUNTOF(prep_open)];

			if (prep_depts[d]) {
				attrs[n].key = "department";
				attrs[n++].value = prep_depts[d];
			}
			if (prep_open[o]) {
				attrs[n].key = "open_chats";
				attrs[n++].value = prep_open[o];
			}
			if (take && conn) {
				attrs[n].key = "connection";
				attrs[n++].value = conn;
			}
			if (take && dopen) {
				attrs[n].key = "department_open_chats";
				attrs[n++].value = dopen;
			}
			allowed +=
			    prep_compare_one(service, id, s, priv_id, attrs, n);
			*checks += 2;
		}
	}
	return allowed;
}

static void prep_compare(const char *service)
{
	const rg_service *svc = tu_service(priv.ctx, service);
	size_t p, nprivs = rg_privilege_count(svc), allowed = 0, checks = 0;
	unsigned u;

	for (u = 0; u < PREP_USERS; u++) {
		struct prep_subject s;
		char id[RG_ID_MAX];

		snprintf(id, sizeof(id), "p-%03u", u);
		prep_subject(service, id, &s);
		for (p = 0; p < nprivs; p++) {
			rg_privilege_info pi;

			ck_assert_int_eq(rg_privilege_at(svc, p, &pi), RG_OK);
			allowed +=
			    prep_compare_priv(service, id, &s, pi.id, &checks);
		}
	}
	/* Neither all denials nor all grants. */
	ck_assert_uint_gt(allowed, checks / 20);
	ck_assert_uint_lt(allowed, checks);
}

/* One check of a directory user, with reasons. */
static rg_result prep_check(const char *id, const char *priv_id,
                            const char *dept)
{
	rg_attr attr = {"department", dept};
	rg_decision d;
	rg_request req;

	memset(&req, 0, sizeof(req));
	req.service = "rc";
	req.action = priv_id;
	req.subject.user = id;
	req.attrs = &attr;
	req.nattrs = 1;
	rg_check(priv.ctx, &req, RG_CHECK_NO_REASON, &d);
	return d.result;
}

/*
 * The directory changes: a department moves to another unit, limits
 * change, a user leaves one department for another; the next snapshot's
 * preparation must see it.  Explicitly for two users, then for all.
 */
static void prep_change(void)
{
	rg_txn *txn = table_begin("rc");
	unsigned u;

	table_must(txn, rg_user_add(txn, "mon-emea", NULL), "mon-emea");
	table_must(txn, rg_role_assign(txn, "mon-emea", "livechat-monitor", 0),
	           "monitor");
	table_must(txn, rg_member_add(txn, "mon-emea", "unit", "emea"), "unit");
	table_must(txn, rg_user_add(txn, "agt-sales", NULL), "agt-sales");
	table_must(txn, rg_role_assign(txn, "agt-sales", "livechat-agent", 0),
	           "agent");
	table_must(txn, rg_member_add(txn, "agt-sales", "department", "sales"),
	           "department");
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
	ck_assert_int_eq(prep_check("mon-emea", ANALYTICS, "sales"), RG_ALLOW);
	ck_assert_int_eq(prep_check("agt-sales", QUEUE, "sales"), RG_ALLOW);
	ck_assert_int_eq(prep_check("agt-sales", QUEUE, "vip"), RG_DENY);

	txn = table_begin("rc");
	table_must(txn,
	           rg_org_set(txn, "department", "sales", "unit", "americas"),
	           "move sales");
	table_must(txn, rg_org_set(txn, "department", "lobby", "unit", "emea"),
	           "move lobby");
	table_must(txn, rg_org_set(txn, "department", "vip", "max_chats", "1"),
	           "vip limit");
	table_must(txn,
	           rg_org_set(txn, "department", "huge", "max_chats", NULL),
	           "huge limit");
	table_must(txn, rg_setting_set(txn, "default_max_chats", PREP_BAD),
	           "default_max_chats");
	/* Both switches turned over: the next snapshot prepares them anew. */
	table_must(txn, rg_setting_set(txn, "accept_when_idle", "on"),
	           "accept_when_idle");
	table_must(txn, rg_setting_set(txn, "waiting_queue", "off"),
	           "waiting_queue");
	table_must(txn,
	           rg_member_remove(txn, "agt-sales", "department", "sales"),
	           "leave sales");
	table_must(txn, rg_member_add(txn, "agt-sales", "department", "vip"),
	           "join vip");
	for (u = 0; u < PREP_USERS; u += 3) {
		char id[RG_ID_MAX];

		snprintf(id, sizeof(id), "p-%03u", u);
		table_must(txn, rg_member_add(txn, id, "department", "ghost"),
		           "join ghost");
		table_must(txn, rg_user_set(txn, id, "status", "available"),
		           "status");
	}
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
	ck_assert_int_eq(prep_check("mon-emea", ANALYTICS, "sales"), RG_DENY);
	ck_assert_int_eq(prep_check("mon-emea", ANALYTICS, "lobby"), RG_ALLOW);
	ck_assert_int_eq(prep_check("agt-sales", QUEUE, "sales"), RG_DENY);
	ck_assert_int_eq(prep_check("agt-sales", QUEUE, "vip"), RG_ALLOW);
}

static void prep_setup_directory(void)
{
	free(tu_write(priv.dir, PREP_TENANT, 0644, "%s", prep_tenant));
	/* Custom roles are made while every service is Enterprise. */
	prep_open_services(0);
	prep_org();
	prep_custom("rc");
	prep_custom("rc-tenant");
	prep_custom("rc-bare");
	prep_fill("rc", 1);
	prep_fill("rc-tenant", 0);
	prep_fill("rc-bare", 0);
}

static const char *const prep_services[] = {"rc", "rc-tenant", "rc-bare"};

START_TEST(test_prepared)
{
	prep_setup_directory();
	prep_compare(prep_services[_i]);
	if (_i == 0) {
		prep_change();
		prep_compare("rc");
	}
}
END_TEST

/* rc-tenant in the Community edition, which ignores the custom role. */
START_TEST(test_prepared_community)
{
	prep_setup_directory();
	prep_open_services(1);
	prep_compare("rc-tenant");
}
END_TEST

/* ---- Scoped checks with a reason, from the table (ABI 1.7) ------------- */

/* How many debug lines say the table gave a decision with its reason
 * (check.c: "...: allow (reason) (decision table)"); res: of that result,
 * or RG_ABSTAIN for any. */
static size_t why_table_lines(rg_result res)
{
	char head[32];
	size_t i, n = 0;

	snprintf(head, sizeof(head), ": %s (", rg_result_name(res));
	for (i = 0; i < priv.log.n; i++) {
		const char *l = priv.log.lines[i];

		n += strstr(l, ") (decision table)") &&
		     (res == RG_ABSTAIN || strstr(l, head));
	}
	return n;
}

/* rg_check() of id, priv_id and department=dept with a reason; flags. */
static int why_check(const char *service, const char *id, const char *priv_id,
                     const char *dept, unsigned flags, rg_decision *d)
{
	rg_attr attr = {"department", dept};
	rg_request req;

	memset(&req, 0, sizeof(req));
	req.service = service;
	req.action = priv_id;
	req.subject.user = id;
	req.attrs = &attr;
	req.nattrs = 1;
	return rg_check(priv.ctx, &req, flags, d);
}

/*
 * Every user of service, every privilege, department= every value of
 * prep_depts: with a reason and no trace (which the compiled scopes may
 * answer, reason and all) as with a trace (which always runs the stack),
 * field by field.  Returns how many the table answered.
 */
static size_t why_compare(const char *service)
{
	const rg_service *svc = tu_service(priv.ctx, service);
	size_t p, d, nprivs = rg_privilege_count(svc);
	size_t before = why_table_lines(RG_ABSTAIN);
	rg_decision want, got;
	char id[RG_ID_MAX];
	unsigned u;
	int a, b;

	for (u = 0; u < PREP_USERS; u++)
		for (p = 0; p < nprivs; p++) {
			rg_privilege_info pi;

			snprintf(id, sizeof(id), "p-%03u", u);
			ck_assert_int_eq(rg_privilege_at(svc, p, &pi), RG_OK);
			for (d = 1; d < RG_COUNTOF(prep_depts); d++) {
				a = why_check(service, id, pi.id, prep_depts[d],
				              RG_CHECK_TRACE, &want);
				b = why_check(service, id, pi.id, prep_depts[d],
				              0, &got);
				ck_assert_msg(
				    a == b && want.result == got.result &&
				        want.status == got.status &&
				        !strcmp(want.role, got.role) &&
				        !strcmp(want.missing, got.missing) &&
				        !strcmp(want.reason, got.reason),
				    "%s %s %s department=%s: the stack %s/%s "
				    "[%s/%s] (%s), asked %s/%s [%s/%s] (%s)",
				    service, id, pi.id, prep_depts[d],
				    rg_result_name(want.result),
				    rg_status_name(a), want.role, want.missing,
				    want.reason, rg_result_name(got.result),
				    rg_status_name(b), got.role, got.missing,
				    got.reason);
			}
		}
	return why_table_lines(RG_ABSTAIN) - before;
}

/* One check the table answers with a reason: the reason it gives. */
static void why_expect(const char *service, const char *id, const char *priv_id,
                       const char *dept, rg_result res, const char *reason)
{
	size_t before = why_table_lines(res);
	rg_decision d;

	why_check(service, id, priv_id, dept, 0, &d);
	ck_assert_uint_eq(why_table_lines(res), before + 1);
	ck_assert_msg(d.result == res && !strcmp(d.reason, reason),
	              "%s %s department=%s: %s (%s), expected %s (%s)", id,
	              priv_id, dept, rg_result_name(d.result), d.reason,
	              rg_result_name(res), reason);
}

#define TRANSFER "transfer-livechat-guest"

/*
 * A scoped check with a reason (one department=, no trace) is answered
 * from the reasons subject_scopes() compiled with its scopes where they
 * are decide()'s for every department they stand for, and is always the
 * stack's decision: every user of the prepared services (the directory's
 * organisation, the tenant file's, none; Enterprise and Community, which
 * ignores the custom role its users hold), every privilege, every
 * department.  p-008 is a monitor of emea, agent of billing, sales and
 * vip, and in the directory's organisation lobby is the one department
 * neither its unit's nor its own: a refusal that names no unit.
 */
START_TEST(test_scope_reasons)
{
	prep_setup_directory();
	ck_assert_uint_gt(why_compare("rc"), 0);
	ck_assert_uint_gt(why_compare("rc-tenant"), 0);
	/* No organisation: decide() answers, nothing is compiled. */
	ck_assert_uint_eq(why_compare("rc-bare"), 0);
	ck_assert_uint_gt(why_table_lines(RG_ALLOW), 0);
	ck_assert_uint_gt(why_table_lines(RG_DENY), 0);
	why_expect("rc", "p-008", TRANSFER, "support", RG_ALLOW,
	           "rocketchat: livechat-monitor grants " TRANSFER
	           " on department 'support' through the monitor's unit "
	           "'emea'");
	why_expect("rc", "p-008", TRANSFER, "vip", RG_ALLOW,
	           "rocketchat: livechat-monitor grants " TRANSFER
	           " on department 'vip': the monitor is one of its agents");
	why_expect("rc", "p-008", TRANSFER, "lobby", RG_DENY,
	           "rocketchat: livechat-monitor grants " TRANSFER
	           ", but department 'lobby' is in no unit and the monitor "
	           "is not its agent");
	prep_open_services(1);
	ck_assert_uint_gt(why_compare("rc-tenant"), 0);
}
END_TEST

/* ---- The suite --------------------------------------------------------- */

static Suite *rocketchat_suite(void)
{
	Suite *s = suite_create("rocketchat");
	TCase *tc;

	tc = tcase_create("registry");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_test(tc, test_shipped_loads);
	tcase_add_test(tc, test_enterprise_count);
	tu_add_row_test(tc, test_role_registry);
	tu_add_row_test(tc, test_privilege_registry);
	tu_add_row_test(tc, test_privilege_scope);
	suite_add_tcase(s, tc);

	tc = tcase_create("matrix");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tu_add_row_test(tc, test_matrix);
	tcase_add_test(tc, test_union);
	tcase_add_test(tc, test_unknown_ids);
	tu_add_row_test(tc, test_whocan);
	suite_add_tcase(s, tc);

	tc = tcase_create("monitor-units");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_loop_test(tc, test_monitor, 0,
	                    (int)RG_COUNTOF(monitor_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("queue");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_loop_test(tc, test_queue, 0, (int)RG_COUNTOF(queue_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("take-inquiry");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_loop_test(tc, test_take, 0, (int)RG_COUNTOF(take_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-attributes");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_loop_test(tc, test_bad_attrs, 0,
	                    (int)RG_COUNTOF(bad_attr_cases));
	tcase_add_test(tc, test_list_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("no-units");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_loop_test(tc, test_nounits, 0,
	                    (int)RG_COUNTOF(nounits_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("chat-limit-rules");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_loop_test(tc, test_rules, 0, (int)RG_COUNTOF(rule_cases));
	tcase_add_test(tc, test_bad_rule);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_test(tc, test_base_ok);
	tcase_add_test(tc, test_custom_role);
	tcase_add_test(tc, test_custom_prereqs);
	tcase_add_loop_test(tc, test_bad_policy, 0,
	                    (int)RG_COUNTOF(bad_policy_cases));
	tcase_add_loop_test(tc, test_bad_policy_file, 0,
	                    (int)RG_COUNTOF(bad_policy_files));
	tcase_add_loop_test(tc, test_missing_id, 0,
	                    (int)RG_COUNTOF(missing_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-tenant");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_loop_test(tc, test_bad_tenant, 0,
	                    (int)RG_COUNTOF(bad_tenant_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("table");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_test(tc, test_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("prepared");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	/* Some 200,000 checks a service: slow under sanitizers. */
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_prepared, 0,
	                    (int)RG_COUNTOF(prep_services));
	tcase_add_test(tc, test_prepared_community);
	tcase_add_test(tc, test_scope_reasons);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-args");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_loop_test(tc, test_bad_args, 0, (int)RG_COUNTOF(bad_args));
	suite_add_tcase(s, tc);

	return s;
}

RG_CHECK_MAIN(rocketchat_suite)
