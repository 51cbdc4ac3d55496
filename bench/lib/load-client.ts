import net from 'node:net'

type Headers = Record<string, string>

/** The header that sends an API key. */
export const bearer = (key: string): Headers => ({ authorization: `Bearer ${key}` })

/**
 * The load generator's HTTP/1.1 client: keep-alive sockets that each carry one request at a
 * time, requests written as one buffer, answers read up to their status and Content-Length and
 * not parsed further. It shares the two cores with the server it measures, so it does as little
 * as a load tool such as wrk would: node's http client with JSON parsing of every answer took a
 * sixth of a core at 300 orders/s, CPU the server then did not have.
 */
export class LoadClient {
  readonly #host: string
  readonly #port: number
  readonly #idle: Conn[] = []
  readonly #open = new Set<Conn>()

  constructor(baseUrl: string, readonly defaultHeaders: Headers = {}) {
    const url = new URL(baseUrl)
    this.#host = url.hostname
    this.#port = Number(url.port)
  }

  /** Sends one request on an idle socket (a new one when none is idle); answers its status. */
  async send(method: string, path: string, body?: unknown, headers: Headers = {}): Promise<number> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.#host}:${this.#port}\r\n`
    for (const [name, value] of Object.entries({ ...this.defaultHeaders, ...headers })) {
      head += `${name}: ${value}\r\n`
    }
    if (payload) head += `content-type: application/json\r\ncontent-length: ${payload.length}\r\n`
    const start = Buffer.from(`${head}\r\n`)
    const request = payload ? Buffer.concat([start, payload]) : start
    let conn = this.#idle.pop()
    while (conn?.closed) conn = this.#idle.pop()
    conn ??= await this.#connect()
    try {
      const status = await conn.exchange(request)
      this.#idle.push(conn)
      return status
    } catch (err) {
      conn.socket.destroy()
      this.#open.delete(conn)
      throw err
    }
  }

  close(): void {
    for (const conn of this.#open) conn.socket.destroy()
    this.#open.clear()
    this.#idle.length = 0
  }

  #connect(): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.#port, this.#host, () => {
        socket.off('error', reject)
        const conn = new Conn(socket)
        this.#open.add(conn)
        resolve(conn)
      })
      socket.setNoDelay(true)
      socket.once('error', reject)
    })
  }
}

const headEnd = Buffer.from('\r\n\r\n')

/** One socket's exchange: a request out, its answer's status once the whole answer is in. */
class Conn {
  closed = false
  #buffered: Buffer = Buffer.alloc(0)
  #waiting: { resolve(status: number): void; reject(err: Error): void } | undefined

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk])
      this.#settle()
    })
    const fail = (err: Error) => {
      const waiting = this.#waiting
      this.#waiting = undefined
      waiting?.reject(err)
    }
    socket.on('error', fail)
    socket.on('close', () => {
      this.closed = true
      fail(new Error('connection closed by the server'))
    })
  }

  exchange(request: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject }
      this.socket.write(request)
    })
  }

  #settle() {
    const end = this.#buffered.indexOf(headEnd)
    if (end < 0 || !this.#waiting) return
    const head = this.#buffered.toString('latin1', 0, end)
    const status = Number(head.slice(9, 12))
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)
    if (!length) {
      this.#waiting.reject(new Error(`answer without content-length: ${head.split('\r\n')[0]}`))
      this.#waiting = undefined
      return
    }
    const total = end + headEnd.length + Number(length[1])
    if (this.#buffered.length < total) return
    this.#buffered = this.#buffered.subarray(total)
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting.resolve(status)
  }
}
