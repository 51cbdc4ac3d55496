import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../test/support/db.js'
import { engines } from '../../test/support/engines.js'
import { repoRoot } from '../../test/support/server-process.js'
import { loadConfig } from '../config.js'
import { authenticate } from '../kernel/auth/index.js'
import { systemClock } from '../kernel/clock.js'
import { openEngine, type EngineKind } from '../kernel/db/index.js'
import { assemble } from '../server.js'

type Run = { code: number | null; stdout: string; stderr: string }

/** Runs `omnia …` the way a user does, through bin/omnia.js, in its own process. */
function omnia(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const { DATABASE_URL: _url, OMNIA_DATA_DIR: _dir, ...inherited } = process.env
  const child = spawn(process.execPath, [join(repoRoot, 'bin/omnia.js'), ...args], {
    cwd: repoRoot,
    env: { ...inherited, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

describe.each(engines)('omnia CLI on %s', (engine: EngineKind) => {
  let dataDir: string
  let database: TestDatabase | undefined
  let env: Record<string, string>
  const run = (...args: string[]) => omnia(env, ...args)

  type Get = (path: string) => Promise<{ status: number; body: any }>

  /** Reads through the real HTTP app on the same database (as the demo admin), between commands. */
  async function inspect(work: (get: Get) => Promise<void>) {
    const opened = await openEngine<any>({ databaseUrl: env.DATABASE_URL, dataDir, poolSize: 1 })
    const { app } = await assemble(
      opened,
      { ...loadConfig({}), demo: false },
      pino({ level: 'silent' }),
    )
    const admin = JSON.parse(readFileSync(join(dataDir, 'demo-keys.json'), 'utf8')).staff.admin
      .apiKey
    try {
      await work(async (path) => {
        const reply = await app.inject({
          method: 'GET',
          url: path,
          headers: { authorization: `Bearer ${admin}` },
        })
        return { status: reply.statusCode, body: reply.json() }
      })
    } finally {
      await app.close()
      await opened.close()
    }
  }

  async function keyWorks(apiKey: string) {
    const opened = await openEngine<any>({ databaseUrl: env.DATABASE_URL, dataDir, poolSize: 1 })
    try {
      return await authenticate(opened.db, systemClock, apiKey)
    } finally {
      await opened.close()
    }
  }

  const csv = (name: string, text: string) => {
    const path = join(dataDir, name)
    writeFileSync(path, text)
    return path
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'omnia-cli-'))
    env = { OMNIA_DATA_DIR: dataDir }
    if (engine === 'postgres') {
      database = await openTestDatabase('postgres', 1)
      env.DATABASE_URL = database.url!
    }
  })
  afterAll(async () => {
    await database?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('migrates, then reports the schema as current', async () => {
    await run('migrate')
    const again = await run('migrate')
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('up to date') })
  })

  it('exits 2 with the usage for a wrong command line, touching nothing', async () => {
    const cases = [
      ['keys', 'create'],
      ['keys', 'create', '--role', 'wizard'],
      ['import', 'products'],
      ['import', 'products', 'a.csv', '--bogus'],
      ['frobnicate'],
    ]
    const results = await Promise.all(cases.map((args) => run(...args)))
    results.forEach((r, i) =>
      expect({ args: cases[i], code: r.code }).toEqual({ args: cases[i], code: 2 }),
    )
    expect(results[1]!.stderr).toContain('--role must be one of admin, manager, clerk')
    expect(results[2]!.stderr).toContain('Usage: omnia import products <file.csv>')
    const help = await run('import', 'stock', '--help')
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('low_stock_threshold') })
  })

  it('creates a staff key that authenticates, lists it without its secret, and revokes it', async () => {
    const created = await run('keys', 'create', '--role', 'clerk', '--name', 'Maria', '--json')
    expect(created.code).toBe(0)
    const key = JSON.parse(created.stdout)
    expect(key).toMatchObject({
      kind: 'staff',
      role: 'clerk',
      name: 'Maria',
      apiKey: expect.stringMatching(/^omk_/),
    })
    expect(await keyWorks(key.apiKey)).toMatchObject({
      kind: 'staff',
      role: 'clerk',
      name: 'Maria',
    })

    const listed = await run('keys', 'list')
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(
      new RegExp(`${key.prefix}\\s+${key.id}\\s+staff\\s+clerk\\s+Maria\\s+active`),
    )
    expect(listed.stdout).not.toContain(key.apiKey)

    const revoked = await run('keys', 'revoke', key.prefix)
    expect(revoked).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`Revoked key ${key.prefix}`),
    })
    expect(await keyWorks(key.apiKey)).toBeNull()
    const json = JSON.parse((await run('keys', 'list', '--json')).stdout)
    expect(json.find((k: { id: string }) => k.id === key.id).revokedAt).not.toBeNull()

    const unknown = await run('keys', 'revoke', 'omk_nothere')
    expect(unknown).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('No key omk_nothere'),
    })
  })

  it('loads the demo once and writes its keys for the owner only', async () => {
    const loaded = await run('demo', 'load')
    expect(loaded.code).toBe(0)
    expect(loaded.stdout).toMatch(/6 locations, 8 channels, 200 products/)
    const file = join(dataDir, 'demo-keys.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const again = await run('demo', 'load')
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('already has data') })
  })

  it('makes a key for an existing channel and refuses an unknown one', async () => {
    const made = await run('keys', 'create', '--channel', 'pos-athens', '--json')
    expect(made.code).toBe(0)
    const principal = await keyWorks(JSON.parse(made.stdout).apiKey)
    expect(principal).toMatchObject({
      kind: 'touchpoint',
      channel: { code: 'pos-athens', kind: 'pos' },
      location: 'store-athens',
    })
    expect(await run('keys', 'create', '--channel', 'nowhere')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('No channel nowhere'),
    })
  })

  it('imports the example products, then the example stock, with the figures of the files', async () => {
    const products = await run('import', 'products', 'examples/products.csv')
    expect(products.stderr).toMatch(/importing: 100% 14\/14 rows/)
    expect(products).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Imported 5 products (14 variant rows)'),
    })
    const stock = await run('import', 'stock', 'examples/stock.csv')
    expect(stock).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Imported 18 stock rows'),
    })

    await inspect(async (get) => {
      const shirt = await get('/v1/products/by-sku/EX-KLS-WHT-M')
      expect(shirt.status).toBe(200)
      expect(shirt.body).toMatchObject({
        title: 'Kyma Linen Shirt',
        description: 'Garment-dyed linen, cut loose. Our "everyday" shirt.',
        categories: ['men-shirts'],
        attributes: { material: 'Linen' },
      })
      expect(shirt.body.variants).toHaveLength(6)
      expect(
        shirt.body.variants.find((v: { sku: string }) => v.sku === 'EX-KLS-WHT-M'),
      ).toMatchObject({
        barcode: '5209990000020',
        options: { size: 'M', colour: 'white' },
        weightGrams: 240,
        prices: [expect.objectContaining({ amount: 6490, currency: 'EUR' })],
      })
      const dress = await get('/v1/products/by-sku/EX-TWD-NVY-S')
      expect(dress.body.description).toBe(
        'A wrap dress in washed silk.\nTies at the waist; fully lined.',
      )
      const candle = await get('/v1/products/by-sku/EX-ANC-220')
      expect(candle.body.variants[0].prices[0]).toMatchObject({
        amount: 1_450_000,
        currency: 'IRR',
      })
      expect(
        (await get('/v1/categories')).body.data.map((c: { code: string }) => c.code),
      ).toContain('travel')

      const levels = (await get('/v1/inventory/EX-KLS-WHT-M')).body.locations
      expect(levels).toEqual([
        expect.objectContaining({
          location: 'store-athens',
          onHand: 6,
          safetyStock: 0,
          lowStockThreshold: 3,
        }),
        expect.objectContaining({
          location: 'wh-piraeus',
          onHand: 65,
          safetyStock: 2,
          lowStockThreshold: 10,
        }),
      ])
      const ledger = (await get('/v1/inventory/EX-KLS-WHT-M/ledger')).body.data
      expect(ledger).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            kind: 'count',
            location: 'wh-piraeus',
            quantity: 65,
            reason: 'stock import from stock.csv',
          }),
        ]),
      )
    })
  })

  it('refuses a file with bad rows, naming each line, and writes nothing', async () => {
    const file = csv(
      'bad.csv',
      [
        'handle,title,sku,price_amount,price_currency,option:size',
        'tee,Plain Tee,EX-TEE-S,19.90,EUR,S',
        'tee,,EX-TEE-M,19.999,EUR,M', // line 3: too many decimals
        'cap,Cap,EX-KLS-WHT-M,12.00,EUR,', // line 4: a SKU the catalog has
        'mug,,EX-MUG,abc,XXX,', // line 5: no title, bad currency
        'hat,Hat,EX-HAT,9.90,EUR,', // valid, yet not imported alone
        '',
      ].join('\n'),
    )
    const refused = await run('import', 'products', file)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('Nothing was imported')
    expect(refused.stderr).toContain('line 3 (price_amount): EUR has 2 decimals at most')
    expect(refused.stderr).toContain('line 4 (sku): EX-KLS-WHT-M is taken')
    expect(refused.stderr).toMatch(/line 5 \(title\): is required/)
    expect(refused.stderr).toMatch(/line 5 \(price_currency\): must be one of/)
    await inspect(async (get) => {
      expect((await get('/v1/products/by-sku/EX-TEE-S')).status).toBe(404)
      expect((await get('/v1/products/by-sku/EX-HAT')).status).toBe(404)
    })

    const taken = csv(
      'taken.csv',
      'handle,title,sku,price_amount,price_currency\ncap,Cap,EX-CAP,9.90,EUR\nmug,Mug,EX-KLS-WHT-M,9.90,EUR\n',
    )
    const skipped = await run('import', 'products', taken, '--skip-invalid')
    expect(skipped).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Imported 1 products'),
    })
    expect(skipped.stdout).toContain('line 3 (sku): EX-KLS-WHT-M is taken')

    const stock = csv(
      'stock-bad.csv',
      'sku,location,quantity\nEX-CAP,store-athens,4\nEX-CAP,mars,1\nNOPE,store-athens,-2\n',
    )
    const stockRun = await run('import', 'stock', stock)
    expect(stockRun.code).toBe(1)
    expect(stockRun.stderr).toContain('line 3 (location): no location mars')
    expect(stockRun.stderr).toContain('line 4 (quantity): must be between 0 and 1000000000')
    await inspect(async (get) => {
      expect((await get('/v1/products/by-sku/EX-CAP')).status).toBe(200)
      expect((await get('/v1/inventory/EX-CAP')).body.locations).toEqual([])
    })
  })

  it.skipIf(engine !== 'pglite')(
    'is refused with the lock message while another process holds the data folder',
    async () => {
      const holder = await openEngine<any>({ dataDir })
      try {
        const refused = await run('keys', 'list')
        expect(refused.code).not.toBe(0)
        expect(refused.stderr).toContain(
          `The data folder ${dataDir} is in use by another Omnia process (pid ${process.pid})`,
        )
      } finally {
        await holder.close()
      }
    },
  )
})
