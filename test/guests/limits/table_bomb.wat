;; Adversarial guest: table.grow in a loop until it fails, then returns the final table size
;; (table.grow returns -1 at the cap, as the spec says).
(module
  (memory (export "memory") 1)
  (table $t 0 funcref)
  (func (export "grow") (result i32)
    (block $done
      (loop $l
        (br_if $done (i32.eq (table.grow $t (ref.null func) (i32.const 100000)) (i32.const -1)))
        (br $l)))
    (table.size $t)))
