// cflags: -Wl,--strip-all
// Bench guest: list a big directory several times with opendir/readdir. argv: DIR TIMES
// (defaults /tmp 5). Prints the entry count and an order-independent checksum of the names.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  long times = argc > 2 ? atol(argv[2]) : 5;
  long count = 0;
  unsigned long sum = 0;
  for (long t = 0; t < times; t++) {
    DIR *d = opendir(dir);
    if (!d) { perror(dir); return 1; }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      unsigned long h = 5381;
      for (const char *p = e->d_name; *p; p++) h = h * 33 + (unsigned char)*p;
      sum += h;
      count++;
    }
    closedir(d);
  }
  printf("entries=%ld per_listing=%ld sum=%lu\n", count, times ? count / times : 0, sum);
  return 0;
}
