/* The rolegate command's source with its main() renamed, for the lint
 * fuzz target. */
#define main rolegate_main
int rolegate_main(int argc, char **argv);
#include "../tools/cli/rolegate.c"
