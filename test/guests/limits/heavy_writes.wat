;; Adversarial guest: an endless loop of heavy WASI calls (64 KiB writes of 4,096 pieces each). Fuel buys little of
;; a host call's time, so the deadline must be read by the calls themselves, not only at fuel refills.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "_start") (local $i i32)
    ;; 4096 iovecs at 0x1000, each {ptr=0, len=16}
    (loop $f
      (i32.store (i32.add (i32.const 0x1000) (i32.shl (local.get $i) (i32.const 3))) (i32.const 0))
      (i32.store (i32.add (i32.const 0x1004) (i32.shl (local.get $i) (i32.const 3))) (i32.const 16))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $f (i32.lt_u (local.get $i) (i32.const 4096))))
    (loop $l
      (drop (call $w (i32.const 1) (i32.const 0x1000) (i32.const 4096) (i32.const 0x100)))
      (br $l))))
