/*
 * fixed.c - a test-only plugin that answers one fixed result.
 *
 *   stack = CONTROL fixed result=allow|deny|abstain|error|invalid|prepared
 *                 |match|facts [tag=TEXT] [fail_prepare] [status=N]
 *
 * It lets the stack tests drive every control against every result.  With
 * result=error it answers RG_ERROR with status RG_EPLUGIN; result=invalid
 * answers a value outside enum rg_result, which the core must treat as an
 * error.  tag goes into the reason, so a test can tell which entry of a
 * stack the decision came from.
 *
 * result=prepared tests prepared snapshots (ABI 1.3): view_prepare() keeps
 * the ids of the snapshot's users, and the entry allows exactly a directory
 * user found at its own index there (rg_request_user_index()); anything
 * else is denied: no prepared data, index -1, another user at the index.
 * fail_prepare makes view_prepare() fail after it made everything, which
 * the core must release and do without.  Both log what they did at info.
 *
 * result=match shows a test the subject attributes the core hands a
 * plugin: it allows exactly when the request has attributes and each is
 * the subject's attribute of the same key, value for value (the reason
 * names the first that differs).
 *
 * result=facts tests RG_ANSWER_NO_FACTS (ABI 1.9): it allows exactly when
 * the flag says what rg_fact_count() says of the kinds the orgs plugin
 * declares (set when bu, unit and department all count 0, clear when one
 * does not); the reason gives the flag and the counts.
 *
 * status=N (any int, 0 by default) is set as ans->status with whatever
 * result it answers, so that a test can give the core a status outside the
 * contract (positive, unknown, or an error with an allow): the core must
 * take it as an error.  Such an entry answers nothing in bulk.
 *
 * scopes=bad|contradict (ABI 1.6) adds subject_scopes for result=allow,
 * whose decide() allows whatever the attributes.  bad calls rg_scope_memo()
 * and rg_scope_add() with each kind of bad argument and at the wrong
 * times, and fails (no table for the user) unless each is refused as
 * plugin.h says; then it compiles "owner" as without it, which is
 * decide()'s answer, once per memo (every even user gives the same), and
 * rg_scope_reason() (ABI 1.7), rg_scope_reason_keyed() and
 * rg_scope_reason_again() (1.8) must refuse each reason it gives.  contradict
 * adds SELF and then AS_WITHOUT for "owner": the core must drop both, or it
 * would deny owners decide() allows.
 *
 * It declares the privilege "fixed.test" and the role "tester", so that a
 * request from "@tester" for "fixed.test" reaches the stack (the core
 * rejects unknown roles and actions before any plugin is asked).  Several
 * fixed entries in one service share them.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

/* The privilege every fixed entry declares. */
#define FIXED_ACTION "fixed.test"
/* The role every fixed entry declares (it grants nothing). */
#define FIXED_ROLE "tester"
/* A result no plugin may return: the core must fail closed on it. */
#define FIXED_INVALID_RESULT 42

/* Indexes of fixed_results[]: the first four are the rg_result values. */
enum fixed_choice {
	FIXED_ALLOW = RG_ALLOW,
	FIXED_DENY = RG_DENY,
	FIXED_ABSTAIN = RG_ABSTAIN,
	FIXED_ERROR = RG_ERROR,
	FIXED_INVALID,
	FIXED_PREPARED,
	FIXED_MATCH,
	FIXED_FACTS,
};

static const char *const fixed_results[] = {
    "allow",    "deny",  "abstain", "error", "invalid",
    "prepared", "match", "facts",   NULL,
};

/* The kinds the orgs plugin declares: result=facts counts each. */
static const char *const fixed_fact_kinds[] = {"bu", "unit", "department"};
#define FIXED_NKINDS (sizeof(fixed_fact_kinds) / sizeof(fixed_fact_kinds[0]))

/* What subject_scopes does (scopes=). */
enum fixed_scopes { FIXED_SCOPES_NONE, FIXED_SCOPES_BAD, FIXED_SCOPES_CONTRA };

static const char *const fixed_scope_modes[] = {"none", "bad", "contradict",
                                                NULL};

struct fixed_state {
	int choice;
	const char *tag; /* handle-owned, or NULL */
	int fail_prepare;
	int scopes;                /* enum fixed_scopes */
	const char *status_text;   /* handle-owned, or NULL */
	int status;                /* set with every answer when not RG_OK */
	const rg_plugin_handle *h; /* for the log, open to close */
};

/* What result=prepared keeps of a snapshot: its users' ids, in order. */
struct fixed_prepared {
	size_t n;
	char **ids;
};

