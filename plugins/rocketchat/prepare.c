/*
 * prepare.c - prepared directory snapshots (view_prepare(), ABI 1.3).
 *
 * rc_read_attrs_slow() (attrs.c) works out on every check what depends
 * only on the snapshot: where the organisation comes from, the department's
 * unit and limit (string-keyed fact lookups), and the directory user's own
 * attributes, checked anew each time.  view_prepare() works them out once
 * per snapshot:
 *   - the names of the departments the users are agents of (and, with a
 *     tenant file, all of its departments), each looked up in the source
 *     once, in a table of our own keyed by the name;
 *   - the units those departments belong to and the users' units, so that
 *     a department's unit and a monitor's units compare as indexes;
 *   - each user's attributes, checked as the slow path checks them, with
 *     its lists as indexes.
 * Anything the prepared data does not answer outright (a bad attribute, a
 * department no user names, a bad limit) goes to the slow path, which then
 * gives the answer and the reason it always gave: the prepared path only
 * ever answers what the slow path would have found valid.
 *
 * This file builds the prepared data; attrs.c reads it on each decision.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

#include "private/rg_classes.h"
#include "private/rg_prim.h"

#include "rocketchat.h"

/* Adds the len bytes at id, an id (shorter than RG_ID_MAX, as lists hold
 * them), to ns: *ix gets its index.  RG_OK or an error. */
static int rc_names_add(rg_names *ns, const char *id, size_t len, long *ix)
{
	char buf[RG_ID_MAX];

	if (len >= sizeof(buf))
		return RG_ELIMIT;
	memcpy(buf, id, len);
	buf[len] = '\0';
	*ix = rg_names_add(ns, buf);
	return *ix < 0 ? (int)*ix : RG_OK;
}

static int rc_pool_add(struct rc_prepared *p, long ix)
{
	if (RG_GROW(p->pool, p->cappool, p->npool + 1) != RG_OK)
		return RG_ENOMEM;
	p->pool[p->npool++] = (uint32_t)ix;
	return RG_OK;
}

static void rc_prepared_free(struct rc_prepared *p)
{
	if (!p)
		return;
	rg_names_free(p->depts);
	rg_names_free(p->units);
	free(p->dinfo);
	rg_names_free(p->found);
	free(p->found_dept);
	free(p->dept_found);
	free(p->unit_first);
	free(p->users);
	free(p->shown);
	free(p->pool);
	free(p->scoped);
	free(p->cls);
	free(p->class_held);
	free(p->class_rules);
	free(p);
}

/*
 * The source, the default limit and the on/off settings, as rc_org_init(),
 * resolve() and take-inquiry find them on every decision: they depend on
 * the snapshot and the tenant alone.
 */
static void rc_prepare_org(const struct rocketchat *st,
                           const rg_plugin_request *req, struct rc_prepared *p)
{
	struct rc_org org;
	const char *bad = NULL;
	int from_directory, sw;

	rc_org_init(&org, req, &st->tenant, 0);
	rc_org_checked(&org); /* resolves source and units */
	p->source = org.source;
	p->org_units = org.units;
	p->default_ok = rc_org_default_limit(&org, &p->default_limit,
	                                     &p->default_from_directory, &bad);
	for (sw = 0; sw < RC_SWITCH_COUNT; sw++)
		p->sw[sw].ok =
		    rc_org_switch(&org, (enum rc_switch)sw, &p->sw[sw].on,
		                  &from_directory, &bad);
}

/*
 * Interns the items of a list rc_list_ids_valid() accepted and appends
 * their indexes to the pool; *count gets how many.
 */
static int rc_prepare_list(struct rc_prepared *p, rg_names *ns,
                           const char *list, uint32_t *count)
{
	const char *cur = rc_list_begin(list), *item;
	size_t len;
	long ix;
	int rc;

	*count = 0;
	while (rc_list_next(&cur, &item, &len)) {
		rc = rc_names_add(ns, item, len, &ix);
		if (rc == RG_OK)
			rc = rc_pool_add(p, ix);
		if (rc != RG_OK)
			return rc;
		(*count)++;
	}
	return RG_OK;
}

/*
 * Moves the user's lists, pool[first ..] as rc_prepare_user() put them,
 * into its record when they fit, and gives their room back: 1 when it
 * did.
 */
static int rc_prepare_inline(struct rc_prepared *p, struct rc_puser *pu,
                             size_t first)
{
	uint32_t nd = p->pool[first], nu = p->pool[first + 1], i;

	if (nd + nu > RC_PU_INLINE_MAX)
		return 0;
	for (i = 0; i < nd + nu; i++)
		if (p->pool[first + 2 + i] > UINT16_MAX)
			return 0;
	for (i = 0; i < nd + nu; i++)
		pu->at.ix[i] = (uint16_t)p->pool[first + 2 + i];
	pu->bits |=
	    RC_PU_INLINE | nd << RC_PU_NDEPTS_SHIFT | nu << RC_PU_NUNITS_SHIFT;
	p->npool = first;
	return 1;
}

