/*
 * attrs.c - the attributes a decision consults, read once and checked once.
 *
 * Request: department, open_chats, department_open_chats, connection.
 * Subject: status, max_chats, units,
 * departments.  The slow way reads them from the request's lists and
 * checks each against the organisation (org.h); for a directory user of a
 * prepared snapshot (prepare.c) the subject's come checked, their lists as
 * indexes, and only the request's are read.  A value that cannot be
 * trusted denies (fail closed) with a reason naming it.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include <rolegate/plugin.h>

#include "rocketchat.h"

/* The request attributes the plugin reads (the subject's: rocketchat.h). */
enum {
	RQ_DEPARTMENT,
	RQ_OPEN_CHATS,
	RQ_DEPT_OPEN_CHATS,
	RQ_CONNECTION,
	RQ_COUNT
};

static const char *const rc_request_keys[RQ_COUNT] = {
    [RQ_DEPARTMENT] = RC_ATTR_DEPARTMENT,
    [RQ_OPEN_CHATS] = RC_ATTR_OPEN_CHATS,
    [RQ_DEPT_OPEN_CHATS] = RC_ATTR_DEPT_OPEN_CHATS,
    [RQ_CONNECTION] = RC_ATTR_CONNECTION,
};

static const char *const rc_subject_keys[SJ_COUNT] = {
    [SJ_STATUS] = RC_SUBJ_STATUS,
    [SJ_MAX_CHATS] = RC_SUBJ_MAX_CHATS,
    [SJ_UNITS] = RC_SUBJ_UNITS,
    [SJ_DEPARTMENTS] = RC_SUBJ_DEPARTMENTS,
};

/* No key of a list: its slot functions answer this. */
#define RC_NO_SLOT (-1)

/* k when key is keys[k], else RC_NO_SLOT. */
static int rc_key_slot(const char *key, const char *const *keys, int k)
{
	return strcmp(key, keys[k]) ? RC_NO_SLOT : k;
}

/*
 * The slot of a request attribute key, or RC_NO_SLOT: its first letter
 * picks the key it may be, and one comparison confirms it.  "department"
 * and "department_open_chats" share their first letter: the first is
 * tried first, which settles the request's usual department with one
 * comparison (a strncmp() of their common prefix then a strcmp() cost
 * a take-inquiry check 14 instructions more).
 */
static int rc_request_slot(const char *key)
{
	switch (key[0]) {
	case 'd':
		if (rc_key_slot(key, rc_request_keys, RQ_DEPARTMENT) >= 0)
			return RQ_DEPARTMENT;
		return rc_key_slot(key, rc_request_keys, RQ_DEPT_OPEN_CHATS);
	case 'o':
		return rc_key_slot(key, rc_request_keys, RQ_OPEN_CHATS);
	case 'c':
		return rc_key_slot(key, rc_request_keys, RQ_CONNECTION);
	default:
		return RC_NO_SLOT;
	}
}

static int rc_subject_slot(const char *key)
{
	switch (key[0]) {
	case 's':
		return rc_key_slot(key, rc_subject_keys, SJ_STATUS);
	case 'm':
		return rc_key_slot(key, rc_subject_keys, SJ_MAX_CHATS);
	case 'u':
		return rc_key_slot(key, rc_subject_keys, SJ_UNITS);
	case 'd':
		return rc_key_slot(key, rc_subject_keys, SJ_DEPARTMENTS);
	default:
		return RC_NO_SLOT;
	}
}

/*
 * Reads nkeys keys in one pass over attrs, where rg_attr_get() would walk
 * them once per key; the result is the same: the first attribute with a
 * key gives its value (even a NULL one).  slot() says which key an
 * attribute is, with one comparison for most; inlined, so that slot() is
 * too.
 */
static inline __attribute__((always_inline)) void
rc_gather(const rg_attr *attrs, size_t n, int nkeys, int (*slot)(const char *),
          const char **out)
{
	unsigned todo = (1u << nkeys) - 1;
	size_t i;
	int k;

	for (k = 0; k < nkeys; k++)
		out[k] = NULL;
	for (i = 0; i < n && todo; i++) {
		const char *key = attrs[i].key;

		if (!key)
			continue;
		k = slot(key);
		if (k == RC_NO_SLOT || !((todo >> k) & 1u))
			continue;
		out[k] = attrs[i].value;
		todo &= ~(1u << k);
	}
}

/* rc_gather() of the subject attributes, for prepare.c. */
void rc_gather_subject(const rg_attr *attrs, size_t n,
                       const char *out[SJ_COUNT])
{
	rc_gather(attrs, n, SJ_COUNT, rc_subject_slot, out);
}

