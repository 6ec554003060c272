/*
 * policy.c - fuzz targets: the policy INI file of each plugin (policy.c,
 * built once per plugin with FUZZ_PLUGIN set), and the tenant INI file of
 * the plugins that read one (built with FUZZ_TENANT).
 *
 * The input is the fuzzed file; a one-service configuration stacks the
 * plugin on it (the other file the shipped one).  A context that opens
 * is exercised: every role asked every privilege, single and batched.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fuzz.h"

#ifndef FUZZ_PLUGIN
#error "FUZZ_PLUGIN: the plugin whose file is fuzzed"
#endif

/* The shipped files the configuration names besides the fuzzed one. */
struct plugin_files {
	const char *plugin;
	const char *policy; /* the shipped policy */
	const char *tenant; /* the shipped tenant, or NULL: none read */
	const char *extra;  /* more arguments */
};

static const struct plugin_files files[] = {
    {"rbac", "example-rbac.ini", NULL, ""},
    {"omni24", "omni24.ini", NULL, ""},
    {"dynamics365", "dynamics365-2021.ini", "dynamics365-tenant.ini", ""},
    {"rocketchat", "rocketchat.ini", "rocketchat-tenant.ini",
     " edition=enterprise"},
};

static const struct plugin_files *find(const char *plugin)
{
	size_t i;

	for (i = 0; i < RG_COUNTOF(files); i++)
		if (strcmp(files[i].plugin, plugin) == 0)
			return &files[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct plugin_files *pf = find(FUZZ_PLUGIN);
	char conf[8192], policy[4096], tenant[4096];
	const char *fuzzed, *path;
	rg_context *ctx;
	int n;

	if (!pf)
		fuzz_fail("no files known for plugin %s", FUZZ_PLUGIN);
	fuzzed = fuzz_file("fuzzed.ini", data, size);
	snprintf(policy, sizeof(policy), "%s/%s", fuzz_policies(), pf->policy);
	tenant[0] = '\0';
	if (pf->tenant)
		snprintf(tenant, sizeof(tenant), " tenant=%s/%s",
		         fuzz_policies(), pf->tenant);
#ifdef FUZZ_TENANT
	if (!pf->tenant)
		fuzz_fail("plugin %s reads no tenant file", FUZZ_PLUGIN);
	snprintf(tenant, sizeof(tenant), " tenant=%s", fuzzed);
#else
	snprintf(policy, sizeof(policy), "%s", fuzzed);
#endif
	n = snprintf(conf, sizeof(conf),
	             "[service s]\nstack = required %s policy=%s%s%s\n",
	             pf->plugin, policy, tenant, pf->extra);
	path = fuzz_file("rolegate.conf", conf, (size_t)n);
	ctx = fuzz_open(path, NULL, NULL, NULL, NULL);
	if (ctx)
		fuzz_exercise(ctx);
	rg_close(ctx);
	return 0;
}
