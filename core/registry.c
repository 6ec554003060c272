/*
 * registry.c - a service's roles and privileges, interned to dense indexes.
 *
 * Plugins declare ids while the context is built; the core keeps, for each
 * role, the privileges it grants and its prerequisite roles as bitsets, and
 * for each privilege the roles that grant it.  A decision then reduces to a
 * few word-wide ANDs over fixed-size sets: no allocation, no lock.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int word_has(const uint64_t *w, uint32_t i)
{
	return (w[i / RG_BITSET_WORD_BITS] >> (i % RG_BITSET_WORD_BITS)) & 1u;
}

static void word_set(uint64_t *w, uint32_t i)
{
	w[i / RG_BITSET_WORD_BITS] |= (uint64_t)1 << (i % RG_BITSET_WORD_BITS);
}

/* The words of a role set that can hold r's declared roles. */
static size_t declared_words(const rg_registry *r)
{
	return (r->nroles + RG_BITSET_WORD_BITS - 1) / RG_BITSET_WORD_BITS;
}

/* The lowest role in sub that set lacks, or -1; sub holds only declared
 * roles, in its first nw words. */
static long first_missing_in(const rg_roleset *sub, const rg_roleset *set,
                             size_t nw)
{
	size_t i;

	for (i = 0; i < nw; i++) {
		uint64_t m = sub->w[i] & ~set->w[i];
		if (m)
			return (long)(i * RG_BITSET_WORD_BITS +
			              (size_t)__builtin_ctzll(m));
	}
	return -1;
}

void rg_registry_init(rg_registry *r)
{
	memset(r, 0, sizeof(*r));
	rg_intern_init(&r->role_ix);
	rg_intern_init(&r->priv_ix);
}

void rg_registry_free(rg_registry *r)
{
	size_t i, j;

	for (i = 0; i < r->nroles; i++) {
		free(r->roles[i].id);
		free(r->roles[i].name);
		free(r->roles[i].description);
		free(r->roles[i].prereq_list);
	}
	for (i = 0; i < r->nprivs; i++) {
		free(r->privs[i].id);
		free(r->privs[i].description);
		free(r->privs[i].req_list);
		free(r->privs[i].scope);
		for (j = 0; j < r->privs[i].nnotes; j++)
			free(r->privs[i].notes[j]);
		free(r->privs[i].notes);
	}
	free(r->roles);
	free(r->privs);
	rg_intern_free(&r->role_ix);
	rg_intern_free(&r->priv_ix);
	rg_registry_init(r);
}

void rg_registry_close_prereqs(const rg_registry *r, rg_roleset *set)
{
	int changed = 1;

	/* Iterate to a fixed point: prerequisite chains are short. */
	while (changed) {
		size_t i;

		changed = 0;
		for (i = 0; i < r->nroles; i++) {
			size_t w;

			if (!rg_roleset_has(set, (uint32_t)i))
				continue;
			for (w = 0; w < RG_ROLE_WORDS; w++) {
				uint64_t add =
				    r->roles[i].prereqs.w[w] & ~set->w[w];
				if (add) {
					set->w[w] |= add;
					changed = 1;
				}
			}
		}
	}
}

/* ---- declarations (while building) ------------------------------------ */

static rg_registry *handle_reg(rg_plugin_handle *h)
{
	return &h->svc->reg;
}

static int building(const rg_plugin_handle *h)
{
	return h && h->svc && h->svc->ctx->building;
}

int rg_declare_privilege(rg_plugin_handle *h, const char *id,
                         const char *description, uint32_t *out)
{
	rg_registry *r;
	struct rg_priv *p;
	long idx;
	int rc;

	if (!building(h) || !rg_id_valid(id))
		return RG_EINVAL;
	r = handle_reg(h);
	idx = rg_intern_get(&r->priv_ix, id);
	if (idx >= 0) {
		if (out)
			*out = (uint32_t)idx;
		/* Shared between plugins, but declared once per plugin. */
		return r->privs[idx].owner == h ? RG_EEXIST : RG_OK;
	}
	if (r->nprivs >= RG_MAX_PRIVILEGES)
		return RG_ELIMIT;
	rc = RG_GROW(r->privs, r->capprivs, r->nprivs + 1);
	if (rc != RG_OK)
		return rc;
	p = &r->privs[r->nprivs];
	memset(p, 0, sizeof(*p));
	p->id = rg_strdup(id);
	p->description = rg_strdup(description ? description : "");
	p->owner = h;
	if (!p->id || !p->description)
		goto nomem;
	p->id_len = strlen(p->id);
	rc = rg_intern_put(&r->priv_ix, p->id, (uint32_t)r->nprivs);
	if (rc != RG_OK)
		goto nomem;
	if (out)
		*out = (uint32_t)r->nprivs;
	r->nprivs++;
	return RG_OK;
nomem:
	free(p->id);
	free(p->description);
	return RG_ENOMEM;
}

