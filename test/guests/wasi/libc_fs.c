// Conformance guest: the same filesystem operations through wasi-libc's POSIX wrappers (what most
// real programs use): stdio streams, open flags, stat, directories, links, times, errno values.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

/** Prints `label -> ok` or `label -> ENAME` from errno (wasi-libc errno values are WASI errnos). */
#define LC(label, expr) do { errno = 0; int r_ = (expr); printf("%s -> %s\n", label, r_ < 0 ? ename(errno) : "ok"); } while (0)

static const char *kind(mode_t m) {
  return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" : "other";
}

static void stat_show(const char *path, int follow) {
  struct stat st;
  errno = 0;
  int r = follow ? stat(path, &st) : lstat(path, &st);
  if (r < 0) printf("%s %s -> %s\n", follow ? "stat" : "lstat", path, ename(errno));
  else if (S_ISDIR(st.st_mode)) printf("%s %s -> ok, %s\n", follow ? "stat" : "lstat", path, kind(st.st_mode));
  else printf("%s %s -> ok, %s size %lld nlink %lu\n", follow ? "stat" : "lstat", path, kind(st.st_mode),
              (long long)st.st_size, (unsigned long)st.st_nlink);
}

int main(void) {
  transcript_init();
  char buf[256];

  printf("== stdio streams\n");
  FILE *f = fopen("/sandbox/stream.txt", "w+");
  SANE("fopen w+", f != NULL);
  fprintf(f, "line %d\n", 1);
  fputs("line 2\n", f);
  SANE("fseek 0 SEEK_SET", fseek(f, 0, SEEK_SET) == 0);
  SANE("fgets line 1", fgets(buf, sizeof buf, f) && !strcmp(buf, "line 1\n"));
  printf("ftell %ld\n", ftell(f));
  SANE("fseek -2 SEEK_END", fseek(f, -2, SEEK_END) == 0);
  printf("fgetc '%c'\n", fgetc(f));
  fclose(f);
  errno = 0;
  SANE("fopen missing for reading fails", fopen("/sandbox/missing.txt", "r") == NULL);
  printf("  errno %s\n", ename(errno));
  errno = 0;
  SANE("fopen in read-only preopen for writing fails", fopen("/ro/new.txt", "w") == NULL);
  printf("  errno %s\n", ename(errno));
  errno = 0;
  SANE("fopen outside the preopens fails", fopen("/etc/passwd", "r") == NULL);
  printf("  errno %s\n", ename(errno));
  errno = 0;
  SANE("fopen ../ out of a preopen fails", fopen("/sandbox/../etc/passwd", "r") == NULL);
  printf("  errno %s\n", ename(errno));
  f = fopen("/sandbox/stream.txt", "a");
  fputs("line 3\n", f);
  fclose(f);
  f = fopen("/sandbox/stream.txt", "r");
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  printf("after append: ");
  show_bytes(buf, n);
  putchar('\n');

  printf("== open(2) flags\n");
  LC("open O_CREAT|O_EXCL existing", open("/sandbox/stream.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));
  LC("open O_DIRECTORY on a file", open("/sandbox/stream.txt", O_RDONLY | O_DIRECTORY));
  LC("open O_WRONLY on a dir", open("/sandbox", O_WRONLY));
  LC("open O_RDONLY on a dir", open("/sandbox", O_RDONLY));
  LC("open O_NOFOLLOW on a symlink", (symlink("stream.txt", "/sandbox/sl"), open("/sandbox/sl", O_RDONLY | O_NOFOLLOW)));
  LC("open through symlink", open("/sandbox/sl", O_RDONLY));
  {
    int fd = open("/sandbox/trunc.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    SANE("open O_CREAT|O_RDWR|O_TRUNC", fd >= 0);
    printf("write %zd\n", write(fd, "0123456789", 10));
    printf("lseek SEEK_CUR %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("pread %zd\n", pread(fd, buf, 4, 3));
    printf("  \"%.4s\"\n", buf);
    printf("pwrite %zd\n", pwrite(fd, "AB", 2, 8));
    LC("ftruncate 5", ftruncate(fd, 5));
    struct stat st;
    fstat(fd, &st);
    printf("fstat size %lld\n", (long long)st.st_size);
    LC("lseek negative", (int)lseek(fd, -100, SEEK_SET));
    LC("fsync", fsync(fd));
    LC("fdatasync", fdatasync(fd));
    /* these two return the error number instead of setting errno */
    printf("posix_fadvise -> %s\n", ename((unsigned)posix_fadvise(fd, 0, 0, POSIX_FADV_NORMAL)));
    printf("posix_fallocate -> %s\n", ename((unsigned)posix_fallocate(fd, 0, 100)));
    printf("fcntl F_GETFL & O_APPEND: %d\n", !!(fcntl(fd, F_GETFL) & O_APPEND));
    LC("fcntl F_SETFL O_APPEND", fcntl(fd, F_SETFL, O_APPEND));
    printf("fcntl F_GETFL & O_APPEND: %d\n", !!(fcntl(fd, F_GETFL) & O_APPEND));
    close(fd);
    LC("close twice", close(fd));
    LC("lseek on stdout", (int)lseek(1, 0, SEEK_CUR));
    LC("read from a closed fd", (int)read(fd, buf, 1));
  }

  printf("== directories, links, renames\n");
  LC("mkdir d", mkdir("/sandbox/d", 0755));
  LC("mkdir d again", mkdir("/sandbox/d", 0755));
  LC("mkdir in read-only preopen", mkdir("/ro/d", 0755));
  LC("mkdir missing parent", mkdir("/sandbox/x/y", 0755));
  LC("rmdir non-empty", (close(open("/sandbox/d/f", O_CREAT | O_WRONLY, 0644)), rmdir("/sandbox/d")));
  LC("unlink a dir", unlink("/sandbox/d"));
  LC("rmdir a file", rmdir("/sandbox/d/f"));
  LC("link", link("/sandbox/d/f", "/sandbox/d/g"));
  stat_show("/sandbox/d/g", 1);
  LC("link existing target", link("/sandbox/d/f", "/sandbox/d/g"));
  LC("symlink", symlink("d/f", "/sandbox/sym"));
  stat_show("/sandbox/sym", 0);
  stat_show("/sandbox/sym", 1);
  {
    errno = 0;
    ssize_t r = readlink("/sandbox/sym", buf, sizeof buf);
    printf("readlink -> %s, \"%.*s\"\n", r < 0 ? ename(errno) : "ok", r < 0 ? 0 : (int)r, buf);
    r = readlink("/sandbox/sym", buf, 2);
    printf("readlink buf 2 -> %zd \"%.*s\"\n", r, r < 0 ? 0 : (int)r, buf);
    errno = 0;
    r = readlink("/sandbox/d/f", buf, sizeof buf);
    printf("readlink a file -> %s\n", r < 0 ? ename(errno) : "ok");
  }
  LC("symlink loop a->b", symlink("b", "/sandbox/a"));
  LC("symlink loop b->a", symlink("a", "/sandbox/b"));
  stat_show("/sandbox/a", 1);
  LC("open loop", open("/sandbox/a", O_RDONLY));
  LC("rename file over file", rename("/sandbox/d/g", "/sandbox/trunc.txt"));
  stat_show("/sandbox/trunc.txt", 1);
  LC("rename dir into itself", rename("/sandbox/d", "/sandbox/d/sub"));
  LC("rename dir over non-empty dir", (mkdir("/sandbox/e", 0755), mkdir("/sandbox/e/x", 0755), rename("/sandbox/d", "/sandbox/e")));
  LC("rename across preopens", rename("/sandbox/stream.txt", "/ro/stream.txt"));
  LC("rename missing", rename("/sandbox/nope", "/sandbox/nope2"));
  LC("access existing F_OK", access("/sandbox/stream.txt", F_OK));
  LC("access missing", access("/sandbox/nope", F_OK));
  LC("truncate by path", truncate("/sandbox/stream.txt", 3));
  stat_show("/sandbox/stream.txt", 1);
  {
    struct timespec ts[2] = {{1500000000, 0}, {1600000000, 0}};
    LC("utimensat", utimensat(AT_FDCWD, "/sandbox/stream.txt", ts, 0));
    struct stat st;
    stat("/sandbox/stream.txt", &st);
    printf("  atime %lld mtime %lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
    LC("utimensat on a symlink, AT_SYMLINK_NOFOLLOW", utimensat(AT_FDCWD, "/sandbox/sym", ts, AT_SYMLINK_NOFOLLOW));
  }

  printf("== cwd-relative paths (wasi-libc resolves them against its cwd, \"/\")\n");
  LC("chdir /sandbox", chdir("/sandbox"));
  stat_show("stream.txt", 1);
  stat_show("./d/f", 1);
  stat_show("../ro/data.txt", 1);
  LC("chdir missing", chdir("/sandbox/missing"));
  printf("getcwd %s\n", getcwd(buf, sizeof buf) ? buf : "(null)");

  printf("== listing\n");
  {
    DIR *d = opendir("/sandbox");
    char names[64][64];
    int k = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) && k < 64) snprintf(names[k++], 64, "%s", de->d_name);
    if (d) closedir(d);
    qsort(names, k, 64, (int (*)(const void *, const void *))strcmp);
    printf("/sandbox:");
    for (int i = 0; i < k; i++) printf(" %s", names[i]);
    putchar('\n');
  }
  return 0;
}
