/*
 * cliutil.c - requests from command-line words, listings, JSON output.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jsontext.h"

#define SUBJECT_ROLES_MARK  '@'
#define SUBJECT_ATTR_PREFIX "subject."

int cli_subject_parse(rg_subject *subject, const char *word)
{
	memset(subject, 0, sizeof(*subject));
	if (!word || !*word) {
		cli_error("empty subject: give a user id or @ROLE,...");
		return -1;
	}
	if (word[0] == SUBJECT_ROLES_MARK)
		subject->roles = word + 1;
	else
		subject->user = word;
	return 0;
}

/* Keeps a copy of a key so that cli_request_free() releases it. */
static char *keep_key(struct cli_request *r, const char *start, size_t len)
{
	char *key = strndup(start, len);

	if (!key)
		return NULL;
	r->keys[r->nkeys++] = key;
	return key;
}

/* Adds one ATTR=VALUE word to the request or to its subject. */
static int add_attr(struct cli_request *r, const struct cli_cmd *cmd,
                    const char *word)
{
	static const size_t prefix_len = sizeof(SUBJECT_ATTR_PREFIX) - 1;
	const char *eq = strchr(word, '=');
	const char *key = word;
	rg_attr *attr;
	int subject;

	if (!eq) {
		cli_usage_error(cmd,
		                "malformed attribute '%s': "
		                "expected ATTR=VALUE",
		                word);
		return -1;
	}
	subject = strncmp(word, SUBJECT_ATTR_PREFIX, prefix_len) == 0;
	if (subject)
		key += prefix_len;
	if (key == eq) {
		cli_usage_error(cmd, "malformed attribute '%s': empty name",
		                word);
		return -1;
	}
	if (subject)
		attr = &r->subject_attrs[r->req.subject.nattrs++];
	else
		attr = &r->attrs[r->req.nattrs++];
	attr->key = keep_key(r, key, (size_t)(eq - key));
	attr->value = eq + 1;
	if (!attr->key) {
		cli_error("out of memory");
		return -1;
	}
	return 0;
}

int cli_request_parse(struct cli_request *r, const struct cli_cmd *cmd,
                      int argc, char **argv)
{
	size_t nattrs = argc > 3 ? (size_t)argc - 3 : 0;
	size_t i;

	memset(r, 0, sizeof(*r));
	/* One extra slot each so that calloc never sees a zero size. */
	r->attrs = calloc(nattrs + 1, sizeof(*r->attrs));
	r->subject_attrs = calloc(nattrs + 1, sizeof(*r->subject_attrs));
	r->keys = calloc(nattrs + 1, sizeof(*r->keys));
	if (!r->attrs || !r->subject_attrs || !r->keys) {
		cli_error("out of memory");
		return -1;
	}
	r->req.service = argv[0];
	r->subject_arg = argv[1];
	r->req.action = argv[2];
	r->req.attrs = r->attrs;
	r->req.subject.attrs = r->subject_attrs;
	if (!*r->req.service || !*r->req.action) {
		cli_usage_error(cmd, "empty service or action");
		return -1;
	}
	if (cli_subject_parse(&r->req.subject, r->subject_arg) < 0)
		return -1;
	/* cli_subject_parse() cleared them. */
	r->req.subject.attrs = r->subject_attrs;
	for (i = 0; i < nattrs; i++)
		if (add_attr(r, cmd, argv[3 + i]) < 0)
			return -1;
	return 0;
}

void cli_request_free(struct cli_request *r)
{
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		free(r->keys[i]);
	free(r->keys);
	free(r->attrs);
	free(r->subject_attrs);
	memset(r, 0, sizeof(*r));
}

const rg_service *cli_service(const rg_context *ctx, const char *name)
{
	const rg_service *svc = rg_service_find(ctx, name);

	if (!svc)
		cli_error("unknown service '%s' in %s", name,
		          rg_config_path(ctx));
	return svc;
}

static const struct {
	unsigned flag;
	const char *name;
} role_flags[] = {
    {RG_ROLE_PROTECTED, "protected"},
    {RG_ROLE_CORE, "core"},
    {RG_ROLE_CUSTOM, "custom"},
};

