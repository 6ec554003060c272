/*
 * org.c - the organisation a service's plugins declare: its entries, their
 * attributes and parents, users' memberships of them, and the checks of a
 * declared value.
 *
 * The store knows no kind of its own.  A kind is what a plugin declared
 * (rg_declare_org_kind()): its parent kind (none, another kind, or itself:
 * a tree), the attribute the parent is kept under, whether it has a single
 * root, whether a parent is required, whether users can be members.  Every
 * operation here reads that declaration, and refuses what the service does
 * not declare, naming what it does.  An entry is a row of org; its parent
 * and attributes are rows of org_attr; a membership a row of member.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dirimpl.h"

#define DECIMAL_MAX 32 /* a long in decimal, with room to spare */
#define PARENT_KEY  "parent"

/* ---- the vocabulary, as the store reads it ----------------------------- */

const struct rg_vocab_entry *rg_dir_kind(const struct rg_service *svc,
                                         const char *kind)
{
	return svc && kind
	           ? rg_vocab_lookup(&svc->vocab, RG_VOCAB_ORG_KIND, NULL, kind)
	           : NULL;
}

const char *rg_dir_parent_key(const struct rg_vocab_entry *e)
{
	if (!e->parent)
		return NULL;
	return e->parent_attr ? e->parent_attr : PARENT_KEY;
}

int rg_dir_kind_is_tree(const struct rg_vocab_entry *e)
{
	return e->parent && strcmp(e->parent, e->name) == 0;
}

/* Appends item to the list in buf as "a, b or c" goes: i of n. */
static void names_add(char *buf, size_t len, size_t *used, const char *item,
                      size_t i, size_t n)
{
	const char *sep = i == 0 ? "" : (i + 1 == n ? " or " : ", ");
	int k;

	if (*used >= len)
		return;
	k = snprintf(buf + *used, len - *used, "%s%s", sep, item);
	*used += k > 0 ? (size_t)k : 0;
}

static int names_match(const struct rg_vocab_entry *e, rg_vocab_what what,
                       const char *kind)
{
	return e->what == what &&
	       (what != RG_VOCAB_ORG_ATTR ||
	        (kind && e->kind && strcmp(e->kind, kind) == 0));
}

void rg_dir_vocab_names(const struct rg_service *svc, rg_vocab_what what,
                        const char *kind, const char *first, char *buf,
                        size_t len)
{
	size_t i, n = first != NULL, k = 0, used = 0;

	if (len)
		buf[0] = '\0';
	for (i = 0; svc && i < svc->vocab.n; i++)
		n += (size_t)names_match(&svc->vocab.v[i], what, kind);
	if (first)
		names_add(buf, len, &used, first, k++, n);
	for (i = 0; svc && i < svc->vocab.n; i++)
		if (names_match(&svc->vocab.v[i], what, kind))
			names_add(buf, len, &used, svc->vocab.v[i].name, k++,
			          n);
}

/* An enum's values "a,b,c" as "a, b or c". */
static void enum_words(const char *values, char *buf, size_t len)
{
	size_t n = 1, i = 0, used = 0;
	const char *p;
	char item[RG_ID_MAX];

	if (len)
		buf[0] = '\0';
	for (p = values; p && (p = strchr(p, ',')); p++)
		n++;
	for (p = values; p && *p; i++) {
		const char *end = strchr(p, ',');
		size_t k = end ? (size_t)(end - p) : strlen(p);

		snprintf(item, sizeof(item), "%.*s", (int)k, p);
		names_add(buf, len, &used, item, i, n);
		p = end ? end + 1 : NULL;
	}
}