static int fixed_parse_args(rg_plugin_handle *h, int argc, char *const argv[],
                            struct fixed_state *st)
{
	const rg_argspec specs[] = {
	    {
	        .name = "result",
	        .type = RG_ARG_ENUM,
	        .required = 1,
	        .choices = fixed_results,
	        .dest = &st->choice,
	    },
	    {.name = "tag", .type = RG_ARG_STRING, .dest = &st->tag},
	    {
	        .name = "fail_prepare",
	        .type = RG_ARG_BOOL,
	        .dest = &st->fail_prepare,
	    },
	    {.name = "status", .type = RG_ARG_STRING, .dest = &st->status_text},
	    {
	        .name = "scopes",
	        .type = RG_ARG_ENUM,
	        .choices = fixed_scope_modes,
	        .dest = &st->scopes,
	    },
	    {.name = NULL},
	};
	char *end;
	long n;
	int rc = rg_args_parse(h, argc, argv, specs);

	if (rc != RG_OK || !st->status_text)
		return rc;
	/* RG_ARG_INT takes no negative number: statuses are negative. */
	errno = 0;
	n = strtol(st->status_text, &end, 10);
	if (errno || *end || !st->status_text[0] || n < INT_MIN ||
	    n > INT_MAX) {
		rg_plugin_error(h, NULL, 0, "status=%s: expected an integer",
		                st->status_text);
		return RG_EINVAL;
	}
	st->status = (int)n;
	return RG_OK;
}

static int fixed_open(rg_plugin_handle *h, int argc, char *const argv[],
                      void **state)
{
	struct fixed_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st) {
		rg_plugin_error(h, NULL, 0, "out of memory");
		return RG_ENOMEM;
	}
	rc = fixed_parse_args(h, argc, argv, st);
	if (rc != RG_OK) {
		free(st);
		return rc;
	}
	st->h = h;
	*state = st;
	return RG_OK;
}

static void fixed_close(void *state)
{
	free(state);
}

static int fixed_declare(void *state, rg_plugin_handle *h)
{
	int rc;

	/* Another fixed entry of the same service may have declared them. */
	rc = rg_declare_privilege(h, FIXED_ACTION, "Test action", NULL);
	if (rc != RG_OK && rc != RG_EEXIST)
		return rc;
	rc = rg_declare_role(h, FIXED_ROLE, "Tester", "", 0, NULL);
	return rc == RG_EEXIST ? RG_OK : rc;
}

/* 1 when req's subject is the directory user view_prepare() saw at its
 * index; why not in *why. */
static int fixed_prepared_user(const rg_plugin_request *req, const char **why)
{
	const struct fixed_prepared *p = rg_request_prepared(req);
	long u = rg_request_user_index(req);

	*why = "nothing prepared";
	if (!p)
		return 0;
	*why = "no user index";
	if (u < 0)
		return 0;
	*why = "another user at the index";
	if ((size_t)u >= p->n || !req->user || strcmp(p->ids[u], req->user))
		return 0;
	*why = "the user at its index";
	return 1;
}

/* 1 when req has attributes, each the subject's of its key; else the
 * key of the first that is not in *why. */
static int fixed_match(const rg_plugin_request *req, const char **why)
{
	size_t i;

	*why = "no request attribute";
	for (i = 0; i < req->nattrs; i++) {
		const char *v = rg_attr_get(
		    req->subject_attrs, req->nsubject_attrs, req->attrs[i].key);

		*why = req->attrs[i].key;
		if (!v || strcmp(v, req->attrs[i].value) != 0)
			return 0;
	}
	return req->nattrs > 0;
}

/* 1 when RG_ANSWER_NO_FACTS in ans says what the counts of req say. */
static int fixed_facts(const rg_plugin_request *req, rg_plugin_answer *ans,
                       const char *tag)
{
	int flag = (ans->flags & RG_ANSWER_NO_FACTS) != 0;
	size_t k, n[FIXED_NKINDS], total = 0;

	for (k = 0; k < FIXED_NKINDS; k++) {
		n[k] = rg_fact_count(req, fixed_fact_kinds[k]);
		total += n[k];
	}
	rg_answer(ans,
	          "fixed facts [%s]: flag %s, bu %zu, unit %zu, "
	          "department %zu",
	          tag, flag ? "set" : "clear", n[0], n[1], n[2]);
	return flag == (total == 0);
}

