import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = new URL('../../src/', import.meta.url).pathname

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return files(path)
    // testing.ts files are test helpers that live beside their module: test code, not production.
    return path.endsWith('.ts') && !/\.test\.ts$|testing\.ts$/.test(path) ? [path] : []
  })
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)].map((m) => join(file, '..', m[1]!))
}

const moduleOf = (path: string) => {
  const parts = relative(root, path).split(sep)
  return parts[0] === 'modules' ? parts[1] : undefined
}

describe('dependency direction', () => {
  const all = files(root)

  it('keeps the kernel free of modules', () => {
    const offenders = all
      .filter((f) => relative(root, f).startsWith(`kernel${sep}`))
      .flatMap((f) => imports(f).filter((i) => relative(root, i).startsWith(`modules${sep}`)).map((i) => `${relative(root, f)} → ${relative(root, i)}`))
    expect(offenders).toEqual([])
  })

  it('lets a module reach another module only through its index.ts', () => {
    const offenders = all.flatMap((f) => {
      const from = moduleOf(f)
      if (!from) return []
      return imports(f)
        .filter((i) => {
          const to = moduleOf(i)
          return to && to !== from && !/index\.(js|ts)$/.test(i)
        })
        .map((i) => `${relative(root, f)} → ${relative(root, i)}`)
    })
    expect(offenders).toEqual([])
  })

  it('never lets production code import test helpers', () => {
    const offenders = all.flatMap((f) =>
      imports(f).filter((i) => /testing\.(js|ts)$/.test(i) || i.includes(`${sep}test${sep}`)).map((i) => `${relative(root, f)} → ${relative(root, i)}`),
    )
    expect(offenders).toEqual([])
  })

  it('has no cycles between modules', () => {
    const edges = new Map<string, Set<string>>()
    for (const f of all) {
      const from = moduleOf(f)
      if (!from) continue
      for (const i of imports(f)) {
        const to = moduleOf(i)
        if (to && to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to))
      }
    }
    const cycles: string[] = []
    const visit = (node: string, path: string[]) => {
      if (path.includes(node)) return cycles.push([...path, node].join(' → '))
      for (const next of edges.get(node) ?? []) visit(next, [...path, node])
    }
    for (const node of edges.keys()) visit(node, [])
    expect(cycles).toEqual([])
  })
})

describe('time', () => {
  it('is read only through the Clock (Date.now and new Date() live in kernel/clock.ts alone)', () => {
    const offenders = files(root)
      .filter((f) => !f.endsWith(`kernel${sep}clock.ts`))
      .filter((f) => /Date\.now\(\)|new Date\(\)/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f))
    expect(offenders).toEqual([])
  })
})
