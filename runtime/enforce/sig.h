/*
 * sig.h — Ed25519 keys and the signature trailer of signed images
 * (internal to libscope-enforce and `scopec sign` / `keygen` / `verify`;
 * the public entry points are in scope_enforce.h).
 *
 * The cryptography is Nettle's (libhogweed: ed25519_sha512_*, libnettle:
 * SHA-256, base64); nothing here computes a signature or a hash itself.
 *
 * Key files are PEM as OpenSSL writes them (`openssl genpkey -algorithm
 * ed25519`), told by their exact DER form instead of a general ASN.1
 * parser: an Ed25519 key has one DER encoding (RFC 8410), a fixed prefix
 * followed by the 32 key bytes, so comparing that prefix byte for byte
 * accepts exactly the valid files and nothing else:
 *
 *   PUBLIC KEY  (SubjectPublicKeyInfo, 44 bytes)
 *     30 2a 30 05 06 03 2b 65 70 03 21 00 || public key (32)
 *   PRIVATE KEY (PKCS#8 v1 OneAsymmetricKey, 48 bytes)
 *     30 2e 02 01 00 30 05 06 03 2b 65 70 04 22 04 20 || private key (32)
 *
 * Encrypted private keys and PKCS#8 v2 (with the public key attached) are
 * refused with SCOPE_EKEY.
 */
#ifndef SCOPE_SIG_H
#define SCOPE_SIG_H

#include "bytecode.h"
#include "scope_enforce.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIG_KEY 32u             /* Ed25519 public or private key bytes */
#define SIG_KEYID_STR 17u       /* 16 hex digits + NUL */
#define SIG_PEM_MAX 4096u       /* a key file is at most this long */

/* The DER bytes of KIND's PEM block ("PUBLIC KEY", "PRIVATE KEY") in TEXT
 * into KEY when it is an Ed25519 key of that kind.  0 or -SCOPE_EKEY. */
int sig_key_from_pem(const char *text, size_t len, bool private_key, uint8_t key[SIG_KEY]);

/* The PEM text of KEY (public: SubjectPublicKeyInfo; private: PKCS#8)
 * into OUT (at least SIG_PEM_MAX bytes), NUL-terminated; its length. */
size_t sig_key_to_pem(const uint8_t key[SIG_KEY], bool private_key, char *out);

/* Up to CAP bytes of the regular file PATH into BUF; -SCOPE_EIO with errno
 * if it cannot be read (EISDIR for a directory, EINVAL for another file
 * that is not regular), -SCOPE_ELENGTH if it is longer. */
int sig_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len);

/* The key id of PUB: the first 8 bytes of its SHA-256, as 16 hex digits. */
void sig_key_id(const uint8_t pub[SIG_KEY], uint8_t id[SCOPE_SIG_KEYID]);
void sig_key_id_str(const uint8_t pub[SIG_KEY], char out[SIG_KEYID_STR]);

/* The signer's key id named by the trailer of the signed image DATA, as
 * hex into OUT; false if DATA is not a signed image. */
bool sig_signer_id_str(const void *data, size_t len, char out[SIG_KEYID_STR]);

/* The first SCOPE_SIG_HEAD bytes of the trailer for a signature by PUB. */
void sig_trailer_head(const uint8_t pub[SIG_KEY], uint8_t head[SCOPE_SIG_HEAD]);

/* The signed file of IMAGE (ILEN bytes, an image without a trailer) by the
 * key pair PRIV/PUB: a new buffer of ILEN + SCOPE_SIG_TRAILER bytes in
 * *OUT.  0 or -SCOPE_ENOMEM. */
int sig_sign_image(const uint8_t *image, size_t ilen, const uint8_t priv[SIG_KEY],
		   const uint8_t pub[SIG_KEY], uint8_t **out);

/* Checks the signature of DATA (LEN bytes) with PUB; *IMAGE_LEN is the
 * signed image's length.  0, -SCOPE_EFORMAT (not bytecode), -SCOPE_EUNSIGNED,
 * -SCOPE_ESIGNATURE (bad or malformed signature), -SCOPE_ELENGTH. */
int sig_check(const void *data, size_t len, const uint8_t pub[SIG_KEY], size_t *image_len);

#endif
