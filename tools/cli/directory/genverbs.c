/*
 * genverbs.c - the directory verbs made of the service's declarations.
 *
 * A plugin declares what its product keeps in the directory
 * (rg_declare_org_kind() and the rest, read back with rg_vocab_at()); the
 * tool knows no product.  An organisation kind K gets
 *   K add|edit|remove|list SERVICE NAME [--PARENT_ATTR P] [--ATTR V]...
 * (and K move for a tree), a role workflow NOUN gets
 *   NOUN add|edit|remove|list SERVICE USER [--KINDS A,B] [--ATTR V]...
 * and user add/edit take the service's user attributes as --ATTR V.  An
 * option's name is the declared name with "-" for "_"; a list of entries
 * is named by the kind's plural.  The service comes after the options, so
 * the command line is parsed first (dynopts.c) and the words checked here,
 * against the declarations of the service named.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dirverbs.h"

/* Room for a usage line, a summary or a help text made here. */
#define GEN_TEXT_MAX 1024
/* The longest line of a help paragraph. */
#define HELP_WIDTH 76

/* The verbs a kind or a workflow may have, in the order help lists them. */
static const char *const gen_verbs[] = {"add", "edit", "remove", "list",
                                        "move"};

/* ---- words ----------------------------------------------------------- */

/* word with from replaced by to, and (upper) in capitals. */
static void map_word(const char *word, char from, char to, int upper, char *buf,
                     size_t len)
{
	size_t i;

	for (i = 0; len && i + 1 < len && word[i]; i++) {
		char c = word[i] == from ? to : word[i];

		buf[i] = upper ? (char)toupper((unsigned char)c) : c;
	}
	if (len)
		buf[i] = '\0';
}

void gen_key(const char *word, char *buf, size_t len)
{
	map_word(word, ' ', '_', 0, buf, len);
}

void gen_heading(const char *word, char *buf, size_t len)
{
	map_word(word, '_', ' ', 1, buf, len);
}

const char *gen_article(const char *word)
{
	/* "u" reads "you" more often than not: a unit, a user. */
	return word && word[0] && strchr("aeio", word[0]) ? "an" : "a";
}

/* ---- the declarations ------------------------------------------------ */

/* The entry of what and name (and kind, for an organisation attribute). */
static int find_decl(const rg_service *svc, rg_vocab_what what,
                     const char *kind, const char *name, rg_vocab_info *out)
{
	long i = rg_vocab_find(svc, what, kind, name);

	return i >= 0 &&
	       rg_vocab_at(svc, (size_t)i, out, sizeof(*out)) == RG_OK;
}

int gen_kind(const rg_service *svc, const char *kind, rg_vocab_info *out)
{
	return find_decl(svc, RG_VOCAB_ORG_KIND, NULL, kind, out);
}

static int is_tree(const rg_vocab_info *kind)
{
	return kind->parent && strcmp(kind->parent, kind->name) == 0;
}

/* The role workflow that edits the members of kind, or NULL. */
static const char *kind_workflow(const rg_service *svc, const char *kind)
{
	size_t i, n = rg_vocab_count(svc);
	rg_vocab_info in;

	for (i = 0; i < n; i++)
		if (rg_vocab_at(svc, i, &in, sizeof(in)) == RG_OK &&
		    in.what == RG_VOCAB_WORKFLOW && in.kind &&
		    strcmp(in.kind, kind) == 0)
			return in.name;
	return NULL;
}

const char *gen_member_word(const rg_service *svc, const rg_vocab_info *kind)
{
	const char *flow = kind_workflow(svc, kind->name);

	if (flow)
		return flow;
	return kind->flags & RG_ORG_MEMBERS ? "member" : "user";
}

