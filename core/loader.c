/*
 * loader.c - loading plugin objects.  Every libltdl call is in this file.
 *
 * libltdl is not thread-safe, so every call here runs under one mutex, and
 * loading happens only while a context is opened (or rebuilt), never on the
 * decision path.  The mutex and the lt_dlinit() reference count are the only
 * process-wide state in librolegate, because libltdl itself is process-wide.
 *
 * A plugin is found only in the configured plugin directory, by a validated
 * name, through an absolute path; the directory and the file must not be
 * writable by group or others, must be owned by root or by us, and the file
 * must be a regular file (not a symlink).  Every directory above the plugin
 * directory is checked too, as sudo checks the path to sudoers: whoever can
 * rename a parent can swap the whole directory (see check_parents()).
 *
 * The loader finds the plugin's symbol and never reads it: vtable.c checks
 * its ABI version and copies its table.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <ltdl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "directory/directory.h"
#include "internal.h"

#define PLUGIN_NAME_MAX 64

struct rg_module {
	lt_dlhandle lt;
	char *path;
	const void *symbol; /* RG_PLUGIN_SYMBOL: vtable.c reads it */
};

static pthread_mutex_t ltdl_lock = PTHREAD_MUTEX_INITIALIZER;

/* 1 when st is owned by root or by the user we run as. */
static int owned_by_us(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* Checks ownership and mode of a file or directory we are about to trust. */
static int check_trust(const char *path, int want_dir, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? RG_ENOENT : RG_EIO;
	}
	/* A link is named as such: "not a regular file" alone puzzles
	 * whoever sees a plugin (the link's target) that looks right. */
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen,
		         "%s is a symbolic link (%s are loaded only from %s)",
		         path, want_dir ? "plugin directories" : "plugins",
		         want_dir ? "real directories" : "regular files");
		return RG_EPERM;
	}
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a %s", path,
		         want_dir ? "directory" : "regular file");
		return RG_EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
		         "%s is writable by group or others (mode %04o): "
		         "refusing to load from it",
		         path, (unsigned)(st.st_mode & 07777));
		return RG_EPERM;
	}
	if (!owned_by_us(&st)) {
		snprintf(err, errlen,
		         "%s is owned by uid %u, neither root nor us: refusing "
		         "to load from it",
		         path, (unsigned)st.st_uid);
		return RG_EPERM;
	}
	return RG_OK;
}

/*
 * Checks one component above the plugin directory: owned by root or us,
 * and, when a directory, not writable by group or others unless sticky.
 * A sticky directory (/tmp) lets no one but an entry's owner rename or
 * remove it, and the entry below it must itself be owned by root or us
 * (the next component, or the plugin directory), so it cannot be swapped.
 * A symbolic link's own mode means nothing; only its owner can repoint it.
 */
static int check_parent(const char *path, const char *dir, char *err,
                        size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		snprintf(err, errlen, "%s (above plugin directory %s): %s",
		         path, dir, strerror(errno));
		return errno == ENOENT ? RG_ENOENT : RG_EIO;
	}
	if (!owned_by_us(&st)) {
		snprintf(err, errlen,
		         "%s, above plugin directory %s, is owned by uid %u, "
		         "neither root nor us: refusing to load from it",
		         path, dir, (unsigned)st.st_uid);
		return RG_EPERM;
	}
	if (S_ISDIR(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(st.st_mode & S_ISVTX)) {
		snprintf(err, errlen,
		         "%s, above plugin directory %s, is writable by group "
		         "or others and not sticky (mode %04o): refusing to "
		         "load from it",
		         path, dir, (unsigned)(st.st_mode & 07777));
		return RG_EPERM;
	}
	return RG_OK;
}

/* Checks every component of the absolute path above its last one. */
static int check_chain(const char *path, const char *dir, char *err,
                       size_t errlen)
{
	char *copy = rg_strdup(path);
	char *slash;
	int rc;

	if (!copy)
		return RG_ENOMEM;
	rc = check_parent("/", dir, err, errlen);
	/* "/a/b/c": checks "/a" and "/a/b", cutting the copy at each '/'. */
	for (slash = strchr(copy + 1, '/'); slash && rc == RG_OK;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (copy[0] && copy[strlen(copy) - 1] != '/')
			rc = check_parent(copy, dir, err, errlen);
		*slash = '/';
	}
	free(copy);
	return rc;
}

