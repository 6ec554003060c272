/*
 * check_dynamics365.c - the dynamics365 plugin through the public API.
 *
 * The matrix, prerequisite, depth and explain tests open the SHIPPED
 * configuration (policies/rolegate.conf with policies/dynamics365-2019.ini,
 * dynamics365-2021.ini and dynamics365-tenant.ini) on the built plugins, so
 * a wrong policy file fails them.  The expectations below are written from
 * the product's role model, independently of the policy files.  The other
 * tests write their own configuration, policy and tenant files into a
 * private directory.
 *
 * Environment (set by make check): ROLEGATE_POLICIES, ROLEGATE_TEST_PLUGINS.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/rolegate.h>

#include "testutil.h"

#define SVC_2021 "dynamics365"
#define SVC_2019 "dynamics365-2019"
#define PLUGIN   "dynamics365"
/* ---- The role model -------------------------------------------------- */

enum {
	R_BASIC,    /* basic-user */
	R_SYSADMIN, /* system-administrator */
	R_CSAA,     /* customer-service-app-access (2019) */
	R_APU,      /* app-profile-user (2021) */
	R_APMA,     /* app-profile-manager-administrator (2021) */
	R_ADMIN,    /* omnichannel-administrator */
	R_SUP,      /* omnichannel-supervisor */
	R_AGENT,    /* omnichannel-agent */
	R_CSR,      /* customer-service-representative (2021) */
	R_CSM,      /* customer-service-manager, CSR Manager (2021) */
	R_PTU,      /* productivity-tools-user */
	R_PTA,      /* productivity-tools-administrator */
	NROLES,
};

#define BASIC    (1u << R_BASIC)
#define SYSADMIN (1u << R_SYSADMIN)
#define CSAA     (1u << R_CSAA)
#define APU      (1u << R_APU)
#define APMA     (1u << R_APMA)
#define ADMIN    (1u << R_ADMIN)
#define SUP      (1u << R_SUP)
#define AGENT    (1u << R_AGENT)
#define CSR      (1u << R_CSR)
#define CSM      (1u << R_CSM)
#define PTU      (1u << R_PTU)
#define PTA      (1u << R_PTA)
#define ASG      (ADMIN | SUP | AGENT)
#define AS       (ADMIN | SUP)
#define PT       (PTU | PTA)
/* A privilege the version does not have at all. */
#define ABSENT 0x80000000u

/* A version of the role model: its service and its roles' prerequisites. */
struct version {
	const char *service;
	const char *label;
	/* Per role: NULL when the version lacks the role, else its
	 * prerequisite role ids, comma separated ("" for none). */
	const char *prereqs[NROLES];
	size_t nroles;
	size_t nprivs;
};

static const char *const role_ids[NROLES] = {
    [R_BASIC] = "basic-user",
    [R_SYSADMIN] = "system-administrator",
    [R_CSAA] = "customer-service-app-access",
    [R_APU] = "app-profile-user",
    [R_APMA] = "app-profile-manager-administrator",
    [R_ADMIN] = "omnichannel-administrator",
    [R_SUP] = "omnichannel-supervisor",
    [R_AGENT] = "omnichannel-agent",
    [R_CSR] = "customer-service-representative",
    [R_CSM] = "customer-service-manager",
    [R_PTU] = "productivity-tools-user",
    [R_PTA] = "productivity-tools-administrator",
};

static const char *const role_names[NROLES] = {
    [R_BASIC] = "Basic User",
    [R_SYSADMIN] = "System Administrator",
    [R_CSAA] = "Customer service app access",
    [R_APU] = "App Profile User",
    [R_APMA] = "App Profile Manager Administrator",
    [R_ADMIN] = "Omnichannel administrator",
    [R_SUP] = "Omnichannel supervisor",
    [R_AGENT] = "Omnichannel agent",
    [R_CSR] = "Customer Service Representative",
    [R_CSM] = "CSR Manager",
    [R_PTU] = "Productivity tools user",
    [R_PTA] = "Productivity tools administrator",
};

static const struct version v2021 = {
    .service = SVC_2021,
    .label = "2021",
    .prereqs =
        {
            [R_BASIC] = "",
            [R_SYSADMIN] = "",
            [R_CSAA] = NULL,
            [R_APU] = "basic-user",
            [R_APMA] = "basic-user",
            [R_ADMIN] = "basic-user",
            [R_SUP] = "basic-user",
            [R_AGENT] = "basic-user",
            [R_CSR] = "basic-user",
            [R_CSM] = "basic-user",
            [R_PTU] = "basic-user",
            [R_PTA] = "basic-user",
        },
    .nroles = 11,
    .nprivs = 94,
};

static const struct version v2019 = {
    .service = SVC_2019,
    .label = "2019",
    .prereqs =
        {
            [R_BASIC] = NULL,
            [R_SYSADMIN] = "",
            [R_CSAA] = "",
            [R_APU] = NULL,
            [R_APMA] = NULL,
            [R_ADMIN] = "system-administrator",
            [R_SUP] = "customer-service-app-access",
            [R_AGENT] = "customer-service-app-access",
            [R_CSR] = NULL,
            [R_CSM] = NULL,
            [R_PTU] = "",
            [R_PTA] = "",
        },
    .nroles = 7,
    .nprivs = 81,
};

/*
 * Every privilege of either version and the roles holding it (directly or
 * through an include), per version.  req2021: roles the privilege needs
 * besides a grant, in 2021.
 */
static const struct priv_row {
	const char *id;
	unsigned h2021;
	unsigned h2019;
	const char *req2021;
} privs[] = {
    /* user records */
    {"user.view", ASG, ASG, NULL},
    {"user.edit-roles", ADMIN, ADMIN, "system-administrator"},
    {"user.edit-default-presence", AS, AS, NULL},
    {"user.edit-default-capacity", AS, AS, NULL},
    {"user.edit-queue-assignment", AS, AS, NULL},
    /* presence */
    {"presence.view", ASG, ASG, NULL},
    {"presence.add", ADMIN, ADMIN, NULL},
    {"presence.edit", ADMIN, ADMIN, NULL},
    {"presence.delete", ADMIN, ADMIN, NULL},
    {"presence.add-user", AS, AS, NULL},
    {"presence.remove-user", AS, AS, NULL},
    {"presence-association.add", ADMIN, ADMIN, NULL},
    {"presence-association.edit", ADMIN, ADMIN, NULL},
    {"presence-association.delete", ADMIN, ADMIN, NULL},
    /* work streams and their settings */
    {"workstream.view", ASG, ASG, NULL},
    {"workstream.add", ADMIN, ADMIN, NULL},
    {"workstream.edit", ADMIN, ADMIN, NULL},
    {"workstream.delete", ADMIN, ADMIN, NULL},
    {"channel-setting.add", ADMIN, ADMIN, NULL},
    {"channel-setting.edit", ADMIN, ADMIN, NULL},
    {"channel-setting.delete", ADMIN, ADMIN, NULL},
    {"context-setting.add", ADMIN, ADMIN, NULL},
    {"context-setting.edit", ADMIN, ADMIN, NULL},
    {"context-setting.delete", ADMIN, ADMIN, NULL},
    {"routing-rule.add", ADMIN, ADMIN, NULL},
    {"routing-rule.edit", ADMIN, ADMIN, NULL},
    {"routing-rule.delete", ADMIN, ADMIN, NULL},
    /* queues */
    {"queue.view", ASG, ASG, NULL},
    {"queue.add", ADMIN, ADMIN, NULL},
    {"queue.edit", ADMIN, ADMIN, NULL},
    {"queue.delete", ADMIN, ADMIN, NULL},
    {"queue.add-agent", AS, AS, NULL},
    {"queue.remove-agent", AS, AS, NULL},
    /* quick replies */
    {"quick-reply.view", ASG, ASG, NULL},
    {"quick-reply.add", AS, AS, NULL},
    {"quick-reply.edit", AS, AS, NULL},
    {"quick-reply.delete", AS, AS, NULL},
    /* PBI config */
    {"pbi-config.view", AS, AS, NULL},
    {"pbi-config.add", ADMIN, ADMIN, NULL},
    {"pbi-config.edit", ADMIN, ADMIN, NULL},
    {"pbi-config.delete", ADMIN, ADMIN, NULL},
    /* operating hours */
    {"operating-hours.view", AS, AS, NULL},
    {"operating-hours.add", ADMIN, ADMIN, NULL},
    {"operating-hours.edit", ADMIN, ADMIN, NULL},
    {"operating-hours.delete", ADMIN, ADMIN, NULL},
    /* authentication settings */
    {"auth-setting.view", ADMIN, ADMIN, NULL},
    {"auth-setting.add", ADMIN, ADMIN, NULL},
    {"auth-setting.edit", ADMIN, ADMIN, NULL},
    {"auth-setting.delete", ADMIN, ADMIN, NULL},
    /* bots: 2021 only */
    {"bot.add", ADMIN, ABSENT, NULL},
    {"bot.edit", ADMIN, ABSENT, NULL},
    {"bot.delete", ADMIN, ABSENT, NULL},
    /* conversations: the supervisor, not the administrator */
    {"conversation.assign", SUP, SUP, NULL},
    {"conversation.monitor", SUP, SUP, NULL},
    {"conversation.transfer", SUP, SUP, NULL},
    /* Productivity tools */
    {"agent-script.read", PT, PT, NULL},
    {"agent-script-step.read", PT, PT, NULL},
    {"workflow.read", PT, PT, NULL},
    {"macro-action.read", PT, PT, NULL},
    {"agent-script.create", PTA, PTA, NULL},
    {"agent-script.write", PTA, PTA, NULL},
    {"agent-script.append", PTA, PTA, NULL},
    {"agent-script.delete", PTA, PTA, NULL},
    {"agent-script-step.create", PTA, PTA, NULL},
    {"agent-script-step.write", PTA, PTA, NULL},
    {"agent-script-step.append", PTA, PTA, NULL},
    {"agent-script-step.delete", PTA, PTA, NULL},
    {"workflow.create", PTA, PTA, NULL},
    {"workflow.write", PTA, PTA, NULL},
    {"workflow.append", PTA, PTA, NULL},
    {"workflow.delete", PTA, PTA, NULL},
    {"macro-action.create", PTA, PTA, NULL},
    {"macro-action.write", PTA, PTA, NULL},
    {"macro-action.append", PTA, PTA, NULL},
    {"macro-action.delete", PTA, PTA, NULL},
    {"msdyn_actioninputparameter.read", PT, PT, NULL},
    {"msdyn_actionoutputparameter.read", PT, PT, NULL},
    {"msdyn_designeroptions.read", PT, PT, NULL},
    {"msdyn_inputparameters.read", PT, PT, NULL},
    {"msdyn_macroactiontemplate.read", PT, PT, NULL},
    {"msdyn_macroconnector.read", PT, PT, NULL},
    {"msdyn_parameterdefinition.read", PT, PT, NULL},
    {"msdyn_macrosolutionconfiguration.read", PTA, PTA, NULL},
    /*
     * The workspace and app profiles: app profile user and the roles
     * including it in 2021, which are, besides the Omnichannel agent and
     * supervisor, Customer Service Representative and CSR Manager
     * (Microsoft Learn, Customer Service, "Roles and privileges
     * associated with experience profiles": "the privileges that pertain
     * to the App Profile User role are added to the Customer Service
     * Representative and CSR Manager roles out of the box"); customer
     * service app access in 2019.
     */
    {"workspace.access", APU | SUP | AGENT | CSR | CSM, CSAA, NULL},
    /* cases, 2021: the representative and the CSR Manager */
    {"case.create", CSR | CSM, ABSENT, NULL},
    {"case.read", CSR | CSM, ABSENT, NULL},
    {"case.write", CSR | CSM, ABSENT, NULL},
    {"case.append", CSR | CSM, ABSENT, NULL},
    {"case.delete", CSR | CSM, ABSENT, NULL},
    /* app profiles, 2021: the administrator includes the manager */
    {"app-profile.read", APU | APMA | ASG | CSR | CSM, ABSENT, NULL},
    {"app-profile.create", APMA | ADMIN, ABSENT, NULL},
    {"app-profile.write", APMA | ADMIN, ABSENT, NULL},
    {"app-profile.delete", APMA | ADMIN, ABSENT, NULL},
    {"app-profile.assign", APMA | ADMIN, ABSENT, NULL},
};

#define NPRIVS RG_COUNTOF(privs)

static unsigned holders(const struct version *v, const struct priv_row *p)
{
	return v == &v2021 ? p->h2021 : p->h2019;
}

/* The roles of a version, in role-enum order. */
static size_t version_roles(const struct version *v, int *out)
{
	size_t i, n = 0;

	for (i = 0; i < NROLES; i++)
		if (v->prereqs[i])
			out[n++] = (int)i;
	return n;
}

/* Appends id to a comma-separated list unless it is there already. */
static void list_add(char *list, size_t size, const char *id)
{
	char *copy, *tok, *save;
	int found = 0;

	if (!id || !*id)
		return;
	copy = tu_strdupf("%s", list);
	for (tok = strtok_r(copy, ",", &save); tok && !found;
	     tok = strtok_r(NULL, ",", &save))
		found = strcmp(tok, id) == 0;
	free(copy);
	if (found)
		return;
	ck_assert_msg(strlen(list) + strlen(id) + 2 < size, "list too long");
	if (*list)
		strcat(list, ",");
	strcat(list, id);
}

/* Appends every id of a comma-separated list. */
static void list_add_all(char *list, size_t size, const char *ids)
{
	char *copy, *tok, *save;

	if (!ids)
		return;
	copy = tu_strdupf("%s", ids);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		list_add(list, size, tok);
	free(copy);
}

/* ---- Requests with attributes ----------------------------------------- */

#define MAX_ATTRS 8

/*
 * Attributes written as "subject.bu=sales bu=emea owner=bob": subject.*
 * go to the subject without the prefix, the others to the request.
 */
struct attrs {
	char buf[512];
	rg_attr subj[MAX_ATTRS];
	rg_attr req[MAX_ATTRS];
	size_t ns, nr;
};

