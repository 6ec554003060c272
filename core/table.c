/*
 * table.c - the decision table of a directory snapshot.
 *
 * Most checks a gateway makes name a directory user and an action, with no
 * request attribute, and want no reason.  The answer to such a check depends
 * only on the snapshot and the stack, so it can be worked out once, when the
 * snapshot is built, for every user and every privilege of the service:
 *
 *   1. every entry of the stack answers for all privileges at once
 *      (subject_answers, plugin ABI 1.2): a set it allows, a set it denies,
 *      the rest abstaining;
 *   2. the stack's controls are applied to those sets bit-parallel: one
 *      pass over the entries decides every privilege together, exactly as
 *      stack.c decides one (see apply_sets());
 *   3. the privileges the stack allows are kept in the table's slot of
 *      the user, beside a copy of its id.
 *
 * A check (rg_table_check()) then hashes the user and the action and tests
 * a bit: no plugin runs, and the one memory line it needs at random is the
 * user's slot, which holds both the id to compare and the answer.  With
 * 50,000 users a separate index, id and answer were three cache misses per
 * check, the largest cost left; the table is therefore one array of small
 * slots (on huge pages when it is large enough, so that it costs no TLB
 * miss either).  A user whose id does not fit a slot is left out and
 * decided the slow way.
 *
 * A stack is tabled only when every entry can answer in bulk: it loaded
 * and its plugin has subject_answers (and no line of the service was
 * refused: such a service denies everything).  Jumps are followed per
 * privilege.  A user is tabled only when every entry answered without
 * error; anyone else is decided the slow way, which is always right.  So
 * the table can only ever repeat what decide() says.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define STRIDE_MIN 16  /* bytes of the smallest slot */
#define STRIDE_MAX 256 /* longer ids are decided the slow way */
#define CAP_MIN    64  /* slots of the smallest table */
/* At most 3/4 of the slots used: short probes, and a small table. */
#define LOAD_NUM 4
#define LOAD_DEN 3

/* How many privilege words a table of svc needs (0: it cannot have one). */
static size_t table_words(const struct rg_service *svc)
{
	size_t i;

	if (!svc->nentries || !svc->reg.nprivs || svc->refused)
		return 0;
	for (i = 0; i < svc->nentries; i++) {
		const struct rg_plugin_handle *h = svc->entries[i];

		if (h->status != RG_OK || !rg_has_subject_answers(h))
			return 0;
	}
	return (svc->reg.nprivs + RG_BITSET_WORD_BITS - 1) /
	       RG_BITSET_WORD_BITS;
}

/*
 * The stack as it stands for every privilege of one word at once: stack.c's
 * verdict, one bit per privilege.  pos and neg are the impression (neither:
 * undecided), ok that the status is an allow; a privilege is allowed when
 * the stack ends with pos and ok.  A privilege stops at done, die or a jump
 * past the end; one in the middle of a jump is away until the entry it
 * lands on (arrive[]).
 */
struct stack_bits {
	uint64_t pos;
	uint64_t neg;
	uint64_t ok;
	uint64_t stop;
	uint64_t away;
};

/* One action on the privileges m, whose entry answered allow when allowed
 * is set (stack.c's apply(), per bit); left entries follow the entry. */
static void apply_sets(struct stack_bits *b, const rg_control *c, rg_result res,
                       uint64_t m, size_t left, uint64_t *arrive)
{
	uint64_t take;

	switch (c->act[res]) {
	case RG_ACT_IGNORE:
		break;
	case RG_ACT_RESET:
		b->pos &= ~m;
		b->neg &= ~m;
		b->ok &= ~m;
		break;
	case RG_ACT_OK:
	case RG_ACT_DONE:
		/* undecided, or positive with an allow kept */
		take = m & ~b->neg & (~b->pos | b->ok);
		b->pos |= take;
		b->ok = res == RG_ALLOW ? b->ok | take : b->ok & ~take;
		if (c->act[res] == RG_ACT_DONE)
			b->stop |= m & b->pos;
		break;
	case RG_ACT_BAD:
	case RG_ACT_DIE:
		take = m & ~b->neg;
		b->neg |= take;
		b->pos &= ~take;
		b->ok &= ~take;
		if (c->act[res] == RG_ACT_DIE)
			b->stop |= m;
		break;
	case RG_ACT_JUMP:
		if (c->jump[res] > left) {
			b->neg |= m;
			b->pos &= ~m;
			b->ok &= ~m;
			b->stop |= m;
		} else {
			b->away |= m;
			arrive[c->jump[res]] |= m;
		}
		break;
	}
}

/* The bits of word w that are declared privileges of svc. */
static uint64_t declared(const struct rg_service *svc, size_t w)
{
	size_t first = w * RG_BITSET_WORD_BITS;
	size_t n = svc->reg.nprivs - first;

	return n >= RG_BITSET_WORD_BITS ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
}

/*
 * The privileges of word w that reach entry i: those back from a jump
 * that lands here join the ones still running.  arrive holds, per word, one
 * mask per entry: the privileges whose jump lands there.
 */
static uint64_t reaching(struct stack_bits *b, const uint64_t *arrive,
                         uint64_t mask)
{
	b->away &= ~*arrive;
	return mask & ~b->stop & ~b->away;
}

/*
 * Works out what the stack allows user u, into words (n privilege words).
 * arrive has room for n * (entries + 1) masks.  RG_OK, or the first entry's
 * error (a plugin that cannot answer, or that both allows and denies one
 * privilege).
 */
