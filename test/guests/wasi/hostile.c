// Conformance guest: hostile pointers and lengths passed straight to the raw imports (declared
// here with plain i32/i64 parameters): out-of-bounds, overflowing, unaligned, at the very end of
// memory, bad UTF-8. argv[1] picks ONE case by index (wasmtime traps on some, ending the run);
// "count" prints the number of cases. Each must give an errno or a clean trap, never a crash.
#include <stdlib.h>
#include "check.h"

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
typedef uint32_t u32;
typedef uint64_t u64;
IMPORT(args_get) u32 h_args_get(u32 argv, u32 buf);
IMPORT(args_sizes_get) u32 h_args_sizes_get(u32 argc, u32 size);
IMPORT(environ_get) u32 h_environ_get(u32 env, u32 buf);
IMPORT(environ_sizes_get) u32 h_environ_sizes_get(u32 count, u32 size);
IMPORT(clock_res_get) u32 h_clock_res_get(u32 id, u32 out);
IMPORT(clock_time_get) u32 h_clock_time_get(u32 id, u64 precision, u32 out);
IMPORT(fd_write) u32 h_fd_write(u32 fd, u32 iovs, u32 n, u32 out);
IMPORT(fd_read) u32 h_fd_read(u32 fd, u32 iovs, u32 n, u32 out);
IMPORT(fd_pread) u32 h_fd_pread(u32 fd, u32 iovs, u32 n, u64 off, u32 out);
IMPORT(fd_pwrite) u32 h_fd_pwrite(u32 fd, u32 iovs, u32 n, u64 off, u32 out);
IMPORT(fd_seek) u32 h_fd_seek(u32 fd, u64 off, u32 whence, u32 out);
IMPORT(fd_tell) u32 h_fd_tell(u32 fd, u32 out);
IMPORT(fd_fdstat_get) u32 h_fd_fdstat_get(u32 fd, u32 out);
IMPORT(fd_filestat_get) u32 h_fd_filestat_get(u32 fd, u32 out);
IMPORT(fd_prestat_get) u32 h_fd_prestat_get(u32 fd, u32 out);
IMPORT(fd_prestat_dir_name) u32 h_fd_prestat_dir_name(u32 fd, u32 buf, u32 len);
IMPORT(fd_readdir) u32 h_fd_readdir(u32 fd, u32 buf, u32 len, u64 cookie, u32 out);
IMPORT(path_open) u32 h_path_open(u32 fd, u32 lf, u32 path, u32 len, u32 of, u64 rb, u64 ri, u32 ff, u32 out);
IMPORT(path_filestat_get) u32 h_path_filestat_get(u32 fd, u32 lf, u32 path, u32 len, u32 out);
IMPORT(path_create_directory) u32 h_path_create_directory(u32 fd, u32 path, u32 len);
IMPORT(path_unlink_file) u32 h_path_unlink_file(u32 fd, u32 path, u32 len);
IMPORT(path_readlink) u32 h_path_readlink(u32 fd, u32 path, u32 len, u32 buf, u32 buflen, u32 out);
IMPORT(path_symlink) u32 h_path_symlink(u32 old, u32 oldlen, u32 fd, u32 path, u32 len);
IMPORT(path_rename) u32 h_path_rename(u32 fd, u32 old, u32 oldlen, u32 fd2, u32 path, u32 len);
IMPORT(path_link) u32 h_path_link(u32 fd, u32 lf, u32 old, u32 oldlen, u32 fd2, u32 path, u32 len);
IMPORT(poll_oneoff) u32 h_poll_oneoff(u32 in, u32 out, u32 n, u32 nevents);
IMPORT(random_get) u32 h_random_get(u32 buf, u32 len);
IMPORT(sock_recv) u32 h_sock_recv(u32 fd, u32 iovs, u32 n, u32 flags, u32 out1, u32 out2);
IMPORT(sock_send) u32 h_sock_send(u32 fd, u32 iovs, u32 n, u32 flags, u32 out);
IMPORT(sock_accept) u32 h_sock_accept(u32 fd, u32 flags, u32 out);

