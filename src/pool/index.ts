// Memory pooling: modules rewritten to import their memory, and per-module pools of reset memories.
export { MemoryPool, memoryPool, pooledMemory, isPool, type PooledMemory, POOL_MAX_BYTES, FREE_PER_MODULE } from './memory-pool.js';
export { memoryToImport, MEMORY_IMPORT, type Unpoolable, type MemoryImportRewrite } from './rewrite.js';