/* Adds an option to g; its name from word ("_" becomes "-"). */
static void add_opt(struct gen_verb *g, enum gen_role role, const char *word,
                    const rg_vocab_info *decl)
{
	struct gen_opt *o;

	if (g->nopt >= GEN_OPTS_MAX)
		return;
	o = &g->opt[g->nopt++];
	memset(o, 0, sizeof(*o));
	o->role = role;
	o->decl = *decl;
	map_word(word, '_', '-', 0, o->option, sizeof(o->option));
	snprintf(o->noun, sizeof(o->noun), "%s",
	         decl->noun ? decl->noun : decl->name);
}

/* An option naming entries of kind: its plural. */
static void add_list_opt(struct gen_verb *g, enum gen_role role,
                         const rg_vocab_info *kind)
{
	char plural[GEN_WORD_MAX];

	rg_tool_plural(kind->name, plural, sizeof(plural));
	add_opt(g, role, plural, kind);
}

/* The attributes of kind, and for add the kinds whose parent it is. */
static void kind_opts(struct gen_verb *g, const rg_service *svc,
                      const rg_vocab_info *kind, int add)
{
	size_t i, n = rg_vocab_count(svc);
	rg_vocab_info in;

	if (kind->parent) {
		add_opt(g, GEN_PARENT, kind->parent_attr, kind);
		if (gen_kind(svc, kind->parent, &in))
			snprintf(g->opt[g->nopt - 1].noun,
			         sizeof(g->opt[0].noun), "%s", in.noun);
	}
	for (i = 0; i < n; i++)
		if (rg_vocab_at(svc, i, &in, sizeof(in)) == RG_OK &&
		    in.what == RG_VOCAB_ORG_ATTR &&
		    strcmp(in.kind, kind->name) == 0)
			add_opt(g, GEN_ORG_ATTR, in.name, &in);
	for (i = 0; add && i < n; i++)
		if (rg_vocab_at(svc, i, &in, sizeof(in)) == RG_OK &&
		    in.what == RG_VOCAB_ORG_KIND && in.parent &&
		    strcmp(in.parent, kind->name) == 0 &&
		    strcmp(in.name, kind->name) != 0)
			add_list_opt(g, GEN_CHILDREN, &in);
}

/* The membership kind and the user attributes of a workflow. */
static void workflow_opts(struct gen_verb *g, const rg_service *svc,
                          const rg_vocab_info *flow)
{
	const char *at = flow->attrs ? flow->attrs : "";
	rg_vocab_info in;
	char name[RG_ID_MAX];

	if (flow->kind && gen_kind(svc, flow->kind, &in))
		add_list_opt(g, GEN_MEMBERS, &in);
	while (*at) {
		size_t len = strcspn(at, ",");

		snprintf(name, sizeof(name), "%.*s", (int)len, at);
		if (find_decl(svc, RG_VOCAB_USER_ATTR, NULL, name, &in))
			add_opt(g, GEN_USER_ATTR, in.name, &in);
		at += len + (at[len] == ',');
	}
}

void gen_user_opts(struct gen_verb *g, const rg_service *svc)
{
	size_t i, n = rg_vocab_count(svc);
	rg_vocab_info in;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < n; i++)
		if (rg_vocab_at(svc, i, &in, sizeof(in)) == RG_OK &&
		    in.what == RG_VOCAB_USER_ATTR)
			add_opt(g, GEN_USER_ATTR, in.name, &in);
	/* Memberships no role workflow edits (a workflow's go with its
	 * role: an agent's departments): the user's own to change. */
	for (i = 0; i < n; i++)
		if (rg_vocab_at(svc, i, &in, sizeof(in)) == RG_OK &&
		    in.what == RG_VOCAB_ORG_KIND &&
		    (in.flags & RG_ORG_MEMBERS) && !kind_workflow(svc, in.name))
			add_list_opt(g, GEN_MEMBERS, &in);
}

/* 1 when the entry g->what has verb. */
static int has_verb(const struct gen_verb *g, const char *verb)
{
	int flow = g->what.what == RG_VOCAB_WORKFLOW;

	if (strcmp(verb, "move") == 0)
		return !flow && is_tree(&g->what);
	if (strcmp(verb, "edit") == 0)
		return g->nopt > 0;
	return 1;
}

