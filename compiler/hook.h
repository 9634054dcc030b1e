/*
 * hook.h — `scopec hook claude-code`: the pre-execution hook of Claude Code
 * (SPEC §6.2), wired into scopec.c's command table.
 */
#ifndef SC_HOOK_H
#define SC_HOOK_H

extern const char sc_hook_usage[];

/* argv[0] is "hook"; returns 0 with a decision on stdout, 2 otherwise. */
int sc_cmd_hook(int argc, char **argv);

#endif
