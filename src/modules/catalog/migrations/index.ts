import type { Migrations } from '../../../kernel/db/index.js'

export const catalogMigrations: Migrations = {}
