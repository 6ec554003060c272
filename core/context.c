/*
 * context.c - opening and closing a context; services and their entries;
 * the helpers the core offers plugins.
 *
 * rg_open() reads the configuration, loads and opens every stack entry's
 * plugin and lets it declare its roles and privileges.  From then on the
 * context is immutable: no member changes until rg_close().
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>

#include "directory/directory.h"
#include "internal.h"

#ifndef RG_STATEDIR
#define RG_STATEDIR "/var/lib/rolegate"
#endif
#define DIRECTORY_FILE          "directory.db"
#define DEFAULT_REFRESH_MS      1000
#define DEFAULT_BUSY_TIMEOUT_MS 5000
#define MS_PER_S                1000
#define NS_PER_MS               1000000L
/* The watcher's pause after the store could not be reached, doubling up
 * to the most: reconnecting is tried that often. */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

#ifndef RG_PLUGINDIR
#define RG_PLUGINDIR "/usr/local/lib/rolegate"
#endif

#define DEFAULT_LOG_LEVEL RG_LOG_NOTICE

/* ---- entries ------------------------------------------------------------- */

static void free_argv(struct rg_plugin_handle *h)
{
	int i;

	for (i = 0; i < h->argc; i++)
		free(h->argv[i]);
	free(h->argv);
	h->argv = NULL;
	h->argc = 0;
}

void rg_handle_free(struct rg_plugin_handle *h)
{
	size_t i;

	if (!h)
		return;
	free_argv(h);
	for (i = 0; i < h->nstrings; i++)
		free(h->strings[i]);
	free(h->strings);
	free(h->name);
	free(h->control_text);
	free(h->file);
	free(h->config_dir);
	free(h->error);
	free(h);
}

int rg_service_add_entry(struct rg_service *svc, const char *control_text,
                         const rg_control *control, const char *plugin,
                         int argc, char *const argv[], unsigned line,
                         int status, const char *err)
{
	struct rg_plugin_handle *h = calloc(1, sizeof(*h));
	int i;

	if (!h)
		return RG_ENOMEM;
	h->svc = svc;
	h->name = rg_strdup(plugin);
	h->control_text = rg_strdup(control_text);
	h->control = *control;
	h->file = rg_strdup(svc->ctx->config_path);
	h->config_dir = rg_strdup(svc->ctx->config_dir);
	h->line = line;
	h->status = status;
	h->error = rg_strdup(err ? err : "");
	h->argv = argc ? calloc((size_t)argc, sizeof(*h->argv)) : NULL;
	if (!h->name || !h->control_text || !h->file || !h->config_dir ||
	    !h->error || (argc && !h->argv))
		goto nomem;
	h->name_len = strlen(h->name);
	h->argc = argc;
	for (i = 0; i < argc; i++)
		if (!(h->argv[i] = rg_strdup(argv[i])))
			goto nomem;
	h->entry = svc->nentries;
	if (rg_ptr_push((void ***)&svc->entries, &svc->nentries,
	                &svc->capentries, h) != RG_OK)
		goto nomem;
	return RG_OK;
nomem:
	rg_handle_free(h);
	return RG_ENOMEM;
}

/* Marks an entry failed: it keeps its control and always answers ERROR. */
static void set_failed(struct rg_plugin_handle *h, int status, const char *msg)
{
	char *copy = rg_strdup(msg);

	h->status = status;
	if (copy) {
		free(h->error);
		h->error = copy;
	}
}

/* set_failed(), and msg is the line's problem. */
static void fail_entry(struct rg_plugin_handle *h, int status, const char *msg)
{
	set_failed(h, status, msg);
	rg_diag(h->svc->ctx, h->file, h->line, "%s", msg);
}

/*
 * An entry whose open() or declare() failed (what names the step).  When
 * the plugin reported problems itself (diagnostics from the first-th on),
 * they are the problems, counted once each: the entry's error quotes the
 * first, and no diagnostic of the core's is added to them.  Otherwise the
 * core's message is the one problem.
 */
