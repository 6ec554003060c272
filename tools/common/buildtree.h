/*
 * buildtree.h - the build tree's plugin directory for uninstalled tools.
 */
#ifndef ROLEGATE_TOOLS_BUILDTREE_H
#define ROLEGATE_TOOLS_BUILDTREE_H

/*
 * The build tree's plugins when the running executable is inside the build
 * tree's tools/ (libtool runs it from tools/.libs/); NULL otherwise, and
 * always NULL for an installed program.  Static storage.
 */
const char *rg_tool_build_plugin_dir(void);

/*
 * The admin socket of the uninstalled rolegated of a build tree:
 * rolegated.sock at the top of that tree, which the builder can write, where
 * the installed default (under runstatedir) would need root.  NULL when
 * rg_tool_build_plugin_dir() is.  Static storage.
 */
const char *rg_tool_build_admin_socket(void);

#endif /* ROLEGATE_TOOLS_BUILDTREE_H */
