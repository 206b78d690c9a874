export * from './localStore';
export * from './identity';
export * from './record';
export { MemoryBlobStore } from './memoryBlobStore';
export { fnv1a64 } from './hash';
