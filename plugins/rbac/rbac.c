/*
 * rbac.c - the generic role-based plugin.
 *
 *   stack = required rbac policy=PATH
 *
 * It reads one policy file (roles, privileges, grants and prerequisites; the
 * format is described in <rolegate/plugin.h> and doc/plugin-guide.md) and
 * allows a request when one of the subject's roles grants the action with
 * every prerequisite met.  It knows nothing about any product: everything
 * it decides comes from the policy file.
 *
 * This file is also the worked example of the plugin author guide, so it
 * spells out what each member of struct rg_plugin is for, who owns what,
 * and why.  A product plugin (with scope rules, editions, a user directory)
 * has the same shape: it adds hooks to rg_policy_load() and refines the
 * answer of rg_decide_rbac().
 */
#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

/*
 * The plugin's state: one per stack entry that names the plugin, so two
 * services (or two lines of one service) using rbac with different policies
 * never share anything.  No global variable anywhere: the core may open
 * many contexts in one process, and decide() runs on many threads.
 */
struct rbac_state {
	/*
	 * Absolute path of the policy file.  rg_args_parse() resolved it
	 * against the config file's directory; the string is owned by the
	 * handle and stays valid until close(), so it is not copied.
	 */
	const char *policy;

	/*
	 * Set by declare() once the whole policy loaded.  The core does not
	 * ask an entry whose declare() failed, but a security plugin should
	 * not rely on its caller to fail closed: decide() checks it too.
	 */
	int loaded;
};

/*
 * The arguments the plugin takes, as a table for rg_args_parse(): it
 * rejects unknown, repeated, malformed and missing arguments with a
 * "file:line" diagnostic, so the plugin never parses argv itself.
 */
static int rbac_parse_args(rg_plugin_handle *h, int argc, char *const argv[],
                           struct rbac_state *st)
{
	const rg_argspec specs[] = {
	    {
	        .name = "policy",
	        .type = RG_ARG_PATH,
	        .required = 1,
	        .dest = &st->policy,
	    },
	    {.name = NULL},
	};

	return rg_args_parse(h, argc, argv, specs);
}

/*
 * open: called once per stack entry, before anything else.  argv holds the
 * words after the plugin's name on the stack line, valid during this call
 * only.  The state returned in *state belongs to the plugin: the core hands
 * it back to every other member and to close().  When open fails, the core
 * does not call close(), so open frees what it allocated.
 */
static int rbac_open(rg_plugin_handle *h, int argc, char *const argv[],
                     void **state)
{
	struct rbac_state *st;
	int rc;

	st = calloc(1, sizeof(*st));
	if (!st) {
		rg_plugin_error(h, NULL, 0, "out of memory");
		return RG_ENOMEM;
	}
	rc = rbac_parse_args(h, argc, argv, st);
	if (rc != RG_OK)
		goto fail;
	*state = st;
	return RG_OK;
fail:
	free(st);
	return rc;
}

/* close: frees what open allocated.  Strings from the handle are not ours. */
static void rbac_close(void *state)
{
	free(state);
}

/*
 * declare: called once, after open, to fill the service's registry.  The
 * core's policy reader does the work: it declares every [privilege] and
 * [role], their grants and prerequisites, and reports each problem as
 * "file:line: rbac: message".
 *
 * No hooks are passed: any [policy] product is accepted, unknown keys are
 * errors, no section is skipped, and a grant qualifier ("ticket.view:own")
 * is an error because this plugin has no scope rules to give it meaning.  A
 * product plugin passes a struct rg_policy_hooks to change exactly that.
 */
static int rbac_declare(void *state, rg_plugin_handle *h)
{
	struct rbac_state *st = state;
	int rc;

	rc = rg_policy_load(h, st->policy, NULL, NULL);
	if (rc == RG_OK)
		st->loaded = 1;
	return rc;
}

/*
 * decide: called for every request, on many threads at once, so it only
 * reads the state, takes no lock and allocates nothing.  req and ans are
 * the core's and valid during the call only.
 *
 * rg_decide_rbac() is the whole decision: ALLOW when a role of the subject
 * grants the action with its prerequisites met, else DENY with the missing
 * role in ans->missing.  Unknown roles and actions never get here: the core
 * rejects them first.
 */
static rg_result rbac_decide(const void *state, const rg_plugin_request *req,
                             rg_plugin_answer *ans)
{
	const struct rbac_state *st = state;

	if (!st->loaded) {
		ans->status = RG_EPOLICY;
		rg_answer(ans, "policy %s was not loaded", st->policy);
		return RG_ERROR;
	}
	return rg_decide_rbac(req, ans);
}

/*
 * The one exported symbol.  Everything above is static; the build hides the
 * rest anyway (-fvisibility=hidden, -export-symbols-regex).
 *
 * abi_version records the plugin.h this was compiled against: the core
 * refuses a different major version and reads only the members that
 * existed in this minor version, so members added later are never read
 * from an older plugin.
 *
 * The NULL members take the core's default, which is exactly right for a
 * plugin whose rules are all in its policy:
 *  - validate: the core checks the prerequisites this plugin declared
 *    (rg_validate_prereqs());
 *  - custom_role: an administrator may create custom roles from any of the
 *    privileges this plugin declared.
 */
/*
 * subject_answers: a directory user's answers to every request without
 * attributes, for the core's decision table.  They are rg_decide_rbac()'s,
 * so the core's rg_answers_rbac() gives them; a policy that did not load
 * answers nothing (decide() reports the error each time).
 */
static int rbac_answers(const void *state, const rg_plugin_request *req,
                        uint64_t *allow, uint64_t *deny)
{
	const struct rbac_state *st = state;

	if (!st->loaded)
		return RG_EPOLICY;
	return rg_answers_rbac(req, allow, deny);
}

/*
 * subject_rbac: decide() is rg_decide_rbac() for every privilege, so the
 * core may give any check of a directory user with a reason itself; not
 * while the policy failed to load (decide() reports that).
 */
static int rbac_plain(const void *state, const rg_plugin_request *req,
                      uint64_t *rbac)
{
	const struct rbac_state *st = state;

	(void)req;
	if (!st->loaded)
		return RG_EPOLICY;
	memset(rbac, 0xff, RG_PRIV_WORDS * sizeof(*rbac));
	return RG_OK;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "rbac",
    .version = RG_VERSION_STRING,
    .description = "Role-based access control from a policy file",
    .open = rbac_open,
    .close = rbac_close,
    .declare = rbac_declare,
    .decide = rbac_decide,
    .validate = NULL,
    .custom_role = NULL,
    .subject_answers = rbac_answers,
    .subject_rbac = rbac_plain,
};
