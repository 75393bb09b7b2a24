/* Whole-file reads and atomic writes, shared by every module that loads
 * cases, lists, images or campaign state and writes results. */
#ifndef EXITDIFF_FILE_IO_H
#define EXITDIFF_FILE_IO_H

#include <stddef.h>

/* Reads path into a malloc'd buffer with a NUL after the last byte. max
 * bounds the size (0: no bound). Returns 0, or -1 with one line in err:
 * "cannot open PATH: reason", "cannot read PATH: reason" or
 * "PATH: larger than N bytes". */
int file_read_all(const char *path, size_t max, char **buf, size_t *len,
		  char *err, size_t errlen);

/* Writes len bytes to path through a temporary file and a rename, so a
 * reader (or a kill -9) never sees half a file. Returns 0 or -1 with one
 * line in err. */
int file_write_atomic(const char *path, const void *data, size_t len,
		      char *err, size_t errlen);

#endif