static int compile_user(const struct rg_snap_service *ss, size_t user,
                        uint64_t *words, size_t n, uint64_t *arrive,
                        uint64_t *rbac, struct rg_scopes *scopes)
{
	const struct rg_snap_user *u = &ss->users[user];
	struct rg_req_view rv = {ss, (long)user};
	const struct rg_service *svc = ss->svc;
	size_t ne = svc->nentries;
	struct stack_bits b[RG_PRIV_WORDS];
	uint64_t allow[RG_PRIV_WORDS], deny[RG_PRIV_WORDS];
	rg_plugin_request preq;
	size_t i, w;
	int rc;

	memset(b, 0, sizeof(b));
	memset(arrive, 0, n * (ne + 1) * sizeof(*arrive));
	memset(&preq, 0, sizeof(preq));
	preq.service = svc->name;
	preq.user = u->id;
	preq.roles = &u->roles;
	preq.action = -1;
	preq.subject_attrs = u->attrs;
	preq.nsubject_attrs = u->nattrs;
	preq.view = &rv;
	for (i = 0; i < ne; i++) {
		const struct rg_plugin_handle *h = svc->entries[i];
		const rg_control *c = &h->control;

		memset(allow, 0, sizeof(allow));
		memset(deny, 0, sizeof(deny));
		preq.handle = h;
		rc = rg_call_subject_answers(h, &preq, allow, deny);
		if (rc != RG_OK)
			return rc < 0 ? rc : RG_EPLUGIN;
		for (w = 0; w < n; w++) {
			uint64_t *land = arrive + w * (ne + 1);
			uint64_t mask =
			    reaching(&b[w], &land[i], declared(svc, w));
			uint64_t a = allow[w] & mask, d = deny[w] & mask;

			if (a & d)
				return RG_EPLUGIN;
			/* A jump of N from entry i lands on i + 1 + N. */
			land += i + 1;
			apply_sets(&b[w], c, RG_ALLOW, a, ne - i - 1, land);
			apply_sets(&b[w], c, RG_DENY, d, ne - i - 1, land);
			apply_sets(&b[w], c, RG_ABSTAIN, mask & ~(a | d),
			           ne - i - 1, land);
		}
	}
	/* Only a positive stack with an allow allows (stack.c's finish()). */
	for (w = 0; w < n; w++)
		words[w] = b[w].pos & b[w].ok;
	/* The one entry's privileges that rg_decide_rbac() answers (preq is
	 * its request still); an error marks none. */
	if (rbac) {
		memset(allow, 0, sizeof(allow));
		if (rg_call_subject_rbac(svc->entries[0], &preq, allow) !=
		    RG_OK)
			memset(allow, 0, sizeof(allow));
		for (w = 0; w < n; w++)
			rbac[w] = allow[w] & declared(svc, w);
	}
	/* Its scopes (the table drops them when this fails). */
	if (scopes)
		return rg_call_subject_scopes(svc->entries[0], &preq, scopes);
	return RG_OK;
}

static unsigned char *slot_at(const struct rg_table *t, size_t i)
{
	return t->slots + i * t->stride;
}

/* A slot's id, after its privilege words; "" in an empty slot. */
static char *slot_id(const struct rg_table *t, unsigned char *slot)
{
	return (char *)slot + t->words * sizeof(uint64_t);
}

/* Allocates the slots, zeroed; on huge pages when they fill one. */
static int table_alloc(struct rg_table *t)
{
	t->slots = rg_alloc_big(t->cap * t->stride);
	return t->slots ? RG_OK : RG_ENOMEM;
}

/* The empty slot where id goes (ids are unique in a service). */
static unsigned char *slot_for(const struct rg_table *t, const char *id)
{
	size_t i = (size_t)rg_hash_str(id) & (t->cap - 1);

	while (*slot_id(t, slot_at(t, i)))
		i = (i + 1) & (t->cap - 1);
	return slot_at(t, i);
}

/*
 * The slot size: a power of two (so that a slot of up to a cache line never
 * straddles two) holding the privilege words and the longest id that fits
 * under STRIDE_MAX.  Sized to the ids at hand, the table stays small: 32
 * bytes a user for ids like "agent-00001", 2 MiB for 50,000 users, which a
 * server's last-level cache keeps.
 */
static size_t stride_for(const struct rg_snap_service *ss, size_t words)
{
	size_t i, need = words * sizeof(uint64_t) + 1, stride = STRIDE_MIN;

	for (i = 0; i < ss->nusers; i++) {
		size_t n =
		    words * sizeof(uint64_t) + strlen(ss->users[i].id) + 1;

		if (n > need && n <= STRIDE_MAX)
			need = n;
	}
	while (stride < need)
		stride *= 2;
	return stride;
}

/*
 * Whether a check of svc with a reason may be answered from the table and
 * rg_decide_rbac() (rg_stack_rbac()): a stack of one entry, whose plugin
 * says for which users and privileges that is its decide()'s answer.  The
 * controls need no test: rg_stack_rbac() applies the entry's.
 */
static int table_rbac(const struct rg_service *svc)
{
	return svc->nentries == 1 && rg_has_subject_rbac(svc->entries[0]);
}

/* Allocates the per-slot user indexes and rbac bits, zeroed. */
static int rbac_alloc(struct rg_table *t)
{
	t->users = calloc(t->cap, sizeof(*t->users));
	t->rbac = calloc(t->cap * t->words, sizeof(*t->rbac));
	if (t->users && t->rbac)
		return RG_OK;
	free(t->users);
	free(t->rbac);
	t->users = NULL;
	t->rbac = NULL;
	return RG_ENOMEM;
}

/* ---- Compiled scopes (subject_scopes(), ABI 1.6) ------------------------ */

/*
 * The memos of one build (rg_scope_memo()): open addressing, len 0 an
 * empty slot, each memo's bytes at `at` in bytes, and the span its
 * subject got.  Sized for one memo a user, so it never grows.
 */
struct scope_memo {
	size_t at;
	uint32_t len;
	struct rg_scope_span span;
};

struct scope_memos {
	struct scope_memo *v;
	size_t cap;
	unsigned char *bytes;
	size_t nbytes, bytes_cap;
};

/* Where the subject stands with rg_scope_memo(). */
enum scope_memo_state {
	MEMO_UNASKED, /* not called: the subject's rules are its own */
	MEMO_ASKED,   /* called, nothing kept (no memos): the same */
	MEMO_MISS,    /* called, new: keep the rules under it (pending) */
	MEMO_HIT,     /* called, known: hit is the subject's span */
};