int gen_resolve(struct gen_verb *g, const rg_service *svc, const char *noun,
                const char *verb)
{
	int edit = strcmp(verb, "edit") == 0;
	int add = strcmp(verb, "add") == 0;

	memset(g, 0, sizeof(*g));
	g->verb = verb;
	if (gen_kind(svc, noun, &g->what)) {
		if (add || edit)
			kind_opts(g, svc, &g->what, add);
	} else if (find_decl(svc, RG_VOCAB_WORKFLOW, NULL, noun, &g->what)) {
		if (add || edit)
			workflow_opts(g, svc, &g->what);
	} else {
		return RG_ENOENT;
	}
	return has_verb(g, verb) ? RG_OK : RG_EINVAL;
}

/* ---- the options given ----------------------------------------------- */

/* "--a, --b or --c" into buf. */
void gen_options_text(const struct gen_verb *g, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < g->nopt && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s--%s",
		                 i == 0             ? ""
		                 : i + 1 == g->nopt ? " or "
		                                    : ", ",
		                 g->opt[i].option);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int gen_take(struct admin *a, struct gen_verb *g, const char *what)
{
	char opts[GEN_TEXT_MAX];
	size_t i, j;

	for (i = 0; i < a->args->ndyn; i++) {
		const struct cli_dynopt *d = &a->args->dyn[i];

		for (j = 0; j < g->nopt; j++)
			if (strcmp(g->opt[j].option, d->name) == 0)
				break;
		if (j < g->nopt) {
			g->opt[j].value = d->value; /* the last one wins */
			continue;
		}
		gen_options_text(g, opts, sizeof(opts));
		return admin_refuse(a, RG_ENOENT,
		                    "service '%s' declares no option '--%s' "
		                    "for %s (%s%s; rolegate vocabulary %s)",
		                    a->service, d->name, what,
		                    *opts ? "its options: " : "it takes none",
		                    opts, a->service);
	}
	return RG_OK;
}

const struct gen_opt *gen_find(const struct gen_verb *g, enum gen_role role,
                               const char *name)
{
	size_t i;

	for (i = 0; i < g->nopt; i++)
		if (g->opt[i].role == role &&
		    (!name || strcmp(g->opt[i].decl.name, name) == 0))
			return &g->opt[i];
	return NULL;
}

int gen_any(const struct gen_verb *g)
{
	size_t i;

	for (i = 0; i < g->nopt; i++)
		if (g->opt[i].value)
			return 1;
	return 0;
}

int admin_set_user_attr(struct admin *a, const char *id, const char *attr,
                        const char *option)
{
	const char *value = admin_value(option);
	int rc = rg_user_set(a->txn, id, attr, value);

	if (rc != RG_OK)
		return rc;
	if (value)
		admin_note(a, "set %s of %s to %s", attr, id, value);
	else
		admin_note(a, "cleared %s of %s", attr, id);
	return RG_OK;
}

/* Adds (add) or removes one membership, saying so. */
static int member_change(struct admin *a, const char *user, const char *kind,
                         const char *name, int add)
{
	int rc = add ? rg_member_add(a->txn, user, kind, name)
	             : rg_member_remove(a->txn, user, kind, name);

	if (rc == RG_OK)
		admin_note(a, "%s %s %s %s %s", add ? "added" : "removed", user,
		           add ? "to" : "from", kind, name);
	return rc;
}

int admin_set_members(struct admin *a, const char *user, const char *kind,
                      char **cur, char **want, int replace)
{
	size_t i;
	int rc;

	for (i = 0; replace && cur && cur[i]; i++)
		if (!cli_list_has((const char *const *)want, cur[i])) {
			rc = member_change(a, user, kind, cur[i], 0);
			if (rc != RG_OK)
				return rc;
		}
	for (i = 0; want && want[i]; i++)
		if (!cli_list_has((const char *const *)cur, want[i])) {
			rc = member_change(a, user, kind, want[i], 1);
			if (rc != RG_OK)
				return rc;
		}
	return RG_OK;
}

