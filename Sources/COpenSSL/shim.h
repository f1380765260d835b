#ifndef IMAGE_VERIFIER_COPENSSL_SHIM_H
#define IMAGE_VERIFIER_COPENSSL_SHIM_H
// The OpenSSL 3 headers that CryptoPrimitives uses. Only tiny static inline shims belong here.
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/pkcs7.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/ct.h>

// Macros Swift cannot import, as tiny inline functions.
/// RFC 2253 name printing flags, keeping UTF-8 characters unescaped.
static inline unsigned long iv_name_flags_rfc2253_utf8(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }
/// BIO_get_mem_data.
static inline long iv_bio_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
#endif
