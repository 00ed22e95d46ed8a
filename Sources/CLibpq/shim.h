#ifndef TOKENLEDGERD_CLIBPQ_SHIM_H
#define TOKENLEDGERD_CLIBPQ_SHIM_H

#include <postgresql/libpq-fe.h>

// PG_DIAG_SQLSTATE is a character macro ('C'), which Swift does not import as a field code.
static inline int clibpq_diag_sqlstate(void) {
    return PG_DIAG_SQLSTATE;
}

#endif
