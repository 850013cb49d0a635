// Adversarial guest: allocates 1 MiB blocks until malloc fails, then prints how many it got
// (memory.grow returns -1 at the cap, so malloc returns NULL: the guest carries on).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static char *volatile keep[4096];
int main(void) {
  unsigned n = 0;
  for (; n < 4096; n++) {
    char *p = malloc(1 << 20);
    if (!p) break;
    memset(p, 1, 1 << 20);
    keep[n] = p;
  }
  printf("%u\n", n);
  return 0;
}
