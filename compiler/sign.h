/*
 * sign.h — `scopec keygen`, `scopec sign` and `scopec verify`: Ed25519
 * signed policy images (compiler/sign.c; the format is in
 * runtime/bytecode.h, the keys in runtime/enforce/sig.h).
 */
#ifndef SC_SIGN_H
#define SC_SIGN_H

/* argv[0] is the command name; return the exit status. */
int sc_cmd_keygen(int argc, char **argv);
int sc_cmd_sign(int argc, char **argv);
int sc_cmd_verify(int argc, char **argv);

extern const char sc_keygen_usage[];
extern const char sc_sign_usage[];
extern const char sc_verify_usage[];

#endif