static void fail_step(struct rg_plugin_handle *h, int rc, const char *what,
                      size_t first)
{
	struct rg_context *ctx = h->svc->ctx;
	int status = rc < 0 && rg_status_known(rc) ? rc : RG_EPLUGIN;
	char msg[RG_MSG_MAX];

	if (ctx->ndiags <= first) {
		snprintf(msg, sizeof(msg), "plugin '%s' failed to %s: %s",
		         h->name, what, rg_strerror(rc));
		fail_entry(h, status, msg);
		return;
	}
	snprintf(msg, sizeof(msg), "plugin '%s' failed to %s: %s", h->name,
	         what, ctx->diags[first]);
	set_failed(h, status, msg);
}

/* Appends to err where the plugin directory came from, for a plugin that
 * was not found there: the one directory searched (err names it), and why
 * that one. */
static void explain_plugin_dir(const rg_context *ctx, char *err, size_t len)
{
	size_t used = strlen(err);

	if (used >= len)
		return;
	switch (ctx->plugin_dir_from) {
	case RG_PLUGIN_DIR_CONFIG:
		snprintf(err + used, len - used,
		         " (the plugin directory set by plugin_dir at %s:%u)",
		         ctx->config_path, ctx->plugin_dir_line);
		break;
	case RG_PLUGIN_DIR_OPTION:
		snprintf(err + used, len - used, "%s",
		         " (the plugin directory given to the program, by "
		         "--plugin-dir or ROLEGATE_PLUGIN_DIR, say: it "
		         "overrides the config's plugin_dir)");
		break;
	case RG_PLUGIN_DIR_DEFAULT:
		snprintf(err + used, len - used, "%s",
		         " (the program's default plugin directory, the build "
		         "tree's say: the config sets no plugin_dir)");
		break;
	default:
		snprintf(err + used, len - used, "%s",
		         " (the installed plugin directory: the config sets "
		         "no plugin_dir)");
		break;
	}
}

static void open_entry(struct rg_plugin_handle *h)
{
	struct rg_context *ctx = h->svc->ctx;
	char err[RG_MSG_MAX];
	size_t first;
	int rc;

	rc = rg_module_load(ctx->plugin_dir, h->name, &h->module, err,
	                    sizeof(err));
	if (rc != RG_OK) {
		if (rc == RG_ENOENT)
			explain_plugin_dir(ctx, err, sizeof(err));
		fail_entry(h, rc, err);
		return;
	}
	rc = rg_vtable_init(h, rg_module_symbol(h->module), err, sizeof(err));
	if (rc != RG_OK) {
		fail_entry(h, rc, err);
		rg_module_unload(h->module);
		h->module = NULL;
		return;
	}
	/* Every log line, reason and diagnostic names the plugin as the
	 * stack line does (its file name): say so when .name differs, or an
	 * administrator would look for lines that never come. */
	if (h->vt.name && strcmp(h->vt.name, h->name) != 0)
		rg_warn(ctx, h->file, h->line,
		        "plugin file '%s' calls itself '%s' (its .name): its "
		        "log lines and reasons say '%s', the name on the "
		        "stack line",
		        h->name, h->vt.name, h->name);
	first = ctx->ndiags;
	rc = rg_call_open(h);
	free_argv(h);
	if (rc != RG_OK) {
		fail_step(h, rc, "open", first);
		return;
	}
	h->opened = 1;
	first = ctx->ndiags;
	rc = rg_call_declare(h);
	if (rc != RG_OK)
		fail_step(h, rc, "declare its roles", first);
}

static void close_entry(struct rg_plugin_handle *h)
{
	if (h->opened)
		rg_call_close(h);
	h->opened = 0;
	h->state = NULL;
	/* The table points into the object: nothing may call it now. */
	memset(&h->vt, 0, sizeof(h->vt));
	rg_module_unload(h->module);
	h->module = NULL;
}

/* ---- services ------------------------------------------------------------ */

int rg_service_new(struct rg_context *ctx, const char *name, const char *file,
                   unsigned line, struct rg_service **out)
{
	struct rg_service *svc;
	long existing = rg_intern_get(&ctx->service_ix, name);

	if (existing >= 0) {
		*out = ctx->services[existing];
		return RG_EEXIST;
	}
	svc = calloc(1, sizeof(*svc));
	if (!svc)
		return RG_ENOMEM;
	svc->ctx = ctx;
	svc->name = rg_strdup(name);
	svc->file = rg_strdup(file);
	svc->line = line;
	rg_registry_init(&svc->reg);
	if (!svc->name || !svc->file ||
	    rg_ptr_push((void ***)&ctx->services, &ctx->nservices,
	                &ctx->capservices, svc) != RG_OK)
		goto nomem;
	svc->index = ctx->nservices - 1;
	if (rg_intern_put(&ctx->service_ix, svc->name, (uint32_t)svc->index) !=
	    RG_OK) {
		ctx->nservices--;
		goto nomem;
	}
	*out = svc;
	return RG_OK;
nomem:
	free(svc->name);
	free(svc->file);
	free(svc);
	return RG_ENOMEM;
}

