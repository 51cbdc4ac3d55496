import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { customerEvents } from './testing.js'

describe.each(engines)('concurrent consent changes on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine, { poolSize: 12 })
  })
  afterAll(() => t.close())
  beforeEach(() => t.reset())

  it('keeps the current state equal to the latest history entry and announces each real flip', async () => {
    const id = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'maria@example.gr' }] })).json().id
    const statuses = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 'opted_out' : 'opted_in'))
    const replies = await Promise.all(
      statuses.map((status, i) =>
        t.call('PUT', `/v1/customers/${id}/consents`, { channel: 'email', purpose: 'marketing', status, source: `form-${i}` }),
      ),
    )
    expect(replies.map((r) => r.statusCode)).toEqual(statuses.map(() => 200))
    const history = await sql<{ status: string; source: string }>`
      select status, source from customers.consent_event where profile_id = ${id} order by id`.execute(t.db)
    expect(history.rows).toHaveLength(statuses.length)
    const current = (await t.call('GET', `/v1/customers/${id}/consents`)).json().consents
    expect(current).toEqual([expect.objectContaining(history.rows.at(-1)!)])
    // One event per change of status along the order the history records.
    const flips = history.rows.filter((row, i) => row.status !== (history.rows[i - 1]?.status ?? null)).length
    const events = (await customerEvents(t.db)).filter((e) => e.name === 'customer.consent_changed')
    expect(events).toHaveLength(flips)
  })
})
