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
 * A snapshot being built.  Every row a service is given goes into its
 * digest (FNV-1a over the row's strings), built or not: a service whose
 * digest is what the previous snapshot's was is shared with it, not built
 * again (rg_snapshot_load()).
 */
struct build {
	const struct rg_context *ctx;
	struct rg_snapshot *snap;  /* NULL: digests only */
	int rc;                    /* the failure that stopped it */
	const char *what;          /* what it was reading then */
	uint64_t *digest;          /* per service of ctx */
	const unsigned char *skip; /* per service: do not build (or NULL) */
};

#define DIGEST_BASIS 0xcbf29ce484222325ull
#define DIGEST_PRIME 0x100000001b3ull

/* Folds s, and a terminator so that ("ab", "c") is not ("a", "bc"), into
 * *h; NULL differs from "". */
static void digest_str(uint64_t *h, const char *s)
{
	uint64_t x = *h;

	if (s)
		for (; *s; s++)
			x = (x ^ (unsigned char)*s) * DIGEST_PRIME;
	x = (x ^ (s ? 0u : 1u)) * DIGEST_PRIME;
	*h = (x ^ 0xffu) * DIGEST_PRIME;
}

/*
 * Starts a row of the service named service (tag: which kind of row):
 * folds the tag in its digest.  1 when the row is to be built, 0 when it
 * is skipped (or the context has no such service: the row decides
 * nothing here).  *h gets the digest to fold the row's strings into.
 */
static int row_begin(struct build *b, const char *service, int tag,
                     uint64_t **h)
{
	const struct rg_service *svc = rg_service_find(b->ctx, service);

	*h = NULL;
	if (!svc)
		return 0;
	*h = &b->digest[svc->index];
	**h = (**h ^ (uint64_t)tag) * DIGEST_PRIME;
	return b->snap && !(b->skip && b->skip[svc->index]);
}

enum { ROW_CUSTOM = 1, ROW_GRANT, ROW_USER, ROW_FACT };

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
	uint64_t *h = NULL;
	size_t i;
	int rc, build = row_begin(b, service, ROW_USER, &h);

	if (!h)
		return 0;
	digest_str(h, id);
	for (i = 0; i < n; i++) {
		digest_str(h, attrs[i].key);
		digest_str(h, attrs[i].value);
	}
	digest_str(h, roles);
	if (!build)
		return 0;
	rc = rg_snapshot_add_user(b->snap, service, id, attrs, n);

	/* A user left out takes its roles with it. */
	if (build_status(b, rc, "a user") || rc != RG_OK)
		return b->rc != RG_OK;
	return build_status(b, build_roles(b, service, id, roles),
	                    "a role assignment");
}

static int sink_custom_role(void *user, const char *service, const char *id)
{
	struct build *b = user;
	uint64_t *h = NULL;
	int build = row_begin(b, service, ROW_CUSTOM, &h);

	if (h)
		digest_str(h, id);
	if (!build)
		return 0;
	return build_status(b,
	                    rg_snapshot_add_custom_role(b->snap, service, id),
	                    "a custom role");
}

static int sink_grant(void *user, const char *service, const char *role,
                      const char *privilege)
{
	struct build *b = user;
	uint64_t *h = NULL;
	int build = row_begin(b, service, ROW_GRANT, &h);

	if (h) {
		digest_str(h, role);
		digest_str(h, privilege);
	}
	if (!build)
		return 0;
	return build_status(
	    b, rg_snapshot_add_custom_grant(b->snap, service, role, privilege),
	    "a custom role's privilege");
}

