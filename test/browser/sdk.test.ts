import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { processPendingEvents } from '../../src/modules/events/index.js'
import { storedEvents } from '../../src/modules/events/testing.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { chromiumPath, launchChromium } from '../support/chromium.js'
import { engines } from '../support/engines.js'

/** What the served script defines as `window.omnia`, as far as these tests drive it. */
type Tracker = {
  anonymousId(): string
  identify(userId: string, traits?: Record<string, unknown>): void
  track(event: string, properties?: Record<string, unknown>): void
}
declare global {
  interface Window {
    omnia: Tracker
  }
}

/**
 * The tracker in a real browser: a shop on its own origin loads the script Omnia serves, so
 * CORS preflights, localStorage, `pagehide` and keepalive requests are Chromium's own.
 */

/** A storefront page: loads the served script and tracks; `?flush=` sets the batching delay. */
function shopPage(host: string, key: string, path: string): string {
  const product = path.startsWith('/products/') ? `omnia.productViewed({ sku: 'TEE-M', price: 1990, currency: 'EUR' })` : ''
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Tee – Shop</title>
<script src="${host}/sdk/omnia.js"></script>
<script>
  const flush = Number(new URLSearchParams(location.search).get('flush') || 50)
  omnia.load(${JSON.stringify(key)}, { host: ${JSON.stringify(host)}, flushIntervalMs: flush, backoffMs: 100, maxBackoffMs: 200 })
  omnia.page()
  ${product}
</script></head>
<body><button id="add" onclick="omnia.productAdded({ sku: 'TEE-M', quantity: 1 })">Add to cart</button></body></html>`
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const until = Date.now() + 10_000
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe.skipIf(!chromiumPath).each(engines)('the browser tracker in Chromium on %s', (engine) => {
  let t: TestApp
  let host: string
  let shop: http.Server
  let shopUrl: string
  let key: string
  let browser: Browser
  let context: BrowserContext

  beforeAll(async () => {
    t = await startTestApp(engine)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    host = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    shop = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://shop').pathname
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(shopPage(host, key, path))
    })
    await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r))
    // localhost and 127.0.0.1 are different origins: every batch is a cross-origin request.
    shopUrl = `http://localhost:${(shop.address() as AddressInfo).port}`
    browser = await launchChromium()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    shop?.close()
    await t?.close()
  })
  beforeEach(async () => {
    await t.reset()
    expect((await t.call('POST', '/v1/channels', { code: 'web', name: 'Web shop', kind: 'web' })).statusCode).toBe(201)
    key = (await t.call('POST', '/v1/keys', { kind: 'publishable', channel: 'web' })).json().apiKey
    context = await browser.newContext()
  })
  afterEach(() => context.close())

  const stored = () => storedEvents(t.db)
  const named = (events: Awaited<ReturnType<typeof stored>>) => events.map((e) => e.event ?? e.type)

  it('tracks across page loads with one anonymous id, and delivers on leaving the page', async () => {
    const page = await context.newPage()
    await page.goto(`${shopUrl}/products/tee`)
    await eventually(stored, (e) => e.length === 2, 'the page view and product view')
    const anonymousId = await page.evaluate(() => window.omnia.anonymousId())
    expect(anonymousId).toMatch(/^[0-9a-f-]{36}$/)

    // A later page with a minute's batching: only the pagehide keepalive can send the click.
    await page.goto(`${shopUrl}/cart?flush=60000`)
    expect(await page.evaluate(() => window.omnia.anonymousId())).toBe(anonymousId)
    await page.click('#add')
    await page.goto('about:blank')
    const events = await eventually(stored, (e) => named(e).includes('Product Added'), 'the keepalive batch')

    expect(named(events)).toEqual(['page', 'Product Viewed', 'page', 'Product Added'])
    expect(events.every((e) => e.anonymous_id === anonymousId && e.channel === 'web')).toBe(true)
    expect(events[1]!.properties).toEqual({ sku: 'TEE-M', price: 1990, currency: 'EUR' })
    expect(events[0]!.properties).toMatchObject({ path: '/products/tee', title: 'Tee – Shop', url: `${shopUrl}/products/tee` })
  })

  it('retries through server errors and stores each event once, then resolves the visitor', async () => {
    let refused = 0
    // The first two batches meet a failing server; the tracker backs off and sends again.
    await context.route(`${host}/v1/batch`, async (route) => {
      if (route.request().method() === 'POST' && refused < 2) {
        refused++
        return route.fulfill({ status: 503, headers: { 'access-control-allow-origin': '*' }, body: '' })
      }
      return route.continue()
    })
    const page = await context.newPage()
    await page.goto(`${shopUrl}/products/tee`)
    const anonymousId = await page.evaluate(() => {
      const omnia = window.omnia
      omnia.identify('u-9', { email: 'Eleni@Example.com' })
      omnia.track('Checkout Started', { total: 1990 })
      return omnia.anonymousId()
    })
    // This visitor's events only: the previous test's keepalive batch may still land after the
    // reset (Chromium sends it on its own schedule, with the page already gone).
    const mine = async () => (await stored()).filter((e) => e.anonymous_id === anonymousId)
    const events = await eventually(mine, (e) => e.length >= 4, 'the retried batches')
    expect(refused).toBe(2)
    expect(named(events)).toEqual(['page', 'Product Viewed', 'identify', 'Checkout Started'])
    expect(new Set(events.map((e) => e.message_id)).size).toBe(4)
    expect(events[2]!.user_id).toBe('u-9')

    await processPendingEvents(t.db, t.clock)
    const profiles = new Set((await mine()).map((e) => e.profile_id))
    expect(profiles.size).toBe(1)
    const profile = (await t.call('GET', `/v1/customers/${[...profiles][0]}`)).json()
    expect(profile.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`)).toEqual(
      expect.arrayContaining(['email:eleni@example.com', 'user_id:u-9', `anonymous_id:${events[0]!.anonymous_id}`]),
    )
  })
})
