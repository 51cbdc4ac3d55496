import { sql } from 'kysely'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../../test/support/server-process.js'
import { kyselyOnServer } from './engine.js'
import { databaseUnavailable, sqlState } from './transaction.js'

/** The error a statement gets through a pool on `url`. */
async function failureOn(url: string): Promise<unknown> {
  const db = kyselyOnServer(url, 1)
  try {
    await sql`select 1`.execute(db)
    return undefined
  } catch (err) {
    return err
  } finally {
    await db.destroy()
  }
}

// The errors the problem handler answers with 503 `unavailable`, met for real.
describe('what counts as the database being unavailable', () => {
  it('a refused connection: nothing listens', async () => {
    const err = await failureOn(`postgres://nobody@127.0.0.1:${await freePort()}/none`)
    expect(databaseUnavailable(err)).toBe(true)
  })

  it.skipIf(!process.env.TEST_DATABASE_URL)('a database with no connection to spare (SQLSTATE 53300)', async () => {
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
    await admin.connect()
    const role = `omnia_limited_${process.pid}`
    await admin.query(`create role ${role} login connection limit 0`)
    try {
      const url = new URL(process.env.TEST_DATABASE_URL!)
      url.username = role
      const err = await failureOn(url.toString())
      expect(sqlState(err)).toBe('53300')
      expect(databaseUnavailable(err)).toBe(true)
    } finally {
      await admin.query(`drop role ${role}`)
      await admin.end()
    }
  })

  it.skipIf(!process.env.TEST_DATABASE_URL)('a statement the database refuses is not', async () => {
    const db = kyselyOnServer(process.env.TEST_DATABASE_URL!, 1)
    try {
      const refused = await sql`select 1 / 0`.execute(db).catch((e: unknown) => e)
      expect(sqlState(refused)).toBe('22012')
      expect(databaseUnavailable(refused)).toBe(false)
    } finally {
      await db.destroy()
    }
  })
})
