/* Placeholder until the directory lands: no directory is available. */
#include "config.h"

#include "directory.h"

int rg_dir_open(struct rg_context *ctx, const char *location,
		struct rg_dir **out, char *err, size_t errlen)
{
	*out = NULL;
	rg_strlcpy(err, "not built yet", errlen);
	return RG_ENOSYS;
}

void rg_dir_close(struct rg_dir *d)
{
}

int rg_dir_version(struct rg_dir *d, uint64_t *out)
{
	return RG_ENOSYS;
}

int rg_dir_load(struct rg_dir *d, const struct rg_context *ctx,
		struct rg_snapshot **out, char *err, size_t errlen)
{
	return RG_ENOSYS;
}
