/*
 * buildtree.c - lets the uninstalled rolegate and rolegated find the build
 * tree's plugins, so that `tools/rolegate -c policies/rolegate.conf` works
 * from a built tree without installing anything, and gives rolegated an
 * admin socket there.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "buildtree.h"

/*
 * The build tree's plugins, when this executable is the one in the build
 * tree's tools/ (libtool runs it from tools/.libs/), so that an uninstalled
 * tree works without a plugin_dir in its config.  NULL otherwise.  Only a
 * default (RG_OPEN_PLUGIN_DIR_DEFAULT): a config that sets plugin_dir gets
 * its own, as the installed tool would load it.
 */
const char *rg_tool_build_plugin_dir(void)
{
#if defined(RG_BUILDDIR) && defined(RG_BUILD_PLUGINDIR)
	static const char tools[] = "/tools/";
	char exe[PATH_MAX];
	char top[PATH_MAX];
	size_t len;

	if (!realpath("/proc/self/exe", exe) || !realpath(RG_BUILDDIR, top))
		return NULL;
	len = strlen(top);
	if (strncmp(exe, top, len) != 0 ||
	    strncmp(exe + len, tools, sizeof(tools) - 1) != 0)
		return NULL;
	return RG_BUILD_PLUGINDIR;
#else
	return NULL;
#endif
}

const char *rg_tool_build_admin_socket(void)
{
#if defined(RG_BUILDDIR)
	return rg_tool_build_plugin_dir() ? RG_BUILDDIR "/rolegated.sock"
	                                  : NULL;
#else
	return NULL;
#endif
}
