import { httpRequest, type Reply } from '../support/server-process.js'

/**
 * A small retailer built through the public API of a running server: what the process suites and
 * the benchmarks stand on. Every helper fails loudly with the server's answer, so a contract
 * change shows up as a clear message rather than as a wrong figure later.
 */

export type Touchpoint = { code: string; kind: string; key: string }

function expectStatus<T>(reply: Reply<T>, statuses: number[], what: string): T {
  if (!statuses.includes(reply.status)) {
    throw new Error(`${what} answered ${reply.status}: ${JSON.stringify(reply.body)}`)
  }
  return reply.body
}

export async function createLocation(url: string, code: string, kind: 'store' | 'warehouse' | 'dark_store' = 'store') {
  const reply = await httpRequest(url, 'POST', '/v1/locations', {
    code,
    name: `Location ${code}`,
    kind,
    address: { line1: `${code} street 1`, city: 'Tehran', country: 'IR' },
    geo: { lat: 35.7, lng: 51.4 },
    capabilities: { shipFrom: true, pickup: true, acceptReturns: true },
  })
  return expectStatus(reply, [201], `POST /v1/locations ${code}`)
}

/** A channel per kind; pos and kiosk are tied to `store`. Returns each touchpoint's key. */
export async function createTouchpoints(url: string, store: string, kinds: readonly string[], prefix = 'tp'): Promise<Touchpoint[]> {
  const made: Touchpoint[] = []
  for (const kind of kinds) {
    const code = `${prefix}-${kind}`
    const body = {
      code,
      name: `${kind} touchpoint`,
      kind,
      ...(kind === 'pos' || kind === 'kiosk' ? { location: store } : {}),
    }
    const created = expectStatus(await httpRequest(url, 'POST', '/v1/channels', body), [201], `POST /v1/channels ${code}`)
    made.push({ code, kind, key: created.apiKey })
  }
  return made
}

/**
 * Makes the SKUs sellable: a catalog product per chunk of SKUs when the catalog answers, then a
 * receipt of `quantity` units of each at `location`.
 */
export async function stockSkus(
  url: string,
  location: string,
  skus: readonly string[],
  quantity: number,
  concurrency = 16,
): Promise<void> {
  const chunks: string[][] = []
  for (let i = 0; i < skus.length; i += 200) chunks.push(skus.slice(i, i + 200))
  await inParallel(chunks, Math.min(concurrency, 4), async (chunk, i) => {
    const reply = await httpRequest(url, 'POST', '/v1/products', {
      title: `Product ${i} ${chunk[0]}`,
      variants: chunk.map((sku) => ({ sku, price: { amount: 1000, currency: 'EUR' } })),
    })
    expectStatus(reply, [201, 404], `POST /v1/products ${chunk[0]}`)
  })
  await inParallel(skus, concurrency, async (sku) => {
    await receive(url, sku, location, quantity)
  })
}

export async function receive(url: string, sku: string, location: string, quantity: number) {
  const reply = await httpRequest(url, 'POST', '/v1/inventory/movements', {
    sku,
    location,
    kind: 'receipt',
    quantity,
    reason: 'process test receipt',
  })
  return expectStatus(reply, [200, 201], `POST /v1/inventory/movements ${sku}`)
}

export type StockView = {
  sku: string
  available: number
  locations: { location: string; onHand: number; reserved: number; safetyStock: number; available: number }[]
}

export async function stockOf(url: string, sku: string): Promise<StockView> {
  return expectStatus(await httpRequest<StockView>(url, 'GET', `/v1/inventory/${encodeURIComponent(sku)}`), [200], `GET stock ${sku}`)
}

export type LedgerEntry = { id: string; quantity: number; location?: string; kind?: string } & Record<string, unknown>

/** Every ledger entry of a SKU, following `nextCursor` to the end. */
export async function ledgerOf(url: string, sku: string): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = []
  let cursor: string | null = null
  do {
    const query: string = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100'
    const page = expectStatus(
      await httpRequest<{ data: LedgerEntry[]; nextCursor: string | null }>(url, 'GET', `/v1/inventory/${encodeURIComponent(sku)}/ledger${query}`),
      [200],
      `GET ledger ${sku}`,
    )
    entries.push(...page.data)
    cursor = page.nextCursor
  } while (cursor)
  return entries
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<unknown>) {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      await work(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
