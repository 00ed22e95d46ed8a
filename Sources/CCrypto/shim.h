#ifndef TOKENLEDGERD_CCRYPTO_SHIM_H
#define TOKENLEDGERD_CCRYPTO_SHIM_H

// OpenSSL 3.0 marks SHA256_Init, SHA256_Update and SHA256_Final deprecated in favour of the EVP
// digest functions. Those need a heap-allocated context per hasher, while SHA256_CTX is a plain
// struct that a Swift value type can hold and copy. The low-level functions still ship in
// libcrypto 3, so they are imported without the deprecation attribute.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>

#endif