int rg_declare_role(rg_plugin_handle *h, const char *id, const char *name,
                    const char *description, unsigned flags, uint32_t *out)
{
	rg_registry *r;
	struct rg_role *role;
	long idx;
	int rc;

	if (!building(h) || !rg_id_valid(id))
		return RG_EINVAL;
	r = handle_reg(h);
	idx = rg_intern_get(&r->role_ix, id);
	if (idx >= 0) {
		if (out)
			*out = (uint32_t)idx;
		return RG_EEXIST;
	}
	if (r->nroles >= RG_MAX_ROLES)
		return RG_ELIMIT;
	rc = RG_GROW(r->roles, r->caproles, r->nroles + 1);
	if (rc != RG_OK)
		return rc;
	role = &r->roles[r->nroles];
	memset(role, 0, sizeof(*role));
	role->id = rg_strdup(id);
	role->name = rg_strdup(name && *name ? name : id);
	role->description = rg_strdup(description ? description : "");
	role->flags = flags;
	role->owner = h;
	if (!role->id || !role->name || !role->description)
		goto nomem;
	rc = rg_intern_put(&r->role_ix, role->id, (uint32_t)r->nroles);
	if (rc != RG_OK)
		goto nomem;
	rg_roleset_add(&h->own, (uint32_t)r->nroles);
	if (out)
		*out = (uint32_t)r->nroles;
	r->nroles++;
	return RG_OK;
nomem:
	free(role->id);
	free(role->name);
	free(role->description);
	return RG_ENOMEM;
}

int rg_grant(rg_plugin_handle *h, uint32_t role, uint32_t priv)
{
	rg_registry *r;

	if (!building(h))
		return RG_EINVAL;
	r = handle_reg(h);
	if (role >= r->nroles || priv >= r->nprivs)
		return RG_EINVAL;
	if (r->roles[role].owner != h)
		return RG_EREFUSED;
	word_set(r->roles[role].grants, priv);
	rg_roleset_add(&r->privs[priv].granted_by, role);
	return RG_OK;
}

static int push_index(uint32_t **list, size_t *n, size_t *cap, uint32_t v)
{
	if (RG_GROW(*list, *cap, *n + 1) != RG_OK)
		return RG_ENOMEM;
	(*list)[(*n)++] = v;
	return RG_OK;
}

int rg_require_role(rg_plugin_handle *h, uint32_t role, uint32_t prereq)
{
	rg_registry *r;
	struct rg_role *ro;

	if (!building(h))
		return RG_EINVAL;
	r = handle_reg(h);
	if (role >= r->nroles || prereq >= r->nroles || role == prereq)
		return RG_EINVAL;
	ro = &r->roles[role];
	if (ro->owner != h)
		return RG_EREFUSED;
	if (rg_roleset_has(&ro->prereqs, prereq))
		return RG_EEXIST;
	rg_roleset_add(&ro->prereqs, prereq);
	return push_index(&ro->prereq_list, &ro->nprereq, &ro->capprereq,
	                  prereq);
}

int rg_require_for_privilege(rg_plugin_handle *h, uint32_t priv, uint32_t role)
{
	rg_registry *r;
	struct rg_priv *p;

	if (!building(h))
		return RG_EINVAL;
	r = handle_reg(h);
	if (role >= r->nroles || priv >= r->nprivs)
		return RG_EINVAL;
	p = &r->privs[priv];
	/* Only the plugin that declared it first: another entry's rule would
	 * change decisions the owner worked out ahead (subject_answers). */
	if (p->owner != h)
		return RG_EREFUSED;
	if (rg_roleset_has(&p->requires, role))
		return RG_EEXIST;
	rg_roleset_add(&p->requires, role);
	word_set(r->with_requires, priv);
	return push_index(&p->req_list, &p->nreq, &p->capreq, role);
}

