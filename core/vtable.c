/*
 * vtable.c - the one door into every plugin.
 *
 * This is the only file that reads the `struct rg_plugin` a plugin exports,
 * and the only one that calls through the core's copy of it (but for the
 * inline rg_call_decide() in internal.h: a check pays no call for it).  As
 * Linux-PAM calls modules from pam_dispatch.c only and sudo through one set
 * of wrappers, the rest of the core calls these functions, and nothing
 * else ever tests an ABI minor version.
 *
 * Once the loader has found the plugin's symbol, rg_vtable_init() checks
 * its ABI version and copies its table into the handle's, which is full
 * size whatever the plugin's minor: a member newer than the plugin is NULL
 * there (the plugin's struct ends before it, so it is never read).  Each
 * wrapper says what a NULL member means, and that meaning is plugin.h's,
 * never an allow.  An entry that did not load has an all-NULL table;
 * callers test its status first.
 *
 * Adding a vtable member: plugin.h, its line in copy_table() and a wrapper
 * here.  tests/vtable.sh fails when any other file reads the table.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The minor version that added each optional member (see plugin.h). */
#define MINOR_CUSTOM_ROLE     1
#define MINOR_SUBJECT_ANSWERS 2
#define MINOR_VIEW_PREPARE    3
#define MINOR_SUBJECT_RBAC    5
#define MINOR_SUBJECT_SCOPES  6

/* Copies what the plugin's minor version says its struct holds. */
static void copy_table(const struct rg_plugin *p, struct rg_plugin *out)
{
	uint32_t minor = RG_ABI_MINOR(p->abi_version);

	memset(out, 0, sizeof(*out));
	out->abi_version = p->abi_version;
	out->name = p->name;
	out->version = p->version;
	out->description = p->description;
	out->open = p->open;
	out->close = p->close;
	out->declare = p->declare;
	out->decide = p->decide;
	out->validate = p->validate;
	if (minor >= MINOR_CUSTOM_ROLE)
		out->custom_role = p->custom_role;
	if (minor >= MINOR_SUBJECT_ANSWERS)
		out->subject_answers = p->subject_answers;
	/* One without the other is no preparation: what view_prepare made
	 * could never be freed. */
	if (minor >= MINOR_VIEW_PREPARE && p->view_prepare && p->view_release) {
		out->view_prepare = p->view_prepare;
		out->view_release = p->view_release;
	}
	if (minor >= MINOR_SUBJECT_RBAC)
		out->subject_rbac = p->subject_rbac;
	if (minor >= MINOR_SUBJECT_SCOPES)
		out->subject_scopes = p->subject_scopes;
}

int rg_vtable_init(struct rg_plugin_handle *h, const void *symbol, char *err,
                   size_t errlen)
{
	const struct rg_plugin *p = symbol;
	const char *name = h->name;
	const char *path = rg_module_path(h->module);
	uint32_t v = p->abi_version;

	memset(&h->vt, 0, sizeof(h->vt));
	if (RG_ABI_MAJOR(v) != RG_PLUGIN_ABI_MAJOR) {
		snprintf(err, errlen,
		         "plugin '%s' (%s) has ABI version %u.%u, but this "
		         "rolegate speaks ABI %u.%u",
		         name, path, RG_ABI_MAJOR(v), RG_ABI_MINOR(v),
		         (unsigned)RG_PLUGIN_ABI_MAJOR,
		         (unsigned)RG_PLUGIN_ABI_MINOR);
		return RG_EABI;
	}
	/* A newer plugin may call helpers this library lacks, or count on a
	 * member this core would never call (one that denies, say): running
	 * it without them could allow what it means to deny. */
	if (RG_ABI_MINOR(v) > RG_PLUGIN_ABI_MINOR) {
		snprintf(err, errlen,
		         "plugin '%s' (%s) has ABI version %u.%u, newer than "
		         "this rolegate's ABI %u.%u: it may need calls this "
		         "rolegate lacks; use a rolegate of ABI %u.%u or later",
		         name, path, RG_ABI_MAJOR(v), RG_ABI_MINOR(v),
		         (unsigned)RG_PLUGIN_ABI_MAJOR,
		         (unsigned)RG_PLUGIN_ABI_MINOR, RG_ABI_MAJOR(v),
		         RG_ABI_MINOR(v));
		return RG_EABI;
	}
	if (!p->open || !p->decide) {
		snprintf(err, errlen,
		         "plugin '%s' (%s) lacks a required member (open or "
		         "decide)",
		         name, path);
		return RG_EPLUGIN;
	}
	copy_table(p, &h->vt);
	return RG_OK;
}

/* ---- the calls: what each NULL member means is said in internal.h ---- */