/*
 * The directories above dir, both as written (a symbolic link on the way
 * must be ours) and as resolved (where the links lead must be safe too).
 */
static int check_parents(const char *dir, char *err, size_t errlen)
{
	char *real;
	int rc = check_chain(dir, dir, err, errlen);

	if (rc != RG_OK)
		return rc;
	real = realpath(dir, NULL);
	if (!real) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return errno == ENOENT ? RG_ENOENT : RG_EIO;
	}
	rc = check_chain(real, dir, err, errlen);
	free(real);
	return rc;
}

/*
 * Finds the object for name in dir: NAME.so (installed), else NAME.la
 * (a libtool build tree, whose real object is .libs/NAME.so).
 */
static int find_object(const char *dir, const char *name, char **out, char *err,
                       size_t errlen)
{
	static const char *const exts[] = {".so", ".la"};
	size_t i;
	int rc = RG_ENOENT;

	*out = NULL;
	for (i = 0; i < RG_COUNTOF(exts); i++) {
		char *path = rg_asprintf("%s/%s%s", dir, name, exts[i]);
		struct stat st;

		if (!path)
			return RG_ENOMEM;
		if (lstat(path, &st) != 0) {
			free(path);
			continue;
		}
		rc = check_trust(path, 0, err, errlen);
		if (rc != RG_OK) {
			free(path);
			return rc;
		}
		*out = path;
		return RG_OK;
	}
	snprintf(err, errlen, "plugin '%s' not found: no %s/%s.so or %s.la",
	         name, dir, name, name);
	return rc;
}

static int ltdl_open(const char *path, lt_dlhandle *out, char *err,
                     size_t errlen)
{
	lt_dladvise advise;
	int rc = RG_OK;

	*out = NULL;
	if (lt_dladvise_init(&advise) != 0)
		return RG_ENOMEM;
	/* Symbols stay private to the plugin and resolve now, not later. */
	lt_dladvise_local(&advise);
	*out = lt_dlopenadvise(path, advise);
	if (!*out) {
		const char *why = lt_dlerror();
		snprintf(err, errlen, "cannot load %s: %s", path,
		         why ? why : "unknown error");
		rc = RG_EPLUGIN;
	}
	lt_dladvise_destroy(&advise);
	return rc;
}

static int load_locked(const char *path, const char *what, const char *symbol,
                       rg_module *m, char *err, size_t errlen)
{
	int rc;

	rc = ltdl_open(path, &m->lt, err, errlen);
	if (rc != RG_OK)
		return rc;
	m->symbol = lt_dlsym(m->lt, symbol);
	if (!m->symbol) {
		snprintf(err, errlen, "%s (%s) does not export the symbol '%s'",
		         what, path, symbol);
		return RG_EPLUGIN;
	}
	return RG_OK;
}

/* Opens path under the lock and finds symbol in it; what names the object
 * in messages.  On success *out owns path. */
static int load_object(char *path, const char *what, const char *symbol,
                       rg_module **out, char *err, size_t errlen)
{
	rg_module *m = calloc(1, sizeof(*m));
	int rc;

	*out = NULL;
	if (!m) {
		free(path);
		return RG_ENOMEM;
	}
	pthread_mutex_lock(&ltdl_lock);
	if (lt_dlinit() != 0) {
		snprintf(err, errlen, "cannot initialise libltdl: %s",
		         lt_dlerror());
		rc = RG_EPLUGIN;
	} else {
		rc = load_locked(path, what, symbol, m, err, errlen);
		if (rc != RG_OK && m->lt)
			lt_dlclose(m->lt);
		if (rc != RG_OK)
			lt_dlexit();
	}
	pthread_mutex_unlock(&ltdl_lock);
	if (rc != RG_OK) {
		free(path);
		free(m);
		return rc;
	}
	m->path = path;
	*out = m;
	return RG_OK;
}