/* The reasons of one build, each kept once (rg_scope_reason()): open
 * addressing over the table's whys, an index plus one, 0 an empty slot. */
struct scope_why_set {
	uint32_t *v;
	size_t cap;
};

/* A reason a plugin named by a key (rg_scope_reason_keyed()), with the
 * res and role it was given for, and the why it made (0: none, decide()
 * asked). */
struct scope_keyed {
	uint64_t key;
	uint32_t why;
	int32_t role;
	uint8_t res;  /* 1: RG_ALLOW */
	uint8_t used; /* 0: an empty slot */
};

/* The keyed reasons of one build: open addressing, at most half full. */
struct scope_keyed_set {
	struct scope_keyed *v;
	size_t cap, n;
};

/* What rg_scope_add() adds to: the table, the subject's first rule, and
 * its memo. */
struct rg_scopes {
	struct rg_table *t;
	const struct rg_service *svc;
	const struct rg_snap_service *ss;
	struct scope_why_set whys;
	struct scope_keyed_set keyed;
	size_t first;
	struct scope_memos *memos; /* NULL: none kept */
	enum scope_memo_state memo;
	size_t slot; /* MEMO_MISS: the empty slot, its bytes at nbytes */
	uint32_t len;
	struct rg_scope_span hit;
};

/*
 * Whether the table may hold scopes for svc: a stack of one entry with
 * subject_scopes.  The entry's ALLOW or DENY then makes the stack's answer
 * alone, which scope_finals() works out once.
 */
static int table_scopes(const struct rg_service *svc)
{
	return svc->nentries == 1 && rg_has_subject_scopes(svc->entries[0]);
}

/* What the stack of one entry makes of its answer res, for every
 * privilege (n words), into out: as compile_user() does it. */
static void scope_final(const struct rg_service *svc, rg_result res,
                        uint64_t *out, size_t n)
{
	const rg_control *c = &svc->entries[0]->control;
	uint64_t land[2];
	size_t w;

	for (w = 0; w < n; w++) {
		struct stack_bits b;

		memset(&b, 0, sizeof(b));
		memset(land, 0, sizeof(land));
		apply_sets(&b, c, res, reaching(&b, &land[0], declared(svc, w)),
		           0, &land[1]);
		out[w] = b.pos & b.ok;
	}
}

/* Allocates the per-slot spans and works out the finals. */
static int scopes_alloc(struct rg_table *t, const struct rg_service *svc)
{
	t->spans = calloc(t->cap, sizeof(*t->spans));
	if (!t->spans)
		return RG_ENOMEM;
	scope_final(svc, RG_ALLOW, t->fin_allow, t->words);
	scope_final(svc, RG_DENY, t->fin_deny, t->words);
	return RG_OK;
}

static void scopes_free(struct rg_table *t)
{
	size_t i;

	for (i = 0; i < RG_SCOPE_KEYS; i++)
		free(t->keys[i]);
	free(t->spans);
	RG_FREE_BIG(t->rules, t->rules_cap);
	RG_FREE_BIG(t->whys, t->whys_cap);
	RG_FREE_BIG(t->why_text, t->why_text_cap);
}

/*
 * The index of key among t's keys, added when new; negative: a status.
 * Only a new key's length is measured: one equal to a kept key fits.
 */
static long scope_key(struct rg_table *t, const char *key)
{
	size_t i;

	for (i = 0; i < RG_SCOPE_KEYS && t->keys[i]; i++)
		if (strcmp(t->keys[i], key) == 0)
			return (long)i;
	if (!*key || strnlen(key, RG_ID_MAX + 1) > RG_ID_MAX)
		return RG_EINVAL;
	if (i == RG_SCOPE_KEYS)
		return RG_ELIMIT;
	t->keys[i] = strdup(key);
	return t->keys[i] ? (long)i : RG_ENOMEM;
}

/* The index of names among t's, added when new; negative: a status. */
static long scope_names(struct rg_table *t, const rg_names *names)
{
	size_t i;

	for (i = 0; i < RG_SCOPE_NAMES && t->names[i]; i++)
		if (t->names[i] == names)
			return (long)i;
	if (i == RG_SCOPE_NAMES)
		return RG_ELIMIT;
	t->names[i] = names;
	return (long)i;
}

static int scope_push(struct rg_table *t, const struct rg_scope_rule *r)
{
	/* A span's first and n are 32 bits. */
	if (t->nrules >= UINT32_MAX)
		return RG_ELIMIT;
	if (RG_GROW_BIG(t->rules, t->rules_cap, t->nrules + 1) != RG_OK)
		return RG_ENOMEM;
	t->rules[t->nrules++] = *r;
	return RG_OK;
}

int rg_scope_add(rg_scopes *out, long priv, const char *key, rg_scope_form form,
                 const rg_names *names, size_t lo, size_t hi)
{
	struct rg_scope_rule r;
	long k, nm = 0;

	/* After a memo's hit the subject's rules are another's. */
	if (!out || out->memo == MEMO_HIT || priv < 0 ||
	    (size_t)priv >= out->svc->reg.nprivs || !key)
		return RG_EINVAL;
	if (form != RG_SCOPE_AS_WITHOUT && form != RG_SCOPE_SELF &&
	    form != RG_SCOPE_WITHIN)
		return RG_EINVAL;
	if (form == RG_SCOPE_WITHIN) {
		if (!names || lo > hi || hi > UINT32_MAX)
			return RG_EINVAL;
		nm = scope_names(out->t, names);
		if (nm < 0)
			return (int)nm;
	} else {
		lo = hi = 0;
	}
	k = scope_key(out->t, key);
	if (k < 0)
		return (int)k;
	memset(&r, 0, sizeof(r));
	r.priv = (uint16_t)priv;
	r.key = (uint8_t)k;
	r.form = (uint8_t)form;
	r.names = (uint8_t)nm;
	r.lo = (uint32_t)lo;
	r.hi = (uint32_t)hi;
	return scope_push(out->t, &r);
}

/* ---- Reasons of compiled scopes (rg_scope_reason(), ABI 1.7) ----------- */

