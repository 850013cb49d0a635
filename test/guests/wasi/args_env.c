// Conformance guest: args_sizes_get/args_get and environ_sizes_get/environ_get, raw and via libc,
// printing every argument and variable exactly (with lengths) so nothing is added or dropped.
#include <stdlib.h>
#include "check.h"

extern char **environ;

static void dump(const char *what, size_t count, uint8_t **ptrs, const uint8_t *buf, size_t bufsize) {
  size_t total = 0;
  for (size_t i = 0; i < count; i++) {
    size_t len = strlen((const char *)ptrs[i]);
    printf("%s[%zu] len %zu: \"%s\"\n", what, i, len, (const char *)ptrs[i]);
    SANE("  pointer inside buffer", ptrs[i] >= buf && ptrs[i] + len < buf + bufsize);
    total += len + 1;
  }
  printf("%s: bytes used %zu of %zu\n", what, total, bufsize);
}

int main(int argc, char **argv) {
  transcript_init();
  __wasi_size_t argc_w = 0, argv_size = 0;
  check(__wasi_args_sizes_get(&argc_w, &argv_size), "args_sizes_get");
  printf("args count %lu, buffer %lu\n", argc_w, argv_size);
  uint8_t **ptrs = calloc(argc_w + 1, sizeof *ptrs);
  uint8_t *buf = malloc(argv_size + 1);
  check(__wasi_args_get(ptrs, buf), "args_get");
  dump("arg", argc_w, ptrs, buf, argv_size);

  printf("libc argc %d\n", argc);
  for (int i = 0; i < argc; i++) printf("libc argv[%d] \"%s\"\n", i, argv[i]);
  SANE("libc argv[argc] is NULL", argv[argc] == NULL);

  __wasi_size_t envc = 0, env_size = 0;
  check(__wasi_environ_sizes_get(&envc, &env_size), "environ_sizes_get");
  printf("environ count %lu, buffer %lu\n", envc, env_size);
  uint8_t **eptrs = calloc(envc + 1, sizeof *eptrs);
  uint8_t *ebuf = malloc(env_size + 1);
  check(__wasi_environ_get(eptrs, ebuf), "environ_get");
  dump("env", envc, eptrs, ebuf, env_size);

  size_t n = 0;
  for (char **e = environ; *e; e++) printf("libc environ[%zu] \"%s\"\n", n++, *e);
  const char *probe[] = {"A", "EMPTY", "WITH_EQUALS", "UNICODE", "PATH", "HOME", "NOT_SET"};
  for (size_t i = 0; i < sizeof probe / sizeof *probe; i++) {
    const char *v = getenv(probe[i]);
    printf("getenv(%s) = %s%s%s\n", probe[i], v ? "\"" : "", v ? v : "NULL", v ? "\"" : "");
  }
  return 0;
}
