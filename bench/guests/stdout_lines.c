// cflags: -Wl,--strip-all
// Bench guest: many small stdout writes. Writes N numbered lines (argv[1], default 200000),
// one write(2) per line, so every line is one fd_write call; ends with a checksum line.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  unsigned long sum = 0;
  char buf[64];
  for (long i = 0; i < n; i++) {
    int len = snprintf(buf, sizeof buf, "line %ld of output\n", i);
    for (int k = 0; k < len; k++) sum = sum * 31 + (unsigned char)buf[k];
    if (write(1, buf, (size_t)len) != len) { perror("write"); return 1; }
  }
  int len = snprintf(buf, sizeof buf, "lines=%ld sum=%lu\n", n, sum);
  if (write(1, buf, (size_t)len) != len) return 1;
  return 0;
}
