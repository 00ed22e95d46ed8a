#ifndef TOKENLEDGERD_CSYSTEMSHIMS_H
#define TOKENLEDGERD_CSYSTEMSHIMS_H

#include <stdint.h>

/// Reads the birth time of the open file `fd` with statx(2).
/// Returns 0 and fills `seconds` and `nanoseconds` when the filesystem reports a birth time,
/// 1 when it does not, and -1 with errno set when statx fails.
int csystem_birth_time(int fd, int64_t *seconds, uint32_t *nanoseconds);

#endif
