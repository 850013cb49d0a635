// Worker isolation: run sandboxes on a pool of worker threads (parallelism, deadline backstop, cancellation).
export { createWorkerPool, type WorkerPool, type WorkerPoolOptions, type PoolRunOptions, type PoolModule } from './pool.js';
