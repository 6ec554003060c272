/*
 * main.c - rolegated: options, start, signals and a graceful stop.
 *
 *   rolegated [-c CONFIG] [--plugin-dir DIR] [--directory PATH]
 *             [-f | -d [--pid-file FILE]] [-t] [-v]
 *
 * Start: load the configuration (any problem refuses to start, naming
 * file:line), bind the public Unix socket (listen_socket) if any, open the
 * admin listener, the decision log and the public listener.  Then the main
 * thread waits for signals: SIGHUP reloads (and reopens the decision log),
 * SIGTERM and SIGINT stop: no new connections, requests in flight finish (up to
 * shutdown_timeout), exit 0.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buildtree.h"
#include "rolegated.h"

#ifndef RG_SYSCONFDIR
#define RG_SYSCONFDIR "/etc/rolegate"
#endif
#define DEFAULT_CONFIG RG_SYSCONFDIR "/rolegate.conf"
#define ENV_CONFIG     "ROLEGATE_CONFIG"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

enum {
	OPT_PLUGIN_DIR = UCHAR_MAX + 1,
	OPT_DIRECTORY,
	OPT_PID_FILE,
};

struct options {
	const char *config;
	const char *plugin_dir;
	const char *directory;
	const char *pid_file;
	int daemon;
	int test;
	int verbose;
};

static const struct option longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
    {"directory", required_argument, NULL, OPT_DIRECTORY},
    {"foreground", no_argument, NULL, 'f'},
    {"daemon", no_argument, NULL, 'd'},
    {"pid-file", required_argument, NULL, OPT_PID_FILE},
    {"test", no_argument, NULL, 't'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: " RGD_NAME " [OPTIONS]\n\n"
	           "Answers authorization questions of API gateways and "
	           "applications over HTTP.\n\n"
	           "Options:\n"
	           "  -c, --config FILE     configuration (default: "
	           "$" ENV_CONFIG ",\n"
	           "                        else " DEFAULT_CONFIG ")\n"
	           "      --plugin-dir DIR  load plugins from DIR instead of "
	           "the config's\n"
	           "      --directory PATH  the directory database instead of "
	           "the config's\n"
	           "  -f, --foreground      stay in the foreground (the "
	           "default)\n"
	           "  -d, --daemon          detach once serving\n"
	           "      --pid-file FILE   write the process id to FILE\n"
	           "  -t, --test            check the configuration and exit\n"
	           "  -v, --verbose         log debug messages too\n"
	           "  -h, --help            show this help\n"
	           "  -V, --version         show the version\n\n"
	           "Signals: HUP reloads the configuration and reopens the "
	           "decision log;\nTERM and INT stop after the requests in "
	           "flight.\n"
	           "Endpoints: POST /v1/check, POST /v1/checks, /v1/authz, GET "
	           "/healthz,\n/readyz, /metrics; the admin API on its own "
	           "socket.  See " RGD_NAME "(8).\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int opt;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:fdtvhV", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			o->config = optarg;
			break;
		case OPT_PLUGIN_DIR:
			o->plugin_dir = optarg;
			break;
		case OPT_DIRECTORY:
			o->directory = optarg;
			break;
		case OPT_PID_FILE:
			o->pid_file = optarg;
			break;
		case 'f':
			o->daemon = 0;
			break;
		case 'd':
			o->daemon = 1;
			break;
		case 't':
			o->test = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			printf(RGD_NAME " %s (librolegate %s)\n",
			       PACKAGE_VERSION, rg_version());
			exit(EXIT_OK);
		case ':':
			fprintf(stderr,
			        RGD_NAME ": option '%s' needs a value\n",
			        argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, RGD_NAME ": unknown option '%s'\n",
			        argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, RGD_NAME ": unexpected argument '%s'\n",
		        argv[optind]);
		return -1;
	}
	if (!o->config) {
		const char *env = getenv(ENV_CONFIG);

		o->config = env && *env ? env : DEFAULT_CONFIG;
	}
	return 0;
}

/* ---- detaching --------------------------------------------------------------
 */

/*
 * Forks before any thread exists; the parent waits until the child says it
 * serves (one byte 0) or failed, and exits accordingly, so that a service
 * manager or script sees start-up errors.  Returns the write end of the
 * pipe in the child.
 */
