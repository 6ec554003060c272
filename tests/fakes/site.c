/*
 * site.c - not a fake: a test plugin of a product the core knows nothing
 * of, built against the installed headers only (<rolegate/plugin.h>):
 * buildings organised in a tree of sites, guards who hold a clearance.
 *
 *   stack = CONTROL site [variant=tree|flat] [roles=yes|no] [bad=WHAT]
 *
 * Its directory vocabulary (ABI 1.5):
 *   org kind "site"         a tree (variant=flat: no parent); users can be
 *                           members
 *   org attr site.region    free text
 *   user attr "site"        a reference to a site
 *   user attr "clearance"   an integer >= 1, and (its validate hook) <= 5
 *   setting "door_policy"   open or closed
 *   setting "opening_hour"  an integer >= 0, and (its validate hook) < 24
 *   workflow "guard"        role guard, members of sites, edits clearance
 * Its policy: privilege door.open, scoped by the request attribute "site";
 * role guard grants it, role visitor grants nothing.  A guard may open the
 * doors of its own site (the subject's "site" attribute) and of the sites
 * below it, as the directory's facts ("site", NAME, "parent") say; a site
 * the directory does not know is denied.  roles=no declares the vocabulary
 * only (a second entry in one service); bad=WHAT declares one thing wrong,
 * for the tests of refused declarations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

#define SITE_KIND      "site"
#define SITE_PARENT    "parent"
#define SITE_ATTR      "site"
#define SITE_CLEARANCE "clearance"
#define SITE_ACTION    "door.open"
#define SITE_GUARD     "guard"
#define SITE_VISITOR   "visitor"
#define CLEARANCE_MAX  5
#define HOURS_PER_DAY  24
#define SITE_DEPTH_MAX 64
#define SITE_DECIMAL   10

static const char *const site_variants[] = {"tree", "flat", NULL};
static const char *const site_bads[] = {
    "none",     "enum", "ref",     "size",    "name", "flow",
    "attrkind", "type", "orgname", "usersvc", NULL,
};

enum site_bad {
	BAD_NONE,
	BAD_ENUM,     /* an enum without values */
	BAD_REF,      /* a reference to an undeclared kind */
	BAD_SIZE,     /* a spec whose size is 0 */
	BAD_NAME,     /* the user attribute "name", the core's own */
	BAD_FLOW,     /* a workflow on a kind without members */
	BAD_ATTRKIND, /* an attribute of an undeclared kind */
	BAD_TYPE,     /* an unknown attribute type */
	BAD_ORGNAME,  /* the entry attribute "kind", the core's own */
	BAD_USERSVC,  /* the user attribute "service", the core's own */
};

struct site_state {
	int variant; /* 0 tree, 1 flat */
	int roles;   /* declare the policy too */
	int bad;     /* an enum site_bad */
	uint32_t action;
};

static int site_open(rg_plugin_handle *h, int argc, char *const argv[],
                     void **state)
{
	struct site_state *st = calloc(1, sizeof(*st));
	const char *roles = NULL;
	int rc;

	if (!st)
		return RG_ENOMEM;
	{
		const rg_argspec specs[] = {
		    {.name = "variant",
		     .type = RG_ARG_ENUM,
		     .choices = site_variants,
		     .dest = &st->variant},
		    {.name = "roles", .type = RG_ARG_STRING, .dest = &roles},
		    {.name = "bad",
		     .type = RG_ARG_ENUM,
		     .choices = site_bads,
		     .dest = &st->bad},
		    {.name = NULL},
		};
		rc = rg_args_parse(h, argc, argv, specs);
	}
	st->roles = !roles || strcmp(roles, "no") != 0;
	if (rc != RG_OK) {
		free(st);
		return rc;
	}
	*state = st;
	return RG_OK;
}

static void site_close(void *state)
{
	free(state);
}

/* The validate hook of "clearance": the core checked it is an integer
 * >= 1; the product allows no more than CLEARANCE_MAX. */
static int site_clearance_ok(void *state, const char *value, char *err,
                             size_t errlen)
{
	(void)state;
	if (strtol(value, NULL, SITE_DECIMAL) <= CLEARANCE_MAX)
		return 0;
	snprintf(err, errlen, "clearance %s is above %d, the highest", value,
	         CLEARANCE_MAX);
	return 1;
}

/* The validate hook of "opening_hour": an hour of the day. */
static int site_hour_ok(void *state, const char *value, char *err,
                        size_t errlen)
{
	(void)state;
	if (strtol(value, NULL, SITE_DECIMAL) < HOURS_PER_DAY)
		return 0;
	snprintf(err, errlen, "opening_hour %s is not an hour of the day",
	         value);
	return 1;
}

static int site_declare_kind(const struct site_state *st, rg_plugin_handle *h)
{
	rg_org_kind_spec kind = {
	    .size = sizeof(kind),
	    .parent = st->variant == 0 ? SITE_KIND : NULL,
	    .flags = st->bad == BAD_FLOW ? 0u : RG_ORG_MEMBERS,
	    .summary = "a site: a building, or a campus of sites",
	};
	rg_attr_spec region = {
	    .size = sizeof(region),
	    .type = RG_ATTR_TEXT,
	    .help = "the region the site is in",
	};
	int rc = rg_declare_org_kind(h, SITE_KIND, &kind);

	if (rc == RG_OK)
		rc = rg_declare_org_attr(
		    h, st->bad == BAD_ATTRKIND ? "campus" : SITE_KIND,
		    st->bad == BAD_ORGNAME ? "kind" : "region", &region);
	return rc;
}

