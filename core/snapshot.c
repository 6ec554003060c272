/*
 * snapshot.c - the immutable in-memory view of the directory that checks
 * read, and how a new one replaces the old without blocking them.
 *
 * A snapshot holds, per service, the users (id -> role bitset and the
 * attributes decisions need), the custom roles (their privilege bitsets,
 * indexed after the service's declared roles) and the organisation facts.
 * It is built whole from the directory, then published; it is never
 * changed after that.
 *
 * Publishing is read-copy-update (include/private/rg_pub.h): a reader
 * enters a read and loads the pointer, a writer swaps it and frees the
 * snapshot it replaced after a grace period.  Readers never block, never
 * allocate and write no shared line; at most two snapshots exist at once,
 * and a third while one is built.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FACT_SEP     "\x1f"
#define FACT_KEY_MAX (3 * RG_ID_MAX + 3)
#define FACT_NONE    UINT32_MAX /* the end of a name's list of facts */

/* The attribute every directory user has: its id. */
static const char USER_ID_KEY[] = "id";

/* ---- building ------------------------------------------------------------ */

struct rg_snapshot *rg_snapshot_new(const struct rg_context *ctx,
                                    uint64_t version)
{
	struct rg_snapshot *snap = calloc(1, sizeof(*snap));
	size_t i;

	if (!snap)
		return NULL;
	snap->version = version;
	snap->nservices = ctx->nservices;
	snap->services = calloc(ctx->nservices ? ctx->nservices : 1,
	                        sizeof(*snap->services));
	if (!snap->services) {
		free(snap);
		return NULL;
	}
	for (i = 0; i < ctx->nservices; i++) {
		struct rg_snap_service *ss = &snap->services[i];
		ss->svc = ctx->services[i];
		rg_intern_init(&ss->user_ix);
		rg_intern_init(&ss->custom_ix);
		rg_intern_init(&ss->fact_ix);
		ss->refs = malloc(sizeof(*ss->refs));
		if (!ss->refs) {
			snap->nservices = i;
			rg_snapshot_free(snap);
			return NULL;
		}
		atomic_init(ss->refs, 1);
	}
	return snap;
}

static void prepared_free(struct rg_snap_service *ss);

static void service_free(struct rg_snap_service *ss)
{
	size_t i;

	/* Shared with another snapshot: that one frees the parts. */
	if (ss->refs && atomic_fetch_sub(ss->refs, 1) > 1)
		return;
	free(ss->refs);
	ss->refs = NULL;
	/* The plugins' first: what they made may point into the rest. */
	prepared_free(ss);
	/* Loose strings are the arena's; sealed ones the blocks'. */
	rg_free_big(ss->blocks, ss->blocks_len);
	rg_arena_free(&ss->strings);
	for (i = 0; i < ss->ncustom; i++)
		free(ss->custom[i].id);
	for (i = 0; i < ss->nfacts; i++) {
		free(ss->fact_keys[i]);
		free(ss->fact_values[i]);
	}
	for (i = 0; i < ss->nkinds; i++)
		free(ss->kinds[i].name);
	for (i = 0; i < ss->nattr_keys; i++)
		free(ss->attr_keys[i]);
	free(ss->kinds);
	free(ss->attr_keys);
	RG_FREE_BIG(ss->users, ss->capusers);
	free(ss->custom);
	free(ss->fact_keys);
	free(ss->fact_values);
	free(ss->fact_next);
	rg_intern_free(&ss->user_ix);
	rg_intern_free(&ss->custom_ix);
	rg_intern_free(&ss->fact_ix);
	rg_table_free(&ss->table);
}

void rg_snapshot_free(struct rg_snapshot *snap)
{
	size_t i;

	if (!snap)
		return;
	for (i = 0; i < snap->nservices; i++)
		service_free(&snap->services[i]);
	free(snap->services);
	free(snap);
}

void rg_snapshot_share(struct rg_snapshot *snap, size_t i,
                       const struct rg_snapshot *from)
{
	struct rg_snap_service *ss = &snap->services[i];

	service_free(ss);
	*ss = from->services[i];
	atomic_fetch_add(ss->refs, 1);
}

static struct rg_snap_service *find_service(struct rg_snapshot *snap,
                                            const char *name)
{
	size_t i;

	for (i = 0; i < snap->nservices; i++)
		if (strcmp(snap->services[i].svc->name, name) == 0)
			return &snap->services[i];
	return NULL;
}

/*
 * The users' loose strings (ids, attribute values, joined lists) while a
 * snapshot is built: bump-allocated from chunks and freed all at once when
 * sealing has packed every user into its block.  At 50,000 users this
 * saved some ten malloc/free pairs a user on every directory load.
 */
struct rg_arena_chunk {
	struct rg_arena_chunk *next;
	size_t used, cap;
	char data[];
};