/* 1 when the comma-separated list holds the id (of length idlen). */
static int rc_list_has_n(const char *list, const char *id, size_t idlen)
{
	const char *cur = rc_list_begin(list), *item;
	size_t len;

	while (rc_list_next(&cur, &item, &len))
		if (len == idlen && !memcmp(item, id, idlen))
			return 1;
	return 0;
}

static int rc_list_has(const char *list, const char *id)
{
	return list && rc_list_has_n(list, id, strlen(id));
}

/*
 * The characters of an id, as rc_valid_id() says (isalnum() or "._-:"):
 * 1 for ASCII letters, digits and "._-:", which every locale agrees on,
 * 2 for bytes past ASCII, which only the locale's isalnum() can judge.
 */
static const unsigned char rc_id_chars[256] = {
    ['0' ... '9'] = 1, ['A' ... 'Z'] = 1,   ['a' ... 'z'] = 1,
    ['-'] = 1,         ['.'] = 1,           ['_'] = 1,
    [':'] = 1,         [0x80 ... 0xff] = 2,
};

static int rc_id_char(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (__builtin_expect(rc_id_chars[c] == 1, 1))
		return 1;
	return rc_id_chars[c] == 2 && isalnum(c);
}

/* The length of s when it is an id (rc_valid_id()), else 0; one pass. */
static size_t rc_id_len(const char *s)
{
	const char *p = s;

	while (rc_id_char(*p))
		p++;
	if (*p != '\0' || (size_t)(p - s) >= RG_ID_MAX)
		return 0;
	return (size_t)(p - s);
}

/*
 * 1 when every item of the list is an id: what rc_list_begin(),
 * rc_list_next() and rc_valid_id() say item by item, in one pass over the
 * text.
 */
int rc_list_ids_valid(const char *list)
{
	const char *s = list;

	while (rc_list_blank(*s))
		s++;
	if (*s == '\0')
		return 1; /* blank: no item at all */
	for (;;) {
		const char *item;

		while (rc_list_blank(*s))
			s++;
		item = s;
		while (rc_id_char(*s))
			s++;
		if (s == item || (size_t)(s - item) >= RG_ID_MAX)
			return 0;
		while (rc_list_blank(*s))
			s++;
		if (*s == '\0')
			return 1;
		if (*s != ',')
			return 0;
		s++;
	}
}

/*
 * Checks a subject list attribute: every item must be an id and, when the
 * directory or a tenant file has the organisation, one of its units or
 * departments.  A directory user's lists are the directory's own
 * memberships, which name what it has: only an ad-hoc subject's are
 * looked up.
 */
static int rc_check_list(const rg_plugin_request *req, struct rc_org *org,
                         const char *attr, const char *list, int units,
                         rg_plugin_answer *ans)
{
	const char *what = units ? "unit" : "department";
	const char *cur, *item;
	size_t len;

	if (req->user || !rc_org_checked(org)) {
		if (rc_list_ids_valid(list))
			return 1;
		rg_answer(ans,
		          "subject attribute %s='%s' is not a "
		          "comma-separated list of %s ids",
		          attr, list, what);
		return 0;
	}
	/* Item by item, so that the first bad item is the one reported. */
	cur = rc_list_begin(list);
	while (rc_list_next(&cur, &item, &len)) {
		int known;

		/* An id the tenant file has is valid: the file's ids were
		 * checked when it was read (a directory's names were not). */
		if (org->source == RC_ORG_TENANT &&
		    (units ? rc_tenant_unit(org->tenant, item, len) != NULL
		           : rc_tenant_department(org->tenant, item, len) !=
		                 NULL))
			continue;
		if (!rc_valid_id(item, len)) {
			rg_answer(ans,
			          "subject attribute %s='%s' is not a "
			          "comma-separated list of %s ids",
			          attr, list, what);
			return 0;
		}
		if (units) {
			known = rc_org_unit(org, item, len);
		} else {
			struct rc_dept d;
			const char *bad = NULL;

			known = rc_org_department(org, item, len, &d, &bad) !=
			        RC_DEPT_UNKNOWN;
		}
		if (!known) {
			rg_answer(ans,
			          "subject attribute %s names %s '%.*s', "
			          "which the tenant does not have (%s)",
			          attr, what, (int)len, item,
			          rc_org_source_name(org));
			return 0;
		}
	}
	return 1;
}

