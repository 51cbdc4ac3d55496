import type { Migrations } from '../../../kernel/db/index.js'

export const pricingMigrations: Migrations = {}