#define P(x) ((u32)(uintptr_t)(x))
#define WILD 0xFFFFFFF0u

static _Alignas(8) uint8_t scratch[256];
static _Alignas(8) uint32_t iov[4];
static char longname[5000];

/* The cases: label and one call (a statement expression giving the errno). */
#define CASES(X) \
  X("args_sizes_get count ptr wild", ({ h_args_sizes_get(WILD, S); })) \
  X("args_sizes_get size ptr straddles end", ({ h_args_sizes_get(S, MEM - 2); })) \
  X("args_get argv ptr wild", ({ h_args_get(WILD, S); })) \
  X("args_get buf ptr wild", ({ h_args_get(S, WILD); })) \
  X("args_get buf at last byte", ({ h_args_get(S, MEM - 1); })) \
  X("environ_sizes_get size ptr wild", ({ h_environ_sizes_get(S, WILD); })) \
  X("environ_get env ptr wild", ({ h_environ_get(WILD, S); })) \
  X("environ_get buf at last byte", ({ h_environ_get(S, MEM - 1); })) \
  X("clock_res_get out wild", ({ h_clock_res_get(1, WILD); })) \
  X("clock_res_get out straddles end", ({ h_clock_res_get(1, MEM - 4); })) \
  X("clock_time_get out wild", ({ h_clock_time_get(1, 1, WILD); })) \
  X("clock_time_get out at end", ({ h_clock_time_get(1, 1, MEM); })) \
  X("clock_time_get out last 8 bytes", ({ h_clock_time_get(1, 1, MEM - 8); })) \
  X("clock_time_get out unaligned", ({ h_clock_time_get(1, 1, S + 1); })) \
  X("random_get buf wild", ({ h_random_get(WILD, 100); })) \
  X("random_get straddles end", ({ h_random_get(MEM - 8, 16); })) \
  X("random_get last 16 bytes", ({ h_random_get(MEM - 16, 16); })) \
  X("random_get len 0 at end", ({ h_random_get(MEM, 0); })) \
  X("random_get len 0 at 0xffffffff", ({ h_random_get(0xFFFFFFFFu, 0); })) \
  X("random_get len 0xffffffff", ({ h_random_get(S, 0xFFFFFFFFu); })) \
  X("fd_write iovs wild", ({ iov[0] = S; iov[1] = 4; h_fd_write(1, WILD, 1, S + 64); })) \
  X("fd_write iovs straddles end", ({ iov[0] = S; iov[1] = 4; h_fd_write(1, MEM - 4, 1, S + 64); })) \
  X("fd_write iovs_len 0x10000000", ({ iov[0] = S; iov[1] = 4; h_fd_write(1, P(iov), 0x10000000u, S + 64); })) \
  X("fd_write iovs_len 0xffffffff", ({ iov[0] = S; iov[1] = 4; h_fd_write(1, P(iov), 0xFFFFFFFFu, S + 64); })) \
  X("fd_write buf wild", ({ iov[0] = WILD; iov[1] = 100; h_fd_write(file, P(iov), 1, S + 64); })) \
  X("fd_write buf len 0xfffffff0", ({ iov[0] = S; iov[1] = 0xFFFFFFF0u; h_fd_write(file, P(iov), 1, S + 64); })) \
  X("fd_write buf straddles end", ({ iov[0] = MEM - 2; iov[1] = 4; h_fd_write(file, P(iov), 1, S + 64); })) \
  X("fd_write buf wild len 0", ({ iov[0] = WILD; iov[1] = 0; h_fd_write(file, P(iov), 1, S + 64); })) \
  X("fd_write nwritten ptr wild", ({ iov[0] = S; iov[1] = 0; h_fd_write(file, P(iov), 1, WILD); })) \
  X("fd_write nwritten ptr unaligned", ({ iov[0] = S; iov[1] = 0; h_fd_write(file, P(iov), 1, S + 1); })) \
  X("fd_write iovs ptr unaligned", ({ iov[0] = S; iov[1] = 0; h_fd_write(file, S + 2, 1, S + 64); })) \
  X("fd_read buf wild", ({ iov[0] = WILD; iov[1] = 100; h_fd_read(file, P(iov), 1, S + 64); })) \
  X("fd_read buf straddles end", ({ iov[0] = MEM - 2; iov[1] = 8; h_fd_read(file, P(iov), 1, S + 64); })) \
  X("fd_read iovs wild", ({ iov[0] = S; iov[1] = 4; h_fd_read(file, WILD, 1, S + 64); })) \
  X("fd_read nread ptr wild", ({ iov[0] = S; iov[1] = 4; h_fd_read(file, P(iov), 1, WILD); })) \
  X("fd_pread buf wild", ({ iov[0] = WILD; iov[1] = 100; h_fd_pread(file, P(iov), 1, 0, S + 64); })) \
  X("fd_pwrite buf wild", ({ iov[0] = WILD; iov[1] = 100; h_fd_pwrite(file, P(iov), 1, 0, S + 64); })) \
  X("fd_pread nread ptr wild", ({ iov[0] = S; iov[1] = 4; h_fd_pread(file, P(iov), 1, 0, WILD); })) \
  X("fd_seek out wild", ({ iov[0] = S; iov[1] = 4; h_fd_seek(file, 0, 0, WILD); })) \
  X("fd_tell out wild", ({ iov[0] = S; iov[1] = 4; h_fd_tell(file, WILD); })) \
  X("fd_tell out straddles end", ({ iov[0] = S; iov[1] = 4; h_fd_tell(file, MEM - 4); })) \
  X("fd_fdstat_get out wild", ({ iov[0] = S; iov[1] = 4; h_fd_fdstat_get(file, WILD); })) \
  X("fd_fdstat_get out straddles end", ({ iov[0] = S; iov[1] = 4; h_fd_fdstat_get(file, MEM - 8); })) \
  X("fd_filestat_get out wild", ({ iov[0] = S; iov[1] = 4; h_fd_filestat_get(file, WILD); })) \
  X("fd_filestat_get out straddles end", ({ iov[0] = S; iov[1] = 4; h_fd_filestat_get(file, MEM - 32); })) \
  X("fd_prestat_get out wild", ({ iov[0] = S; iov[1] = 4; h_fd_prestat_get(SANDBOX_FD, WILD); })) \
  X("fd_prestat_dir_name buf wild", ({ iov[0] = S; iov[1] = 4; h_fd_prestat_dir_name(SANDBOX_FD, WILD, 8); })) \
  X("fd_prestat_dir_name buf straddles end", ({ iov[0] = S; iov[1] = 4; h_fd_prestat_dir_name(SANDBOX_FD, MEM - 4, 8); })) \
  X("fd_readdir buf wild", ({ iov[0] = S; iov[1] = 4; h_fd_readdir(SANDBOX_FD, WILD, 100, 0, S + 64); })) \
  X("fd_readdir buf straddles end", ({ iov[0] = S; iov[1] = 4; h_fd_readdir(SANDBOX_FD, MEM - 10, 100, 0, S + 64); })) \
  X("fd_readdir bufused ptr wild", ({ iov[0] = S; iov[1] = 4; h_fd_readdir(SANDBOX_FD, S, 64, 0, WILD); })) \
  X("fd_readdir len 0xffffffff", ({ iov[0] = S; iov[1] = 4; h_fd_readdir(SANDBOX_FD, S, 0xFFFFFFFFu, 0, S + 64); })) \
  X("path_open path wild", ({ iov[0] = S; iov[1] = 4; h_path_open(SANDBOX_FD, 0, WILD, 5, 0, RIGHTS_READ, 0, 0, S + 64); })) \
  X("path_open path_len 0xffffffff", ({ iov[0] = S; iov[1] = 4; h_path_open(SANDBOX_FD, 0, P(name), 0xFFFFFFFFu, 0, RIGHTS_READ, 0, 0, S + 64); })) \
  X("path_open path straddles end", ({ iov[0] = S; iov[1] = 4; h_path_open(SANDBOX_FD, 0, MEM - 3, 5, 0, RIGHTS_READ, 0, 0, S + 64); })) \
  X("path_open fd out wild", ({ iov[0] = S; iov[1] = 4; h_path_open(SANDBOX_FD, 0, P(name), 5, 0, RIGHTS_READ, 0, 0, WILD); })) \
  X("path_open fd out unaligned", ({ iov[0] = S; iov[1] = 4; h_path_open(SANDBOX_FD, 0, P(name), 5, 0, RIGHTS_READ, 0, 0, S + 2); })) \
  X("path_open invalid UTF-8", ({ iov[0] = S; iov[1] = 4; h_path_open(SANDBOX_FD, 0, P("\xff\xfe"), 2, 0, RIGHTS_READ, 0, 0, S + 64); })) \
  X("path_open embedded NUL", ({ iov[0] = S; iov[1] = 4; h_path_open(SANDBOX_FD, 0, P("h.txt\0zzz"), 9, 0, RIGHTS_READ, 0, 0, S + 64); })) \
  X("path_open 300-byte name", ({ iov[0] = S; iov[1] = 4; h_path_open(SANDBOX_FD, 0, P(longname), 300, 0, RIGHTS_READ, 0, 0, S + 64); })) \
  X("path_open 5000-byte name", ({ iov[0] = S; iov[1] = 4; h_path_open(SANDBOX_FD, 0, P(longname), 5000, 0, RIGHTS_READ, 0, 0, S + 64); })) \
  X("path_filestat_get path wild", ({ iov[0] = S; iov[1] = 4; h_path_filestat_get(SANDBOX_FD, 0, WILD, 5, S); })) \
  X("path_filestat_get out wild", ({ iov[0] = S; iov[1] = 4; h_path_filestat_get(SANDBOX_FD, 0, P(name), 5, WILD); })) \
  X("path_create_directory path wild", ({ iov[0] = S; iov[1] = 4; h_path_create_directory(SANDBOX_FD, WILD, 4); })) \
  X("path_create_directory invalid UTF-8", ({ iov[0] = S; iov[1] = 4; h_path_create_directory(SANDBOX_FD, P("\xc3\x28"), 2); })) \
  X("path_unlink_file path wild", ({ iov[0] = S; iov[1] = 4; h_path_unlink_file(SANDBOX_FD, WILD, 4); })) \
  X("path_readlink buf wild", ({ iov[0] = S; iov[1] = 4; h_path_readlink(SANDBOX_FD, P("hl"), 2, WILD, 64, S + 64); })) \
  X("path_readlink buf straddles end", ({ iov[0] = S; iov[1] = 4; h_path_readlink(SANDBOX_FD, P("hl"), 2, MEM - 2, 64, S + 64); })) \
  X("path_readlink bufused ptr wild", ({ iov[0] = S; iov[1] = 4; h_path_readlink(SANDBOX_FD, P("hl"), 2, S, 64, WILD); })) \
  X("path_symlink old path wild", ({ iov[0] = S; iov[1] = 4; h_path_symlink(WILD, 5, SANDBOX_FD, P("x"), 1); })) \
  X("path_symlink new path wild", ({ iov[0] = S; iov[1] = 4; h_path_symlink(P(name), 5, SANDBOX_FD, WILD, 1); })) \
  X("path_rename old path wild", ({ iov[0] = S; iov[1] = 4; h_path_rename(SANDBOX_FD, WILD, 5, SANDBOX_FD, P("x"), 1); })) \
  X("path_rename new path wild", ({ iov[0] = S; iov[1] = 4; h_path_rename(SANDBOX_FD, P(name), 5, SANDBOX_FD, WILD, 1); })) \
  X("path_link old path wild", ({ iov[0] = S; iov[1] = 4; h_path_link(SANDBOX_FD, 0, WILD, 5, SANDBOX_FD, P("x"), 1); })) \
  X("path_link new path wild", ({ iov[0] = S; iov[1] = 4; h_path_link(SANDBOX_FD, 0, P(name), 5, SANDBOX_FD, WILD, 1); })) \
  X("poll_oneoff in wild", ({ iov[0] = S; iov[1] = 4; h_poll_oneoff(WILD, S, 1, S + 64); })) \
  X("poll_oneoff out wild", ({ iov[0] = S; iov[1] = 4; h_poll_oneoff(S + 128, WILD, 1, S + 64); })) \
  X("poll_oneoff nevents ptr wild", ({ iov[0] = S; iov[1] = 4; h_poll_oneoff(S + 128, S, 1, WILD); })) \
  X("poll_oneoff nsubscriptions 0x7fffffff", ({ iov[0] = S; iov[1] = 4; h_poll_oneoff(S + 128, S, 0x7FFFFFFFu, S + 64); })) \
  X("poll_oneoff nsubscriptions 0xffffffff", ({ iov[0] = S; iov[1] = 4; h_poll_oneoff(S + 128, S, 0xFFFFFFFFu, S + 64); })) \
  X("poll_oneoff in straddles end", ({ iov[0] = S; iov[1] = 4; h_poll_oneoff(MEM - 24, S, 1, S + 64); })) \
  X("poll_oneoff in unaligned", ({ iov[0] = S; iov[1] = 4; h_poll_oneoff(S + 129, S, 1, S + 64); })) \
  X("sock_recv iovs wild on a file", ({ iov[0] = S; iov[1] = 4; h_sock_recv(file, WILD, 1, 0, S + 64, S + 72); })) \
  X("sock_send iovs wild on a file", ({ iov[0] = S; iov[1] = 4; h_sock_send(file, WILD, 1, 0, S + 64); })) \
  X("sock_accept out wild on a dir", ({ iov[0] = S; iov[1] = 4; h_sock_accept(SANDBOX_FD, 0, WILD); })) \

