/*
 * wrongabi.c - a test-only plugin built for the next major ABI.
 *
 * Otherwise valid, and it allows everything: if the loader ever accepted
 * it, a test would see an allow where it expects a deny.
 */
#include <rolegate/plugin.h>

static int wrongabi_open(rg_plugin_handle *h, int argc, char *const argv[],
                         void **state)
{
	*state = NULL;
	return RG_OK;
}

static rg_result wrongabi_decide(const void *state,
                                 const rg_plugin_request *req,
                                 rg_plugin_answer *ans)
{
	rg_answer(ans, "wrongabi: allowed");
	return RG_ALLOW;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_ABI_VERSION(RG_PLUGIN_ABI_MAJOR + 1, 0),
    .name = "wrongabi",
    .version = "test",
    .description = "Test plugin: ABI major too new",
    .open = wrongabi_open,
    .decide = wrongabi_decide,
};
