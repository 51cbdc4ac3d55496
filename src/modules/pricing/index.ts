export { pricingRoutes } from './routes.js'
export { pricingMigrations } from './migrations/index.js'
