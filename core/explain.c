/*
 * explain.c - answers to administrators' questions: why a request is
 * denied and which roles would fix it; who can do an action.
 *
 * Suggestions are found by asking the real stack: for each role the subject
 * lacks, the role is added with its prerequisites (and the roles the action
 * itself requires), and the request is decided again.  The smallest sets
 * that allow come first; among equally small sets, the one that adds the
 * fewest privileges comes first (least privilege).  This is not on the
 * decision path, so it may take its time.
 */
#include "config.h"

#include <string.h>

#include "internal.h"

/* Pairs are tried only when no single role fixes it, in small registries. */
#define PAIR_SEARCH_MAX_ROLES 64

struct candidate {
	rg_roleset add;
	size_t nroles;
	size_t nprivs; /* privileges the subject would gain */
};

static size_t popcount_roles(const rg_roleset *s)
{
	size_t i, n = 0;

	for (i = 0; i < RG_ROLE_WORDS; i++)
		n += (size_t)__builtin_popcountll(s->w[i]);
	return n;
}

/* Privileges the roles in add grant that the roles in have do not. */
static size_t gained_privileges(const rg_registry *r, const rg_roleset *have,
                                const rg_roleset *add)
{
	uint64_t before[RG_PRIV_WORDS] = {0}, after[RG_PRIV_WORDS] = {0};
	size_t i, w, n = 0;

	for (i = 0; i < r->nroles; i++) {
		int in_have = rg_roleset_has(have, (uint32_t)i);
		int in_add = rg_roleset_has(add, (uint32_t)i);
		for (w = 0; w < RG_PRIV_WORDS && (in_have || in_add); w++) {
			if (in_have)
				before[w] |= r->roles[i].grants[w];
			after[w] |= r->roles[i].grants[w];
		}
	}
	for (w = 0; w < RG_PRIV_WORDS; w++)
		n += (size_t)__builtin_popcountll(after[w] & ~before[w]);
	return n;
}

static int better(const struct candidate *a, const struct candidate *b)
{
	if (a->nroles != b->nroles)
		return a->nroles < b->nroles;
	return a->nprivs < b->nprivs;
}

/* Inserts c in order, dropping duplicates and what does not fit. */
static void keep_candidate(struct candidate *list, size_t *n,
                           const struct candidate *c)
{
	size_t i, pos;

	for (i = 0; i < *n; i++)
		if (!memcmp(&list[i].add, &c->add, sizeof(c->add)))
			return;
	for (pos = 0; pos < *n && !better(c, &list[pos]); pos++)
		;
	if (pos >= RG_SUGGEST_MAX)
		return;
	if (*n == RG_SUGGEST_MAX)
		(*n)--;
	memmove(&list[pos + 1], &list[pos], (*n - pos) * sizeof(*list));
	list[pos] = *c;
	(*n)++;
}

struct search {
	const rg_context *ctx;
	const struct rg_service *svc;
	const rg_request *req;
	struct rg_subject_view sv;
	rg_roleset have;
	rg_roleset needs; /* roles the action itself requires */
	struct candidate list[RG_SUGGEST_MAX];
	size_t n;
};

/* Tries the subject plus extra (with prerequisites); keeps it if it allows. */
static void try_roles(struct search *s, const rg_roleset *extra)
{
	struct candidate c;
	rg_roleset all;
	rg_decision d;
	size_t w;

	for (w = 0; w < RG_ROLE_WORDS; w++)
		all.w[w] = s->have.w[w] | extra->w[w] | s->needs.w[w];
	rg_registry_close_prereqs(&s->svc->reg, &all);
	if (rg_check_view(s->ctx, s->svc, s->req, &s->sv, &all, 0, &d) !=
	        RG_OK ||
	    d.result != RG_ALLOW)
		return;
	for (w = 0; w < RG_ROLE_WORDS; w++)
		c.add.w[w] = all.w[w] & ~s->have.w[w];
	c.nroles = popcount_roles(&c.add);
	c.nprivs = gained_privileges(&s->svc->reg, &s->have, &c.add);
	keep_candidate(s->list, &s->n, &c);
}

static void search_singles(struct search *s)
{
	size_t i;

	for (i = 0; i < s->svc->reg.nroles; i++) {
		rg_roleset one;
		if (rg_roleset_has(&s->have, (uint32_t)i))
			continue;
		memset(&one, 0, sizeof(one));
		rg_roleset_add(&one, (uint32_t)i);
		try_roles(s, &one);
	}
}

static void search_pairs(struct search *s)
{
	size_t i, j, n = s->svc->reg.nroles;

	if (n > PAIR_SEARCH_MAX_ROLES)
		return;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			rg_roleset two;
			if (rg_roleset_has(&s->have, (uint32_t)i) ||
			    rg_roleset_has(&s->have, (uint32_t)j))
				continue;
			memset(&two, 0, sizeof(two));
			rg_roleset_add(&two, (uint32_t)i);
			rg_roleset_add(&two, (uint32_t)j);
			try_roles(s, &two);
		}
}

static void export_suggestions(const struct search *s, rg_explanation *out)
{
	size_t i, r;

	out->nsuggestions = 0;
	for (i = 0; i < s->n; i++) {
		rg_suggestion *sg;
		/* Only the smallest sets: larger ones are not the fix. */
		if (s->list[i].nroles != s->list[0].nroles)
			break;
		sg = &out->suggestions[out->nsuggestions++];
		sg->nroles = 0;
		for (r = 0;
		     r < s->svc->reg.nroles && sg->nroles < RG_SUGGEST_ROLES;
		     r++)
			if (rg_roleset_has(&s->list[i].add, (uint32_t)r))
				rg_strlcpy(sg->roles[sg->nroles++],
				           s->svc->reg.roles[r].id, RG_ID_MAX);
	}
}

int rg_explain(const rg_context *ctx, const rg_request *req,
               rg_explanation *out)
{
	struct search s;
	long action;
	int rc;

	if (!out)
		return RG_EINVAL;
	out->nsuggestions = 0;
	rc = rg_check(ctx, req, RG_CHECK_TRACE, &out->decision);
	if (rc != RG_OK || out->decision.result == RG_ALLOW)
		return rc;
	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	s.req = req;
	s.svc = rg_service_find(ctx, req->service);
	rc = rg_subject_resolve(ctx, s.svc, &req->subject, &s.sv,
	                        &out->decision);
	if (rc != RG_OK)
		return rc;
	s.have = s.sv.roles;
	action = rg_intern_get(&s.svc->reg.priv_ix, req->action);
	if (action >= 0)
	s.needs = s.svc->reg.privs[action].requires;
	search_singles(&s);
	if (s.n == 0)
		search_pairs(&s);
	export_suggestions(&s, out);
	rg_subject_release(ctx, &s.sv);
	return RG_OK;
}

int rg_whocan(const rg_context *ctx, const char *service, const char *action,
              rg_whocan_fn fn, void *user)
{
	const struct rg_service *svc = rg_service_find(ctx, service);
	long p;
	size_t i;

	if (!svc)
		return RG_ENOSERVICE;
	if (!fn || !action)
		return RG_EINVAL;
	p = rg_intern_get(&svc->reg.priv_ix, action);
	if (p < 0)
		return RG_ENOACTION;
	for (i = 0; i < svc->reg.nroles; i++)
		if (rg_roleset_has(&svc->reg.privs[p].granted_by,
		                   (uint32_t)i) &&
		    fn(user, svc, i) != 0)
			break;
	return RG_OK;
}