const char *cli_role_flags(unsigned flags, const char *sep, char *buf,
                           size_t len)
{
	size_t i, used = 0;

	if (len == 0)
		return "";
	buf[0] = '\0';
	for (i = 0; i < RG_COUNTOF(role_flags); i++) {
		int n;

		if (!(flags & role_flags[i].flag))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? sep : "",
		             role_flags[i].name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

const char **cli_role_prereqs(const rg_service *svc, size_t i)
{
	const char **list;
	size_t n = 0, j;

	while (rg_role_prereq(svc, i, n))
		n++;
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return NULL;
	for (j = 0; j < n; j++)
		list[j] = rg_role_prereq(svc, i, j);
	return list;
}

const char **cli_granting_roles(const rg_service *svc, size_t p)
{
	size_t nroles = rg_role_count(svc);
	const char **list = calloc(nroles + 1, sizeof(*list));
	size_t i, n = 0;

	if (!list)
		return NULL;
	for (i = 0; i < nroles; i++)
		if (rg_role_grants(svc, i, p))
			list[n++] = cli_role_id(svc, i);
	return list;
}

const char *cli_role_id(const rg_service *svc, size_t i)
{
	rg_role_info info;

	if (rg_role_at(svc, i, &info) != RG_OK || !info.id)
		return "?";
	return info.id;
}

const char *cli_privilege_id(const rg_service *svc, size_t p)
{
	rg_privilege_info info;

	if (rg_privilege_at(svc, p, &info) != RG_OK || !info.id)
		return "?";
	return info.id;
}

void cli_print_list(const char *const *items, const char *empty)
{
	size_t i;

	if (!items || !items[0]) {
		fputs(empty, stdout);
		return;
	}
	for (i = 0; items[i]; i++)
		printf("%s%s", i ? ", " : "", items[i]);
}

int cli_list_has(const char *const *items, const char *id)
{
	size_t i;

	for (i = 0; items && items[i]; i++)
		if (strcmp(items[i], id) == 0)
			return 1;
	return 0;
}

size_t cli_list_len(const char *const *items)
{
	size_t n = 0;

	while (items && items[n])
		n++;
	return n;
}

char **cli_split(const char *list, const char *what)
{
	size_t n = 1, i = 0;
	char **items;
	const char *p, *start;

	for (p = list; *p; p++)
		n += *p == ',';
	items = calloc(n + 1, sizeof(*items));
	if (!items) {
		cli_error("out of memory");
		return NULL;
	}
	if (!*list)
		return items;
	for (start = p = list;; p++) {
		if (*p && *p != ',')
			continue;
		if (p == start) {
			cli_error("%s: empty item in '%s'", what, list);
			goto fail;
		}
		items[i] = strndup(start, (size_t)(p - start));
		if (!items[i++]) {
			cli_error("out of memory");
			goto fail;
		}
		if (!*p)
			break;
		start = p + 1;
	}
	return items;
fail:
	cli_split_free(items);
	return NULL;
}

void cli_split_free(char **items)
{
	size_t i;

	for (i = 0; items && items[i]; i++)
		free(items[i]);
	free(items);
}

/* 1 when a shell takes word as it is, without quotes. */
static int shell_plain(const char *word)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
	                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                           "0123456789@%+=:,./_-";

	return *word && strspn(word, safe) == strlen(word);
}

/* Appends word to buf at *len, quoted when needed; buf is large enough. */
static void shell_append(char *buf, size_t *len, const char *word)
{
	const char *p;

	if (shell_plain(word)) {
		memcpy(buf + *len, word, strlen(word));
		*len += strlen(word);
		return;
	}
	buf[(*len)++] = '\'';
	for (p = word; *p; p++) {
		if (*p != '\'') {
			buf[(*len)++] = *p;
			continue;
		}
		/* ' becomes '\'' : close, an escaped quote, reopen. */
		memcpy(buf + *len, "'\\''", 4);
		*len += 4;
	}
	buf[(*len)++] = '\'';
}

char *cli_command_line(const struct cli *cli)
{
	/* Worst case per word: every byte a quote (4 bytes), 2 quotes, space.
	 */
	static const size_t quote_cost = 4, word_extra = 3;
	size_t size = sizeof(CLI_NAME), len = 0;
	char *buf;
	int i;

	for (i = 1; i < cli->argc; i++)
		size += strlen(cli->argv[i]) * quote_cost + word_extra;
	buf = malloc(size);
	if (!buf)
		return NULL;
	memcpy(buf, CLI_NAME, sizeof(CLI_NAME) - 1);
	len = sizeof(CLI_NAME) - 1;
	for (i = 1; i < cli->argc; i++) {
		buf[len++] = ' ';
		shell_append(buf, &len, cli->argv[i]);
	}
	buf[len] = '\0';
	return buf;
}

char *cli_actor(void)
{
	static const char *const vars[] = {"SUDO_USER", "USER"};
	char uid[32];
	size_t i;

	for (i = 0; i < RG_COUNTOF(vars); i++) {
		const char *value = getenv(vars[i]);

		if (value && *value)
			return strdup(value);
	}
	snprintf(uid, sizeof(uid), "%lu", (unsigned long)getuid());
	return strdup(uid);
}

json_t *cli_jstr(const char *s, int empty_is_null)
{
	return rg_tool_jstr(s, empty_is_null);
}

json_t *cli_jlist(const char *const *items)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && items && items[i]; i++)
		json_array_append_new(arr, cli_jstr(items[i], 0));
	return arr;
}

int cli_json_print(json_t *obj, int status)
{
	int rc;

	if (!obj) {
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	rc = json_dumpf(obj, stdout, JSON_INDENT(2));
	json_decref(obj);
	if (rc != 0) {
		cli_error("cannot write JSON output");
		return CLI_EXIT_ERROR;
	}
	putchar('\n');
	return status;
}

char *cli_trim(char *s)
{
	return rg_trim(s);
}