static void service_free(struct rg_service *svc)
{
	size_t i;

	/* Close in reverse order, as PAM does; then free. */
	for (i = svc->nentries; i > 0; i--)
		close_entry(svc->entries[i - 1]);
	rg_registry_free(&svc->reg);
	rg_vocab_free(&svc->vocab);
	for (i = 0; i < svc->nentries; i++)
		rg_handle_free(svc->entries[i]);
	free(svc->entries);
	free(svc->name);
	free(svc->description);
	free(svc->file);
	free(svc);
}

size_t rg_service_count(const rg_context *ctx)
{
	return ctx ? ctx->nservices : 0;
}

const rg_service *rg_service_at(const rg_context *ctx, size_t i)
{
	return ctx && i < ctx->nservices ? ctx->services[i] : NULL;
}

const rg_service *rg_service_find(const rg_context *ctx, const char *name)
{
	long i;

	if (!ctx || !name)
		return NULL;
	i = rg_intern_get(&ctx->service_ix, name);
	return i < 0 ? NULL : ctx->services[i];
}

const char *rg_service_name(const rg_service *svc)
{
	return svc ? svc->name : NULL;
}

size_t rg_entry_count(const rg_service *svc)
{
	return svc ? svc->nentries : 0;
}

int rg_entry_at(const rg_service *svc, size_t i, rg_entry_info *out)
{
	const struct rg_plugin_handle *h;

	if (!svc || !out || i >= svc->nentries)
		return RG_EINVAL;
	h = svc->entries[i];
	out->plugin = h->name;
	out->control = h->control_text;
	out->path = h->module ? rg_module_path(h->module) : "";
	out->file = h->file;
	out->line = h->line;
	/* All zero (so "") for an entry that did not load. */
	out->abi_version = h->vt.abi_version;
	out->plugin_version = h->vt.version ? h->vt.version : "";
	out->description = h->vt.description ? h->vt.description : "";
	out->status = h->status;
	out->error = h->error ? h->error : "";
	return RG_OK;
}

/* ---- contexts ------------------------------------------------------------ */

/*
 * The config's directory is made absolute once, so that every path resolved
 * against it is absolute and resolving twice changes nothing.
 */
static int context_paths(rg_context *ctx, const rg_options *opts)
{
	char *dir;

	ctx->config_path = rg_strdup(opts->config_path);
	if (!ctx->config_path)
		return RG_ENOMEM;
	dir = rg_dirname(ctx->config_path);
	if (!dir)
		return RG_ENOMEM;
	ctx->config_dir = realpath(dir, NULL);
	if (!ctx->config_dir)
		ctx->config_dir = dir;
	else
		free(dir);
	return RG_OK;
}

/*
 * The plugin directory: the caller's, else the config's, else built in.
 * With RG_OPEN_PLUGIN_DIR_DEFAULT the caller's comes after the config's:
 * an uninstalled tool's build tree must not hide what the config says.
 */
static int choose_plugin_dir(rg_context *ctx, const rg_options *opts)
{
	int by_default = (opts->flags & RG_OPEN_PLUGIN_DIR_DEFAULT) != 0;

	if (ctx->plugin_dir)
		ctx->plugin_dir_from = RG_PLUGIN_DIR_CONFIG;
	if (opts->plugin_dir && !(by_default && ctx->plugin_dir)) {
		free(ctx->plugin_dir);
		ctx->plugin_dir = rg_strdup(opts->plugin_dir);
		ctx->plugin_dir_from =
		    by_default ? RG_PLUGIN_DIR_DEFAULT : RG_PLUGIN_DIR_OPTION;
	} else if (!ctx->plugin_dir) {
		ctx->plugin_dir = rg_strdup(RG_PLUGINDIR);
		ctx->plugin_dir_from = RG_PLUGIN_DIR_BUILTIN;
	}
	return ctx->plugin_dir ? RG_OK : RG_ENOMEM;
}