#define COUNT_ONE(label, expr) +1
static const int NCASES = 0 CASES(COUNT_ONE);

int main(int argc, char **argv) {
  transcript_init();
  if (argc < 2) return 2;
  if (!strcmp(argv[1], "count")) {
    printf("%d cases\n", NCASES);
    return 0;
  }
  const int which = atoi(argv[1]);
  const u32 MEM = (u32)(__builtin_wasm_memory_size(0) * 65536);
  const u32 S = P(scratch);
  const char *name = "h.txt";
  __wasi_fd_t file;
  memset(longname, 'n', sizeof longname);
  if (make_file(SANDBOX_FD, "h.txt", "hostile test file\n") ||
      open_at(SANDBOX_FD, "h.txt", 0, 0, RIGHTS_ALL, 0, &file) ||
      __wasi_path_symlink("h.txt", SANDBOX_FD, "hl")) {
    printf("setup failed\n");
    return 1;
  }
  {
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    memcpy(scratch + 128, &sub, sizeof sub);
  }
  int i = 0;
  (void)MEM; (void)S; (void)name;
#define RUN_ONE(label, expr) \
  if (i++ == which) { \
    printf("case %d: %s\n", which, label); \
    unsigned e = (expr); \
    check(e, "%s", label); \
  } else
  CASES(RUN_ONE) {
    printf("no case %d\n", which);
    return 2;
  }
  /* The host must not have done anything else on the guest's behalf. */
  char buf[64];
  __wasi_filestat_t st;
  (void)read_file(SANDBOX_FD, "h.txt", buf, sizeof buf);
  SANE("h.txt intact", !strcmp(buf, "hostile test file\n"));
  SANE("nothing named x created", __wasi_path_filestat_get(SANDBOX_FD, 0, "x", &st) == __WASI_ERRNO_NOENT);
  return 0;
}
