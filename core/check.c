/*
 * check.c - deciding requests and validating role sets.
 *
 * The decision path: look the service up, resolve the subject to a role
 * set and the action to a privilege index (all lookups into tables built
 * at open, intern.c's), then run the stack.  Nothing here allocates or locks,
 * and every failure is a deny with a status and a reason.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void decision_reset(rg_decision *out)
{
	/* Not a memset: the trace is large and filled only on demand. */
	out->result = RG_DENY;
	out->status = RG_OK;
	out->plugin = NULL;
	out->role[0] = '\0';
	out->missing[0] = '\0';
	out->reason[0] = '\0';
	out->ntrace = 0;
}

void rg_decision_deny(rg_decision *out, int status, const char *fmt, ...)
{
	va_list ap;

	out->result = RG_DENY;
	out->status = status;
	va_start(ap, fmt);
	rg_vformat(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* 1 when every attribute has a key and a value (n == 0 allows NULL). */
static int attrs_valid(const rg_attr *attrs, size_t n)
{
	const rg_attr *a, *end;

	if (!n)
		return 1;
	if (!attrs)
		return 0;
	for (a = attrs, end = attrs + n; a < end; a++)
		if (!a->key || !a->value || !a->key[0])
			return 0;
	return 1;
}

/* Resolves a user through the snapshot, with what the caller found of it
 * already (known: its hash, perhaps its index slot; NULL: nothing). */
static int resolve_user(const struct rg_service *svc, const char *user,
                        const struct rg_check_known *known,
                        struct rg_subject_view *sv, rg_decision *out)
{
	if (!sv->snap) {
		rg_decision_deny(
		    out, RG_ENOUSER,
		    "unknown user '%.*s': there is no directory of "
		    "users",
		    RG_ID_MAX, user);
		return RG_ENOUSER;
	}
	/* A user's attributes are the directory's, never the request's. */
	if (known && known->slot && sv->ss)
		sv->user = rg_snapshot_user_at(sv->ss, known->slot, &sv->roles,
		                               sv->user_attrs, &sv->nattrs);
	else
		sv->user = rg_snapshot_user(
		    sv->ss, user, known ? known->user_hash : rg_hash_str(user),
		    &sv->roles, sv->user_attrs, &sv->nattrs);
	if (sv->user < 0) {
		rg_decision_deny(out, RG_ENOUSER,
		                 "unknown user '%.*s' in service '%s'",
		                 RG_ID_MAX, user, svc->name);
		return RG_ENOUSER;
	}
	sv->attrs = sv->user_attrs;
	return RG_OK;
}

/* Resolves "a,b,c": declared roles, then the directory's custom roles. */
static int resolve_roles(const struct rg_service *svc, const char *list,
                         struct rg_subject_view *sv, rg_decision *out)
{
	const char *p = list;

	memset(&sv->roles, 0, sizeof(sv->roles));
	if (!*p)
		return RG_OK; /* the empty set: a subject with no role */
	for (;;) {
		const char *end = strchrnul(p, ',');
		size_t len = (size_t)(end - p);
		long idx;

		/* "a,", ",a" and "a,,b" name an empty role: refuse. */
		if (len == 0 || len >= RG_ID_MAX) {
			rg_decision_deny(out, RG_ENOROLE,
			                 "unknown role '%.*s' in service '%s'",
			                 RG_ID_MAX, len ? p : "(empty role id)",
			                 svc->name);
			return RG_ENOROLE;
		}
		/* Looked up where it lies in the list: no copy, one hash. */
		idx = rg_snapshot_role_len(sv->ss, svc, p, len);
		if (idx < 0) {
			rg_decision_deny(out, RG_ENOROLE,
			                 "unknown role '%.*s' in service '%s'",
			                 (int)len, p, svc->name);
			return RG_ENOROLE;
		}
		rg_roleset_add(&sv->roles, (uint32_t)idx);
		if (!*end)
			return RG_OK;
		p = end + 1;
	}
}

void rg_subject_release(const struct rg_context *ctx,
                        struct rg_subject_view *sv)
{
	if (sv->snap && !sv->held)
		rg_snapshot_release(ctx, sv->slot);
	sv->snap = NULL;
	sv->ss = NULL;
}

/* rg_subject_resolve(), with what the caller knows (NULL: nothing). */
static int subject_resolve_in(const struct rg_context *ctx,
                              const struct rg_service *svc,
                              const rg_subject *subject,
                              const struct rg_check_known *known,
                              struct rg_subject_view *sv, rg_decision *out)
{
	int rc;

	sv->held = known != NULL;
	sv->snap = known ? known->snap : rg_snapshot_acquire(ctx, &sv->slot);
	sv->ss = rg_snapshot_service(sv->snap, svc);
	sv->user = -1;
	sv->attrs = subject->attrs;
	sv->nattrs = subject->nattrs;
	if (subject->user && subject->user[0]) {
		rc = resolve_user(svc, subject->user, known, sv, out);
	} else if (subject->user) {
		rg_decision_deny(out, RG_EINVAL, "the request's user is empty");
		rc = RG_EINVAL;
	} else if (!subject->roles) {
		rg_decision_deny(
		    out, RG_EINVAL,
		    "the request names no subject (user or roles)");
		rc = RG_EINVAL;
	} else if (!attrs_valid(subject->attrs, subject->nattrs)) {
		/* A scope attribute without a value must not widen access. */
		rg_decision_deny(out, RG_EINVAL,
		                 "a subject attribute has no key or no value");
		rc = RG_EINVAL;
	} else {
		rc = resolve_roles(svc, subject->roles, sv, out);
	}
	if (rc != RG_OK)
		rg_subject_release(ctx, sv);
	return rc;
}

int rg_subject_resolve(const struct rg_context *ctx,
                       const struct rg_service *svc, const rg_subject *subject,
                       struct rg_subject_view *sv, rg_decision *out)
{
	return subject_resolve_in(ctx, svc, subject, NULL, sv, out);
}

/* Resolves the action to the index of a privilege the service declares. */
static int resolve_action(const struct rg_service *svc, const char *action,
                          long *idx, rg_decision *out)
{
	/* A declared id is valid: validate only what is not found. */
	*idx = rg_intern_get(&svc->reg.priv_ix, action);
	if (*idx < 0 && !rg_id_valid(action)) {
		rg_decision_deny(out, RG_ENOACTION, "invalid action id '%.*s'",
		                 RG_ID_MAX, action);
		return RG_ENOACTION;
	}
	/* Fail closed: an action is known only when an entry of the stack
	 * declared it.  A service whose plugins declare no privileges at all
	 * (only permit or deny, say) therefore denies every action: a typo in
	 * an action id must never reach a plugin that allows anything. */
	if (*idx < 0) {
		rg_decision_deny(out, RG_ENOACTION,
		                 "action '%s' is not declared by any plugin of "
		                 "service '%s'",
		                 action, svc->name);
		return RG_ENOACTION;
	}
	return RG_OK;
}

/* rg_check_view() of the privilege action, resolved already. */
static int check_view_priv(const struct rg_service *svc, const rg_request *req,
                           const struct rg_subject_view *sv,
                           const rg_roleset *roles, long action, unsigned flags,
                           rg_decision *out)
{
	rg_plugin_request preq;
	struct rg_req_view rv;

	if (!attrs_valid(req->attrs, req->nattrs)) {
		rg_decision_deny(out, RG_EINVAL,
		                 "a request attribute has no key or no value");
		return RG_EINVAL;
	}
	preq.handle = NULL;
	preq.service = svc->name;
	preq.user = req->subject.user;
	preq.roles = roles;
	preq.action = action;
	preq.action_id = req->action;
	preq.subject_attrs = sv->attrs;
	preq.nsubject_attrs = sv->nattrs;
	preq.attrs = req->attrs;
	preq.nattrs = req->nattrs;
	rv.ss = sv->ss;
	/* The user's prepared data holds for its own roles only. */
	rv.user = roles == &sv->roles ? sv->user : -1;
	preq.view = &rv;
	rg_stack_run(svc, &preq, flags, out);
	return out->status;
}

/* rg_check_view() into out, reset already. */
static int check_view(const struct rg_service *svc, const rg_request *req,
                      const struct rg_subject_view *sv, const rg_roleset *roles,
                      unsigned flags, rg_decision *out)
{
	long action;
	int rc;

	rc = resolve_action(svc, req->action, &action, out);
	if (rc != RG_OK)
		return rc;
	return check_view_priv(svc, req, sv, roles, action, flags, out);
}

int rg_check_view(const struct rg_context *ctx, const struct rg_service *svc,
                  const rg_request *req, const struct rg_subject_view *sv,
                  const rg_roleset *roles, unsigned flags, rg_decision *out)
{
	decision_reset(out);
	return check_view(svc, req, sv, roles, flags, out);
}

void rg_table_log(const rg_context *ctx, const rg_request *req,
                  rg_result result)
{
	if (ctx->log_level >= RG_LOG_DEBUG)
		rg_log(ctx, RG_LOG_DEBUG, "%s %s %s: %s (decision table)",
		       req->service, req->subject.user, req->action,
		       rg_result_name(result));
}

/* What the debug log adds to a decision the table gave with a reason. */
#define TABLE_LOG " (decision table)"

/* The debug log line of a decision with its reason; by is TABLE_LOG when
 * the table gave it, else "". */
static void check_log(const rg_context *ctx, const rg_request *req,
                      const rg_decision *out, const char *by)
{
	if (ctx->log_level >= RG_LOG_DEBUG)
		rg_log(
		    ctx, RG_LOG_DEBUG, "%s %s %s: %s (%s)%s", req->service,
		    req->subject.user ? req->subject.user : req->subject.roles,
		    req->action, rg_result_name(out->result), out->reason, by);
}

/* 1 when a check with flags of a directory user, without request
 * attributes, may be answered from the table with a reason. */
static int rbac_wants(const rg_context *ctx, const char *user, size_t nattrs,
                      unsigned flags)
{
	return ctx->dir && user && !nattrs &&
	       !(flags & (RG_CHECK_NO_REASON | RG_CHECK_TRACE));
}

/*
 * A check with a reason of the user of len bytes at user (hash h) and
 * privilege priv (action_id), on ss, when the table says that the user's
 * one stack entry answers it as rg_decide_rbac() (table.c): that answer,
 * through the entry's control, as rg_stack_run() would give it, the
 * subject read from the snapshot's record and no plugin called.  The
 * snapshot's copy of the user's id when it decided; NULL leaves the check
 * to the stack, out reset.  A decision other than the table's is never
 * given: the stack decides it (fail closed).
 */
static const char *rbac_check(const struct rg_snap_service *ss,
                              const char *user, size_t len, uint64_t h,
                              long priv, const char *action_id, unsigned flags,
                              rg_decision *out)
{
	const struct rg_snap_user *u;
	rg_plugin_request preq;
	struct rg_req_view rv;
	rg_result res;
	long i;

	if (!ss || !rg_table_rbac(ss, user, len, h, priv, &res, &i) || i < 0)
		return NULL;
	u = &ss->users[i];
	preq.handle = ss->svc->entries[0];
	preq.service = ss->svc->name;
	preq.user = u->id;
	preq.roles = &u->roles;
	preq.action = priv;
	preq.action_id = action_id;
	preq.subject_attrs = u->attrs;
	preq.nsubject_attrs = u->nattrs;
	preq.attrs = NULL;
	preq.nattrs = 0;
	rv.ss = ss;
	rv.user = i;
	preq.view = &rv;
	rg_stack_rbac(ss->svc, &preq, flags, out);
	if (out->result == res && out->status == RG_OK)
		return u->id;
	decision_reset(out);
	return NULL;
}

/*
 * rbac_check() of rg_check()'s request (no trace, a reason wanted: the
 * caller checked), on ss (NULL: none), its user of len bytes and hash h,
 * and the privilege priv (-1: look the action up), logged.  1 when it
 * decided.
 */
static int rbac_request(const rg_context *ctx, const struct rg_snap_service *ss,
                        const rg_request *req, size_t len, uint64_t h,
                        long priv, unsigned flags, rg_decision *out)
{
	if (!ss || !ss->table.rbac)
		return 0;
	if (priv < 0)
		priv = rg_intern_get(&ss->svc->reg.priv_ix, req->action);
	if (!rbac_check(ss, req->subject.user, len, h, priv, req->action, flags,
	                out))
		return 0;
	check_log(ctx, req, out, TABLE_LOG);
	return 1;
}

/*
 * The decision table (table.c): a directory user, no request attribute
 * and no trace wanted; without a reason, or with one the table can give
 * (rbac_check()).  1 when it decided; 0 leaves the request to the stack,
 * which decides everything else (and anything the table does not know)
 * itself.
 */
static int table_check(const rg_context *ctx, const struct rg_service *svc,
                       const rg_request *req, unsigned flags, rg_decision *out)
{
	const struct rg_snapshot *snap;
	const struct rg_snap_service *ss;
	const char *user = req->subject.user;
	rg_result res;
	unsigned slot;
	size_t len;
	int hit;

	/* The request first: no snapshot is taken for the rest. */
	if (!ctx->dir)
		return 0;
	if (!rg_table_wants(req, flags)) {
		if (!rbac_wants(ctx, user, req->nattrs, flags))
			return 0;
		snap = rg_snapshot_acquire(ctx, &slot);
		ss = rg_snapshot_service(snap, svc);
		len = strlen(user);
		hit = rbac_request(ctx, ss, req, len, rg_hash_mem(user, len),
		                   -1, flags, out);
		rg_snapshot_release(ctx, slot);
		return hit;
	}
	snap = rg_snapshot_acquire(ctx, &slot);
	ss = rg_snapshot_service(snap, svc);
	hit = rg_table_check(ss, req->subject.user, req->action, &res);
	rg_snapshot_release(ctx, slot);
	if (hit) {
		out->result = res;
		out->status = RG_OK;
		rg_table_log(ctx, req, res);
	}
	return hit;
}

/* The stack's decision (what the table does not decide), logged.  Each
 * caller has reset out (decision_reset()), and a table that did not decide
 * left it so: it is not reset again on every check. */
static int check_stack(const rg_context *ctx, const struct rg_service *svc,
                       const rg_request *req, unsigned flags,
                       const struct rg_check_known *known, rg_decision *out)
{
	struct rg_subject_view sv;
	int rc;

	rc = subject_resolve_in(ctx, svc, &req->subject, known, &sv, out);
	if (rc != RG_OK)
		return rc;
	if (known && known->priv >= 0)
		rc = check_view_priv(svc, req, &sv, &sv.roles, known->priv,
		                     flags, out);
	else
		rc = check_view(svc, req, &sv, &sv.roles, flags, out);
	rg_subject_release(ctx, &sv);
	check_log(ctx, req, out, "");
	return rc;
}

/*
 * A check of a directory user with one request attribute and no reason or
 * trace (rg_table_scope_wants()): by the scopes the plugin compiled
 * (table.c, ABI 1.6) when they decide, else by the stack, as
 * rg_check_known() with the snapshot taken, the user hashed and the action
 * looked up once for both.  rg_check()'s status.  Out of rg_check()'s
 * frame: the table's own path stays small.
 */
static __attribute__((noinline)) int
scope_check(const rg_context *ctx, const struct rg_service *svc,
            const rg_request *req, unsigned flags, rg_decision *out)
{
	struct rg_check_known known;
	const struct rg_snap_service *ss;
	const char *user = req->subject.user;
	size_t len = strlen(user);
	rg_result res;
	unsigned slot;
	const char *id = NULL;
	int rc;

	known.snap = rg_snapshot_acquire(ctx, &slot);
	known.user_hash = rg_hash_mem(user, len);
	known.slot = NULL;
	known.priv = rg_intern_get(&svc->reg.priv_ix, req->action);
	ss = rg_snapshot_service(known.snap, svc);
	if (ss && ss->table.spans)
		id = rg_table_scope(ss, user, len, known.user_hash, known.priv,
		                    req->attrs, &res);
	if (id) {
		rg_snapshot_release(ctx, slot);
		out->result = res;
		out->status = RG_OK;
		rg_table_log(ctx, req, res);
		return RG_OK;
	}
	rc = check_stack(ctx, svc, req, flags, &known, out);
	rg_snapshot_release(ctx, slot);
	return rc;
}

/*
 * The compiled scope's answer with its reason (ABI 1.7) of a check of the
 * user of len bytes at user (hash h), privilege priv and one request
 * attribute, on ss: the user's id in the snapshot when it wrote out, else
 * NULL with out untouched.
 */
static const char *scope_why(const struct rg_snap_service *ss, const char *user,
                             size_t len, uint64_t h, long priv,
                             const rg_attr *attr, rg_decision *out)
{
	const struct rg_scope_why *why;
	const char *id, *text;
	rg_result res;

	if (!ss || !ss->table.nwhys)
		return NULL;
	id =
	    rg_table_scope_why(ss, user, len, h, priv, attr, &res, &why, &text);
	if (!id ||
	    !rg_stack_scope(ss->svc, ss, res, why, text, id, attr->value, out))
		return NULL;
	return id;
}

/*
 * A check with a reason (rg_table_scope_why_wants()) by the reasons the
 * plugin compiled with its scopes (ABI 1.7), logged: 1 when they decided.
 * 0 leaves out untouched, and the check to rg_check()'s own path, where
 * the stack is inlined (this frame's copy of it would be a second one).
 * Out of rg_check()'s frame, as scope_check().
 */
static __attribute__((noinline)) int
scope_why_check(const rg_context *ctx, const struct rg_service *svc,
                const rg_request *req, rg_decision *out)
{
	const struct rg_snap_service *ss;
	const char *user = req->subject.user;
	unsigned slot;
	size_t len;
	int hit = 0;

	ss = rg_snapshot_service(rg_snapshot_acquire(ctx, &slot), svc);
	/* A service without reasons (most stacks) pays only the read. */
	if (ss && ss->table.nwhys) {
		len = strlen(user);
		hit = scope_why(ss, user, len, rg_hash_mem(user, len),
		                rg_intern_get(&svc->reg.priv_ix, req->action),
		                req->attrs, out) != NULL;
	}
	rg_snapshot_release(ctx, slot);
	if (hit)
		check_log(ctx, req, out, TABLE_LOG);
	return hit;
}

int rg_check_known(const rg_context *ctx, const struct rg_service *svc,
                   const rg_request *req, unsigned flags,
                   const struct rg_check_known *known, rg_decision *out)
{
	decision_reset(out);
	/* As rg_check() would: a reason from the table when it has one. */
	if (rbac_wants(ctx, req->subject.user, req->nattrs, flags) &&
	    req->action &&
	    rbac_request(ctx, rg_snapshot_service(known->snap, svc), req,
	                 strlen(req->subject.user), known->user_hash,
	                 known->priv, flags, out))
		return RG_OK;
	if (ctx->dir && rg_table_scope_why_wants(req, flags) &&
	    scope_why(rg_snapshot_service(known->snap, svc), req->subject.user,
	              strlen(req->subject.user), known->user_hash, known->priv,
	              req->attrs, out)) {
		check_log(ctx, req, out, TABLE_LOG);
		return RG_OK;
	}
	return check_stack(ctx, svc, req, flags, known, out);
}

/*
 * rg_check() for a caller that wants no decision, into one of our own: in
 * a frame of its own, so that every other check's frame stays small (a
 * decision is larger than a page, and the compiler probes a frame that
 * large page by page on every call).
 */
static __attribute__((noinline)) int
check_scratch(const rg_context *ctx, const rg_request *req, unsigned flags)
{
	rg_decision scratch;

	return rg_check(ctx, req, flags, &scratch);
}

/*
 * Flattened: every call the check makes into this file's and the engine's
 * functions (LTO) is inlined into it, but for those kept out on purpose
 * (noinline: scope_check(), check_scratch()).  Measured under callgrind on
 * the bench's mix: 3 % fewer instructions by id, 6 % with a reason, 11 %
 * with roles in the request, for 15 KB more code and no change of rate.
 */
__attribute__((flatten)) int rg_check(const rg_context *ctx,
                                      const rg_request *req, unsigned flags,
                                      rg_decision *out)
{
	const struct rg_service *svc;

	if (!out)
		return check_scratch(ctx, req, flags);
	decision_reset(out);
	if (!ctx || !req || !req->service || !req->action) {
		rg_decision_deny(out, RG_EINVAL,
		                 "incomplete request: service, subject and "
		                 "action are required");
		return RG_EINVAL;
	}
	svc = rg_service_find(ctx, req->service);
	if (!svc) {
		rg_decision_deny(out, RG_ENOSERVICE, "unknown service '%.*s'",
		                 RG_ID_MAX, req->service);
		return RG_ENOSERVICE;
	}
	if (ctx->dir && rg_table_scope_wants(req, flags))
		return scope_check(ctx, svc, req, flags, out);
	if (ctx->dir && rg_table_scope_why_wants(req, flags) &&
	    scope_why_check(ctx, svc, req, out))
		return RG_OK;
	if (table_check(ctx, svc, req, flags, out))
		return RG_OK;
	return check_stack(ctx, svc, req, flags, NULL, out);
}

int rg_subject_roles(const rg_context *ctx, const char *service,
                     const rg_subject *subject, char *buf, size_t len)
{
	const struct rg_service *svc;
	struct rg_subject_view sv;
	struct rg_req_view rv;
	rg_plugin_request preq;
	rg_decision d;
	size_t pos = 0, w;
	int rc;

	if (!ctx || !service || !subject || !buf || !len)
		return RG_EINVAL;
	buf[0] = '\0';
	svc = rg_service_find(ctx, service);
	if (!svc)
		return RG_ENOSERVICE;
	rc = rg_subject_resolve(ctx, svc, subject, &sv, &d);
	if (rc != RG_OK)
		return rc;
	memset(&preq, 0, sizeof(preq));
	rv.ss = sv.ss;
	rv.user = sv.user;
	preq.view = &rv;
	/* Any stack entry resolves ids: they are the service's. */
	preq.handle = svc->nentries ? svc->entries[0] : NULL;
	for (w = 0; preq.handle && w < RG_ROLE_WORDS && rc == RG_OK; w++) {
		uint64_t m = sv.roles.w[w];

		/* Only the set bits: a subject holds a handful of roles. */
		for (; m && rc == RG_OK; m &= m - 1) {
			uint32_t r = (uint32_t)(w * RG_BITSET_WORD_BITS +
			                        (size_t)__builtin_ctzll(m));
			const char *id = rg_request_role_id(&preq, (long)r);
			size_t n;

			if (!id)
				continue;
			n = strlen(id);
			if (pos + (pos ? 1 : 0) + n + 1 > len) {
				rc = RG_ELIMIT;
				break;
			}
			if (pos)
				buf[pos++] = ',';
			memcpy(buf + pos, id, n + 1);
			pos += n;
		}
	}
	rg_subject_release(ctx, &sv);
	return rc;
}

int rg_allowed(const rg_context *ctx, const rg_request *req)
{
	rg_decision d;

	return rg_check(ctx, req, 0, &d) == RG_OK && d.result == RG_ALLOW;
}

int rg_validate(const rg_context *ctx, const char *service,
                const rg_subject *subject, rg_validation *out)
{
	const struct rg_service *svc;
	struct rg_subject_view sv;
	struct rg_req_view rv;
	rg_plugin_request preq;
	rg_decision d;
	size_t i;
	int rc;

	if (!ctx || !service || !subject || !out)
		return RG_EINVAL;
	/* Not valid until proven so. */
	out->ok = 0;
	out->nmissing = 0;
	svc = rg_service_find(ctx, service);
	if (!svc)
		return RG_ENOSERVICE;
	rc = rg_subject_resolve(ctx, svc, subject, &sv, &d);
	if (rc != RG_OK)
		return rc;
	memset(&preq, 0, sizeof(preq));
	preq.service = svc->name;
	preq.user = subject->user;
	preq.roles = &sv.roles;
	preq.action = -1;
	preq.subject_attrs = sv.attrs;
	preq.nsubject_attrs = sv.nattrs;
	rv.ss = sv.ss;
	rv.user = sv.user;
	preq.view = &rv;
	rc = RG_OK;
	for (i = 0; i < svc->nentries; i++) {
		const struct rg_plugin_handle *h = svc->entries[i];

		/* A plugin that did not load cannot vouch for anything. */
		if (h->status != RG_OK) {
			rc = h->status;
			break;
		}
		preq.handle = h;
		rc = rg_call_validate(h, &preq, out);
		if (rc != RG_OK)
			break;
	}
	rg_subject_release(ctx, &sv);
	out->ok = rc == RG_OK && out->nmissing == 0;
	return rc;
}

/* ---- resolved once (rg_target) ------------------------------------------ */

struct rg_target {
	const struct rg_context *ctx;
	uint64_t ctx_id; /* ctx->id when resolved: a context at the same
	                  * address later has another */
	const struct rg_service *svc;
	long priv; /* the action's privilege index in svc */
};

int rg_target_resolve(const rg_context *ctx, const char *service,
                      const char *action, rg_target **out)
{
	const struct rg_service *svc;
	rg_target *t;
	long priv;

	if (out)
		*out = NULL;
	if (!ctx || !service || !action || !out)
		return RG_EINVAL;
	svc = rg_service_find(ctx, service);
	if (!svc)
		return RG_ENOSERVICE;
	/* Declared or nothing, as rg_check() has it (resolve_action()). */
	priv = rg_intern_get(&svc->reg.priv_ix, action);
	if (priv < 0)
		return RG_ENOACTION;
	t = calloc(1, sizeof(*t));
	if (!t)
		return RG_ENOMEM;
	t->ctx = ctx;
	t->ctx_id = ctx->id;
	t->svc = svc;
	t->priv = priv;
	*out = t;
	return RG_OK;
}

void rg_target_free(rg_target *t)
{
	free(t);
}

uint64_t rg_user_hash(const char *user, size_t len)
{
	return user ? rg_hash_mem(user, len) : 0;
}

/* Whether t was resolved on ctx (and both are there). */
static inline int target_of(const rg_context *ctx, const rg_target *t)
{
	return ctx && t && t->ctx == ctx && t->ctx_id == ctx->id;
}

/* The checks on what rg_check_target() was given; RG_OK or a deny. */
static int target_args(const rg_context *ctx, const rg_target *t,
                       const char *user, size_t len, rg_decision *out)
{
	if (!target_of(ctx, t)) {
		rg_decision_deny(out, RG_EINVAL,
		                 "the target was not resolved on this context");
		return RG_EINVAL;
	}
	if (!user || !len) {
		rg_decision_deny(out, RG_EINVAL,
		                 "the request's user is empty or not text");
		return RG_EINVAL;
	}
	if (!ctx->dir) {
		rg_decision_deny(
		    out, RG_ENOUSER,
		    "unknown user '%.*s': there is no directory of users",
		    (int)(len < RG_ID_MAX ? len : RG_ID_MAX), user);
		return RG_ENOUSER;
	}
	return RG_OK;
}

/* The request rg_check() would have been given, for the stack and logs. */
static void target_request(const rg_target *t, const char *user,
                           const rg_attr *attrs, size_t nattrs, rg_request *req)
{
	memset(req, 0, sizeof(*req));
	req->service = t->svc->name;
	req->subject.user = user;
	req->action = t->svc->reg.privs[t->priv].id;
	req->attrs = attrs;
	req->nattrs = nattrs;
}

/* rg_check_target() once the arguments are good, on the snapshot snap
 * (ss: its part of the target's service), when the table did not answer
 * (target_table()): in a frame of its own, so that the table's fast path
 * (rg_check_target()) stays small.  Flattened for the reason rg_check()
 * is: the stack's steps inlined save a take-inquiry check 6 % of its
 * instructions (1,823 -> 1,708), the bench's target mix 447 -> 441. */
static __attribute__((noinline, flatten)) int
target_slow(const rg_context *ctx, const rg_target *t,
            const struct rg_snapshot *snap, const struct rg_snap_service *ss,
            const char *user, size_t len, uint64_t hash, const rg_attr *attrs,
            size_t nattrs, unsigned flags, rg_decision *out)
{
	struct rg_check_known known = {snap, hash, NULL, t->priv};
	rg_request req;

	/* The index's would take a NUL inside for the end of a shorter id
	 * (the table's comparison refuses one on its own). */
	if (memchr(user, '\0', len)) {
		rg_decision_deny(out, RG_EINVAL,
		                 "the request's user is empty or not text");
		return RG_EINVAL;
	}
	known.slot =
	    ss ? rg_intern_slot_get_len(&ss->user_ix, user, len, hash) : NULL;
	if (!known.slot) {
		rg_decision_deny(out, RG_ENOUSER,
		                 "unknown user '%.*s' in service '%s'",
		                 (int)(len < RG_ID_MAX ? len : RG_ID_MAX), user,
		                 t->svc->name);
		return RG_ENOUSER;
	}
	/* The snapshot's copy of the id: terminated, and as long as the
	 * check holds the snapshot. */
	target_request(t, known.slot->key, attrs, nattrs, &req);
	return check_stack(ctx, t->svc, &req, flags, &known, out);
}

/* The debug log line of a decision the table made for t, with its reason
 * when reason is set (rare: out of rg_check_target()'s frame). */
static __attribute__((noinline)) void
target_table_log(const rg_context *ctx, const rg_target *t, const char *id,
                 const rg_attr *attrs, size_t nattrs, int reason,
                 const rg_decision *out)
{
	rg_request req;

	target_request(t, id, attrs, nattrs, &req);
	if (reason)
		check_log(ctx, &req, out, TABLE_LOG);
	else
		rg_table_log(ctx, &req, out->result);
}

/* The table's answer of rg_check_target(), without a reason or with one
 * (rbac_check()): the user's id in the snapshot, or NULL, out reset. */
static const char *target_table(const rg_context *ctx, const rg_target *t,
                                const struct rg_snap_service *ss,
                                const char *user, size_t len, uint64_t hash,
                                const rg_attr *attrs, size_t nattrs,
                                unsigned flags, rg_decision *out)
{
	const char *id;
	rg_result res;

	if (!ss || nattrs > 1)
		return NULL;
	if (rg_flags_quiet(flags)) {
		/* One attribute: what the plugin compiled (ABI 1.6). */
		id = nattrs
		         ? rg_table_scope(ss, user, len, hash, t->priv, attrs,
		                          &res)
		         : rg_table_lookup(ss, user, len, hash, t->priv, &res);
		if (id) {
			out->result = res;
			out->status = RG_OK;
		}
		return id;
	}
	if (nattrs == 1 && !(flags & RG_CHECK_TRACE) && ctx->dir && user)
		return scope_why(ss, user, len, hash, t->priv, attrs, out);
	if (nattrs || !rbac_wants(ctx, user, nattrs, flags) || !ss->table.rbac)
		return NULL;
	return rbac_check(ss, user, len, hash, t->priv,
	                  t->svc->reg.privs[t->priv].id, flags, out);
}

/* rg_check_target() into a decision of our own (see check_scratch()). */
static __attribute__((noinline)) int
target_scratch(const rg_context *ctx, const rg_target *t, const char *user,
               size_t len, uint64_t hash, const rg_attr *attrs, size_t nattrs,
               unsigned flags)
{
	rg_decision scratch;

	return rg_check_target(ctx, t, user, len, hash, attrs, nattrs, flags,
	                       &scratch);
}

/* rg_check_target() of every kind: any flags, any attributes, a wrong
 * argument, a debug log.  Out of the quiet path's frame (target_quiet()). */
static __attribute__((noinline)) int
target_full(const rg_context *ctx, const rg_target *t, const char *user,
            size_t len, uint64_t hash, const rg_attr *attrs, size_t nattrs,
            unsigned flags, rg_decision *out)
{
	const struct rg_snapshot *snap;
	const struct rg_snap_service *ss;
	const char *id;
	unsigned slot;
	int rc;

	if (!out)
		return target_scratch(ctx, t, user, len, hash, attrs, nattrs,
		                      flags);
	decision_reset(out);
	rc = target_args(ctx, t, user, len, out);
	if (rc != RG_OK)
		return rc;
	snap = rg_snapshot_acquire(ctx, &slot);
	ss = rg_snapshot_service(snap, t->svc);
	id = target_table(ctx, t, ss, user, len, hash, attrs, nattrs, flags,
	                  out);
	if (id) {
		if (ctx->log_level >= RG_LOG_DEBUG)
			target_table_log(ctx, t, id, attrs, nattrs,
			                 !(flags & RG_CHECK_NO_REASON), out);
	} else {
		rc = target_slow(ctx, t, snap, ss, user, len, hash, attrs,
		                 nattrs, flags, out);
	}
	rg_snapshot_release(ctx, slot);
	return rc;
}

/* Whether rg_check_target() may take its quiet path: no reason, no trace,
 * at most the one attribute a plugin compiles, good arguments, a directory
 * and no debug log (which names each decision). */
static inline int target_quiet(const rg_context *ctx, const rg_target *t,
                               const char *user, size_t len, size_t nattrs,
                               unsigned flags, const rg_decision *out)
{
	return rg_flags_quiet(flags) && nattrs <= 1 && out && user && len &&
	       target_of(ctx, t) && ctx->dir && ctx->log_level < RG_LOG_DEBUG;
}

/*
 * rg_check_target() of a quiet check (target_quiet()), which the table
 * answers, in a frame of its own: in the larger frame that holds all the
 * cases, saving and restoring registers cost each quiet check 17
 * instructions more (the bench's table-answered checks by target, 320 ->
 * 303).  A quiet check the table cannot answer (a user it left out, an
 * attribute no plugin compiled: rare) goes on to target_slow() on the
 * snapshot it holds.  The table is asked here, not through
 * target_table(): that one inlines the paths with a reason too, and the
 * frame they need cost the quiet check 40 instructions (by target, 420
 * -> 460).
 */
static __attribute__((noinline)) int
target_table_quiet(const rg_context *ctx, const rg_target *t, const char *user,
                   size_t len, uint64_t hash, const rg_attr *attrs,
                   size_t nattrs, unsigned flags, rg_decision *out)
{
	const struct rg_snapshot *snap;
	const struct rg_snap_service *ss;
	const char *id = NULL;
	rg_result res;
	unsigned slot;
	int rc = RG_OK;

	decision_reset(out);
	snap = rg_snapshot_acquire(ctx, &slot);
	ss = rg_snapshot_service(snap, t->svc);
	if (ss)
		id = nattrs
		         ? rg_table_scope(ss, user, len, hash, t->priv, attrs,
		                          &res)
		         : rg_table_lookup(ss, user, len, hash, t->priv, &res);
	if (id)
		out->result = res;
	else
		rc = target_slow(ctx, t, snap, ss, user, len, hash, attrs,
		                 nattrs, flags, out);
	rg_snapshot_release(ctx, slot);
	return rc;
}

/* Only the choice between the two, so that a check with a reason pays
 * for neither frame (with the quiet path inlined here, its saving of
 * registers cost each such check 41 instructions before it went on). */
int rg_check_target(const rg_context *ctx, const rg_target *t, const char *user,
                    size_t len, uint64_t hash, const rg_attr *attrs,
                    size_t nattrs, unsigned flags, rg_decision *out)
{
	if (target_quiet(ctx, t, user, len, nattrs, flags, out))
		return target_table_quiet(ctx, t, user, len, hash, attrs,
		                          nattrs, flags, out);
	return target_full(ctx, t, user, len, hash, attrs, nattrs, flags, out);
}
