import type { AddressInfo } from 'node:net'
import vm from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { processPendingEvents } from './index.js'
import { storedEvents } from './testing.js'

type Omnia = {
  load(key: string, options: Record<string, unknown>): unknown
  page(name?: string): void
  track(event: string, properties?: Record<string, unknown>): void
  identify(userId: string, traits?: Record<string, unknown>): void
  productViewed(p: Record<string, unknown>): void
  productAdded(p: Record<string, unknown>): void
  wishlistAdded(p: Record<string, unknown>): void
  flush(): Promise<void>
  anonymousId(): string
}

/** localStorage as browsers implement it, shared between "page loads" of one test. */
function storage(): Storage {
  const data = new Map<string, string>()
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, String(v)),
    removeItem: (k: string) => void data.delete(k),
    clear: () => data.clear(),
    key: (i: number) => [...data.keys()][i] ?? null,
    get length() {
      return data.size
    },
  }
}

/** Runs the served script as a page would, with the globals it uses and Node's real fetch. */
function loadPage(script: string, localStorage: Storage, listeners: Map<string, () => void>): Omnia {
  const page = {
    location: { origin: 'https://shop.example', pathname: '/products/tee', search: '?ref=mail', href: 'https://shop.example/products/tee?ref=mail' },
    document: { cookie: '', title: 'Tee – Shop', referrer: 'https://mail.example/', visibilityState: 'visible' },
    navigator: { userAgent: 'Mozilla/5.0 (Kiosk)', language: 'el-GR' },
    localStorage,
    fetch,
    setTimeout,
    clearTimeout,
    crypto,
    TextEncoder,
    btoa,
    addEventListener: (type: string, fn: () => void) => listeners.set(type, fn),
  }
  const context = vm.createContext(page)
  vm.runInContext(script, context)
  return (context as unknown as { omnia: Omnia }).omnia
}

describe.each(engines)('The browser SDK against a real server on %s', (engine) => {
  let t: TestApp
  let host: string
  beforeAll(async () => {
    t = await startTestApp(engine)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    host = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  })
  afterAll(() => t.close())

  it('is served as a script whose events land in Omnia and resolve into one profile', async () => {
    await t.reset()
    expect((await t.call('POST', '/v1/channels', { code: 'kiosk-web', name: 'Kiosk', kind: 'web' })).statusCode).toBe(201)
    const key = (await t.call('POST', '/v1/keys', { kind: 'publishable', channel: 'kiosk-web' })).json().apiKey

    const served = await fetch(`${host}/sdk/omnia.js`)
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toMatch(/javascript/)
    const script = await served.text()
    expect(script.length).toBeLessThan(20_000)

    const local = storage()
    const listeners = new Map<string, () => void>()
    const omnia = loadPage(script, local, listeners)
    omnia.load(key, { host, flushIntervalMs: 20 })
    omnia.page()
    omnia.productViewed({ sku: 'TEE-M', price: 1990, currency: 'EUR' })
    omnia.productAdded({ sku: 'TEE-M', quantity: 1 })
    omnia.wishlistAdded({ sku: 'MUG' })
    await omnia.flush()
    const anonymousId = omnia.anonymousId()

    // The next page load keeps the visitor; they sign in there.
    const next = loadPage(script, local, listeners)
    next.load(key, { host, flushIntervalMs: 20 })
    expect(next.anonymousId()).toBe(anonymousId)
    next.identify('u-77', { email: 'Eleni@Example.com' })
    next.track('Checkout Started', { total: 1990 })
    // Leaving the page sends with keepalive; a flush afterwards finds the same events and the
    // server stores them once.
    listeners.get('pagehide')!()
    await next.flush()

    const events = await storedEvents(t.db)
    expect(events.map((e) => [e.type, e.event, e.channel])).toEqual([
      ['page', null, 'kiosk-web'],
      ['track', 'Product Viewed', 'kiosk-web'],
      ['track', 'Product Added', 'kiosk-web'],
      ['track', 'Product Added to Wishlist', 'kiosk-web'],
      ['identify', null, 'kiosk-web'],
      ['track', 'Checkout Started', 'kiosk-web'],
    ])
    expect(events.every((e) => e.anonymous_id === anonymousId)).toBe(true)
    expect(events[1]!.properties).toEqual({ sku: 'TEE-M', price: 1990, currency: 'EUR' })
    expect(local.getItem(`omnia.queue.${key.slice(0, 12)}`)).toBeNull()

    await processPendingEvents(t.db, t.clock)
    const profiles = new Set((await storedEvents(t.db)).map((e) => e.profile_id))
    expect(profiles.size).toBe(1)
    const [profileId] = profiles
    const profile = (await t.call('GET', `/v1/customers/${profileId}`)).json()
    expect(JSON.stringify(profile.identities)).toContain('eleni@example.com')
  })

  it('answers CORS preflights and tracking calls from another origin', async () => {
    const preflight = await fetch(`${host}/v1/batch`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization')
    const refused = await fetch(`${host}/v1/batch`, { method: 'POST', headers: { origin: 'https://shop.example', 'content-type': 'application/json' }, body: '{}' })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('access-control-allow-origin')).toBe('*')
    // Other routes stay same-origin for browsers.
    const other = await fetch(`${host}/v1/products`, { headers: { origin: 'https://shop.example' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })
})
