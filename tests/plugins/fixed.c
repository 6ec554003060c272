/*
 * fixed.c - a test-only plugin that answers one fixed result.
 *
 *   stack = CONTROL fixed result=allow|deny|abstain|error|invalid [tag=TEXT]
 *
 * It lets the stack tests drive every control against every result.  With
 * result=error it answers RG_ERROR with status RG_EPLUGIN; result=invalid
 * answers a value outside enum rg_result, which the core must treat as an
 * error.  tag goes into the reason, so a test can tell which entry of a
 * stack the decision came from.
 *
 * It declares the privilege "fixed.test" and the role "tester", so that a
 * request from "@tester" for "fixed.test" reaches the stack (the core
 * rejects unknown roles and actions before any plugin is asked).  Several
 * fixed entries in one service share them.
 */
#include <stdlib.h>

#include <rolegate/plugin.h>

/* The privilege every fixed entry declares. */
#define FIXED_ACTION "fixed.test"
/* The role every fixed entry declares (it grants nothing). */
#define FIXED_ROLE "tester"
/* A result no plugin may return: the core must fail closed on it. */
#define FIXED_INVALID_RESULT 42

/* Indexes of fixed_results[]: the first four are the rg_result values. */
enum fixed_choice {
	FIXED_ALLOW = RG_ALLOW,
	FIXED_DENY = RG_DENY,
	FIXED_ABSTAIN = RG_ABSTAIN,
	FIXED_ERROR = RG_ERROR,
	FIXED_INVALID,
};

static const char *const fixed_results[] = {
    "allow", "deny", "abstain", "error", "invalid", NULL,
};

struct fixed_state {
	int choice;
	const char *tag; /* handle-owned, or NULL */
};

static int fixed_parse_args(rg_plugin_handle *h, int argc, char *const argv[],
                            struct fixed_state *st)
{
	const rg_argspec specs[] = {
	    {
	        .name = "result",
	        .type = RG_ARG_ENUM,
	        .required = 1,
	        .choices = fixed_results,
	        .dest = &st->choice,
	    },
	    {.name = "tag", .type = RG_ARG_STRING, .dest = &st->tag},
	    {.name = NULL},
	};

	return rg_args_parse(h, argc, argv, specs);
}

static int fixed_open(rg_plugin_handle *h, int argc, char *const argv[],
                      void **state)
{
	struct fixed_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st) {
		rg_plugin_error(h, NULL, 0, "out of memory");
		return RG_ENOMEM;
	}
	rc = fixed_parse_args(h, argc, argv, st);
	if (rc != RG_OK) {
		free(st);
		return rc;
	}
	*state = st;
	return RG_OK;
}

static void fixed_close(void *state)
{
	free(state);
}

static int fixed_declare(void *state, rg_plugin_handle *h)
{
	int rc;

	/* Another fixed entry of the same service may have declared them. */
	rc = rg_declare_privilege(h, FIXED_ACTION, "Test action", NULL);
	if (rc != RG_OK && rc != RG_EEXIST)
		return rc;
	rc = rg_declare_role(h, FIXED_ROLE, "Tester", "", 0, NULL);
	return rc == RG_EEXIST ? RG_OK : rc;
}

static rg_result fixed_decide(const void *state, const rg_plugin_request *req,
                              rg_plugin_answer *ans)
{
	const struct fixed_state *st = state;
	const char *tag = st->tag ? st->tag : "-";

	rg_answer(ans, "fixed %s [%s]", fixed_results[st->choice], tag);
	switch (st->choice) {
	case FIXED_ERROR:
		ans->status = RG_EPLUGIN;
		return RG_ERROR;
	case FIXED_INVALID:
		return (rg_result)FIXED_INVALID_RESULT;
	default:
		return (rg_result)st->choice;
	}
}

/* Its one answer for every privilege, in bulk; error and invalid cannot
 * be tabled (the core then asks decide() each time). */
static int fixed_answers(const void *state, const rg_plugin_request *req,
                         uint64_t *allow, uint64_t *deny)
{
	const struct fixed_state *st = state;
	uint64_t *set;
	size_t w;

	switch (st->choice) {
	case FIXED_ALLOW:
		set = allow;
		break;
	case FIXED_DENY:
		set = deny;
		break;
	case FIXED_ABSTAIN:
		return RG_OK;
	default:
		return RG_EPLUGIN;
	}
	for (w = 0; w < RG_PRIV_WORDS; w++)
		set[w] = ~(uint64_t)0;
	return RG_OK;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "fixed",
    .version = "test",
    .description = "Test plugin: answers a fixed result",
    .open = fixed_open,
    .close = fixed_close,
    .declare = fixed_declare,
    .decide = fixed_decide,
    .validate = NULL,
    .subject_answers = fixed_answers,
};
