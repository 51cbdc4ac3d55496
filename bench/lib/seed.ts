import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocation, createTouchpoints } from '../../test/process/fixtures.js'
import { runCommand, startServerProcess, type ServerOptions, type ServerProcess } from '../../test/support/server-process.js'

export type Seeded = { server: ServerProcess; key: string; seconds: number }

/**
 * A warehouse, a web touchpoint (through the API) and `stock` units of each SKU (through
 * `omnia import products|stock`, the bulk path an operator would use: thousands of rows a
 * second, where one HTTP receipt per SKU would take minutes on the embedded engine). The CLI
 * needs the embedded folder's lock, so the server is stopped around the imports.
 */
export async function seedThroughCli(options: ServerOptions, location: string, stock: ReadonlyMap<string, number>): Promise<Seeded> {
  const started = performance.now()
  const first = await startServerProcess(options)
  await createLocation(first.url, location, 'warehouse')
  const [web] = await createTouchpoints(first.url, location, ['web'], 'bench')
  await first.stop()

  const dir = mkdtempSync(join(tmpdir(), 'omnia-bench-csv-'))
  try {
    const skus = [...stock.keys()]
    const products = join(dir, 'products.csv')
    const counts = join(dir, 'stock.csv')
    const perProduct = 200
    writeFileSync(
      products,
      'handle,title,sku,price_amount,price_currency\n' +
        skus.map((sku, i) => `p${Math.floor(i / perProduct)},Product ${Math.floor(i / perProduct)},${sku},10.00,EUR\n`).join(''),
    )
    writeFileSync(counts, 'sku,location,quantity\n' + skus.map((sku) => `${sku},${location},${stock.get(sku)}\n`).join(''))
    for (const [kind, file] of [['products', products], ['stock', counts]] as const) {
      const run = await runCommand(['import', kind, file], options)
      if (run.code !== 0) throw new Error(`omnia import ${kind} failed (${run.code}):\n${run.stderr}${run.stdout}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  // BENCH_CPU_PROFILE=<dir>: the serving process writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_CPU_PROFILE
  const server = await startServerProcess({ ...options, nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [] })
  return { server, key: web!.key, seconds: (performance.now() - started) / 1000 }
}