static void open_all(rg_context *ctx)
{
	size_t i, j;

	for (i = 0; i < ctx->nservices; i++) {
		struct rg_service *svc = ctx->services[i];

		/* What an entry reports is about its service only. */
		ctx->diag_service = svc->name;
		for (j = 0; j < svc->nentries; j++)
			if (svc->entries[j]->status == RG_OK)
				open_entry(svc->entries[j]);
	}
	ctx->diag_service = NULL;
}

/* ---- the directory ------------------------------------------------------ */

static char *directory_location(const rg_context *ctx, const rg_options *opts)
{
	if (opts->directory)
		return rg_strdup(opts->directory);
	if (ctx->directory)
		return rg_strdup(ctx->directory);
	return rg_asprintf("%s/%s",
	                   ctx->state_dir ? ctx->state_dir : RG_STATEDIR,
	                   DIRECTORY_FILE);
}

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * MS_PER_S + ts.tv_nsec / NS_PER_MS;
}

/* ms from now on the clock of pthread_cond_timedwait(). */
static struct timespec deadline(long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / MS_PER_S;
	until.tv_nsec += (ms % MS_PER_S) * NS_PER_MS;
	if (until.tv_nsec >= MS_PER_S * NS_PER_MS) {
		until.tv_sec++;
		until.tv_nsec -= MS_PER_S * NS_PER_MS;
	}
	return until;
}

int rg_directory_refresh(rg_context *ctx)
{
	struct rg_snapshot *snap = NULL;
	const struct rg_snapshot *cur;
	char err[RG_MSG_MAX];
	uint64_t version;
	unsigned slot;
	int rc;

	if (!ctx || !ctx->dir)
		return RG_ENOSYS;
	pthread_mutex_lock(&ctx->refresh_lock);
	rc = ctx->dirops->version(ctx->dir, &version);
	if (rc != RG_OK)
		goto out;
	cur = rg_snapshot_acquire(ctx, &slot);
	if (cur && cur->version == version) {
		rg_snapshot_release(ctx, slot);
		atomic_store(&ctx->fresh_ms, monotonic_ms());
		goto out; /* nothing changed */
	}
	rg_snapshot_release(ctx, slot);
	/* Only this thread publishes (refresh_lock): the current snapshot
	 * stays alive while the next one shares its unchanged services. */
	rc = rg_snapshot_load(ctx, ctx->dir, rg_pub_peek(&ctx->snap), &snap,
	                      err, sizeof(err));
	if (rc != RG_OK) {
		rg_log(ctx, RG_LOG_ERR,
		       "directory %s: %s; the previous snapshot stays in use",
		       ctx->directory_shown, err);
		goto out;
	}
	/* An unsealed snapshot is as correct, only slower to read. */
	if (rg_snapshot_seal(snap, !ctx->few_checks) != RG_OK)
		rg_log(ctx, RG_LOG_WARNING,
		       "directory %s: out of memory packing the snapshot",
		       ctx->directory_shown);
	rg_snapshot_publish(ctx, snap);
	atomic_store(&ctx->fresh_ms, monotonic_ms());
	rg_log(ctx, RG_LOG_INFO, "directory %s: snapshot %llu loaded",
	       ctx->directory_shown, (unsigned long long)version);
out:
	pthread_mutex_unlock(&ctx->refresh_lock);
	return rc;
}

long long rg_directory_age_ms(const rg_context *ctx)
{
	long long at;

	if (!ctx || !ctx->dir)
		return -1;
	at = atomic_load(&ctx->fresh_ms);
	return at ? monotonic_ms() - at : -1;
}

long rg_directory_refresh_ms(const rg_context *ctx)
{
	return ctx && ctx->dir ? ctx->refresh_ms : -1;
}

/* The watcher of a store that announces changes: waits for them, reads
 * the version on each (and every refresh_ms regardless, in case one was
 * lost), and backs off while the store cannot be reached. */