int rg_declare_scope(rg_plugin_handle *h, uint32_t priv, const char *attribute)
{
	rg_registry *r;
	struct rg_priv *p;

	if (!building(h) || !rg_id_valid(attribute))
		return RG_EINVAL;
	r = handle_reg(h);
	if (priv >= r->nprivs)
		return RG_EINVAL;
	p = &r->privs[priv];
	if (p->scope)
		return strcmp(p->scope, attribute) == 0 ? RG_OK : RG_EEXIST;
	p->scope = rg_strdup(attribute);
	return p->scope ? RG_OK : RG_ENOMEM;
}

int rg_declare_note(rg_plugin_handle *h, uint32_t priv, const char *text)
{
	rg_registry *r;
	struct rg_priv *p;
	char *copy;
	size_t i;
	int rc;

	if (!building(h) || !rg_text_valid(text, RG_NOTE_MAX))
		return RG_EINVAL;
	r = handle_reg(h);
	if (priv >= r->nprivs)
		return RG_EINVAL;
	p = &r->privs[priv];
	/* The same note again (a plugin stacked twice) is kept once. */
	for (i = 0; i < p->nnotes; i++)
		if (strcmp(p->notes[i], text) == 0)
			return RG_OK;
	copy = rg_strdup(text);
	if (!copy)
		return RG_ENOMEM;
	rc = rg_ptr_push((void ***)&p->notes, &p->nnotes, &p->capnotes, copy);
	if (rc != RG_OK)
		free(copy);
	return rc;
}

/* ---- lookups for plugins ----------------------------------------------- */

long rg_find_role(const rg_plugin_handle *h, const char *id)
{
	return h ? rg_intern_get(&h->svc->reg.role_ix, id) : -1;
}

long rg_find_privilege(const rg_plugin_handle *h, const char *id)
{
	return h ? rg_intern_get(&h->svc->reg.priv_ix, id) : -1;
}

const char *rg_role_id(const rg_plugin_handle *h, uint32_t role)
{
	return h && role < h->svc->reg.nroles ? h->svc->reg.roles[role].id
	                                      : NULL;
}

const char *rg_privilege_id(const rg_plugin_handle *h, uint32_t priv)
{
	return h && priv < h->svc->reg.nprivs ? h->svc->reg.privs[priv].id
	                                      : NULL;
}

unsigned rg_role_flags(const rg_plugin_handle *h, uint32_t role)
{
	return h && role < h->svc->reg.nroles ? h->svc->reg.roles[role].flags
	                                      : 0;
}

const rg_roleset *rg_own_roles(const rg_plugin_handle *h)
{
	return &h->own;
}

int rg_role_has_privilege(const rg_plugin_handle *h, uint32_t role,
                          uint32_t priv)
{
	const rg_registry *r = &h->svc->reg;

	return role < r->nroles && priv < r->nprivs &&
	       word_has(r->roles[role].grants, priv);
}

/* rg_effective(), every case: candidates in order, custom roles last. */
static int effective_all(const rg_plugin_request *req, const rg_roleset *roles,
                         uint32_t priv, rg_grant_info *out)
{
	const rg_plugin_handle *h = req->handle;
	const rg_registry *r = &h->svc->reg;
	const struct rg_priv *p;
	rg_roleset cand;
	/* Prerequisites, requirements and grants name declared roles only
	 * (custom roles are asked below): a service with 64 roles or fewer
	 * needs one word of each set, not RG_ROLE_WORDS. */
	size_t w, nw = declared_words(r);

	out->role = out->blocked = out->missing = -1;
	if (priv >= r->nprivs)
		return 0;
	p = &r->privs[priv];
	/* Candidates: the subject's roles, of this plugin, that grant priv. */
	for (w = 0; w < nw; w++)
		cand.w[w] = roles->w[w] & h->own.w[w] & p->granted_by.w[w];
	for (w = 0; w < nw; w++) {
		uint64_t m = cand.w[w];
		while (m) {
			uint32_t i = (uint32_t)(w * RG_BITSET_WORD_BITS +
			                        (size_t)__builtin_ctzll(m));
			long miss =
			    first_missing_in(&r->roles[i].prereqs, roles, nw);
			if (miss < 0)
				miss =
				    first_missing_in(&p->requires, roles, nw);
			if (miss < 0) {
				out->role = (long)i;
				out->blocked = out->missing = -1;
				return 1;
			}
			if (out->blocked < 0) {
				out->blocked = (long)i;
				out->missing = miss;
			}
			m &= m - 1;
		}
	}
	/* Custom roles have no prerequisites of their own; the privilege's
	 * still apply. */
	{
		long c = rg_snapshot_custom_grant(req, roles, priv);
		if (c >= 0) {
			long miss = first_missing_in(&p->requires, roles, nw);
			if (miss < 0) {
				out->role = c;
				out->blocked = out->missing = -1;
				return 1;
			}
			if (out->blocked < 0) {
				out->blocked = c;
				out->missing = miss;
			}
		}
	}
	return 0;
}

