// cflags: -Wl,--strip-all
// Bench guest: create, stat and unlink many files. argv: DIR N (defaults /tmp 5000).
// Creates DIR/f<i> with a few bytes each, stats every one, then unlinks them all.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  long n = argc > 2 ? atol(argv[2]) : 5000;
  char path[256], data[32];
  long bytes = 0;
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/f%ld", dir, i);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) { perror(path); return 1; }
    int len = snprintf(data, sizeof data, "file %ld\n", i);
    if (write(fd, data, (size_t)len) != len) { perror("write"); return 1; }
    close(fd);
  }
  for (long i = 0; i < n; i++) {
    struct stat st;
    snprintf(path, sizeof path, "%s/f%ld", dir, i);
    if (stat(path, &st) != 0) { perror(path); return 1; }
    if (!S_ISREG(st.st_mode)) { fprintf(stderr, "%s: not a regular file\n", path); return 1; }
    bytes += (long)st.st_size;
  }
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/f%ld", dir, i);
    if (unlink(path) != 0) { perror(path); return 1; }
  }
  struct stat st;
  snprintf(path, sizeof path, "%s/f0", dir);
  int gone = stat(path, &st) != 0;
  printf("files=%ld bytes=%ld gone=%d\n", n, bytes, gone);
  return 0;
}
