/*
 * depth.c - Dataverse access depths of the dynamics365 plugin.
 *
 * A policy qualifies a grant with its depth ("user.view:business-unit");
 * the policy reader hands each qualifier to the plugin's grant hook, which
 * keeps it here.  On the decision path, the depth a subject holds a
 * privilege at is the greatest among its effective roles that grant it.
 */
#include <stdlib.h>
#include <string.h>

#include "dynamics365.h"

#include "private/rg_prim.h"

static const char *const depth_names[] = {
    [D365_DEPTH_USER] = "user",
    [D365_DEPTH_BUSINESS_UNIT] = "business-unit",
    [D365_DEPTH_PARENT_CHILD] = "parent-child",
    [D365_DEPTH_ORGANIZATION] = "organization",
};

#define DEPTH_COUNT RG_COUNTOF(depth_names)

const char *d365_depth_name(enum d365_depth depth)
{
	if ((size_t)depth >= DEPTH_COUNT)
		return "?";
	return depth_names[depth];
}

int d365_depth_parse(const char *s, enum d365_depth *out)
{
	size_t i;

	for (i = 0; s && i < DEPTH_COUNT; i++) {
		if (strcmp(s, depth_names[i]) == 0) {
			*out = (enum d365_depth)i;
			return RG_OK;
		}
	}
	return RG_EINVAL;
}

static struct d365_depth_grant *depths_lookup(const struct d365_depths *d,
                                              uint32_t role, uint32_t priv)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].role == role && d->v[i].priv == priv)
			return &d->v[i];
	return NULL;
}

int d365_depths_add(struct d365_depths *d, uint32_t role, uint32_t priv,
                    enum d365_depth depth)
{
	struct d365_depth_grant *g = depths_lookup(d, role, priv);

	if (g) {
		if (depth > g->depth)
			g->depth = depth;
		return RG_OK;
	}
	if (RG_GROW(d->v, d->cap, d->n + 1) != RG_OK)
		return RG_ENOMEM;
	d->v[d->n].role = role;
	d->v[d->n].priv = priv;
	d->v[d->n].depth = depth;
	d->n++;
	return RG_OK;
}

void d365_depths_free(struct d365_depths *d)
{
	free(d->v);
	free(d->priv);
	memset(d, 0, sizeof(*d));
}

static void roleset_add(rg_roleset *s, uint32_t i)
{
	if (i < RG_MAX_ROLES)
		s->w[i / RG_BITSET_WORD_BITS] |= (uint64_t)1
		                                 << (i % RG_BITSET_WORD_BITS);
}

int d365_depths_index(struct d365_depths *d, const rg_plugin_handle *h)
{
	const rg_roleset *own = rg_own_roles(h);
	uint32_t npriv = 0, p, r;
	size_t i;
	int want;

	for (i = 0; i < d->n; i++)
		if (d->v[i].priv + 1 > npriv)
			npriv = d->v[i].priv + 1;
	free(d->priv);
	d->priv = npriv ? calloc(npriv, sizeof(*d->priv)) : NULL;
	if (npriv && !d->priv)
		return RG_ENOMEM;
	d->npriv = npriv;
	d->declared = *own;
	for (p = 0; p < npriv; p++)
		d->priv[p].custom = d365_depths_custom(d, p);
	memset(d->qualified, 0, sizeof(d->qualified));
	for (i = 0; i < d->n; i++) {
		p = d->v[i].priv;
		if (p < RG_MAX_PRIVILEGES)
			d->qualified[p / RG_BITSET_WORD_BITS] |=
			    (uint64_t)1 << (p % RG_BITSET_WORD_BITS);
	}
	for (i = 0; i < d->n; i++)
		for (want = 0; want <= D365_DEPTH_ORGANIZATION; want++)
			if ((int)d->v[i].depth < want)
				roleset_add(&d->priv[d->v[i].priv].below[want],
				            d->v[i].role);
	/* Grants are final once the policy is read: only declare() grants. */
	for (r = 0; r < RG_MAX_ROLES; r++) {
		if (!rg_roleset_has(own, r))
			continue;
		for (p = 0; p < npriv; p++)
			if (rg_role_has_privilege(h, r, p))
				roleset_add(&d->priv[p].granters, r);
	}
	return RG_OK;
}