int admin_set_user_attrs(struct admin *a, const struct gen_verb *g,
                         const char *id)
{
	size_t i;
	int rc = RG_OK;

	for (i = 0; rc == RG_OK && i < g->nopt; i++)
		if (g->opt[i].role == GEN_USER_ATTR && g->opt[i].value)
			rc = admin_set_user_attr(a, id, g->opt[i].decl.name,
			                         g->opt[i].value);
	return rc;
}

/* ---- the command ----------------------------------------------------- */

/* The noun of "noun verb" into buf; the verb's place. */
static const char *split_name(const char *name, char *noun, size_t len)
{
	const char *space = strchr(name, ' ');

	snprintf(noun, len, "%.*s", space ? (int)(space - name) : 0, name);
	return space ? space + 1 : "";
}

int cli_generated_command(const char *noun, const char *verb,
                          struct cli_cmd *cmd, char *name, size_t len)
{
	size_t i;

	for (i = 0; i < RG_COUNTOF(gen_verbs); i++)
		if (strcmp(verb, gen_verbs[i]) == 0)
			break;
	if (i == RG_COUNTOF(gen_verbs) || !*noun || noun[0] == '-')
		return 0;
	snprintf(name, len, "%s %s", noun, verb);
	memset(cmd, 0, sizeof(*cmd));
	cmd->name = name;
	cmd->summary = "a verb the service's plugins declare";
	cmd->opts = CLI_OPT_DYNAMIC;
	cmd->run = admin_cmd_generated;
	cmd->help_fn = admin_help_generated;
	if (strcmp(verb, "list") == 0) {
		cmd->usage = "[--json] SERVICE";
		cmd->min_args = cmd->max_args = 1;
	} else if (strcmp(verb, "move") == 0) {
		cmd->usage = "[--json] SERVICE NAME PARENT";
		cmd->min_args = cmd->max_args = 3;
	} else {
		cmd->usage = "[--json] [--OPTION VALUE]... SERVICE NAME";
		cmd->min_args = cmd->max_args = 2;
	}
	return 1;
}

int admin_cmd_generated(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args)
{
	char noun[CLI_GEN_NAME_MAX];
	const char *verb = split_name(cmd->name, noun, sizeof(noun));
	struct gen_verb *g = calloc(1, sizeof(*g));
	struct admin a;
	int ret, rc;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret != CLI_EXIT_OK || !g) {
		ret = g ? ret : admin_fail(&a, RG_ENOMEM);
		goto out;
	}
	rc = gen_resolve(g, a.svc, noun, verb);
	if (rc == RG_ENOENT)
		admin_refuse(&a, rc,
		             "service '%s' declares no organisation kind or "
		             "workflow '%s' (rolegate vocabulary %s)",
		             a.service, noun, a.service);
	else if (rc == RG_EINVAL)
		admin_refuse(&a, rc, "%s '%s' of service '%s' has no verb %s",
		             g->what.what == RG_VOCAB_WORKFLOW ? "workflow"
		                                               : "kind",
		             noun, a.service, verb);
	else
		rc = gen_take(&a, g, cmd->name);
	if (rc != RG_OK)
		ret = admin_fail(&a, rc);
	else if (g->what.what == RG_VOCAB_WORKFLOW)
		ret = admin_workflow_run(&a, g);
	else
		ret = admin_org_run(&a, g);
out:
	free(g);
	admin_close(&a);
	return ret;
}

/* ---- help texts ------------------------------------------------------ */