static void parse_attrs(struct attrs *a, const char *text)
{
	static const char prefix[] = "subject.";
	char *w, *save;

	memset(a, 0, sizeof(*a));
	if (!text)
		return;
	ck_assert_uint_lt(strlen(text), sizeof(a->buf));
	strcpy(a->buf, text);
	for (w = strtok_r(a->buf, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(w, '=');

		ck_assert_msg(eq, "attribute '%s' has no '='", w);
		*eq = '\0';
		if (strncmp(w, prefix, sizeof(prefix) - 1) == 0) {
			ck_assert_uint_lt(a->ns, MAX_ATTRS);
			a->subj[a->ns].key = w + sizeof(prefix) - 1;
			a->subj[a->ns++].value = eq + 1;
		} else {
			ck_assert_uint_lt(a->nr, MAX_ATTRS);
			a->req[a->nr].key = w;
			a->req[a->nr++].value = eq + 1;
		}
	}
}

/* rg_check() with attributes, on a poisoned decision. */
static int check_attrs(const rg_context *ctx, const char *service,
                       const char *subject, const char *action,
                       const char *attrs, rg_decision *out)
{
	struct attrs a;
	rg_request req;
	int rc;

	parse_attrs(&a, attrs);
	tu_request(&req, service, subject, action);
	req.subject.attrs = a.subj;
	req.subject.nattrs = a.ns;
	req.attrs = a.req;
	req.nattrs = a.nr;
	memset(out, 0, sizeof(*out));
	out->result = RG_ALLOW; /* poison: the check must overwrite it */
	memset(out->reason, 'x', sizeof(out->reason));
	rc = rg_check(ctx, &req, 0, out);
	ck_assert_msg(memchr(out->reason, '\0', sizeof(out->reason)),
	              "reason is not terminated");
	ck_assert_msg(out->result == RG_ALLOW || out->result == RG_DENY,
	              "result %d", (int)out->result);
	/* Without a reason the plugin decides in another order. */
	tu_quiet_matches(ctx, &req, rc, out);
	return rc;
}

/* ---- Fixture: the shipped configuration ------------------------------- */

static struct tu_env shipped;

static void shipped_setup(void)
{
	tu_open_shipped(&shipped);
}

static void shipped_teardown(void)
{
	tu_env_teardown(&shipped);
}

/* ---- The shipped policies load cleanly -------------------------------- */

static const struct version *const versions[] = {&v2021, &v2019};

START_TEST(test_shipped_loads)
{
	const struct version *v = versions[_i];
	const rg_service *svc = tu_service(shipped.ctx, v->service);
	rg_entry_info e;

	ck_assert_uint_eq(rg_entry_count(svc), 1);
	ck_assert_int_eq(rg_entry_at(svc, 0, &e), RG_OK);
	ck_assert_str_eq(e.plugin, PLUGIN);
	ck_assert_msg(e.status == RG_OK, "%s entry failed: %s%s", v->label,
	              e.error, tu_diag_dump(shipped.ctx));
	ck_assert_msg(tu_diag_find(shipped.ctx, PLUGIN, NULL) < 0,
	              "dynamics365 diagnostics:%s", tu_diag_dump(shipped.ctx));
	ck_assert_uint_eq(rg_role_count(svc), v->nroles);
	ck_assert_uint_eq(rg_privilege_count(svc), v->nprivs);
}
END_TEST

/* The tables above agree with themselves: counts per version. */
START_TEST(test_table_counts)
{
	int r[NROLES];
	size_t i, n2021 = 0, n2019 = 0;

	for (i = 0; i < NPRIVS; i++) {
		n2021 += privs[i].h2021 != ABSENT;
		n2019 += privs[i].h2019 != ABSENT;
	}
	ck_assert_uint_eq(n2021, v2021.nprivs);
	ck_assert_uint_eq(n2019, v2019.nprivs);
	ck_assert_uint_eq(version_roles(&v2021, r), v2021.nroles);
	ck_assert_uint_eq(version_roles(&v2019, r), v2019.nroles);
}
END_TEST

/* Loop index: role (_i % NROLES) of version (_i / NROLES). */
START_ROW_TEST(test_role_registry, 2 * NROLES)
{
	const struct version *v = versions[(size_t)_i / NROLES];
	int r = _i % NROLES;
	const rg_service *svc = tu_service(shipped.ctx, v->service);
	long idx = rg_role_find(svc, role_ids[r]);
	char want[256] = "", got[256] = "";
	rg_role_info info;
	size_t j;

	if (!v->prereqs[r]) {
		ck_assert_msg(idx < 0, "%s: role %s should not exist", v->label,
		              role_ids[r]);
		return;
	}
	ck_assert_msg(idx >= 0, "%s: role %s not declared", v->label,
	              role_ids[r]);
	ck_assert_int_eq(rg_role_at(svc, (size_t)idx, &info), RG_OK);
	ck_assert_str_eq(info.name, role_names[r]);
	ck_assert_str_eq(info.plugin, PLUGIN);
	ck_assert_uint_eq(info.flags, RG_ROLE_PROTECTED | RG_ROLE_CORE);
	ck_assert_msg(info.description && *info.description,
	              "role %s has no description", role_ids[r]);
	/* Prerequisites: exactly the model's. */
	list_add_all(want, sizeof(want), v->prereqs[r]);
	for (j = 0; j < info.nprereqs; j++)
		list_add(got, sizeof(got), rg_role_prereq(svc, (size_t)idx, j));
	ck_assert_str_eq(got, want);
}
END_TEST

/* Loop index: privilege (_i / 2) of version (_i % 2). */
START_ROW_TEST(test_privilege_registry, 2 * NPRIVS)
{
	const struct version *v = versions[_i % 2];
	const struct priv_row *p = &privs[(size_t)_i / 2];
	const rg_service *svc = tu_service(shipped.ctx, v->service);
	long idx = rg_privilege_find(svc, p->id);
	const char *req = v == &v2021 ? p->req2021 : NULL;
	rg_privilege_info info;

	if (holders(v, p) == ABSENT) {
		ck_assert_msg(idx < 0, "%s: %s should not exist", v->label,
		              p->id);
		return;
	}
	ck_assert_msg(idx >= 0, "%s: privilege %s not declared", v->label,
	              p->id);
	ck_assert_int_eq(rg_privilege_at(svc, (size_t)idx, &info), RG_OK);
	ck_assert_str_eq(info.plugin, PLUGIN);
	ck_assert_msg(info.description && *info.description,
	              "privilege %s has no description", p->id);
	ck_assert_uint_eq(info.nrequires, req ? 1 : 0);
	if (req)
		ck_assert_str_eq(rg_privilege_requires(svc, (size_t)idx, 0),
		                 req);
}
END_TEST

/* ---- The grant matrix: every privilege against every role -------------- */

/* The enum index of a role id, or -1. */
static int role_index(const char *id)
{
	int i;

	for (i = 0; i < NROLES; i++)
		if (strcmp(role_ids[i], id) == 0)
			return i;
	return -1;
}

/* The roles of a comma-separated list, as a mask of enum bits. */
static unsigned role_mask(const char *list)
{
	char *copy = tu_strdupf("%s", list), *tok, *save;
	unsigned mask = 0;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int i = role_index(tok);

		ck_assert_msg(i >= 0, "unknown role %s in the tables", tok);
		mask |= 1u << i;
	}
	free(copy);
	return mask;
}

/*
 * The subject holds one role, plus what the role and the privilege
 * require, so that the matrix shows grants and nothing else.  A
 * prerequisite may grant the privilege itself (2019's customer service app
 * access opens the workspace for agents): then it is the granting role.
 */
static void matrix_case(const struct version *v, int _i)
{
	int r[NROLES];
	size_t nr = version_roles(v, r);
	const struct priv_row *p = &privs[(size_t)_i / nr];
	int role = r[(size_t)_i % nr];
	unsigned h = holders(v, p);
	char roles[512] = "", subject[520];
	rg_decision d;
	int rc;

	list_add(roles, sizeof(roles), role_ids[role]);
	list_add_all(roles, sizeof(roles), v->prereqs[role]);
	if (v == &v2021)
		list_add_all(roles, sizeof(roles), p->req2021);
	snprintf(subject, sizeof(subject), "@%s", roles);
	rc = check_attrs(shipped.ctx, v->service, subject, p->id, NULL, &d);
	if (h == ABSENT) {
		ck_assert_msg(rc == RG_ENOACTION && d.result == RG_DENY,
		              "%s: %s should be unknown: %s (%s)", v->label,
		              p->id, rg_status_name(rc), d.reason);
		return;
	}
	ck_assert_msg(rc == RG_OK, "%s %s %s: status %s (%s)", v->label,
	              subject, p->id, rg_status_name(rc), d.reason);
	if (h & role_mask(roles)) {
		const char *granter = h & (1u << role) ? role_ids[role] : NULL;

		ck_assert_msg(d.result == RG_ALLOW, "%s %s %s: denied (%s)",
		              v->label, subject, p->id, d.reason);
		if (granter)
			ck_assert_str_eq(d.role, granter);
		else
			ck_assert_msg(role_index(d.role) >= 0 &&
			                  (h & (1u << role_index(d.role))),
			              "%s %s: granted by %s", subject, p->id,
			              d.role);
		ck_assert_msg(strstr(d.reason, d.role), "reason '%s' lacks %s",
		              d.reason, d.role);
	} else {
		ck_assert_msg(d.result == RG_DENY, "%s %s %s: allowed (%s)",
		              v->label, subject, p->id, d.reason);
		ck_assert_str_eq(d.missing, "");
		ck_assert_msg(strstr(d.reason, p->id), "reason '%s' lacks %s",
		              d.reason, p->id);
	}
}

START_ROW_TEST(test_matrix_2021, (NPRIVS * v2021.nroles))
{
	matrix_case(&v2021, _i);
}
END_TEST

START_ROW_TEST(test_matrix_2019, (NPRIVS * v2019.nroles))
{
	matrix_case(&v2019, _i);
}
END_TEST

/* whocan: the roles whose holder (with prerequisites) may act. */
static int whocan_collect(void *user, const rg_service *svc, size_t role)
{
	unsigned *mask = user;
	rg_role_info info;
	size_t i;

	if (rg_role_at(svc, role, &info) != RG_OK)
		return 1;
	for (i = 0; i < NROLES; i++)
		if (strcmp(info.id, role_ids[i]) == 0)
			*mask |= 1u << i;
	return 0;
}

START_ROW_TEST(test_whocan, 2 * NPRIVS)
{
	const struct version *v = versions[_i % 2];
	const struct priv_row *p = &privs[(size_t)_i / 2];
	unsigned mask = 0, h = holders(v, p);
	int rc;

	rc = rg_whocan(shipped.ctx, v->service, p->id, whocan_collect, &mask);
	if (h == ABSENT) {
		ck_assert_int_ne(rc, RG_OK);
		return;
	}
	ck_assert_int_eq(rc, RG_OK);
	/* A privilege needing a role besides the grant: at most holders. */
	if (v == &v2021 && p->req2021)
		ck_assert_msg((mask & ~h) == 0, "whocan %s: %#x not in %#x",
		              p->id, mask, h);
	else
		ck_assert_msg(mask == h, "%s whocan %s: %#x, want %#x",
		              v->label, p->id, mask, h);
}
END_TEST

/* Several roles: the union of their grants. */
static const struct combo_case {
	const char *service;
	const char *subject;
	const char *action;
	rg_result want;
} combo_cases[] = {
    {SVC_2021, "@basic-user,omnichannel-agent,productivity-tools-user",
     "workflow.read", RG_ALLOW},
    {SVC_2021, "@basic-user,omnichannel-agent,productivity-tools-user",
     "queue.view", RG_ALLOW},
    {SVC_2021, "@basic-user,omnichannel-agent,productivity-tools-user",
     "workflow.write", RG_DENY},
    {SVC_2021, "@basic-user,omnichannel-supervisor,omnichannel-agent",
     "conversation.monitor", RG_ALLOW},
    {SVC_2021, "@basic-user,omnichannel-administrator,omnichannel-agent",
     "conversation.monitor", RG_DENY},
    {SVC_2021, "@basic-user,omnichannel-administrator,omnichannel-agent",
     "workspace.access", RG_ALLOW},
    {SVC_2021, "@basic-user,system-administrator", "user.edit-roles", RG_DENY},
    {SVC_2021, "@basic-user", "workspace.access", RG_DENY},
    {SVC_2021, "@", "user.view", RG_DENY},
    {SVC_2019,
     "@system-administrator,omnichannel-administrator,"
     "customer-service-app-access",
     "workspace.access", RG_ALLOW},
    {SVC_2019, "@system-administrator,omnichannel-administrator",
     "workspace.access", RG_DENY},
    {SVC_2019, "@customer-service-app-access", "queue.view", RG_DENY},
};

START_TEST(test_combo)
{
	const struct combo_case *c = &combo_cases[_i];
	rg_decision d;

	ck_assert_int_eq(check_attrs(shipped.ctx, c->service, c->subject,
	                             c->action, NULL, &d),
	                 RG_OK);
	ck_assert_msg(d.result == c->want, "%s %s %s: got %s (%s)", c->service,
	              c->subject, c->action, rg_result_name(d.result),
	              d.reason);
}
END_TEST

/* Unknown roles and actions deny with an error status. */
START_TEST(test_unknown_ids)
{
	rg_decision d;

	ck_assert_int_ne(check_attrs(shipped.ctx, SVC_2021,
	                             "@basic-user,livechat-agent", "user.view",
	                             NULL, &d),
	                 RG_OK);
	ck_assert_int_eq(d.result, RG_DENY);
	/* A 2021 role in the 2019 service. */
	ck_assert_int_ne(check_attrs(shipped.ctx, SVC_2019,
	                             "@basic-user,omnichannel-agent",
	                             "user.view", NULL, &d),
	                 RG_OK);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_ne(check_attrs(shipped.ctx, SVC_2021,
	                             "@basic-user,omnichannel-administrator",
	                             "user.delete", NULL, &d),
	                 RG_OK);
	ck_assert_int_eq(d.result, RG_DENY);
}
END_TEST

/* ---- Prerequisites ------------------------------------------------------ */

