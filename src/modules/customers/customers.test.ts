import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { customerEvents, identityOwners, profileCount, simulateMerge } from './testing.js'

const lookup = (t: TestApp, identity: string, key?: string) =>
  t.call('GET', `/v1/customers?identity=${encodeURIComponent(identity)}`, undefined, key ? { key } : {})

describe.each(engines)('customers on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(() => t.reset())

  it('creates a customer once and answers the same one after, normalising what was typed', async () => {
    const web = await t.touchpointKey('web', 'web')
    const created = await t.call('POST', '/v1/customers', { name: 'Maria', identities: [{ kind: 'email', value: ' Maria@Example.GR ' }] }, { key: web })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({
      id: expect.stringMatching(/^cus_/),
      name: 'Maria',
      firstSeenChannel: 'web',
      created: true,
      conflicts: [],
      identities: [{ kind: 'email', value: 'maria@example.gr', isPrimary: true, channel: 'web' }],
    })
    const again = await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'MARIA@example.gr' }] })
    expect(again.statusCode).toBe(200)
    expect(again.json()).toMatchObject({ id: created.json().id, created: false, name: 'Maria' })
    expect(await profileCount(t.db)).toBe(1)
  })

  it('stores phones in E.164: a Persian mobile read in IR, a Greek one in the default region', async () => {
    const res = await t.call('POST', '/v1/customers', {
      identities: [{ kind: 'phone', value: '0912 345 6789', region: 'IR' }, { kind: 'phone', value: '6912345678' }],
    })
    expect(res.statusCode).toBe(201)
    expect(res.json().identities.map((i: { value: string }) => i.value).sort()).toEqual(['+306912345678', '+989123456789'])
    const found = await lookup(t, 'phone:691 234 5678')
    expect(found.json().data.map((c: { id: string }) => c.id)).toEqual([res.json().id])
    const persian = await t.call('GET', `/v1/customers?identity=${encodeURIComponent('phone:0912 345 6789')}&region=IR`)
    expect(persian.json().data[0].id).toBe(res.json().id)
  })

  it('refuses an invalid phone or email with 400 at the field path, writing nothing', async () => {
    const res = await t.call('POST', '/v1/customers', {
      identities: [{ kind: 'email', value: 'ok@example.gr' }, { kind: 'phone', value: '12345' }, { kind: 'email', value: 'not-an-email' }],
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().type).toBe('https://omnia.dev/problems/validation-failed')
    expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(['identities.1.value', 'identities.2.value'])
    const badKind = await t.call('POST', '/v1/customers', { identities: [{ kind: 'fax', value: '1' }] })
    expect(badKind.statusCode).toBe(400)
    expect(badKind.json().errors[0].path).toBe('identities.0.kind')
    const badLookup = await lookup(t, 'phone:abc')
    expect(badLookup.statusCode).toBe(400)
    expect(badLookup.json().errors[0].path).toBe('query.identity')
    expect((await lookup(t, 'fax:123')).json().errors[0].path).toBe('query.identity')
    expect(await profileCount(t.db)).toBe(0)
  })

  it('finds a customer by each kind of identity, and answers an empty list for a stranger', async () => {
    const identities = [
      { kind: 'anonymous_id', value: 'a1b2-c3' },
      { kind: 'user_id', value: 'auth0:42' },
      { kind: 'email', value: 'maria@example.gr' },
      { kind: 'phone', value: '+30 691 234 5678' },
      { kind: 'loyalty_card', value: '00123456' },
      { kind: 'device_id', value: 'ios-7F3A' },
      { kind: 'instagram', value: '@Maria.K' },
      { kind: 'customer_number', value: 'C-1001' },
    ]
    const id = (await t.call('POST', '/v1/customers', { identities })).json().id
    for (const query of ['anonymous_id:a1b2-c3', 'user_id:auth0:42', 'email:Maria@Example.gr', 'phone:6912345678', 'loyalty_card:00123456', 'device_id:ios-7F3A', 'instagram:maria.k', 'instagram:@MARIA.K', 'customer_number:C-1001']) {
      const res = await lookup(t, query)
      expect(res.statusCode, query).toBe(200)
      expect(res.json().data.map((c: { id: string }) => c.id), query).toEqual([id])
    }
    expect((await lookup(t, 'email:someone@else.gr')).json()).toEqual({ data: [], nextCursor: null })
    const view = (await t.call('GET', `/v1/customers/${id}`)).json()
    expect(view.identities).toHaveLength(8)
    expect(view.identities.every((i: { isPrimary: boolean }) => i.isPrimary)).toBe(true)
  })

  it('grows one profile from web visitor to store phone to Instagram, stamping each touchpoint', async () => {
    const [web, pos, social] = await Promise.all([t.touchpointKey('web', 'web'), t.touchpointKey('pos', 'pos-ath-1'), t.touchpointKey('social', 'instagram')])
    const visitor = await t.call('POST', '/v1/customers', { identities: [{ kind: 'anonymous_id', value: 'anon-77' }] }, { key: web })
    const id = visitor.json().id
    const inStore = await t.call('POST', `/v1/customers/${id}/identities`, { identities: [{ kind: 'phone', value: '6912345678' }] }, { key: pos })
    expect(inStore.statusCode).toBe(200)
    const dm = await t.call('POST', '/v1/customers', { identities: [{ kind: 'phone', value: '+306912345678' }, { kind: 'instagram', value: '@maria.k' }] }, { key: social })
    expect(dm.json()).toMatchObject({ id, created: false, conflicts: [] })
    const channels = Object.fromEntries(dm.json().identities.map((i: { kind: string; channel: string }) => [i.kind, i.channel]))
    expect(channels).toEqual({ anonymous_id: 'web', phone: 'pos-ath-1', instagram: 'instagram' })
    const events = await customerEvents(t.db)
    expect(events.map((e) => [e.name, e.channel, e.profile_id])).toEqual([
      ['customer.created', 'web', id],
      ['customer.identity_added', 'web', id],
      ['customer.identity_added', 'pos-ath-1', id],
      ['customer.identity_added', 'instagram', id],
    ])
    expect(events[3]!.payload).toEqual({ profileId: id, kind: 'instagram', value: 'maria.k' })
  })

  it('merges the customers one resolve names, but adding never takes an identity from another customer', async () => {
    const maria = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'maria@example.gr' }] })).json().id
    t.clock.advance(1000)
    const nikos = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'phone', value: '6912345678' }] })).json().id
    const both = await t.call('POST', '/v1/customers', {
      identities: [{ kind: 'phone', value: '6912345678' }, { kind: 'email', value: 'maria@example.gr' }, { kind: 'instagram', value: 'mk' }],
    })
    expect(both.statusCode).toBe(200)
    // The older profile survives, whichever identity came first.
    expect(both.json()).toMatchObject({ id: maria, conflicts: [], merged: [nikos] })
    expect(both.json().identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['email', 'instagram', 'phone'])
    const eleni = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'eleni@example.gr' }] })).json().id
    const refused = await t.call('POST', `/v1/customers/${eleni}/identities`, { identities: [{ kind: 'loyalty_card', value: 'L9' }, { kind: 'phone', value: '691 234 5678' }] })
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ type: 'https://omnia.dev/problems/already-exists', errors: [{ path: 'identities.1.value' }] })
    const owners = await identityOwners(t.db)
    expect(owners.find((o) => o.kind === 'phone')!.profile_id).toBe(maria)
    expect(owners.find((o) => o.kind === 'loyalty_card')).toBeUndefined()
  })

  it('answers the survivor for a merged id and for identities that moved with the merge', async () => {
    const a = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'anonymous_id', value: 'anon-1' }] })).json().id
    const b = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'b@example.gr' }] })).json().id
    await simulateMerge(t.db, a, b)
    expect((await t.call('GET', `/v1/customers/${a}`)).json().id).toBe(b)
    expect((await lookup(t, 'anonymous_id:anon-1')).json().data[0].id).toBe(b)
    const added = await t.call('POST', `/v1/customers/${a}/identities`, { identities: [{ kind: 'device_id', value: 'd1' }] })
    expect(added.json().id).toBe(b)
    expect((await t.call('GET', '/v1/customers/cus_nobody')).statusCode).toBe(404)
  })

  it('renames a customer, recording who did it, and replays a retried create with its Idempotency-Key', async () => {
    const clerk = await t.staffKey('clerk')
    const body = { name: 'Maria', identities: [{ kind: 'email', value: 'maria@example.gr' }] }
    const headers = { 'idempotency-key': 'create-maria-1' }
    const first = await t.call('POST', '/v1/customers', body, { key: clerk, headers })
    const retry = await t.call('POST', '/v1/customers', body, { key: clerk, headers })
    expect([first.statusCode, retry.statusCode]).toEqual([201, 201])
    expect(retry.headers['idempotent-replayed']).toBe('true')
    expect(retry.json()).toEqual(first.json())
    const id = first.json().id
    const renamed = await t.call('PATCH', `/v1/customers/${id}`, { name: 'Maria K.' }, { key: clerk })
    expect(renamed.json().name).toBe('Maria K.')
    const audit = (await t.call('GET', '/v1/audit?resource=customer')).json().data
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['customer.updated', 'customer.created'])
    expect(audit[0]).toMatchObject({ actor: 'clerk:test clerk', before: { name: 'Maria' }, after: { name: 'Maria K.' } })
  })

  it('lets marketers read customers but not change them', async () => {
    const marketer = await t.staffKey('marketer')
    await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'maria@example.gr' }] })
    expect((await lookup(t, 'email:maria@example.gr', marketer)).statusCode).toBe(200)
    const write = await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'x@example.gr' }] }, { key: marketer })
    expect(write.statusCode).toBe(403)
  })
})
