/**
 * Simulated device memory: buffers are host Float32Arrays (allocated lazily, so a large simulated
 * allocation costs no host memory until it is touched), and one ledger per backend counts what is
 * in use, rounded as model.ts section 9 says, so that memInfo shows leaks.
 */
import { hashOf } from '../../util/hash.js';
import type { DeviceBuffer } from '../backend.js';
import { simCudaError } from './cuda-codes.js';
import { BUFFER_ALLOC_UNIT, PROCESS_CONTEXT_BYTES } from './model.js';

const roundUp = (n: number, unit: number): number => Math.ceil(n / unit) * unit;

export class SimBuffer implements DeviceBuffer {
  readonly bytes: number;
  readonly ledger: MemoryLedger;
  freed = false;
  /** Bumped on every write, so the input digest can be cached. */
  private version = 0;
  private storage: Float32Array | null = null;
  private digestCache: { version: number; elements: number; digest: string } | null = null;

  constructor(ledger: MemoryLedger, bytes: number) {
    this.ledger = ledger;
    this.bytes = bytes;
  }

  /** The contents; reading or writing through it must be followed by touch() when it writes. */
  data(): Float32Array {
    this.storage ??= new Float32Array(Math.ceil(this.bytes / 4));
    return this.storage;
  }

  touch(): void {
    this.version++;
  }

  fillBytes(byte: number): void {
    new Uint8Array(this.data().buffer).fill(byte);
    this.touch();
  }

  /** Content hash of the first `elements` floats (what a kernel argument of that size reads). */
  digest(elements: number): string {
    const cached = this.digestCache;
    if (cached && cached.version === this.version && cached.elements === elements) return cached.digest;
    const data = this.data();
    const digest = hashOf(new Uint8Array(data.buffer, data.byteOffset, Math.min(elements, data.length) * 4));
    this.digestCache = { version: this.version, elements, digest };
    return digest;
  }
}

/** What one backend (one process's CUDA context) has in use on the simulated device. */
export class MemoryLedger {
  readonly total: number;
  private used = PROCESS_CONTEXT_BYTES;

  constructor(total: number) {
    this.total = total;
  }

  get freeBytes(): number {
    return this.total - this.used;
  }

  reserve(bytes: number, unit: number, call: string): number {
    const rounded = roundUp(bytes, unit);
    if (rounded > this.freeBytes)
      throw simCudaError(call, 'CUDA_ERROR_OUT_OF_MEMORY', `${bytes} bytes asked, ${this.freeBytes} free`);
    this.used += rounded;
    return rounded;
  }

  release(rounded: number): void {
    this.used -= rounded;
  }

  alloc(bytes: number): SimBuffer {
    if (!Number.isInteger(bytes) || bytes <= 0)
      throw simCudaError('cuMemAlloc', 'CUDA_ERROR_INVALID_VALUE', `cannot allocate ${bytes} bytes`);
    this.reserve(bytes, BUFFER_ALLOC_UNIT, 'cuMemAlloc');
    return new SimBuffer(this, bytes);
  }

  free(buffer: DeviceBuffer): void {
    const b = this.own(buffer, 'cuMemFree');
    b.freed = true;
    this.release(roundUp(b.bytes, BUFFER_ALLOC_UNIT));
  }

  /** The SimBuffer behind `buffer`, if it is a live buffer of this backend. */
  own(buffer: DeviceBuffer, call: string): SimBuffer {
    if (!(buffer instanceof SimBuffer) || buffer.ledger !== this || buffer.freed)
      throw simCudaError(call, 'CUDA_ERROR_INVALID_VALUE', 'not a live buffer of this simulated device');
    return buffer;
  }
}