static const struct prereq_case {
	const char *service;
	const char *subject;
	const char *action;
	const char *role;    /* the role whose grant is blocked */
	const char *missing; /* the role it lacks */
} prereq_cases[] = {
    /* 2019: agents and supervisors need customer service app access,
     * the administrator the system administrator */
    {SVC_2019, "@omnichannel-agent", "queue.view", "omnichannel-agent",
     "customer-service-app-access"},
    {SVC_2019, "@omnichannel-agent,system-administrator", "user.view",
     "omnichannel-agent", "customer-service-app-access"},
    {SVC_2019, "@omnichannel-supervisor", "conversation.monitor",
     "omnichannel-supervisor", "customer-service-app-access"},
    {SVC_2019, "@omnichannel-supervisor,productivity-tools-user",
     "user.edit-queue-assignment", "omnichannel-supervisor",
     "customer-service-app-access"},
    {SVC_2019, "@omnichannel-administrator", "queue.add",
     "omnichannel-administrator", "system-administrator"},
    {SVC_2019, "@omnichannel-administrator,customer-service-app-access",
     "user.edit-roles", "omnichannel-administrator", "system-administrator"},
    /* 2021: every role but the system administrator needs basic user */
    {SVC_2021, "@app-profile-user", "workspace.access", "app-profile-user",
     "basic-user"},
    {SVC_2021, "@app-profile-manager-administrator", "app-profile.assign",
     "app-profile-manager-administrator", "basic-user"},
    {SVC_2021, "@omnichannel-administrator", "queue.add",
     "omnichannel-administrator", "basic-user"},
    {SVC_2021, "@omnichannel-supervisor", "conversation.assign",
     "omnichannel-supervisor", "basic-user"},
    {SVC_2021, "@omnichannel-agent", "quick-reply.view", "omnichannel-agent",
     "basic-user"},
    {SVC_2021, "@customer-service-representative", "case.create",
     "customer-service-representative", "basic-user"},
    {SVC_2021, "@productivity-tools-user", "workflow.read",
     "productivity-tools-user", "basic-user"},
    {SVC_2021, "@productivity-tools-administrator", "macro-action.delete",
     "productivity-tools-administrator", "basic-user"},
    /* included privileges are gated by the including role's needs */
    {SVC_2021, "@omnichannel-agent", "workspace.access", "omnichannel-agent",
     "basic-user"},
    {SVC_2021, "@omnichannel-administrator,system-administrator",
     "app-profile.create", "omnichannel-administrator", "basic-user"},
    /* user.edit-roles also needs the system administrator */
    {SVC_2021, "@basic-user,omnichannel-administrator", "user.edit-roles",
     "omnichannel-administrator", "system-administrator"},
    {SVC_2021, "@omnichannel-administrator,system-administrator",
     "user.edit-roles", "omnichannel-administrator", "basic-user"},
};

START_TEST(test_prereq_missing)
{
	const struct prereq_case *c = &prereq_cases[_i];
	rg_decision d;

	ck_assert_int_eq(check_attrs(shipped.ctx, c->service, c->subject,
	                             c->action, NULL, &d),
	                 RG_OK);
	ck_assert_msg(d.result == RG_DENY, "%s %s %s: allowed (%s)", c->service,
	              c->subject, c->action, d.reason);
	ck_assert_str_eq(d.missing, c->missing);
	ck_assert_str_eq(d.role, c->role);
	ck_assert_msg(strstr(d.reason, c->missing), "reason '%s' lacks %s",
	              d.reason, c->missing);
}
END_TEST

/* The same subjects with the missing role added are allowed. */
START_TEST(test_prereq_met)
{
	const struct prereq_case *c = &prereq_cases[_i];
	char *subject = tu_strdupf("%s,%s", c->subject, c->missing);
	rg_decision d;

	ck_assert_int_eq(
	    check_attrs(shipped.ctx, c->service, subject, c->action, NULL, &d),
	    RG_OK);
	ck_assert_msg(d.result == RG_ALLOW, "%s %s %s: denied (%s)", c->service,
	              subject, c->action, d.reason);
	ck_assert_str_eq(d.role, c->role);
	free(subject);
}
END_TEST

/* ---- Validation -----------------------------------------------------------
 */

static const struct validate_case {
	const char *service;
	const char *roles;
	/* Expected problems, "role>missing" separated by ';', "" for none. */
	const char *problems;
} validate_cases[] = {
    {SVC_2021, "basic-user,omnichannel-agent", ""},
    {SVC_2021, "system-administrator", ""},
    {SVC_2021, "basic-user,system-administrator,omnichannel-administrator", ""},
    {SVC_2021, "omnichannel-agent", "omnichannel-agent>basic-user"},
    {SVC_2021, "app-profile-user,customer-service-representative",
     "app-profile-user>basic-user;customer-service-representative>basic-user"},
    {SVC_2021, "productivity-tools-user,productivity-tools-administrator",
     "productivity-tools-user>basic-user;"
     "productivity-tools-administrator>basic-user"},
    {SVC_2021, "omnichannel-administrator,system-administrator",
     "omnichannel-administrator>basic-user"},
    {SVC_2021, "basic-user,omnichannel-administrator",
     "user.edit-roles>system-administrator"},
    {SVC_2019,
     "customer-service-app-access,omnichannel-agent,"
     "omnichannel-supervisor",
     ""},
    {SVC_2019, "productivity-tools-user", ""},
    {SVC_2019, "system-administrator,omnichannel-administrator", ""},
    {SVC_2019, "omnichannel-agent",
     "omnichannel-agent>customer-service-app-access"},
    {SVC_2019, "omnichannel-agent,omnichannel-supervisor",
     "omnichannel-agent>customer-service-app-access;"
     "omnichannel-supervisor>customer-service-app-access"},
    {SVC_2019, "omnichannel-administrator",
     "omnichannel-administrator>system-administrator"},
};

static int has_problem(const rg_validation *v, const char *role,
                       const char *missing)
{
	size_t i;

	for (i = 0; i < v->nmissing && i < RG_VALIDATE_MAX; i++)
		if (strcmp(v->missing[i].role, role) == 0 &&
		    strcmp(v->missing[i].missing, missing) == 0)
			return 1;
	return 0;
}

START_TEST(test_validate)
{
	const struct validate_case *c = &validate_cases[_i];
	char *copy = tu_strdupf("%s", c->problems), *tok, *save;
	rg_subject subj = {.roles = c->roles};
	rg_validation v;
	size_t n = 0, i;

	memset(&v, 0xa5, sizeof(v)); /* poison */
	ck_assert_int_eq(rg_validate(shipped.ctx, c->service, &subj, &v),
	                 RG_OK);
	for (tok = strtok_r(copy, ";", &save); tok;
	     tok = strtok_r(NULL, ";", &save), n++) {
		char *gt = strchr(tok, '>');

		*gt = '\0';
		ck_assert_msg(has_problem(&v, tok, gt + 1),
		              "%s %s: no problem %s lacks %s", c->service,
		              c->roles, tok, gt + 1);
	}
	ck_assert_msg(v.nmissing == n, "%s %s: %zu problems, want %zu",
	              c->service, c->roles, v.nmissing, n);
	ck_assert_int_eq(v.ok, n == 0);
	for (i = 0; i < v.nmissing; i++)
		ck_assert_str_eq(v.missing[i].plugin, PLUGIN);
	free(copy);
}
END_TEST

/* ---- Seed 002: the workspace question --------------------------------- */

static const struct explain_case {
	const char *service;
	const char *subject;
	const char *action;
	const char *fix; /* a smallest suggestion, one role */
} explain_cases[] = {
    /* Basic User + Omnichannel admin cannot open the workspace in 2021:
     * adding App Profile User is a smallest fix. */
    {SVC_2021, "@basic-user,omnichannel-administrator", "workspace.access",
     "app-profile-user"},
    {SVC_2021, "@basic-user", "workspace.access", "app-profile-user"},
    /* In 2019 the workspace came with customer service app access. */
    {SVC_2019, "@system-administrator,omnichannel-administrator",
     "workspace.access", "customer-service-app-access"},
    /* A missing prerequisite is itself the smallest fix. */
    {SVC_2021, "@omnichannel-agent", "queue.view", "basic-user"},
    {SVC_2021, "@basic-user,omnichannel-administrator", "user.edit-roles",
     "system-administrator"},
};

START_TEST(test_explain)
{
	const struct explain_case *c = &explain_cases[_i];
	rg_explanation ex;
	rg_request req;
	size_t i, min = RG_SUGGEST_ROLES + 1;
	int found = 0;

	tu_request(&req, c->service, c->subject, c->action);
	ck_assert_int_eq(rg_explain(shipped.ctx, &req, &ex), RG_OK);
	ck_assert_int_eq(ex.decision.result, RG_DENY);
	ck_assert_msg(ex.nsuggestions > 0, "%s %s: no suggestion", c->subject,
	              c->action);
	for (i = 0; i < ex.nsuggestions && i < RG_SUGGEST_MAX; i++)
		if (ex.suggestions[i].nroles < min)
			min = ex.suggestions[i].nroles;
	ck_assert_uint_eq(min, 1);
	for (i = 0; i < ex.nsuggestions && i < RG_SUGGEST_MAX; i++)
		found |= ex.suggestions[i].nroles == 1 &&
		         strcmp(ex.suggestions[i].roles[0], c->fix) == 0;
	ck_assert_msg(found, "%s %s: %s is not among the smallest fixes",
	              c->subject, c->action, c->fix);
}
END_TEST

/* Every smallest suggestion really allows the request. */
START_TEST(test_explain_fixes_work)
{
	const struct explain_case *c = &explain_cases[_i];
	rg_explanation ex;
	rg_request req;
	size_t i, j;

	tu_request(&req, c->service, c->subject, c->action);
	ck_assert_int_eq(rg_explain(shipped.ctx, &req, &ex), RG_OK);
	for (i = 0; i < ex.nsuggestions && i < RG_SUGGEST_MAX; i++) {
		char roles[1024];
		rg_decision d;

		snprintf(roles, sizeof(roles), "%s", c->subject);
		for (j = 0; j < ex.suggestions[i].nroles; j++)
			list_add(roles, sizeof(roles),
			         ex.suggestions[i].roles[j]);
		check_attrs(shipped.ctx, c->service, roles, c->action, NULL,
		            &d);
		ck_assert_msg(d.result == RG_ALLOW, "suggestion %s: %s", roles,
		              d.reason);
	}
}
END_TEST

/* ---- Business units and access depth (shipped policies) --------------- */

/*
 * The shipped tenant: contoso, with sales and support; support with emea
 * and americas.
 */
#define SUPERVISOR    "@basic-user,omnichannel-supervisor"
#define ADMINISTRATOR "@basic-user,omnichannel-administrator"
#define AGENT_2021    "@basic-user,omnichannel-agent"