int rg_dir_value_check(const struct rg_vocab_entry *e, const char *value,
                       char *buf, size_t buflen, const char **stored, char *err,
                       size_t errlen)
{
	char words[RG_MSG_MAX];
	long n;

	*stored = value;
	if (e->type == RG_ATTR_INTEGER) {
		if (!rg_vocab_integer(value, &n) || n < e->min) {
			snprintf(err, errlen, "expected a whole number >= %ld",
			         e->min);
			return RG_EINVAL;
		}
		snprintf(buf, buflen, "%ld", n);
		*stored = buf;
	} else if (e->type == RG_ATTR_ENUM) {
		enum_words(e->values, words, sizeof(words));
		if (rg_vocab_value_check(e, value, err, errlen) != RG_OK) {
			snprintf(err, errlen, "expected %s", words);
			return RG_EINVAL;
		}
		return RG_OK;
	} else if (!rg_dir_text_valid(value, RG_DIR_TEXT_MAX, 1)) {
		snprintf(err, errlen,
		         "expected at most %d bytes of text without control "
		         "characters",
		         RG_DIR_TEXT_MAX - 1);
		return RG_EINVAL;
	}
	/* The type is right: now the plugin's own word (its hook). */
	return rg_vocab_value_check(e, *stored, err, errlen);
}

/* ---- entries ------------------------------------------------------------ */

static const char SQL_ORG_EXISTS[] =
    "SELECT count(*) FROM org WHERE service = ?1 AND kind = ?2 AND name = ?3";
static const char SQL_ORG_INSERT[] =
    "INSERT INTO org (service, kind, name) VALUES (?1, ?2, ?3)";
static const char SQL_ORG_DELETE[] =
    "DELETE FROM org WHERE service = ?1 AND kind = ?2 AND name = ?3";
static const char SQL_ORG_ATTR_GET[] =
    "SELECT value FROM org_attr WHERE service = ?1 AND kind = ?2 AND "
    "name = ?3 AND key = ?4";
static const char SQL_ORG_ATTR_PUT[] =
    "INSERT INTO org_attr (service, kind, name, key, value) VALUES "
    "(?1, ?2, ?3, ?4, ?5) ON CONFLICT (service, kind, name, key) DO UPDATE "
    "SET value = excluded.value";
static const char SQL_ORG_ATTR_DELETE[] =
    "DELETE FROM org_attr WHERE service = ?1 AND kind = ?2 AND name = ?3 "
    "AND key = ?4";
/* A root of kind ?2 other than ?3: an entry without its parent key ?4. */
static const char SQL_ORG_ROOT[] =
    "SELECT o.name FROM org o WHERE o.service = ?1 AND o.kind = ?2 AND "
    "o.name <> ?3 AND NOT EXISTS (SELECT 1 FROM org_attr a WHERE "
    "a.service = o.service AND a.kind = o.kind AND a.name = o.name AND "
    "a.key = ?4) ORDER BY o.name";
static const char SQL_ORG_COUNT[] =
    "SELECT count(*) FROM org WHERE service = ?1 AND kind = ?2";
/* Entries of kind ?2 whose attribute ?3 names ?4: children, references. */
static const char SQL_ORG_USES[] =
    "SELECT count(*) FROM org_attr WHERE service = ?1 AND kind = ?2 AND "
    "key = ?3 AND value = ?4";
static const char SQL_USER_USES[] =
    "SELECT count(*) FROM user_attr WHERE service = ?1 AND key = ?2 AND "
    "value = ?3";
static const char SQL_ORG_MEMBERS[] =
    "SELECT count(*) FROM member WHERE service = ?1 AND kind = ?2 AND "
    "name = ?3";

/* The declaration of kind; the txn fails naming the kinds there are. */
static int org_kind(rg_txn *txn, const char *kind,
                    const struct rg_vocab_entry **out)
{
	char names[RG_MSG_MAX];

	*out = rg_dir_kind(txn->svc, kind);
	if (*out)
		return RG_OK;
	rg_dir_vocab_names(txn->svc, RG_VOCAB_ORG_KIND, NULL, NULL, names,
	                   sizeof(names));
	if (!*names)
		return rg_txn_fail(txn, RG_EINVAL,
		                   "unknown organisation kind '%.*s': service "
		                   "'%s' declares none",
		                   RG_ID_MAX, kind ? kind : "(none)",
		                   txn->svc->name);
	return rg_txn_fail(txn, RG_EINVAL,
	                   "unknown organisation kind '%.*s': expected %s",
	                   RG_ID_MAX, kind ? kind : "(none)", names);
}

static int org_exists(rg_txn *txn, const struct rg_vocab_entry *k,
                      const char *name, int *found)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(k->name),
	                RG_TEXT(name)};
	long long n = 0;
	int rc = rg_dir_count(txn, SQL_ORG_EXISTS, p, RG_COUNTOF(p), &n);

	*found = n > 0;
	return rc;
}

