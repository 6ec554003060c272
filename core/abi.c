/*
 * abi.c - what the core tells plugins about its plugin ABI, and the entries
 * that fill a struct a plugin allocates, sized by the plugin's struct rather
 * than the core's (plugin.h, "Versions").
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "internal.h"

/*
 * The end of rg_plugin_request as ABI 1.3 had it (view was its last
 * member): the least a plugin's struct has, and all rg_view_user() may
 * fill.
 */
#define REQUEST_SIZE_1_3                                                       \
	(offsetof(rg_plugin_request, view) +                                   \
	 sizeof(((rg_plugin_request *)0)->view))

/*
 * rg_view_user() (snapshot.c) fills sizeof(rg_plugin_request), which is the
 * 1.3 layout only while nothing has been appended.  Whoever appends a member
 * makes it fill REQUEST_SIZE_1_3 bytes (rg_view_user_sized() with that size)
 * and then changes this assertion.
 */
_Static_assert(sizeof(rg_plugin_request) == REQUEST_SIZE_1_3,
               "rg_view_user() must keep filling the 1.3 layout only");

uint32_t rg_core_abi_version(void)
{
	return RG_PLUGIN_ABI_VERSION;
}

int rg_view_user_sized(const rg_plugin_request *req, size_t i,
                       rg_plugin_request *out, size_t size)
{
	rg_plugin_request full;
	int rc;

	/* Smaller than any layout a plugin can have been built with: refuse
	 * rather than write past it. */
	if (!out || size < REQUEST_SIZE_1_3)
		return RG_EINVAL;
	rc = rg_view_user(req, i, &full);
	if (rc != RG_OK)
		return rc;
	/* The members both sides know; members of a newer minor than the
	 * core's are zero, which every member means as "not set". */
	if (size > sizeof(full)) {
		memset((char *)out + sizeof(full), 0, size - sizeof(full));
		size = sizeof(full);
	}
	memcpy(out, &full, size);
	return RG_OK;
}