int rg_module_load(const char *dir, const char *name, rg_module **out,
                   char *err, size_t errlen)
{
	char what[PLUGIN_NAME_MAX + sizeof("plugin ''")];
	char *path = NULL;
	int rc;

	*out = NULL;
	if (!rg_name_valid(name, PLUGIN_NAME_MAX)) {
		snprintf(err, errlen,
		         "invalid plugin name '%s': expected letters, digits, "
		         "'-' or '_'",
		         name);
		return RG_EINVAL;
	}
	if (!dir || dir[0] != '/') {
		snprintf(err, errlen,
		         "plugin directory '%s' is not an absolute path",
		         dir ? dir : "(none)");
		return RG_EINVAL;
	}
	rc = check_trust(dir, 1, err, errlen);
	if (rc == RG_OK)
		rc = check_parents(dir, err, errlen);
	if (rc != RG_OK)
		return rc;
	rc = find_object(dir, name, &path, err, errlen);
	if (rc != RG_OK)
		return rc;
	snprintf(what, sizeof(what), "plugin '%s'", name);
	return load_object(path, what, RG_PLUGIN_SYMBOL, out, err, errlen);
}

/* Any object of librolegate: dladdr() names the file it is in. */
static const char self_marker;

/*
 * Where the store library is: beside librolegate (the same libdir once
 * installed, the same .libs in a build tree), else its soname, which the
 * dynamic linker's search path resolves as it resolved librolegate.  Unlike
 * a plugin it is not checked for trust: it is trusted exactly as much as
 * the library loading it, which comes from the same place.
 */
static char *store_path(void)
{
	Dl_info info;
	char *dir, *path;
	struct stat st;

	if (!dladdr(&self_marker, &info) || !info.dli_fname ||
	    info.dli_fname[0] != '/')
		return rg_strdup(RG_STORE_LIB);
	dir = rg_dirname(info.dli_fname);
	path = dir ? rg_asprintf("%s/%s", dir, RG_STORE_LIB) : NULL;
	free(dir);
	if (path && stat(path, &st) != 0) {
		free(path);
		path = NULL;
	}
	return path ? path : rg_strdup(RG_STORE_LIB);
}

int rg_store_linked(void)
{
	/* RTLD_NOLOAD: a handle only if the process already has it, by its
	 * soname, from its own link line or an earlier load. */
	void *h = dlopen(RG_STORE_LIB, RTLD_LAZY | RTLD_NOLOAD);

	if (!h)
		return 0;
	dlclose(h);
	return 1;
}

int rg_store_load(rg_module **out, const struct rg_dir_ops **ops, char *err,
                  size_t errlen)
{
	const struct rg_dir_ops *o;
	char *path = store_path();
	int rc;

	*out = NULL;
	*ops = NULL;
	if (!path)
		return RG_ENOMEM;
	rc = load_object(path, "the directory store library", RG_DIR_OPS_SYMBOL,
	                 out, err, errlen);
	if (rc != RG_OK)
		return rc;
	o = (*out)->symbol;
	if (!o->build || strcmp(o->build, RG_DIR_OPS_BUILD) != 0) {
		snprintf(err, errlen,
		         "%s is from build %s, librolegate from build %s: "
		         "install both from one build",
		         (*out)->path, o->build ? o->build : "(none)",
		         RG_DIR_OPS_BUILD);
		rg_module_unload(*out);
		*out = NULL;
		return RG_EABI;
	}
	*ops = o;
	return RG_OK;
}

void rg_module_unload(rg_module *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&ltdl_lock);
	if (m->lt)
		lt_dlclose(m->lt);
	lt_dlexit();
	pthread_mutex_unlock(&ltdl_lock);
	free(m->path);
	free(m);
}

const void *rg_module_symbol(const rg_module *m)
{
	return m->symbol;
}

const char *rg_module_path(const rg_module *m)
{
	return m->path;
}
