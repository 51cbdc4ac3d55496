export { promotionRoutes } from './routes.js'
export { promotionMigrations } from './migrations/index.js'
export { evaluate, waitsOnBasket, type EvaluateInput } from './evaluate.js'
export { couponNotApplicable, createPromotion } from './service.js'
export { redeem, releaseRedemption, type RedeemInput } from './redemptions.js'
export {
  planDiscounts,
  withAllowances,
  type Plan,
  type PolicyLine,
  type PolicyPromotion,
} from './allocation.js'
export type { PromotionsTables } from './db.js'
export type { CreatePromotionBody, PlanView, PromotionView, RedeemedView } from './schema.js'
export { promotionMergeSubscriber } from './merging.js'
