// A guest with a fixed amount of work depending on its input (argv[1] rounds): for fuel determinism tests.
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
  unsigned h = 2166136261u;
  for (unsigned i = 0; i < rounds; i++) {
    h = (h ^ i) * 16777619u;
    if (h & 1) h += i;
  }
  printf("%u\n", h);
  return 0;
}
