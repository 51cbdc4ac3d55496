import type { Config } from '../config.js'
import { systemClock } from '../kernel/clock.js'
import { loadDemo, writeDemoKeys } from '../demo/index.js'
import { CommandFailed, parseCommand, UsageError } from './args.js'
import { describeDatabase, withDatabase } from './database.js'

export const demoUsage = `Usage: omnia demo load

Loads the demo retailer, Anemone (a fashion and lifestyle brand): two warehouses, stores in
Athens, Thessaloniki and Tehran, eight channels (web, app, a POS per store, a kiosk, Instagram,
a call centre), about 200 products with sizes and colours, EUR prices, stock, and related
products. The same data on every machine.

Its API keys (one per touchpoint, and staff keys: admin, manager, a clerk per store, agent,
marketer, analyst) are written to <OMNIA_DATA_DIR>/demo-keys.json, readable by you only.

The demo loads only into an empty database (one without locations); it never mixes with real
data. The embedded server loads it on its first start unless OMNIA_DEMO=0.`

/** `omnia demo load`. */
export async function runDemo(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${demoUsage}\n`)
    return
  }
  if (sub !== 'load')
    throw new UsageError(sub ? `unknown demo command ${sub}` : 'missing demo command', demoUsage)
  if (!parseCommand(rest, demoUsage, {})) return
  const summary = await withDatabase(config, ({ db }) => loadDemo(db, systemClock))
  if (!summary) {
    throw new CommandFailed(
      `The demo loads only into an empty database, and ${describeDatabase(config)} already has data (locations).`,
    )
  }
  const keysFile = writeDemoKeys(config.dataDir, summary.keys)
  process.stdout.write(
    `Loaded the demo retailer into ${describeDatabase(config)}: ${summary.locations} locations, ` +
      `${summary.channels} channels, ${summary.products} products (${summary.variants} variants), ` +
      `${summary.stockRows} stock rows.\nDemo keys: ${keysFile}\n`,
  )
}
