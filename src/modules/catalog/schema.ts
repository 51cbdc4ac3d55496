import { z } from 'zod'
import { PageQuery } from '../../kernel/http/index.js'
import { Money } from '../../kernel/money.js'
import { PriceView } from '../pricing/index.js'

// SKUs appear in URL paths (/v1/products/by-sku/{sku}), so no slashes or spaces.
export const Sku = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1–64 letters, digits, ., _ or -, starting with a letter or digit',
  )

export const Barcode = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1–64 letters, digits, ., _ or - (GTIN, EAN, UPC, Code 128)',
  )

export const CategoryCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1–64 lowercase letters, digits, - or _')

const ChannelCode = z.string().min(1).max(40)

const limitedRecord = <V extends z.ZodType>(key: z.ZodString, value: V, max: number) =>
  z.record(key, value).refine((r) => Object.keys(r).length <= max, `at most ${max} entries`)

export const Options = limitedRecord(
  z.string().min(1).max(40),
  z.string().min(1).max(200),
  20,
).describe('Option values that tell variants apart: `{"size": "M", "colour": "red"}`')

export const Attributes = limitedRecord(
  z.string().min(1).max(60),
  z.union([z.string().max(2000), z.number(), z.boolean()]),
  100,
).describe('Free product facts shown on product pages: material, care, origin…')

const ImageUrl = z.url({ protocol: /^https?$/ }).max(2000)

export const VariantInput = z
  .strictObject({
    sku: Sku,
    barcode: Barcode.optional(),
    options: Options.optional(),
    weightGrams: z.number().int().min(0).max(10_000_000).optional(),
    price: Money.describe('The base price, used by every channel unless one is overridden'),
  })
  // Not 'VariantInput': the OpenAPI generator already gives that name to Variant's input form.
  .meta({ id: 'NewVariant' })
export type VariantInput = z.infer<typeof VariantInput>

/** Names a SKU or barcode given twice in one request at its second occurrence. */
function distinctVariants(
  variants: readonly VariantInput[],
  ctx: z.RefinementCtx,
  at: (string | number)[] = ['variants'],
) {
  const skus = new Set<string>()
  const barcodes = new Set<string>()
  variants.forEach((v, i) => {
    if (skus.has(v.sku))
      ctx.addIssue({ code: 'custom', path: [...at, i, 'sku'], message: `${v.sku} is given twice` })
    skus.add(v.sku)
    if (v.barcode === undefined) return
    if (barcodes.has(v.barcode)) {
      ctx.addIssue({
        code: 'custom',
        path: [...at, i, 'barcode'],
        message: `${v.barcode} is given twice`,
      })
    }
    barcodes.add(v.barcode)
  })
}

const productFields = {
  title: z.string().trim().min(1).max(300),
  description: z
    .string()
    .max(50_000)
    .describe('Rich text (Markdown or sanitised HTML), shown as given'),
  categories: z.array(CategoryCode).max(50).describe('Category codes; each must exist'),
  images: z.array(ImageUrl).max(50),
  attributes: Attributes,
}

export const CreateProductBody = z
  .strictObject({
    title: productFields.title,
    description: productFields.description.optional(),
    categories: productFields.categories.optional(),
    images: productFields.images.optional(),
    attributes: productFields.attributes.optional(),
    variants: z.array(VariantInput).min(1).max(200),
  })
  .superRefine((body, ctx) => distinctVariants(body.variants, ctx))
  .meta({ id: 'CreateProduct' })
export type CreateProductBody = z.infer<typeof CreateProductBody>

export const UpdateProductBody = z
  .strictObject({
    title: productFields.title,
    description: productFields.description.nullable(),
    categories: productFields.categories,
    images: productFields.images,
    attributes: productFields.attributes,
  })
  .partial()
  .meta({ id: 'UpdateProduct' })
export type UpdateProductBody = z.infer<typeof UpdateProductBody>

export const AddVariantsBody = z
  .strictObject({ variants: z.array(VariantInput).min(1).max(200) })
  .superRefine((body, ctx) => distinctVariants(body.variants, ctx))
  .meta({ id: 'AddVariants' })
export type AddVariantsBody = z.infer<typeof AddVariantsBody>

export const UpdateVariantBody = z
  .strictObject({
    barcode: Barcode.nullable(),
    options: Options,
    weightGrams: z.number().int().min(0).max(10_000_000).nullable(),
  })
  .partial()
  .describe('Prices change through PUT /v1/pricing/prices/{sku}')
  .meta({ id: 'UpdateVariant' })
export type UpdateVariantBody = z.infer<typeof UpdateVariantBody>

export const relationKinds = ['complementary', 'accessory', 'substitute'] as const
export const RelationKind = z.enum(relationKinds)

export const SetRelationsBody = z
  .strictObject({
    relations: z
      .array(z.strictObject({ kind: RelationKind, productId: z.string().min(1).max(64) }))
      .max(100)
      .describe('The complete list, in display order; an empty list removes every relation'),
  })
  .meta({ id: 'SetProductRelations' })
export type SetRelationsBody = z.infer<typeof SetRelationsBody>

export const SetChannelsBody = z
  .strictObject({
    channels: z
      .array(ChannelCode)
      .max(500)
      .nullable()
      .describe('Channel codes that sell this product; null: every channel'),
  })
  .meta({ id: 'SetProductChannels' })
export type SetChannelsBody = z.infer<typeof SetChannelsBody>

export const VariantView = z
  .object({
    id: z.string(),
    sku: z.string(),
    barcode: z.string().nullable(),
    options: z.record(z.string(), z.string()),
    weightGrams: z.number().int().nullable(),
    prices: z.array(PriceView).describe("One per currency, as the caller's channel pays it"),
  })
  .meta({ id: 'Variant' })
export type VariantView = z.infer<typeof VariantView>

export const RelationView = z
  .object({ kind: RelationKind, productId: z.string(), title: z.string() })
  .meta({ id: 'ProductRelation' })
export type RelationView = z.infer<typeof RelationView>

export const ProductView = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string().nullable(),
    categories: z.array(z.string()),
    images: z.array(z.string()),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    channels: z.array(z.string()).nullable().describe('Channels that sell it; null: every channel'),
    variants: z.array(VariantView),
    relations: z.array(RelationView),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Product' })
export type ProductView = z.infer<typeof ProductView>

export const ProductListQuery = PageQuery.extend({
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Full-text search; words match as prefixes'),
  category: CategoryCode.optional().describe('Products in this category or any below it'),
  channel: ChannelCode.optional().describe("Staff only: that channel's assortment and prices"),
  updatedSince: z.iso.datetime({ offset: true }).optional(),
}).strict()
export type ProductListQuery = z.infer<typeof ProductListQuery>

export const ViewQuery = z.strictObject({
  channel: ChannelCode.optional().describe('Staff only: see it as this channel does'),
})
export type ViewQuery = z.infer<typeof ViewQuery>

export const ProductParams = z.object({ id: z.string().min(1).max(64) })
export const SkuParams = z.object({ sku: Sku })
export const BarcodeParams = z.object({ barcode: Barcode })
export const VariantParams = z.object({ id: z.string().min(1).max(64), sku: Sku })

export const CreateCategoryBody = z
  .strictObject({
    code: CategoryCode,
    name: z.string().trim().min(1).max(200),
    parent: CategoryCode.optional(),
  })
  .meta({ id: 'CreateCategory' })
export type CreateCategoryBody = z.infer<typeof CreateCategoryBody>

export const CategoryView = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    parent: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Category' })
export type CategoryView = z.infer<typeof CategoryView>
