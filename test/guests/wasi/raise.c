// Conformance guest: proc_raise (removed from wasi-libc's headers, so imported by hand).
// wasmtime traps ("proc_raise unsupported"); the transcript records what happens.
#include <stdlib.h>
#include "check.h"

__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
extern uint16_t raw_proc_raise(uint32_t sig);

int main(int argc, char **argv) {
  transcript_init();
  unsigned sig = argc > 1 ? (unsigned)atoi(argv[1]) : 6;
  printf("calling proc_raise(%u)\n", sig);
  check(raw_proc_raise(sig), "proc_raise %u", sig);
  return 0;
}
