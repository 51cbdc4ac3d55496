import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { processPendingEvents } from '../events/index.js'
import { basicAuth } from '../events/testing.js'
import { customerEvents, identityOwners } from './testing.js'

const survivingProfiles = async (t: TestApp) =>
  (await sql<{ id: string }>`select id from customers.profile where merged_into is null order by id`.execute(t.db)).rows.map((r) => r.id)

const rowCount = async (t: TestApp, table: string) =>
  (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(t.db)).rows[0]!.n

describe.each(engines)('merging customers on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    t.clock.set('2026-03-01T10:00:00Z')
  })

  const resolve = async (identities: unknown[], key?: string) => {
    const res = await t.call('POST', '/v1/customers', { identities }, key ? { key } : {})
    expect(res.statusCode, res.body).toBeLessThan(300)
    return res.json()
  }

  it('follows one person across channels into one profile, merging two that existed apart', async () => {
    const [web, pos, social] = [await t.touchpointKey('web', 'web'), await t.touchpointKey('pos', 'pos-ath'), await t.touchpointKey('social', 'instagram')]
    const visitor = await resolve([{ kind: 'anonymous_id', value: 'anon-7' }], web)
    t.clock.advance(60_000)
    const shopper = await resolve([{ kind: 'phone', value: '6912345678' }], pos)
    expect(shopper.id).not.toBe(visitor.id)
    // The POS tracks the sale with its own anonymous id: it is stamped with the shopper's profile.
    const sale = await t.call('POST', '/v1/identify', { anonymousId: 'pos-sale-1', traits: { phone: '+306912345678' } }, { key: null, headers: basicAuth(pos) })
    expect(sale.statusCode).toBe(200)
    await processPendingEvents(t.db, t.clock)
    t.clock.advance(60_000)
    const dm = await resolve([{ kind: 'instagram', value: '@Maria.K' }, { kind: 'phone', value: '+30 691 234 5678' }], social)
    expect(dm).toMatchObject({ id: shopper.id, merged: [] })
    t.clock.advance(60_000)
    // The newsletter open carries the web visitor's id, the email and the phone: one person.
    const open = await t.call('POST', '/v1/identify', { anonymousId: 'anon-7', traits: { email: 'Maria@Example.gr', phone: '+306912345678' } }, { key: null, headers: basicAuth(web) })
    expect(open.statusCode).toBe(200)
    await processPendingEvents(t.db, t.clock)

    expect(await survivingProfiles(t)).toEqual([visitor.id])
    const merged = await t.call('GET', `/v1/customers/${shopper.id}`)
    expect(merged.json().id).toBe(visitor.id)
    expect(merged.json().identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`).sort()).toEqual([
      'anonymous_id:anon-7',
      'anonymous_id:pos-sale-1',
      'email:maria@example.gr',
      'instagram:maria.k',
      'phone:+306912345678',
    ])
    const facts = (await customerEvents(t.db)).filter((e) => e.name === 'customer.merged')
    expect(facts.map((e) => e.payload)).toEqual([{ survivorId: visitor.id, loserId: shopper.id, reason: 'shared-identity' }])
    // The survivor's timeline shows what was tracked for the profile merged into it.
    const timeline = await t.call('GET', `/v1/customers/${visitor.id}/timeline?type=identify`)
    expect(timeline.json().data.map((e: { channel: string }) => e.channel)).toEqual(['web', 'pos-ath'])
  })

  it('never merges through a shared device id, and records the refusal for staff to review', async () => {
    const tablet = await resolve([{ kind: 'device_id', value: 'store-tablet-1' }, { kind: 'email', value: 'first@example.gr' }])
    const other = await resolve([{ kind: 'email', value: 'second@example.gr' }])
    const res = await resolve([{ kind: 'email', value: 'second@example.gr' }, { kind: 'device_id', value: 'store-tablet-1' }])
    expect(res).toMatchObject({ id: other.id, merged: [], conflicts: [{ kind: 'device_id', value: 'store-tablet-1', profileId: tablet.id }] })
    expect((await survivingProfiles(t)).length).toBe(2)
    const manager = await t.staffKey('manager')
    const refusals = await t.call('GET', '/v1/customers/merge-refusals', undefined, { key: manager })
    expect(refusals.statusCode).toBe(200)
    expect(refusals.json()).toMatchObject({
      data: [{ profileIds: [tablet.id, other.id].sort(), reason: 'identity-kind-never-merges', identities: [{ kind: 'email' }, { kind: 'device_id' }] }],
      nextCursor: null,
    })
    // The tablet seen again is the same review item, not a new one.
    await resolve([{ kind: 'email', value: 'second@example.gr' }, { kind: 'device_id', value: 'store-tablet-1' }])
    expect(await rowCount(t, 'customers.merge_refusal')).toBe(1)
    const web = await t.touchpointKey('web', 'web')
    expect((await t.call('GET', '/v1/customers/merge-refusals', undefined, { key: web })).statusCode).toBe(403)
  })

  it('refuses to give one profile two user accounts, by resolve or by hand', async () => {
    const a = await resolve([{ kind: 'user_id', value: 'u-1' }, { kind: 'email', value: 'a@example.gr' }])
    const b = await resolve([{ kind: 'user_id', value: 'u-2' }, { kind: 'phone', value: '6912345678' }])
    const res = await resolve([{ kind: 'email', value: 'a@example.gr' }, { kind: 'phone', value: '6912345678' }])
    expect(res).toMatchObject({ id: a.id, merged: [], conflicts: [{ kind: 'phone', profileId: b.id }] })
    expect(await rowCount(t, 'customers.merge_refusal')).toBe(1)
    const clerk = await t.staffKey('clerk')
    const manual = await t.call('POST', `/v1/customers/${a.id}/merge`, { otherId: b.id }, { key: clerk })
    expect(manual.statusCode).toBe(422)
    expect(manual.json().type).toBe('https://omnia.dev/problems/unprocessable')
    expect((await survivingProfiles(t)).length).toBe(2)
  })

  it('merges by hand keeping the latest consent, and unmerge gives the identities back', async () => {
    const a = await resolve([{ kind: 'email', value: 'maria@example.gr' }])
    t.clock.advance(60_000)
    const b = await resolve([{ kind: 'phone', value: '6912345678' }, { kind: 'loyalty_card', value: 'L-1' }])
    const choice = { channel: 'email', purpose: 'marketing', source: 'form' }
    await t.call('PUT', `/v1/customers/${a.id}/consents`, { ...choice, status: 'opted_in' })
    t.clock.advance(60_000)
    await t.call('PUT', `/v1/customers/${b.id}/consents`, { ...choice, status: 'opted_out' })
    const clerk = await t.staffKey('clerk')
    // Given the younger first, the older still survives.
    const merged = await t.call('POST', `/v1/customers/${b.id}/merge`, { otherId: a.id }, { key: clerk })
    expect(merged.statusCode, merged.body).toBe(200)
    expect(merged.json()).toMatchObject({ loserId: b.id, survivor: { id: a.id, consents: [{ ...choice, status: 'opted_out' }] } })
    expect(merged.json().survivor.identities).toHaveLength(3)
    expect((await t.call('POST', `/v1/customers/${a.id}/merge`, { otherId: b.id }, { key: clerk })).json().loserId).toBeNull()

    const unmerged = await t.call('POST', `/v1/customers/${a.id}/unmerge`, { loserId: b.id }, { key: clerk })
    expect(unmerged.statusCode, unmerged.body).toBe(200)
    expect(unmerged.json().survivor.identities.map((i: { kind: string }) => i.kind)).toEqual(['email'])
    expect(unmerged.json().restored).toMatchObject({ id: b.id })
    expect(unmerged.json().restored.identities.map((i: { kind: string; isPrimary: boolean }) => [i.kind, i.isPrimary]).sort()).toEqual([
      ['loyalty_card', true],
      ['phone', true],
    ])
    expect((await t.call('GET', `/v1/customers/${b.id}`)).json().id).toBe(b.id)
    expect((await customerEvents(t.db)).filter((e) => e.name === 'customer.unmerged').map((e) => e.payload)).toMatchObject([{ survivorId: a.id, loserId: b.id }])
    const again = await t.call('POST', `/v1/customers/${a.id}/unmerge`, { loserId: b.id }, { key: clerk })
    expect(again.statusCode).toBe(404)
    const owners = await identityOwners(t.db)
    expect(owners.filter((o) => o.profile_id === b.id)).toHaveLength(2)
    // Identity resolution does not undo a clerk's unmerge; the clerk still may merge again.
    const both = await resolve([{ kind: 'email', value: 'maria@example.gr' }, { kind: 'phone', value: '6912345678' }])
    expect(both).toMatchObject({ id: a.id, merged: [], conflicts: [{ kind: 'phone', profileId: b.id }] })
    const refusals = await t.call('GET', '/v1/customers/merge-refusals', undefined, { key: clerk })
    expect(refusals.json().data).toMatchObject([{ reason: 'unmerged-before', profileIds: [a.id, b.id].sort() }])
    const byHand = await t.call('POST', `/v1/customers/${a.id}/merge`, { otherId: b.id }, { key: clerk })
    expect(byHand.json()).toMatchObject({ loserId: b.id, survivor: { id: a.id } })
  })

  it('answers problems for bad merge requests and writes nothing', async () => {
    const a = await resolve([{ kind: 'email', value: 'maria@example.gr' }])
    const clerk = await t.staffKey('clerk')
    const before = await customerEvents(t.db)
    const bad = [
      [`/v1/customers/${a.id}/merge`, { otherId: a.id }, 400, 'otherId'],
      [`/v1/customers/${a.id}/merge`, {}, 400, 'otherId'],
      [`/v1/customers/${a.id}/merge`, { otherId: 'x', extra: 1 }, 400, undefined],
      [`/v1/customers/${a.id}/merge`, { otherId: 'cus_nobody' }, 404, undefined],
      [`/v1/customers/${a.id}/unmerge`, { loserId: '' }, 400, 'loserId'],
      [`/v1/customers/${a.id}/unmerge`, { loserId: 'cus_nobody' }, 404, undefined],
    ] as const
    for (const [url, body, status, path] of bad) {
      const res = await t.call('POST', url, body, { key: clerk })
      expect(res.statusCode, `${url} ${JSON.stringify(body)}`).toBe(status)
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/)
      if (path) expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
    }
    const web = await t.touchpointKey('web', 'web')
    expect((await t.call('POST', `/v1/customers/${a.id}/merge`, { otherId: 'x' }, { key: web })).statusCode).toBe(403)
    expect((await t.call('GET', '/v1/customers/merge-refusals?cursor=bm9wZQ', undefined, { key: clerk })).statusCode).toBe(400)
    expect((await t.call('GET', '/v1/customers/merge-refusals?limit=0', undefined, { key: clerk })).statusCode).toBe(400)
    expect(await customerEvents(t.db)).toEqual(before)
    expect(await rowCount(t, 'customers.merge')).toBe(0)
  })
})
