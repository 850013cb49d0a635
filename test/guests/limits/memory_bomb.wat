;; Adversarial guest: memory.grow by one page until it fails, then returns the page count.
(module
  (memory (export "memory") 1)
  (func (export "grow") (result i32)
    (block $done
      (loop $l
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $l)))
    (memory.size)))