/* decide()'s result, for the choice of st. */
static rg_result fixed_result(const struct fixed_state *st,
                              const rg_plugin_request *req,
                              rg_plugin_answer *ans, const char *tag,
                              const char **why)
{
	switch (st->choice) {
	case FIXED_PREPARED: {
		int ok = fixed_prepared_user(req, why);

		rg_answer(ans, "fixed prepared [%s]: %s", tag, *why);
		return ok ? RG_ALLOW : RG_DENY;
	}
	case FIXED_MATCH:
		if (fixed_match(req, why))
			return RG_ALLOW;
		rg_answer(ans, "fixed match [%s]: not the subject's %s", tag,
		          *why);
		return RG_DENY;
	case FIXED_FACTS:
		return fixed_facts(req, ans, tag) ? RG_ALLOW : RG_DENY;
	case FIXED_ERROR:
		ans->status = RG_EPLUGIN;
		return RG_ERROR;
	case FIXED_INVALID:
		return (rg_result)FIXED_INVALID_RESULT;
	default:
		return (rg_result)st->choice;
	}
}

static rg_result fixed_decide(const void *state, const rg_plugin_request *req,
                              rg_plugin_answer *ans)
{
	const struct fixed_state *st = state;
	const char *tag = st->tag ? st->tag : "-", *why;
	rg_result res;

	rg_answer(ans, "fixed %s [%s]", fixed_results[st->choice], tag);
	res = fixed_result(st, req, ans, tag, &why);
	if (st->status != RG_OK)
		ans->status = st->status;
	return res;
}
/* Its one answer for every privilege, in bulk; error, invalid and match
 * (which reads the request) cannot
 * be tabled (the core then asks decide() each time). */
static int fixed_answers(const void *state, const rg_plugin_request *req,
                         uint64_t *allow, uint64_t *deny)
{
	const struct fixed_state *st = state;
	const char *why;
	uint64_t *set;
	size_t w;

	/* decide() must judge the status each time. */
	if (st->status != RG_OK)
		return RG_EPLUGIN;
	switch (st->choice) {
	case FIXED_PREPARED:
		set = fixed_prepared_user(req, &why) ? allow : deny;
		break;
	case FIXED_ALLOW:
		set = allow;
		break;
	case FIXED_DENY:
		set = deny;
		break;
	case FIXED_ABSTAIN:
		return RG_OK;
	default:
		return RG_EPLUGIN;
	}
	for (w = 0; w < RG_PRIV_WORDS; w++)
		set[w] = ~(uint64_t)0;
	return RG_OK;
}

static void fixed_release(const void *state, void *prepared)
{
	const struct fixed_state *st = state;
	struct fixed_prepared *p = prepared;
	size_t i;

	rg_plugin_log(st->h, RG_LOG_INFO, "released %zu users", p->n);
	for (i = 0; p->ids && i < p->n; i++)
		free(p->ids[i]);
	free(p->ids);
	free(p);
}

/* Bytes past the struct rg_view_user_sized() fills: a newer plugin's. */
#define FIXED_NEWER_BYTES 16
/* What the bytes it must not touch hold before the call. */
#define FIXED_FILL 0xa5

/*
 * rg_view_user_sized() (1.4) fills what rg_view_user() does for a struct of
 * this build's size, zeroes what a larger (newer) struct has past it, and
 * refuses a struct smaller than the 1.3 layout without writing to it.
 */
static int fixed_check_sized(const rg_plugin_request *req, size_t i,
                             const rg_plugin_request *u)
{
	struct {
		rg_plugin_request r;
		unsigned char newer[FIXED_NEWER_BYTES];
	} big;
	rg_plugin_request small;
	size_t k;

	memset(&big, FIXED_FILL, sizeof(big));
	if (rg_view_user_sized(req, i, &big.r, sizeof(big)) != RG_OK ||
	    memcmp(&big.r, u, sizeof(*u)) != 0)
		return RG_EPLUGIN;
	for (k = 0; k < sizeof(big.newer); k++)
		if (big.newer[k] != 0)
			return RG_EPLUGIN;
	memset(&small, FIXED_FILL, sizeof(small));
	if (rg_view_user_sized(req, i, &small, sizeof(small) - 1) !=
	        RG_EINVAL ||
	    ((unsigned char *)&small)[0] != FIXED_FILL)
		return RG_EPLUGIN;
	if (rg_view_user_sized(req, i, &small, sizeof(small)) != RG_OK ||
	    memcmp(&small, u, sizeof(*u)) != 0)
		return RG_EPLUGIN;
	return RG_OK;
}