static int rc_check_count(const char *kind, const char *attr, const char *value,
                          long *out, rg_plugin_answer *ans)
{
	if (rc_parse_count(value, out))
		return 1;
	rg_answer(ans,
	          "%s attribute %s='%s' is not a whole number from 0 to %ld",
	          kind, attr, value, RC_COUNT_MAX);
	return 0;
}

/*
 * Reads the request's department d.  A directory user's department
 * memberships are departments of the directory, even those it keeps no
 * unit or limit for (and so no fact).
 */
static int rc_read_department(const rg_plugin_request *req, struct rc_attrs *a,
                              const char *d, rg_plugin_answer *ans)
{
	size_t len = rc_id_len(d);
	const char *bad = NULL;

	if (!len) {
		rg_answer(ans,
		          "request attribute department='%s' is not a "
		          "department id",
		          d);
		return 0;
	}
	a->department = d;
	switch (rc_org_department(&a->org, d, len, &a->dept, &bad)) {
	case RC_DEPT_FOUND:
		return 1;
	case RC_DEPT_UNKNOWN:
		if (req->user && rc_list_has_n(a->departments, d, len))
			return 1; /* in no unit and with no limit */
		break;
	case RC_DEPT_BAD:
		rg_answer(ans,
		          "department '%s': the directory's max_chats '%s' is "
		          "not a whole number from 0 to %ld",
		          d, bad, RC_COUNT_MAX);
		return 0;
	}
	rg_answer(ans,
	          "request attribute department='%s' names a department the "
	          "tenant does not have (%s)",
	          d, rc_org_source_name(&a->org));
	return 0;
}

/* The agent's connection, as given; RC_CONN_UNKNOWN when not a word of it. */
static enum rc_connection rc_parse_connection(const char *c)
{
	if (!strcmp(c, RC_CONNECTION_ONLINE))
		return RC_CONN_ONLINE;
	if (!strcmp(c, RC_CONNECTION_AWAY))
		return RC_CONN_AWAY;
	if (!strcmp(c, RC_CONNECTION_OFFLINE))
		return RC_CONN_OFFLINE;
	return RC_CONN_UNKNOWN;
}

/*
 * The request's take-inquiry context: the department's open chats and the
 * agent's connection, each checked (a bad value denies, named).
 */
static int rc_read_take_context(struct rc_attrs *a, const char *const *rq,
                                rg_plugin_answer *ans)
{
	if (rq[RQ_DEPT_OPEN_CHATS] &&
	    !rc_check_count("request", RC_ATTR_DEPT_OPEN_CHATS,
	                    rq[RQ_DEPT_OPEN_CHATS], &a->dept_open_chats, ans))
		return 0;
	a->connection_text = rq[RQ_CONNECTION];
	if (!rq[RQ_CONNECTION])
		return 1;
	a->connection = rc_parse_connection(rq[RQ_CONNECTION]);
	if (a->connection != RC_CONN_UNKNOWN)
		return 1;
	rg_answer(ans,
	          "request attribute connection='%s': expected online, away "
	          "or offline",
	          rq[RQ_CONNECTION]);
	return 0;
}

int rc_read_status(struct rc_attrs *a, const char *status,
                   rg_plugin_answer *ans)
{
	a->status = status;
	if (!status)
		return 1;
	if (!strcmp(status, RC_STATUS_AVAILABLE)) {
		a->available = 1;
		return 1;
	}
	if (!strcmp(status, RC_STATUS_UNAVAILABLE))
		return 1;
	rg_answer(ans,
	          "subject attribute status='%s': expected available or "
	          "unavailable",
	          status);
	return 0;
}

/*
 * Sets every field but org to "not given".  Field by field, not with
 * memset(): the struct is large enough that the compiler clears it with
 * a string instruction, which costs more than these stores, and this
 * runs on every check that reads attributes.  A field added to struct
 * rc_attrs is added here.
 */
static void rc_attrs_clear(struct rc_attrs *a)
{
	a->department = NULL;
	a->dept.known = 0;
	a->dept.unit = NULL;
	a->dept.max_chats = 0;
	a->open_chats = a->dept_open_chats = -1;
	a->connection = RC_CONN_UNKNOWN;
	a->connection_text = NULL;
	a->community = a->chat_rule = a->bot = 0;
	a->status = NULL;
	a->available = 0;
	a->max_chats = 0;
	a->units = a->departments = NULL;
	a->prep = NULL;
	a->pu = NULL;
	a->dept_ix = a->unit_ix = -1;
}

