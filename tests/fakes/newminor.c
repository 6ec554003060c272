/*
 * newminor.c - a test-only plugin built against a newer minor ABI.
 *
 * Same major, minor + 5: the core must refuse it, as it refuses another
 * major (it may call helpers, or count on members, the core lacks).  It
 * allows everything and declares the privilege "newminor.test", so a core
 * that used it would allow a request it should deny.
 */
#include <rolegate/plugin.h>

/* How far ahead of the core's minor version this plugin claims to be
 * (tests/check_loader.c says so too). */
#define NEWMINOR_AHEAD 5

static int newminor_open(rg_plugin_handle *h, int argc, char *const argv[],
                         void **state)
{
	*state = NULL;
	return RG_OK;
}

static int newminor_declare(void *state, rg_plugin_handle *h)
{
	return rg_declare_privilege(h, "newminor.test", "Test action", NULL);
}

static rg_result newminor_decide(const void *state,
                                 const rg_plugin_request *req,
                                 rg_plugin_answer *ans)
{
	rg_answer(ans, "newminor: allowed");
	return RG_ALLOW;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_ABI_VERSION(RG_PLUGIN_ABI_MAJOR,
                                  RG_PLUGIN_ABI_MINOR + NEWMINOR_AHEAD),
    .name = "newminor",
    .version = "test",
    .description = "Test plugin: newer minor ABI",
    .open = newminor_open,
    .declare = newminor_declare,
    .decide = newminor_decide,
};