/* The stand-ins, told apart by their addresses; the text is for a reader
 * of a reason written with one by mistake. */
static const char mark_value[] = "(the attribute's value)";
static const char mark_user[] = "(the user's id)";
static const char *const scope_marks[] = {
    [RG_SCOPE_MARK_VALUE] = mark_value,
    [RG_SCOPE_MARK_USER] = mark_user,
};

const char *rg_scope_marker(rg_scope_mark m)
{
	if ((unsigned)m >= RG_COUNTOF(scope_marks))
		return NULL;
	return scope_marks[m];
}

/* Whether why w of t is role, and text (len bytes) with marks. */
static int why_is(const struct rg_table *t, const struct rg_scope_why *w,
                  const struct rg_scope_why *want, const char *text)
{
	return w->role == want->role && w->len == want->len &&
	       w->nmarks == want->nmarks &&
	       memcmp(w->kind, want->kind, sizeof(w->kind)) == 0 &&
	       memcmp(w->at, want->at, sizeof(w->at)) == 0 &&
	       memcmp(t->why_text + w->text, text, w->len) == 0;
}

static uint64_t why_hash(const struct rg_scope_why *w, const char *text)
{
	uint64_t h = rg_hash_mem(text, w->len);

	h ^= rg_hash_mem((const char *)w->at, sizeof(w->at));
	return h ^ ((uint64_t)(uint32_t)w->role << 8 | w->nmarks);
}

/* Doubles the set when it is half full: a rehash of every why. */
static int why_set_grow(struct scope_why_set *set, const struct rg_table *t)
{
	size_t cap = set->cap ? set->cap * 2 : CAP_MIN, i;
	uint32_t *v;

	if (t->nwhys * 2 < set->cap)
		return RG_OK;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return RG_ENOMEM;
	for (i = 0; i < t->nwhys; i++) {
		const struct rg_scope_why *w = &t->whys[i];
		size_t k =
		    (size_t)why_hash(w, t->why_text + w->text) & (cap - 1);

		while (v[k])
			k = (k + 1) & (cap - 1);
		v[k] = (uint32_t)(i + 1);
	}
	free(set->v);
	set->v = v;
	set->cap = cap;
	return RG_OK;
}

/* The index plus one of a why equal to want with text, added when new;
 * 0 when out of memory or past the table's limits. */
static uint32_t why_keep(struct scope_why_set *set, struct rg_table *t,
                         struct rg_scope_why *want, const char *text)
{
	size_t k;

	if (t->nwhys >= UINT32_MAX - 1 ||
	    t->why_len > UINT32_MAX - RG_REASON_MAX ||
	    why_set_grow(set, t) != RG_OK)
		return 0;
	k = (size_t)why_hash(want, text) & (set->cap - 1);
	for (; set->v[k]; k = (k + 1) & (set->cap - 1))
		if (why_is(t, &t->whys[set->v[k] - 1], want, text))
			return set->v[k];
	/* Megabytes for a tenant's thousands of kinds of user: grown on
	 * mapped memory, as the rules are. */
	if (RG_GROW_BIG(t->whys, t->whys_cap, t->nwhys + 1) != RG_OK ||
	    RG_GROW_BIG(t->why_text, t->why_text_cap, t->why_len + want->len) !=
	        RG_OK)
		return 0;
	memcpy(t->why_text + t->why_len, text, want->len);
	want->text = (uint32_t)t->why_len;
	t->why_len += want->len;
	t->whys[t->nwhys++] = *want;
	set->v[k] = (uint32_t)t->nwhys;
	return set->v[k];
}

/* Whether role is -1 or a role of the subject's service and snapshot. */
static int why_role_ok(const struct rg_scopes *out, long role)
{
	size_t n = out->svc->reg.nroles + (out->ss ? out->ss->ncustom : 0);

	return role == -1 || (role >= 0 && (size_t)role < n &&
	                      (size_t)role <= (size_t)INT32_MAX);
}

/* The scope a reason of rg_scope_reason() goes with: the rule just added,
 * when the arguments are good; NULL for RG_EINVAL. */
static struct rg_scope_rule *reason_rule(rg_scopes *out, rg_result res,
                                         long role)
{
	struct rg_scope_rule *r;

	if (!out || out->memo == MEMO_HIT || out->t->nrules == out->first ||
	    (res != RG_ALLOW && res != RG_DENY) || !why_role_ok(out, role))
		return NULL;
	r = &out->t->rules[out->t->nrules - 1];
	return r->form == RG_SCOPE_AS_WITHOUT ? NULL : r;
}

/* Gives rule r the reason why (0: none) for res. */
static void rule_why(struct rg_scope_rule *r, rg_result res, uint32_t why)
{
	r->why[res == RG_ALLOW ? 0 : 1] = why;
}

/* The why of the reason fmt and ap make, kept once, in *kept (0: none,
 * decide() would cut the text); RG_OK, RG_EINVAL or RG_ENOMEM. */
static int reason_why(rg_scopes *out, long role, const char *fmt, va_list ap,
                      uint32_t *kept)
{
	struct rg_fmt_mark at[RG_SCOPE_MARKS_MAX];
	struct rg_scope_why w;
	char text[RG_REASON_MAX];
	size_t nat = RG_SCOPE_MARKS_MAX, i;
	int n;

	n = rg_vformat_marks(text, sizeof(text), fmt, ap, scope_marks,
	                     RG_COUNTOF(scope_marks), at, &nat);
	if (n < 0)
		return RG_EINVAL;
	/* decide() would cut it: the check asks decide(). */
	if ((size_t)n >= sizeof(text)) {
		*kept = 0;
		return RG_OK;
	}
	memset(&w, 0, sizeof(w));
	w.role = (int32_t)role;
	w.len = (uint16_t)n;
	w.nmarks = (uint8_t)nat;
	for (i = 0; i < nat; i++) {
		w.kind[i] = (uint8_t)at[i].kind;
		w.at[i] = (uint16_t)at[i].at;
	}
	*kept = why_keep(&out->whys, out->t, &w, text);
	return *kept ? RG_OK : RG_ENOMEM;
}