static void watch_pushed(rg_context *ctx)
{
	long backoff = 0;
	int down = 0;

	for (;;) {
		int r;

		pthread_mutex_lock(&ctx->watch_lock);
		if (!ctx->stopping && backoff) {
			struct timespec until = deadline(backoff);
			pthread_cond_timedwait(&ctx->watch_cond,
			                       &ctx->watch_lock, &until);
		}
		r = ctx->stopping;
		pthread_mutex_unlock(&ctx->watch_lock);
		if (r)
			return;
		r = ctx->dirops->wait(ctx->dir, ctx->watch_wake,
		                      ctx->refresh_ms);
		if (r < 0) {
			if (!down)
				rg_log(ctx, RG_LOG_WARNING,
				       "directory %s cannot be reached: checks "
				       "answer from the last snapshot until it "
				       "can",
				       ctx->directory_shown);
			down = 1;
			backoff = backoff ? backoff * 2 : BACKOFF_MIN_MS;
			if (backoff > BACKOFF_MAX_MS)
				backoff = BACKOFF_MAX_MS;
			/* The snapshot's age tells how stale it may be. */
			rg_directory_refresh(ctx);
			continue;
		}
		if (down)
			rg_log(ctx, RG_LOG_NOTICE,
			       "directory %s reached again: catching up",
			       ctx->directory_shown);
		down = 0;
		backoff = 0;
		/* Announced, or refresh_ms passed: one cheap version read. */
		if (rg_directory_refresh(ctx) != RG_OK)
			backoff = BACKOFF_MIN_MS;
	}
}

static void *watch_main(void *arg)
{
	rg_context *ctx = arg;

	if (ctx->watch_wake >= 0) {
		watch_pushed(ctx);
		return NULL;
	}
	pthread_mutex_lock(&ctx->watch_lock);
	while (!ctx->stopping) {
		struct timespec until = deadline(ctx->refresh_ms);

		pthread_cond_timedwait(&ctx->watch_cond, &ctx->watch_lock,
		                       &until);
		if (ctx->stopping)
			break;
		pthread_mutex_unlock(&ctx->watch_lock);
		rg_directory_refresh(ctx);
		pthread_mutex_lock(&ctx->watch_lock);
	}
	pthread_mutex_unlock(&ctx->watch_lock);
	return NULL;
}

/* Closes the directory, if open, and unloads the store library. */
static void close_store(rg_context *ctx)
{
	if (ctx->dir)
		ctx->dirops->close(ctx->dir);
	ctx->dir = NULL;
	ctx->dirops = NULL;
	rg_module_unload(ctx->store);
	ctx->store = NULL;
}

static void open_directory(rg_context *ctx, const rg_options *opts)
{
	char err[RG_MSG_MAX];
	int explicit = opts->directory || ctx->directory;
	char *loc;
	int rc;

	/* directory_location() reads ctx->directory: free it afterwards. */
	loc = directory_location(ctx, opts);
	free(ctx->directory);
	ctx->directory = loc;
	if (!ctx->directory)
		return;
	ctx->directory_shown = rg_location_redact(ctx->directory);
	if (!ctx->directory_shown)
		return;
	/* A program that only decides does not load the store for a
	 * default directory that is not there (one that links the store
	 * opens it, to create it with its first change). */
	if (!explicit && !rg_store_linked() && access(ctx->directory, F_OK)) {
		rg_log(ctx, RG_LOG_INFO,
		       "no directory at %s: checks by user id are denied",
		       ctx->directory);
		return;
	}
	rc = rg_store_load(&ctx->store, &ctx->dirops, err, sizeof(err));
	if (rc == RG_OK)
		rc = ctx->dirops->open(ctx, ctx->directory, &ctx->dir, err,
		                       sizeof(err));
	if (rc != RG_OK) {
		/* Users are then unknown: checks by user id deny. */
		/* err names the location. */
		if (explicit)
			rg_diag(ctx, ctx->config_path, ctx->directory_line,
			        "%s", err);
		else
			rg_log(ctx, RG_LOG_NOTICE,
			       "no directory (%s): checks by user id are "
			       "denied",
			       err);
		close_store(ctx);
		return;
	}
	/* Readers must always find a snapshot: start from an empty one. */
	rg_pub_init(&ctx->snap, rg_snapshot_new(ctx, 0));
	if (!rg_pub_peek(&ctx->snap)) {
		close_store(ctx);
		return;
	}
	/* A store that announces changes is waited on, listening before
	 * the first read so that no change falls between; the eventfd lets
	 * rg_close() interrupt the wait. */
	if (!(opts->flags & RG_OPEN_NO_WATCH) &&
	    ctx->dirops->wait(ctx->dir, -1, 0) != RG_ENOSYS)
		ctx->watch_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rg_directory_refresh(ctx);
	if (opts->flags & RG_OPEN_NO_WATCH)
		return;
	if (pthread_create(&ctx->watcher, NULL, watch_main, ctx) == 0)
		ctx->watching = 1;
}

