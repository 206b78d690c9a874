/**
 * FNV-1a, 64-bit, over the UTF-8 bytes of a string, as 16 hex digits. Pure TS, no crypto needed.
 * Computed in two 32-bit halves (exact, no BigInt), so hashing megabytes stays fast.
 */
const PRIME_LOW = 0x1b3; // the 64-bit prime is 2^40 + 0x1b3
const TWO_32 = 0x100000000;

export function fnv1a64(text: string): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const byte of new TextEncoder().encode(text)) {
    lo ^= byte;
    // (hi·2^32 + lo) · (2^40 + 0x1b3) mod 2^64
    const product = (lo >>> 0) * PRIME_LOW; // < 2^41: exact
    const carry = Math.floor(product / TWO_32);
    hi = (Math.imul(hi, PRIME_LOW) + carry + (lo << 8)) >>> 0;
    lo = product >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
