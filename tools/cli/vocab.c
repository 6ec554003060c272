/*
 * vocab.c - `rolegate vocabulary SERVICE`: what the service's directory
 * holds besides users and roles, as its plugins declared it (ABI 1.5,
 * rg_vocab_at()): organisation kinds and their attributes, user
 * attributes, settings and role workflows.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

#define VOCAB_TEXT_MAX 512 /* one escaped help text, or a type's words */
#define VOCAB_NAME_MAX (2 * RG_ID_MAX) /* KIND.NAME */

static const char *const what_words[] = {
    [RG_VOCAB_ORG_KIND] = "kind",       [RG_VOCAB_ORG_ATTR] = "org-attr",
    [RG_VOCAB_USER_ATTR] = "user-attr", [RG_VOCAB_SETTING] = "setting",
    [RG_VOCAB_WORKFLOW] = "workflow",
};

static const char *what_word(rg_vocab_what what)
{
	return what >= RG_VOCAB_ORG_KIND && what <= RG_VOCAB_WORKFLOW
	           ? what_words[what]
	           : "unknown";
}

/* A kind's shape in words: "tree, one root, members". */
static void kind_words(const rg_vocab_info *in, char *buf, size_t len)
{
	const char *shape = !in->parent                         ? "flat"
	                    : strcmp(in->parent, in->name) == 0 ? "tree"
	                                                        : "in";

	snprintf(buf, len, "%s%s%s%s%s%s", shape,
	         in->parent && strcmp(in->parent, in->name) != 0 ? " " : "",
	         in->parent && strcmp(in->parent, in->name) != 0 ? in->parent
	                                                         : "",
	         in->flags & RG_ORG_SINGLE_ROOT ? ", one root" : "",
	         in->flags & RG_ORG_PARENT_REQUIRED ? ", parent required" : "",
	         in->flags & RG_ORG_MEMBERS ? ", members" : "");
}

/* A value's type in words: "integer >= 0", "one of a,b", "a bu". */
static void type_words(const rg_vocab_info *in, char *buf, size_t len)
{
	switch (in->type) {
	case RG_ATTR_ENUM:
		snprintf(buf, len, "one of %s", in->values);
		break;
	case RG_ATTR_INTEGER:
		snprintf(buf, len, "integer >= %ld", in->min);
		break;
	case RG_ATTR_REF:
		snprintf(buf, len, "a %s", in->ref);
		break;
	default:
		snprintf(buf, len, "text");
		break;
	}
}

/* What an entry is, in words, for the text listing. */
static void entry_words(const rg_vocab_info *in, char *buf, size_t len)
{
	switch (in->what) {
	case RG_VOCAB_ORG_KIND:
		kind_words(in, buf, len);
		break;
	case RG_VOCAB_WORKFLOW:
		snprintf(buf, len, "role %s%s%s%s%s", in->role,
		         in->kind ? ", members of " : "",
		         in->kind ? in->kind : "", *in->attrs ? ", edits " : "",
		         in->attrs);
		break;
	default:
		type_words(in, buf, len);
		break;
	}
}

static void entry_name(const rg_vocab_info *in, char *buf, size_t len)
{
	if (in->what == RG_VOCAB_ORG_ATTR)
		snprintf(buf, len, "%s.%s", in->kind, in->name);
	else
		snprintf(buf, len, "%s", in->name);
}

static void print_entry(const rg_vocab_info *in)
{
	char name[VOCAB_NAME_MAX], words[VOCAB_TEXT_MAX], help[VOCAB_TEXT_MAX];

	entry_name(in, name, sizeof(name));
	entry_words(in, words, sizeof(words));
	rg_escape(in->help, 0, help, sizeof(help));
	printf("%-9s %-20s %s%s%s (%s)\n", what_word(in->what), name, words,
	       *help ? "; " : "", help, in->plugin);
}

static json_t *entry_json(const rg_vocab_info *in)
{
	json_t *o =
	    json_pack("{s:s s:o s:o s:o}", "what", what_word(in->what), "name",
	              cli_jstr(in->name, 0), "help", cli_jstr(in->help, 0),
	              "plugin", cli_jstr(in->plugin, 0));
	char words[VOCAB_TEXT_MAX];

	if (!o)
		return NULL;
	if (in->kind)
		json_object_set_new(o, "kind", cli_jstr(in->kind, 0));
	if (in->what == RG_VOCAB_ORG_KIND) {
		json_object_set_new(o, "noun", cli_jstr(in->noun, 1));
		json_object_set_new(o, "parent", cli_jstr(in->parent, 1));
		json_object_set_new(o, "parent_attr",
		                    cli_jstr(in->parent_attr, 1));
		json_object_set_new(
		    o, "single_root",
		    json_boolean(in->flags & RG_ORG_SINGLE_ROOT));
		json_object_set_new(
		    o, "parent_required",
		    json_boolean(in->flags & RG_ORG_PARENT_REQUIRED));
		json_object_set_new(o, "members",
		                    json_boolean(in->flags & RG_ORG_MEMBERS));
	} else if (in->what == RG_VOCAB_WORKFLOW) {
		json_object_set_new(o, "role", cli_jstr(in->role, 0));
		json_object_set_new(o, "attrs", cli_jstr(in->attrs, 0));
	} else {
		type_words(in, words, sizeof(words));
		json_object_set_new(o, "type", cli_jstr(words, 0));
	}
	return o;
}

int cli_cmd_vocabulary(struct cli *cli, const struct cli_cmd *cmd,
                       const struct cli_args *args)
{
	const rg_service *svc;
	rg_context *ctx = NULL;
	json_t *arr = NULL;
	rg_vocab_info in;
	size_t i, n;
	int ret = CLI_EXIT_ERROR;

	if (cli_open(cli, &ctx) != CLI_EXIT_OK)
		goto out;
	svc = cli_service(ctx, args->argv[0]);
	if (!svc)
		goto out;
	arr = args->json ? json_array() : NULL;
	if (args->json && !arr) {
		ret = cli_json_print(NULL, CLI_EXIT_ERROR);
		goto out;
	}
	n = rg_vocab_count(svc);
	for (i = 0; i < n; i++) {
		if (rg_vocab_at(svc, i, &in, sizeof(in)) != RG_OK)
			continue;
		if (arr)
			json_array_append_new(arr, entry_json(&in));
		else
			print_entry(&in);
	}
	ret = CLI_EXIT_OK;
	if (arr)
		ret = cli_json_print(json_pack("{s:s s:O}", "service",
		                               rg_service_name(svc),
		                               "vocabulary", arr),
		                     ret);
	else if (n == 0)
		printf("%s: its plugins declare no directory vocabulary\n",
		       rg_service_name(svc));
out:
	json_decref(arr);
	rg_close(ctx);
	return ret;
}
