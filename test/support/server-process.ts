import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import http from 'node:http'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'

/**
 * The real server as a child process, for crash, restart and multi-process suites and for the
 * benchmarks. It runs `node --import tsx src/main.ts serve` (not the tsx binary, which would put
 * a relaying parent between us and the server, so SIGKILL would not reach it). Deliberately free
 * of vitest imports: bench/ uses it too.
 */

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export const adminKey = 'omk_adm1n000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

export type Exit = { code: number | null; signal: NodeJS.Signals | null }

export type ServerOptions = {
  /** The embedded engine's folder (OMNIA_DATA_DIR); ignored when `databaseUrl` is given. */
  dataDir?: string
  databaseUrl?: string
  /** Extra environment, applied last. */
  env?: Record<string, string>
  /** Extra arguments to node itself, e.g. `--cpu-prof` to see where a benchmark's time goes. */
  nodeArgs?: string[]
  port?: number
  /** How long to wait for /ready (a fresh embedded data folder takes ~5 s on a quiet machine). */
  readyTimeoutMs?: number
}

export type ServerProcess = {
  readonly pid: number
  readonly port: number
  readonly url: string
  readonly child: ChildProcess
  /** Settles when the process has exited, with its code or the signal that ended it. */
  readonly exited: Promise<Exit>
  stdout(): string
  stderr(): string
  isRunning(): boolean
  /** Sends `signal` and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<Exit>
  /** SIGTERM, then waits for a graceful exit (SIGKILL after `graceMs`, reported as such). */
  stop(graceMs?: number): Promise<Exit>
  /** An HTTP request as the admin key unless told otherwise (null: no key). */
  request<T = any>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<Reply<T>>
}

export type RequestOptions = { key?: string | null; headers?: Record<string, string>; agent?: http.Agent }
export type Reply<T = any> = { status: number; headers: http.IncomingHttpHeaders; body: T; ms: number }

/** A port nobody listens on right now (the OS picks it; another process could still race us). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/**
 * Fills `dataDir` (as OMNIA_DATA_DIR) from a PGlite dump such as the test run's migrated
 * template (the server keeps its cluster in `<dir>/pgdata`), so a server opens it in well under a
 * second instead of initialising a new cluster.
 */
export async function restoreDataDir(dumpPath: string, dataDir: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true })
  const pglite = await PGlite.create(join(dataDir, 'pgdata'), { loadDataDir: new Blob([readFileSync(dumpPath)]) })
  await pglite.close()
}

const sharedAgent = new http.Agent({ keepAlive: true, maxSockets: 256 })

/** One JSON request over a keep-alive agent; the body is parsed when it is JSON. */
export function httpRequest<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<Reply<T>> {
  const key = options.key === undefined ? adminKey : options.key
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  const headers: Record<string, string> = {
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  }
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${path}`, { method, headers, agent: options.agent ?? sharedAgent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        const json = /json/.test(res.headers['content-type'] ?? '')
        let parsed: unknown = text
        if (json && text) {
          try {
            parsed = JSON.parse(text)
          } catch {
            parsed = text
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T, ms: performance.now() - started })
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

const live = new Set<ChildProcess>()

// A test runner or bench that dies must not leave servers holding ports and data folders.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

const captureLimit = 1 << 20

function environment(options: ServerOptions, port?: number): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(OMNIA_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(name)),
  )
  return {
    ...inherited,
    ...(port !== undefined ? { PORT: String(port) } : {}),
    HOST: '127.0.0.1',
    OMNIA_DEMO: '0',
    LOG_LEVEL: 'warn',
    OMNIA_ADMIN_KEY: adminKey,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...(!options.databaseUrl && options.dataDir ? { OMNIA_DATA_DIR: options.dataDir } : {}),
    ...options.env,
  }
}

/**
 * Runs another `omnia` command (`import stock file.csv`, `migrate`) on the same database a
 * server would use, to completion. For the embedded engine, stop the server first: the command
 * needs the data folder's lock.
 */
export async function runCommand(args: readonly string[], options: ServerOptions = {}): Promise<Exit & { stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: repoRoot,
    env: environment(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')))
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/**
 * Spawns the server and returns at once, without waiting for readiness: for a process that is
 * expected to refuse to start. Its environment is the parent's minus every Omnia setting, then
 * OMNIA_DEMO=0, LOG_LEVEL=warn, HOST=127.0.0.1, the admin key, and `options`.
 */
export async function spawnServer(options: ServerOptions = {}): Promise<ServerProcess> {
  const port = options.port ?? (await freePort())
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'src/main.ts', 'serve'], {
    cwd: repoRoot,
    env: environment(options, port),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  let out = ''
  let err = ''
  child.stdout!.on('data', (c: Buffer) => {
    if (out.length < captureLimit) out += c.toString('utf8')
  })
  child.stderr!.on('data', (c: Buffer) => {
    if (err.length < captureLimit) err += c.toString('utf8')
  })
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      resolve({ code, signal })
    })
  })
  let done = false
  void exited.then(() => (done = true))
  const url = `http://127.0.0.1:${port}`
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!done) child.kill(signal)
    return exited
  }
  return {
    pid: child.pid ?? -1,
    port,
    url,
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    isRunning: () => !done,
    kill,
    async stop(graceMs = 15_000) {
      if (done) return exited
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
    request: (method, path, body, opts) => httpRequest(url, method, path, body, opts),
  }
}

/** Polls /ready until it answers 200; fails with the server's stderr if the process exits first. */
export async function waitUntilReady(server: ServerProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let exit: Exit | undefined
  void server.exited.then((e) => (exit = e))
  let last = 'no answer'
  while (Date.now() < deadline) {
    if (exit) {
      throw new Error(
        `server exited before it was ready (code ${exit.code}, signal ${exit.signal}):\n${server.stderr()}${server.stdout()}`,
      )
    }
    try {
      const res = await httpRequest(server.url, 'GET', '/ready', undefined, { key: null })
      if (res.status === 200) return
      last = `${res.status} ${JSON.stringify(res.body)}`
    } catch (e) {
      last = (e as Error).message
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  await server.kill('SIGKILL')
  throw new Error(`server not ready after ${timeoutMs} ms (${last}):\n${server.stderr()}`)
}

/** Spawns the server and waits until it is ready. */
export async function startServerProcess(options: ServerOptions = {}): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    const server = await spawnServer(options)
    try {
      await waitUntilReady(server, options.readyTimeoutMs)
      return server
    } catch (err) {
      // The port picked was taken between our probe and the child's listen: pick another.
      if (attempt < 3 && options.port === undefined && /EADDRINUSE/.test(server.stderr())) continue
      throw err
    }
  }
}

/**
 * The servers a suite started, so `afterAll(() => servers.stopAll())` ends every one of them even
 * when a test failed halfway (a stopped or killed one is skipped).
 */
export class ServerGroup {
  readonly #servers = new Set<ServerProcess>()

  async start(options: ServerOptions = {}): Promise<ServerProcess> {
    const server = await startServerProcess(options)
    this.#servers.add(server)
    return server
  }

  async spawn(options: ServerOptions = {}): Promise<ServerProcess> {
    const server = await spawnServer(options)
    this.#servers.add(server)
    return server
  }

  find(predicate: (server: ServerProcess) => boolean): ServerProcess | undefined {
    return [...this.#servers].find(predicate)
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#servers].map((s) => s.stop(5_000)))
    this.#servers.clear()
  }
}