/* What a generated verb does, in one line. */
static void verb_summary(const struct gen_verb *g, const rg_service *svc,
                         char *buf, size_t len)
{
	const rg_vocab_info *w = &g->what;
	const char *v = g->verb;
	char plural[GEN_WORD_MAX], opts[GEN_TEXT_MAX];

	gen_options_text(g, opts, sizeof(opts));
	if (w->what == RG_VOCAB_WORKFLOW) {
		rg_tool_plural(w->kind ? w->kind : "", plural, sizeof(plural));
		if (strcmp(v, "add") == 0)
			snprintf(buf, len, "make a user %s %s (assigns %s)",
			         gen_article(w->name), w->name, w->role);
		else if (strcmp(v, "edit") == 0)
			snprintf(buf, len, "change %s %s: %s",
			         gen_article(w->name), w->name, opts);
		else if (strcmp(v, "remove") == 0)
			snprintf(buf, len, "take %s%s%s from a user", w->role,
			         w->kind ? " and its " : "",
			         w->kind ? plural : "");
		else
			snprintf(buf, len, "list the users holding %s",
			         w->role);
		return;
	}
	rg_tool_plural(w->noun, plural, sizeof(plural));
	if (strcmp(v, "add") == 0)
		snprintf(buf, len, "add %s %s", gen_article(w->noun), w->noun);
	else if (strcmp(v, "edit") == 0)
		snprintf(buf, len, "change %s %s: %s", gen_article(w->noun),
		         w->noun, opts);
	else if (strcmp(v, "remove") == 0)
		snprintf(buf, len, "remove %s %s without %ss or children",
		         gen_article(w->noun), w->noun,
		         gen_member_word(svc, w));
	else if (strcmp(v, "move") == 0)
		snprintf(buf, len, "move %s %s under another",
		         gen_article(w->noun), w->noun);
	else
		snprintf(buf, len, "list the %s", plural);
}

/* What an option's value is, for its help line: "N", "A,B", "UNIT". */
static void opt_arg(const struct gen_opt *o, char *buf, size_t len)
{
	if (o->role == GEN_MEMBERS || o->role == GEN_CHILDREN)
		snprintf(buf, len, "A,B");
	else if (o->role == GEN_PARENT)
		gen_heading(o->decl.parent_attr, buf, len);
	else if (o->decl.type == RG_ATTR_INTEGER)
		snprintf(buf, len, "N");
	else if (o->decl.type == RG_ATTR_REF)
		gen_heading(o->decl.ref, buf, len);
	else
		gen_heading(o->decl.name, buf, len);
}

/* An option's help line, from its declaration. */
static void opt_help(const struct gen_opt *o, char *buf, size_t len)
{
	const rg_vocab_info *d = &o->decl;
	char plural[GEN_WORD_MAX], help[GEN_TEXT_MAX];

	rg_escape(d->help, 0, help, sizeof(help));
	rg_tool_plural(o->noun, plural, sizeof(plural));
	switch (o->role) {
	case GEN_PARENT:
		if (strcmp(d->parent, d->name) == 0)
			snprintf(buf, len, "the parent %s (none: a root)",
			         o->noun);
		else if (d->flags & RG_ORG_PARENT_REQUIRED)
			snprintf(buf, len, "the %s it is in (required)",
			         o->noun);
		else
			snprintf(buf, len, "the %s it is in ('' for none)",
			         o->noun);
		break;
	case GEN_CHILDREN:
		snprintf(buf, len, "%s to move into it, comma-separated",
		         plural);
		break;
	case GEN_MEMBERS:
		snprintf(buf, len, "%s, comma-separated ('' for none)", plural);
		break;
	default:
		snprintf(buf, len, "%s%s'' clears", help, *help ? "; " : "");
		break;
	}
}

static void print_gen_opts(void *user)
{
	const struct gen_verb *g = user;
	char arg[GEN_WORD_MAX], help[GEN_TEXT_MAX];
	size_t i;

	for (i = 0; i < g->nopt; i++) {
		opt_arg(&g->opt[i], arg, sizeof(arg));
		opt_help(&g->opt[i], help, sizeof(help));
		cli_print_option(NULL, g->opt[i].option, arg, help);
	}
}

