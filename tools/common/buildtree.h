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

#endif /* ROLEGATE_TOOLS_BUILDTREE_H */