int rg_dir_need_org(rg_txn *txn, const struct rg_vocab_entry *k,
                    const char *name)
{
	int found, rc;

	rc = org_exists(txn, k, name, &found);
	if (rc == RG_OK && !found)
		rc = rg_txn_fail(txn, RG_ENOENT,
		                 "unknown %s '%.*s' in service '%s'", k->noun,
		                 RG_ID_MAX, name, txn->svc->name);
	return rc;
}

/* The entry's attribute key, or NULL (*out, allocated). */
static int attr_get(rg_txn *txn, const struct rg_vocab_entry *k,
                    const char *name, const char *key, char **out)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(k->name),
	                RG_TEXT(name), RG_TEXT(key)};

	return rg_dir_text(txn, SQL_ORG_ATTR_GET, p, RG_COUNTOF(p), out, NULL);
}

/* Sets the entry's attribute key to value; NULL removes it. */
static int attr_put(rg_txn *txn, const struct rg_vocab_entry *k,
                    const char *name, const char *key, const char *value)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(k->name),
	                RG_TEXT(name), RG_TEXT(key), RG_TEXT(value)};

	return rg_txn_exec(txn, value ? SQL_ORG_ATTR_PUT : SQL_ORG_ATTR_DELETE,
	                   p, value ? RG_COUNTOF(p) : RG_COUNTOF(p) - 1, NULL);
}

/* Refuses a second root of a single-root kind: an entry of kind k other
 * than `except` without a parent. */
static int single_root(rg_txn *txn, const struct rg_vocab_entry *k,
                       const char *except, const char *hint)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(k->name),
	                RG_TEXT(except ? except : ""),
	                RG_TEXT(rg_dir_parent_key(k))};
	char *root = NULL;
	int rc;

	if (!(k->flags & RG_ORG_SINGLE_ROOT))
		return RG_OK;
	rc = rg_dir_text(txn, SQL_ORG_ROOT, p, RG_COUNTOF(p), &root, NULL);
	if (rc == RG_OK && root)
		rc = rg_txn_fail(txn, RG_EREFUSED,
		                 "service '%s' already has a root %s ('%s')%s",
		                 txn->svc->name, k->noun, root, hint);
	free(root);
	return rc;
}

/* Refuses an entry without a parent where the kind wants one. */
static int parent_missing(rg_txn *txn, const struct rg_vocab_entry *k,
                          const char *name, const char *except)
{
	char hint[RG_MSG_MAX];

	if (k->flags & RG_ORG_PARENT_REQUIRED)
		return rg_txn_fail(txn, RG_EINVAL, "%s '%s' needs a %s",
		                   k->noun, name, rg_dir_parent_key(k));
	snprintf(hint, sizeof(hint), except ? "" : ": give '%s' a parent",
	         name);
	return single_root(txn, k, except, hint);
}

/* Checks the parent a new entry `name` of kind k names (NULL: none). */
static int parent_check(rg_txn *txn, const struct rg_vocab_entry *k,
                        const char *name, const char *parent)
{
	if (!k->parent)
		return parent ? rg_txn_fail(txn, RG_EINVAL,
		                            "a %s has no parent (got '%.*s')",
		                            k->noun, RG_ID_MAX, parent)
		              : RG_OK;
	if (!parent)
		return parent_missing(txn, k, name, NULL);
	return rg_dir_need_org(txn, rg_dir_kind(txn->svc, k->parent), parent);
}

