/*
 * snapload.c - a snapshot built from the directory's rows.
 *
 * The store (core/directory/) reads rows and hands them over through
 * struct rg_dir_sink; what they mean for decisions is decided here, on the
 * engine's side: which rows a stale directory may hold and are left out
 * (a role or privilege the policies no longer declare only takes access
 * away), and whether each custom role is still one its plugin accepts.
 * The store never calls into the engine.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "directory/directory.h"
#include "internal.h"

/* A snapshot being built. */
struct build {
	const struct rg_context *ctx;
	struct rg_snapshot *snap;
	int rc;           /* the failure that stopped it */
	const char *what; /* what it was reading then */
};

/* Keeps going past what a stale row can do: it only takes access away.
 * Non-zero (stop) on any other failure. */
static int build_status(struct build *b, int rc, const char *what)
{
	if (rc == RG_OK || rc == RG_ENOUSER || rc == RG_ENOROLE ||
	    rc == RG_EEXIST || rc == RG_ELIMIT) {
		if (rc != RG_OK) {
			b->snap->dropped++;
			rg_log(b->ctx, RG_LOG_WARNING,
			       "directory: %s left out of the snapshot: %s",
			       what, rg_strerror(rc));
		}
		return 0;
	}
	b->rc = rc;
	b->what = what;
	return 1;
}

/* Assigns each role of a comma-separated list. */
static int build_roles(struct build *b, const char *service, const char *user,
                       const char *list)
{
	char role[RG_ID_MAX];
	int rc = RG_OK;

	while (list && *list && rc == RG_OK) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);
		if (len >= sizeof(role)) {
			rc = RG_ENOROLE;
			break;
		}
		memcpy(role, list, len);
		role[len] = '\0';
		rc = rg_snapshot_add_assignment(b->snap, service, user, role);
		list = end ? end + 1 : NULL;
	}
	return rc;
}

static int sink_user(void *user, const char *service, const char *id,
                     const rg_attr *attrs, size_t n, const char *roles)
{
	struct build *b = user;
	int rc = rg_snapshot_add_user(b->snap, service, id, attrs, n);

	/* A user left out takes its roles with it. */
	if (build_status(b, rc, "a user") || rc != RG_OK)
		return b->rc != RG_OK;
	return build_status(b, build_roles(b, service, id, roles),
	                    "a role assignment");
}

static int sink_custom_role(void *user, const char *service, const char *id)
{
	struct build *b = user;

	return build_status(b,
	                    rg_snapshot_add_custom_role(b->snap, service, id),
	                    "a custom role");
}

static int sink_grant(void *user, const char *service, const char *role,
                      const char *privilege)
{
	struct build *b = user;

	return build_status(
	    b, rg_snapshot_add_custom_grant(b->snap, service, role, privilege),
	    "a custom role's privilege");
}

static int sink_fact(void *user, const char *service, const char *kind,
                     const char *name, const char *attr, const char *value)
{
	struct build *b = user;

	return build_status(
	    b, rg_snapshot_add_fact(b->snap, service, kind, name, attr, value),
	    strcmp(kind, "setting") == 0 ? "a setting"
	                                 : "an organisation entry");
}

static const struct rg_dir_sink build_sink = {
    .custom_role = sink_custom_role,
    .grant = sink_grant,
    .user = sink_user,
    .fact = sink_fact,
};

/*
 * Asks each custom role of the snapshot again whether its plugin accepts
 * it, as at creation: the store may hold roles made under another
 * configuration (an edition without custom roles, a plugin whose rules
 * changed) or written around rolegate.  A refused role grants nothing
 * (fail closed) and is logged.
 */
static void vet_custom_roles(const struct rg_context *ctx,
                             struct rg_snapshot *snap, const char *location)
{
	uint32_t privs[RG_MAX_PRIVILEGES];
	char msg[RG_MSG_MAX];
	size_t i, k, w;

	for (i = 0; i < snap->nservices; i++) {
		struct rg_snap_service *ss = &snap->services[i];

		for (k = 0; k < ss->ncustom; k++) {
			struct rg_snap_custom *c = &ss->custom[k];
			size_t n = 0;

			for (w = 0; w < RG_PRIV_WORDS; w++) {
				uint64_t m = c->grants[w];

				for (; m; m &= m - 1)
					privs[n++] =
					    (uint32_t)(w * RG_BITSET_WORD_BITS +
					               (size_t)__builtin_ctzll(
					                   m));
			}
			if (rg_custom_role_allowed(ss->svc, c->id, privs, n,
			                           msg, sizeof(msg)) == RG_OK)
				continue;
			memset(c->grants, 0, sizeof(c->grants));
			rg_log(ctx, RG_LOG_WARNING,
			       "directory %s: %s; it grants nothing", location,
			       msg);
		}
	}
}

int rg_snapshot_load(const struct rg_context *ctx, struct rg_dir *d,
                     struct rg_snapshot **out, char *err, size_t errlen)
{
	struct build b = {ctx, NULL, RG_OK, NULL};
	uint64_t version;
	int rc;

	*out = NULL;
	/* The version is known only once read: the snapshot takes it then. */
	b.snap = rg_snapshot_new(ctx, 0);
	if (!b.snap) {
		rg_strlcpy(err, "out of memory", errlen);
		return RG_ENOMEM;
	}
	rc = ctx->dirops->read_rows(d, &build_sink, &b, &version, err, errlen);
	if (b.rc != RG_OK) {
		rc = b.rc;
		snprintf(err, errlen, "reading %s: %s", b.what,
		         rg_strerror(rc));
	}
	if (rc != RG_OK) {
		rg_snapshot_free(b.snap);
		return rc;
	}
	b.snap->version = version;
	if (b.snap->dropped)
		rg_log(ctx, RG_LOG_WARNING,
		       "directory %s: %zu entries name roles or privileges the "
		       "policies no longer declare; they grant nothing",
		       ctx->dirops->location(d), b.snap->dropped);
	vet_custom_roles(ctx, b.snap, ctx->dirops->location(d));
	*out = b.snap;
	return RG_OK;
}