static void close_directory(rg_context *ctx)
{
	if (ctx->watching) {
		pthread_mutex_lock(&ctx->watch_lock);
		ctx->stopping = 1;
		pthread_cond_signal(&ctx->watch_cond);
		pthread_mutex_unlock(&ctx->watch_lock);
		if (ctx->watch_wake >= 0 &&
		    eventfd_write(ctx->watch_wake, 1) != 0)
			rg_log(ctx, RG_LOG_ERR, "cannot wake the watcher");
		pthread_join(ctx->watcher, NULL);
		ctx->watching = 0;
	}
	if (ctx->watch_wake >= 0)
		close(ctx->watch_wake);
	ctx->watch_wake = -1;
	close_store(ctx);
	rg_snapshot_clear(ctx);
}

int rg_directory_available(const rg_context *ctx)
{
	return ctx && ctx->dir != NULL;
}

const char *rg_directory_location(const rg_context *ctx)
{
	return ctx && ctx->directory_shown ? ctx->directory_shown : "";
}

/* ---- opening and closing ------------------------------------------------- */

/* A number no other context of this process is likely to have: random,
 * else the clock and the address (rg_target's check, not a secret). */
static uint64_t context_id(const rg_context *ctx)
{
	struct timespec ts;
	uint64_t id;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) == (ssize_t)sizeof(id))
		return id;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
	       (uint64_t)(uintptr_t)ctx;
}

static void context_init(rg_context *ctx, const rg_options *opts)
{
	ctx->id = context_id(ctx);

	ctx->log = opts->log;
	ctx->log_user = opts->log_user;
	ctx->log_level = DEFAULT_LOG_LEVEL;
	ctx->refresh_ms = DEFAULT_REFRESH_MS;
	ctx->watch_wake = -1;
	ctx->busy_timeout_ms = DEFAULT_BUSY_TIMEOUT_MS;
	ctx->building = 1;
	ctx->opts = opts;
	rg_intern_init(&ctx->service_ix);
	pthread_mutex_init(&ctx->publish_lock, NULL);
	pthread_mutex_init(&ctx->refresh_lock, NULL);
	pthread_mutex_init(&ctx->watch_lock, NULL);
	pthread_cond_init(&ctx->watch_cond, NULL);
	rg_pub_init(&ctx->snap, NULL);
}