int rg_org_add(rg_txn *txn, const char *kind, const char *name,
               const char *parent)
{
	const struct rg_vocab_entry *k = NULL;
	int rc = rg_dir_txn_usable(txn), found;

	if (rc == RG_OK)
		rc = org_kind(txn, kind, &k);
	if (rc != RG_OK)
		return rc;
	if (!rg_dir_org_name_valid(name))
		return rg_txn_fail(txn, RG_EINVAL,
		                   "invalid %s name '%.*s': 1 to %d bytes of "
		                   "text without commas or blanks at either "
		                   "end",
		                   k->noun, RG_ID_MAX, name ? name : "",
		                   RG_ID_MAX - 1);
	rc = org_exists(txn, k, name, &found);
	if (rc == RG_OK && found)
		rc = rg_txn_fail(txn, RG_EEXIST,
		                 "%s '%s' already exists in service '%s'",
		                 k->noun, name, txn->svc->name);
	if (rc == RG_OK)
		rc = parent_check(txn, k, name, parent);
	if (rc == RG_OK) {
		rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(k->name),
		                RG_TEXT(name)};
		rc = rg_txn_exec(txn, SQL_ORG_INSERT, p, RG_COUNTOF(p), NULL);
	}
	if (rc == RG_OK && parent)
		rc = attr_put(txn, k, name, rg_dir_parent_key(k), parent);
	if (rc == RG_OK)
		rc = rg_txn_audit(txn, NULL, "org.add", NULL,
		                  json_pack("{s:s, s:s, s:s?}", "kind", kind,
		                            "name", name, "parent", parent));
	return rc;
}

/* ---- what uses an entry ------------------------------------------------ */

/* The counts of what uses an entry, as words: "1 agent and 2 users". */
struct uses {
	char msg[RG_MSG_MAX];
	size_t len;
};

static void uses_add(struct uses *u, long long n, const char *noun,
                     const char *prefix)
{
	int k;

	if (!n || u->len >= sizeof(u->msg))
		return;
	k = snprintf(u->msg + u->len, sizeof(u->msg) - u->len, "%s%lld %s%s%s",
	             u->len ? " and " : "", n, prefix, noun, n == 1 ? "" : "s");
	u->len += k > 0 ? (size_t)k : 0;
}

/* Entries of other kinds (and children, in a tree) that name it as their
 * parent, or reference it in an attribute. */
static int uses_by_entries(rg_txn *txn, const struct rg_vocab_entry *k,
                           const char *name, struct uses *u)
{
	const rg_vocab *v = &txn->svc->vocab;
	size_t i;
	int rc = RG_OK;

	for (i = 0; rc == RG_OK && i < v->n; i++) {
		const struct rg_vocab_entry *e = &v->v[i];
		const struct rg_vocab_entry *of = e;
		const char *key = NULL;
		long long n = 0;

		if (e->what == RG_VOCAB_ORG_KIND && e->parent &&
		    strcmp(e->parent, k->name) == 0)
			key = rg_dir_parent_key(e);
		else if (e->what == RG_VOCAB_ORG_ATTR &&
		         e->type == RG_ATTR_REF && e->ref &&
		         strcmp(e->ref, k->name) == 0)
			key = e->name, of = rg_dir_kind(txn->svc, e->kind);
		if (!key || !of)
			continue;
		{
			rg_value p[] = {RG_TEXT(txn->svc->name),
			                RG_TEXT(of->name), RG_TEXT(key),
			                RG_TEXT(name)};
			rc = rg_dir_count(txn, SQL_ORG_USES, p, RG_COUNTOF(p),
			                  &n);
		}
		uses_add(u, n, of->noun,
		         of == k && e->what == RG_VOCAB_ORG_KIND ? "child "
		                                                 : "");
	}
	return rc;
}

/* The noun of a member of kind k: the role workflow's that edits its
 * members ("agent"), else "member". */
static const char *member_noun(const struct rg_service *svc,
                               const struct rg_vocab_entry *k)
{
	size_t i;

	for (i = 0; i < svc->vocab.n; i++) {
		const struct rg_vocab_entry *e = &svc->vocab.v[i];

		if (e->what == RG_VOCAB_WORKFLOW && e->kind &&
		    strcmp(e->kind, k->name) == 0)
			return e->name;
	}
	return "member";
}