static int detach_begin(void)
{
	int p[2];
	pid_t pid;
	char ok = 1;

	if (pipe(p) != 0) {
		perror(RGD_NAME ": pipe");
		exit(EXIT_FAIL);
	}
	pid = fork();
	if (pid < 0) {
		perror(RGD_NAME ": fork");
		exit(EXIT_FAIL);
	}
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &ok, 1) != 1)
			ok = 1;
		_exit(ok == 0 ? EXIT_OK : EXIT_FAIL);
	}
	close(p[0]);
	setsid();
	return p[1];
}

static void detach_end(int fd, int ok)
{
	char c = ok ? 0 : 1;
	int null;

	if (fd < 0)
		return;
	if (ok) {
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			if (null > STDERR_FILENO)
				close(null);
		}
	}
	if (write(fd, &c, 1) != 1)
		c = 1;
	close(fd);
}

static int write_pid(const char *path)
{
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "we");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f);
}

/* ---- start and run ----------------------------------------------------------
 */

static uint64_t random_seed(void)
{
	uint64_t seed;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
		return seed;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)getpid() << 16);
}

static int start(struct rgd *d, const struct options *o)
{
	if (rgd_start(d, o->daemon) != 0)
		return -1;
	if (write_pid(o->pid_file) != 0) {
		rgd_log(&d->log, RG_LOG_ERR, "pid file %s: %s", o->pid_file,
		        strerror(errno));
		return -1;
	}
	return 0;
}

/* Waits for signals until told to stop. */
static void run(struct rgd *d, const sigset_t *set)
{
	struct rgd_report *r = calloc(1, sizeof(*r));

	for (;;) {
		int sig = sigwaitinfo(set, NULL);

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			rgd_log(&d->log, RG_LOG_ERR, "sigwaitinfo: %s",
			        strerror(errno));
			break;
		}
		if (sig == SIGHUP) {
			rgd_dlog_reopen(&d->dlog);
			if (r)
				rgd_engine_reload(&d->engine, "SIGHUP", r);
			continue;
		}
		rgd_log(&d->log, RG_LOG_NOTICE, "%s: stopping",
		        sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	free(r);
}

static void stop(struct rgd *d, const struct options *o, int started)
{
	rgd_stop(d);
	if (started && o->pid_file)
		unlink(o->pid_file);
}

int main(int argc, char **argv)
{
	struct options o;
	struct rgd *d;
	sigset_t set;
	int status = EXIT_FAIL, detach_fd = -1, loaded, started = 0;

	if (parse_options(argc, argv, &o) < 0) {
		fprintf(stderr, "Try '" RGD_NAME " --help'.\n");
		return EXIT_USAGE;
	}
	/* Signals go to the main thread only: block them before any other
	 * thread exists (they inherit the mask). */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o.daemon && !o.test)
		detach_fd = detach_begin();
	d = rgd_new(o.config, o.verbose ? RG_LOG_DEBUG : RG_LOG_INFO);
	if (!d) {
		fprintf(stderr, RGD_NAME ": out of memory\n");
		detach_end(detach_fd, 0);
		return EXIT_FAIL;
	}
	/* As the rolegate tool: option, environment, then the build tree. */
	d->plugin_dir =
	    o.plugin_dir ? o.plugin_dir : getenv("ROLEGATE_PLUGIN_DIR");
	if (!d->plugin_dir) {
		d->plugin_dir = rg_tool_build_plugin_dir();
		d->plugin_dir_default = d->plugin_dir != NULL;
	}
	d->admin_socket_default = rg_tool_build_admin_socket();
	d->directory = o.directory ? o.directory : getenv("ROLEGATE_DIRECTORY");
	d->id_seed = random_seed();
	loaded = rgd_first_load(d, o.test);
	if (loaded > 0) {
		status = EXIT_OK;
	} else if (loaded == 0 && start(d, &o) == 0) {
		started = 1;
		rgd_log(&d->log, RG_LOG_NOTICE,
		        RGD_NAME " %s serving %s (generation 1)",
		        PACKAGE_VERSION, d->config_path);
		detach_end(detach_fd, 1);
		detach_fd = -1;
		run(d, &set);
		status = EXIT_OK;
	}
	detach_end(detach_fd, 0);
	stop(d, &o, started);
	if (status == EXIT_OK && !o.test)
		rgd_log(&d->log, RG_LOG_NOTICE, "stopped");
	rgd_free(d);
	return status;
}