static const struct depth_case {
	const char *service;
	const char *subject;
	const char *action;
	const char *attrs;
	rg_result want;
	const char *reason; /* substring of the reason, or NULL */
	const char *role;   /* the decision's role, or NULL */
} depth_cases[] = {
    /* The supervisor edits queue assignments in its own unit only. */
    {SVC_2021, SUPERVISOR, "user.edit-queue-assignment",
     "subject.bu=support bu=support", RG_ALLOW,
     "omnichannel-supervisor grants user.edit-queue-assignment at "
     "business-unit depth; target unit 'support' is within 'support'",
     "omnichannel-supervisor"},
    {SVC_2021, SUPERVISOR, "user.edit-queue-assignment",
     "subject.bu=sales bu=emea", RG_DENY,
     "omnichannel-supervisor grants user.edit-queue-assignment at "
     "business-unit depth; target unit 'emea' is outside 'sales'",
     "omnichannel-supervisor"},
    {SVC_2021, SUPERVISOR, "user.edit-queue-assignment",
     "subject.bu=support bu=emea", RG_DENY, "'emea' is outside 'support'",
     NULL},
    {SVC_2021, SUPERVISOR, "user.edit-queue-assignment",
     "subject.bu=emea bu=support", RG_DENY, "'support' is outside 'emea'",
     NULL},
    {SVC_2021, SUPERVISOR, "user.edit-queue-assignment",
     "subject.bu=sales bu=contoso", RG_DENY, "outside", NULL},
    {SVC_2021, SUPERVISOR, "user.edit-default-presence",
     "subject.bu=emea bu=emea", RG_ALLOW, "business-unit depth", NULL},
    {SVC_2021, SUPERVISOR, "user.edit-default-presence",
     "subject.bu=emea bu=americas", RG_DENY, "outside", NULL},
    {SVC_2021, SUPERVISOR, "user.edit-default-capacity",
     "subject.bu=americas bu=americas", RG_ALLOW, NULL, NULL},
    {SVC_2021, SUPERVISOR, "user.edit-default-capacity",
     "subject.bu=americas bu=sales", RG_DENY, "outside", NULL},
    {SVC_2021, SUPERVISOR, "user.view", "subject.bu=sales bu=sales", RG_ALLOW,
     NULL, NULL},
    {SVC_2021, SUPERVISOR, "user.view", "subject.bu=sales bu=support", RG_DENY,
     "outside", NULL},
    /* No target: is the privilege held at all? */
    {SVC_2021, SUPERVISOR, "user.edit-queue-assignment", NULL, RG_ALLOW,
     "omnichannel-supervisor grants", NULL},
    {SVC_2021, SUPERVISOR, "user.edit-queue-assignment", "subject.bu=sales",
     RG_ALLOW, NULL, NULL},
    /* The administrator: organization, anywhere. */
    {SVC_2021, ADMINISTRATOR, "user.edit-queue-assignment",
     "subject.bu=sales bu=emea", RG_ALLOW, "at organization depth",
     "omnichannel-administrator"},
    {SVC_2021, ADMINISTRATOR, "user.edit-default-presence",
     "subject.bu=emea bu=contoso", RG_ALLOW, NULL, NULL},
    {SVC_2021, ADMINISTRATOR, "user.view", "subject.bu=americas bu=sales",
     RG_ALLOW, NULL, NULL},
    {SVC_2021, ADMINISTRATOR ",system-administrator", "user.edit-roles",
     "subject.bu=sales bu=americas", RG_ALLOW, "organization", NULL},
    /* The agent views users of its own unit. */
    {SVC_2021, AGENT_2021, "user.view", "subject.bu=emea bu=emea", RG_ALLOW,
     "omnichannel-agent grants user.view at business-unit depth",
     "omnichannel-agent"},
    {SVC_2021, AGENT_2021, "user.view", "subject.bu=emea bu=americas", RG_DENY,
     "omnichannel-agent grants user.view at business-unit depth; target "
     "unit 'americas' is outside 'emea'",
     NULL},
    {SVC_2021, AGENT_2021, "user.edit-queue-assignment",
     "subject.bu=emea bu=emea", RG_DENY, "user.edit-queue-assignment", NULL},
    /* Other privileges are organization-wide. */
    {SVC_2021, AGENT_2021, "queue.view", "subject.bu=emea bu=sales", RG_ALLOW,
     "organization", NULL},
    {SVC_2021, SUPERVISOR, "conversation.monitor",
     "subject.bu=sales bu=americas", RG_ALLOW, NULL, NULL},
    /* Several roles: the greatest depth. */
    {SVC_2021, AGENT_2021 ",omnichannel-administrator", "user.view",
     "subject.bu=emea bu=sales", RG_ALLOW, "organization",
     "omnichannel-administrator"},
    {SVC_2021, AGENT_2021 ",omnichannel-supervisor", "user.view",
     "subject.bu=emea bu=sales", RG_DENY, "business-unit depth", NULL},
    {SVC_2021, AGENT_2021 ",omnichannel-supervisor", "user.view",
     "subject.bu=emea bu=emea", RG_ALLOW, NULL, NULL},
    /* Only effective roles count: 2019's administrator without the
     * system administrator adds no depth. */
    {SVC_2019,
     "@omnichannel-administrator,omnichannel-supervisor,"
     "customer-service-app-access",
     "user.view", "subject.bu=sales bu=emea", RG_DENY,
     "omnichannel-supervisor grants user.view at business-unit depth",
     "omnichannel-supervisor"},
    {SVC_2019,
     "@omnichannel-administrator,omnichannel-supervisor,"
     "customer-service-app-access,system-administrator",
     "user.view", "subject.bu=sales bu=emea", RG_ALLOW, "organization",
     "omnichannel-administrator"},
    {SVC_2019, "@omnichannel-supervisor,customer-service-app-access",
     "user.edit-queue-assignment", "subject.bu=support bu=support", RG_ALLOW,
     NULL, NULL},
    {SVC_2019, "@omnichannel-supervisor,customer-service-app-access",
     "user.edit-queue-assignment", "subject.bu=support bu=americas", RG_DENY,
     "outside", NULL},
    /* A prerequisite denial comes before any depth. */
    {SVC_2021, "@omnichannel-administrator", "user.view",
     "subject.bu=sales bu=sales", RG_DENY, "basic-user", NULL},
    /* Owner only: one's own record, or anywhere at organization depth. */
    {SVC_2021, SUPERVISOR, "user.view",
     "subject.bu=sales subject.id=alice owner=alice", RG_ALLOW,
     "'alice' owns the record", NULL},
    {SVC_2021, SUPERVISOR, "user.view",
     "subject.bu=sales subject.id=alice owner=bob", RG_DENY,
     "the unit of owner 'bob' is not given", NULL},
    {SVC_2021, SUPERVISOR, "user.view",
     "subject.bu=sales subject.id=alice owner=bob bu=sales", RG_ALLOW, NULL,
     NULL},
    {SVC_2021, ADMINISTRATOR, "user.view", "subject.id=alice owner=bob",
     RG_ALLOW, "organization", NULL},
    /* Fail closed on bad attribute values. */
    {SVC_2021, SUPERVISOR, "user.view", "subject.bu=sales bu=mars", RG_DENY,
     "attribute bu: unknown business unit 'mars'", NULL},
    {SVC_2021, SUPERVISOR, "user.view", "subject.bu=sales bu=Sales", RG_DENY,
     "attribute bu: unknown business unit 'Sales'", NULL},
    {SVC_2021, SUPERVISOR, "user.view", "subject.bu=mars bu=sales", RG_DENY,
     "attribute subject.bu: unknown business unit 'mars'", NULL},
    {SVC_2021, SUPERVISOR, "user.view", "subject.bu=mars", RG_DENY,
     "subject.bu", NULL},
    {SVC_2021, SUPERVISOR, "user.view", "bu=sales", RG_DENY,
     "the subject has no business unit (subject.bu)", NULL},
    {SVC_2021, ADMINISTRATOR, "user.view", "bu=sales", RG_DENY, "subject.bu",
     NULL},
    {SVC_2021, SUPERVISOR, "user.view", "subject.bu=sales bu=", RG_DENY,
     "attribute bu is empty", NULL},
    {SVC_2021, SUPERVISOR, "user.view", "subject.bu= bu=sales", RG_DENY,
     "attribute subject.bu is empty", NULL},
    {SVC_2021, SUPERVISOR, "user.view", "subject.bu=sales owner=", RG_DENY,
     "attribute owner is empty", NULL},
    /* No target at all: an empty subject attribute still denies, with a
     * reason and without (the quiet path reads no unit for it). */
    {SVC_2021, SUPERVISOR, "user.view", "subject.bu=sales subject.id=", RG_DENY,
     "attribute subject.id is empty", NULL},
    {SVC_2021, AGENT_2021, "queue.view", "subject.bu=sales bu=mars", RG_DENY,
     "attribute bu: unknown business unit 'mars'", NULL},
    /* A privilege not held: the grant is the reason, not the attribute. */
    {SVC_2021, AGENT_2021, "user.edit-roles", "subject.bu=sales bu=mars",
     RG_DENY, "user.edit-roles", NULL},
};

/* Checks case i of a depth table on ctx: result, reason, granting role. */
static void run_depth_case(const rg_context *ctx, const struct depth_case *c,
                           int i)
{
	rg_decision d;

	ck_assert_int_eq(
	    check_attrs(ctx, c->service, c->subject, c->action, c->attrs, &d),
	    RG_OK);
	ck_assert_msg(d.result == c->want, "case %d %s %s [%s]: got %s (%s)", i,
	              c->subject, c->action, c->attrs ? c->attrs : "",
	              rg_result_name(d.result), d.reason);
	if (c->reason)
		ck_assert_msg(strstr(d.reason, c->reason),
		              "case %d: reason '%s' lacks '%s'", i, d.reason,
		              c->reason);
	if (c->role)
		ck_assert_str_eq(d.role, c->role);
}

START_TEST(test_depth)
{
	run_depth_case(shipped.ctx, &depth_cases[_i], _i);
}
END_TEST

/* ---- A private policy: every depth, includes, prerequisites ----------- */

#define POLICY "p.ini"
#define TENANT "t.ini"

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

/* Opens a service on a private policy and the shipped tenant. */
static void open_depth_policy(void)
{
	const rg_service *svc;
	rg_entry_info e;

	free(tu_write(priv.dir, POLICY, 0644, "%s", tu_d365_depth_policy));
	tu_open(&priv, "[service " SVC_2021 "]\n"
	               "stack = required dynamics365 policy=" POLICY
	               " tenant=" TU_POLICIES "/dynamics365-tenant.ini\n");
	svc = tu_service(priv.ctx, SVC_2021);
	ck_assert_int_eq(rg_entry_at(svc, 0, &e), RG_OK);
	ck_assert_msg(e.status == RG_OK, "private policy: %s%s", e.error,
	              tu_diag_dump(priv.ctx));
}

static const struct depth_case custom_cases[] = {
    /* parent-child: the unit and every unit below it */
    {SVC_2021, "@tree", "user.view", "subject.bu=support bu=emea", RG_ALLOW,
     "tree grants user.view at parent-child depth; target unit 'emea' is "
     "within 'support'",
     "tree"},
    {SVC_2021, "@tree", "user.view", "subject.bu=support bu=support", RG_ALLOW,
     NULL, NULL},
    {SVC_2021, "@tree", "user.view", "subject.bu=support bu=sales", RG_DENY,
     "parent-child depth; target unit 'sales' is outside 'support'", NULL},
    {SVC_2021, "@tree", "user.view", "subject.bu=support bu=contoso", RG_DENY,
     "outside", NULL},
    {SVC_2021, "@tree", "user.view", "subject.bu=emea bu=americas", RG_DENY,
     "outside", NULL},
    {SVC_2021, "@tree", "user.view", "subject.bu=contoso bu=americas", RG_ALLOW,
     NULL, NULL},
    {SVC_2021, "@tree", "user.edit", "subject.bu=contoso bu=contoso", RG_DENY,
     "user.edit", NULL},
    /* user: the subject's own records only */
    {SVC_2021, "@own", "user.view", "subject.id=alice owner=alice", RG_ALLOW,
     "own grants user.view at user depth; 'alice' owns the record", "own"},
    {SVC_2021, "@own", "user.view", "subject.id=alice owner=bob", RG_DENY,
     "owner 'bob' is not the subject 'alice'", NULL},
    {SVC_2021, "@own", "user.view", "subject.id=alice owner=alice2", RG_DENY,
     "'alice2'", NULL},
    {SVC_2021, "@own", "user.view", "owner=alice", RG_DENY,
     "no user id (subject.id)", NULL},
    {SVC_2021, "@own", "user.view", "subject.id= owner=alice", RG_DENY,
     "attribute subject.id is empty", NULL},
    {SVC_2021, "@own", "user.view",
     "subject.id=alice subject.bu=sales "
     "bu=sales",
     RG_DENY, "names no owner", NULL},
    {SVC_2021, "@own", "user.view",
     "subject.id=alice owner=alice subject.bu=sales bu=sales", RG_ALLOW, NULL,
     NULL},
    {SVC_2021, "@own", "user.view",
     "subject.id=alice owner=alice subject.bu=sales bu=emea", RG_DENY,
     "not the subject's unit 'sales'", NULL},
    {SVC_2021, "@own", "user.view", NULL, RG_ALLOW, "own grants", NULL},
    {SVC_2021, "@own", "user.view", "subject.id=alice", RG_ALLOW, NULL, NULL},
    /* the greatest depth of the effective roles */
    {SVC_2021, "@own,tree", "user.view", "subject.bu=support bu=emea", RG_ALLOW,
     "parent-child", "tree"},
    {SVC_2021, "@own,unit", "user.view", "subject.bu=support bu=support",
     RG_DENY, "own grants user.view at user depth", "own"},
    {SVC_2021, "@own,unit,base", "user.view", "subject.bu=support bu=support",
     RG_ALLOW, "unit grants user.view at business-unit depth", "unit"},
    {SVC_2021, "@own,unit,base", "user.view", "subject.bu=support bu=emea",
     RG_DENY,
     "unit grants user.view at business-unit depth; target unit "
     "'emea' is outside 'support'",
     "unit"},
    {SVC_2021, "@own,tree,unit,base,org", "user.view",
     "subject.bu=emea bu=sales", RG_ALLOW, "organization", "org"},
    {SVC_2021, "@org", "user.view", NULL, RG_DENY, "base", NULL},
    {SVC_2021, "@org,own", "user.view", "subject.id=a owner=b", RG_DENY,
     "user depth", "own"},
    {SVC_2021, "@org,base,own", "user.view", "subject.id=a owner=b", RG_ALLOW,
     "organization", "org"},
    /* one role, a different depth per privilege */
    {SVC_2021, "@unit,base", "user.edit", "subject.bu=support bu=americas",
     RG_ALLOW, "parent-child", NULL},
    {SVC_2021, "@unit,base", "user.view", "subject.bu=support bu=americas",
     RG_DENY, "business-unit", NULL},
    /* an included grant keeps its depth; a direct grant wins over it */
    {SVC_2021, "@mixed", "user.edit", "subject.id=a owner=a", RG_ALLOW,
     "user depth", "mixed"},
    {SVC_2021, "@mixed", "user.edit", "subject.id=a owner=b", RG_DENY,
     "mixed grants user.edit at user depth", NULL},
    {SVC_2021, "@mixed", "user.view", "subject.bu=sales bu=emea", RG_ALLOW,
     "organization", "mixed"},
};

START_TEST(test_custom_depth)
{
	open_depth_policy();
	run_depth_case(priv.ctx, &custom_cases[_i], _i);
}
END_TEST