/* Keeps every user's id; made whole before it may fail on purpose. */
static int fixed_prepare(const void *state, const rg_plugin_request *req,
                         void **prepared)
{
	const struct fixed_state *st = state;
	struct fixed_prepared *p;
	rg_plugin_request u;
	size_t i;

	if (st->choice != FIXED_PREPARED)
		return RG_OK;
	p = calloc(1, sizeof(*p));
	if (!p)
		return RG_ENOMEM;
	*prepared = p;
	p->n = rg_view_user_count(req);
	p->ids = calloc(p->n ? p->n : 1, sizeof(*p->ids));
	if (!p->ids)
		return RG_ENOMEM;
	for (i = 0; i < p->n; i++) {
		if (rg_view_user(req, i, &u) != RG_OK || !u.user ||
		    !(p->ids[i] = strdup(u.user)))
			return RG_ENOMEM;
		if (fixed_check_sized(req, i, &u) != RG_OK) {
			rg_plugin_log(st->h, RG_LOG_ERR,
			              "rg_view_user_sized() differs at %zu", i);
			return RG_EPLUGIN;
		}
	}
	/* Past the last user there is none. */
	if (rg_view_user(req, p->n, &u) != RG_EINVAL ||
	    rg_view_user_sized(req, p->n, &u, sizeof(u)) != RG_EINVAL)
		return RG_EPLUGIN;
	rg_plugin_log(st->h, RG_LOG_INFO, "prepared %zu users", p->n);
	return st->fail_prepare ? RG_EPLUGIN : RG_OK;
}

/* The index of fixed.test in req's service, or -1. */
static long fixed_priv(const rg_plugin_request *req)
{
	const char *id;
	long i;

	for (i = 0; (id = rg_privilege_id(req->handle, (uint32_t)i)); i++)
		if (strcmp(id, FIXED_ACTION) == 0)
			return i;
	return -1;
}

/* rg_scope_add() refuses each bad call as plugin.h says: 1 when it did. */
static int fixed_scopes_refused(rg_scopes *out, long p)
{
	char key[RG_ID_MAX + 2], many[] = "k0";
	int ok = 1, rc = RG_OK;
	rg_names *names = rg_names_new();

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	ok &= rg_scope_add(NULL, p, "owner", RG_SCOPE_SELF, NULL, 0, 0) ==
	      RG_EINVAL;
	ok &= rg_scope_add(out, -1, "owner", RG_SCOPE_SELF, NULL, 0, 0) ==
	      RG_EINVAL;
	ok &= rg_scope_add(out, RG_MAX_PRIVILEGES, "owner", RG_SCOPE_SELF, NULL,
	                   0, 0) == RG_EINVAL;
	ok &=
	    rg_scope_add(out, p, NULL, RG_SCOPE_SELF, NULL, 0, 0) == RG_EINVAL;
	ok &= rg_scope_add(out, p, "", RG_SCOPE_SELF, NULL, 0, 0) == RG_EINVAL;
	ok &= rg_scope_add(out, p, key, RG_SCOPE_SELF, NULL, 0, 0) == RG_EINVAL;
	ok &= rg_scope_add(out, p, "owner", (rg_scope_form)99, NULL, 0, 0) ==
	      RG_EINVAL;
	ok &= rg_scope_add(out, p, "owner", RG_SCOPE_WITHIN, NULL, 0, 1) ==
	      RG_EINVAL;
	ok &= rg_scope_add(out, p, "owner", RG_SCOPE_WITHIN, names, 2, 1) ==
	      RG_EINVAL;
	/* A reason (ABI 1.7): none for a scope "as without", nor with a
	 * bad argument. */
	ok &= rg_scope_reason(out, RG_ALLOW, -1, "%s", "x") == RG_EINVAL;
	ok &= rg_scope_reason(NULL, RG_ALLOW, -1, "x") == RG_EINVAL;
	ok &= rg_scope_reason(out, RG_ABSTAIN, -1, "x") == RG_EINVAL;
	ok &= rg_scope_reason(out, RG_DENY, -1, NULL) == RG_EINVAL;
	/* Keyed (ABI 1.8): the same refusals, and none taken again. */
	ok &=
	    rg_scope_reason_keyed(out, RG_ALLOW, -1, 1, "%s", "x") == RG_EINVAL;
	ok &= rg_scope_reason_keyed(NULL, RG_ALLOW, -1, 1, "x") == RG_EINVAL;
	ok &= rg_scope_reason_keyed(out, RG_ABSTAIN, -1, 1, "x") == RG_EINVAL;
	ok &= rg_scope_reason_keyed(out, RG_DENY, -1, 1, NULL) == RG_EINVAL;
	ok &= rg_scope_reason_again(out, RG_ALLOW, -1, 1) == RG_EINVAL;
	ok &= rg_scope_reason_again(NULL, RG_DENY, -1, 1) == RG_EINVAL;
	ok &= rg_scope_reason_again(out, RG_ABSTAIN, -1, 1) == RG_EINVAL;
	ok &= rg_scope_marker((rg_scope_mark)99) == NULL;
	ok &= rg_scope_marker(RG_SCOPE_MARK_VALUE) !=
	      rg_scope_marker(RG_SCOPE_MARK_USER);
	/* Eight keys a service at most ("owner" is the first). */
	for (many[1] = '0'; many[1] < '9' && rc == RG_OK; many[1]++)
		rc =
		    rg_scope_add(out, p, many, RG_SCOPE_AS_WITHOUT, NULL, 0, 0);
	ok &= rc == RG_ELIMIT && many[1] == '8';
	rg_names_free(names);
	return ok;
}