/* reason_why() given to rule r for res: what both kinds of reason do. */
static int rule_reason(rg_scopes *out, struct rg_scope_rule *r, rg_result res,
                       long role, const char *fmt, va_list ap, uint32_t *kept)
{
	int rc = reason_why(out, role, fmt, ap, kept);

	if (rc == RG_OK)
		rule_why(r, res, *kept);
	return rc;
}

int rg_scope_reason(rg_scopes *out, rg_result res, long role, const char *fmt,
                    ...)
{
	struct rg_scope_rule *r = reason_rule(out, res, role);
	uint32_t kept;
	va_list ap;
	int rc;

	if (!r || !fmt)
		return RG_EINVAL;
	va_start(ap, fmt);
	rc = rule_reason(out, r, res, role, fmt, ap, &kept);
	va_end(ap);
	return rc;
}

/* ---- Keyed reasons (rg_scope_reason_keyed(), ABI 1.8) ------------------- */

/* Where key for res and role is in the set (of at least one slot), or
 * the empty slot it would take: a hash of one word, no text. */
static size_t keyed_slot(const struct scope_keyed_set *set, uint64_t key,
                         rg_result res, long role)
{
	uint8_t r = res == RG_ALLOW;
	size_t i =
	    (size_t)rg_hash_mix(key ^ ((uint64_t)(uint32_t)role << 1 | r)) &
	    (set->cap - 1);

	while (set->v[i].used && (set->v[i].key != key || set->v[i].res != r ||
	                          set->v[i].role != (int32_t)role))
		i = (i + 1) & (set->cap - 1);
	return i;
}

/* The entry of key for res and role, or NULL. */
static const struct scope_keyed *keyed_find(const struct scope_keyed_set *set,
                                            uint64_t key, rg_result res,
                                            long role)
{
	const struct scope_keyed *e;

	if (!set->cap)
		return NULL;
	e = &set->v[keyed_slot(set, key, res, role)];
	return e->used ? e : NULL;
}

/* Room for one more entry: the set doubled (every entry placed again)
 * once it would be more than half full. */
static int keyed_grow(struct scope_keyed_set *set)
{
	size_t cap = set->cap ? set->cap * 2 : CAP_MIN, i;
	struct scope_keyed_set grown = {NULL, cap, set->n};

	if ((set->n + 1) * 2 <= set->cap)
		return RG_OK;
	grown.v = calloc(cap, sizeof(*grown.v));
	if (!grown.v)
		return RG_ENOMEM;
	for (i = 0; i < set->cap; i++) {
		const struct scope_keyed *e = &set->v[i];

		if (e->used)
			grown.v[keyed_slot(&grown, e->key,
			                   e->res ? RG_ALLOW : RG_DENY,
			                   e->role)] = *e;
	}
	free(set->v);
	*set = grown;
	return RG_OK;
}

/* Keeps kept under key for res and role.  Out of memory the reason is
 * only not shared. */
static void keyed_put(struct scope_keyed_set *set, uint64_t key, rg_result res,
                      long role, uint32_t kept)
{
	struct scope_keyed *e;

	if (keyed_grow(set) != RG_OK)
		return;
	e = &set->v[keyed_slot(set, key, res, role)];
	e->key = key;
	e->why = kept;
	e->role = (int32_t)role;
	e->res = (uint8_t)(res == RG_ALLOW);
	e->used = 1;
	set->n++;
}

/* Gives r the reason kept under key for res and role: 1 when there was
 * one, else 0. */
static int keyed_attach(rg_scopes *out, struct rg_scope_rule *r, uint64_t key,
                        rg_result res, long role)
{
	const struct scope_keyed *e = keyed_find(&out->keyed, key, res, role);

	if (!e)
		return 0;
	rule_why(r, res, e->why);
	return 1;
}

int rg_scope_reason_again(rg_scopes *out, rg_result res, long role,
                          uint64_t key)
{
	struct rg_scope_rule *r = reason_rule(out, res, role);

	return r ? keyed_attach(out, r, key, res, role) : RG_EINVAL;
}

int rg_scope_reason_keyed(rg_scopes *out, rg_result res, long role,
                          uint64_t key, const char *fmt, ...)
{
	struct rg_scope_rule *r = reason_rule(out, res, role);
	uint32_t kept;
	va_list ap;
	int rc;

	if (!r || !fmt)
		return RG_EINVAL;
	if (keyed_attach(out, r, key, res, role))
		return RG_OK;
	va_start(ap, fmt);
	rc = rule_reason(out, r, res, role, fmt, ap, &kept);
	va_end(ap);
	if (rc == RG_OK)
		keyed_put(&out->keyed, key, res, role, kept);
	return rc;
}

/* Orders rules[first, nrules) by privilege, then key: a plugin adds them
 * in privilege order, so this insertion sort is one pass. */
static void scopes_sort(struct rg_table *t, size_t first)
{
	size_t i, j;

	for (i = first + 1; i < t->nrules; i++) {
		struct rg_scope_rule r = t->rules[i];

		for (j = i; j > first && (t->rules[j - 1].priv > r.priv ||
		                          (t->rules[j - 1].priv == r.priv &&
		                           t->rules[j - 1].key > r.key));
		     j--)
			t->rules[j] = t->rules[j - 1];
		t->rules[j] = r;
	}
}

/* Whether the sorted rules[first, nrules) agree: every rule of one (priv,
 * key) has the same form, and WITHIN ones the same names (plugin.h). */
static int scopes_agree(const struct rg_table *t, size_t first)
{
	size_t i;

	for (i = first + 1; i < t->nrules; i++) {
		const struct rg_scope_rule *a = &t->rules[i - 1], *b = a + 1;

		if (a->priv == b->priv && a->key == b->key &&
		    (a->form != b->form || a->names != b->names))
			return 0;
	}
	return 1;
}

/*
 * The lists made so far, by content, while the table is built: users of one
 * role set and one unit get the same list, and each is kept once (a
 * product's scopes cover every privilege, so one list per user would be
 * thousands of bytes per user).
 */
