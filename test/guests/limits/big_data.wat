;; Adversarial guest: one page of memory but a data segment placed at 512 MiB.
(module
  (memory (export "memory") 1)
  (data (i32.const 536870912) "far away")
  (func (export "_start")))
