import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Currency } from '../../kernel/money.js'

export type Trigger = 'automatic' | 'coupon'
export type DiscountType = 'percentage' | 'fixed'
export type TargetKind = 'order' | 'skus' | 'categories'

// bigint columns arrive as numbers (the engine's type parser checks they are safe integers).
type Minor = ColumnType<number | null, number | null, number | null>

export type PromotionTable = {
  id: string
  name: string
  trigger: Trigger
  // The shared coupon code, also a row of coupon_code; null for automatic promotions.
  code: string | null
  discount_type: DiscountType
  percent_off: number | null
  amount_off_minor: Minor
  currency: Currency | null
  target_kind: TargetKind
  target_codes: string[]
  min_spend_minor: Minor
  starts_at: Date | null
  ends_at: Date | null
  active: boolean
  stackable: boolean
  usage_limit: number | null
  per_customer_limit: number | null
  used: Generated<number>
  created_at: Date
  updated_at: Date
}

export type CouponCodeTable = {
  code: string
  promotion_id: string
  single_use: boolean
  expires_at: Date | null
  redeemed_at: Date | null
  order_ref: string | null
  created_at: Date
}

export type CustomerUsageTable = {
  promotion_id: string
  customer_id: string
  used: number
}

export type RedemptionTable = {
  id: string
  promotion_id: string
  code: string | null
  customer_id: string | null
  order_ref: string
  channel: string | null
  created_at: Date
  released_at: Date | null
}

export type PromotionRow = Selectable<PromotionTable>
export type CouponCodeRow = Selectable<CouponCodeTable>
export type RedemptionRow = Selectable<RedemptionTable>

export type PromotionsTables = {
  'promotions.promotion': PromotionTable
  'promotions.coupon_code': CouponCodeTable
  'promotions.customer_usage': CustomerUsageTable
  'promotions.redemption': RedemptionTable
}
