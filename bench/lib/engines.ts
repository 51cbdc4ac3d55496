import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { EngineKind } from '../../src/kernel/db/index.js'
import type { ServerOptions } from '../../test/support/server-process.js'

/** Where one engine's benchmark runs: how to start the server on it, and how to clean up. */
export type BenchTarget = {
  engine: EngineKind
  server: ServerOptions
  /** For PostgreSQL: the bench's own database, which the raw-SQL baseline also uses. */
  databaseUrl: string | null
  /** For the embedded engine: a folder for the raw-SQL baseline's separate PGlite. */
  scratchDir: string | null
  dispose(): Promise<void>
}

export const defaultPostgresUrl = 'postgres://postgres@127.0.0.1:5432/postgres'

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/** The embedded engine in a fresh temporary folder. */
export function embeddedTarget(): BenchTarget {
  const root = mkdtempSync(join(tmpdir(), 'omnia-bench-'))
  return {
    engine: 'pglite',
    server: { dataDir: join(root, 'server'), readyTimeoutMs: 120_000 },
    databaseUrl: null,
    scratchDir: join(root, 'raw'),
    dispose: async () => rmSync(root, { recursive: true, force: true }),
  }
}

/**
 * A dedicated database on BENCH_DATABASE_URL's server (or the local one), created now and dropped
 * by `dispose`; null when no server answers within two seconds.
 */
export async function postgresTarget(serverUrl = process.env.BENCH_DATABASE_URL || defaultPostgresUrl): Promise<BenchTarget | null> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 2_000 })
  try {
    await admin.connect()
  } catch {
    return null
  }
  const name = `omnia_bench_${process.pid}_${Date.now()}`
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = withDatabase(serverUrl, name)
  return {
    engine: 'postgres',
    server: { databaseUrl: url, readyTimeoutMs: 60_000 },
    databaseUrl: url,
    scratchDir: null,
    async dispose() {
      const again = new pg.Client({ connectionString: serverUrl })
      await again.connect()
      await again.query(`drop database if exists ${name} with (force)`)
      await again.end()
    },
  }
}

/** The engines BENCH_ENGINES names (default both); PostgreSQL only when a server answers. */
export async function benchTargets(): Promise<BenchTarget[]> {
  const wanted = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',').map((s) => s.trim())
  const list: BenchTarget[] = []
  if (wanted.includes('pglite')) list.push(embeddedTarget())
  if (wanted.includes('postgres')) {
    const pg = await postgresTarget()
    if (pg) list.push(pg)
    else process.stdout.write('No PostgreSQL server reachable (BENCH_DATABASE_URL or 127.0.0.1:5432): embedded engine only.\n')
  }
  return list
}
