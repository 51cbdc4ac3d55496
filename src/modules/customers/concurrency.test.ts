import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import type { ChannelKind } from '../../kernel/auth/index.js'
import { customerEvents, identityOwners, profileCount } from './testing.js'

const touchpoints: ChannelKind[] = ['web', 'app', 'pos', 'kiosk', 'social', 'callcenter']

describe.each(engines)('concurrent resolves on %s', (engine) => {
  let t: TestApp
  let keys: string[]
  beforeAll(async () => {
    t = await startTestApp(engine, { poolSize: 20 })
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    keys = await Promise.all(touchpoints.map((kind) => t.touchpointKey(kind, `${kind}-1`)))
  })

  it('ends 20 simultaneous resolves of one email from six touchpoints with one customer', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: i % 2 ? 'Maria@Example.gr' : 'maria@example.gr ' }] }, { key: keys[i % keys.length]! }),
      ),
    )
    expect(replies.map((r) => r.statusCode).sort()).toEqual([...Array(19).fill(200), 201])
    expect(new Set(replies.map((r) => r.json().id)).size).toBe(1)
    expect(await profileCount(t.db)).toBe(1)
    const events = await customerEvents(t.db)
    expect(events.map((e) => e.name)).toEqual(['customer.created', 'customer.identity_added'])
  })

  it('gathers simultaneous resolves that share an email and each bring a phone into one customer', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.call('POST', '/v1/customers', {
          identities: [{ kind: 'phone', value: `69123456${String(i).padStart(2, '0')}` }, { kind: 'email', value: 'maria@example.gr' }],
        }, { key: keys[i % keys.length]! }),
      ),
    )
    expect(replies.every((r) => r.statusCode === 200 || r.statusCode === 201)).toBe(true)
    expect(replies.every((r) => r.json().conflicts.length === 0)).toBe(true)
    expect(await profileCount(t.db)).toBe(1)
    const owners = await identityOwners(t.db)
    expect(owners).toHaveLength(21)
    expect(new Set(owners.map((o) => o.profile_id)).size).toBe(1)
    expect(owners.filter((o) => o.is_primary).map((o) => o.kind).sort()).toEqual(['email', 'phone'])
    const events = await customerEvents(t.db)
    expect(events.filter((e) => e.name === 'customer.created')).toHaveLength(1)
    expect(events.filter((e) => e.name === 'customer.identity_added')).toHaveLength(21)
  })
})
