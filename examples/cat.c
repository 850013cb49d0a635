// cflags: -Wl,--strip-debug
// cat: copies each file argument (or stdin when there are none; "-" is stdin) to stdout.
// A second Warden example guest. Exit 1 if any file could not be read.
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int copy(FILE *f) {
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    if (fwrite(buf, 1, n, stdout) != n) return -1;
  return ferror(f) ? -1 : 0;
}

int main(int argc, char **argv) {
  int status = 0;
  if (argc < 2) return copy(stdin) == 0 ? 0 : 1;
  for (int i = 1; i < argc; i++) {
    int is_stdin = strcmp(argv[i], "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(argv[i], "r");
    if (!f || copy(f) != 0) {
      fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
      status = 1;
    }
    if (f && !is_stdin) fclose(f);
  }
  return status;
}
