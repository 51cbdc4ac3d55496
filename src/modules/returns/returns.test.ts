import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { adminKey } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { stockAt } from '../fulfillment/testing.js'
import { outboxEvents } from '../inventory/testing.js'
import type { ShopKeys } from '../orders/testing.js'
import { card, cards, startPaymentsTestApp, type PaymentsTestApp } from '../payments/testing.js'
import {
  handOver,
  ledgerOf,
  parcelReceived,
  placed,
  policy,
  receiveParcel,
  returnEvents,
  returnGoods,
  returnSnapshot,
  seedReturnsShop,
  shipTo,
} from './testing.js'

const day = 86_400_000
const visa = { method: 'card', card: card(cards.visa) }

describe.each(engines)('returns on %s', (engine) => {
  let s: PaymentsTestApp
  let keys: ShopKeys
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine, { poolSize: 12 })
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
    keys = await seedReturnsShop(s.t)
  })

  const webOrder = (lines: object[], payment: object = visa) =>
    placed(s.t, keys.web, {
      customer: { email: 'ana@example.com', name: 'Ana' },
      lines,
      fulfillment: { method: 'ship', address: shipTo },
      payment,
    })
  const line = (sku: string, quantity: number, condition = 'unopened') => ({
    sku,
    quantity,
    reason: 'does not fit',
    condition,
  })
  async function returned(key: string, body: object) {
    const res = await returnGoods(s.t, key, body)
    expect(res.statusCode, res.body).toBe(201)
    return res.json()
  }
  const payment = async (id: string) => (await s.t.call('GET', `/v1/payments/${id}`)).json()

  it('takes a delivered web order back at a store: restocked there, card refunded by the provider', async () => {
    const order = await handOver(s.t, await webOrder([{ sku: 'TEE-M', quantity: 2 }]))
    expect(order.status).toBe('delivered')
    expect(await stockAt(s.t.db, 'TEE-M', 'ath-1')).toEqual({ onHand: 2, reserved: 0 })

    const ret = await returned(keys.pos, {
      orderId: order.id,
      lines: [line('TEE-M', 1)],
      location: 'ath-1',
    })
    expect(ret).toMatchObject({
      orderId: order.id,
      orderNumber: order.number,
      customerId: order.customerId,
      channel: 'pos-ath',
      store: 'ath-1',
      location: 'ath-1',
      byPost: false,
      lines: [
        {
          sku: 'TEE-M',
          quantity: 1,
          condition: 'unopened',
          disposition: 'restocked',
          location: 'ath-1',
          value: { amount: 1000, currency: 'EUR' },
        },
      ],
      value: { amount: 1000, currency: 'EUR' },
      refund: {
        amount: { amount: 1000, currency: 'EUR' },
        method: 'card',
        status: 'refunded',
        paymentId: order.payment.id,
        storeCreditCode: null,
      },
      exchange: null,
    })
    expect(ret.number).toBeGreaterThan(5000)
    expect(await stockAt(s.t.db, 'TEE-M', 'ath-1')).toEqual({ onHand: 3, reserved: 0 })
    expect(await ledgerOf(s.t.db, ret.id)).toEqual([
      { sku: 'TEE-M', location: 'ath-1', kind: 'return', quantity: 1 },
    ])
    expect(s.server.refunds.map((r) => r.amount)).toEqual([1000])
    expect(await payment(order.payment.id)).toMatchObject({
      status: 'partially_refunded',
      refunded: { amount: 1000 },
    })
    const events = await returnEvents(s.t.db)
    expect(events.map((e) => [e.name, e.profileId, e.channel])).toEqual([
      ['return.received', order.customerId, 'pos-ath'],
      ['return.refunded', order.customerId, 'pos-ath'],
    ])
    expect(events[1]!.payload).toMatchObject({ method: 'card', amount: { amount: 1000 } })

    await s.t.dispatcher.drain()
    const timeline = (await s.t.call('GET', `/v1/customers/${order.customerId}/timeline`)).json()
    expect(timeline.data.map((e: { name: string }) => e.name)).toEqual(
      expect.arrayContaining(['return.received', 'return.refunded']),
    )
    expect((await s.t.call('GET', `/v1/returns/${ret.id}`, undefined, { key: keys.web })).json()).toEqual(ret)
    const ofOrder = (await s.t.call('GET', `/v1/orders/${order.id}/returns`, undefined, { key: keys.pos })).json()
    expect(ofOrder).toEqual({ data: [ret], nextCursor: null })
  })

  it('refunds in store credit when asked, and the credit pays on another channel', async () => {
    const order = await handOver(s.t, await webOrder([{ sku: 'TEE-M', quantity: 2 }]))
    const ret = await returned(keys.web, {
      orderNumber: order.number,
      contact: 'ANA@example.com',
      lines: [line('TEE-M', 2, 'as_new')],
      byPost: true,
      refund: 'store_credit',
    })
    expect(ret).toMatchObject({
      status: 'awaiting_goods',
      refund: { amount: { amount: 2000 }, method: 'none', status: 'awaiting_goods', storeCreditCode: null },
    })
    const got = await parcelReceived(s.t, ret.id)
    expect(got.refund).toMatchObject({ method: 'store_credit', status: 'refunded', paymentId: null })
    const code = got.refund.storeCreditCode
    expect(code).toEqual(expect.any(String))
    // By post, with no returns address set: back where the parcel left from.
    expect(got).toMatchObject({ status: 'received', byPost: true, location: null, lines: [{ location: 'wh-1' }] })
    expect(s.server.refunds).toEqual([])
    const account = (await s.t.call('GET', `/v1/stored-value/${code}`)).json()
    expect(account).toMatchObject({ kind: 'store_credit', balance: { amount: 2000 }, customerId: order.customerId })

    const spent = await placed(s.t, keys.pos, {
      customer: { id: order.customerId },
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'pickup', location: 'ath-1' },
      payment: { method: 'store_credit', code },
    })
    expect(spent).toMatchObject({ status: 'confirmed', payment: { method: 'store_credit' } })
    expect((await s.t.call('GET', `/v1/stored-value/${code}`)).json().balance.amount).toBe(1000)
  })

  it('quarantines a damaged item so it is never sold again', async () => {
    const order = await handOver(s.t, await webOrder([{ sku: 'MUG-1', quantity: 1 }]))
    expect(await stockAt(s.t.db, 'MUG-1', 'wh-1')).toEqual({ onHand: 0, reserved: 0 })
    const ret = await returned(keys.pos, {
      orderId: order.id,
      lines: [line('MUG-1', 1, 'damaged')],
      location: 'ath-1',
    })
    expect(ret.lines).toMatchObject([{ disposition: 'quarantined', location: 'quar-1' }])
    expect(await stockAt(s.t.db, 'MUG-1', 'quar-1')).toEqual({ onHand: 1, reserved: 0 })
    expect(await stockAt(s.t.db, 'MUG-1', 'ath-1')).toEqual({ onHand: 0, reserved: 0 })
    expect(await ledgerOf(s.t.db, ret.id)).toEqual([
      { sku: 'MUG-1', location: 'quar-1', kind: 'return', quantity: 1 },
    ])
    const facts = await outboxEvents(s.t.db, 'inventory.')
    expect(facts.filter((e) => e.payload.location === 'quar-1')).toEqual([])
    const web = await s.t.call(
      'POST',
      '/v1/orders',
      {
        customer: { email: 'bo@example.com' },
        lines: [{ sku: 'MUG-1', quantity: 1 }],
        fulfillment: { method: 'ship', address: shipTo },
        payment: { method: 'cash_on_delivery' },
      },
      { key: keys.web, headers: { 'idempotency-key': 'after-quarantine' } },
    )
    expect(web.statusCode, web.body).toBe(409)
    const pickup = await s.t.call(
      'POST',
      '/v1/orders',
      {
        customer: { email: 'bo@example.com' },
        lines: [{ sku: 'MUG-1', quantity: 1 }],
        fulfillment: { method: 'pickup', location: 'quar-1' },
        payment: { method: 'in_store' },
      },
      { key: keys.web, headers: { 'idempotency-key': 'pickup-quarantine' } },
    )
    expect(pickup.statusCode).toBeGreaterThanOrEqual(400)
    expect(pickup.statusCode).toBeLessThan(500)
  })

  it('refuses what the policy forbids, each reason at its path, writing nothing', async () => {
    const order = await handOver(
      s.t,
      await webOrder([
        { sku: 'TEE-M', quantity: 2 },
        { sku: 'BRA-1', quantity: 1 },
      ]),
    )
    const notShipped = await webOrder([{ sku: 'TEE-M', quantity: 1 }])
    const onItsWay = await handOver(
      s.t,
      await webOrder([{ sku: 'TEE-M', quantity: 1 }], { method: 'cash_on_delivery' }),
      'shipped',
    )
    const before = await returnSnapshot(s.t.db)
    async function refusedWith(key: string, body: object, refusals: object[]) {
      const res = await returnGoods(s.t, key, body)
      expect(res.statusCode, res.body).toBe(422)
      expect(res.json()).toMatchObject({ type: 'https://omnia.dev/problems/return-not-allowed' })
      expect(res.json().refusals).toEqual(refusals.map((r) => expect.objectContaining(r)))
    }
    // A till takes returns at its own store only; staff of no location may record one anywhere.
    const elsewhere = await returnGoods(s.t, keys.pos, { orderId: order.id, lines: [line('TEE-M', 1)], location: 'pop-1' })
    expect(elsewhere.statusCode, elsewhere.body).toBe(403)
    expect(elsewhere.json().detail).toBe('The goods come back at pop-1; a key of ath-1 acts only at ath-1')
    await refusedWith(
      adminKey,
      {
        orderId: order.id,
        lines: [line('BRA-1', 1), line('TEE-M', 3, 'used'), line('MUG-1', 1)],
        location: 'pop-1',
      },
      [
        { path: 'location', reason: 'location-not-accepting-returns' },
        { path: 'lines.0.sku', reason: 'non-returnable-category' },
        { path: 'lines.1.condition', reason: 'condition-not-accepted' },
        { path: 'lines.1.quantity', reason: 'exceeds-returnable', message: 'at most 2 of TEE-M can still be returned' },
        { path: 'lines.2.sku', reason: 'not-in-order' },
      ],
    )
    await refusedWith(keys.pos, { orderId: notShipped.id, lines: [line('TEE-M', 1)], location: 'ath-1' }, [
      { path: 'lines.0.sku', reason: 'not-handed-over' },
    ])
    await refusedWith(keys.pos, { orderId: onItsWay.id, lines: [line('TEE-M', 1)], location: 'ath-1' }, [
      { path: 'orderId', reason: 'payment-not-taken' },
    ])
    // A web visitor proves the order with its number and contact, not an id alone.
    await refusedWith(keys.web, { orderId: order.id, lines: [line('TEE-M', 1)], byPost: true }, [
      { path: 'orderId', reason: 'proof-required' },
    ])
    s.t.clock.advance(31 * day)
    await refusedWith(keys.pos, { orderId: order.id, lines: [line('TEE-M', 1)], location: 'ath-1' }, [
      { path: 'lines.0.sku', reason: 'window-closed' },
    ])
    const wrongContact = await returnGoods(s.t, keys.web, {
      orderNumber: order.number,
      contact: 'eve@example.com',
      lines: [line('TEE-M', 1)],
      byPost: true,
    })
    expect(wrongContact.statusCode).toBe(404)
    expect((await returnGoods(s.t, keys.pos, { orderId: 'ord_nothing', lines: [line('TEE-M', 1)], location: 'ath-1' })).statusCode).toBe(404)
    expect(await returnSnapshot(s.t.db)).toBe(before)
  })

  it('lets concurrent returns of the same line take back only what was bought', async () => {
    const order = await handOver(s.t, await webOrder([{ sku: 'TEE-M', quantity: 2 }]))
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        returnGoods(s.t, keys.pos, { orderId: order.id, lines: [line('TEE-M', 1)], location: 'ath-1' }),
      ),
    )
    const won = answers.filter((a) => a.statusCode === 201)
    expect(won).toHaveLength(2)
    for (const lost of answers.filter((a) => a.statusCode !== 201)) {
      expect(lost.statusCode, lost.body).toBe(422)
      expect(lost.json().refusals).toEqual([
        expect.objectContaining({ path: 'lines.0.quantity', reason: 'exceeds-returnable' }),
      ])
    }
    expect(await stockAt(s.t.db, 'TEE-M', 'ath-1')).toEqual({ onHand: 4, reserved: 0 })
    expect(s.server.refunds.map((r) => r.amount).sort()).toEqual([1000, 1000])
    expect(await payment(order.payment.id)).toMatchObject({ status: 'refunded', refunded: { amount: 2000 } })
    const list = (await s.t.call('GET', '/v1/returns?limit=1')).json()
    expect(list.data).toHaveLength(1)
    const rest = (await s.t.call('GET', `/v1/returns?limit=5&cursor=${list.nextCursor}`)).json()
    expect(rest.data).toHaveLength(1)
    expect(rest.nextCursor).toBeNull()
  })

  it('refunds exactly what was paid when a discount is shared over the units', async () => {
    await s.t.call('POST', '/v1/promotions', {
      name: 'One off',
      trigger: 'coupon',
      code: 'ONE',
      discount: { type: 'fixed', amountOff: { amount: 100, currency: 'EUR' } },
    })
    const order = await handOver(
      s.t,
      await placed(s.t, keys.web, {
        customer: { email: 'ana@example.com' },
        lines: [{ sku: 'TEE-M', quantity: 3 }],
        fulfillment: { method: 'ship', address: shipTo },
        payment: visa,
        coupon: 'ONE',
      }),
    )
    expect(order.totals.total).toBe(2900)
    const refunds = []
    for (let i = 0; i < 3; i++) {
      const ret = await returned(keys.pos, { orderId: order.id, lines: [line('TEE-M', 1)], location: 'ath-1' })
      refunds.push(ret.refund.amount.amount)
    }
    expect(refunds).toEqual([967, 966, 967])
    expect(await payment(order.payment.id)).toMatchObject({ status: 'refunded', refunded: { amount: 2900 } })
  })

  it('credits a gift card order back to the card, and receives by post at the returns address', async () => {
    const gift = await s.t.call('POST', '/v1/stored-value', {
      code: 'GIFT-ANA-1',
      kind: 'gift_card',
      amount: { amount: 5000, currency: 'EUR' },
    })
    expect(gift.statusCode, gift.body).toBe(201)
    const order = await handOver(
      s.t,
      await webOrder([{ sku: 'TEE-M', quantity: 2 }], { method: 'store_credit', code: 'GIFT-ANA-1' }),
    )
    const balance = async () =>
      (await s.t.call('GET', '/v1/stored-value/GIFT-ANA-1')).json().balance.amount
    expect(await balance()).toBe(3000)
    const put = await s.t.call('PUT', '/v1/return-policy', { ...policy, postLocation: 'the-2' })
    expect(put.statusCode, put.body).toBe(200)
    const ret = await returned(keys.web, {
      orderNumber: order.number,
      contact: 'ana@example.com',
      lines: [line('TEE-M', 1)],
      byPost: true,
    })
    expect(ret).toMatchObject({ status: 'awaiting_goods', location: 'the-2' })
    expect(await balance()).toBe(3000)
    expect(await stockAt(s.t.db, 'TEE-M', 'the-2')).toEqual({ onHand: 0, reserved: 0 })
    expect(await parcelReceived(s.t, ret.id)).toMatchObject({
      location: 'the-2',
      lines: [{ location: 'the-2', disposition: 'restocked' }],
      refund: { method: 'stored_value', status: 'refunded', storeCreditCode: 'GIFT-ANA-1' },
    })
    expect(await balance()).toBe(4000)
    expect(await stockAt(s.t.db, 'TEE-M', 'the-2')).toEqual({ onHand: 1, reserved: 0 })
  })

  it('pays a cash order back at the counter, and a by-post cash return in store credit', async () => {
    const order = await handOver(
      s.t,
      await webOrder([{ sku: 'TEE-M', quantity: 2 }], { method: 'cash_on_delivery' }),
    )
    expect((await payment(order.payment.id)).status).toBe('captured')
    const counter = await returned(keys.clerk, { orderId: order.id, lines: [line('TEE-M', 1)], location: 'ath-1' })
    expect(counter.refund).toMatchObject({ method: 'cash', status: 'refunded', paymentId: order.payment.id })
    expect(counter.staff).toEqual(expect.stringMatching(/^key_/))
    const atDesk = await returnGoods(s.t, keys.clerk, { orderId: order.id, lines: [line('TEE-M', 1)], byPost: true })
    expect(atDesk.statusCode, atDesk.body).toBe(403)
    const byPost = await returned(keys.phone, {
      orderNumber: order.number,
      contact: 'ana@example.com',
      lines: [line('TEE-M', 1)],
      byPost: true,
    })
    expect((await parcelReceived(s.t, byPost.id)).refund).toMatchObject({
      method: 'store_credit',
      status: 'refunded',
    })
    expect(await payment(order.payment.id)).toMatchObject({ refunded: { amount: 1000 } })
    expect(s.server.refunds).toEqual([])
  })

  it('restocks and refunds a by-post return only when its parcel arrives, once', async () => {
    const order = await handOver(s.t, await webOrder([{ sku: 'TEE-M', quantity: 2 }, { sku: 'MUG-1', quantity: 1 }]))
    const stockBefore = await stockAt(s.t.db, 'TEE-M', 'wh-1')
    const ret = await returned(keys.web, {
      orderNumber: order.number,
      contact: 'ana@example.com',
      lines: [line('TEE-M', 2), line('MUG-1', 1)],
      byPost: true,
    })
    expect(ret).toMatchObject({
      status: 'awaiting_goods',
      receivedAt: null,
      value: { amount: 3000 },
      refund: { amount: { amount: 3000 }, status: 'awaiting_goods', method: 'none' },
    })
    // On its way: nothing on sale again, nothing paid out, and the units cannot be returned twice.
    expect(await stockAt(s.t.db, 'TEE-M', 'wh-1')).toEqual(stockBefore)
    expect(await ledgerOf(s.t.db, ret.id)).toEqual([])
    expect(s.server.refunds).toEqual([])
    expect((await returnEvents(s.t.db)).map((e) => e.name)).toEqual(['return.requested'])
    const expected = async () =>
      (await s.t.call('GET', '/v1/returns?status=awaiting_goods')).json().data.map((r: { id: string }) => r.id)
    expect(await expected()).toEqual([ret.id])
    const twice = await returnGoods(s.t, keys.pos, { orderId: order.id, lines: [line('TEE-M', 1)], location: 'ath-1' })
    expect(twice.statusCode, twice.body).toBe(422)
    expect(twice.json().refusals).toEqual([expect.objectContaining({ reason: 'exceeds-returnable' })])

    // A clerk of one store cannot book a parcel in at another; the warehouse can.
    const elsewhere = await receiveParcel(s.t, ret.id, { location: 'wh-1' }, { key: keys.clerk })
    expect(elsewhere.statusCode, elsewhere.body).toBe(403)
    const got = await parcelReceived(s.t, ret.id, { lines: [{ sku: 'MUG-1', condition: 'damaged' }] }, keys.picker)
    expect(got).toMatchObject({
      status: 'received',
      receivedAt: expect.any(String),
      location: 'wh-1',
      lines: [
        { sku: 'TEE-M', condition: 'unopened', disposition: 'restocked', location: 'wh-1' },
        { sku: 'MUG-1', condition: 'damaged', disposition: 'quarantined', location: 'quar-1' },
      ],
      refund: { amount: { amount: 3000 }, method: 'card', status: 'refunded' },
    })
    expect(await stockAt(s.t.db, 'TEE-M', 'wh-1')).toEqual({ ...stockBefore, onHand: stockBefore.onHand + 2 })
    expect(await ledgerOf(s.t.db, ret.id)).toEqual([
      { sku: 'TEE-M', location: 'wh-1', kind: 'return', quantity: 2 },
      { sku: 'MUG-1', location: 'quar-1', kind: 'return', quantity: 1 },
    ])
    expect(s.server.refunds.map((r) => r.amount)).toEqual([3000])
    expect(await expected()).toEqual([])
    expect((await returnEvents(s.t.db)).map((e) => e.name)).toEqual([
      'return.requested',
      'return.received',
      'return.refunded',
    ])
    const before = await returnSnapshot(s.t.db)
    const again = await receiveParcel(s.t, ret.id, {}, { key: keys.picker })
    expect(again.statusCode, again.body).toBe(409)
    expect(again.json()).toMatchObject({ from: 'received', to: 'received' })
    expect(await returnSnapshot(s.t.db)).toBe(before)
  })

  it('books a parcel in once when three desks scan it at the same moment', async () => {
    const order = await handOver(s.t, await webOrder([{ sku: 'TEE-M', quantity: 2 }]))
    const stockBefore = await stockAt(s.t.db, 'TEE-M', 'wh-1')
    const ret = await returned(keys.web, {
      orderNumber: order.number,
      contact: 'ana@example.com',
      lines: [line('TEE-M', 2)],
      byPost: true,
    })
    const answers = await Promise.all(
      ['scan-1', 'scan-2', 'scan-3'].map((k) =>
        receiveParcel(s.t, ret.id, {}, { key: keys.picker, idempotencyKey: k }),
      ),
    )
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409, 409])
    expect(await stockAt(s.t.db, 'TEE-M', 'wh-1')).toEqual({ ...stockBefore, onHand: stockBefore.onHand + 2 })
    expect(await ledgerOf(s.t.db, ret.id)).toHaveLength(1)
    expect(s.server.refunds.map((r) => r.amount)).toEqual([2000])
    expect((await returnEvents(s.t.db)).map((e) => e.name)).toEqual([
      'return.requested',
      'return.received',
      'return.refunded',
    ])
  })

  it('answers a retried return once, with one refund, and refuses the key for another body', async () => {
    const order = await handOver(s.t, await webOrder([{ sku: 'TEE-M', quantity: 2 }]))
    const body = { orderId: order.id, lines: [line('TEE-M', 1)], location: 'ath-1' }
    const answers = await Promise.all(Array.from({ length: 5 }, () => returnGoods(s.t, keys.pos, body, 'desk-7')))
    expect(answers.map((a) => a.statusCode)).toEqual(Array(5).fill(201))
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1)
    // A replay racing the first attempt sees its card refund still with the provider.
    for (const a of answers) expect(['refunded', 'refunding']).toContain(a.json().refund.status)
    const later = await returnGoods(s.t, keys.pos, body, 'desk-7')
    expect(later.headers['idempotent-replayed']).toBe('true')
    expect(later.json().refund.status).toBe('refunded')
    expect(s.server.refunds).toHaveLength(1)
    expect(await stockAt(s.t.db, 'TEE-M', 'ath-1')).toEqual({ onHand: 3, reserved: 0 })
    const other = await returnGoods(s.t, keys.pos, { ...body, location: 'the-2' }, 'desk-7')
    expect(other.statusCode).toBe(409)
    expect(other.json().type).toBe('https://omnia.dev/problems/idempotency-key-reused')
  })

  it('keeps the return policy, audited and for admins only', async () => {
    const current = (await s.t.call('GET', '/v1/return-policy', undefined, { key: keys.pos })).json()
    expect(current).toMatchObject({ windowDays: 30, quarantineLocation: 'quar-1' })
    const manager = await s.t.staffKey('manager')
    const changed = { ...current, windowDays: 14 }
    delete changed.updatedAt
    expect((await s.t.call('PUT', '/v1/return-policy', changed, { key: manager })).statusCode).toBe(403)
    const res = await s.t.call('PUT', '/v1/return-policy', changed)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().windowDays).toBe(14)
    const audit = (await s.t.call('GET', '/v1/audit?resource=return_policy')).json()
    expect(JSON.stringify(audit)).toContain('return_policy.changed')
  })
})