static int sink_fact(void *user, const char *service, const char *kind,
                     const char *name, const char *attr, const char *value)
{
	struct build *b = user;
	uint64_t *h = NULL;
	int build = row_begin(b, service, ROW_FACT, &h);

	if (h) {
		digest_str(h, kind);
		digest_str(h, name);
		digest_str(h, attr);
		digest_str(h, value);
	}
	if (!build)
		return 0;
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

/* One read of the directory through b; err says why it failed. */
static int read_pass(const struct rg_context *ctx, struct rg_dir *d,
                     struct build *b, uint64_t *version, char *err,
                     size_t errlen)
{
	size_t i;
	int rc;

	for (i = 0; i < ctx->nservices; i++)
		b->digest[i] = DIGEST_BASIS;
	b->rc = RG_OK;
	rc = ctx->dirops->read_rows(d, &build_sink, b, version, err, errlen);
	if (b->rc != RG_OK) {
		rc = b->rc;
		snprintf(err, errlen, "reading %s: %s", b->what,
		         rg_strerror(rc));
	}
	return rc;
}

/*
 * Which services of base the directory still holds unchanged: one read
 * without building, by the digests of its rows.  0 when none (or base is
 * of no use): build everything.
 */
static int unchanged(const struct rg_context *ctx, struct rg_dir *d,
                     const struct rg_snapshot *base, uint64_t *digest,
                     unsigned char *skip, char *err, size_t errlen)
{
	struct build b = {ctx, NULL, RG_OK, NULL, digest, NULL};
	uint64_t version;
	size_t i, n = 0;

	if (!base || base->nservices != ctx->nservices || !ctx->nservices)
		return 0;
	/* Only a built (sealed) service can be shared: without one (the
	 * empty snapshot a context starts from), the read would be wasted. */
	for (i = 0; i < ctx->nservices && !base->services[i].sealed; i++)
		;
	if (i == ctx->nservices)
		return 0;
	if (read_pass(ctx, d, &b, &version, err, errlen) != RG_OK)
		return 0; /* the build's read reports it */
	for (i = 0; i < ctx->nservices; i++) {
		const struct rg_snap_service *old = &base->services[i];

		skip[i] = old->sealed && old->svc == ctx->services[i] &&
		          old->digest == digest[i];
		n += skip[i];
	}
	return n > 0;
}

int rg_snapshot_load(const struct rg_context *ctx, struct rg_dir *d,
                     const struct rg_snapshot *base, struct rg_snapshot **out,
                     char *err, size_t errlen)
{
	size_t nsvc = ctx->nservices ? ctx->nservices : 1, i;
	uint64_t *digest = calloc(nsvc, sizeof(*digest));
	unsigned char *skip = calloc(nsvc, 1);
	struct build b = {ctx, NULL, RG_OK, NULL, digest, NULL};
	uint64_t version;
	size_t shared = 0;
	int rc = RG_ENOMEM, partial;

	*out = NULL;
	rg_strlcpy(err, "out of memory", errlen);
	if (!digest || !skip)
		goto out;
	partial = unchanged(ctx, d, base, digest, skip, err, errlen);
again:
	/* The version is known only once read: the snapshot takes it then. */
	rg_snapshot_free(b.snap);
	b.snap = rg_snapshot_new(ctx, 0);
	b.skip = partial ? skip : NULL;
	rc = RG_ENOMEM;
	if (!b.snap)
		goto out;
	rc = read_pass(ctx, d, &b, &version, err, errlen);
	if (rc != RG_OK)
		goto out;
	/* A service skipped must still be what base holds in this read
	 * (a commit between the two reads): else build it all. */
	for (i = 0; partial && i < ctx->nservices; i++)
		if (skip[i] && digest[i] != base->services[i].digest) {
			partial = 0;
			goto again;
		}
	for (i = 0; i < ctx->nservices; i++) {
		if (partial && skip[i]) {
			rg_snapshot_share(b.snap, i, base);
			shared++;
		} else {
			b.snap->services[i].digest = digest[i];
		}
	}
	b.snap->version = version;
	rg_log(ctx, RG_LOG_INFO,
	       "directory %s: snapshot %llu: %zu of %zu services built, %zu "
	       "unchanged",
	       ctx->dirops->location(d), (unsigned long long)version,
	       ctx->nservices - shared, ctx->nservices, shared);
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
	free(digest);
	free(skip);
	return rc;
}
