#!/usr/bin/env node
import { loadConfig, type Config } from './config.js'
import { DataDirInUseError } from './kernel/db/index.js'

const usage = `omnia — omnichannel commerce and customer engine

Usage:
  omnia serve                          start the server (HTTP API and workers)
  omnia migrate                        apply pending migrations and exit
  omnia demo load                      load the demo retailer (keys written to <data>/demo-keys.json)
  omnia import products <file.csv>     import products, variants and prices
  omnia import stock <file.csv>        import stock counts per SKU and location
  omnia keys create --role R [--name N] [--location L]
  omnia keys create --channel C        a new key for an existing channel's touchpoint
  omnia keys list
  omnia keys revoke <id|prefix>

Settings come from the environment: PORT, HOST, OMNIA_DATA_DIR, DATABASE_URL, OMNIA_ADMIN_KEY,
OMNIA_DEMO, LOG_LEVEL (see README).`

/**
 * The demo takes cards out of the box: with no provider named, the bundled test provider
 * (Stripe's test card numbers) runs in this process on a free local port, its webhooks signed
 * with the configured secret and sent to this server. The payment adapter reads the provider's
 * address from the environment, as it does for a real one.
 */
async function bundledProvider(config: Config) {
  if (!config.demo || process.env.OMNIA_PAYMENT_PROVIDER_URL) return null
  const { startProviderServer } = await import('./adapters/payment-test/server.js')
  const provider = await startProviderServer({
    webhookUrl: `http://127.0.0.1:${config.port}/webhooks/payments/test-provider`,
    webhookSecret: config.paymentWebhookSecret,
  })
  process.env.OMNIA_PAYMENT_PROVIDER_URL = provider.url
  return provider
}

async function serve() {
  // Loaded here, not at the top: the other commands start faster without the HTTP stack.
  const { makeLogger, startServer } = await import('./server.js')
  const provider = await bundledProvider(loadConfig())
  // Read again: with the bundled provider's address, when it runs.
  const config = loadConfig()
  const logger = makeLogger(config.logLevel)
  const runtime = await startServer(config, logger)
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`
  const where = runtime.engine.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL server'
  process.stdout.write(
    `\nOmnia is running on ${where}\n  API   ${base}/v1\n  Docs  ${base}/docs\n` +
      (config.demo ? `  Demo keys: ${config.dataDir}/demo-keys.json\n` : '') +
      (provider
        ? `  Cards: the bundled test provider at ${provider.url}\n` +
          '         (4242 4242 4242 4242 approves, 4000 0000 0000 0002 declines)\n'
        : '') +
      '\n',
  )
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down')
    Promise.all([runtime.stop(), provider?.close()]).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
}

async function main(argv: string[]) {
  const [command, ...rest] = argv
  switch (command) {
    case 'serve':
    case undefined:
      return serve()
    case 'migrate':
    case 'demo':
    case 'import':
    case 'keys': {
      const { runCli } = await import('./cli/index.js')
      return runCli(command, rest)
    }
    case '--help':
    case 'help':
      process.stdout.write(`${usage}\n`)
      return
    default:
      process.stderr.write(`Unknown command ${command}\n\n${usage}\n`)
      process.exitCode = 2
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof DataDirInUseError) {
    process.stderr.write(`${err.message}\n`)
    process.exit(3)
  }
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
