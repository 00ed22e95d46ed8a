#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>

#include "CSystemShims.h"

// Swift's Glibc module does not import statx(2), which needs _GNU_SOURCE.
int csystem_birth_time(int fd, int64_t *seconds, uint32_t *nanoseconds) {
    struct statx info;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &info) != 0) {
        return -1;
    }
    if ((info.stx_mask & STATX_BTIME) == 0) {
        return 1;
    }
    *seconds = info.stx_btime.tv_sec;
    *nanoseconds = info.stx_btime.tv_nsec;
    return 0;
}