/*
 * 1 when a list attribute's text, as given, is what its indexes s in ns
 * say: their names joined by commas, or, naming none, shown as "none"
 * whatever it is (a blank list names none).  A reason quoting it then
 * depends on the indexes alone, which the memo holds; another text (say,
 * with blanks) is quoted by no reason of a scope.
 */
static int rc_list_shown(const rg_names *ns, struct rc_pspan s,
                         const char *text)
{
	const char *name;
	size_t k, len;

	if (!s.n)
		return 1;
	for (k = 0; text && k < s.n; k++) {
		if (k && *text++ != ',')
			return 0;
		name = rg_names_name(ns, (size_t)rc_pspan_at(s, k));
		len = name ? strlen(name) : 0;
		if (!name || strncmp(text, name, len))
			return 0;
		text += len;
	}
	return text && *text == '\0';
}

/* The RC_SHOWN_* bits of the user pu, whose subject attributes are sj. */
static unsigned char rc_user_shown(const struct rc_prepared *p,
                                   const struct rc_puser *pu,
                                   const char *const *sj)
{
	unsigned char shown = 0;

	if (rc_list_shown(p->depts, rc_puser_span(p, pu, RC_PLIST_DEPTS),
	                  sj[SJ_DEPARTMENTS]))
		shown |= RC_SHOWN_DEPTS;
	if (rc_list_shown(p->units, rc_puser_span(p, pu, RC_PLIST_UNITS),
	                  sj[SJ_UNITS]))
		shown |= RC_SHOWN_UNITS;
	return shown;
}

/*
 * Checks user u's attributes as rc_read_attrs_slow() checks a directory
 * user's (its lists are ids; the directory's memberships need no lookup),
 * and keeps them.  A user with a bad one stays slow, so that the slow
 * path reports it with its reason.  RG_OK, or an allocation error.
 */
static int rc_prepare_user(struct rc_prepared *p, const rg_plugin_request *u,
                           struct rc_puser *pu, unsigned char *shown)
{
	rg_plugin_answer quiet = {
	    .role = -1, .missing = -1, .flags = RG_ANSWER_QUIET};
	const char *sj[SJ_COUNT];
	struct rc_attrs a;
	long max_chats = 0;
	size_t first = p->npool;
	uint32_t nd, nu;
	int rc;

	memset(pu, 0, sizeof(*pu));
	memset(&a, 0, sizeof(a));
	rc_gather_subject(u->subject_attrs, u->nsubject_attrs, sj);
	if (!u->user || !rc_read_status(&a, sj[SJ_STATUS], &quiet))
		return RG_OK;
	/* A count fits its bits (RC_COUNT_MAX does); should it not, slow. */
	if (sj[SJ_MAX_CHATS] &&
	    (!rc_parse_count(sj[SJ_MAX_CHATS], &max_chats) ||
	     max_chats > (long)RC_PU_MAX_CHATS))
		return RG_OK;
	if ((sj[SJ_UNITS] && !rc_list_ids_valid(sj[SJ_UNITS])) ||
	    (sj[SJ_DEPARTMENTS] && !rc_list_ids_valid(sj[SJ_DEPARTMENTS])))
		return RG_OK;
	/* at.first is 32 bits: a pool beyond them leaves the user slow. */
	if ((uint64_t)first > UINT32_MAX)
		return RG_OK;
	/* The two counts first, filled in once the lists are in. */
	rc = rc_pool_add(p, 0);
	if (rc == RG_OK)
		rc = rc_pool_add(p, 0);
	if (rc == RG_OK)
		rc = rc_prepare_list(p, p->depts, sj[SJ_DEPARTMENTS], &nd);
	if (rc == RG_OK)
		rc = rc_prepare_list(p, p->units, sj[SJ_UNITS], &nu);
	if (rc != RG_OK)
		return rc;
	p->pool[first] = nd;
	p->pool[first + 1] = nu;
	if (!rc_prepare_inline(p, pu, first))
		pu->at.first = (uint32_t)first;
	pu->bits |= (uint32_t)max_chats << RC_PU_MAX_SHIFT | RC_PU_FAST;
	if (a.status)
		pu->bits |= RC_PU_STATUS;
	if (a.available)
		pu->bits |= RC_PU_AVAILABLE;
	*shown = rc_user_shown(p, pu, sj);
	return RG_OK;
}

