/*
 * permit.c - a plugin that allows every request.
 *
 *   stack = sufficient permit
 *
 * It declares nothing, so it can only allow actions that another plugin of
 * the same service declared: the core denies an action that no entry of
 * the stack declared before any plugin is asked, and so a service of
 * permit alone denies everything.  Useful at the end of a stack whose earlier
 * entries already did the real checking, and in tests.  It takes no arguments.
 */
#include <stddef.h>

#include <rolegate/plugin.h>

/* An empty argument table: any argument at all is an error. */
static const rg_argspec permit_args[] = {
    {.name = NULL},
};

static int permit_open(rg_plugin_handle *h, int argc, char *const argv[],
                       void **state)
{
	*state = NULL;
	return rg_args_parse(h, argc, argv, permit_args);
}

static rg_result permit_decide(const void *state, const rg_plugin_request *req,
                               rg_plugin_answer *ans)
{
	rg_answer(ans, "allowed unconditionally");
	return RG_ALLOW;
}

/* subject_answers: ALLOW, whatever the subject and the privilege. */
static int permit_answers(const void *state, const rg_plugin_request *req,
                          uint64_t *allow, uint64_t *deny)
{
	size_t w;

	for (w = 0; w < RG_PRIV_WORDS; w++)
		allow[w] = ~(uint64_t)0;
	return RG_OK;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "permit",
    .version = RG_VERSION_STRING,
    .description = "Allows every request",
    .open = permit_open,
    .close = NULL,
    .declare = NULL,
    .decide = permit_decide,
    .validate = NULL,
    .custom_role = NULL,
    .subject_answers = permit_answers,
};
