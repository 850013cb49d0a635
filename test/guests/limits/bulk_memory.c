// cflags: -mbulk-memory
// Adversarial guest: memory.fill / memory.copy over all of memory, in an endless loop.
#include <string.h>
#include <stdlib.h>
int main(void) {
  size_t n = 48u << 20;
  char *a = malloc(n), *b = malloc(n);
  if (!a || !b) return 1;
  for (unsigned i = 0;; i++) {
    memset(a, (int)i, n);
    memcpy(b, a, n);
  }
}
