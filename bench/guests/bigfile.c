// cflags: -Wl,--strip-all
// Bench guest: large file write then read back. argv: DIR MIB CHUNK_KIB (defaults /tmp 64 64).
// Writes MIB MiB in CHUNK_KIB KiB chunks to DIR/big.bin, reads it back, checks it, deletes it.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  long mib = argc > 2 ? atol(argv[2]) : 64;
  long chunk = (argc > 3 ? atol(argv[3]) : 64) * 1024;
  long total = mib * 1024 * 1024, nchunks = total / chunk;
  char path[256];
  snprintf(path, sizeof path, "%s/big.bin", dir);
  unsigned char *buf = malloc((size_t)chunk);
  if (!buf) return 2;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) { perror("open for write"); return 1; }
  for (long c = 0; c < nchunks; c++) {
    memset(buf, (int)(c & 0xff), (size_t)chunk);
    buf[0] = (unsigned char)(c >> 8);
    if (write(fd, buf, (size_t)chunk) != chunk) { perror("write"); return 1; }
  }
  if (close(fd) != 0) { perror("close"); return 1; }
  fd = open(path, O_RDONLY);
  if (fd < 0) { perror("open for read"); return 1; }
  unsigned long sum = 0;
  long got = 0, bad = 0;
  for (long c = 0; c < nchunks; c++) {
    long off = 0;
    while (off < chunk) {
      ssize_t r = read(fd, buf + off, (size_t)(chunk - off));
      if (r < 0) { perror("read"); return 1; }
      if (r == 0) break;
      off += r;
    }
    got += off;
    if (off != chunk || buf[0] != (unsigned char)(c >> 8) || buf[chunk - 1] != (unsigned char)(c & 0xff)) bad++;
    sum = sum * 131 + buf[0] + buf[chunk / 2];
  }
  close(fd);
  if (unlink(path) != 0) { perror("unlink"); return 1; }
  printf("bytes=%ld bad_chunks=%ld sum=%lu\n", got, bad, sum);
  return bad != 0;
}
