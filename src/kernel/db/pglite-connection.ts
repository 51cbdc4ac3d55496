import { EventEmitter } from 'node:events'
import type { PGlite } from '@electric-sql/pglite'
import { serialize } from 'pg-protocol'

type BackendMessage = { name: string }

/**
 * node-postgres's connection to an embedded PGlite, in place of the one PGlite ships, which
 * hands each protocol message to the database as its own call. A statement is four or five
 * messages (Parse, Bind, Describe, Execute, Sync) and each call into PGlite costs about as much
 * as a small statement: this connection holds the messages of an extended-protocol exchange
 * until its Sync (or Flush) and hands them over in one call, as a socket would carry them in
 * one packet. PostgreSQL reads them one by one either way; after an error it skips to the Sync.
 * Calls run one after another, in order, and each answer's messages are emitted as node-postgres
 * expects them from its own connection.
 */
export class PgliteConnection extends EventEmitter {
  // node-postgres reads and writes these on its connection.
  _connecting = false
  parsedStatements: Record<string, string> = {}
  submittedNamedStatements: Record<string, string> = {}
  readonly stream = { destroy: () => this.end() }

  readonly #pglite: PGlite
  #held: Buffer[] = []
  #calls: Promise<unknown>

  constructor(pglite: PGlite) {
    super()
    this.#pglite = pglite
    this.#calls = pglite.waitReady
  }

  async connect() {
    this._connecting = true
    await this.#pglite.waitReady
    process.nextTick(() => this.emit('readyForQuery'))
  }

  // Authentication and TLS belong to a socket; an embedded database has neither.
  requestSsl() {}
  startup() {}
  cancel() {}
  password() {}
  ref() {}
  unref() {}

  parse(m: Parameters<typeof serialize.parse>[0]) {
    this.#held.push(serialize.parse(m))
  }
  bind(m: Parameters<typeof serialize.bind>[0]) {
    this.#held.push(serialize.bind(m))
  }
  describe(m: Parameters<typeof serialize.describe>[0]) {
    this.#held.push(serialize.describe(m))
  }
  execute(m: Parameters<typeof serialize.execute>[0]) {
    this.#held.push(serialize.execute(m))
  }
  close(m: Parameters<typeof serialize.close>[0]) {
    this.#held.push(serialize.close(m))
  }
  sync() {
    this.#send(serialize.sync())
  }
  flush() {
    this.#send(serialize.flush())
  }
  query(text: string) {
    this.#send(serialize.query(text))
  }
  sendCopyFromChunk(chunk: Buffer) {
    this.#send(serialize.copyData(chunk))
  }
  endCopyFrom() {
    this.#send(serialize.copyDone())
  }
  sendCopyFail(message: string) {
    this.#send(serialize.copyFail(message))
  }

  // Answers still pending reach no one once the client has ended; node-postgres registers its
  // wait for 'end' after calling this, so that listener hears the event.
  end() {
    this.#calls = this.#calls.then(() => this.emit('end'))
    for (const event of this.eventNames()) if (event !== 'newListener') this.removeAllListeners(event)
  }

  #send(last: Buffer) {
    const parts = this.#held
    parts.push(last)
    this.#held = []
    const bytes = parts.length === 1 ? last : Buffer.concat(parts)
    this.#calls = this.#calls
      .then(() => this.#pglite.execProtocolStream(bytes, { throwOnError: false }))
      .then((messages: BackendMessage[]) => {
        for (const m of messages) this.emit(m.name === 'error' ? 'errorMessage' : m.name, m)
      })
      .catch((err: unknown) => this.emit('error', err))
  }
}

/** node-postgres client settings for an embedded PGlite, one connection shared by the pool. */
export function pgliteConfig(pglite: PGlite) {
  return { connection: new PgliteConnection(pglite) }
}
