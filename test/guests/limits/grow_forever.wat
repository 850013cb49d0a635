;; Adversarial guest: memory.grow by one page forever (failing ones too). V8 takes up to ~1 ms a page on a growing
;; memory, far more time per fuel unit than other code: the deadline must still be seen in time.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $l
      (drop (memory.grow (i32.const 1)))
      (br $l))))
