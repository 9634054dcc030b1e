/* scopec_main.h — compiler/scopec.c is built for tests/oom with main
 * renamed (-Dmain=scopec_main); this is its prototype (-include). */
int scopec_main(int argc, char **argv);