struct scope_lists {
	struct rg_scope_span *v; /* cap entries; n == 0: empty */
	size_t cap;
};

static int lists_init(struct scope_lists *l, size_t nusers)
{
	for (l->cap = CAP_MIN; l->cap < nusers * 2; l->cap *= 2)
		;
	l->v = rg_calloc_big(l->cap, sizeof(*l->v));
	return l->v ? RG_OK : RG_ENOMEM;
}

/*
 * The span of the user's list, rules[first, nrules): an earlier equal
 * list's (the user's copy is dropped), else its own, remembered.
 */
static struct rg_scope_span lists_share(struct scope_lists *l,
                                        struct rg_table *t, size_t first)
{
	struct rg_scope_span me = {(uint32_t)first,
	                           (uint32_t)(t->nrules - first)};
	size_t bytes = me.n * sizeof(*t->rules), i;

	if (!me.n || !l->v)
		return me;
	i = (size_t)rg_hash_mem((const char *)&t->rules[first], bytes) &
	    (l->cap - 1);
	for (; l->v[i].n; i = (i + 1) & (l->cap - 1))
		if (l->v[i].n == me.n && memcmp(&t->rules[l->v[i].first],
		                                &t->rules[first], bytes) == 0) {
			t->nrules = first;
			return l->v[i];
		}
	l->v[i] = me;
	return me;
}

static int memos_init(struct scope_memos *m, size_t nusers)
{
	for (m->cap = CAP_MIN; m->cap < nusers * 2; m->cap *= 2)
		;
	m->v = rg_calloc_big(m->cap, sizeof(*m->v));
	return m->v ? RG_OK : RG_ENOMEM;
}

static void memos_free(struct scope_memos *m)
{
	RG_FREE_BIG(m->v, m->cap);
	RG_FREE_BIG(m->bytes, m->bytes_cap);
}

int rg_scope_memo(rg_scopes *out, const void *memo, size_t len)
{
	struct scope_memos *m;
	size_t i;

	if (!out || !memo || !len || len > RG_SCOPE_MEMO_MAX ||
	    out->memo != MEMO_UNASKED || out->t->nrules != out->first)
		return RG_EINVAL;
	m = out->memos;
	if (!m) {
		out->memo = MEMO_ASKED; /* the subject adds its own */
		return 0;
	}
	i = (size_t)rg_hash_mem(memo, len) & (m->cap - 1);
	for (; m->v[i].len; i = (i + 1) & (m->cap - 1))
		if (m->v[i].len == len &&
		    memcmp(m->bytes + m->v[i].at, memo, len) == 0) {
			out->memo = MEMO_HIT;
			out->hit = m->v[i].span;
			return 1;
		}
	if (RG_GROW_BIG(m->bytes, m->bytes_cap, m->nbytes + len) != RG_OK)
		return RG_ENOMEM;
	memcpy(m->bytes + m->nbytes, memo, len);
	out->memo = MEMO_MISS;
	out->slot = i;
	out->len = (uint32_t)len;
	return 0;
}

/* The subject's span: a memo's hit, else its own rules sorted, checked
 * and shared; a new memo is kept with it. */
static struct rg_scope_span scopes_end(struct rg_scopes *s,
                                       struct scope_lists *lists)
{
	struct rg_table *t = s->t;
	struct scope_memos *m = s->memos;
	struct rg_scope_span span;

	if (s->memo == MEMO_HIT)
		return s->hit;
	scopes_sort(t, s->first);
	/* A plugin that contradicts itself: none of its scopes of this
	 * user is used. */
	if (!scopes_agree(t, s->first))
		t->nrules = s->first;
	span = lists_share(lists, t, s->first);
	if (s->memo == MEMO_MISS) {
		m->v[s->slot].at = m->nbytes;
		m->v[s->slot].len = s->len;
		m->v[s->slot].span = span;
		m->nbytes += s->len;
	}
	return span;
}

void rg_table_build(struct rg_snap_service *ss)
{
	struct rg_table *t = &ss->table;
	struct scope_lists lists = {NULL, 0};
	struct scope_memos memos;
	struct rg_scopes scopes;
	uint64_t *arrive;
	size_t i, idmax;

	memset(t, 0, sizeof(*t));
	t->words = table_words(ss->svc);
	if (!t->words || !ss->nusers)
		return;
	t->stride = stride_for(ss, t->words);
	idmax = t->stride - t->words * sizeof(uint64_t);
	for (t->cap = CAP_MIN; t->cap * LOAD_DEN < ss->nusers * LOAD_NUM;
	     t->cap *= 2)
		;
	arrive = calloc(t->words * (ss->svc->nentries + 1), sizeof(*arrive));
	if (!arrive || table_alloc(t) != RG_OK) {
		free(arrive);
		rg_table_free(t);
		return;
	}
	/* Without them, checks with a reason or an attribute take the
	 * stack: no harm. */
	if (table_rbac(ss->svc))
		(void)rbac_alloc(t);
	memset(&scopes, 0, sizeof(scopes));
	memset(&memos, 0, sizeof(memos));
	scopes.t = t;
	scopes.svc = ss->svc;
	scopes.ss = ss;
	/* Without the lists, each user keeps its own, and without the
	 * memos each user adds its own: no harm. */
	if (table_scopes(ss->svc) && scopes_alloc(t, ss->svc) == RG_OK) {
		(void)lists_init(&lists, ss->nusers);
		if (memos_init(&memos, ss->nusers) == RG_OK)
			scopes.memos = &memos;
	}
	for (i = 0; i < ss->nusers; i++) {
		const struct rg_snap_user *u = &ss->users[i];
		size_t len = strlen(u->id), k;
		unsigned char *slot;

		if (len >= idmax)
			continue; /* the slow way */
		slot = slot_for(t, u->id);
		k = (size_t)(slot - t->slots) / t->stride;
		scopes.first = t->nrules;
		scopes.memo = MEMO_UNASKED;
		if (compile_user(ss, i, (uint64_t *)(void *)slot, t->words,
		                 arrive,
		                 t->rbac ? t->rbac + k * t->words : NULL,
		                 t->spans ? &scopes : NULL) != RG_OK) {
			memset(slot, 0, t->stride);
			if (t->rbac)
				memset(t->rbac + k * t->words, 0,
				       t->words * sizeof(*t->rbac));
			t->nrules = scopes.first;
			continue;
		}
		if (t->spans)
			t->spans[k] = scopes_end(&scopes, &lists);
		if (t->users)
			t->users[k] = (uint32_t)i;
		memcpy(slot_id(t, slot), u->id, len + 1);
		t->tabled++;
	}
	RG_FREE_BIG(lists.v, lists.cap);
	memos_free(&memos);
	free(scopes.whys.v);
	free(scopes.keyed.v);
	free(arrive);
}

