#ifndef TOKENLEDGERD_CSQLITE_SHIM_H
#define TOKENLEDGERD_CSQLITE_SHIM_H

#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift cannot import.
static inline sqlite3_destructor_type csqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

// sqlite3_config is variadic, which Swift cannot call. With memory statistics on, SQLite locks a
// mutex on every allocation and free. Call this before sqlite3_initialize, because afterwards
// sqlite3_config changes nothing and returns SQLITE_MISUSE.
static inline int csqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#endif
