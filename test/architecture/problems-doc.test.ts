import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { problems } from '../../src/kernel/errors.js'

describe('docs/problems.md', () => {
  it('documents exactly the problem kinds the code can answer, with their status', () => {
    const doc = readFileSync(new URL('../../docs/problems.md', import.meta.url), 'utf8')
    const sections = [...doc.matchAll(/^## ([a-z-]+)\n(\d{3})\./gm)].map((m) => [m[1], Number(m[2])])
    const registry = Object.entries(problems).map(([kind, p]) => [kind, p.status])
    expect(sections.sort()).toEqual(registry.sort())
  })
})