/*
 * 1 when roles holds a role past the declared ones of a registry of at most
 * 64: a custom role, whose index follows theirs (rg_snapshot_role_len()).
 */
static int holds_custom(const rg_registry *r, const rg_roleset *roles)
{
	uint64_t declared = r->nroles == RG_BITSET_WORD_BITS
	                        ? ~(uint64_t)0
	                        : ((uint64_t)1 << r->nroles) - 1;
	uint64_t rest = roles->w[0] & ~declared;
	size_t w;

	for (w = 1; w < RG_ROLE_WORDS; w++)
		rest |= roles->w[w];
	return rest != 0;
}

/* Whether the snapshot behind req has a custom role (NULL: none). */
static int has_custom(const rg_plugin_request *req)
{
	const struct rg_snap_service *ss = rg_request_ss(req);

	return ss && ss->ncustom;
}

/*
 * The common answers first, in few registers: a service of at most 64
 * declared roles (one word of each set) whose lowest candidate lacks no
 * prerequisite is the first grant effective_all() would find; one where
 * no declared role of the subject grants, and the subject holds no custom
 * role, is its deny with no role blocked.  Anything else is
 * effective_all()'s, which answers alike.
 * Plugins ask this once or more per check: the whole function's frame cost
 * a third of its instructions.
 */
int rg_effective(const rg_plugin_request *req, const rg_roleset *roles,
                 uint32_t priv, rg_grant_info *out)
{
	const rg_plugin_handle *h = req->handle;
	const rg_registry *r = &h->svc->reg;
	const struct rg_priv *p;
	uint64_t cand, have = roles->w[0];
	uint32_t i;

	if (r->nroles > RG_BITSET_WORD_BITS || priv >= r->nprivs)
		return effective_all(req, roles, priv, out);
	p = &r->privs[priv];
	cand = have & h->own.w[0] & p->granted_by.w[0];
	if (!cand) {
		/* A snapshot without custom roles gives none to hold: its
		 * subjects' bits past the declared roles grant nothing. */
		if (has_custom(req) && holds_custom(r, roles))
			return effective_all(req, roles, priv, out);
		out->role = out->blocked = out->missing = -1;
		return 0;
	}
	i = (uint32_t)__builtin_ctzll(cand);
	if ((r->roles[i].prereqs.w[0] | p->requires.w[0]) & ~have)
		return effective_all(req, roles, priv, out);
	out->role = (long)i;
	out->blocked = out->missing = -1;
	return 1;
}

/* 1 when every role of need is in have. */
static int roleset_covers(const rg_roleset *have, const rg_roleset *need)
{
	size_t w;

	for (w = 0; w < RG_ROLE_WORDS; w++)
		if (need->w[w] & ~have->w[w])
			return 0;
	return 1;
}

