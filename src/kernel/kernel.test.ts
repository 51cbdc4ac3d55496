import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DataDirInUseError } from './db/data-dir-lock.js'
import { lockDataDir } from './db/data-dir-lock.js'
import { decodeCursor, encodeCursor } from './http/pagination.js'
import { newId } from './ids.js'
import { formatMoney, toSafeInteger } from './money.js'

describe('ids', () => {
  it('are prefixed, unique and sort in creation order', () => {
    const ids = Array.from({ length: 2000 }, () => newId('ord'))
    expect(ids.every((id) => /^ord_[0-9a-hjkmnp-tv-z]{26}$/.test(id))).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
  })
})

describe('money', () => {
  it('formats each currency with its real minor unit', () => {
    expect(formatMoney({ amount: 12_500_000, currency: 'IRR' })).toBe('12,500,000 IRR')
    expect(formatMoney({ amount: 1990, currency: 'EUR' })).toBe('19.90 EUR')
    expect(formatMoney({ amount: 5, currency: 'USD' })).toBe('0.05 USD')
    expect(formatMoney({ amount: 1234567, currency: 'KWD' })).toBe('1,234.567 KWD')
  })

  it('never loses a minor unit, whatever the amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (amount) => {
        const text = formatMoney({ amount, currency: 'EUR' }).replace(/[^0-9]/g, '')
        expect(BigInt(text)).toBe(BigInt(amount))
      }),
    )
  })

  it('refuses bigint column values beyond the safe integer range', () => {
    expect(toSafeInteger('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER)
    expect(() => toSafeInteger('9007199254740993')).toThrow(RangeError)
  })
})

describe('cursors', () => {
  it('round-trip and refuse anything else as validation-failed on query.cursor', () => {
    expect(decodeCursor(encodeCursor(['2026-01-01', 'prd_1']), 2)).toEqual(['2026-01-01', 'prd_1'])
    expect(() => decodeCursor('not-a-cursor', 2)).toThrow(expect.objectContaining({ kind: 'validation-failed' }))
    expect(() => decodeCursor(encodeCursor(['x']), 2)).toThrow(expect.objectContaining({ kind: 'validation-failed' }))
  })
})

describe('data folder lock', () => {
  it('refuses a folder held by a live process and takes over one left by a dead process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnia-lock-'))
    writeFileSync(join(dir, 'omnia.lock'), String(process.ppid))
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError)
    expect(() => lockDataDir(dir)).toThrow(dir)
    writeFileSync(join(dir, 'omnia.lock'), '999999999')
    const unlock = lockDataDir(dir)
    expect(readFileSync(join(dir, 'omnia.lock'), 'utf8')).toBe(String(process.pid))
    unlock()
  })
})