/* Users whose attributes reference it, and its members. */
static int uses_by_users(rg_txn *txn, const struct rg_vocab_entry *k,
                         const char *name, struct uses *u)
{
	const rg_vocab *v = &txn->svc->vocab;
	long long n = 0, total = 0;
	size_t i;
	int rc = RG_OK;

	for (i = 0; rc == RG_OK && i < v->n; i++) {
		const struct rg_vocab_entry *e = &v->v[i];
		rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(e->name),
		                RG_TEXT(name)};

		if (e->what != RG_VOCAB_USER_ATTR || e->type != RG_ATTR_REF ||
		    !e->ref || strcmp(e->ref, k->name) != 0)
			continue;
		rc = rg_dir_count(txn, SQL_USER_USES, p, RG_COUNTOF(p), &n);
		total += n;
	}
	uses_add(u, total, "user", "");
	if (rc == RG_OK) {
		rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(k->name),
		                RG_TEXT(name)};
		n = 0;
		rc = rg_dir_count(txn, SQL_ORG_MEMBERS, p, RG_COUNTOF(p), &n);
		uses_add(u, n, member_noun(txn->svc, k), "");
	}
	return rc;
}

/* Refuses to remove an entry still in use, with the counts. */
static int org_in_use(rg_txn *txn, const struct rg_vocab_entry *k,
                      const char *name)
{
	struct uses u = {"", 0};
	int rc = uses_by_entries(txn, k, name, &u);

	if (rc == RG_OK)
		rc = uses_by_users(txn, k, name, &u);
	if (rc == RG_OK && u.len)
		rc = rg_txn_fail(txn, RG_EBUSY, "%s '%s' is in use: it has %s",
		                 k->noun, name, u.msg);
	return rc;
}

int rg_org_remove(rg_txn *txn, const char *kind, const char *name)
{
	const struct rg_vocab_entry *k = NULL;
	json_t *before = NULL;
	int rc = rg_dir_txn_usable(txn);

	if (rc == RG_OK)
		rc = org_kind(txn, kind, &k);
	if (rc == RG_OK && !name)
		rc = rg_txn_fail(txn, RG_EINVAL, "no name given");
	if (rc == RG_OK)
		rc = rg_dir_need_org(txn, k, name);
	if (rc == RG_OK)
		rc = org_in_use(txn, k, name);
	/* The whole entry, so that an undo can bring it back. */
	if (rc == RG_OK)
		before = rg_dir_audit_entry(txn, kind, name);
	if (rc == RG_OK) {
		/* Its attributes go with it (ON DELETE CASCADE). */
		rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(k->name),
		                RG_TEXT(name)};
		rc = rg_txn_exec(txn, SQL_ORG_DELETE, p, RG_COUNTOF(p), NULL);
	}
	if (rc == RG_OK)
		return rg_txn_audit(txn, NULL, "org.remove", before, NULL);
	json_decref(before);
	return rc;
}

/* ---- attributes and parents -------------------------------------------- */

/* Refuses a move of `name` under parent that would close a cycle. */
static int cycle_check(rg_txn *txn, const struct rg_vocab_entry *k,
                       const char *name, const char *parent)
{
	rg_value pc[] = {RG_TEXT(txn->svc->name), RG_TEXT(k->name)};
	char *cur = rg_strdup(parent), *next;
	long long limit = 0;
	int rc;

	if (!cur)
		return rg_txn_fail(txn, RG_ENOMEM, "out of memory");
	/* A damaged table could loop: never walk more steps than entries. */
	rc = rg_dir_count(txn, SQL_ORG_COUNT, pc, RG_COUNTOF(pc), &limit);
	while (rc == RG_OK && cur && limit-- >= 0) {
		if (strcmp(cur, name) == 0) {
			rc =
			    rg_txn_fail(txn, RG_EREFUSED,
			                "moving %s '%s' under '%s' would make "
			                "a cycle ('%s' is '%s' itself or below "
			                "it)",
			                k->noun, name, parent, parent, name);
			break;
		}
		next = NULL;
		rc = attr_get(txn, k, cur, rg_dir_parent_key(k), &next);
		free(cur);
		cur = next;
	}
	free(cur);
	return rc;
}

/* Moves `name` under value (NULL: makes it a root, where it may be). */
static int parent_set(rg_txn *txn, const struct rg_vocab_entry *k,
                      const char *name, const char *value, char **old)
{
	const char *key = rg_dir_parent_key(k);
	int rc = attr_get(txn, k, name, key, old);

	if (rc == RG_OK && value) {
		rc = rg_dir_need_org(txn, rg_dir_kind(txn->svc, k->parent),
		                     value);
		if (rc == RG_OK && rg_dir_kind_is_tree(k))
			rc = cycle_check(txn, k, name, value);
	} else if (rc == RG_OK) {
		rc = parent_missing(txn, k, name, name);
	}
	if (rc == RG_OK)
		rc = attr_put(txn, k, name, key, value);
	return rc;
}