static int rc_prepare_users(const struct rocketchat *st,
                            const rg_plugin_request *req, struct rc_prepared *p)
{
	size_t i, n = rg_view_user_count(req);
	long ix;
	int rc;

	/* A tenant file's departments can all be listed: a request naming
	 * one no user is an agent of then needs no slow lookup. */
	for (i = 0; p->source == RC_ORG_TENANT && i < st->tenant.ndepartments;
	     i++) {
		const char *id = st->tenant.departments[i].id;

		rc = rc_names_add(p->depts, id, strlen(id), &ix);
		if (rc != RG_OK)
			return rc;
	}
	p->users = calloc(n ? n : 1, sizeof(*p->users));
	p->shown = calloc(n ? n : 1, sizeof(*p->shown));
	if (!p->users || !p->shown)
		return RG_ENOMEM;
	p->nusers = n;
	for (i = 0; i < n; i++) {
		rg_plugin_request u;

		/* A user the core cannot give stays slow (zeroed). */
		if (rg_view_user(req, i, &u) != RG_OK)
			continue;
		rc = rc_prepare_user(p, &u, &p->users[i], &p->shown[i]);
		if (rc != RG_OK)
			return rc;
	}
	return RG_OK;
}

/*
 * Looks every interned department up in the source, as
 * rc_read_department() would on each request naming it, and interns
 * their units.
 */
static int rc_prepare_depts(const struct rocketchat *st,
                            const rg_plugin_request *req, struct rc_prepared *p)
{
	size_t n = rg_names_count(p->depts), i;
	struct rc_org org;
	int rc;

	p->dinfo = calloc(n ? n : 1, sizeof(*p->dinfo));
	if (!p->dinfo)
		return RG_ENOMEM;
	/* The source rc_prepare_org() found: no fact counted again. */
	rc_org_init_resolved(&org, req, &st->tenant, p->source, p->org_units);
	for (i = 0; i < n; i++) {
		const char *id = rg_names_name(p->depts, i);
		struct rc_pdept *pd = &p->dinfo[i];
		const char *bad = NULL;
		struct rc_dept d;

		pd->unit = -1;
		switch (rc_org_department(&org, id, strlen(id), &d, &bad)) {
		case RC_DEPT_FOUND:
			pd->kind = RC_PDEPT_FOUND;
			pd->max_chats = d.max_chats;
			if (!d.unit)
				break;
			rc = rc_names_add(p->units, d.unit, strlen(d.unit),
			                  &pd->unit);
			if (rc != RG_OK)
				return rc;
			break;
		case RC_DEPT_UNKNOWN:
			pd->kind = RC_PDEPT_MEMBER;
			break;
		case RC_DEPT_BAD:
			pd->kind = RC_PDEPT_SLOW;
			break;
		}
	}
	return RG_OK;
}

/* Fills p->found and its maps from dinfo (see struct rc_prepared). */
static int rc_prepare_found(struct rc_prepared *p)
{
	size_t nd = rg_names_count(p->depts), nu = rg_names_count(p->units);
	size_t i, u, f = 0;
	size_t *at;

	p->found = rg_names_new();
	p->found_dept = calloc(nd ? nd : 1, sizeof(*p->found_dept));
	p->dept_found = calloc(nd ? nd : 1, sizeof(*p->dept_found));
	/* One more unit: the departments in no unit, last. */
	p->unit_first = calloc(nu + 2, sizeof(*p->unit_first));
	at = calloc(nu + 2, sizeof(*at));
	if (!p->found || !p->found_dept || !p->dept_found || !p->unit_first ||
	    !at) {
		free(at);
		return RG_ENOMEM;
	}
	/* Counting sort by unit: unit_first[u + 1] counts unit u's. */
	for (i = 0; i < nd; i++) {
		p->dept_found[i] = -1;
		if (p->dinfo[i].kind == RC_PDEPT_FOUND)
			p->unit_first[(p->dinfo[i].unit < 0
			                   ? nu
			                   : (size_t)p->dinfo[i].unit) +
			              1]++;
	}
	for (u = 0; u <= nu; u++) {
		p->unit_first[u + 1] += p->unit_first[u];
		at[u] = p->unit_first[u];
	}
	for (i = 0; i < nd; i++)
		if (p->dinfo[i].kind == RC_PDEPT_FOUND) {
			u = p->dinfo[i].unit < 0 ? nu
			                         : (size_t)p->dinfo[i].unit;
			p->found_dept[at[u]] = (long)i;
			p->dept_found[i] = (long)at[u]++;
			f++;
		}
	free(at);
	for (i = 0; i < f; i++)
		if (rg_names_add(
		        p->found,
		        rg_names_name(p->depts, (size_t)p->found_dept[i])) !=
		    (long)i)
			return RG_ENOMEM;
	p->ndepts = nd;
	p->nunits = nu;
	p->nfound = f;
	return RG_OK;
}