/*
 * Reads every attribute the plugin knows, in one pass over each list, and
 * checks them whatever the action: a value that cannot be trusted denies
 * (fail closed) with a reason naming it.  They are checked in a fixed
 * order, so that the reason names the first bad one.  Attributes the
 * plugin does not know are left to other plugins.
 */
static int rc_read_attrs_slow(const struct rocketchat *st,
                              const rg_plugin_request *req, struct rc_attrs *a,
                              rg_plugin_answer *ans)
{
	const char *rq[RQ_COUNT], *sj[SJ_COUNT];

	rc_attrs_clear(a);
	rc_org_init(&a->org, req, &st->tenant, ans->flags);
	rc_gather(req->attrs, req->nattrs, RQ_COUNT, rc_request_slot, rq);
	rc_gather(req->subject_attrs, req->nsubject_attrs, SJ_COUNT,
	          rc_subject_slot, sj);
	a->departments = sj[SJ_DEPARTMENTS];
	a->units = sj[SJ_UNITS];
	if (rq[RQ_DEPARTMENT] &&
	    !rc_read_department(req, a, rq[RQ_DEPARTMENT], ans))
		return 0;
	if (rq[RQ_OPEN_CHATS] &&
	    !rc_check_count("request", RC_ATTR_OPEN_CHATS, rq[RQ_OPEN_CHATS],
	                    &a->open_chats, ans))
		return 0;
	if (!rc_read_take_context(a, rq, ans))
		return 0;
	if (!rc_read_status(a, sj[SJ_STATUS], ans))
		return 0;
	if (sj[SJ_MAX_CHATS] &&
	    !rc_check_count("subject", RC_SUBJ_MAX_CHATS, sj[SJ_MAX_CHATS],
	                    &a->max_chats, ans))
		return 0;
	if (a->units &&
	    !rc_check_list(req, &a->org, RC_SUBJ_UNITS, a->units, 1, ans))
		return 0;
	if (a->departments && !rc_check_list(req, &a->org, RC_SUBJ_DEPARTMENTS,
	                                     a->departments, 0, ans))
		return 0;
	return 1;
}

/* ---- Read from a prepared snapshot ------------------------------------- */

/* 1 when the user's list (departments or units) holds index ix. */
static int rc_puser_has(const struct rc_prepared *p, const struct rc_puser *pu,
                        enum rc_plist which, long ix)
{
	struct rc_pspan s = rc_puser_span(p, pu, which);
	size_t i;

	if (ix < 0)
		return 0;
	/* Two loops, not rc_pspan_at(): no test of the kind per index. */
	if (s.ix16) {
		for (i = 0; i < s.n; i++)
			if (s.ix16[i] == ix)
				return 1;
		return 0;
	}
	for (i = 0; i < s.n; i++)
		if (s.ix32[i] == (uint64_t)ix)
			return 1;
	return 0;
}

/*
 * The request's department from the prepared table, as
 * rc_read_department() finds it.  0 when the slow path must tell: a bad
 * id, a department no user names (the source is then asked), a bad
 * limit, or one the source does not have and the subject is no agent of
 * (an error, whose reason the slow path gives).
 */
static int rc_prepared_department(const struct rc_prepared *p,
                                  const struct rc_puser *pu, const char *d,
                                  struct rc_attrs *a)
{
	const struct rc_pdept *pd;

	/* Every name in p->depts is an id (view_prepare() takes ids only),
	 * so one found there needs no check of its characters: only another
	 * value is read byte by byte. */
	a->dept_ix = rg_names_find(p->depts, d);
	if (a->dept_ix < 0 && !rc_id_len(d))
		return 0;
	a->department = d;
	if (p->source == RC_ORG_NONE) {
		/* Nothing to check against: in no unit (rc_org_department()).
		 */
		a->dept.known = 1;
		return 1;
	}
	if (a->dept_ix < 0)
		return 0;
	pd = &p->dinfo[a->dept_ix];
	switch (pd->kind) {
	case RC_PDEPT_FOUND:
		a->dept.known = 1;
		a->dept.max_chats = pd->max_chats;
		a->unit_ix = pd->unit;
		if (pd->unit >= 0)
			a->dept.unit =
			    rg_names_name(p->units, (size_t)pd->unit);
		return 1;
	case RC_PDEPT_MEMBER:
		/* Known to its agents only, in no unit and with no limit. */
		return rc_puser_has(p, pu, RC_PLIST_DEPTS, a->dept_ix);
	default:
		return 0;
	}
}

