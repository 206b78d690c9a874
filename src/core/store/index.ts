export * from './localStore';
export * from './identity';
export * from './record';
export { MemoryBlobStore } from './memoryBlobStore';
export { fnv1a64 } from './hash';
export { coalesce, overlay, changeKey, type LocalChange, type LocalIntent, type ChangeOp, type ConflictReason } from './outbox';
export { FileLock, Lease, newOwnerId, type LeaseOptions } from './fileLock';
export type { Coverage, RejectedDoc, ScopedKind } from './syncState';
