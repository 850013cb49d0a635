// Conformance guest: proc_exit ends the guest with the given code (argv[1], default 7) after
// flushing; nothing after it runs. argv[2] "raw" calls __wasi_proc_exit without libc's flush.
#include <stdlib.h>
#include "check.h"

int main(int argc, char **argv) {
  int code = argc > 1 ? atoi(argv[1]) : 7;
  int raw = argc > 2 && !strcmp(argv[2], "raw");
  printf("exiting with %d%s\n", code, raw ? " (raw)" : "");
  fflush(stdout);
  if (raw) __wasi_proc_exit((__wasi_exitcode_t)code);
  exit(code);
  printf("after exit: must not appear\n");
  return 99;
}