/* "[--json] [--unit UNIT] [--max-chats N] SERVICE NAME" into buf. */
static void gen_usage(const struct gen_verb *g, const char *tail, char *buf,
                      size_t len)
{
	char arg[GEN_WORD_MAX];
	size_t i, used;

	used = (size_t)snprintf(buf, len, "[--json]");
	for (i = 0; i < g->nopt && used < len; i++) {
		opt_arg(&g->opt[i], arg, sizeof(arg));
		used += (size_t)snprintf(buf + used, len - used, " [--%s %s]",
		                         g->opt[i].option, arg);
	}
	if (used < len)
		snprintf(buf + used, len - used, " %s", tail);
}

/* The first service of ctx that declares noun (with verb), or NULL. */
static const rg_service *declaring(const rg_context *ctx, const char *noun,
                                   const char *verb, struct gen_verb *g)
{
	size_t i;

	for (i = 0; i < rg_service_count(ctx); i++) {
		const rg_service *svc = rg_service_at(ctx, i);

		if (gen_resolve(g, svc, noun, verb) == RG_OK)
			return svc;
	}
	return NULL;
}

/* The positional words of a generated verb, for its usage line. */
static const char *usage_tail(const struct gen_verb *g)
{
	const char *v = g->verb;

	if (strcmp(v, "list") == 0)
		return "SERVICE";
	if (strcmp(v, "move") == 0)
		return "SERVICE NAME PARENT";
	return g->what.what == RG_VOCAB_WORKFLOW ? "SERVICE USER"
	                                         : "SERVICE NAME";
}

/* Breaks text into lines of at most HELP_WIDTH columns, in place, at
 * blanks. */
static void wrap(char *text)
{
	char *line = text, *blank = NULL, *at;

	for (at = text; *at; at++) {
		if (*at == ' ')
			blank = at;
		if (at - line >= HELP_WIDTH && blank) {
			*blank = '\n';
			line = blank + 1;
			blank = NULL;
		}
	}
}

/* Prints the help of g as svc declares it. */
static void print_gen_help(const struct cli_cmd *cmd, const struct gen_verb *g,
                           const rg_service *svc)
{
	char usage[GEN_TEXT_MAX], summary[GEN_TEXT_MAX], help[GEN_TEXT_MAX];
	char decl[GEN_TEXT_MAX];
	struct cli_cmd hc = *cmd;

	gen_usage(g, usage_tail(g), usage, sizeof(usage));
	verb_summary(g, svc, summary, sizeof(summary));
	rg_escape(g->what.help, 0, decl, sizeof(decl));
	decl[0] = (char)toupper((unsigned char)decl[0]);
	wrap(decl);
	snprintf(help, sizeof(help),
	         "%s%sAs service %s declares it (plugin %s).\n", decl,
	         *decl ? ".\n" : "", rg_service_name(svc), g->what.plugin);
	hc.usage = usage;
	hc.summary = summary;
	hc.help = help;
	cli_print_command_help(&hc, print_gen_opts, (void *)g);
}

int admin_help_generated(struct cli *cli, const struct cli_cmd *cmd,
                         const struct cli_args *args)
{
	char noun[CLI_GEN_NAME_MAX];
	const char *verb = split_name(cmd->name, noun, sizeof(noun));
	const rg_service *svc = NULL;
	struct gen_verb *g = calloc(1, sizeof(*g));
	rg_context *ctx = NULL;
	int ret = CLI_EXIT_ERROR;

	if (!g || cli_open_quiet(cli, &ctx) != CLI_EXIT_OK) {
		/* No configuration: what the verb looks like anywhere. */
		cli_print_command_help(cmd, NULL, NULL);
		puts("\nIts options come from the service's declarations: "
		     "see rolegate vocabulary SERVICE.");
		ret = CLI_EXIT_OK;
		goto out;
	}
	if (args->argc > 0) {
		svc = cli_service(ctx, args->argv[0]);
		if (svc && gen_resolve(g, svc, noun, verb) != RG_OK) {
			cli_error("service '%s' has no verb '%s' (rolegate "
			          "vocabulary %s)",
			          args->argv[0], cmd->name, args->argv[0]);
			goto out;
		}
	} else {
		svc = declaring(ctx, noun, verb, g);
		if (!svc)
			cli_error("no service of %s has a verb '%s'",
			          rg_config_path(ctx), cmd->name);
	}
	if (svc) {
		print_gen_help(cmd, g, svc);
		ret = CLI_EXIT_OK;
	}
out:
	free(g);
	rg_close(ctx);
	return ret;
}

