import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../kernel/clock.js'
import type { PeriodicTask } from '../../kernel/jobs/periodic.js'
import type { PaymentProvider } from '../payments/index.js'
import { settleDueRefunds } from './refunds.js'

/** Returns' timed work: card refunds a stopped process or an unreachable provider left due. */
export function returnTasks(
  deps: { db: Kysely<any>; clock: Clock; logger: Logger },
  provider: PaymentProvider,
): PeriodicTask[] {
  return [
    {
      name: 'returns.settle-refunds',
      everyMs: 30_000,
      run: async () => {
        const { settled, waiting } = await settleDueRefunds(deps.db, deps.clock, provider, {
          onBlocked: (returnId, err) =>
            deps.logger.warn({ err, returnId }, 'the payment refuses a return refund'),
        })
        if (settled + waiting > 0) deps.logger.info({ settled, waiting }, 'return refunds retried')
      },
    },
  ]
}