enum d365_depth d365_depths_custom(const struct d365_depths *d, uint32_t priv)
{
	enum d365_depth least = D365_DEPTH_ORGANIZATION;
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].priv == priv && d->v[i].depth < least)
			least = d->v[i].depth;
	return least;
}

/* A role an administrator created: not one the policy declared. */
static int is_custom(const struct d365_depths *d, uint32_t role)
{
	return !rg_roleset_has(&d->declared, role);
}

/*
 * The depth at which role (declared or custom) grants priv, from the
 * per-privilege index rather than a walk over every qualified grant.
 */
static enum d365_depth role_depth(const struct d365_depths *d, uint32_t role,
                                  uint32_t priv)
{
	const struct d365_priv_depths *pd;
	int want;

	/* No qualified grant of priv: every role holds it org-wide. */
	if (priv >= d->npriv)
		return D365_DEPTH_ORGANIZATION;
	pd = &d->priv[priv];
	if (is_custom(d, role))
		return pd->custom;
	/* below[want] holds the roles that grant priv at less than want. */
	for (want = D365_DEPTH_ORGANIZATION; want > D365_DEPTH_USER; want--)
		if (!rg_roleset_has(&pd->below[want], role))
			break;
	return (enum d365_depth)want;
}

/* Words that can hold a bit of s: past them every subset of s is empty. */
static size_t roleset_words(const rg_roleset *s)
{
	size_t n = RG_MAX_ROLES / RG_BITSET_WORD_BITS;

	while (n > 0 && !s->w[n - 1])
		n--;
	return n;
}

/*
 * The core answers "is priv held, and through which role?" but not "at what
 * depth?", and only it knows the prerequisites.  So ask it per depth,
 * greatest first, with the roles granting priv below that depth taken out:
 * the first depth at which the rest still hold priv effectively is the
 * combined depth.
 *
 * rg_effective() depends only on the set it is given, so the question is
 * asked only of sets not answered already: a set equal to the previous
 * depth's (which did not hold priv) is skipped, the whole set is answered
 * by held, and a set with no role that could grant priv is answered 0
 * without asking.  Usually no call is left.
 *
 * Custom roles all hold priv at one depth (d365_depths_custom()), so they
 * are taken out together.
 *
 * Taking a role out could in principle break the prerequisite of another
 * role, if a policy made a role that grants priv the prerequisite of one
 * that grants it deeper; the answer is then a lesser depth, never a
 * greater one.
 */
int d365_held_depth(const rg_plugin_request *req, const struct d365_depths *d,
                    const rg_roleset *roles, uint32_t priv, long held,
                    enum d365_depth *depth, long *role)
{
	const struct d365_priv_depths *pd =
	    priv < d->npriv ? &d->priv[priv] : NULL;
	size_t nw = roleset_words(roles), w;
	rg_roleset s, prev;
	int have_prev = 0, want;

	/* Without qualified grants, every role holds it org-wide. */
	if (!pd) {
		if (held < 0)
			return 0;
		*role = held;
		*depth = role_depth(d, (uint32_t)held, priv);
		return 1;
	}
	for (want = D365_DEPTH_ORGANIZATION; want >= D365_DEPTH_USER; want--) {
		int keep_custom = (int)pd->custom >= want;
		uint64_t changed = !have_prev, masked = 0, may_hold = 0;
		long found = -1;
		rg_grant_info gi;

		/* One pass: the set, and how it compares with the others. */
		for (w = 0; w < nw; w++) {
			uint64_t x = roles->w[w] & ~pd->below[want].w[w];

			if (!keep_custom)
				x &= d->declared.w[w];
			if (have_prev)
				changed |= x ^ prev.w[w];
			masked |= x ^ roles->w[w];
			/* A role granting priv, or one only the core knows
			 * (custom): else rg_effective() has no candidate. */
			may_hold |= x & (pd->granters.w[w] | ~d->declared.w[w]);
			s.w[w] = x;
		}
		if (!changed)
			continue; /* answered already: not held */
		if (!masked)
			found = held;
		else if (may_hold) {
			for (w = nw; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS;
			     w++)
				s.w[w] = 0;
			if (rg_effective(req, &s, priv, &gi))
				found = gi.role;
		}
		if (found >= 0) {
			*role = found;
			*depth = role_depth(d, (uint32_t)found, priv);
			return 1;
		}
		for (w = 0; w < nw; w++)
			prev.w[w] = s.w[w];
		have_prev = 1;
	}
	return 0;
}
