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

/*
 * A snapshot being built.  A service whose stamp (the store's random mark
 * of the last change to its rows, see struct rg_dir_sink) is the one the
 * previous snapshot was built at is shared with it, not read or built
 * again: a change to one service of 168,000 users costs that service.
 */
struct build {
	const struct rg_context *ctx;
	struct rg_snapshot *snap;
	const struct rg_snapshot *base; /* to share with, or NULL */
	int rc;                         /* the failure that stopped it */
	const char *what;               /* what it was reading then */
	uint64_t *stamp;                /* per service of ctx, 0: none */
	unsigned char *shared;          /* per service: base's, not read */
	int stamped;                    /* the store keeps stamps */
};

/* The context's service a row names, or NULL when it has none (the row
 * decides nothing here) or shares it with base (it is not read). */
static const struct rg_service *row_service(struct build *b,
                                            const char *service)
{
	const struct rg_service *svc = rg_service_find(b->ctx, service);

	return svc && !b->shared[svc->index] ? svc : NULL;
}

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

/* Assigns each role of a comma-separated list to the user at index u, each
 * looked up where it lies in the list. */
static int build_roles(struct build *b, const struct rg_service *svc, size_t u,
                       const char *list)
{
	int rc = RG_OK;

	while (list && *list && rc == RG_OK) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);

		/* As long a role as a copy of it could hold, as before. */
		if (len >= RG_ID_MAX) {
			rc = RG_ENOROLE;
			break;
		}
		rc = rg_snapshot_add_assignment(b->snap, svc, u, list, len);
		list = end ? end + 1 : NULL;
	}
	return rc;
}

static int sink_user(void *user, const char *service, const char *id,
                     const rg_attr *attrs, size_t n, const char *roles)
{
	struct build *b = user;
	const struct rg_service *svc = row_service(b, service);
	size_t u;
	int rc;

	if (!svc)
		return 0;
	rc = rg_snapshot_add_user(b->snap, svc, id, attrs, n, &u);

	/* A user left out takes its roles with it. */
	if (build_status(b, rc, "a user") || rc != RG_OK || u == SIZE_MAX)
		return b->rc != RG_OK;
	return build_status(b, build_roles(b, svc, u, roles),
	                    "a role assignment");
}

static int sink_custom_role(void *user, const char *service, const char *id)
{
	struct build *b = user;

	if (!row_service(b, service))
		return 0;
	return build_status(b,
	                    rg_snapshot_add_custom_role(b->snap, service, id),
	                    "a custom role");
}

static int sink_grant(void *user, const char *service, const char *role,
                      const char *privilege)
{
	struct build *b = user;

	if (!row_service(b, service))
		return 0;
	return build_status(
	    b, rg_snapshot_add_custom_grant(b->snap, service, role, privilege),
	    "a custom role's privilege");
}

static int sink_fact(void *user, const char *service, const char *kind,
                     const char *name, const char *attr, const char *value)
{
	struct build *b = user;

	if (!row_service(b, service))
		return 0;
	return build_status(
	    b, rg_snapshot_add_fact(b->snap, service, kind, name, attr, value),
	    strcmp(kind, "setting") == 0 ? "a setting"
	                                 : "an organisation entry");
}

static int sink_stamp(void *user, const char *service, uint64_t stamp)
{
	struct build *b = user;
	const struct rg_service *svc = rg_service_find(b->ctx, service);

	if (svc)
		b->stamp[svc->index] = stamp;
	return 0;
}

/* Whether service must be read: unless base holds it built from the same
 * stamp (0 for both: no rows then or now, since a store that keeps stamps
 * stamps every service that has rows), and every one when base was built
 * without stamps. */
static int sink_wants(void *user, const char *service)
{
	struct build *b = user;
	const struct rg_service *svc = rg_service_find(b->ctx, service);
	const struct rg_snap_service *old;
	size_t i;

	b->stamped = 1;
	if (!svc)
		return 1;
	i = svc->index;
	old = b->base ? &b->base->services[i] : NULL;
	b->shared[i] = old && b->base->stamped && old->sealed &&
	               old->svc == svc && old->stamp == b->stamp[i];
	return !b->shared[i];
}

static const struct rg_dir_sink build_sink = {
    .custom_role = sink_custom_role,
    .grant = sink_grant,
    .user = sink_user,
    .fact = sink_fact,
    .stamp = sink_stamp,
    .wants = sink_wants,
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

		if (ss->sealed)
			continue; /* shared, vetted when it was built */
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
                     const struct rg_snapshot *base, struct rg_snapshot **out,
                     char *err, size_t errlen)
{
	size_t nsvc = ctx->nservices ? ctx->nservices : 1, i, shared = 0;
	struct build b = {ctx, NULL, NULL, RG_OK, NULL, NULL, NULL, 0};
	uint64_t version;
	int rc = RG_ENOMEM;

	*out = NULL;
	rg_strlcpy(err, "out of memory", errlen);
	/* Only a snapshot of this context's services can share them. */
	if (base && base->nservices == ctx->nservices)
		b.base = base;
	b.stamp = calloc(nsvc, sizeof(*b.stamp));
	b.shared = calloc(nsvc, 1);
	/* The version is known only once read: the snapshot takes it then. */
	b.snap = rg_snapshot_new(ctx, 0);
	if (!b.stamp || !b.shared || !b.snap)
		goto out;
	rc = ctx->dirops->read_rows(d, &build_sink, &b, &version, err, errlen);
	if (rc == RG_OK && b.rc != RG_OK) {
		rc = b.rc;
		snprintf(err, errlen, "reading %s: %s", b.what,
		         rg_strerror(rc));
	}
	if (rc != RG_OK)
		goto out;
	for (i = 0; i < ctx->nservices; i++) {
		if (b.shared[i]) {
			rg_snapshot_share(b.snap, i, base);
			shared++;
		}
		/* A service not loaded holds no rows of any stamp. */
		b.snap->services[i].stamp =
		    rg_dir_loads(ctx, i) ? b.stamp[i] : 0;
	}
	b.snap->stamped = b.stamped;
	b.snap->version = version;
	rg_log(ctx, RG_LOG_INFO,
	       "directory %s: snapshot %llu: %zu of %zu services built, %zu "
	       "unchanged",
	       ctx->dirops->location(d), (unsigned long long)version,
	       ctx->nservices - shared, ctx->nservices, shared);
	if (ctx->one_service)
		rg_log(
		    ctx, RG_LOG_INFO,
		    "directory %s: only the rows of service %s are loaded%s%s",
		    ctx->dirops->location(d),
		    ctx->only ? ctx->only->name : "(none)",
		    ctx->only_user ? ", of its users " : "",
		    ctx->only_user ? ctx->only_user : "");
	if (b.snap->dropped)
		rg_log(ctx, RG_LOG_WARNING,
		       "directory %s: %zu entries name roles or privileges the "
		       "policies no longer declare; they grant nothing",
		       ctx->dirops->location(d), b.snap->dropped);
	vet_custom_roles(ctx, b.snap, ctx->dirops->location(d));
	*out = b.snap;
	b.snap = NULL;
out:
	rg_snapshot_free(b.snap);
	free(b.stamp);
	free(b.shared);
	return rc;
}