/*
 * rg_scope_memo() refuses each bad call, then takes the one memo every
 * even user gives: 1 when it did as plugin.h says, *hit whether an
 * earlier user gave it.  An odd user gives none, but one after its first
 * rule, which must be refused.
 */
static int fixed_memo_refused(rg_scopes *out, const rg_plugin_request *req,
                              long p, int *hit)
{
	static const char memo[] = "fixed";
	char big[RG_SCOPE_MEMO_MAX + 1];
	int ok = 1, rc;

	memset(big, 'm', sizeof(big));
	*hit = 0;
	/* No scope added yet: no reason. */
	ok &= rg_scope_reason(out, RG_ALLOW, -1, "x") == RG_EINVAL;
	ok &= rg_scope_reason_keyed(out, RG_ALLOW, -1, 1, "x") == RG_EINVAL;
	ok &= rg_scope_reason_again(out, RG_ALLOW, -1, 1) == RG_EINVAL;
	ok &= rg_scope_memo(NULL, memo, sizeof(memo)) == RG_EINVAL;
	ok &= rg_scope_memo(out, NULL, sizeof(memo)) == RG_EINVAL;
	ok &= rg_scope_memo(out, memo, 0) == RG_EINVAL;
	ok &= rg_scope_memo(out, big, sizeof(big)) == RG_EINVAL;
	if (rg_request_user_index(req) % 2) {
		ok &= rg_scope_add(out, p, "owner", RG_SCOPE_AS_WITHOUT, NULL,
		                   0, 0) == RG_OK;
		return ok &&
		       rg_scope_memo(out, memo, sizeof(memo)) == RG_EINVAL;
	}
	rc = rg_scope_memo(out, memo, sizeof(memo));
	ok &= rc == 0 || rc == 1;
	*hit = rc == 1;
	/* Asked once a user. */
	ok &= rg_scope_memo(out, memo, sizeof(memo)) == RG_EINVAL;
	/* After a hit the rules are another user's. */
	if (*hit)
		ok &= rg_scope_add(out, p, "owner", RG_SCOPE_AS_WITHOUT, NULL,
		                   0, 0) == RG_EINVAL &&
		      rg_scope_reason(out, RG_ALLOW, -1, "x") == RG_EINVAL &&
		      rg_scope_reason_again(out, RG_ALLOW, -1, 1) == RG_EINVAL;
	return ok;
}

/* scopes=: see the top of the file. */
static int fixed_scopes(const void *state, const rg_plugin_request *req,
                        rg_scopes *out)
{
	const struct fixed_state *st = state;
	long p = fixed_priv(req);
	int rc, hit;

	if (st->choice != FIXED_ALLOW || p < 0)
		return RG_OK;
	switch (st->scopes) {
	case FIXED_SCOPES_BAD:
		if (!fixed_memo_refused(out, req, p, &hit))
			return RG_EPLUGIN;
		if (hit)
			return RG_OK;
		rc = rg_scope_add(out, p, "owner", RG_SCOPE_AS_WITHOUT, NULL, 0,
		                  0);
		if (rc == RG_OK && !fixed_scopes_refused(out, p))
			rc = RG_EPLUGIN;
		return rc;
	case FIXED_SCOPES_CONTRA:
		rc = rg_scope_add(out, p, "owner", RG_SCOPE_SELF, NULL, 0, 0);
		if (rc == RG_OK)
			rc = rg_scope_add(out, p, "owner", RG_SCOPE_AS_WITHOUT,
			                  NULL, 0, 0);
		return rc;
	default:
		return RG_OK;
	}
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "fixed",
    .version = "test",
    .description = "Test plugin: answers a fixed result",
    .open = fixed_open,
    .close = fixed_close,
    .declare = fixed_declare,
    .decide = fixed_decide,
    .validate = NULL,
    .subject_answers = fixed_answers,
    .view_prepare = fixed_prepare,
    .subject_scopes = fixed_scopes,
    .view_release = fixed_release,
};
