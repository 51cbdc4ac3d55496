import type { Money } from '../kernel/money.js'
import { accessories, complements, families, places, type Family } from './assortment.js'
import { seeded, type Random } from './prng.js'
import { stores, warehouses } from './retailer.js'

export type DemoVariant = {
  sku: string
  barcode: string
  options: Record<string, string>
  weightGrams: number
  price: Money
}

export type DemoProduct = {
  handle: string
  family: string
  title: string
  description: string
  categories: string[]
  images: string[]
  attributes: Record<string, string>
  variants: DemoVariant[]
}

export type DemoRelation = {
  from: string
  kind: 'complementary' | 'accessory' | 'substitute'
  to: string
}
export type DemoStock = { sku: string; location: string; quantity: number }
export type DemoStockSetting = {
  sku: string
  location: string
  safetyStock: number
  lowStockThreshold: number
}

export type DemoData = {
  products: DemoProduct[]
  relations: DemoRelation[]
  stock: DemoStock[]
  settings: DemoStockSetting[]
}

export const demoSeed = 20_260_301

/** EAN-13 with its check digit; 520 is Greece's GS1 prefix. */
export function ean13(serial: number): string {
  const body = `520${String(serial).padStart(9, '0')}`
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0)
  return `${body}${(10 - (sum % 10)) % 10}`
}

// Shelf prices end in .90 on a round five: 49.90, 125.90.
function shelfPrice(random: Random, [min, max]: readonly [number, number]): Money {
  const euros = Math.max(5, Math.round(random.int(min, max) / 5) * 5)
  return { amount: euros * 100 - 10, currency: 'EUR' }
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')

function productsOf(
  family: Family,
  random: Random,
  titles: Set<string>,
  serial: { next: number },
): DemoProduct[] {
  const out: DemoProduct[] = []
  for (let n = 1; n <= family.count; n++) {
    let title = ''
    let material = ''
    do {
      material = random.pick(family.materials)
      title = `${random.pick(places)} ${material} ${random.pick(family.nouns)}`
    } while (titles.has(title))
    titles.add(title)
    const number = `${family.code}${String(n).padStart(2, '0')}`
    const colours = random.sample(family.colours, random.int(1, family.maxColours))
    const price = shelfPrice(random, family.euros)
    const grams = random.int(family.grams[0], family.grams[1])
    const sized = family.sizes.length > 1
    const variants = colours.flatMap((colour) =>
      family.sizes.map((size) => ({
        sku: `AN-${number}-${colour.code}${sized ? `-${size}` : ''}`,
        barcode: ean13(serial.next++),
        options: { colour: colour.name, ...(sized && { size }) },
        weightGrams: grams,
        price,
      })),
    )
    const handle = slug(title)
    out.push({
      handle,
      family: family.code,
      title,
      description:
        `${title}: ${material.toLowerCase()}, cut and finished in small batches for the ` +
        `${random.pick(['spring', 'summer', 'autumn', 'winter'])} collection. ` +
        `Available in ${colours.map((c) => c.name).join(', ')}.`,
      categories: [family.category],
      images: [1, 2].map((i) => `https://images.anemone.example/products/${handle}-${i}.jpg`),
      attributes: { material, madeIn: random.pick(['Greece', 'Greece', 'Iran', 'Portugal']) },
      variants,
    })
  }
  return out
}

function relationsOf(products: DemoProduct[], random: Random): DemoRelation[] {
  const byFamily = new Map<string, DemoProduct[]>()
  for (const p of products) byFamily.set(p.family, [...(byFamily.get(p.family) ?? []), p])
  const relations: DemoRelation[] = []
  for (const [family, members] of byFamily) {
    members.forEach((p, i) => {
      // The next product of the family substitutes for this one (and so on around the family).
      relations.push({
        from: p.handle,
        kind: 'substitute',
        to: members[(i + 1) % members.length]!.handle,
      })
      for (const other of complements[family] ?? []) {
        relations.push({
          from: p.handle,
          kind: 'complementary',
          to: random.pick(byFamily.get(other)!).handle,
        })
      }
      for (const other of accessories[family] ?? []) {
        relations.push({
          from: p.handle,
          kind: 'accessory',
          to: random.pick(byFamily.get(other)!).handle,
        })
      }
    })
  }
  return relations
}

const sizeDemand: Record<string, number> = {
  XS: 0.5,
  S: 0.8,
  M: 1,
  L: 0.9,
  XL: 0.6,
  XXL: 0.4,
  '36': 0.5,
  '37': 0.7,
  '38': 0.9,
  '39': 1,
  '40': 1,
  '41': 1,
  '42': 0.9,
  '43': 0.7,
  '44': 0.5,
}

/**
 * Stock spread as a real chain has it: deep in the warehouses, thin in the stores, the Tehran
 * locations carrying part of the range, popular sizes deeper, and some store shelves at one or
 * two units or empty (what makes low-stock alerts and cross-store sourcing worth showing).
 */
function stockOf(products: DemoProduct[], random: Random): DemoStock[] {
  const stock: DemoStock[] = []
  for (const product of products) {
    const inIran = random.chance(0.65)
    for (const variant of product.variants) {
      const demand = sizeDemand[variant.options.size ?? ''] ?? 1
      const scale = (n: number) => Math.max(0, Math.round(n * demand))
      stock.push({
        sku: variant.sku,
        location: 'wh-piraeus',
        quantity: random.chance(0.04) ? 0 : scale(random.int(12, 80)),
      })
      if (inIran)
        stock.push({
          sku: variant.sku,
          location: 'wh-tehran',
          quantity: random.chance(0.08) ? 0 : scale(random.int(6, 40)),
        })
      for (const store of stores) {
        if (store === 'store-tehran' && !inIran) continue
        const roll = random.next()
        const quantity = roll < 0.12 ? 0 : roll < 0.3 ? random.int(1, 2) : scale(random.int(3, 14))
        stock.push({ sku: variant.sku, location: store, quantity })
      }
    }
  }
  return stock
}

function settingsOf(stock: DemoStock[]): DemoStockSetting[] {
  return stock.map(({ sku, location }) =>
    warehouses.includes(location)
      ? { sku, location, safetyStock: 2, lowStockThreshold: 10 }
      : { sku, location, safetyStock: 0, lowStockThreshold: 3 },
  )
}

/** The whole demo assortment; the same on every call (a fixed seed). */
export function generateDemo(seed = demoSeed): DemoData {
  const random = seeded(seed)
  const titles = new Set<string>()
  const serial = { next: 100_000_001 }
  const products = families.flatMap((family) => productsOf(family, random, titles, serial))
  const stock = stockOf(products, random)
  return { products, relations: relationsOf(products, random), stock, settings: settingsOf(stock) }
}