void rg_effective_set(const rg_plugin_request *req, const rg_roleset *roles,
                      uint64_t *out)
{
	const rg_plugin_handle *h = req->handle;
	const rg_registry *r = &h->svc->reg;
	const struct rg_snap_service *ss = rg_request_ss(req);
	size_t w, i, p;

	memset(out, 0, RG_PRIV_WORDS * sizeof(*out));
	/* The union of the grants of the subject's own roles whose
	 * prerequisites are met (rg_effective()'s candidates, all at once). */
	for (w = 0; w < RG_ROLE_WORDS; w++) {
		uint64_t m = roles->w[w] & h->own.w[w];

		for (; m; m &= m - 1) {
			const struct rg_role *role =
			    &r->roles[w * RG_BITSET_WORD_BITS +
			              (size_t)__builtin_ctzll(m)];

			if (!roleset_covers(roles, &role->prereqs))
				continue;
			for (i = 0; i < RG_PRIV_WORDS; i++)
				out[i] |= role->grants[i];
		}
	}
	/* The subject's custom roles of this plugin (no prerequisites). */
	for (i = 0; ss && i < ss->ncustom; i++) {
		const struct rg_snap_custom *c = &ss->custom[i];

		if (c->owner != h ||
		    !rg_roleset_has(roles, (uint32_t)(r->nroles + i)))
			continue;
		for (w = 0; w < RG_PRIV_WORDS; w++)
			out[w] |= c->grants[w];
	}
	/* A privilege's own required roles apply whoever grants it: only
	 * the few privileges that have some are looked at. */
	for (w = 0; w < RG_PRIV_WORDS; w++) {
		uint64_t m = r->with_requires[w] & out[w];

		for (; m; m &= m - 1) {
			p = w * RG_BITSET_WORD_BITS +
			    (size_t)__builtin_ctzll(m);
			if (!roleset_covers(roles, &r->privs[p].requires))
				out[w] &=
				    ~((uint64_t)1 << (p % RG_BITSET_WORD_BITS));
		}
	}
}

/*
 * "%s grants %s" of role, put together without parsing a format:
 * formatting was most of rg_decide_rbac()'s cost with a reason.
 */
static void grants_reason(const rg_plugin_request *req, long role,
                          rg_plugin_answer *ans)
{
	const char *why[] = {rg_request_role_id(req, role), " grants ",
	                     req->action_id};

	rg_concat(ans->reason, sizeof(ans->reason), why, RG_COUNTOF(why));
}

rg_result rg_decide_rbac(const rg_plugin_request *req, rg_plugin_answer *ans)
{
	const rg_plugin_handle *h = req->handle;
	const rg_registry *r = &h->svc->reg;
	rg_grant_info g;
	int quiet;

	if (req->action < 0) {
		ans->status = RG_ENOACTION;
		rg_answer(ans, "%s declares no action '%s'", h->name,
		          req->action_id ? req->action_id : "");
		return RG_DENY;
	}
	/* Quiet: the same decision, role and missing role, but no role id
	 * looked up for a reason nobody reads (checks on a gateway's path). */
	quiet = (ans->flags & RG_ANSWER_QUIET) != 0;
	if (rg_effective(req, req->roles, (uint32_t)req->action, &g)) {
		ans->role = g.role;
		if (!quiet)
			grants_reason(req, g.role, ans);
		return RG_ALLOW;
	}
	if (g.blocked >= 0) {
		const struct rg_priv *p = &r->privs[req->action];
		ans->role = g.blocked;
		ans->missing = g.missing;
		if (quiet)
			return RG_DENY;
		if (rg_roleset_has(&p->requires, (uint32_t)g.missing) &&
		    ((size_t)g.blocked >= r->nroles ||
		     !rg_roleset_has(&r->roles[g.blocked].prereqs,
		                     (uint32_t)g.missing)))
			rg_answer(ans,
			          "%s grants %s, but %s also requires role %s, "
			          "which the subject lacks",
			          rg_request_role_id(req, g.blocked),
			          req->action_id, req->action_id,
			          rg_request_role_id(req, g.missing));
		else
			rg_answer(ans,
			          "%s grants %s, but %s requires role %s, "
			          "which the subject lacks",
			          rg_request_role_id(req, g.blocked),
			          req->action_id,
			          rg_request_role_id(req, g.blocked),
			          rg_request_role_id(req, g.missing));
		return RG_DENY;
	}
	if (!quiet) {
		const char *why[] = {"no role of the subject grants ",
		                     req->action_id};

		rg_concat(ans->reason, sizeof(ans->reason), why,
		          RG_COUNTOF(why));
	}
	return RG_DENY;
}

int rg_answers_rbac(const rg_plugin_request *req, uint64_t *allow,
                    uint64_t *deny)
{
	size_t w;

	/* What rg_decide_rbac() does not allow it denies. */
	rg_effective_set(req, req->roles, allow);
	for (w = 0; w < RG_PRIV_WORDS; w++)
		deny[w] = ~allow[w];
	return RG_OK;
}

void rg_validation_add(rg_validation *v, const char *plugin, const char *role,
                       const char *missing)
{
	if (v->nmissing < RG_VALIDATE_MAX) {
		rg_missing *m = &v->missing[v->nmissing];
		rg_strlcpy(m->role, role ? role : "", sizeof(m->role));
		rg_strlcpy(m->missing, missing ? missing : "",
		           sizeof(m->missing));
		rg_strlcpy(m->plugin, plugin ? plugin : "", sizeof(m->plugin));
	}
	v->nmissing++;
	v->ok = 0;
}

