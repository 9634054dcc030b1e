/*
 * cli_compile.h — the commands of the compiled path, wired into scopec.c's
 * command table: `compile` and `disasm`; and how `eval` tells an image from
 * a source policy.
 */
#ifndef SC_CLI_COMPILE_H
#define SC_CLI_COMPILE_H

#include <stdbool.h>

/* Their --help texts, also printed by `scopec help compile|disasm`. */
extern const char sc_compile_usage[];
extern const char sc_disasm_usage[];

/* argv[0] is the command name; return the exit status (SPEC §3). */
int sc_cmd_compile(int argc, char **argv);
int sc_cmd_disasm(int argc, char **argv);

/* True if PATH starts with the bytecode magic (then `eval` runs the image). */
bool sc_file_is_bytecode(const char *path);

#endif
