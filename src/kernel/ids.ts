import { randomBytes } from 'node:crypto'
import { systemClock } from './clock.js'

// Crockford base32: sortable as plain strings, no ambiguous letters.
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz'

let lastTime = 0
let lastRandom: Uint8Array = new Uint8Array(10)

function encode(bytes: Uint8Array, length: number): string {
  let bits = 0
  let value = 0n
  for (const byte of bytes) {
    value = (value << 8n) | BigInt(byte)
    bits += 8
  }
  let out = ''
  for (let i = 0; i < length; i++) {
    const shift = BigInt(bits - 5 * (i + 1))
    out += alphabet[Number(shift >= 0n ? (value >> shift) & 31n : (value << -shift) & 31n)]
  }
  return out
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes)
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 255) {
      next[i]! += 1
      return next
    }
    next[i] = 0
  }
  return next
}

/**
 * A prefixed, time-sortable id (`prd_01hz…`): 48 bits of milliseconds then 80 random bits, as in
 * ULID. Ids made in the same millisecond by this process increase monotonically.
 */
export function newId(prefix: string): string {
  const time = systemClock.now().getTime()
  if (time <= lastTime) {
    lastRandom = increment(lastRandom)
  } else {
    lastTime = time
    lastRandom = new Uint8Array(randomBytes(10))
  }
  const timeBytes = new Uint8Array(6)
  let t = lastTime
  for (let i = 5; i >= 0; i--) {
    timeBytes[i] = t % 256
    t = Math.floor(t / 256)
  }
  return `${prefix}_${encode(timeBytes, 10)}${encode(lastRandom, 16)}`
}