/* The privileges subject_scopes() compiles (struct rc_prepared). */
static int rc_prepare_scoped(const struct rocketchat *st, struct rc_prepared *p)
{
	size_t priv;

	p->scoped = calloc(st->nprivs ? st->nprivs : 1, sizeof(*p->scoped));
	if (!p->scoped)
		return RG_ENOMEM;
	/* The others' answers do not change with the department (decide()
	 * still answers them with one); take-inquiry's also depend on the
	 * status and limits. */
	for (priv = 0; priv < st->nprivs; priv++)
		if ((long)priv != st->take && rc_dept_scoped(st, priv))
			p->scoped[p->nscoped++] = (uint32_t)priv;
	return RG_OK;
}

/*
 * Each user's role-set class, and each class's held privileges and, with
 * rules, department rules (rc_class_rules(), asked with the class's first
 * user): they depend on the roles alone, and a tenant has a few dozen
 * sets, so this is done per set, not per user.
 */
static int rc_prepare_classes(const struct rocketchat *st,
                              const rg_plugin_request *req,
                              struct rc_prepared *p, int rules)
{
	struct rg_classes c;
	rg_plugin_request u;
	uint32_t *first = NULL;
	size_t i;
	int rc = rc_prepare_scoped(st, p);

	if (rc == RG_OK)
		rc = rg_classes_init(&c, p->nusers, p->nusers);
	if (rc != RG_OK)
		return rc;
	p->cls = malloc((p->nusers ? p->nusers : 1) * sizeof(*p->cls));
	first = malloc((p->nusers ? p->nusers : 1) * sizeof(*first));
	rc = RG_ENOMEM;
	if (!p->cls || !first)
		goto out;
	for (i = 0; i < p->nusers; i++) {
		rg_roleset roles;
		int fresh;

		/* A user the core cannot give is compiled by no rule. */
		p->cls[i] = RC_NO_CLASS;
		if (rg_view_user(req, i, &u) != RG_OK)
			continue;
		roles = *u.roles;
		if (st->edition == RC_EDITION_COMMUNITY)
			rc_drop_custom(st, &u, &roles);
		rc = rg_class_of(&c, &roles, &p->cls[i], &fresh);
		if (rc != RG_OK)
			goto out;
		if (fresh)
			first[p->cls[i]] = (uint32_t)i;
	}
	rc = RG_ENOMEM;
	p->class_held = calloc(c.n ? c.n : 1, sizeof(*p->class_held));
	if (rules)
		p->class_rules =
		    calloc(c.n && p->nscoped ? c.n * p->nscoped : 1,
		           sizeof(*p->class_rules));
	if (!p->class_held || (rules && !p->class_rules))
		goto out;
	for (i = 0; i < c.n; i++) {
		rc = rg_view_user(req, first[i], &u);
		if (rc != RG_OK)
			goto out;
		rc_class_rules(st, &u, &c.sets[i], p->org_units > 0, p->scoped,
		               p->nscoped, p->class_held[i],
		               rules ? p->class_rules + i * p->nscoped : NULL);
	}
	rc = RG_OK;
out:
	if (rc != RG_OK) {
		free(p->class_held);
		free(p->class_rules);
		p->class_held = NULL;
		p->class_rules = NULL;
	}
	rg_classes_done(&c);
	free(c.sets);
	free(first);
	return rc;
}

int rc_view_prepare(const void *state, const rg_plugin_request *req,
                    void **prepared)
{
	const struct rocketchat *st = state;
	struct rc_prepared *p;
	int rc;

	*prepared = NULL;
	/* Without its policy decide() only errs: nothing to prepare. */
	if (!st->loaded)
		return RG_OK;
	p = calloc(1, sizeof(*p));
	if (!p)
		return RG_ENOMEM;
	p->depts = rg_names_new();
	p->units = rg_names_new();
	if (!p->depts || !p->units) {
		rc = RG_ENOMEM;
		goto out;
	}
	rc_prepare_org(st, req, p);
	rc = rc_prepare_users(st, req, p);
	if (rc != RG_OK)
		goto out;
	/* Last: the users named the departments to look up. */
	rc = rc_prepare_depts(st, req, p);
	/* Without it no scope is compiled, and decide() answers as ever. */
	if (rc == RG_OK && rc_prepare_found(p) != RG_OK) {
		rg_names_free(p->found);
		p->found = NULL;
	}
	/* Likewise: without the classes, each user's is worked out, and
	 * no scope is compiled. */
	if (rc == RG_OK)
		(void)rc_prepare_classes(st, req, p,
		                         p->found && p->source != RC_ORG_NONE);
out:
	if (rc != RG_OK) {
		rc_prepared_free(p);
		return rc;
	}
	*prepared = p;
	return RG_OK;
}

void rc_view_release(const void *state, void *prepared)
{
	(void)state;
	rc_prepared_free(prepared);
}
