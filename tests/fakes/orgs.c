/*
 * orgs.c - a test-only plugin that declares an organisation and decides
 * nothing: the store's tests run on the generic rbac plugin, which
 * declares no organisation, and need kinds with every shape the directory
 * supports.  Stack it beside the policy's entry:
 *
 *   stack = optional orgs
 *
 * It declares (ABI 1.5), as the shipped products do:
 *   bu          a tree with a single root (parent "parent"), no members
 *   department  in a unit or none (parent "unit"), members; max_chats >= 0
 *   unit        no parent, members
 *   user bu (a reference to a bu), status (available|unavailable),
 *   max_chats (>= 0); setting default_max_chats (>= 0)
 *   workflows agent (department) and monitor (unit), for the nouns of
 *   what uses an entry
 * decide() abstains; so does subject_answers(), so that the service keeps
 * its decision table.
 */
#include <stdlib.h>

#include <rolegate/plugin.h>

static int orgs_open(rg_plugin_handle *h, int argc, char *const argv[],
                     void **state)
{
	const rg_argspec none[] = {{.name = NULL}};

	*state = NULL;
	return rg_args_parse(h, argc, argv, none);
}

static void orgs_close(void *state)
{
	(void)state;
}

static int orgs_kinds(rg_plugin_handle *h)
{
	const rg_org_kind_spec bu = {
	    .size = sizeof(bu),
	    .parent = "bu",
	    .flags = RG_ORG_SINGLE_ROOT,
	    .summary = "a business unit",
	    .noun = "business unit",
	};
	const rg_org_kind_spec unit = {
	    .size = sizeof(unit),
	    .flags = RG_ORG_MEMBERS,
	    .summary = "a unit of departments",
	};
	const rg_org_kind_spec dept = {
	    .size = sizeof(dept),
	    .parent = "unit",
	    .parent_attr = "unit",
	    .flags = RG_ORG_MEMBERS,
	    .summary = "a department",
	};
	const rg_attr_spec limit = {
	    .size = sizeof(limit),
	    .type = RG_ATTR_INTEGER,
	    .min = 0,
	    .help = "a chat limit",
	};
	int rc = rg_declare_org_kind(h, "bu", &bu);

	if (rc == RG_OK)
		rc = rg_declare_org_kind(h, "unit", &unit);
	if (rc == RG_OK)
		rc = rg_declare_org_kind(h, "department", &dept);
	if (rc == RG_OK)
		rc = rg_declare_org_attr(h, "department", "max_chats", &limit);
	return rc;
}

static int orgs_users(rg_plugin_handle *h)
{
	const rg_attr_spec bu = {
	    .size = sizeof(bu),
	    .type = RG_ATTR_REF,
	    .ref = "bu",
	    .help = "the user's business unit",
	};
	const rg_attr_spec status = {
	    .size = sizeof(status),
	    .type = RG_ATTR_ENUM,
	    .values = "available,unavailable",
	    .help = "a status",
	};
	const rg_attr_spec limit = {
	    .size = sizeof(limit),
	    .type = RG_ATTR_INTEGER,
	    .min = 0,
	    .help = "a chat limit",
	};
	const rg_workflow_spec agent = {
	    .size = sizeof(agent), .role = "agent", .kind = "department"};
	const rg_workflow_spec monitor = {
	    .size = sizeof(monitor), .role = "viewer", .kind = "unit"};
	int rc = rg_declare_user_attr(h, "bu", &bu);

	if (rc == RG_OK)
		rc = rg_declare_user_attr(h, "status", &status);
	if (rc == RG_OK)
		rc = rg_declare_user_attr(h, "max_chats", &limit);
	if (rc == RG_OK)
		rc = rg_declare_setting(h, "default_max_chats", &limit);
	if (rc == RG_OK)
		rc = rg_declare_workflow(h, "agent", &agent);
	if (rc == RG_OK)
		rc = rg_declare_workflow(h, "monitor", &monitor);
	return rc;
}

static int orgs_declare(void *state, rg_plugin_handle *h)
{
	int rc = orgs_kinds(h);

	(void)state;
	return rc == RG_OK ? orgs_users(h) : rc;
}

static rg_result orgs_decide(const void *state, const rg_plugin_request *req,
                             rg_plugin_answer *ans)
{
	(void)state;
	(void)req;
	(void)ans;
	return RG_ABSTAIN;
}

static int orgs_answers(const void *state, const rg_plugin_request *req,
                        uint64_t *allow, uint64_t *deny)
{
	(void)state;
	(void)req;
	(void)allow;
	(void)deny;
	return RG_OK;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "orgs",
    .version = "test",
    .description = "Test plugin: an organisation, no decision",
    .open = orgs_open,
    .close = orgs_close,
    .declare = orgs_declare,
    .decide = orgs_decide,
    .validate = NULL,
    .subject_answers = orgs_answers,
};
