import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { expectRefusedWithoutWrites, snapshotTables } from '../../../test/support/bad-requests.js'
import { engines } from '../../../test/support/engines.js'
import { placeOrder, seedShop, type ShopKeys } from './testing.js'

const tables = [
  'orders.order',
  'orders.order_line',
  'orders.setting',
  'orders.shipping_rate',
  'fulfillment.fulfillment',
  'fulfillment.fulfillment_line',
  'inventory.stock_level',
  'inventory.ledger_entry',
  'carts.cart',
]
const shipTo = { line1: 'Ermou 1', city: 'Athens', country: 'GR' }
const cash = { method: 'cash_on_delivery' }
const customer = { email: 'ana@example.com' }
const policy = {
  rules: ['nearest_whole'],
  allowSplit: true,
  maxShipments: 2,
  courierRadiusKm: 30,
  endlessAisleOwnStock: 'exclude',
}

describe.each(engines)('orders refuse bad input on %s', (engine) => {
  let t: TestApp
  let keys: ShopKeys
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    keys = await seedShop(t)
  })

  it('refuses bad fulfilment choices on a placement at the field', async () => {
    const order = (fulfillment: unknown) => ({
      customer,
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment,
      payment: cash,
    })
    const cases: [what: string, body: object, paths: string[]][] = [
      ['unknown method', order({ method: 'drone' }), ['fulfillment.method']],
      ['no method', order({ address: shipTo }), ['fulfillment.method']],
      ['curbside without a store', order({ method: 'curbside' }), ['fulfillment.location']],
      [
        'courier with a store',
        order({ method: 'courier', location: 'ath-1' }),
        ['fulfillment.location'],
      ],
      [
        'curbside with an address',
        order({ method: 'curbside', location: 'ath-1', address: shipTo }),
        ['fulfillment.address'],
      ],
      [
        'vehicle when shipping',
        order({ method: 'ship', address: shipTo, vehicle: 'red car' }),
        ['fulfillment.vehicle'],
      ],
      [
        'blank vehicle',
        order({ method: 'curbside', location: 'ath-1', vehicle: ' ' }),
        ['fulfillment.vehicle'],
      ],
      [
        'latitude off the globe',
        order({ method: 'ship', address: { ...shipTo, geo: { lat: 91, lng: 0 } } }),
        ['fulfillment.address.geo.lat'],
      ],
      [
        'geo without longitude',
        order({ method: 'ship', address: { ...shipTo, geo: { lat: 1 } } }),
        ['fulfillment.address.geo.lng'],
      ],
      [
        'courier without coordinates',
        order({ method: 'courier', address: shipTo }),
        ['fulfillment.address.geo'],
      ],
      [
        'pickup at an unknown store',
        order({ method: 'pickup', location: 'nowhere' }),
        ['fulfillment.location'],
      ],
      [
        'method with a cart',
        { cartId: 'crt_x', fulfillment: { method: 'ship' }, payment: cash },
        ['fulfillment.method'],
      ],
      [
        'store with a cart',
        { cartId: 'crt_x', fulfillment: { location: 'ath-1' }, payment: cash },
        ['fulfillment.location'],
      ],
    ]
    const before = await snapshotTables(t, tables)
    for (const [what, body, paths] of cases) {
      const res = await placeOrder(t, keys.web, body)
      expect(res.statusCode, `${what}: ${res.body}`).toBe(400)
      expect(
        res.json().errors.map((e: { path: string }) => e.path),
        what,
      ).toEqual(paths)
    }
    expect(await snapshotTables(t, tables)).toBe(before)
  })

  it('refuses bad sourcing policies and shipping rates at the field', async () => {
    await expectRefusedWithoutWrites(
      t,
      [
        ['no rules', 'PUT', '/v1/sourcing-policy', { ...policy, rules: [] }, ['rules']],
        [
          'unknown rule',
          'PUT',
          '/v1/sourcing-policy',
          { ...policy, rules: ['cheapest'] },
          ['rules.0'],
        ],
        [
          'repeated rule',
          'PUT',
          '/v1/sourcing-policy',
          { ...policy, rules: ['nearest_whole', 'nearest_whole'] },
          ['rules.1'],
        ],
        [
          'no shipments',
          'PUT',
          '/v1/sourcing-policy',
          { ...policy, maxShipments: 0 },
          ['maxShipments'],
        ],
        [
          'zero radius',
          'PUT',
          '/v1/sourcing-policy',
          { ...policy, courierRadiusKm: 0 },
          ['courierRadiusKm'],
        ],
        [
          'unknown own-stock choice',
          'PUT',
          '/v1/sourcing-policy',
          { ...policy, endlessAisleOwnStock: 'maybe' },
          ['endlessAisleOwnStock'],
        ],
        [
          'missing fields',
          'PUT',
          '/v1/sourcing-policy',
          {},
          ['rules', 'allowSplit', 'maxShipments', 'courierRadiusKm', 'endlessAisleOwnStock'],
        ],
        ['rates not a list', 'PUT', '/v1/shipping-rates', { rates: {} }, ['rates']],
        [
          'a rate for pickup',
          'PUT',
          '/v1/shipping-rates',
          { rates: [{ method: 'pickup', currency: 'EUR', amount: 1 }] },
          ['rates.0.method'],
        ],
        [
          'unknown currency',
          'PUT',
          '/v1/shipping-rates',
          { rates: [{ method: 'ship', currency: 'XXX', amount: 1 }] },
          ['rates.0.currency'],
        ],
        [
          'negative amount',
          'PUT',
          '/v1/shipping-rates',
          { rates: [{ method: 'ship', currency: 'EUR', amount: -1 }] },
          ['rates.0.amount'],
        ],
        [
          'fractional amount',
          'PUT',
          '/v1/shipping-rates',
          { rates: [{ method: 'ship', currency: 'EUR', amount: 1.5 }] },
          ['rates.0.amount'],
        ],
        [
          'repeated rate',
          'PUT',
          '/v1/shipping-rates',
          {
            rates: [
              { method: 'ship', currency: 'EUR', amount: 1 },
              { method: 'ship', currency: 'EUR', amount: 2 },
            ],
          },
          ['rates.1.currency'],
        ],
      ],
      tables,
    )
  })

  it('refuses bad missing-item reports at the field', async () => {
    const placed = await placeOrder(t, keys.web, {
      customer,
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'ship', address: shipTo },
      payment: cash,
    })
    const url = `/v1/fulfillments/${placed.json().fulfillments[0].id}/missing`
    await expectRefusedWithoutWrites(
      t,
      [
        ['no lines', 'POST', url, { lines: [] }, ['lines']],
        ['no body fields', 'POST', url, {}, ['lines']],
        [
          'zero units',
          'POST',
          url,
          { lines: [{ sku: 'TEE-M', quantity: 0 }] },
          ['lines.0.quantity'],
        ],
        ['bad sku', 'POST', url, { lines: [{ sku: '-x', quantity: 1 }] }, ['lines.0.sku']],
        [
          'repeated sku',
          'POST',
          url,
          {
            lines: [
              { sku: 'TEE-M', quantity: 1 },
              { sku: 'TEE-M', quantity: 1 },
            ],
          },
          ['lines.1.sku'],
        ],
        [
          'unknown field',
          'POST',
          url,
          { lines: [{ sku: 'TEE-M', quantity: 1 }], where: 'x' },
          ['where'],
        ],
        [
          'more than held',
          'POST',
          url,
          { lines: [{ sku: 'TEE-M', quantity: 2 }] },
          ['lines.0.quantity'],
        ],
        [
          'not in the parcel',
          'POST',
          url,
          { lines: [{ sku: 'MUG-1', quantity: 1 }] },
          ['lines.0.sku'],
        ],
        ['broken JSON', 'POST', url, '{"lines": [', []],
      ],
      tables,
    )
  })
})
