import { browserHost } from './browser.js'
import { createClient, type Client, type LoadOptions } from './client.js'

export { createClient, version, type Client, type Host, type LoadOptions, type PageInfo, type Properties } from './client.js'
export { EventQueue, type Message, type QueueOptions } from './queue.js'
export { cookieStore, memoryStore, type KeyValueStore } from './storage.js'

let client: Client | null = null

function loaded(): Client {
  if (!client) throw new Error('Call omnia.load(writeKey) first')
  return client
}

/**
 * The page's tracker: `omnia.load(publishableKey, { host })`, then `page()`, `track()`,
 * `identify()` and the e-commerce helpers. Loading twice keeps the first tracker.
 */
export const omnia = {
  load(writeKey: string, options: LoadOptions = {}): Client {
    client ??= createClient(writeKey, { host: location.origin, ...options }, browserHost())
    return client
  },
  page: (...args: Parameters<Client['page']>) => loaded().page(...args),
  track: (...args: Parameters<Client['track']>) => loaded().track(...args),
  identify: (...args: Parameters<Client['identify']>) => loaded().identify(...args),
  productViewed: (product: Record<string, unknown>) => loaded().productViewed(product),
  productAdded: (product: Record<string, unknown>) => loaded().productAdded(product),
  wishlistAdded: (product: Record<string, unknown>) => loaded().wishlistAdded(product),
  flush: () => loaded().flush(),
  reset: () => loaded().reset(),
  anonymousId: () => loaded().anonymousId(),
}

export default omnia