int rg_validate_prereqs(const rg_plugin_request *req, rg_validation *out)
{
	const rg_plugin_handle *h = req->handle;
	const rg_registry *r = &h->svc->reg;
	size_t i, j;

	for (i = 0; i < r->nroles; i++) {
		const struct rg_role *ro = &r->roles[i];
		if (ro->owner != h || !rg_roleset_has(req->roles, (uint32_t)i))
			continue;
		for (j = 0; j < ro->nprereq; j++)
			if (!rg_roleset_has(req->roles, ro->prereq_list[j]))
				rg_validation_add(
				    out, h->name, ro->id,
				    r->roles[ro->prereq_list[j]].id);
	}
	/* A privilege the subject's roles grant may need roles of its own. */
	for (i = 0; i < r->nprivs; i++) {
		const struct rg_priv *p = &r->privs[i];
		int granted = 0;
		size_t w;

		for (w = 0; w < RG_ROLE_WORDS && !granted; w++)
			granted = (req->roles->w[w] & h->own.w[w] &
			           p->granted_by.w[w]) != 0;
		if (!granted)
			continue;
		for (j = 0; j < p->nreq; j++)
			if (!rg_roleset_has(req->roles, p->req_list[j]))
				rg_validation_add(out, h->name, p->id,
				                  r->roles[p->req_list[j]].id);
	}
	return RG_OK;
}

/* ---- listings for applications ------------------------------------------ */

size_t rg_role_count(const rg_service *svc)
{
	return svc ? svc->reg.nroles : 0;
}

int rg_role_at(const rg_service *svc, size_t i, rg_role_info *out)
{
	const struct rg_role *ro;

	if (!svc || !out || i >= svc->reg.nroles)
		return RG_EINVAL;
	ro = &svc->reg.roles[i];
	out->id = ro->id;
	out->name = ro->name;
	out->description = ro->description;
	out->plugin = ro->owner->name;
	out->flags = ro->flags;
	out->nprereqs = ro->nprereq;
	return RG_OK;
}

long rg_role_find(const rg_service *svc, const char *id)
{
	return svc ? rg_intern_get(&svc->reg.role_ix, id) : -1;
}

const char *rg_role_prereq(const rg_service *svc, size_t i, size_t j)
{
	if (!svc || i >= svc->reg.nroles || j >= svc->reg.roles[i].nprereq)
		return NULL;
	return svc->reg.roles[svc->reg.roles[i].prereq_list[j]].id;
}

int rg_role_grants(const rg_service *svc, size_t i, size_t p)
{
	return svc && i < svc->reg.nroles && p < svc->reg.nprivs &&
	       word_has(svc->reg.roles[i].grants, (uint32_t)p);
}

size_t rg_privilege_count(const rg_service *svc)
{
	return svc ? svc->reg.nprivs : 0;
}

int rg_privilege_at(const rg_service *svc, size_t i, rg_privilege_info *out)
{
	const struct rg_priv *p;

	if (!svc || !out || i >= svc->reg.nprivs)
		return RG_EINVAL;
	p = &svc->reg.privs[i];
	out->id = p->id;
	out->description = p->description;
	out->plugin = p->owner->name;
	out->nrequires = p->nreq;
	return RG_OK;
}

long rg_privilege_find(const rg_service *svc, const char *id)
{
	return svc ? rg_intern_get(&svc->reg.priv_ix, id) : -1;
}

const char *rg_privilege_requires(const rg_service *svc, size_t i, size_t j)
{
	if (!svc || i >= svc->reg.nprivs || j >= svc->reg.privs[i].nreq)
		return NULL;
	return svc->reg.roles[svc->reg.privs[i].req_list[j]].id;
}

const char *rg_privilege_scope(const rg_service *svc, size_t i)
{
	if (!svc || i >= svc->reg.nprivs)
		return NULL;
	return svc->reg.privs[i].scope;
}

const char *rg_privilege_note(const rg_service *svc, size_t i, size_t j)
{
	if (!svc || i >= svc->reg.nprivs || j >= svc->reg.privs[i].nnotes)
		return NULL;
	return svc->reg.privs[i].notes[j];
}