/*
 * rc_read_attrs_slow() for a directory user of a prepared snapshot: the
 * request's attributes are read as there, the subject's come checked.
 * Returns 1, or 0 when the slow path must read them (it then answers as
 * it always did).
 */
static int rc_read_prepared(const struct rocketchat *st,
                            const rg_plugin_request *req,
                            const struct rc_prepared *p,
                            const struct rc_puser *pu, struct rc_attrs *a,
                            const rg_plugin_answer *ans)
{
	const char *rq[RQ_COUNT], *sj[SJ_COUNT];

	rc_attrs_clear(a);
	rc_org_init_resolved(&a->org, req, &st->tenant, p->source,
	                     p->org_units);
	rc_gather(req->attrs, req->nattrs, RQ_COUNT, rc_request_slot, rq);
	if (rq[RQ_DEPARTMENT] &&
	    !rc_prepared_department(p, pu, rq[RQ_DEPARTMENT], a))
		return 0;
	if (rq[RQ_OPEN_CHATS] &&
	    !rc_parse_count(rq[RQ_OPEN_CHATS], &a->open_chats))
		return 0;
	if (rq[RQ_DEPT_OPEN_CHATS] &&
	    !rc_parse_count(rq[RQ_DEPT_OPEN_CHATS], &a->dept_open_chats))
		return 0;
	a->connection_text = rq[RQ_CONNECTION];
	if (rq[RQ_CONNECTION]) {
		a->connection = rc_parse_connection(rq[RQ_CONNECTION]);
		if (a->connection == RC_CONN_UNKNOWN)
			return 0; /* the slow path names it */
	}
	/* A fast user's status was one of the two words, as its bits say. */
	if (pu->bits & RC_PU_STATUS)
		a->status = pu->bits & RC_PU_AVAILABLE ? RC_STATUS_AVAILABLE
		                                       : RC_STATUS_UNAVAILABLE;
	a->available = !!(pu->bits & RC_PU_AVAILABLE);
	a->max_chats = (long)(pu->bits >> RC_PU_MAX_SHIFT);
	/* The lists' text only shows in reasons: the subject's attributes
	 * are the user's, which view_prepare() read. */
	if (!(ans->flags & RG_ANSWER_QUIET)) {
		rc_gather(req->subject_attrs, req->nsubject_attrs, SJ_COUNT,
		          rc_subject_slot, sj);
		a->units = sj[SJ_UNITS];
		a->departments = sj[SJ_DEPARTMENTS];
	}
	a->prep = p;
	a->pu = pu;
	return 1;
}

/*
 * Reads and checks the attributes: from the prepared snapshot when the
 * subject is one of its users with its own roles (the core says so with
 * the user's index), else, or when in doubt, the slow way.
 */
/* What take-inquiry needs of the plugin's state and the subject's roles. */
static void rc_read_context(const struct rocketchat *st,
                            const rg_plugin_request *req, struct rc_attrs *a)
{
	a->community = st->edition == RC_EDITION_COMMUNITY;
	a->chat_rule = st->chat_rule;
	a->bot = st->bot >= 0 && req->roles &&
	         rg_roleset_has(req->roles, (uint32_t)st->bot);
}

int rc_read_attrs(const struct rocketchat *st, const rg_plugin_request *req,
                  struct rc_attrs *a, rg_plugin_answer *ans)
{
	const struct rc_prepared *p;
	long i;

	/* Only a directory user has a prepared record: a subject given by
	 * its roles does not ask for the snapshot's. */
	p = req->user ? rg_request_prepared(req) : NULL;
	if (p) {
		i = rg_request_user_index(req);
		if (i >= 0 && (size_t)i < p->nusers &&
		    (p->users[i].bits & RC_PU_FAST) &&
		    rc_read_prepared(st, req, p, &p->users[i], a, ans)) {
			rc_read_context(st, req, a);
			return 1;
		}
	}
	if (!rc_read_attrs_slow(st, req, a, ans))
		return 0;
	rc_read_context(st, req, a);
	return 1;
}

/* 1 when the subject is an agent of the request's department. */
int rc_agent_of(const struct rc_attrs *a)
{
	if (a->pu)
		return rc_puser_has(a->prep, a->pu, RC_PLIST_DEPTS, a->dept_ix);
	return rc_list_has(a->departments, a->department);
}

/* 1 when the subject monitors the unit of the request's department. */
int rc_monitor_of(const struct rc_attrs *a)
{
	if (a->pu)
		return rc_puser_has(a->prep, a->pu, RC_PLIST_UNITS, a->unit_ix);
	return rc_list_has(a->units, a->dept.unit);
}
