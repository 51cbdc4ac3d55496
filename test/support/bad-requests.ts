import { sql } from 'kysely'
import { expect } from 'vitest'
import type { TestApp } from './app.js'

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * One bad request: what it shows, how to send it, and the field paths the problem must name.
 * No paths means the body cannot be read at all (`malformed-request`); a string body is sent
 * as raw JSON text.
 */
export type BadRequest = readonly [what: string, method: Method, url: string, body: unknown, paths: readonly string[]]

/** Every row of the given tables, as one comparable string. */
export async function snapshotTables(t: TestApp, tables: readonly string[]): Promise<string> {
  const contents = await Promise.all(
    tables.map(async (table) => (await sql.raw(`select * from ${table} order by 1`).execute(t.db)).rows),
  )
  return JSON.stringify(contents)
}

/** Sends each request and checks the 400 problem+json names its fields, and that nothing was written. */
export async function expectRefusedWithoutWrites(
  t: TestApp,
  requests: readonly BadRequest[],
  tables: readonly string[],
): Promise<void> {
  const before = await snapshotTables(t, tables)
  for (const [what, method, url, body, paths] of requests) {
    const headers = typeof body === 'string' ? { 'content-type': 'application/json' } : undefined
    const res = await t.call(method, url, body, headers ? { headers } : {})
    expect(res.statusCode, `${what}: ${res.body}`).toBe(400)
    expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/)
    const problem = res.json()
    if (paths.length === 0) {
      expect(problem.type, what).toBe('https://omnia.dev/problems/malformed-request')
      continue
    }
    expect(problem.type, what).toBe('https://omnia.dev/problems/validation-failed')
    expect(problem.errors.map((e: { path: string }) => e.path), what).toEqual(expect.arrayContaining([...paths]))
  }
  expect(await snapshotTables(t, tables)).toBe(before)
}