/* A chunk's bytes, header included: the first's, then each twice the one
 * before up to a huge page (rg_calloc_big() maps them from 128 KiB on, a
 * large load's strings on a few huge pages instead of a thousand 4 KiB
 * ones; a small service's stay one small chunk). */
#define ARENA_FIRST (64u * 1024u)
#define ARENA_MAX   RG_HUGE_BYTES

static size_t chunk_bytes(const struct rg_arena_chunk *c)
{
	return sizeof(*c) + c->cap;
}

static char *arena_alloc(struct rg_arena *a, size_t n)
{
	struct rg_arena_chunk *c = a->head;
	size_t bytes;

	if (!c || c->cap - c->used < n) {
		bytes = c ? chunk_bytes(c) * 2 : ARENA_FIRST;
		if (bytes > ARENA_MAX)
			bytes = ARENA_MAX;
		if (n > bytes - sizeof(*c))
			bytes =
			    sizeof(*c) + n; /* a string longer than a chunk */
		c = rg_calloc_big(1, bytes);
		if (!c)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->cap = bytes - sizeof(*c);
		a->head = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

/* "x,y" (y alone when x is NULL), in the arena. */
static char *arena_join(struct rg_arena *a, const char *x, const char *y)
{
	size_t nx = x ? strlen(x) + 1 : 0, ny = strlen(y) + 1;
	char *p = arena_alloc(a, nx + ny);

	if (!p)
		return NULL;
	if (x) {
		memcpy(p, x, nx - 1);
		p[nx - 1] = ',';
	}
	memcpy(p + nx, y, ny);
	return p;
}

void rg_arena_free(struct rg_arena *a)
{
	while (a->head) {
		struct rg_arena_chunk *next = a->head->next;

		rg_free_big(a->head, chunk_bytes(a->head));
		a->head = next;
	}
}

/*
 * The service's copy of an attribute key, added when new: users' attributes
 * point at it, so that a sealed block can name each by its index (one byte)
 * and a check gets the key without a copy.  NULL when out of memory or past
 * RG_SNAP_KEYS_MAX keys.
 */
static const char *attr_key(struct rg_snap_service *ss, const char *key)
{
	size_t i, k, n = ss->nattr_keys;
	char *copy;

	/* From the key after the last one found: a directory gives each
	 * user's attributes in the same order, so the first compare finds
	 * it (this runs for every attribute of every user). */
	for (i = 0; i < n; i++) {
		k = ss->attr_next + i; /* attr_next <= n: no division */
		if (k >= n)
			k -= n;
		if (strcmp(ss->attr_keys[k], key) == 0) {
			ss->attr_next = k + 1;
			return ss->attr_keys[k];
		}
	}
	if (ss->nattr_keys >= RG_SNAP_KEYS_MAX ||
	    RG_GROW(ss->attr_keys, ss->capattr_keys, ss->nattr_keys + 1) !=
	        RG_OK ||
	    !(copy = rg_strdup(key)))
		return NULL;
	ss->attr_keys[ss->nattr_keys++] = copy;
	return copy;
}

/* Sets attribute key of u (the service's copy) to value, owned by the
 * arena already. */
static int user_attr_put(struct rg_snap_user *u, const char *key,
                         const char *value)
{
	size_t i;

	for (i = 0; i < u->nattrs; i++)
		if (u->attrs[i].key == key)
			return RG_EEXIST;
	if (u->nattrs >= RG_USER_ATTR_MAX)
		return RG_ELIMIT;
	u->attrs[u->nattrs].key = key;
	u->attrs[u->nattrs].value = value;
	u->nattrs++;
	return RG_OK;
}

/* Sets attribute key of u to a copy of value (NULL or "" leaves it unset). */
static int user_attr_set(struct rg_snap_service *ss, struct rg_snap_user *u,
                         const char *key, const char *value)
{
	const char *k;
	char *copy;

	if (!value || !*value)
		return RG_OK;
	if (!key || !*key)
		return RG_EINVAL;
	k = attr_key(ss, key);
	if (!k)
		return ss->nattr_keys >= RG_SNAP_KEYS_MAX ? RG_ELIMIT
		                                          : RG_ENOMEM;
	copy = arena_join(&ss->strings, NULL, value);
	if (!copy)
		return RG_ENOMEM;
	return user_attr_put(u, k, copy);
}

/* The snapshot's part for svc (its index in the context), or NULL when it
 * has none. */
static struct rg_snap_service *service_of(struct rg_snapshot *snap,
                                          const struct rg_service *svc)
{
	if (!svc || svc->index >= snap->nservices ||
	    snap->services[svc->index].svc != svc)
		return NULL;
	return &snap->services[svc->index];
}

int rg_snapshot_add_user(struct rg_snapshot *snap, const struct rg_service *svc,
                         const char *id, const rg_attr *attrs, size_t n,
                         size_t *index)
{
	struct rg_snap_service *ss = service_of(snap, svc);
	struct rg_snap_user *u;
	const char *idkey;
	size_t i, len;
	uint64_t h;
	int rc;

	*index = SIZE_MAX;
	if (!ss)
		return RG_OK;
	/* Hashed once: the lookup here and the put below. */
	len = strlen(id);
	h = rg_hash_mem(id, len);
	if (rg_intern_slot_get_len(&ss->user_ix, id, len, h))
		return RG_EEXIST;
	rc = RG_GROW_BIG(ss->users, ss->capusers, ss->nusers + 1);
	if (rc != RG_OK)
		return rc;
	u = &ss->users[ss->nusers];
	memset(u, 0, sizeof(*u));
	/* The id and its attribute share one copy, in the arena. */
	u->id = arena_join(&ss->strings, NULL, id);
	idkey = attr_key(ss, USER_ID_KEY);
	if (!u->id || !idkey)
		return RG_ENOMEM;
	rc = user_attr_put(u, idkey, u->id);
	for (i = 0; i < n && rc == RG_OK; i++)
		rc = user_attr_set(ss, u, attrs[i].key, attrs[i].value);
	if (rc == RG_OK)
		rc = rg_intern_put_hashed(&ss->user_ix, u->id, len, h,
		                          (uint32_t)ss->nusers);
	if (rc != RG_OK)
		return rc; /* the arena keeps what was copied */
	*index = ss->nusers++;
	return RG_OK;
}

static int roleset_empty(const rg_roleset *s)
{
	size_t w;

	for (w = 0; w < RG_ROLE_WORDS; w++)
		if (s->w[w])
			return 0;
	return 1;
}

int rg_snapshot_add_custom_role(struct rg_snapshot *snap, const char *service,
                                const char *id)
{
	struct rg_snap_service *ss = find_service(snap, service);
	const struct rg_service *svc;
	struct rg_snap_custom *c;
	size_t i;
	int rc;

	if (!ss)
		return RG_OK;
	svc = ss->svc;
	if (rg_intern_get(&svc->reg.role_ix, id) >= 0 ||
	    rg_intern_get(&ss->custom_ix, id) >= 0)
		return RG_EEXIST;
	if (svc->reg.nroles + ss->ncustom >= RG_MAX_ROLES)
		return RG_ELIMIT;
	rc = RG_GROW(ss->custom, ss->capcustom, ss->ncustom + 1);
	if (rc != RG_OK)
		return rc;
	c = &ss->custom[ss->ncustom];
	memset(c, 0, sizeof(*c));
	c->id = rg_strdup(id);
	if (!c->id)
		return RG_ENOMEM;
	/* A custom role belongs to the first plugin that declared roles:
	 * the service's product plugin. */
	for (i = 0; i < svc->nentries && !c->owner; i++)
		if (!roleset_empty(&svc->entries[i]->own))
			c->owner = svc->entries[i];
	rc = rg_intern_put(&ss->custom_ix, c->id, (uint32_t)ss->ncustom);
	if (rc != RG_OK) {
		free(c->id);
		return rc;
	}
	ss->ncustom++;
	return RG_OK;
}

int rg_snapshot_add_custom_grant(struct rg_snapshot *snap, const char *service,
                                 const char *role, const char *privilege)
{
	struct rg_snap_service *ss = find_service(snap, service);
	long r, p;

	if (!ss)
		return RG_OK;
	r = rg_intern_get(&ss->custom_ix, role);
	p = rg_intern_get(&ss->svc->reg.priv_ix, privilege);
	if (r < 0)
		return RG_ENOROLE;
	if (p < 0) {
		/* The policy no longer has it: the grant gives nothing. */
		snap->dropped++;
		return RG_OK;
	}
	ss->custom[r].grants[p / RG_BITSET_WORD_BITS] |=
	    (uint64_t)1 << (p % RG_BITSET_WORD_BITS);
	return RG_OK;
}

long rg_snapshot_role_len(const struct rg_snap_service *ss,
                          const struct rg_service *svc, const char *id,
                          size_t len)
{
	long r = rg_intern_get_len(&svc->reg.role_ix, id, len);

	if (r >= 0 || !ss)
		return r;
	r = rg_intern_get_len(&ss->custom_ix, id, len);
	return r < 0 ? -1 : (long)svc->reg.nroles + r;
}

long rg_snapshot_role(const struct rg_snap_service *ss,
                      const struct rg_service *svc, const char *id)
{
	return id ? rg_snapshot_role_len(ss, svc, id, strlen(id)) : -1;
}

int rg_snapshot_add_assignment(struct rg_snapshot *snap,
                               const struct rg_service *svc, size_t user,
                               const char *role, size_t len)
{
	struct rg_snap_service *ss = service_of(snap, svc);
	long r;

	if (!ss)
		return RG_OK;
	if (user >= ss->nusers)
		return RG_ENOUSER;
	r = rg_snapshot_role_len(ss, ss->svc, role, len);
	if (r < 0) {
		snap->dropped++;
		return RG_OK;
	}
	rg_roleset_add(&ss->users[user].roles, (uint32_t)r);
	return RG_OK;
}

/* The kind's count of names, added when new; NULL when out of memory. */
static struct rg_snap_kind *snap_kind(struct rg_snap_service *ss,
                                      const char *kind)
{
	struct rg_snap_kind *k;
	size_t i;

	for (i = 0; i < ss->nkinds; i++)
		if (strcmp(ss->kinds[i].name, kind) == 0)
			return &ss->kinds[i];
	if (RG_GROW(ss->kinds, ss->capkinds, ss->nkinds + 1) != RG_OK)
		return NULL;
	k = &ss->kinds[ss->nkinds];
	k->name = rg_strdup(kind);
	if (!k->name)
		return NULL;
	k->count = 0;
	ss->nkinds++;
	return k;
}

/* Builds "kind\x1fname\x1fattr" into buf; 0 when it does not fit.  On
 * the decision path: plain copies, no printf. */
static int fact_key(char *buf, size_t len, const char *kind, const char *name,
                    const char *attr)
{
	size_t a = strlen(kind), b = strlen(name), c = strlen(attr);

	if (a + b + c + 3 > len)
		return 0;
	memcpy(buf, kind, a);
	buf[a] = FACT_SEP[0];
	memcpy(buf + a + 1, name, b);
	buf[a + 1 + b] = FACT_SEP[0];
	memcpy(buf + a + b + 2, attr, c + 1);
	return 1;
}

static int fact_insert(struct rg_snap_service *ss, const char *key,
                       const char *value)
{
	/* Values and node links grow with keys, to one capacity: it counts
	 * only once all three have grown, so that none is ever smaller. */
	size_t need = ss->nfacts + 1, ck = ss->capfacts, cv = ck, cn = ck;
	char *kc, *vc;

	if (RG_GROW(ss->fact_keys, ck, need) != RG_OK ||
	    RG_GROW(ss->fact_values, cv, need) != RG_OK ||
	    RG_GROW(ss->fact_next, cn, need) != RG_OK)
		return RG_ENOMEM;
	ss->capfacts = ck;
	kc = rg_strdup(key);
	vc = rg_strdup(value ? value : "");
	if (!kc || !vc ||
	    rg_intern_put(&ss->fact_ix, kc, (uint32_t)ss->nfacts) != RG_OK) {
		free(kc);
		free(vc);
		return RG_ENOMEM;
	}
	ss->fact_keys[ss->nfacts] = kc;
	ss->fact_values[ss->nfacts] = vc;
	ss->fact_next[ss->nfacts] = FACT_NONE;
	ss->nfacts++;
	return RG_OK;
}

int rg_snapshot_add_fact(struct rg_snapshot *snap, const char *service,
                         const char *kind, const char *name, const char *attr,
                         const char *value)
{
	struct rg_snap_service *ss = find_service(snap, service);
	char key[FACT_KEY_MAX], marker[FACT_KEY_MAX];
	struct rg_snap_kind *k;
	long m;
	int rc;

	if (!ss)
		return RG_OK;
	if (!kind || !*kind || strchr(kind, FACT_SEP[0]) || !name || !attr ||
	    !*attr || !fact_key(key, sizeof(key), kind, name, attr) ||
	    !fact_key(marker, sizeof(marker), kind, name, ""))
		return RG_EINVAL;
	if (rg_intern_get(&ss->fact_ix, key) >= 0)
		return RG_EEXIST;
	/* A marker "kind\x1fname\x1f" per name keeps the count exact, and
	 * heads the list of the name's facts (rg_fact_node()). */
	m = rg_intern_get(&ss->fact_ix, marker);
	if (m < 0) {
		k = snap_kind(ss, kind);
		if (!k)
			return RG_ENOMEM;
		rc = fact_insert(ss, marker, "");
		if (rc != RG_OK)
			return rc;
		m = (long)ss->nfacts - 1;
		k->count++;
	}
	rc = fact_insert(ss, key, value);
	if (rc != RG_OK)
		return rc;
	ss->fact_next[ss->nfacts - 1] = ss->fact_next[m];
	ss->fact_next[m] = (uint32_t)(ss->nfacts - 1);
	return RG_OK;
}

/* ---- sealing ------------------------------------------------------------ */

/*
 * A sealed user's block: what a check reads of the user, then its id (the
 * user index's key) and attribute values, together:
 *
 *   roles     head_words words: the role set's words that can be set
 *   meta      HEAD_META bytes: the attribute count, then each attribute's
 *             enum user_attr, in the order its value follows the id; at
 *             META_OFFS, each value's offset from the id (uint16_t)
 *   id\0 value\0 value\0 ...
 *
 * A check by user id finds the id through the index and reads the rest
 * around it: the user's record (216 bytes elsewhere) is not touched, which
 * at 50,000 users saves cache misses on every check the stack decides.
 * The offsets let a check point at the values without reading them: a
 * block spans two or three cache lines, and most checks read no value (the
 * plugins' prepared views hold what they need), so the lines after the id
 * are only fetched by the check that reads them.  The blocks of a service
 * are one allocation (on huge pages when large), each placed so that its
 * head and id share a cache line (block_place()).
 */
#define HEAD_META 32         /* the count, the keys, then the offsets */
#define META_OFFS 16         /* where the offsets start: after 1 + 8 keys */
#define OFF_FAR   UINT16_MAX /* too far for an offset: found by walking */

_Static_assert(1 + RG_USER_ATTR_MAX <= META_OFFS, "keys overlap offsets");
_Static_assert(META_OFFS + RG_USER_ATTR_MAX * sizeof(uint16_t) <= HEAD_META,
               "offsets overflow the meta");

static size_t head_bytes(size_t head_words)
{
	return head_words * sizeof(uint64_t) + HEAD_META;
}

/* The index of key among the service's keys: users' attributes point at
 * the service's copies (attr_key()).  RG_SNAP_KEYS_MAX when not found. */
static size_t attr_index(const struct rg_snap_service *ss, const char *key)
{
	size_t k;

	for (k = 0; k < ss->nattr_keys; k++)
		if (key == ss->attr_keys[k])
			break;
	return k < ss->nattr_keys ? k : RG_SNAP_KEYS_MAX;
}

/* The bytes of u's block. */
static size_t block_len(const struct rg_snap_user *u, size_t head)
{
	size_t a, len = head + strlen(u->id) + 1;

	for (a = 0; a < u->nattrs; a++)
		len += strlen(u->attrs[a].value) + 1;
	return len;
}

/*
 * Where the block of u goes in the sealed buffer, the previous one ending
 * at pos: aligned for the role words, and moved to the next cache line
 * when its head and id would straddle two although one holds them.  A
 * check reads the roles and the id (the key it compares): one line.
 */
static size_t block_place(const struct rg_snap_user *u, size_t head, size_t pos)
{
	size_t need = head + strlen(u->id) + 1;

	pos = (pos + sizeof(uint64_t) - 1) & ~(sizeof(uint64_t) - 1);
	if (need <= RG_LINE_BYTES &&
	    pos / RG_LINE_BYTES != (pos + need - 1) / RG_LINE_BYTES)
		pos = (pos + RG_LINE_BYTES - 1) & ~(size_t)(RG_LINE_BYTES - 1);
	return pos;
}

/* Writes u's block at block (block_len() bytes, aligned for uint64_t), and
 * where it ends to *end. */
static int pack_user(const struct rg_snap_service *ss,
                     const struct rg_snap_user *u, size_t head_words,
                     char *block, char **end)
{
	size_t head = head_bytes(head_words), a;
	unsigned char *meta;
	char *p;

	memcpy(block, u->roles.w, head_words * sizeof(uint64_t));
	meta = (unsigned char *)block + head_words * sizeof(uint64_t);
	memset(meta, 0, HEAD_META);
	meta[0] = (unsigned char)u->nattrs;
	for (a = 0; a < u->nattrs; a++) {
		size_t k = attr_index(ss, u->attrs[a].key);

		if (k >= RG_SNAP_KEYS_MAX)
			return RG_EINVAL; /* cannot happen */
		meta[1 + a] = (unsigned char)k;
	}
	p = block + head;
	a = strlen(u->id) + 1;
	memcpy(p, u->id, a);
	p += a;
	for (a = 0; a < u->nattrs; a++) {
		size_t n = strlen(u->attrs[a].value) + 1;
		size_t off = (size_t)(p - (block + head));
		uint16_t o = off < OFF_FAR ? (uint16_t)off : OFF_FAR;

		memcpy(meta + META_OFFS + a * sizeof(o), &o, sizeof(o));
		memcpy(p, u->attrs[a].value, n);
		p += n;
	}
	*end = p;
	return RG_OK;
}

/* Points u at its block (allocates nothing); the loose strings stay in
 * the arena until every user has moved. */
static void adopt_block(struct rg_snap_user *u, char *block, size_t head)
{
	char *p = block + head;
	size_t a;

	u->id = p;
	p += strlen(p) + 1;
	for (a = 0; a < u->nattrs; a++) {
		u->attrs[a].value = p;
		p += strlen(p) + 1;
	}
	u->block = block;
}

long rg_snapshot_user_at(const struct rg_snap_service *ss,
                         const struct rg_intern_slot *slot, rg_roleset *roles,
                         rg_attr *attrs, size_t *nattrs)
{
	const unsigned char *meta;
	const char *p;
	size_t a;

	if (!ss->head_words) {
		/* Not sealed (out of memory then): the record. */
		const struct rg_snap_user *u = &ss->users[slot->val];

		*roles = u->roles;
		memcpy(attrs, u->attrs, u->nattrs * sizeof(*attrs));
		*nattrs = u->nattrs;
		return (long)slot->val;
	}
	meta = (const unsigned char *)slot->key - HEAD_META;
	memset(roles, 0, sizeof(*roles));
	memcpy(roles->w, meta - ss->head_words * sizeof(uint64_t),
	       ss->head_words * sizeof(uint64_t));
	*nattrs = meta[0];
	for (a = 0; a < *nattrs; a++) {
		uint16_t o;

		memcpy(&o, meta + META_OFFS + a * sizeof(o), sizeof(o));
		attrs[a].key = ss->attr_keys[meta[1 + a]];
		if (o != OFF_FAR) {
			attrs[a].value = slot->key + o;
			continue;
		}
		/* After the previous value (or the id), which it follows. */
		p = a ? attrs[a - 1].value : slot->key;
		attrs[a].value = p + strlen(p) + 1;
	}
	return (long)slot->val;
}

long rg_snapshot_user(const struct rg_snap_service *ss, const char *user,
                      uint64_t h, rg_roleset *roles, rg_attr *attrs,
                      size_t *nattrs)
{
	const struct rg_intern_slot *slot;

	slot = ss ? rg_intern_slot_get(&ss->user_ix, user, h) : NULL;
	if (!slot)
		return -1;
	return rg_snapshot_user_at(ss, slot, roles, attrs, nattrs);
}

/* The sealed users' ids: user i's is at base + at[i] + head. */
struct sealed_ids {
	char *base;
	const size_t *at;
	size_t head;
};

static const char *sealed_id(void *arg, uint32_t i)
{
	const struct sealed_ids *ids = arg;

	return ids->base + ids->at[i] + ids->head;
}

static int seal_service(struct rg_snap_service *ss)
{
	/* Declared roles, then the custom ones (snapshot indexes). */
	size_t words =
	    (ss->svc->reg.nroles + ss->ncustom + RG_BITSET_WORD_BITS - 1) /
	    RG_BITSET_WORD_BITS;
	size_t head_words = words ? words : 1;
	size_t head = head_bytes(head_words), total = 0;
	size_t *at;
	char *buf = NULL, *end;
	rg_intern ix;
	size_t i;
	int rc = RG_OK;

	if (!ss->nusers)
		return RG_OK;
	if (ss->blocks)
		return RG_EINVAL; /* sealed already */
	at = rg_calloc_big(ss->nusers, sizeof(*at));
	if (!at)
		return RG_ENOMEM;
	rg_intern_init(&ix);
	for (i = 0; i < ss->nusers; i++) {
		at[i] = block_place(&ss->users[i], head, total);
		total = at[i] + block_len(&ss->users[i], head);
	}
	/* First everything that may fail, on the side.  Every block is
	 * written whole; only the padding before each is zeroed. */
	buf = rg_alloc_big_raw(total);
	if (!buf)
		rc = RG_ENOMEM;
	for (i = 0, end = buf; i < ss->nusers && rc == RG_OK; i++) {
		memset(end, 0, (size_t)(buf + at[i] - end));
		rc =
		    pack_user(ss, &ss->users[i], head_words, buf + at[i], &end);
	}
	if (rc == RG_OK) {
		struct sealed_ids ids = {buf, at, head};

		rc = rg_intern_rekey(&ix, &ss->user_ix, sealed_id, &ids);
	}
	if (rc != RG_OK) {
		rg_free_big(buf, total);
		rg_intern_free(&ix);
		RG_FREE_BIG(at, ss->nusers);
		return rc;
	}
	/* Then the switch, which cannot fail. */
	for (i = 0; i < ss->nusers; i++)
		adopt_block(&ss->users[i], buf + at[i], head);
	rg_intern_free(&ss->user_ix);
	ss->user_ix = ix;
	ss->head_words = head_words;
	ss->blocks = buf;
	ss->blocks_len = total;
	RG_FREE_BIG(at, ss->nusers);
	/* Nothing points at the loose strings any more. */
	rg_arena_free(&ss->strings);
	return RG_OK;
}

/* The entries whose plugin prepares snapshots (view_prepare). */
static int prepares(const struct rg_plugin_handle *h)
{
	return h->opened && h->status == RG_OK && rg_has_view_prepare(h);
}

/* Lets each entry's plugin prepare what it reads of ss on every check.  A
 * failure costs that entry its preparation, never a check's answer. */
static void prepare_service(struct rg_snap_service *ss)
{
	const struct rg_service *svc = ss->svc;
	struct rg_req_view rv = {ss, -1};
	rg_plugin_request preq;
	size_t i;

	if (!svc->nentries)
		return;
	ss->prepared = calloc(svc->nentries, sizeof(*ss->prepared));
	if (!ss->prepared)
		return;
	memset(&preq, 0, sizeof(preq));
	preq.service = svc->name;
	preq.action = -1;
	preq.view = &rv;
	for (i = 0; i < svc->nentries; i++) {
		const struct rg_plugin_handle *h = svc->entries[i];
		void *p = NULL;
		int rc;

		if (!prepares(h))
			continue;
		preq.handle = h;
		rc = rg_call_view_prepare(h, &preq, &p);
		if (rc == RG_OK) {
			ss->prepared[i] = p;
			continue;
		}
		rg_call_view_release(h, p);
		rg_plugin_log(h, RG_LOG_WARNING,
		              "preparing the directory snapshot failed: %s; "
		              "checks are decided without",
		              rg_strerror(rc));
	}
}

static void prepared_free(struct rg_snap_service *ss)
{
	size_t i;

	for (i = 0; ss->prepared && i < ss->svc->nentries; i++)
		rg_call_view_release(ss->svc->entries[i], ss->prepared[i]);
	free(ss->prepared);
	ss->prepared = NULL;
}

int rg_snapshot_seal(struct rg_snapshot *snap, int tables)
{
	size_t i;
	int rc;

	for (i = 0; i < snap->nservices; i++) {
		struct rg_snap_service *ss = &snap->services[i];

		/* One shared with the snapshot before is finished. */
		if (ss->sealed)
			continue;
		rc = seal_service(ss);
		if (rc != RG_OK)
			return rc;
		prepare_service(ss);
		/* Last the decision table, on the finished users (and with
		 * what the plugins prepared).  Without memory for it, or
		 * without one (a context for a few checks), every check is
		 * decided the slow way: still right. */
		if (ss->nusers && tables)
			rg_table_build(ss);
		ss->sealed = 1;
	}
	return RG_OK;
}

/* ---- publishing ---------------------------------------------------------- */

void rg_snapshot_publish(struct rg_context *ctx, struct rg_snapshot *snap)
{
	struct rg_snapshot *retired;

	pthread_mutex_lock(&ctx->publish_lock);
	retired = rg_pub_swap(&ctx->snap, snap);
	pthread_mutex_unlock(&ctx->publish_lock);
	rg_snapshot_free(retired);
}

void rg_snapshot_clear(struct rg_context *ctx)
{
	rg_snapshot_free(rg_pub_peek(&ctx->snap));
	rg_pub_init(&ctx->snap, NULL);
}

const struct rg_snap_service *rg_snapshot_service(const struct rg_snapshot *s,
                                                  const struct rg_service *svc)
{
	/* Parallel to the context's services (rg_snapshot_new()). */
	if (!s || svc->index >= s->nservices ||
	    s->services[svc->index].svc != svc)
		return NULL;
	return &s->services[svc->index];
}

/* ---- what plugins read --------------------------------------------------- */

const void *rg_request_prepared(const rg_plugin_request *req)
{
	const struct rg_snap_service *ss = rg_request_ss(req);
	const struct rg_plugin_handle *h = req ? req->handle : NULL;

	if (!ss || !ss->prepared || !h || h->svc != ss->svc)
		return NULL;
	return ss->prepared[h->entry];
}

long rg_request_user_index(const rg_plugin_request *req)
{
	const struct rg_req_view *rv = req ? req->view : NULL;

	return rv && rv->ss ? rv->user : -1;
}

size_t rg_view_user_count(const rg_plugin_request *req)
{
	const struct rg_snap_service *ss = rg_request_ss(req);

	return ss ? ss->nusers : 0;
}

int rg_view_user(const rg_plugin_request *req, size_t i, rg_plugin_request *out)
{
	const struct rg_snap_service *ss = rg_request_ss(req);
	const struct rg_snap_user *u;

	if (!ss || !out || i >= ss->nusers)
		return RG_EINVAL;
	u = &ss->users[i];
	memset(out, 0, sizeof(*out));
	out->handle = req->handle;
	out->service = req->service;
	out->user = u->id;
	out->roles = &u->roles;
	out->action = -1;
	out->subject_attrs = u->attrs;
	out->nsubject_attrs = u->nattrs;
	/* The same snapshot, with no user index (view_prepare() has i). */
	out->view = req->view;
	return RG_OK;
}

/* rg_fact() of a snapshot, out of line for the reason kind_count() is. */
static __attribute__((noinline)) const char *
fact_of(const struct rg_snap_service *ss, const char *kind, const char *name,
        const char *attr)
{
	char key[FACT_KEY_MAX];
	long i;

	if (!fact_key(key, sizeof(key), kind, name, attr))
		return NULL;
	i = rg_intern_get(&ss->fact_ix, key);
	return i < 0 ? NULL : ss->fact_values[i];
}

const char *rg_fact(const rg_plugin_request *req, const char *kind,
                    const char *name, const char *attr)
{
	const struct rg_snap_service *ss = rg_request_ss(req);

	if (!ss || !kind || !name || !attr || !*attr)
		return NULL;
	return fact_of(ss, kind, name, attr);
}

long rg_fact_node(const rg_plugin_request *req, const char *kind,
                  const char *name)
{
	const struct rg_snap_service *ss = rg_request_ss(req);
	char marker[FACT_KEY_MAX];

	if (!ss || !kind || !name ||
	    !fact_key(marker, sizeof(marker), kind, name, ""))
		return -1;
	return rg_intern_get(&ss->fact_ix, marker);
}

const char *rg_fact_node_get(const rg_plugin_request *req, long node,
                             const char *attr)
{
	const struct rg_snap_service *ss = rg_request_ss(req);
	uint32_t f;

	if (!ss || node < 0 || (size_t)node >= ss->nfacts || !attr || !*attr)
		return NULL;
	/* A name has a handful of facts: compare each one's attribute, the
	 * key's last part. */
	for (f = ss->fact_next[node]; f != FACT_NONE; f = ss->fact_next[f]) {
		const char *a = strrchr(ss->fact_keys[f], FACT_SEP[0]);

		if (a && strcmp(a + 1, attr) == 0)
			return ss->fact_values[f];
	}
	return NULL;
}

/* rg_fact_count() of a snapshot: out of line, so that a check without
 * one (a subject given by its roles, no directory) saves no registers
 * for a loop it never runs. */
static __attribute__((noinline)) size_t
kind_count(const struct rg_snap_service *ss, const char *kind)
{
	size_t k;

	for (k = 0; k < ss->nkinds; k++)
		if (strcmp(ss->kinds[k].name, kind) == 0)
			return ss->kinds[k].count;
	return 0;
}

size_t rg_fact_count(const rg_plugin_request *req, const char *kind)
{
	const struct rg_snap_service *ss = rg_request_ss(req);

	return ss && kind ? kind_count(ss, kind) : 0;
}

void rg_snapshot_prefetch_user(const struct rg_snap_service *ss, uint64_t h)
{
	const struct rg_intern_slot *slot =
	    rg_intern_slot_peek(&ss->user_ix, h);

	if (!slot)
		return;
	/* The block: roles and attribute keys before the id, values after. */
	if (ss->head_words)
		__builtin_prefetch(slot->key - head_bytes(ss->head_words));
	__builtin_prefetch(slot->key);
}

const char *rg_snapshot_role_id(const struct rg_service *svc,
                                const struct rg_snap_service *ss, long role)
{
	const rg_registry *r = &svc->reg;

	if (role < 0)
		return NULL;
	if ((size_t)role < r->nroles)
		return r->roles[role].id;
	if (ss && (size_t)role - r->nroles < ss->ncustom)
		return ss->custom[(size_t)role - r->nroles].id;
	return NULL;
}

const char *rg_request_role_id(const rg_plugin_request *req, long role)
{
	if (!req || !req->handle)
		return NULL;
	return rg_snapshot_role_id(req->handle->svc, rg_request_ss(req), role);
}

/* A custom role of the subject that grants priv, for this plugin, or -1. */
long rg_snapshot_custom_grant(const rg_plugin_request *req,
                              const rg_roleset *roles, uint32_t priv)
{
	const struct rg_snap_service *ss = rg_request_ss(req);
	size_t base, i;

	if (!ss || !ss->ncustom || priv >= RG_MAX_PRIVILEGES)
		return -1;
	base = req->handle->svc->reg.nroles;
	for (i = 0; i < ss->ncustom; i++) {
		const struct rg_snap_custom *c = &ss->custom[i];
		if (c->owner == req->handle &&
		    rg_roleset_has(roles, (uint32_t)(base + i)) &&
		    ((c->grants[priv / RG_BITSET_WORD_BITS] >>
		      (priv % RG_BITSET_WORD_BITS)) &
		     1u))
			return (long)(base + i);
	}
	return -1;
}
