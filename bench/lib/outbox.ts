import { httpRequest, type ServerProcess } from '../../test/support/server-process.js'

/**
 * Waits until every outbox consumer (timeline, traits and segments, …) has caught up
 * (`GET /v1/outbox/consumers`), so the next run starts from a quiet server rather than behind
 * the previous run's deliveries. Answers the largest backlog at the first look and how long its
 * delivery took.
 */
export async function waitUntilDelivered(server: ServerProcess, timeoutMs = 600_000): Promise<{ events: number; seconds: number }> {
  const started = performance.now()
  let events: number | null = null
  while (performance.now() - started < timeoutMs) {
    const reply = await httpRequest<{ data: { pending: number }[] }>(server.url, 'GET', '/v1/outbox/consumers')
    if (reply.status !== 200) throw new Error(`outbox consumers: ${reply.status}`)
    const pending = Math.max(0, ...reply.body.data.map((c) => c.pending))
    events ??= pending
    if (pending === 0) return { events, seconds: (performance.now() - started) / 1000 }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('outbox consumers still behind after the timeout')
}