/* Sets a declared attribute of the entry, checked through its
 * declaration. */
static int attr_set(rg_txn *txn, const struct rg_vocab_entry *k,
                    const struct rg_vocab_entry *a, const char *name,
                    const char *value, char **old)
{
	char buf[DECIMAL_MAX], msg[RG_MSG_MAX];
	const char *stored = NULL;
	int rc;

	if (value && rg_dir_value_check(a, value, buf, sizeof(buf), &stored,
	                                msg, sizeof(msg)) != RG_OK)
		return rg_txn_fail(txn, RG_EINVAL,
		                   "invalid %s '%.*s' for %s '%s': %s", a->name,
		                   RG_ID_MAX, value, k->noun, name, msg);
	if (value && a->type == RG_ATTR_REF &&
	    rg_dir_need_org(txn, rg_dir_kind(txn->svc, a->ref), value) != RG_OK)
		return txn->status;
	rc = attr_get(txn, k, name, a->name, old);
	if (rc == RG_OK)
		rc = attr_put(txn, k, name, a->name, stored);
	return rc;
}

/* The txn fails naming the attributes kind k has. */
static int attr_unknown(rg_txn *txn, const struct rg_vocab_entry *k,
                        const char *attr)
{
	char all[RG_MSG_MAX];

	/* The parent is kept as an attribute too: it leads the list. */
	rg_dir_vocab_names(txn->svc, RG_VOCAB_ORG_ATTR, k->name,
	                   rg_dir_parent_key(k), all, sizeof(all));
	if (!*all)
		return rg_txn_fail(txn, RG_EINVAL,
		                   "unknown %s attribute '%.*s': a %s has none",
		                   k->noun, RG_ID_MAX, attr, k->noun);
	return rg_txn_fail(txn, RG_EINVAL,
	                   "unknown %s attribute '%.*s': expected %s", k->noun,
	                   RG_ID_MAX, attr, all);
}

int rg_org_set(rg_txn *txn, const char *kind, const char *name,
               const char *attr, const char *value)
{
	const struct rg_vocab_entry *k = NULL, *a;
	const char *parent;
	char *old = NULL;
	int rc = rg_dir_txn_usable(txn);

	if (rc == RG_OK)
		rc = org_kind(txn, kind, &k);
	if (rc == RG_OK && (!name || !attr))
		rc = rg_txn_fail(txn, RG_EINVAL, "no name or attribute given");
	if (rc == RG_OK)
		rc = rg_dir_need_org(txn, k, name);
	if (rc != RG_OK)
		return rc;
	parent = rg_dir_parent_key(k);
	a = rg_vocab_lookup(&txn->svc->vocab, RG_VOCAB_ORG_ATTR, k->name, attr);
	if (parent && strcmp(attr, parent) == 0)
		rc = parent_set(txn, k, name, value, &old);
	else if (a)
		rc = attr_set(txn, k, a, name, value, &old);
	else
		rc = attr_unknown(txn, k, attr);
	if (rc == RG_OK)
		rc = rg_txn_audit(txn, NULL, "org.set",
		                  json_pack("{s:s, s:s, s:s?}", "kind", kind,
		                            "name", name, attr, old),
		                  json_pack("{s:s, s:s, s:s?}", "kind", kind,
		                            "name", name, attr, value));
	free(old);
	return rc;
}

/* ---- memberships ------------------------------------------------------- */

static const char SQL_MEMBER_EXISTS[] =
    "SELECT count(*) FROM member WHERE service = ?1 AND user_id = ?2 AND "
    "kind = ?3 AND name = ?4";
static const char SQL_MEMBER_INSERT[] =
    "INSERT INTO member (service, user_id, kind, name) VALUES "
    "(?1, ?2, ?3, ?4)";
static const char SQL_MEMBER_DELETE[] =
    "DELETE FROM member WHERE service = ?1 AND user_id = ?2 AND kind = ?3 "
    "AND name = ?4";