int rg_open(rg_context **out, const rg_options *opts, char *errbuf,
            size_t errlen)
{
	rg_context *ctx;
	int rc;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (out)
		*out = NULL;
	if (!out || !opts || !opts->config_path) {
		if (errbuf)
			snprintf(errbuf, errlen, "no configuration file given");
		return RG_EINVAL;
	}
	if ((opts->flags & RG_OPEN_ONE_SERVICE) && !opts->service) {
		if (errbuf)
			snprintf(errbuf, errlen,
			         "RG_OPEN_ONE_SERVICE without a service");
		return RG_EINVAL;
	}
	if ((opts->flags & RG_OPEN_ONE_USER) &&
	    (!opts->user || !(opts->flags & RG_OPEN_ONE_SERVICE))) {
		if (errbuf)
			snprintf(errbuf, errlen,
			         "RG_OPEN_ONE_USER without a user, or without "
			         "RG_OPEN_ONE_SERVICE");
		return RG_EINVAL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return RG_ENOMEM;
	context_init(ctx, opts);
	rc = context_paths(ctx, opts);
	if (rc == RG_OK)
		rc = rg_config_read(ctx, errbuf, errlen);
	if (rc == RG_OK && opts->log_level)
		ctx->log_level = opts->log_level;
	if (rc == RG_OK)
		rc = choose_plugin_dir(ctx, opts);
	if (rc != RG_OK) {
		if (errbuf && !errbuf[0])
			snprintf(errbuf, errlen, "%s: %s", opts->config_path,
			         rg_strerror(rc));
		rg_close(ctx);
		return rc;
	}
	open_all(ctx);
	if (opts->flags & RG_OPEN_ONE_SERVICE) {
		ctx->one_service = 1;
		ctx->only = rg_service_find(ctx, opts->service);
	}
	/* Kept: every refresh reads that user's row again. */
	if ((opts->flags & RG_OPEN_ONE_USER) &&
	    !(ctx->only_user = strdup(opts->user))) {
		if (errbuf)
			snprintf(errbuf, errlen, "out of memory");
		rg_close(ctx);
		return RG_ENOMEM;
	}
	ctx->few_checks = (opts->flags & RG_OPEN_FEW_CHECKS) != 0;
	if (!(opts->flags & RG_OPEN_NO_DIRECTORY))
		open_directory(ctx, opts);
	ctx->building = 0;
	ctx->opts = NULL;
	rg_log(ctx, RG_LOG_INFO, "%s: %zu services, %zu problems",
	       ctx->config_path, ctx->nservices, ctx->ndiags);
	*out = ctx;
	return RG_OK;
}

void rg_close(rg_context *ctx)
{
	size_t i;

	if (!ctx)
		return;
	/* The snapshots point into the services: they go first. */
	close_directory(ctx);
	for (i = ctx->nservices; i > 0; i--)
		service_free(ctx->services[i - 1]);
	free(ctx->services);
	rg_intern_free(&ctx->service_ix);
	for (i = 0; i < ctx->ndiags; i++) {
		free(ctx->diags[i]);
		free(ctx->diag_svcs[i]);
	}
	free(ctx->diags);
	free(ctx->diag_svcs);
	for (i = 0; i < ctx->nwarns; i++) {
		free(ctx->warns[i]);
		free(ctx->warn_svcs[i]);
	}
	free(ctx->warns);
	free(ctx->warn_svcs);
	free(ctx->config_path);
	free(ctx->config_dir);
	free(ctx->plugin_dir);
	free(ctx->directory);
	free(ctx->directory_shown);
	free(ctx->state_dir);
	free(ctx->only_user);
	pthread_mutex_destroy(&ctx->publish_lock);
	pthread_mutex_destroy(&ctx->refresh_lock);
	pthread_mutex_destroy(&ctx->watch_lock);
	pthread_cond_destroy(&ctx->watch_cond);
	free(ctx);
}

const char *rg_config_path(const rg_context *ctx)
{
	return ctx ? ctx->config_path : NULL;
}

const char *rg_plugin_dir(const rg_context *ctx)
{
	return ctx ? ctx->plugin_dir : NULL;
}

/* ---- helpers offered to plugins ------------------------------------------ */

const char *rg_plugin_name(const rg_plugin_handle *h)
{
	return h ? h->name : NULL;
}

const char *rg_plugin_config_dir(const rg_plugin_handle *h)
{
	return h ? h->config_dir : NULL;
}

void rg_plugin_log(const rg_plugin_handle *h, rg_log_level level,
                   const char *fmt, ...)
{
	char msg[RG_MSG_MAX];
	va_list ap;

	if (!h)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rg_log(h->svc->ctx, level, "%s: %s", h->name, msg);
}

void rg_plugin_error(rg_plugin_handle *h, const char *file, unsigned line,
                     const char *fmt, ...)
{
	char msg[RG_MSG_MAX];
	va_list ap;

	if (!h)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!file) {
		file = h->file;
		line = h->line;
	}
	rg_diag(h->svc->ctx, file, line, "%s: %s", h->name, msg);
}

void rg_answer(rg_plugin_answer *ans, const char *fmt, ...)
{
	va_list ap;

	if (ans->flags & RG_ANSWER_QUIET)
		return;
	va_start(ap, fmt);
	rg_vformat(ans->reason, sizeof(ans->reason), fmt, ap);
	va_end(ap);
}

const char *rg_attr_get(const rg_attr *attrs, size_t n, const char *key)
{
	size_t i;

	if (!key)
		return NULL;
	for (i = 0; i < n; i++)
		if (attrs[i].key && strcmp(attrs[i].key, key) == 0)
			return attrs[i].value;
	return NULL;
}

int rg_list_contains(const char *list, const char *item)
{
	size_t len;

	if (!list || !item || !*item)
		return 0;
	len = strlen(item);
	while (*list) {
		const char *end = strchr(list, ',');
		size_t n = end ? (size_t)(end - list) : strlen(list);
		if (n == len && strncmp(list, item, len) == 0)
			return 1;
		if (!end)
			break;
		list = end + 1;
	}
	return 0;
}
