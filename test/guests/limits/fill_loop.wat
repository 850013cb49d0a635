;; Adversarial guest: memory.fill and memory.copy of all of memory (64 MiB), in an endless loop.
(module
  (memory (export "memory") 1024)
  (func (export "_start")
    (loop $l
      (memory.fill (i32.const 0) (i32.const 7) (i32.const 67108864))
      (memory.copy (i32.const 0) (i32.const 1) (i32.const 67108863))
      (br $l))))
