/*
 * failopen.c - a test-only plugin whose open() fails.
 *
 * It reports why and returns RG_EPLUGIN.  Its decide() allows, so a core
 * that used an entry whose open failed would be caught.
 */
#include <rolegate/plugin.h>

static int failopen_open(rg_plugin_handle *h, int argc, char *const argv[],
                         void **state)
{
	rg_plugin_error(h, NULL, 0, "refusing to open (test)");
	return RG_EPLUGIN;
}

static rg_result failopen_decide(const void *state,
                                 const rg_plugin_request *req,
                                 rg_plugin_answer *ans)
{
	rg_answer(ans, "failopen: allowed");
	return RG_ALLOW;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "failopen",
    .version = "test",
    .description = "Test plugin: open fails",
    .open = failopen_open,
    .decide = failopen_decide,
};