/* Without tenant=, no unit is known: a target unit denies. */
START_TEST(test_no_tenant)
{
	rg_decision d;

	free(tu_write(priv.dir, POLICY, 0644, "%s", tu_d365_depth_policy));
	tu_open(&priv, "[service " SVC_2021 "]\n"
	               "stack = required dynamics365 policy=" POLICY "\n");
	check_attrs(priv.ctx, SVC_2021, "@org,base", "user.view", NULL, &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
	check_attrs(priv.ctx, SVC_2021, "@org,base", "user.view",
	            "subject.bu=sales bu=sales", &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_msg(strstr(d.reason, "subject.bu: unknown business unit"),
	              "%s", d.reason);
	ck_assert_msg(strstr(d.reason, "no tenant"), "%s", d.reason);
	check_attrs(priv.ctx, SVC_2021, "@own", "user.view",
	            "subject.id=a owner=a", &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
}
END_TEST

/* ---- Bad policy files ------------------------------------------------- */

/* A small valid policy; each case appends to it. */
static const char base_policy[] = "[policy]\n"
                                  "product = dynamics365\n"
                                  "version = test\n"
                                  "[privilege user.view]\n"
                                  "description = View users\n"
                                  "[role agent]\n"
                                  "name = Agent\n"
                                  "grant = user.view:business-unit\n";

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Opens the service on a policy (and tenant); returns the entry status. */
static int open_files(const char *policy, const char *tenant)
{
	const rg_service *svc;
	rg_entry_info e;

	free(tu_write(priv.dir, POLICY, 0644, "%s", policy));
	if (tenant)
		free(tu_write(priv.dir, TENANT, 0644, "%s", tenant));
	tu_open(&priv,
	        "[service " SVC_2021 "]\n"
	        "stack = required dynamics365 policy=" POLICY "%s\n",
	        tenant ? " tenant=" TENANT : "");
	svc = tu_service(priv.ctx, SVC_2021);
	ck_assert_uint_eq(rg_entry_count(svc), 1);
	ck_assert_int_eq(rg_entry_at(svc, 0, &e), RG_OK);
	return e.status;
}

/* A failed entry denies what its policy would have allowed. */
static void assert_fails_closed(const char *what)
{
	rg_decision d;

	check_attrs(priv.ctx, SVC_2021, "@agent", "user.view", NULL, &d);
	ck_assert_msg(d.result == RG_DENY, "%s: allowed (%s)", what, d.reason);
}

START_TEST(test_base_policy_ok)
{
	rg_decision d;

	ck_assert_msg(open_files(base_policy, NULL) == RG_OK, "base policy:%s",
	              tu_diag_dump(priv.ctx));
	check_attrs(priv.ctx, SVC_2021, "@agent", "user.view", NULL, &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
}
END_TEST

static const struct bad_case {
	const char *what;
	const char *text; /* appended to base_policy */
	unsigned line;    /* of the error, within text */
	const char *msg;
} bad_cases[] = {
    {"unknown access depth", "[role x]\nname = X\ngrant = user.view:team\n", 3,
     "unknown access depth 'team'"},
    {"access depth in the wrong case",
     "[role x]\nname = X\ngrant = user.view:Organization\n", 3,
     "'Organization'"},
    {"empty access depth", "[role x]\nname = X\ngrant = user.view:\n", 3,
     "empty qualifier"},
    {"grant of an unknown privilege", "[role x]\nname = X\ngrant = user.edit\n",
     3, "user.edit"},
    {"duplicate role", "[role agent]\nname = Agent again\n", 1, "agent"},
    {"duplicate privilege", "[privilege user.view]\n", 1, "user.view"},
    {"requires an undeclared role",
     "[role x]\nname = X\nrequires = supervisor\n", 3, "supervisor"},
    {"includes an undeclared role", "[role x]\nname = X\ninclude = ghost\n", 3,
     "ghost"},
    {"privilege requires an undeclared role",
     "[privilege user.edit]\nrequires = phantom\n", 2, "phantom"},
    {"unknown key in a role", "[role x]\nname = X\ncolour = red\n", 3,
     "colour"},
    {"unknown key in a privilege", "[privilege user.edit]\nscope = own\n", 2,
     "scope"},
    {"syntax error", "[role x]\nthis is not a key\n", 2, ""},
};

START_TEST(test_bad_policy)
{
	const struct bad_case *c = &bad_cases[_i];
	char *text = tu_strdupf("%s%s", base_policy, c->text);
	char *where =
	    tu_strdupf(POLICY ":%u:", count_lines(base_policy) + c->line);

	ck_assert_msg(open_files(text, NULL) != RG_OK, "%s: entry loaded",
	              c->what);
	ck_assert_msg(tu_diag_find(priv.ctx, where, c->msg, NULL) >= 0,
	              "%s: no diagnostic with '%s' and '%s':%s", c->what, where,
	              c->msg, tu_diag_dump(priv.ctx));
	assert_fails_closed(c->what);
	free(where);
	free(text);
}
END_TEST

/* Reported at the [policy] header or at its product line. */
START_TEST(test_wrong_product)
{

	ck_assert_int_ne(open_files("[policy]\nproduct = rocketchat\n"
	                            "[privilege user.view]\n"
	                            "[role agent]\ngrant = user.view\n",
	                            NULL),
	                 RG_OK);
	ck_assert_msg(
	    tu_diag_find(priv.ctx, POLICY ":1:", "rocketchat", NULL) >= 0 ||
	        tu_diag_find(priv.ctx, POLICY ":2:", "rocketchat", NULL) >= 0,
	    "no diagnostic at " POLICY ":1 or 2:%s", tu_diag_dump(priv.ctx));
	assert_fails_closed("wrong product");
}
END_TEST

/* ---- Bad tenant files --------------------------------------------------- */

static const struct bad_case bad_tenants[] = {
    {"unknown parent",
     "[tenant]\nroot = contoso\n[business-units]\n"
     "sales = nowhere\n",
     4, "unit 'sales': unknown parent unit 'nowhere'"},
    {"duplicate unit",
     "[tenant]\nroot = contoso\n[business-units]\n"
     "sales = contoso\nsales = contoso\n",
     5, "duplicate unit 'sales' (also at line 4)"},
    {"second root", "[tenant]\nroot = contoso\nroot = fabrikam\n", 3,
     "one root"},
    {"no root", "[business-units]\nsales = contoso\n", 0,
     "no root business unit"},
    {"cycle", "[tenant]\nroot = contoso\n[business-units]\na = b\nb = a\n", 4,
     "cycle"},
    {"root with a parent",
     "[tenant]\nroot = contoso\n[business-units]\n"
     "sales = contoso\ncontoso = sales\n",
     5, "unit 'contoso' is the root"},
    {"unit without a parent",
     "[tenant]\nroot = contoso\n[business-units]\n"
     "sales =\n",
     4, "unit 'sales' has no parent"},
    {"bad unit name",
     "[tenant]\nroot = contoso\n[business-units]\n"
     "sales/west = contoso\n",
     4, "bad business-unit name 'sales/west'"},
    {"bad parent name",
     "[tenant]\nroot = contoso\n[business-units]\n"
     "sales = con toso\n",
     4, "bad parent name 'con toso'"},
    {"bad root name", "[tenant]\nroot = con toso\n", 2, "bad unit name"},
    {"unknown section", "[tenant]\nroot = contoso\n[units]\nsales = contoso\n",
     4, "unknown section [units]"},
    {"unknown tenant key", "[tenant]\nroot = contoso\nowner = me\n", 3,
     "unknown key 'owner'"},
    {"syntax error", "[tenant]\nroot contoso\n", 2, ""},
};

START_TEST(test_bad_tenant)
{
	const struct bad_case *c = &bad_tenants[_i];
	char *where = c->line ? tu_strdupf(TENANT ":%u:", c->line)
	                      : tu_strdupf(TENANT ":");

	ck_assert_msg(open_files(base_policy, c->text) != RG_OK,
	              "%s: entry loaded", c->what);
	ck_assert_msg(tu_diag_find(priv.ctx, where, c->msg, NULL) >= 0,
	              "%s: no diagnostic with '%s' and '%s':%s", c->what, where,
	              c->msg, tu_diag_dump(priv.ctx));
	assert_fails_closed(c->what);
	free(where);
}
END_TEST

/* A good tenant file in another order, with a display name and comments. */
START_TEST(test_tenant_any_order)
{
	rg_decision d;

	ck_assert_msg(open_files(base_policy, "; units first\n"
	                                      "[business-units]\n"
	                                      "west = sales\n"
	                                      "sales = hq\n"
	                                      "[tenant]\n"
	                                      "name = Fabrikam, Inc.\n"
	                                      "root = hq\n") == RG_OK,
	              "tenant:%s", tu_diag_dump(priv.ctx));
	check_attrs(priv.ctx, SVC_2021, "@agent", "user.view",
	            "subject.bu=west bu=west", &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
	check_attrs(priv.ctx, SVC_2021, "@agent", "user.view",
	            "subject.bu=sales bu=west", &d);
	ck_assert_msg(d.result == RG_DENY, "%s", d.reason);
	check_attrs(priv.ctx, SVC_2021, "@agent", "user.view",
	            "subject.bu=hq bu=contoso", &d);
	ck_assert_msg(d.result == RG_DENY, "%s", d.reason);
	ck_assert_msg(strstr(d.reason, "'contoso'"), "%s", d.reason);
}
END_TEST

/* ---- Bad plugin arguments ----------------------------------------------- */

static const struct bad_args {
	const char *what;
	const char *args;
	const char *msg;
} bad_args[] = {
    {"no policy", "", "policy"},
    {"no policy, a tenant", "tenant=" TENANT, "policy"},
    {"unknown argument", "policy=" POLICY " edition=enterprise", "edition"},
    {"repeated policy", "policy=" POLICY " policy=" POLICY, "policy"},
    {"repeated tenant", "policy=" POLICY " tenant=" TENANT " tenant=" TENANT,
     "tenant"},
    {"bare tenant", "policy=" POLICY " tenant", "tenant"},
    {"empty policy path", "policy=", "policy"},
    {"missing policy file", "policy=nowhere.ini", "nowhere.ini"},
    {"missing tenant file", "policy=" POLICY " tenant=nowhere.ini",
     "nowhere.ini"},
};

START_TEST(test_bad_args)
{
	const struct bad_args *c = &bad_args[_i];
	const rg_service *svc;
	rg_entry_info e;

	free(tu_write(priv.dir, POLICY, 0644, "%s", base_policy));
	free(tu_write(priv.dir, TENANT, 0644, "[tenant]\nroot = contoso\n"));
	tu_open(&priv,
	        "[service " SVC_2021 "]\nstack = required dynamics365 %s\n",
	        c->args);
	svc = tu_service(priv.ctx, SVC_2021);
	ck_assert_int_eq(rg_entry_at(svc, 0, &e), RG_OK);
	ck_assert_msg(e.status != RG_OK, "%s: entry loaded", c->what);
	ck_assert_msg(tu_diag_find(priv.ctx, c->msg, NULL) >= 0,
	              "%s: no diagnostic naming '%s':%s", c->what, c->msg,
	              tu_diag_dump(priv.ctx));
	assert_fails_closed(c->what);
}
END_TEST

/* ---- The suite ------------------------------------------------------------
 */

/* ---- Directory users: the decision table agrees with decide() ---------- */

/*
 * Every directory user checked without request attributes and without a
 * reason is answered from the decision table the core builds from the
 * plugin's subject_answers(); with a reason, decide() answers.  For a user
 * holding each combination of a version's roles (some with custom roles,
 * some in a unit of the directory's tree), every privilege must get the
 * same result and status both ways.
 */

#define ANSWERS_DB      "directory.db"
#define ANSWERS_UNITS   4
#define ANSWERS_CUSTOM  3
#define ANSWERS_USER_ID 32

static const char *const answer_units[ANSWERS_UNITS] = {"fabrikam", "north",
                                                        "south", "north-east"};
static const char *const answer_unit_parents[ANSWERS_UNITS] = {
    NULL, "fabrikam", "fabrikam", "north"};

/* Custom roles: a depth-qualified privilege, a mix, one needing a role. */
static const char *const custom_ids[ANSWERS_CUSTOM] = {"cr-queue", "cr-view",
                                                       "cr-roles"};
static const char *const custom_privs[ANSWERS_CUSTOM][2] = {
    {"user.edit-queue-assignment", "queue.view"},
    {"user.view", "workstream.view"},
    {"user.edit-roles", "workspace.access"}};

/* Opens priv.ctx on conf (written by the caller) and a directory db in
 * priv.dir, logging at level; frees both. */
static void priv_open_directory_at(char *conf, char *db, int level)
{
	tu_open_directory(&priv, conf, priv.plugin_dir, db, level);
	free(conf);
	free(db);
}

/* The same logging warnings: debug would log every check. */
static void priv_open_directory(char *conf, char *db)
{
	priv_open_directory_at(conf, db, RG_LOG_WARNING);
}

static void answers_open(void)
{
	char *db = tu_join(priv.dir, ANSWERS_DB);
	char *conf;

	conf = tu_write(priv.dir, "rolegate.conf", 0644,
	                "[service " SVC_2021 "]\n"
	                "stack = required dynamics365 policy=" TU_POLICIES
	                "/dynamics365-2021.ini tenant=" TU_POLICIES
	                "/dynamics365-tenant.ini\n"
	                "[service " SVC_2019 "]\n"
	                "stack = required dynamics365 policy=" TU_POLICIES
	                "/dynamics365-2019.ini tenant=" TU_POLICIES
	                "/dynamics365-tenant.ini\n");
	priv_open_directory(conf, db);
}

static void answers_ok(rg_txn *txn, int rc, const char *what)
{
	ck_assert_msg(rc == RG_OK, "%s: %s: %s", what, rg_status_name(rc),
	              rg_txn_error(txn));
}

/* The tree (2021 only: 2019 keeps its tenant file) and the custom roles. */
static void answers_org(rg_txn *txn, int with_units)
{
	size_t i;

	for (i = 0; with_units && i < ANSWERS_UNITS; i++)
		answers_ok(txn,
		           rg_org_add(txn, "bu", answer_units[i],
		                      answer_unit_parents[i]),
		           answer_units[i]);
	for (i = 0; i < ANSWERS_CUSTOM; i++) {
		const rg_service *svc = tu_service(priv.ctx, SVC_2021);
		const char *ps[2];
		size_t n = 0, k;

		/* 2019 lacks some privileges: keep those it has. */
		for (k = 0; k < 2; k++)
			if (rg_privilege_find(svc, custom_privs[i][k]) >= 0)
				ps[n++] = custom_privs[i][k];
		answers_ok(txn,
		           rg_custom_role_create(txn, custom_ids[i], NULL, NULL,
		                                 ps, n),
		           custom_ids[i]);
	}
}

/* One user per combination of the service's roles. */
static size_t answers_users(rg_txn *txn, const rg_service *svc, int with_units)
{
	size_t nroles = rg_role_count(svc), m, r, combos;

	ck_assert_uint_lt(nroles, 8 * sizeof(unsigned));
	combos = (size_t)1 << nroles;
	for (m = 0; m < combos; m++) {
		char id[ANSWERS_USER_ID];

		snprintf(id, sizeof(id), "u%zu", m);
		answers_ok(txn, rg_user_add(txn, id, NULL), id);
		/* Every fourth user has no unit, to measure nothing from. */
		if (with_units && m % ANSWERS_UNITS)
			answers_ok(txn,
			           rg_user_set(txn, id, "bu",
			                       answer_units[m % ANSWERS_UNITS]),
			           id);
		for (r = 0; r < nroles; r++) {
			rg_role_info ri;

			if (!(m & ((size_t)1 << r)))
				continue;
			ck_assert_int_eq(rg_role_at(svc, r, &ri), RG_OK);
			answers_ok(txn, rg_role_assign(txn, id, ri.id, 0),
			           ri.id);
		}
		/* Custom roles for some, alone or with built-in roles. */
		if (m % 3 == 0)
			answers_ok(txn,
			           rg_role_assign(
			               txn, id,
			               custom_ids[(m / 3) % ANSWERS_CUSTOM], 0),
			           id);
	}
	return combos;
}

static void answers_build(const char *service, int with_units)
{
	char err[1024] = "";
	rg_txn *txn = NULL;
	int rc;

	rc = rg_txn_begin(priv.ctx, service, "check_dynamics365", "answers",
	                  &txn, err, sizeof(err));
	ck_assert_msg(rc == RG_OK, "rg_txn_begin: %s", err);
	answers_org(txn, with_units);
	answers_users(txn, tu_service(priv.ctx, service), with_units);
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
}

START_TEST(test_answers_match_decide)
{
	const struct version *v = versions[_i];
	int with_units = v == &v2021;
	const rg_service *svc;
	size_t nusers;

	answers_open();
	answers_build(v->service, with_units);
	svc = tu_service(priv.ctx, v->service);
	nusers = (size_t)1 << rg_role_count(svc);
	/* Every user answered in bulk: the comparison below is the table's. */
	ck_assert_uint_eq(rg_directory_tabled(priv.ctx, svc), nusers);
	tu_table_agrees(priv.ctx, v->service, "u", 0, nusers);
}
END_TEST

/* ---- Prepared snapshots answer as unprepared ones (ABI 1.3) ------------ */

/*
 * A directory user is decided from what the plugin prepared for the
 * snapshot (view_prepare()), without a reason and, when every value is good,
 * with one (d365_prep_reason()); the same subject given ad hoc (its roles
 * and attributes in the request) has nothing prepared.  For every user of
 * every role combination of the private depth policy (every depth, includes,
 * prerequisites, a custom role), every privilege and every target (each
 * unit, one that does not exist, none; with and without an owner), all four
 * must agree: result, status and return code, and with a reason the reason,
 * role and missing role.  Then after a user and a unit move.
 *
 * Variants: 0 the directory's tree (a unit no user lies under, "lonely",
 * is one the prepared index cannot hold); 1 the tenant file only; 2 no
 * tree at all.
 */

#define PREP_DB     "prepared.db"
#define PREP_ROLES  6
#define PREP_USERS  (1u << PREP_ROLES)
#define PREP_UNITS  7
#define PREP_HOMES  6 /* the units users are put in: not "lonely" */
#define PREP_CUSTOM "cr-both"

static const char *const prep_roles[PREP_ROLES] = {"base", "own", "tree",
                                                   "unit", "org", "mixed"};
static const char *const prep_units[PREP_UNITS] = {
    "contoso", "sales", "support", "emea", "americas", "emea-north", "lonely"};
static const char *const prep_parents[PREP_UNITS] = {
    NULL, "contoso", "contoso", "support", "support", "emea", "sales"};
static const char *const prep_privs[] = {"user.view", "user.edit"};
/* Targets besides the units: none, and a unit no tree has. */
static const char *const prep_extra_targets[] = {NULL, "atlantis"};

/* Each user's unit as the directory has it, kept in step with moves. */
static const char *prep_user_bu[PREP_USERS];

static void prep_open_at(int variant, int level)
{
	char *db = tu_join(priv.dir, PREP_DB);
	char *conf;

	free(tu_write(priv.dir, POLICY, 0644, "%s", tu_d365_depth_policy));
	conf = tu_write(priv.dir, "rolegate.conf", 0644,
	                "[service " SVC_2021 "]\n"
	                "stack = required dynamics365 policy=" POLICY "%s\n",
	                variant < 2 ? " tenant=" TU_POLICIES
	                              "/dynamics365-tenant.ini"
	                            : "");
	priv_open_directory_at(conf, db, level);
}

static void prep_open(int variant)
{
	prep_open_at(variant, RG_LOG_WARNING);
}

static void prep_build(int with_units)
{
	const char *cr_privs[] = {"user.view", "user.edit"};
	char err[1024] = "";
	rg_txn *txn = NULL;
	unsigned m, r;
	size_t i;

	ck_assert_int_eq(rg_txn_begin(priv.ctx, SVC_2021, "check_dynamics365",
	                              "prepared", &txn, err, sizeof(err)),
	                 RG_OK);
	for (i = 0; with_units && i < PREP_UNITS; i++)
		answers_ok(
		    txn, rg_org_add(txn, "bu", prep_units[i], prep_parents[i]),
		    prep_units[i]);
	answers_ok(txn,
	           rg_custom_role_create(txn, PREP_CUSTOM, NULL, NULL, cr_privs,
	                                 RG_COUNTOF(cr_privs)),
	           PREP_CUSTOM);
	for (m = 0; m < PREP_USERS; m++) {
		char id[ANSWERS_USER_ID];

		snprintf(id, sizeof(id), "u%u", m);
		answers_ok(txn, rg_user_add(txn, id, NULL), id);
		prep_user_bu[m] = NULL;
		/* Every seventh user has no unit. */
		if (with_units && m % 7) {
			prep_user_bu[m] = prep_units[m % PREP_HOMES];
			answers_ok(txn,
			           rg_user_set(txn, id, "bu", prep_user_bu[m]),
			           id);
		}
		for (r = 0; r < PREP_ROLES; r++)
			if (m & (1u << r))
				answers_ok(
				    txn,
				    rg_role_assign(txn, id, prep_roles[r], 0),
				    prep_roles[r]);
		if (m % 5 == 0)
			answers_ok(txn, rg_role_assign(txn, id, PREP_CUSTOM, 0),
			           id);
	}
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
}

/* One question four ways: directory user and ad hoc, quiet and not. */
static void prep_compare(unsigned m, const char *action, const rg_attr *attrs,
                         size_t nattrs)
{
	const unsigned flags[2] = {0, RG_CHECK_NO_REASON};
	char id[ANSWERS_USER_ID], roles[1024];
	rg_request dreq, areq;
	rg_attr sattrs[2];
	size_t f, ns = 0;

	snprintf(id, sizeof(id), "u%u", m);
	memset(&dreq, 0, sizeof(dreq));
	dreq.service = SVC_2021;
	dreq.subject.user = id;
	dreq.action = action;
	dreq.attrs = attrs;
	dreq.nattrs = nattrs;
	ck_assert_int_eq(rg_subject_roles(priv.ctx, SVC_2021, &dreq.subject,
	                                  roles, sizeof(roles)),
	                 RG_OK);
	/* Ad hoc: the user's roles and attributes, its id as subject.id. */
	sattrs[ns].key = "id";
	sattrs[ns++].value = id;
	if (prep_user_bu[m]) {
		sattrs[ns].key = "bu";
		sattrs[ns++].value = prep_user_bu[m];
	}
	areq = dreq;
	areq.subject.user = NULL;
	areq.subject.roles = roles;
	areq.subject.attrs = sattrs;
	areq.subject.nattrs = ns;
	for (f = 0; f < RG_COUNTOF(flags); f++) {
		rg_decision d, a;
		int rd, ra;

		memset(&d, 0, sizeof(d));
		memset(&a, 0, sizeof(a));
		rd = rg_check(priv.ctx, &dreq, flags[f], &d);
		ra = rg_check(priv.ctx, &areq, flags[f], &a);
		ck_assert_msg(
		    rd == ra && d.result == a.result && d.status == a.status,
		    "%s [%s] %s %s=%s%s flags %u: directory %s/%s, "
		    "ad hoc %s/%s (%s)",
		    id, roles, action, nattrs ? attrs[0].key : "-",
		    nattrs ? attrs[0].value : "-", nattrs > 1 ? " +owner" : "",
		    flags[f], rg_result_name(d.result),
		    rg_status_name(d.status), rg_result_name(a.result),
		    rg_status_name(a.status), a.reason);
		/* Without a reason the core may leave role and missing
		 * empty, but what it reports must still agree. */
		ck_assert_str_eq(d.role, a.role);
		ck_assert_str_eq(d.missing, a.missing);
		if (!(flags[f] & RG_CHECK_NO_REASON))
			ck_assert_str_eq(d.reason, a.reason);
	}
}

/* Every user, privilege and target, with no owner, the user's, another's. */
static void prep_compare_all(void)
{
	const char *targets[PREP_UNITS + RG_COUNTOF(prep_extra_targets)];
	size_t nt = 0, t, p, o, n;
	unsigned m;

	for (t = 0; t < PREP_UNITS; t++)
		targets[nt++] = prep_units[t];
	for (t = 0; t < RG_COUNTOF(prep_extra_targets); t++)
		targets[nt++] = prep_extra_targets[t];
	for (m = 0; m < PREP_USERS; m++) {
		char id[ANSWERS_USER_ID];

		snprintf(id, sizeof(id), "u%u", m);
		for (p = 0; p < RG_COUNTOF(prep_privs); p++)
			for (t = 0; t < nt; t++)
				for (o = 0; o < 3; o++) {
					rg_attr attrs[2];

					n = 0;
					if (targets[t]) {
						attrs[n].key = "bu";
						attrs[n++].value = targets[t];
					}
					if (o) {
						attrs[n].key = "owner";
						attrs[n++].value =
						    o == 1 ? id : "someone";
					}
					prep_compare(m, prep_privs[p], attrs,
					             n);
				}
	}
}

/* u4 holds "tree" alone: user.view at parent-child depth. */
static rg_result prep_quiet(const char *user, const char *bu)
{
	rg_attr a = {"bu", bu};
	rg_request req;
	rg_decision d;

	memset(&req, 0, sizeof(req));
	req.service = SVC_2021;
	req.subject.user = user;
	req.action = "user.view";
	req.attrs = &a;
	req.nattrs = 1;
	rg_check(priv.ctx, &req, RG_CHECK_NO_REASON, &d);
	return d.result;
}

START_TEST(test_prepared_matches_adhoc)
{
	char err[1024] = "";
	rg_txn *txn = NULL;

	prep_open(_i);
	prep_build(_i == 0);
	prep_compare_all();
	if (_i != 0)
		return;
	/* u4 in americas reaches nothing under emea, emea under support. */
	ck_assert_str_eq(prep_user_bu[4], "americas");
	ck_assert_int_eq(prep_quiet("u4", "emea-north"), RG_DENY);
	ck_assert_int_eq(prep_quiet("u4", "americas"), RG_ALLOW);
	/* Moves: a user to another unit, a unit to another parent. */
	ck_assert_int_eq(rg_txn_begin(priv.ctx, SVC_2021, "check_dynamics365",
	                              "moves", &txn, err, sizeof(err)),
	                 RG_OK);
	answers_ok(txn, rg_user_set(txn, "u4", "bu", "sales"), "u4");
	prep_user_bu[4] = "sales";
	answers_ok(txn, rg_org_set(txn, "bu", "emea", "parent", "sales"),
	           "emea");
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
	/* The new snapshot's answers, not the old one's. */
	ck_assert_int_eq(prep_quiet("u4", "emea-north"), RG_ALLOW);
	ck_assert_int_eq(prep_quiet("u4", "lonely"), RG_ALLOW);
	ck_assert_int_eq(prep_quiet("u4", "americas"), RG_DENY);
	prep_compare_all();
}
END_TEST

/*
 * More distinct role sets than the plugin prepares answers for (4,096):
 * PREP_MANY custom roles, held alone and in every pair by as many extra
 * users.  Preparing fails, the core logs it, and every check is decided
 * the unprepared way: the same answers as ad hoc.
 */
#define PREP_MANY 91 /* 91 + 91 * 90 / 2 = 4,186 distinct sets */
START_TEST(test_prepared_too_many_role_sets)
{
	const char *granted[] = {"user.view"};
	char err[1024] = "", id[ANSWERS_USER_ID], cr[ANSWERS_USER_ID];
	rg_txn *txn = NULL;
	unsigned i, j, n = 0;

	prep_open(0);
	prep_build(1);
	ck_assert_int_eq(rg_txn_begin(priv.ctx, SVC_2021, "check_dynamics365",
	                              "many", &txn, err, sizeof(err)),
	                 RG_OK);
	for (i = 0; i < PREP_MANY; i++) {
		snprintf(cr, sizeof(cr), "cx-%02u", i);
		answers_ok(
		    txn, rg_custom_role_create(txn, cr, NULL, NULL, granted, 1),
		    cr);
	}
	for (i = 0; i < PREP_MANY; i++)
		for (j = i; j < PREP_MANY; j++) {
			snprintf(id, sizeof(id), "x%04u", n++);
			answers_ok(txn, rg_user_add(txn, id, NULL), id);
			snprintf(cr, sizeof(cr), "cx-%02u", i);
			answers_ok(txn, rg_role_assign(txn, id, cr, 0), cr);
			snprintf(cr, sizeof(cr), "cx-%02u", j);
			if (j != i)
				answers_ok(txn, rg_role_assign(txn, id, cr, 0),
				           cr);
		}
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
	ck_assert_msg(tu_log_has(&priv.log, "preparing the directory snapshot "
	                                    "failed"),
	              "the plugin prepared %u role sets", n);
	prep_compare_all();
}
END_TEST

/* ---- Reasons from compiled scopes (ABI 1.7) ----------------------------- */

/*
 * A prepared user's check naming only a target unit, with a reason and no
 * trace, may be answered by the core from the scopes subject_scopes()
 * compiled and the reasons it gave with them (rg_scope_reason()); a trace
 * always runs the plugin.  For every user of prep_build(), both privileges
 * and every target (each unit, "lonely" which no user lies under,
 * "atlantis" which no tree has), the two must agree byte for byte: result,
 * status, role, missing role and reason.  The debug log shows which
 * checks the table gave: one of each reason the plugin gives, and none
 * that names a missing prerequisite.  The directory's tree (variant 0 of
 * test_prepared_matches_adhoc): the only one its users have units of.
 */

/* How many logged lines say the table gave a decision with its reason. */
static size_t scope_reasons_logged(void)
{
	size_t i, n = 0;

	for (i = 0; i < priv.log.n; i++)
		n += strstr(priv.log.lines[i], ") (decision table)") != NULL;
	return n;
}

/* One check of user m with a reason both ways; 1 when the table gave it. */
static int scope_reason_agrees(unsigned m, const char *action, const char *bu)
{
	rg_attr a = {"bu", bu};
	char id[ANSWERS_USER_ID];
	rg_decision d, t;
	rg_request req;
	size_t before;
	int rd, rt;

	snprintf(id, sizeof(id), "u%u", m);
	memset(&req, 0, sizeof(req));
	req.service = SVC_2021;
	req.subject.user = id;
	req.action = action;
	req.attrs = &a;
	req.nattrs = 1;
	memset(&d, 0, sizeof(d));
	memset(&t, 0, sizeof(t));
	rt = rg_check(priv.ctx, &req, RG_CHECK_TRACE, &t);
	before = scope_reasons_logged();
	rd = rg_check(priv.ctx, &req, 0, &d);
	ck_assert_msg(
	    rd == rt && d.result == t.result && d.status == t.status,
	    "%s %s bu=%s: %s/%s (%s), the stack %s/%s (%s)", id, action, bu,
	    rg_result_name(d.result), rg_status_name(d.status), d.reason,
	    rg_result_name(t.result), rg_status_name(t.status), t.reason);
	ck_assert_str_eq(d.reason, t.reason);
	ck_assert_str_eq(d.role, t.role);
	ck_assert_str_eq(d.missing, t.missing);
	return scope_reasons_logged() > before;
}

/* Users of prep_build(): the roles of the bits, the unit of m % PREP_HOMES. */
#define U_OWN   2u  /* own: user depth, "support" */
#define U_TREE  4u  /* tree: user.view parent-child, "americas" */
#define U_UNIT  9u  /* base, unit: user.view business-unit, "emea" */
#define U_ORG   16u /* org without base: a missing prerequisite */
#define U_MIXED 32u /* mixed: user.view organization, "support" */

START_TEST(test_scope_reasons)
{
	size_t p, t, tabled = 0;
	unsigned m;

	prep_open_at(0, RG_LOG_DEBUG);
	prep_build(1);
	for (m = 0; m < PREP_USERS; m++)
		for (p = 0; p < RG_COUNTOF(prep_privs); p++)
			for (t = 0; t < PREP_UNITS + 1; t++)
				tabled += (size_t)scope_reason_agrees(
				    m, prep_privs[p],
				    t < PREP_UNITS ? prep_units[t]
				                   : "atlantis");
	ck_assert_uint_gt(tabled, 0);
	/* Within, outside, in the organization, user depth, not held. */
	ck_assert(scope_reason_agrees(U_TREE, "user.view", "americas"));
	ck_assert(scope_reason_agrees(U_TREE, "user.view", "emea"));
	ck_assert(scope_reason_agrees(U_UNIT, "user.view", "emea"));
	ck_assert(scope_reason_agrees(U_UNIT, "user.view", "sales"));
	ck_assert(scope_reason_agrees(U_MIXED, "user.view", "emea"));
	ck_assert(scope_reason_agrees(U_OWN, "user.view", "support"));
	ck_assert(scope_reason_agrees(U_TREE, "user.edit", "sales"));
	/* A missing prerequisite is decide()'s to name. */
	ck_assert(!scope_reason_agrees(U_ORG, "user.view", "sales"));
	/* No unit of any tree: left to decide(). */
	ck_assert(!scope_reason_agrees(U_TREE, "user.view", "atlantis"));
}
END_TEST

/* ---- Owner teams (Dataverse) ------------------------------------------- */

/*
 * A user holds the security roles of the owner teams it is a member of,
 * besides its own: "A user's privileges can come from their individual
 * security roles, those of the teams that they're part of or the ones they
 * inherit" (Microsoft Learn, Power Platform admin, "Manage teams":
 * learn.microsoft.com/power-platform/admin/manage-teams).  A team belongs
 * to one business unit and may have members of other units (same page);
 * for records owned by users and teams, "the access levels refer to where
 * the security principals are defined within a potential hierarchy of
 * business units" and "each security principal is associated with a
 * single business unit" ("Security concepts for developers",
 * learn.microsoft.com/power-apps/developer/data-platform/security-concepts):
 * a team's role at business-unit or parent-child depth reaches from the
 * team's unit, not the member's.  At user (Basic) depth a team's role
 * reaches the records the team owns and, with the role's default "Direct
 * User (Basic) access level and Team privileges" inheritance, the member's
 * own ("Security roles and privileges",
 * learn.microsoft.com/power-platform/admin/security-roles-privileges).
 * Privileges are cumulative over all of them (same page), so a team's
 * role meets a prerequisite of the user's own and the other way round.
 *
 * Two services on one directory: the shipped 2021 policy, and the private
 * depth policy (roles own, tree, unit, base ...) for every depth.
 */
#define TEAMS_DB  "teams.db"
#define SVC_DEPTH "dynamics365-depth"

static const char *const team_units[] = {"contoso", "sales",    "support",
                                         "emea",    "americas", "emea-north"};
static const char *const team_unit_parents[] = {NULL,      "contoso", "contoso",
                                                "support", "support", "emea"};

static const struct team_row {
	const char *service, *name, *bu, *roles;
} team_rows[] = {
    {SVC_2021, "support-sup", "support", "basic-user,omnichannel-supervisor"},
    /* no basic-user: its members need their own */
    {SVC_2021, "emea-agents", "emea", "omnichannel-agent"},
    {SVC_2021, "base", "sales", "basic-user"},
    {SVC_DEPTH, "t-tree", "support", "tree"},
    {SVC_DEPTH, "t-own", "emea", "own"},
    /* unit requires base */
    {SVC_DEPTH, "t-unit", "americas", "unit"},
};

static const struct team_user {
	const char *service, *id, *bu, *roles, *teams;
} team_users[] = {
    {SVC_2021, "ana", "sales", "basic-user", "support-sup"},
    {SVC_2021, "ben", "sales", "basic-user,omnichannel-supervisor",
     "emea-agents"},
    {SVC_2021, "cid", "sales", "", "emea-agents"},
    {SVC_2021, "dee", "emea", "omnichannel-agent", "base"},
    {SVC_2021, "eve", "sales", "basic-user,omnichannel-supervisor", ""},
    {SVC_DEPTH, "pat", "sales", "", "t-tree"},
    {SVC_DEPTH, "olga", "sales", "", "t-own"},
    {SVC_DEPTH, "ulf", "sales", "base", "t-unit"},
    {SVC_DEPTH, "vic", "emea", "own", "t-tree,t-unit"},
    {SVC_DEPTH, "max", "sales", "base", "t-own,t-tree,t-unit"},
};

static void teams_open(void)
{
	char *db = tu_join(priv.dir, TEAMS_DB);
	char *conf;

	free(tu_write(priv.dir, POLICY, 0644, "%s", tu_d365_depth_policy));
	conf = tu_write(priv.dir, "rolegate.conf", 0644,
	                "[service " SVC_2021 "]\n"
	                "stack = required dynamics365 policy=" TU_POLICIES
	                "/dynamics365-2021.ini\n"
	                "[service " SVC_DEPTH "]\n"
	                "stack = required dynamics365 policy=" POLICY "\n");
	priv_open_directory(conf, db);
}

static rg_txn *teams_begin(const char *service)
{
	char err[1024] = "";
	rg_txn *txn = NULL;

	ck_assert_msg(rg_txn_begin(priv.ctx, service, "check_dynamics365",
	                           "teams", &txn, err, sizeof(err)) == RG_OK,
	              "rg_txn_begin: %s", err);
	return txn;
}

/* Assigns each role of a comma-separated list. */
static void teams_assign(rg_txn *txn, const char *id, const char *roles)
{
	char buf[256], *r, *save;

	snprintf(buf, sizeof(buf), "%s", roles);
	for (r = strtok_r(buf, ",", &save); r; r = strtok_r(NULL, ",", &save))
		answers_ok(txn, rg_role_assign(txn, id, r, 0), r);
}

/* Adds a user to each team of a comma-separated list. */
static void teams_join(rg_txn *txn, const char *id, const char *teams)
{
	char buf[256], *t, *save;

	snprintf(buf, sizeof(buf), "%s", teams);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		answers_ok(txn, rg_member_add(txn, id, "team", t), t);
}

static void teams_build_service(const char *service)
{
	rg_txn *txn = teams_begin(service);
	size_t i;

	for (i = 0; i < RG_COUNTOF(team_units); i++)
		answers_ok(
		    txn,
		    rg_org_add(txn, "bu", team_units[i], team_unit_parents[i]),
		    team_units[i]);
	for (i = 0; i < RG_COUNTOF(team_rows); i++) {
		const struct team_row *r = &team_rows[i];

		if (strcmp(r->service, service) != 0)
			continue;
		answers_ok(txn, rg_org_add(txn, "team", r->name, r->bu),
		           r->name);
		answers_ok(txn,
		           rg_org_set(txn, "team", r->name, "roles", r->roles),
		           r->roles);
	}
	for (i = 0; i < RG_COUNTOF(team_users); i++) {
		const struct team_user *u = &team_users[i];

		if (strcmp(u->service, service) != 0)
			continue;
		answers_ok(txn, rg_user_add(txn, u->id, NULL), u->id);
		answers_ok(txn, rg_user_set(txn, u->id, "bu", u->bu), u->bu);
		teams_assign(txn, u->id, u->roles);
		teams_join(txn, u->id, u->teams);
	}
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
}

static void teams_build(void)
{
	teams_open();
	teams_build_service(SVC_2021);
	teams_build_service(SVC_DEPTH);
}

#define SUP_TEAM "omnichannel-supervisor (through team 'support-sup')"
/* The supervisor's own grant, measured from its own unit, sales. */
#define SUP_SALES                                                              \
	"omnichannel-supervisor grants user.view at business-unit depth; "     \
	"target unit 'sales' is within 'sales'"
#define SUP_SUPPORT                                                            \
	"omnichannel-supervisor grants user.view at business-unit depth; "     \
	"target unit 'support' is outside 'sales'"
#define TREE_TEAM "tree (through team 't-tree')"
#define OWN_TEAM  "own (through team 't-own')"
#define UNIT_TEAM "unit (through team 't-unit')"

static const struct depth_case team_cases[] = {
    /* A team's role grants, and the reason says through which team. */
    {SVC_2021, "ana", "queue.view", NULL, RG_ALLOW,
     SUP_TEAM " grants queue.view", "omnichannel-supervisor"},
    /* A team of another unit: business-unit depth from the team's unit;
     * the member's own unit is not the team's. */
    {SVC_2021, "ana", "user.edit-queue-assignment", "bu=support", RG_ALLOW,
     SUP_TEAM " grants user.edit-queue-assignment at business-unit depth; "
              "target unit 'support' is within 'support'",
     "omnichannel-supervisor"},
    {SVC_2021, "ana", "user.edit-queue-assignment", "bu=sales", RG_DENY,
     SUP_TEAM " grants user.edit-queue-assignment at business-unit depth; "
              "target unit 'sales' is outside 'support'",
     "omnichannel-supervisor"},
    {SVC_2021, "ana", "user.edit-queue-assignment", "bu=emea", RG_DENY,
     "target unit 'emea' is outside 'support'", NULL},
    /* Own roles from the own unit, a team's from the team's: either. */
    {SVC_2021, "ben", "user.view", "bu=sales", RG_ALLOW, SUP_SALES,
     "omnichannel-supervisor"},
    {SVC_2021, "ben", "user.view", "bu=emea", RG_ALLOW,
     "omnichannel-agent (through team 'emea-agents') grants user.view at "
     "business-unit depth; target unit 'emea' is within 'emea'",
     "omnichannel-agent"},
    {SVC_2021, "ben", "user.view", "bu=support", RG_DENY, SUP_SUPPORT, NULL},
    {SVC_2021, "ben", "user.edit-queue-assignment", "bu=emea", RG_DENY,
     "'emea' is outside 'sales'", "omnichannel-supervisor"},
    /* Prerequisites over all the roles: a team's role lacking one ... */
    {SVC_2021, "cid", "user.view", NULL, RG_DENY,
     "omnichannel-agent requires role basic-user, which the subject lacks "
     "(omnichannel-agent through team 'emea-agents')",
     "omnichannel-agent"},
    /* ... and a team's role meeting the user's own role's. */
    {SVC_2021, "dee", "user.view", "bu=emea", RG_ALLOW,
     "omnichannel-agent grants user.view at business-unit depth; target "
     "unit 'emea' is within 'emea'",
     "omnichannel-agent"},
    {SVC_2021, "dee", "user.view", "bu=sales", RG_DENY, "outside 'emea'", NULL},
    /* No teams: as before. */
    {SVC_2021, "eve", "user.view", "bu=sales", RG_ALLOW, SUP_SALES,
     "omnichannel-supervisor"},
    {SVC_2021, "eve", "user.view", "bu=support", RG_DENY, SUP_SUPPORT, NULL},
    /* Parent-child depth through a team: below the team's unit. */
    {SVC_DEPTH, "pat", "user.view", "bu=emea-north", RG_ALLOW,
     TREE_TEAM " grants user.view at parent-child depth; target unit "
               "'emea-north' is within 'support'",
     "tree"},
    {SVC_DEPTH, "pat", "user.view", "bu=support", RG_ALLOW, NULL, NULL},
    {SVC_DEPTH, "pat", "user.view", "bu=sales", RG_DENY,
     TREE_TEAM " grants user.view at parent-child depth; target unit "
               "'sales' is outside 'support'",
     NULL},
    {SVC_DEPTH, "pat", "user.view", "bu=contoso", RG_DENY, "outside", NULL},
    {SVC_DEPTH, "pat", "user.edit", "bu=support", RG_DENY,
     "no role of the subject grants user.edit", NULL},
    /* User (Basic) depth through a team: the team's records, in the
     * team's unit, and the member's own. */
    {SVC_DEPTH, "olga", "user.view", "owner=olga", RG_ALLOW,
     OWN_TEAM " grants user.view at user depth; 'olga' owns the record", "own"},
    {SVC_DEPTH, "olga", "user.view", "owner_team=t-own", RG_ALLOW,
     OWN_TEAM " grants user.view at user depth; team 't-own' owns the "
              "record",
     "own"},
    {SVC_DEPTH, "olga", "user.view", "owner_team=t-own bu=emea", RG_ALLOW, NULL,
     NULL},
    {SVC_DEPTH, "olga", "user.view", "owner_team=t-own bu=sales", RG_DENY,
     "target unit 'sales' is not the team's unit 'emea'", NULL},
    {SVC_DEPTH, "olga", "user.view", "owner_team=t-tree", RG_DENY,
     "team 't-tree' owns the record, not the granting team 't-own'", NULL},
    {SVC_DEPTH, "olga", "user.view", "owner=bob", RG_DENY,
     "owner 'bob' is not the subject 'olga'", NULL},
    {SVC_DEPTH, "olga", "user.view", "owner=olga owner_team=t-own", RG_DENY,
     "both name the record's owner", NULL},
    {SVC_DEPTH, "olga", "user.view", "owner_team=", RG_DENY,
     "attribute owner_team is empty", NULL},
    /* A team's role whose prerequisite the member holds itself. */
    {SVC_DEPTH, "ulf", "user.view", "bu=americas", RG_ALLOW,
     UNIT_TEAM " grants user.view at business-unit depth; target unit "
               "'americas' is within 'americas'",
     "unit"},
    {SVC_DEPTH, "ulf", "user.view", "bu=sales", RG_DENY, "outside 'americas'",
     NULL},
    {SVC_DEPTH, "ulf", "user.edit", "bu=americas", RG_ALLOW, "parent-child",
     "unit"},
    {SVC_DEPTH, "ulf", "user.edit", "bu=emea", RG_DENY, "outside", NULL},
    /* Without base, t-unit's role adds nothing; t-tree's reaches. */
    {SVC_DEPTH, "vic", "user.view", "bu=americas", RG_ALLOW, TREE_TEAM, "tree"},
    {SVC_DEPTH, "vic", "user.edit", "bu=americas", RG_DENY,
     "own grants user.edit at user depth: only the subject's own records",
     "own"},
    /* Several teams: any that reaches allows; else the deepest says. */
    {SVC_DEPTH, "max", "user.view", "owner_team=t-own bu=emea", RG_ALLOW,
     OWN_TEAM, "own"},
    {SVC_DEPTH, "max", "user.view", "bu=americas", RG_ALLOW, TREE_TEAM, "tree"},
    {SVC_DEPTH, "max", "user.view", "bu=sales", RG_DENY,
     TREE_TEAM " grants user.view at parent-child depth; target unit "
               "'sales' is outside 'support'",
     "tree"},
    /* An ad-hoc subject has no teams, whatever its attributes say. */
    {SVC_DEPTH, "@own", "user.view",
     "subject.id=olga subject.teams=t-own owner_team=t-own", RG_DENY,
     "team 't-own' owns the record, not the subject", NULL},
};

START_TEST(test_team_depth)
{
	teams_build();
	run_depth_case(priv.ctx, &team_cases[_i], _i);
}
END_TEST

/* Expects rc and an error naming want from a refused change. */
static void teams_refused(rg_txn *txn, int rc, int want_rc, const char *want)
{
	ck_assert_msg(rc == want_rc, "got %s, expected %s: %s",
	              rg_status_name(rc), rg_status_name(want_rc),
	              rg_txn_error(txn));
	ck_assert_msg(strstr(rg_txn_error(txn), want), "'%s' lacks '%s'",
	              rg_txn_error(txn), want);
	rg_txn_abort(txn);
}

/*
 * A team holds the policy's roles: an unknown id, a role of the other
 * policy version and a custom role are refused, as is a list with an
 * empty item.  A team needs a unit of the directory.
 */
static const struct team_refusal {
	const char *roles;
	const char *want;
} team_refusals[] = {
    {"nosuch", "'nosuch' is not a role of the Dynamics 365 policy"},
    {"basic-user,customer-service-app-access",
     "'customer-service-app-access' is not a role"},
    {"basic-user,cr-team", "'cr-team' is not a role"},
    {"basic-user,,omnichannel-agent", "expected role ids separated"},
    {"Basic-User", "'Basic-User' is not a role"},
};

START_TEST(test_team_roles_refused)
{
	const struct team_refusal *c = &team_refusals[_i];
	const char *granted[] = {"queue.view"};
	rg_txn *txn;

	teams_build();
	txn = teams_begin(SVC_2021);
	answers_ok(
	    txn, rg_custom_role_create(txn, "cr-team", NULL, NULL, granted, 1),
	    "cr-team");
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
	txn = teams_begin(SVC_2021);
	teams_refused(txn, rg_org_set(txn, "team", "base", "roles", c->roles),
	              RG_EINVAL, c->want);
	txn = teams_begin(SVC_2021);
	teams_refused(txn, rg_org_add(txn, "team", "nowhere", NULL), RG_EINVAL,
	              "needs a bu");
	txn = teams_begin(SVC_2021);
	teams_refused(txn, rg_org_add(txn, "team", "lost", "atlantis"),
	              RG_ENOENT, "unknown business unit 'atlantis'");
}
END_TEST

/* A team with members, or a unit with a team, cannot be removed. */
START_TEST(test_team_remove_in_use)
{
	rg_txn *txn;
	rg_decision d;

	teams_build();
	txn = teams_begin(SVC_2021);
	teams_refused(txn, rg_org_remove(txn, "team", "support-sup"), RG_EBUSY,
	              "team 'support-sup' is in use: it has 1 member");
	txn = teams_begin(SVC_2021);
	teams_refused(txn, rg_org_remove(txn, "bu", "emea"), RG_EBUSY,
	              "1 team");
	/* Without its member it goes, and with it the roles it gave. */
	txn = teams_begin(SVC_2021);
	answers_ok(txn, rg_member_remove(txn, "ana", "team", "support-sup"),
	           "ana");
	answers_ok(txn, rg_org_remove(txn, "team", "support-sup"),
	           "support-sup");
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
	check_attrs(priv.ctx, SVC_2021, "ana", "queue.view", NULL, &d);
	ck_assert_msg(d.result == RG_DENY, "%s", d.reason);
}
END_TEST

/* A change to a team applies to the next check: its unit, its roles. */
START_TEST(test_team_changes)
{
	rg_txn *txn;
	rg_decision d;

	teams_build();
	txn = teams_begin(SVC_2021);
	answers_ok(txn, rg_org_set(txn, "team", "support-sup", "bu", "sales"),
	           "move");
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
	check_attrs(priv.ctx, SVC_2021, "ana", "user.edit-queue-assignment",
	            "bu=sales", &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
	txn = teams_begin(SVC_2021);
	answers_ok(txn,
	           rg_org_set(txn, "team", "support-sup", "roles",
	                      "basic-user,omnichannel-agent"),
	           "roles");
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
	check_attrs(priv.ctx, SVC_2021, "ana", "user.edit-queue-assignment",
	            "bu=sales", &d);
	ck_assert_msg(d.result == RG_DENY, "%s", d.reason);
	check_attrs(priv.ctx, SVC_2021, "ana", "user.view", "bu=sales", &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
}
END_TEST

/* explain names the team a role came through, and fixes what lacks. */
START_TEST(test_team_explain)
{
	static rg_explanation ex;
	rg_attr bu = {"bu", "sales"};
	rg_request req;
	size_t i;
	int found = 0;

	teams_build();
	tu_request(&req, SVC_2021, "ana", "user.edit-queue-assignment");
	req.attrs = &bu;
	req.nattrs = 1;
	ck_assert_int_eq(rg_explain(priv.ctx, &req, &ex), RG_OK);
	ck_assert_int_eq(ex.decision.result, RG_DENY);
	ck_assert_msg(strstr(ex.decision.reason, "through team 'support-sup'"),
	              "%s", ex.decision.reason);
	tu_request(&req, SVC_2021, "cid", "user.view");
	ck_assert_int_eq(rg_explain(priv.ctx, &req, &ex), RG_OK);
	ck_assert_msg(strstr(ex.decision.reason, "through team 'emea-agents'"),
	              "%s", ex.decision.reason);
	for (i = 0; i < ex.nsuggestions && i < RG_SUGGEST_MAX; i++)
		found |= ex.suggestions[i].nroles == 1 &&
		         strcmp(ex.suggestions[i].roles[0], "basic-user") == 0;
	ck_assert_msg(found, "basic-user is not among the fixes");
}
END_TEST

/* validate judges prerequisites over the user's and its teams' roles. */
START_TEST(test_team_validate)
{
	rg_subject subject = {.user = "cid"};
	rg_validation v;

	teams_build();
	ck_assert_int_eq(rg_validate(priv.ctx, SVC_2021, &subject, &v), RG_OK);
	ck_assert_int_eq(v.ok, 0);
	ck_assert_uint_eq(v.nmissing, 1);
	ck_assert_str_eq(v.missing[0].role, "omnichannel-agent");
	ck_assert_str_eq(v.missing[0].missing, "basic-user");
	subject.user = "dee";
	ck_assert_int_eq(rg_validate(priv.ctx, SVC_2021, &subject, &v), RG_OK);
	ck_assert_msg(v.ok, "dee: %s lacks %s", v.missing[0].role,
	              v.missing[0].missing);
}
END_TEST

/* One question with and without a reason: the same result and status. */
static void team_agrees(const struct team_user *u, const char *action,
                        const rg_attr *attrs, size_t nattrs)
{
	rg_decision with;
	rg_request req;

	tu_request(&req, u->service, u->id, action);
	req.attrs = attrs;
	req.nattrs = nattrs;
	tu_quiet_agrees(priv.ctx, &req, &with);
}

/* Every target of one user and privilege: each unit, none, one no tree
 * has; no owner, the user, each team, someone else. */
static void team_agrees_all(const struct team_user *u, const char *action)
{
	/* none, the user, each team, someone else */
	const char *owners[RG_COUNTOF(team_rows) + 3] = {NULL, u->id};
	const char *keys[RG_COUNTOF(owners)] = {NULL, "owner"};
	size_t no = 2, t, o, n, i;

	for (i = 0; i < RG_COUNTOF(team_rows); i++) {
		keys[no] = "owner_team";
		owners[no++] = team_rows[i].name;
	}
	keys[no] = "owner";
	owners[no++] = "someone";
	for (t = 0; t <= RG_COUNTOF(team_units) + 1; t++)
		for (o = 0; o < no; o++) {
			rg_attr attrs[2];

			n = 0;
			if (t < RG_COUNTOF(team_units)) {
				attrs[n].key = "bu";
				attrs[n++].value = team_units[t];
			} else if (t == RG_COUNTOF(team_units)) {
				attrs[n].key = "bu";
				attrs[n++].value = "atlantis";
			}
			if (owners[o]) {
				attrs[n].key = keys[o];
				attrs[n++].value = owners[o];
			}
			team_agrees(u, action, attrs, n);
		}
}

/*
 * The decision table (no target, no reason) and the prepared snapshot
 * answer members of teams as decide() does with a reason: every user,
 * every privilege of its service, every target.
 */
START_TEST(test_team_fastpath)
{
	size_t i, p, tabled = 0;

	teams_build();
	for (i = 0; i < RG_COUNTOF(team_users); i++) {
		const struct team_user *u = &team_users[i];
		const rg_service *svc = tu_service(priv.ctx, u->service);

		for (p = 0; p < rg_privilege_count(svc); p++) {
			rg_privilege_info pi;

			ck_assert_int_eq(rg_privilege_at(svc, p, &pi), RG_OK);
			team_agrees(u, pi.id, NULL, 0);
			if (strncmp(pi.id, "user.", strlen("user.")) == 0)
				team_agrees_all(u, pi.id);
		}
	}
	/* Every user answered from the table, teams or not. */
	tabled += rg_directory_tabled(priv.ctx, tu_service(priv.ctx, SVC_2021));
	tabled +=
	    rg_directory_tabled(priv.ctx, tu_service(priv.ctx, SVC_DEPTH));
	ck_assert_uint_eq(tabled, RG_COUNTOF(team_users));
}
END_TEST

static Suite *dynamics365_suite(void)
{
	Suite *s = suite_create("dynamics365");
	TCase *tc;

	tc = tcase_create("registry");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_loop_test(tc, test_shipped_loads, 0,
	                    (int)RG_COUNTOF(versions));
	tcase_add_test(tc, test_table_counts);
	tu_add_row_test(tc, test_role_registry);
	tu_add_row_test(tc, test_privilege_registry);
	suite_add_tcase(s, tc);

	/* One context for the whole matrix: opened once, before the forks. */
	tc = tcase_create("matrix");
	tcase_add_unchecked_fixture(tc, shipped_setup, shipped_teardown);
	tu_add_row_test(tc, test_matrix_2021);
	tu_add_row_test(tc, test_matrix_2019);
	tu_add_row_test(tc, test_whocan);
	tcase_add_loop_test(tc, test_combo, 0, (int)RG_COUNTOF(combo_cases));
	tcase_add_test(tc, test_unknown_ids);
	suite_add_tcase(s, tc);

	tc = tcase_create("prerequisites");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_loop_test(tc, test_prereq_missing, 0,
	                    (int)RG_COUNTOF(prereq_cases));
	tcase_add_loop_test(tc, test_prereq_met, 0,
	                    (int)RG_COUNTOF(prereq_cases));
	tcase_add_loop_test(tc, test_validate, 0,
	                    (int)RG_COUNTOF(validate_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("workspace");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_loop_test(tc, test_explain, 0,
	                    (int)RG_COUNTOF(explain_cases));
	tcase_add_loop_test(tc, test_explain_fixes_work, 0,
	                    (int)RG_COUNTOF(explain_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("depth");
	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_loop_test(tc, test_depth, 0, (int)RG_COUNTOF(depth_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("custom-depth");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_loop_test(tc, test_custom_depth, 0,
	                    (int)RG_COUNTOF(custom_cases));
	tcase_add_test(tc, test_no_tenant);
	suite_add_tcase(s, tc);

	tc = tcase_create("subject-answers");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_loop_test(tc, test_answers_match_decide, 0,
	                    (int)RG_COUNTOF(versions));
	tcase_add_loop_test(tc, test_prepared_matches_adhoc, 0, 3);
	tcase_add_test(tc, test_prepared_too_many_role_sets);
	tcase_add_test(tc, test_scope_reasons);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-policy");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_test(tc, test_base_policy_ok);
	tcase_add_loop_test(tc, test_bad_policy, 0, (int)RG_COUNTOF(bad_cases));
	tcase_add_test(tc, test_wrong_product);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-tenant");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_loop_test(tc, test_bad_tenant, 0,
	                    (int)RG_COUNTOF(bad_tenants));
	tcase_add_test(tc, test_tenant_any_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-args");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_loop_test(tc, test_bad_args, 0, (int)RG_COUNTOF(bad_args));
	suite_add_tcase(s, tc);

	tc = tcase_create("teams");
	tcase_add_checked_fixture(tc, priv_setup, priv_teardown);
	tcase_add_loop_test(tc, test_team_depth, 0,
	                    (int)RG_COUNTOF(team_cases));
	tcase_add_loop_test(tc, test_team_roles_refused, 0,
	                    (int)RG_COUNTOF(team_refusals));
	tcase_add_test(tc, test_team_remove_in_use);
	tcase_add_test(tc, test_team_changes);
	tcase_add_test(tc, test_team_explain);
	tcase_add_test(tc, test_team_validate);
	tcase_add_test(tc, test_team_fastpath);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(dynamics365_suite)