int rg_call_open(struct rg_plugin_handle *h)
{
	if (!h->vt.open)
		return RG_EPLUGIN;
	return h->vt.open(h, h->argc, h->argv, &h->state);
}

void rg_call_close(struct rg_plugin_handle *h)
{
	if (h->vt.close)
		h->vt.close(h->state);
}

int rg_call_declare(struct rg_plugin_handle *h)
{
	return h->vt.declare ? h->vt.declare(h->state, h) : RG_OK;
}

int rg_call_value_check(const struct rg_plugin_handle *h, rg_value_check_fn fn,
                        const char *value, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	return fn(h->state, value, err, errlen);
}

int rg_call_validate(const struct rg_plugin_handle *h,
                     const rg_plugin_request *req, rg_validation *out)
{
	return h->vt.validate ? h->vt.validate(h->state, req, out)
	                      : rg_validate_prereqs(req, out);
}

int rg_call_custom_role(const struct rg_plugin_handle *h, const char *id,
                        const uint32_t *privs, size_t n, char *reason,
                        size_t reason_size)
{
	if (!h->vt.custom_role)
		return RG_OK;
	return h->vt.custom_role(h->state, h, id, privs, n, reason,
	                         reason_size);
}

int rg_has_subject_answers(const struct rg_plugin_handle *h)
{
	return h->vt.subject_answers != NULL;
}

int rg_call_subject_answers(const struct rg_plugin_handle *h,
                            const rg_plugin_request *req, uint64_t *allow,
                            uint64_t *deny)
{
	if (!h->vt.subject_answers)
		return RG_ENOSYS;
	return h->vt.subject_answers(h->state, req, allow, deny);
}

int rg_has_subject_rbac(const struct rg_plugin_handle *h)
{
	return h->vt.subject_rbac != NULL;
}

int rg_call_subject_rbac(const struct rg_plugin_handle *h,
                         const rg_plugin_request *req, uint64_t *rbac)
{
	if (!h->vt.subject_rbac)
		return RG_ENOSYS;
	return h->vt.subject_rbac(h->state, req, rbac);
}

int rg_has_subject_scopes(const struct rg_plugin_handle *h)
{
	return h->vt.subject_scopes != NULL;
}

int rg_call_subject_scopes(const struct rg_plugin_handle *h,
                           const rg_plugin_request *req, rg_scopes *out)
{
	if (!h->vt.subject_scopes)
		return RG_ENOSYS;
	return h->vt.subject_scopes(h->state, req, out);
}

int rg_has_view_prepare(const struct rg_plugin_handle *h)
{
	return h->vt.view_prepare != NULL;
}

int rg_call_view_prepare(const struct rg_plugin_handle *h,
                         const rg_plugin_request *req, void **prepared)
{
	*prepared = NULL;
	if (!h->vt.view_prepare)
		return RG_OK;
	return h->vt.view_prepare(h->state, req, prepared);
}

void rg_call_view_release(const struct rg_plugin_handle *h, void *prepared)
{
	if (prepared && h->vt.view_release)
		h->vt.view_release(h->state, prepared);
}

/* ---- asked of a service's plugins -------------------------------------- */

/* The service's product plugin: the first entry that declared roles. */
static const struct rg_plugin_handle *role_owner(const struct rg_service *svc)
{
	size_t i, w;

	for (i = 0; i < svc->nentries; i++)
		for (w = 0; w < RG_ROLE_WORDS; w++)
			if (svc->entries[i]->own.w[w])
				return svc->entries[i];
	return NULL;
}

int rg_custom_role_allowed(const struct rg_service *svc, const char *id,
                           const uint32_t *privs, size_t n, char *msg,
                           size_t len)
{
	const struct rg_plugin_handle *h = role_owner(svc);
	char reason[RG_REASON_MAX] = "";
	int rc;

	if (!h) {
		snprintf(msg, len,
		         "service '%s' has no plugin that declares roles: a "
		         "custom role would grant nothing",
		         svc->name);
		return RG_EREFUSED;
	}
	if (h->status != RG_OK || !h->module) {
		snprintf(msg, len,
		         "plugin %s of service '%s' is not loaded: custom "
		         "roles are refused",
		         h->name, svc->name);
		return RG_EREFUSED;
	}
	/* A plugin without the hook accepts any declared set. */
	rc = rg_call_custom_role(h, id, privs, n, reason, sizeof(reason));
	if (rc == RG_OK)
		return RG_OK;
	reason[sizeof(reason) - 1] = '\0';
	snprintf(msg, len, "%s refuses custom role '%s': %s", h->name, id,
	         reason[0] ? reason : rg_strerror(rc));
	return RG_EREFUSED;
}
