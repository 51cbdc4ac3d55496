import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { Clock } from '../kernel/clock.js'

/** Loads the demo retailer when the database holds no locations yet. */
export async function loadDemoIfEmpty(_db: Kysely<any>, _clock: Clock, _config: Config, _logger: Logger): Promise<void> {}