void rg_table_free(struct rg_table *t)
{
	rg_free_big(t->slots, t->cap * t->stride);
	free(t->users);
	free(t->rbac);
	scopes_free(t);
	memset(t, 0, sizeof(*t));
}

int rg_table_wants(const rg_request *req, unsigned flags)
{
	return rg_flags_quiet(flags) && !req->nattrs && req->subject.user;
}

int rg_table_usable(const struct rg_snap_service *ss, const rg_request *req,
                    unsigned flags)
{
	return ss && ss->table.tabled && rg_table_wants(req, flags);
}

void rg_table_prefetch(const struct rg_snap_service *ss, uint64_t h)
{
	const struct rg_table *t = &ss->table;

	__builtin_prefetch(slot_at(t, (size_t)h & (t->cap - 1)));
}

/*
 * Whether the slot's id is the len (> 0) bytes at user.  The slot is
 * zeroed past its id and has room for more than len bytes (the caller
 * checked).  An id holds no NUL, so a last byte that is not NUL and a
 * terminator after it make the id exactly len bytes long, and bytes equal
 * to it hold no NUL either: user "a\0\0" (len 3) is not the id "a".  The
 * caller need not scan user for a NUL first.  An id of one to two words
 * (most: "agent-11313") is compared as its first and its last word, loaded
 * in place, without a call: every check of the table makes this comparison
 * once or more.
 */
static int slot_is(const char *id, const char *user, size_t len)
{
	uint64_t a, b;

	if (id[len] != '\0' || id[len - 1] == '\0')
		return 0;
	if (len < sizeof(a) || len > 2 * sizeof(a))
		return memcmp(id, user, len) == 0;
	memcpy(&a, user, sizeof(a));
	memcpy(&b, id, sizeof(b));
	if (a != b)
		return 0;
	memcpy(&a, user + len - sizeof(a), sizeof(a));
	memcpy(&b, id + len - sizeof(b), sizeof(b));
	return a == b;
}

/* Bit priv of words. */
static int bit_of(const uint64_t *words, long priv)
{
	return (words[(size_t)priv / RG_BITSET_WORD_BITS] >>
	        ((size_t)priv % RG_BITSET_WORD_BITS)) &
	       1u;
}

/* rg_table_lookup(), and the slot's index in *at. */
static inline const char *table_find(const struct rg_table *t, const char *user,
                                     size_t len, uint64_t h, long priv,
                                     rg_result *result, size_t *at)
{
	unsigned char *slot;
	const char *id;
	size_t i;

	/* An id as long as a slot's room was left out of the table. */
	if (!t->tabled || priv < 0 || !len ||
	    len >= t->stride - t->words * sizeof(uint64_t))
		return NULL;
	for (i = (size_t)h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		slot = slot_at(t, i);
		id = slot_id(t, slot);
		if (!*id)
			return NULL; /* not tabled: the slow way */
		if (slot_is(id, user, len))
			break;
	}
	*result = bit_of((const uint64_t *)(const void *)slot, priv) ? RG_ALLOW
	                                                             : RG_DENY;
	*at = i;
	return id;
}

const char *rg_table_lookup(const struct rg_snap_service *ss, const char *user,
                            size_t len, uint64_t h, long priv,
                            rg_result *result)
{
	size_t at;

	return table_find(&ss->table, user, len, h, priv, result, &at);
}

const char *rg_table_rbac(const struct rg_snap_service *ss, const char *user,
                          size_t len, uint64_t h, long priv, rg_result *result,
                          long *index)
{
	const struct rg_table *t = &ss->table;
	const char *id;
	size_t at;

	*index = -1;
	if (!t->rbac)
		return NULL;
	id = table_find(t, user, len, h, priv, result, &at);
	if (id && bit_of(t->rbac + at * t->words, priv))
		*index = (long)t->users[at];
	return id;
}

int rg_table_scope_wants(const rg_request *req, unsigned flags)
{
	return rg_flags_quiet(flags) && req->nattrs == 1 && req->subject.user;
}

/* The WITHIN rule of first's (priv, key) whose interval holds name i: the
 * first added (sorting kept their order); NULL when none does. */
static const struct rg_scope_rule *
scope_holding(const struct rg_scope_rule *first,
              const struct rg_scope_rule *end, long i)
{
	const struct rg_scope_rule *r;

	for (r = first;
	     r < end && r->priv == first->priv && r->key == first->key; r++)
		if ((uint32_t)i >= r->lo && (uint32_t)i < r->hi)
			return r;
	return NULL;
}

/* Whether value v is within one of the WITHIN rules of first's (priv,
 * key), which follow it before end: 1, 0, or -1 when names do not hold
 * v. */
static int scope_within(const struct rg_table *t,
                        const struct rg_scope_rule *first,
                        const struct rg_scope_rule *end, const char *v)
{
	long i = rg_names_find(t->names[first->names], v);

	if (i < 0)
		return -1;
	return scope_holding(first, end, i) != NULL;
}

/* The first of the n rules at v (sorted) whose privilege is priv or
 * later. */