/* The name of the user attribute that says where a user works: the
 * core's own names when asked to declare it badly. */
static const char *site_user_attr(const struct site_state *st)
{
	if (st->bad == BAD_NAME)
		return "name";
	if (st->bad == BAD_USERSVC)
		return "service";
	return SITE_ATTR;
}

static int site_declare_user(const struct site_state *st, rg_plugin_handle *h)
{
	rg_attr_spec site = {
	    .size = sizeof(site),
	    .type = RG_ATTR_REF,
	    .ref = st->bad == BAD_REF ? "campus" : SITE_KIND,
	    .help = "the site a user works at",
	};
	rg_attr_spec clearance = {
	    .size = st->bad == BAD_SIZE ? 0 : sizeof(clearance),
	    .type = st->bad == BAD_TYPE ? (rg_attr_type)42 : RG_ATTR_INTEGER,
	    .min = 1,
	    .validate = site_clearance_ok,
	    .help = "a guard's clearance, 1 to 5",
	};
	rg_attr_spec policy = {
	    .size = sizeof(policy),
	    .type = RG_ATTR_ENUM,
	    .values = st->bad == BAD_ENUM ? NULL : "open,closed",
	    .help = "whether doors open outside hours",
	};
	rg_attr_spec hour = {
	    .size = sizeof(hour),
	    .type = RG_ATTR_INTEGER,
	    .min = 0,
	    .validate = site_hour_ok,
	    .help = "the hour doors open, 0 to 23",
	};
	int rc = rg_declare_user_attr(h, site_user_attr(st), &site);

	if (rc == RG_OK)
		rc = rg_declare_user_attr(h, SITE_CLEARANCE, &clearance);
	if (rc == RG_OK)
		rc = rg_declare_setting(h, "door_policy", &policy);
	if (rc == RG_OK)
		rc = rg_declare_setting(h, "opening_hour", &hour);
	return rc;
}

static int site_declare_policy(struct site_state *st, rg_plugin_handle *h)
{
	uint32_t guard, visitor;
	int rc = rg_declare_privilege(h, SITE_ACTION, "Open a site's doors",
	                              &st->action);

	if (rc == RG_OK)
		rc = rg_declare_scope(h, st->action, SITE_ATTR);
	if (rc == RG_OK)
		rc = rg_declare_role(h, SITE_GUARD, "Guard", "Opens doors", 0,
		                     &guard);
	if (rc == RG_OK)
		rc = rg_grant(h, guard, st->action);
	if (rc == RG_OK)
		rc = rg_declare_role(h, SITE_VISITOR, "Visitor", "", 0,
		                     &visitor);
	return rc;
}

static int site_declare(void *state, rg_plugin_handle *h)
{
	struct site_state *st = state;
	const rg_workflow_spec guard = {
	    .size = sizeof(guard),
	    .role = SITE_GUARD,
	    .kind = SITE_KIND,
	    .attrs = SITE_CLEARANCE,
	    .summary = "guards, the sites they guard and their clearance",
	};
	int rc = site_declare_kind(st, h);

	if (rc == RG_OK)
		rc = site_declare_user(st, h);
	if (rc == RG_OK)
		rc = rg_declare_workflow(h, SITE_GUARD, &guard);
	if (rc == RG_OK && st->roles)
		rc = site_declare_policy(st, h);
	return rc;
}

/* 1 when site is within top: top itself or a site below it. */
static int site_within(const rg_plugin_request *req, const char *site,
                       const char *top)
{
	const char *at = site;
	int depth;

	for (depth = 0; at && *at && depth < SITE_DEPTH_MAX; depth++) {
		if (strcmp(at, top) == 0)
			return 1;
		at = rg_fact(req, SITE_KIND, at, SITE_PARENT);
	}
	return 0;
}

static rg_result site_decide(const void *state, const rg_plugin_request *req,
                             rg_plugin_answer *ans)
{
	const char *site = rg_attr_get(req->attrs, req->nattrs, SITE_ATTR);
	const char *own;
	rg_result r = rg_decide_rbac(req, ans);

	(void)state;
	if (r != RG_ALLOW || !site)
		return r;
	own = rg_attr_get(req->subject_attrs, req->nsubject_attrs, SITE_ATTR);
	if (!rg_fact(req, SITE_KIND, site, SITE_PARENT)) {
		rg_answer(ans, "site '%s' is not in the directory", site);
		return RG_DENY;
	}
	if (!own || !site_within(req, site, own)) {
		rg_answer(ans,
		          "site '%s' is not within the subject's site '%s'",
		          site, own ? own : "");
		return RG_DENY;
	}
	return RG_ALLOW;
}

static int site_answers(const void *state, const rg_plugin_request *req,
                        uint64_t *allow, uint64_t *deny)
{
	(void)state;
	return rg_answers_rbac(req, allow, deny);
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "site",
    .version = "test",
    .description = "Test plugin: sites, guards and their clearance",
    .open = site_open,
    .close = site_close,
    .declare = site_declare,
    .decide = site_decide,
    .validate = NULL,
    .subject_answers = site_answers,
};
