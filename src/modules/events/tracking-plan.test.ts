import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { expectRefusedWithoutWrites } from '../../../test/support/bad-requests.js'
import { engines } from '../../../test/support/engines.js'
import { configurationChanged } from '../../kernel/config-cache.js'
import { basicAuth, eventCount, storedEvents } from './testing.js'

const productViewed = {
  type: 'object',
  required: ['sku', 'price'],
  properties: {
    sku: { type: 'string', pattern: '^[A-Z]+-[0-9]+$' },
    price: { type: 'number', minimum: 0 },
    currency: { enum: ['EUR', 'IRR'] },
    tags: { type: 'array', maxItems: 3, items: { type: 'string', minLength: 1 } },
    variant: { type: 'object', properties: { size: { type: 'string', enum: ['S', 'M', 'L'] } }, additionalProperties: false },
  },
}

describe.each(engines)('Tracking plan on %s', (engine) => {
  let t: TestApp
  let web: string
  const send = (path: string, body: unknown) => t.call('POST', path, body, { key: null, headers: basicAuth(web) })
  const putSchema = (event: string, body: unknown, key?: string) =>
    t.call('PUT', `/v1/tracking-plan/events/${encodeURIComponent(event)}`, body, key ? { key } : {})
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    configurationChanged()
    web = await t.touchpointKey('web', 'web-shop')
  })

  it('records violations of an event in record mode and stores the event', async () => {
    const put = await putSchema('Product Viewed', { schema: productViewed })
    expect(put.statusCode, put.body).toBe(200)
    expect(put.json()).toMatchObject({ event: 'Product Viewed', mode: null, effectiveMode: 'record' })
    const good = { type: 'track', anonymousId: 'a', event: 'Product Viewed', messageId: 'ok', properties: { sku: 'TS-1', price: 12.5, tags: ['new'], variant: { size: 'M' } } }
    const bad = {
      type: 'track',
      anonymousId: 'a',
      event: 'Product Viewed',
      messageId: 'bad',
      properties: { sku: 'ts 1', price: -1, currency: 'USD', tags: ['a', '', 'c', 'd'], variant: { size: 'XL', colour: 'red' } },
    }
    const other = { type: 'track', anonymousId: 'a', event: 'Unplanned', messageId: 'free', properties: { anything: true } }
    expect((await send('/v1/batch', { batch: [good, bad, other] })).statusCode).toBe(200)
    // A re-send is stored once, and so is its violation.
    expect((await send('/v1/batch', { batch: [bad] })).statusCode).toBe(200)
    expect((await storedEvents(t.db)).map((e) => e.message_id)).toEqual(['ok', 'bad', 'free'])

    const counts = (await t.call('GET', '/v1/tracking-plan/violations')).json()
    expect(counts).toEqual({ data: [{ event: 'Product Viewed', count: 1, lastSeenAt: '2026-03-01T10:00:00.000Z' }], nextCursor: null })
    const list = (await t.call('GET', `/v1/tracking-plan/violations/${encodeURIComponent('Product Viewed')}`)).json()
    expect(list.data).toHaveLength(1)
    expect(list.data[0]).toMatchObject({ messageId: 'bad', channel: 'web-shop' })
    expect(list.data[0].errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'properties.currency',
      'properties.price',
      'properties.sku',
      'properties.tags',
      'properties.tags.1',
      'properties.variant.colour',
      'properties.variant.size',
    ])
  })

  it('rejects the whole call in reject mode with the paths Segment clients see, storing nothing', async () => {
    await putSchema('Order Completed', { schema: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' }, total: { type: 'integer' } } }, mode: 'reject' })
    const batch = [
      { type: 'page', anonymousId: 'a', name: 'Checkout' },
      { type: 'track', anonymousId: 'a', event: 'Order Completed', properties: { total: 10.5 } },
    ]
    const res = await send('/v1/batch', { batch })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['batch.1.properties.orderId', 'batch.1.properties.total'])
    const single = await send('/v1/track', { userId: 'u', event: 'Order Completed', properties: { orderId: 7 } })
    expect(single.statusCode).toBe(400)
    expect(single.json().errors).toEqual([{ path: 'properties.orderId', message: 'must be string, not integer' }])
    expect(await eventCount(t.db)).toBe(0)
    expect((await t.call('GET', '/v1/tracking-plan/violations')).json().data).toEqual([])
    expect((await send('/v1/track', { userId: 'u', event: 'Order Completed', properties: { orderId: 'o-1', total: 10 } })).statusCode).toBe(200)
    expect(await eventCount(t.db)).toBe(1)
  })

  it('applies the plan default to events without their own mode, and shows the plan', async () => {
    await putSchema('Signed Up', { schema: { type: 'object', required: ['method'] } })
    await putSchema('Searched', { schema: { type: 'object' }, mode: 'record' })
    expect((await t.call('PUT', '/v1/tracking-plan', { mode: 'reject' })).statusCode).toBe(200)
    expect((await send('/v1/track', { userId: 'u', event: 'Signed Up' })).statusCode).toBe(400)
    const plan = (await t.call('GET', '/v1/tracking-plan')).json()
    expect(plan.mode).toBe('reject')
    expect(plan.events.map((e: { event: string; effectiveMode: string }) => [e.event, e.effectiveMode])).toEqual([
      ['Searched', 'record'],
      ['Signed Up', 'reject'],
    ])
    expect((await t.call('DELETE', '/v1/tracking-plan/events/Signed%20Up')).statusCode).toBe(200)
    expect((await send('/v1/track', { userId: 'u', event: 'Signed Up' })).statusCode).toBe(200)
    expect((await t.call('DELETE', '/v1/tracking-plan/events/Signed%20Up')).statusCode).toBe(404)
    const audit = (await t.call('GET', '/v1/audit?resource=tracking_schema')).json().data
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['tracking_plan.schema_removed', 'tracking_plan.schema_set', 'tracking_plan.schema_set'])
  })

  it('is changed by staff only: touchpoints and analysts are refused', async () => {
    const analyst = await t.staffKey('analyst')
    expect((await putSchema('X', { schema: {} }, web)).statusCode).toBe(403)
    expect((await putSchema('X', { schema: {} }, analyst)).statusCode).toBe(403)
    expect((await t.call('GET', '/v1/tracking-plan', undefined, { key: analyst })).statusCode).toBe(200)
    expect((await putSchema('X', { schema: {} }, await t.staffKey('marketer'))).statusCode).toBe(200)
  })

  it('refuses schemas outside the supported subset, naming the keyword', async () => {
    const url = '/v1/tracking-plan/events/X'
    await expectRefusedWithoutWrites(
      t,
      [
        ['unknown keyword', 'PUT', url, { schema: { oneOf: [] } }, ['schema.oneOf']],
        ['bad type', 'PUT', url, { schema: { type: 'text' } }, ['schema.type']],
        ['nested bad pattern', 'PUT', url, { schema: { properties: { a: { items: { pattern: '(' } } } } }, ['schema.properties.a.items.pattern']],
        ['negative length', 'PUT', url, { schema: { minLength: -1 } }, ['schema.minLength']],
        ['required not a list', 'PUT', url, { schema: { required: 'a' } }, ['schema.required']],
        ['no schema', 'PUT', url, {}, ['schema']],
        ['bad mode', 'PUT', url, { schema: {}, mode: 'drop' }, ['mode']],
        ['bad plan mode', 'PUT', '/v1/tracking-plan', { mode: 'strict' }, ['mode']],
      ],
      ['events.tracking_schema', 'events.tracking_plan'],
    )
  })
})
