/*
 * nosym.c - a test-only plugin without the entry symbol.
 *
 * A complete, permissive vtable exported under another name: the loader
 * must look for RG_PLUGIN_SYMBOL only, and refuse the object.
 */
#include <rolegate/plugin.h>

static int nosym_open(rg_plugin_handle *h, int argc, char *const argv[],
                      void **state)
{
	*state = NULL;
	return RG_OK;
}

static rg_result nosym_decide(const void *state, const rg_plugin_request *req,
                              rg_plugin_answer *ans)
{
	rg_answer(ans, "nosym: allowed");
	return RG_ALLOW;
}

RG_PLUGIN_EXPORT const struct rg_plugin not_rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "nosym",
    .version = "test",
    .description = "Test plugin: wrong entry symbol",
    .open = nosym_open,
    .decide = nosym_decide,
};
