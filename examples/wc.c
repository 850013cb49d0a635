// cflags: -Wl,--strip-debug
// wc: counts lines, words and bytes of each file argument (or of stdin when there are none),
// like POSIX wc; the Warden example guest. Exit 1 if any file could not be read.
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct counts { unsigned long lines, words, bytes; };

static int count(FILE *f, struct counts *c) {
  unsigned char buf[4096];
  int in_word = 0;
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    for (size_t i = 0; i < n; i++) {
      if (buf[i] == '\n') c->lines++;
      if (isspace(buf[i])) in_word = 0;
      else if (!in_word) { in_word = 1; c->words++; }
    }
    c->bytes += n;
  }
  return ferror(f) ? -1 : 0;
}

static void print(const struct counts *c, const char *name) {
  printf("%7lu %7lu %7lu%s%s\n", c->lines, c->words, c->bytes, name ? " " : "", name ? name : "");
}

int main(int argc, char **argv) {
  struct counts total = {0, 0, 0};
  int status = 0;
  if (argc < 2) {
    if (count(stdin, &total) != 0) { fprintf(stderr, "wc: stdin: %s\n", strerror(errno)); return 1; }
    print(&total, NULL);
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "r");
    struct counts c = {0, 0, 0};
    if (!f || count(f, &c) != 0) {
      fprintf(stderr, "wc: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      if (f) fclose(f);
      continue;
    }
    fclose(f);
    print(&c, argv[i]);
    total.lines += c.lines; total.words += c.words; total.bytes += c.bytes;
  }
  if (argc > 2) print(&total, "total");
  return status;
}
