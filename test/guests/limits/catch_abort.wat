;; Adversarial guest: catches every exception (legacy catch_all), including the host's abort, and tries to
;; keep running: the abort must still end the run.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "still alive\n")
  (func $spin (loop $l (br $l)))
  (func (export "_start")
    (loop $again
      (try
        (do (call $spin))
        (catch_all
          (i32.store (i32.const 0) (i32.const 100))
          (i32.store (i32.const 4) (i32.const 12))
          (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
      (br $again))))
