#ifndef TOKENLEDGERD_CZLIB_SHIM_H
#define TOKENLEDGERD_CZLIB_SHIM_H

#include <zlib.h>

// inflateInit2 is a macro that passes the library version and stream size, which Swift cannot import.
static inline int czlib_inflate_init2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

#endif