int admin_help_user(struct cli *cli, const struct cli_cmd *cmd,
                    const struct cli_args *args)
{
	const rg_service *svc = NULL;
	rg_context *ctx = NULL;
	struct gen_verb *g = calloc(1, sizeof(*g));

	if (g && args->argc > 0 && cli_open_quiet(cli, &ctx) == CLI_EXIT_OK)
		svc = rg_service_find(ctx, args->argv[0]);
	if (svc)
		gen_user_opts(g, svc);
	cli_print_command_help(cmd, svc ? print_gen_opts : NULL, g);
	free(g);
	rg_close(ctx);
	return CLI_EXIT_OK;
}

/* ---- NOUN --help ------------------------------------------------------- */

int cli_noun_help(struct cli *cli, const char *noun, FILE *stream)
{
	char usage[GEN_TEXT_MAX], name[CLI_GEN_NAME_MAX];
	struct gen_verb *g = calloc(1, sizeof(*g));
	const rg_service *svc = NULL;
	rg_context *ctx = NULL;
	struct cli_cmd cmd;
	size_t v;
	int found = 0;

	if (g && cli_open_quiet(cli, &ctx) == CLI_EXIT_OK)
		for (v = 0; v < RG_COUNTOF(gen_verbs); v++) {
			svc = declaring(ctx, noun, gen_verbs[v], g);
			if (!svc ||
			    !cli_generated_command(noun, gen_verbs[v], &cmd,
			                           name, sizeof(name)))
				continue;
			gen_usage(g, usage_tail(g), usage, sizeof(usage));
			cmd.usage = usage;
			cli_usage(stream, &cmd);
			found = 1;
		}
	free(g);
	rg_close(ctx);
	return found;
}

/* ---- rolegate --help --------------------------------------------------- */

/* Prints the verbs of svc not printed yet (seen: a set of names). */
static void print_service_verbs(const rg_service *svc, json_t *seen,
                                FILE *stream, int width)
{
	char name[CLI_GEN_NAME_MAX], summary[GEN_TEXT_MAX];
	struct gen_verb *g = calloc(1, sizeof(*g));
	size_t i, v, n = rg_vocab_count(svc);
	rg_vocab_info in;

	for (i = 0; g && i < n; i++) {
		if (rg_vocab_at(svc, i, &in, sizeof(in)) != RG_OK ||
		    (in.what != RG_VOCAB_ORG_KIND &&
		     in.what != RG_VOCAB_WORKFLOW))
			continue;
		for (v = 0; v < RG_COUNTOF(gen_verbs); v++) {
			snprintf(name, sizeof(name), "%s %s", in.name,
			         gen_verbs[v]);
			if (json_object_get(seen, name) ||
			    gen_resolve(g, svc, in.name, gen_verbs[v]) != RG_OK)
				continue;
			json_object_set_new(seen, name, json_true());
			verb_summary(g, svc, summary, sizeof(summary));
			fprintf(stream, "  %-*s %s\n", width, name, summary);
		}
	}
	free(g);
}

void cli_print_generated(struct cli *cli, FILE *stream, int width)
{
	rg_context *ctx = NULL;
	json_t *seen = json_object();
	size_t i;

	fputs("\nDirectory verbs of the services' declarations (rolegate "
	      "vocabulary SERVICE):\n"
	      "  KIND add|edit|remove|list|move, NOUN add|edit|remove|list\n",
	      stream);
	if (seen && cli_open_quiet(cli, &ctx) == CLI_EXIT_OK)
		for (i = 0; i < rg_service_count(ctx); i++)
			print_service_verbs(rg_service_at(ctx, i), seen, stream,
			                    width);
	json_decref(seen);
	rg_close(ctx);
}
