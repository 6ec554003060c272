/*
 * deny.c - a plugin that denies every request.
 *
 *   stack = requisite deny
 *
 * Use it to close a service off without removing its configuration, or as
 * the last entry of a stack that must never fall through to an allow.  It
 * takes no arguments and declares nothing.
 */
#include <stddef.h>

#include <rolegate/plugin.h>

/* An empty argument table: any argument at all is an error. */
static const rg_argspec deny_args[] = {
    {.name = NULL},
};

static int deny_open(rg_plugin_handle *h, int argc, char *const argv[],
                     void **state)
{
	*state = NULL;
	return rg_args_parse(h, argc, argv, deny_args);
}

static rg_result deny_decide(const void *state, const rg_plugin_request *req,
                             rg_plugin_answer *ans)
{
	rg_answer(ans, "denied unconditionally");
	return RG_DENY;
}

/* subject_answers: DENY, whatever the subject and the privilege. */
static int deny_answers(const void *state, const rg_plugin_request *req,
                        uint64_t *allow, uint64_t *deny)
{
	size_t w;

	for (w = 0; w < RG_PRIV_WORDS; w++)
		deny[w] = ~(uint64_t)0;
	return RG_OK;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "deny",
    .version = RG_VERSION_STRING,
    .description = "Denies every request",
    .open = deny_open,
    .close = NULL,
    .declare = NULL,
    .decide = deny_decide,
    .validate = NULL,
    .custom_role = NULL,
    .subject_answers = deny_answers,
};