/* The user attribute that references kind k, or NULL: what a kind
 * without members is to users. */
static const struct rg_vocab_entry *ref_attr(const struct rg_service *svc,
                                             const struct rg_vocab_entry *k)
{
	size_t i;

	for (i = 0; i < svc->vocab.n; i++) {
		const struct rg_vocab_entry *e = &svc->vocab.v[i];

		if (e->what == RG_VOCAB_USER_ATTR && e->type == RG_ATTR_REF &&
		    e->ref && strcmp(e->ref, k->name) == 0)
			return e;
	}
	return NULL;
}

/* Refuses a membership of a kind without members, saying what instead. */
static int no_members(rg_txn *txn, const struct rg_vocab_entry *k)
{
	const struct rg_vocab_entry *a = ref_attr(txn->svc, k);

	if (a)
		return rg_txn_fail(txn, RG_EINVAL,
		                   "a user is not a member of a %s: set the "
		                   "user's %s instead",
		                   k->noun, a->name);
	return rg_txn_fail(txn, RG_EINVAL, "a user is not a member of a %s",
	                   k->noun);
}

/* Common checks of a membership change; *is_member on success. */
static int member_prepare(rg_txn *txn, const char *user, const char *kind,
                          const char *name, const struct rg_vocab_entry **k,
                          int *is_member)
{
	long long n = 0;
	int rc = rg_dir_txn_usable(txn);

	*is_member = 0;
	if (rc == RG_OK)
		rc = rg_dir_need_user(txn, user);
	if (rc == RG_OK)
		rc = org_kind(txn, kind, k);
	if (rc == RG_OK && !((*k)->flags & RG_ORG_MEMBERS))
		rc = no_members(txn, *k);
	if (rc == RG_OK && !name)
		rc = rg_txn_fail(txn, RG_EINVAL, "no %s given", (*k)->noun);
	if (rc == RG_OK)
		rc = rg_dir_need_org(txn, *k, name);
	if (rc == RG_OK) {
		rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(user),
		                RG_TEXT((*k)->name), RG_TEXT(name)};
		rc = rg_dir_count(txn, SQL_MEMBER_EXISTS, p, RG_COUNTOF(p), &n);
	}
	*is_member = n > 0;
	return rc;
}

/* Adds (add) or removes the membership, with the user's copy and the
 * audit record. */
static int member_change(rg_txn *txn, const char *user,
                         const struct rg_vocab_entry *k, const char *name,
                         int add)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(user),
	                RG_TEXT(k->name), RG_TEXT(name)};
	json_t *item;
	int rc = rg_txn_exec(txn, add ? SQL_MEMBER_INSERT : SQL_MEMBER_DELETE,
	                     p, RG_COUNTOF(p), NULL);

	if (rc == RG_OK)
		rc = rg_dir_user_sync(txn, user);
	if (rc != RG_OK)
		return rc;
	item = json_pack("{s:s, s:s}", "kind", k->name, "name", name);
	return rg_txn_audit(txn, user, add ? "member.add" : "member.remove",
	                    add ? NULL : item, add ? item : NULL);
}

int rg_member_add(rg_txn *txn, const char *user, const char *kind,
                  const char *name)
{
	const struct rg_vocab_entry *k = NULL;
	int rc, member;

	rc = member_prepare(txn, user, kind, name, &k, &member);
	if (rc == RG_OK && member)
		rc = rg_txn_fail(txn, RG_EEXIST,
		                 "%s is already a member of %s '%s'", user,
		                 k->noun, name);
	return rc == RG_OK ? member_change(txn, user, k, name, 1) : rc;
}

int rg_member_remove(rg_txn *txn, const char *user, const char *kind,
                     const char *name)
{
	const struct rg_vocab_entry *k = NULL;
	int rc, member;

	rc = member_prepare(txn, user, kind, name, &k, &member);
	if (rc == RG_OK && !member)
		rc =
		    rg_txn_fail(txn, RG_ENOENT, "%s is not a member of %s '%s'",
		                user, k->noun, name);
	return rc == RG_OK ? member_change(txn, user, k, name, 0) : rc;
}
