;; Adversarial guest: a start function that never returns (runs during instantiation).
(module
  (memory (export "memory") 1)
  (func $start (loop $l (br $l)))
  (start $start)
  (func (export "_start")))
