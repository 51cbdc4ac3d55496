import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { expectRefusedWithoutWrites, type BadRequest } from '../../../test/support/bad-requests.js'
import { engines } from '../../../test/support/engines.js'
import { createSegmentVia } from './testing.js'

const S = '/v1/segments'
const segment = (rule: unknown) => ({ name: 'x', rule })
const views = { type: 'behaviour', event: 'product_viewed' }
const count = { name: 'n', source: { events: ['order.placed'] }, aggregate: { op: 'count' } }

const cases = (existing: string): BadRequest[] => [
  ['malformed JSON', 'POST', S, '{"name": ', []],
  ['no rule', 'POST', S, { name: 'x' }, ['rule']],
  ['an unknown rule type', 'POST', S, segment({ type: 'magic' }), ['rule.type']],
  ['an empty and', 'POST', S, segment({ type: 'and', rules: [] }), ['rule.rules']],
  ['a bad nested count', 'POST', S, segment({ type: 'or', rules: [views, { type: 'not', rule: { ...views, atLeast: 0 } }] }), ['rule.rules.1.rule.atLeast']],
  ['atMost below atLeast', 'POST', S, segment({ ...views, atLeast: 3, atMost: 2 }), ['rule.atMost']],
  ['a fractional window', 'POST', S, segment({ ...views, withinDays: 1.5 }), ['rule.withinDays']],
  ['an unknown identity kind', 'POST', S, segment({ type: 'identity', kind: 'fax' }), ['rule.kind']],
  ['an unknown consent channel', 'POST', S, segment({ type: 'consent', channel: 'pigeon', purpose: 'marketing' }), ['rule.channel']],
  ['in without a list', 'POST', S, segment({ type: 'trait', name: 'orderCount', op: 'in', value: 3 }), ['rule.value']],
  ['exists with a value', 'POST', S, segment({ type: 'trait', name: 'orderCount', op: 'exists', value: 3 }), ['rule.value']],
  ['withinDays of text', 'POST', S, segment({ type: 'trait', name: 'lastOrderAt', op: 'withinDays', value: 'week' }), ['rule.value']],
  ['an unknown field in a rule', 'POST', S, segment({ ...views, often: true }), ['rule.often']],
  ['a filter outside properties', 'POST', S, segment({ ...views, where: [{ path: 'channel', op: 'eq', value: 'app' }] }), ['rule.where.0.path']],
  ['an eq filter without value', 'POST', S, segment({ ...views, where: [{ path: 'properties.sku', op: 'eq' }] }), ['rule.where.0.value']],
  ['an empty filter list', 'POST', S, segment({ ...views, where: [] }), ['rule.where']],
  ['notSince without event', 'POST', S, segment({ ...views, notSince: { channel: 'web' } }), ['rule.notSince.event']],
  ['a missing segment', 'POST', S, segment({ type: 'and', rules: [views, { type: 'segment', segmentId: 'seg_gone' }] }), ['rule.rules.1.segmentId']],
  ['a segment reading itself', 'PUT', `${S}/${existing}`, segment({ type: 'segment', segmentId: existing }), ['rule.segmentId']],
  ['too deep a rule', 'POST', S, segment([...Array(9)].reduce((r) => ({ type: 'not', rule: r }), views)), ['rule']],
  ['a preview without rule', 'POST', `${S}/preview`, { sampleSize: 3 }, ['rule']],
  ['a preview sample too big', 'POST', `${S}/preview`, { rule: views, sampleSize: 1000 }, ['sampleSize']],
  ['counts over too many days', 'GET', `${S}/${existing}/counts?days=1000`, undefined, ['query.days']],
  ['a trait name with spaces', 'POST', '/v1/traits/definitions', { ...count, name: 'my trait' }, ['name']],
  ['a trait without events', 'POST', '/v1/traits/definitions', { ...count, source: { events: [] } }, ['source.events']],
  ['a sum without path', 'POST', '/v1/traits/definitions', { ...count, aggregate: { op: 'sum' } }, ['aggregate.path']],
  ['a path outside facts', 'POST', '/v1/traits/definitions', { ...count, aggregate: { op: 'max', path: 'payload.x' } }, ['aggregate.path']],
  ['a bad filter op', 'POST', '/v1/traits/definitions', { ...count, source: { events: ['x'], where: [{ path: 'channel', op: 'like', value: 'a' }] } }, ['source.where.0.op']],
]

describe.each(engines)('segment bad input on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(() => t.reset())

  it('refuses each bad request with the exact field paths, writing nothing', async () => {
    const existing = await createSegmentVia(t, views)
    await expectRefusedWithoutWrites(t, cases(existing), ['segments.segment', 'segments.trait_definition', 'segments.membership', 'kernel.outbox'])
  })

  it('lets marketers manage segments but not trait definitions, and analysts only read', async () => {
    const marketer = await t.staffKey('marketer')
    const analyst = await t.staffKey('analyst')
    expect((await t.call('POST', S, segment(views), { key: marketer })).statusCode).toBe(201)
    expect((await t.call('POST', '/v1/traits/definitions', count, { key: marketer })).statusCode).toBe(403)
    expect((await t.call('GET', S, undefined, { key: analyst })).statusCode).toBe(200)
    expect((await t.call('POST', `${S}/preview`, { rule: views }, { key: analyst })).statusCode).toBe(403)
  })
})
