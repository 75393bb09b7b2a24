/* Where exitdiff's own files are when a command is run from elsewhere: the
 * source tree the binary was built from (its TMK runtime, its corpus and
 * known-divergence list). EXITDIFF_SOURCE_DIR in the environment overrides
 * the built-in path (a moved checkout). */
#ifndef EXITDIFF_SOURCE_TREE_H
#define EXITDIFF_SOURCE_TREE_H

const char *source_dir(void);

/* The known-divergence list a command uses when told none: the corpus under
 * the working directory (a checkout run from its top), else the one of the
 * source tree; NULL when neither is readable. One rule for the campaign,
 * `run` and the fuzzing engines, so a campaign started from a build or
 * scratch directory still counts the corpus's known divergences as known. */
const char *known_default_path(void);

#endif
