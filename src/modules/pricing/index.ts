export { pricingRoutes } from './routes.js'
export { pricingMigrations } from './migrations/index.js'
export {
  effectivePrices,
  effectiveView,
  insertBasePrices,
  setBasePrices,
  type EffectivePrice,
} from './prices.js'
export { setOverride, removeOverrides, skuPrices } from './overrides.js'
export { consistencyReport } from './consistency.js'
export { pricingEvents, PriceChanged } from './events.js'
export type { PricingTables } from './db.js'
export { PriceView } from './schema.js'
export type { OverrideView, SkuPricesView, ConsistencyEntry } from './schema.js'
