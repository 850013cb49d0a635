// cflags: -Wl,--strip-all
// Bench guest: the tiny program whose full fresh run (instantiate + WASI context + _start) is timed.
#include <stdio.h>

int main(void) {
  puts("hello from a fresh sandbox");
  return 0;
}
