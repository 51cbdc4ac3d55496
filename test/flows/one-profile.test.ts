import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { seedShop, type Keys } from '../../src/modules/carts/testing.js'
import { processPendingEvents } from '../../src/modules/events/index.js'
import { basicAuth } from '../../src/modules/events/testing.js'
import { createChannel } from '../../src/modules/inventory/testing.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { engines } from '../support/engines.js'
import { ok } from '../support/replies.js'

type Entry = { type: string; name: string | null; channel: string | null; properties: Record<string, unknown> }

const minute = 60_000

/**
 * One person on five touchpoints, each knowing a different thing about them: the web an
 * anonymous browser id, the store a phone number and an email, Instagram a handle and the same
 * phone, the email channel only the address. All of it must land on one profile and one timeline.
 */
describe.each(engines)('one profile from every touchpoint on %s', (engine) => {
  let t: TestApp
  let keys: Keys
  let instagram: string
  let email: string
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    t.clock.set('2026-03-01T10:00:00Z')
    keys = await seedShop(t)
    instagram = await createChannel(t, 'instagram', 'social')
    email = await createChannel(t, 'newsletter', 'email')
  })

  const send = (key: string, path: string, body: object) => ok(t.call('POST', path, body, { key: null, headers: basicAuth(key) }))
  const settle = async () => {
    await processPendingEvents(t.db, t.clock)
    await t.dispatcher.drain()
  }

  it('joins the web visit, the store purchase, the Instagram conversation and the email open', async () => {
    // The web: an anonymous visitor looks at a T-shirt and puts two in a cart.
    await send(keys.web, '/v1/page', { anonymousId: 'web-a1', name: 'Product', properties: { path: '/p/tee' } })
    await send(keys.web, '/v1/track', { anonymousId: 'web-a1', event: 'Product Viewed', properties: { sku: 'TEE-M' } })
    const cart = await ok(t.call('POST', '/v1/carts', { anonymousId: 'web-a1' }, { key: keys.web }), 201)
    await ok(t.call('POST', `/v1/carts/${cart.id}/lines`, { sku: 'TEE-M', quantity: 2 }, { key: keys.web }))
    t.clock.advance(minute)
    await settle()

    // The store: she shows the cart, gives her phone and email, collects and pays at the counter.
    const counter = await ok(t.call('POST', `/v1/carts/${cart.id}/identify`, {
      identities: [{ kind: 'phone', value: '+30 694 555 0101' }, { kind: 'email', value: 'Daphne@Example.com' }],
      name: 'Daphne',
    }, { key: keys.pos }))
    const profileId = counter.customerId as string
    await ok(t.call('PUT', `/v1/carts/${cart.id}/fulfillment`, { method: 'pickup', location: 'ath-1' }, { key: keys.pos }))
    const order = await ok(t.call('POST', '/v1/orders', { cartId: cart.id, payment: { method: 'in_store' } }, {
      key: keys.pos,
      headers: { 'idempotency-key': 'counter-1' },
    }), 201)
    t.clock.advance(minute)

    // Instagram: she writes from her handle and, asked, gives the same phone.
    await send(instagram, '/v1/track', {
      anonymousId: 'ig-psid-884',
      event: 'Message Received',
      properties: { text: 'Do you have the blue one in M?' },
      context: { traits: { instagram: 'daphne.k', phone: '+306945550101' } },
    })
    t.clock.advance(minute)

    // Email: the newsletter's open pixel knows only the address it was sent to.
    await send(email, '/v1/track', {
      anonymousId: 'msg-7781',
      event: 'Email Opened',
      properties: { campaign: 'spring' },
      context: { traits: { email: 'daphne@example.com' } },
    })
    await settle()

    for (const identity of ['phone:+306945550101', 'email:daphne@example.com', 'instagram:daphne.k', 'anonymous_id:web-a1']) {
      const found = await ok(t.call('GET', `/v1/customers?identity=${encodeURIComponent(identity)}`))
      expect(found.data.map((c: { id: string }) => c.id), identity).toEqual([profileId])
    }
    const profile = await ok(t.call('GET', `/v1/customers/${profileId}`))
    expect(profile.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`)).toEqual(
      expect.arrayContaining(['anonymous_id:web-a1', 'phone:+306945550101', 'email:daphne@example.com', 'instagram:daphne.k']),
    )

    const timeline = (await ok(t.call('GET', `/v1/customers/${profileId}/timeline?limit=100`))).data as Entry[]
    const seen = (channel: string, type: string, name: string | null) =>
      timeline.filter((e) => e.channel === channel && e.type === type && e.name === name)
    expect(seen('web', 'page', 'Product')).toHaveLength(1)
    expect(seen('web', 'track', 'Product Viewed')).toHaveLength(1)
    expect(seen('web', 'domain', 'cart.updated').map((e) => e.properties.change)).toEqual(expect.arrayContaining(['line_added', 'created']))
    expect(seen('pos-ath', 'domain', 'order.placed').map((e) => e.properties.orderId)).toEqual([order.id])
    expect(seen('instagram', 'track', 'Message Received')[0]?.properties).toEqual({ text: 'Do you have the blue one in M?' })
    expect(seen('newsletter', 'track', 'Email Opened')[0]?.properties).toEqual({ campaign: 'spring' })
    // Nobody else was made along the way.
    const everyone = await sql<{ id: string }>`select id from customers.profile where merged_into is null`.execute(t.db)
    expect(everyone.rows.map((r) => r.id)).toEqual([profileId])
  })
})
