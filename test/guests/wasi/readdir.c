// Conformance guest: fd_readdir with tiny and exact buffers, cookies (resume, past the end),
// "." and "..", d_type/d_ino, many entries, and libc opendir/readdir. Names are sorted before
// printing so the transcript does not depend on directory order.
#include <dirent.h>
#include <stdlib.h>
#include "check.h"

#define MAXE 256
typedef struct { char name[64]; unsigned type; __wasi_dircookie_t next; __wasi_inode_t ino; } entry_t;

static int cmp_entry(const void *a, const void *b) {
  return strcmp(((const entry_t *)a)->name, ((const entry_t *)b)->name);
}

/** Reads a whole directory with buffers of `bufsize` bytes, resuming from cookies the way
 *  wasi-libc does; returns the number of entries (or -errno) and the number of calls made. */
static int read_all(__wasi_fd_t fd, size_t bufsize, entry_t *out, int *calls) {
  static uint8_t buf[8192];
  __wasi_dircookie_t cookie = __WASI_DIRCOOKIE_START;
  int count = 0;
  *calls = 0;
  for (;;) {
    __wasi_size_t used = 0;
    unsigned e = __wasi_fd_readdir(fd, buf, bufsize, cookie, &used);
    if (e) return -(int)e;
    if (++*calls > 10000) return -1000;
    size_t off = 0;
    int progressed = 0;
    while (off + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t d;
      memcpy(&d, buf + off, sizeof d);
      if (off + sizeof d + d.d_namlen > used) break; /* name cut off: resume at this entry */
      if (count < MAXE) {
        size_t n = d.d_namlen < 63 ? d.d_namlen : 63;
        memcpy(out[count].name, buf + off + sizeof d, n);
        out[count].name[n] = 0;
        out[count].type = d.d_type;
        out[count].next = d.d_next;
        out[count].ino = d.d_ino;
      }
      count++;
      cookie = d.d_next;
      off += sizeof d + d.d_namlen;
      progressed = 1;
    }
    if (used < bufsize) return count; /* a short buffer means the end was reached */
    if (!progressed) { /* buffer too small for a single entry: grow it, as wasi-libc does */
      bufsize *= 2;
      if (bufsize > sizeof buf) return -2000;
    }
  }
}

static void print_sorted(const char *label, entry_t *es, int n) {
  qsort(es, n < MAXE ? n : MAXE, sizeof *es, cmp_entry);
  printf("%s: %d entries:", label, n);
  for (int i = 0; i < n && i < MAXE; i++) printf(" %s", es[i].name);
  putchar('\n');
}