static const struct rg_scope_rule *scope_first(const struct rg_scope_rule *v,
                                               size_t n, long priv)
{
	size_t p = (size_t)priv;

	/* A list of one rule per privilege, all of them in order (a product
	 * that scopes every privilege) is indexed directly. */
	if (p < n && v[p].priv == p && (!p || v[p - 1].priv < p))
		return v + p;
	while (n) {
		size_t half = n / 2;

		if (v[half].priv < priv) {
			v += half + 1;
			n -= half + 1;
		} else {
			n = half;
		}
	}
	return v;
}

/* The first rule of (priv, key) in slot at's list, or NULL; *end is set
 * past the list.  Inlined (with scope_find()) into each of its two callers,
 * as it was into rg_table_scope() alone: a call cost a scoped check 7 %. */
static inline __attribute__((always_inline)) const struct rg_scope_rule *
scope_rule(const struct rg_table *t, size_t at, long priv, const char *key,
           const struct rg_scope_rule **end)
{
	const struct rg_scope_rule *r;

	/* An empty list: the table may have no rules at all (NULL). */
	if (!t->spans[at].n)
		return NULL;
	r = scope_first(t->rules + t->spans[at].first, t->spans[at].n, priv);
	*end = t->rules + t->spans[at].first + t->spans[at].n;
	for (; r < *end && r->priv == priv; r++)
		if (strcmp(t->keys[r->key], key) == 0)
			return r;
	return NULL;
}

/* scope_rule() of the user of len bytes at user (hash h): NULL when the
 * table or the user's list has none; else *id is the user's id in the
 * table and *plain its answer without the attribute. */
static inline __attribute__((always_inline)) const struct rg_scope_rule *
scope_find(const struct rg_table *t, const char *user, size_t len, uint64_t h,
           long priv, const char *key, rg_result *plain, const char **id,
           const struct rg_scope_rule **end)
{
	size_t at;

	*id = table_find(t, user, len, h, priv, plain, &at);
	return *id ? scope_rule(t, at, priv, key, end) : NULL;
}

const char *rg_table_scope(const struct rg_snap_service *ss, const char *user,
                           size_t len, uint64_t h, long priv,
                           const rg_attr *attr, rg_result *result)
{
	const struct rg_table *t = &ss->table;
	const struct rg_scope_rule *r, *end;
	const char *id;
	rg_result plain;
	int in;

	if (!t->spans || !attr->key || !attr->value)
		return NULL;
	r = scope_find(t, user, len, h, priv, attr->key, &plain, &id, &end);
	if (!r)
		return NULL;
	switch (r->form) {
	case RG_SCOPE_AS_WITHOUT:
		*result = plain;
		return id;
	case RG_SCOPE_SELF:
		in = strcmp(attr->value, id) == 0;
		break;
	default:
		in = scope_within(t, r, end, attr->value);
		if (in < 0)
			return NULL;
		break;
	}
	*result =
	    bit_of(in ? t->fin_allow : t->fin_deny, priv) ? RG_ALLOW : RG_DENY;
	return id;
}

int rg_table_scope_why_wants(const rg_request *req, unsigned flags)
{
	return !(flags & (RG_CHECK_NO_REASON | RG_CHECK_TRACE)) &&
	       req->nattrs == 1 && req->subject.user;
}

const char *rg_table_scope_why(const struct rg_snap_service *ss,
                               const char *user, size_t len, uint64_t h,
                               long priv, const rg_attr *attr,
                               rg_result *result,
                               const struct rg_scope_why **why,
                               const char **text)
{
	const struct rg_table *t = &ss->table;
	const struct rg_scope_rule *r, *in, *end;
	const char *id;
	rg_result plain;
	uint32_t w;
	long i;

	/* decide() answers the empty value (plugin.h). */
	if (!t->nwhys || !attr->key || !attr->value || !*attr->value)
		return NULL;
	r = scope_find(t, user, len, h, priv, attr->key, &plain, &id, &end);
	if (!r)
		return NULL;
	switch (r->form) {
	case RG_SCOPE_SELF:
		*result = strcmp(attr->value, id) == 0 ? RG_ALLOW : RG_DENY;
		w = r->why[*result == RG_ALLOW ? 0 : 1];
		break;
	case RG_SCOPE_WITHIN:
		i = rg_names_find(t->names[r->names], attr->value);
		if (i < 0)
			return NULL;
		in = scope_holding(r, end, i);
		*result = in ? RG_ALLOW : RG_DENY;
		/* A value outside: the first rule's DENY (plugin.h). */
		w = in ? in->why[0] : r->why[1];
		break;
	default:
		return NULL;
	}
	if (!w)
		return NULL;
	*why = &t->whys[w - 1];
	*text = t->why_text + (*why)->text;
	return id;
}

int rg_table_check_hashed(const struct rg_snap_service *ss, const char *user,
                          size_t len, uint64_t h, const char *action,
                          rg_result *result)
{
	const struct rg_table *t;
	long priv;

	if (!ss || !ss->table.tabled)
		return 0;
	t = &ss->table;
	/* The user's slot is the one line a check may wait for: ask for it,
	 * and look the action up (cached) while it comes. */
	__builtin_prefetch(slot_at(t, (size_t)h & (t->cap - 1)));
	priv = rg_intern_get(&ss->svc->reg.priv_ix, action);
	return rg_table_lookup(ss, user, len, h, priv, result) != NULL;
}

int rg_table_check(const struct rg_snap_service *ss, const char *user,
                   const char *action, rg_result *result)
{
	size_t len;

	if (!ss || !ss->table.tabled)
		return 0;
	len = strlen(user);
	return rg_table_check_hashed(ss, user, len, rg_hash_mem(user, len),
	                             action, result);
}

size_t rg_directory_tabled(const rg_context *ctx, const rg_service *svc)
{
	const struct rg_snapshot *snap;
	const struct rg_snap_service *ss;
	unsigned slot;
	size_t n;

	if (!ctx || !svc || !ctx->dir)
		return 0;
	snap = rg_snapshot_acquire(ctx, &slot);
	ss = rg_snapshot_service(snap, svc);
	n = ss ? ss->table.tabled : 0;
	rg_snapshot_release(ctx, slot);
	return n;
}
