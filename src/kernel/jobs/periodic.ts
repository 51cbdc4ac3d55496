import type { Logger } from 'pino'

export type PeriodicTask = {
  name: string
  everyMs: number
  /** Must be safe to run in several processes at once (use SKIP LOCKED or guarded updates). */
  run(): Promise<unknown>
}

/**
 * Runs periodic tasks one run at a time each. The durable state is in the database (an expired
 * reservation is a row whose `expires_at` has passed), so a task that missed its time while the
 * process was down simply finds more to do on its first run after start-up.
 */
export class PeriodicRunner {
  readonly #timers = new Map<string, NodeJS.Timeout>()
  readonly #inFlight = new Set<Promise<unknown>>()
  #stopped = false

  constructor(
    private readonly tasks: readonly PeriodicTask[],
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.#stopped = false
    for (const task of this.tasks) this.#schedule(task, 0)
  }

  #schedule(task: PeriodicTask, delay: number) {
    if (this.#stopped) return
    this.#timers.set(
      task.name,
      setTimeout(() => {
        const run = task
          .run()
          .catch((err: unknown) => this.logger.error({ err, task: task.name }, 'periodic task failed'))
          .finally(() => {
            this.#inFlight.delete(run)
            this.#schedule(task, task.everyMs)
          })
        this.#inFlight.add(run)
      }, delay),
    )
  }

  async stop(): Promise<void> {
    this.#stopped = true
    for (const t of this.#timers.values()) clearTimeout(t)
    await Promise.all(this.#inFlight)
  }
}