int main(void) {
  transcript_init();
  const __wasi_fd_t D = SANDBOX_FD;
  static entry_t es[MAXE];
  int calls;
  __wasi_fd_t fd;

  check(__wasi_path_create_directory(D, "rd"), "path_create_directory rd");
  const char *files[] = {"a", "bb", "ccc", "e.txt", "a-much-longer-name-than-the-others.data"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    char p[80];
    snprintf(p, sizeof p, "rd/%s", files[i]);
    check(make_file(D, p, "x"), "make %s", p);
  }
  check(__wasi_path_create_directory(D, "rd/dddd"), "path_create_directory rd/dddd");
  check(__wasi_path_symlink("a", D, "rd/sym"), "path_symlink rd/sym -> a");
  check(open_at(D, "rd", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, 0, &fd), "path_open rd");

  printf("== whole directory with buffers of many sizes (grown when one entry does not fit)\n");
  const size_t sizes[] = {4096, 256, 64, 48, 33, 32, 30, 25, 24};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    int n = read_all(fd, sizes[i], es, &calls);
    char label[64];
    snprintf(label, sizeof label, "buf %zu", sizes[i]);
    if (n < 0) printf("%s: failed %d\n", label, n);
    else print_sorted(label, es, n);
  }

  printf("== types and inodes\n");
  int n = read_all(fd, 4096, es, &calls);
  qsort(es, n, sizeof *es, cmp_entry);
  for (int i = 0; i < n; i++) {
    printf("  %s: %s", es[i].name, ftname(es[i].type));
    if (strcmp(es[i].name, ".") && strcmp(es[i].name, "..")) {
      char p[80];
      __wasi_filestat_t st;
      snprintf(p, sizeof p, "rd/%s", es[i].name);
      (void)__wasi_path_filestat_get(D, 0, p, &st);
      printf(", d_ino matches filestat: %s", es[i].ino == st.ino ? "yes" : "no");
    }
    putchar('\n');
  }

  printf("== raw calls with tiny buffers\n");
  {
    uint8_t buf[64];
    __wasi_size_t used = 12345;
    const __wasi_size_t tiny[] = {0, 1, 8, 23, 24};
    for (size_t i = 0; i < sizeof tiny / sizeof *tiny; i++) {
      memset(buf, 0xAA, sizeof buf);
      unsigned e = __wasi_fd_readdir(fd, buf, tiny[i], 0, &used);
      printf("fd_readdir buf %lu cookie 0 -> %s, bufused %lu", tiny[i], ename(e), used);
      SANE(", no write past the buffer", buf[tiny[i]] == 0xAA);
    }
  }

  printf("== cookies\n");
  {
    n = read_all(fd, 4096, es, &calls); /* directory order, not sorted */
    int consistent = 1;
    for (int i = 0; i + 1 < n; i++) {
      uint8_t buf[256];
      __wasi_size_t used = 0;
      if (__wasi_fd_readdir(fd, buf, sizeof buf, es[i].next, &used) || used < sizeof(__wasi_dirent_t)) {
        consistent = 0;
        continue;
      }
      __wasi_dirent_t d;
      memcpy(&d, buf, sizeof d);
      if (d.d_namlen != strlen(es[i + 1].name) || memcmp(buf + sizeof d, es[i + 1].name, d.d_namlen))
        consistent = 0;
    }
    SANE("resuming at each d_next gives the next entry", consistent);
    uint8_t buf[256];
    __wasi_size_t used = 12345;
    check(__wasi_fd_readdir(fd, buf, sizeof buf, es[n - 1].next, &used), "fd_readdir at last d_next");
    printf("  bufused %lu\n", used);
    used = 12345;
    check(__wasi_fd_readdir(fd, buf, sizeof buf, 1000000, &used), "fd_readdir cookie 1000000");
    printf("  bufused %lu\n", used);
    used = 12345;
    check(__wasi_fd_readdir(fd, buf, sizeof buf, 0xFFFFFFFFFFFFFFFFULL, &used), "fd_readdir cookie max");
    printf("  bufused %lu\n", used);
    int n2 = read_all(fd, 4096, es, &calls);
    printf("re-reading from cookie 0 gives the same count: %s\n", n2 == n ? "yes" : "no");
  }

  printf("== a directory changing between calls\n");
  {
    check(make_file(D, "rd/added-later", "y"), "make rd/added-later");
    n = read_all(fd, 4096, es, &calls);
    print_sorted("after adding", es, n);
    check(__wasi_path_unlink_file(D, "rd/added-later"), "unlink rd/added-later");
    n = read_all(fd, 4096, es, &calls);
    print_sorted("after removing", es, n);
  }

  printf("== empty dir, file, bad fd, read-only preopen\n");
  {
    __wasi_fd_t e, f;
    check(__wasi_path_create_directory(D, "empty"), "path_create_directory empty");
    check(open_at(D, "empty", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, 0, &e), "path_open empty");
    n = read_all(e, 4096, es, &calls);
    print_sorted("empty", es, n);
    (void)__wasi_fd_close(e);
    n = read_all(RO_FD, 4096, es, &calls);
    print_sorted("read-only preopen", es, n);
    n = read_all(D, 4096, es, &calls);
    print_sorted("sandbox preopen", es, n);
    check(open_at(D, "rd/a", 0, 0, RIGHTS_READ, 0, &f), "path_open rd/a");
    uint8_t buf[64];
    __wasi_size_t used;
    check(__wasi_fd_readdir(f, buf, sizeof buf, 0, &used), "fd_readdir on a file");
    (void)__wasi_fd_close(f);
    check(__wasi_fd_readdir(BAD_FD, buf, sizeof buf, 0, &used), "fd_readdir bad fd");
    check(__wasi_fd_readdir(0, buf, sizeof buf, 0, &used), "fd_readdir on stdin");
  }

  printf("== many entries\n");
  {
    check(__wasi_path_create_directory(D, "many"), "path_create_directory many");
    for (int i = 0; i < 150; i++) {
      char p[32];
      snprintf(p, sizeof p, "many/file-%03d", i);
      if (make_file(D, p, "")) printf("make %s failed\n", p);
    }
    __wasi_fd_t m;
    check(open_at(D, "many", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, 0, &m), "path_open many");
    const size_t msizes[] = {8192, 100, 40};
    for (size_t i = 0; i < 3; i++) {
      n = read_all(m, msizes[i], es, &calls);
      qsort(es, n < MAXE ? n : MAXE, sizeof *es, cmp_entry);
      int ok = n == 152;
      for (int k = 0; ok && k < 150; k++) {
        char want[32];
        snprintf(want, sizeof want, "file-%03d", k);
        ok = !strcmp(es[k + 2].name, want);
      }
      printf("many, buf %zu: %d entries, all names once: %s\n", msizes[i], n, ok ? "yes" : "no");
    }
    (void)__wasi_fd_close(m);
  }

  printf("== libc opendir/readdir\n");
  {
    DIR *dir = opendir("/sandbox/rd");
    SANE("opendir /sandbox/rd", dir != NULL);
    int k = 0;
    struct dirent *de;
    while (dir && (de = readdir(dir)) && k < MAXE) {
      snprintf(es[k].name, sizeof es[k].name, "%s", de->d_name);
      k++;
    }
    if (dir) closedir(dir);
    print_sorted("libc readdir", es, k);
    SANE("opendir /sandbox/missing fails", opendir("/sandbox/missing") == NULL);
    SANE("opendir /sandbox/rd/a fails", opendir("/sandbox/rd/a") == NULL);
  }
  (void)__wasi_fd_close(fd);
  return 0;
}
