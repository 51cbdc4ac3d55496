/**
 * The demo's assortment as data: categories and product families. Each family gives the generator
 * what it needs to make believable products (names, sizes, colours, price band, weight).
 */

export type CategorySeed = { code: string; name: string; parent?: string }

export const categories: CategorySeed[] = [
  { code: 'women', name: 'Women' },
  { code: 'women-dresses', name: 'Dresses', parent: 'women' },
  { code: 'women-tops', name: 'Tops & blouses', parent: 'women' },
  { code: 'women-knitwear', name: 'Knitwear', parent: 'women' },
  { code: 'women-trousers', name: 'Trousers & skirts', parent: 'women' },
  { code: 'men', name: 'Men' },
  { code: 'men-shirts', name: 'Shirts', parent: 'men' },
  { code: 'men-tees', name: 'T-shirts & polos', parent: 'men' },
  { code: 'men-knitwear', name: 'Knitwear', parent: 'men' },
  { code: 'men-trousers', name: 'Trousers & shorts', parent: 'men' },
  { code: 'outerwear', name: 'Outerwear' },
  { code: 'shoes', name: 'Shoes' },
  { code: 'bags', name: 'Bags' },
  { code: 'accessories', name: 'Accessories' },
  { code: 'scarves', name: 'Scarves', parent: 'accessories' },
  { code: 'belts', name: 'Belts', parent: 'accessories' },
  { code: 'sunglasses', name: 'Sunglasses', parent: 'accessories' },
  { code: 'jewellery', name: 'Jewellery', parent: 'accessories' },
  { code: 'home', name: 'Home' },
  { code: 'home-ceramics', name: 'Ceramics', parent: 'home' },
  { code: 'home-textiles', name: 'Textiles', parent: 'home' },
  { code: 'home-candles', name: 'Candles', parent: 'home' },
]

export type Colour = { code: string; name: string }

const c = (code: string, name: string): Colour => ({ code, name })
const neutrals = [
  c('WHT', 'white'),
  c('IVO', 'ivory'),
  c('SND', 'sand'),
  c('BLK', 'black'),
  c('NVY', 'navy'),
]
const brights = [
  c('TER', 'terracotta'),
  c('OLV', 'olive'),
  c('AEG', 'aegean blue'),
  c('SAF', 'saffron'),
  c('POM', 'pomegranate'),
]
const leathers = [c('TAN', 'tan'), c('BRN', 'brown'), c('BLK', 'black'), c('CGN', 'cognac')]
const metals = [c('GLD', 'gold'), c('SLV', 'silver')]

export type Family = {
  code: string
  category: string
  count: number
  nouns: readonly string[]
  materials: readonly string[]
  sizes: readonly string[]
  colours: readonly Colour[]
  /** How many colours a product comes in, at most. */
  maxColours: number
  /** Price band in whole euros. */
  euros: readonly [number, number]
  grams: readonly [number, number]
}

const womenSizes = ['XS', 'S', 'M', 'L', 'XL']
const menSizes = ['S', 'M', 'L', 'XL', 'XXL']
const oneSize = ['ONE']

export const families: Family[] = [
  {
    code: 'WDR',
    category: 'women-dresses',
    count: 18,
    nouns: ['Wrap Dress', 'Maxi Dress', 'Shirt Dress', 'Slip Dress', 'Midi Dress'],
    materials: ['Linen', 'Cotton', 'Silk', 'Viscose'],
    sizes: womenSizes,
    colours: [...neutrals, ...brights],
    maxColours: 3,
    euros: [69, 189],
    grams: [250, 450],
  },
  {
    code: 'WTP',
    category: 'women-tops',
    count: 16,
    nouns: ['Blouse', 'Tank Top', 'Tunic', 'Camisole', 'Peasant Top'],
    materials: ['Linen', 'Cotton', 'Silk', 'Jersey'],
    sizes: womenSizes,
    colours: [...neutrals, ...brights],
    maxColours: 3,
    euros: [29, 89],
    grams: [120, 250],
  },
  {
    code: 'WKN',
    category: 'women-knitwear',
    count: 10,
    nouns: ['Cardigan', 'Crew Jumper', 'Knit Vest', 'Roll Neck'],
    materials: ['Merino', 'Cotton', 'Cashmere'],
    sizes: womenSizes,
    colours: neutrals,
    maxColours: 3,
    euros: [59, 219],
    grams: [300, 550],
  },
  {
    code: 'WTR',
    category: 'women-trousers',
    count: 12,
    nouns: ['Wide Trousers', 'Pleated Skirt', 'Culottes', 'Wrap Skirt'],
    materials: ['Linen', 'Cotton', 'Wool'],
    sizes: womenSizes,
    colours: [...neutrals, ...brights],
    maxColours: 2,
    euros: [49, 139],
    grams: [250, 500],
  },
  {
    code: 'MSH',
    category: 'men-shirts',
    count: 16,
    nouns: ['Oxford Shirt', 'Camp Shirt', 'Grandad Shirt', 'Overshirt'],
    materials: ['Linen', 'Cotton', 'Poplin'],
    sizes: menSizes,
    colours: [...neutrals, ...brights],
    maxColours: 3,
    euros: [49, 129],
    grams: [220, 400],
  },
  {
    code: 'MTE',
    category: 'men-tees',
    count: 14,
    nouns: ['T-shirt', 'Polo', 'Henley', 'Pocket Tee'],
    materials: ['Organic Cotton', 'Pique', 'Jersey'],
    sizes: menSizes,
    colours: [...neutrals, ...brights],
    maxColours: 3,
    euros: [25, 69],
    grams: [160, 280],
  },
  {
    code: 'MKN',
    category: 'men-knitwear',
    count: 10,
    nouns: ['Crew Jumper', 'Cardigan', 'Quarter Zip', 'Fisherman Sweater'],
    materials: ['Merino', 'Lambswool', 'Cotton'],
    sizes: menSizes,
    colours: neutrals,
    maxColours: 2,
    euros: [69, 199],
    grams: [400, 750],
  },
  {
    code: 'MTR',
    category: 'men-trousers',
    count: 12,
    nouns: ['Chinos', 'Drawstring Trousers', 'Shorts', 'Pleated Trousers'],
    materials: ['Linen', 'Cotton Twill', 'Wool'],
    sizes: menSizes,
    colours: neutrals,
    maxColours: 2,
    euros: [59, 149],
    grams: [300, 600],
  },
  {
    code: 'OUT',
    category: 'outerwear',
    count: 12,
    nouns: ['Trench Coat', 'Field Jacket', 'Wool Coat', 'Gilet', 'Rain Jacket'],
    materials: ['Cotton Gabardine', 'Wool', 'Waxed Cotton', 'Nylon'],
    sizes: ['S', 'M', 'L', 'XL'],
    colours: neutrals,
    maxColours: 2,
    euros: [129, 389],
    grams: [700, 1600],
  },
  {
    code: 'SHO',
    category: 'shoes',
    count: 18,
    nouns: ['Sandals', 'Loafers', 'Espadrilles', 'Sneakers', 'Ankle Boots'],
    materials: ['Leather', 'Suede', 'Canvas'],
    sizes: ['36', '37', '38', '39', '40', '41', '42', '43', '44'],
    colours: leathers,
    maxColours: 2,
    euros: [59, 229],
    grams: [500, 1100],
  },
  {
    code: 'BAG',
    category: 'bags',
    count: 14,
    nouns: ['Tote', 'Crossbody Bag', 'Basket Bag', 'Backpack', 'Clutch'],
    materials: ['Leather', 'Canvas', 'Straw'],
    sizes: oneSize,
    colours: leathers,
    maxColours: 3,
    euros: [39, 259],
    grams: [300, 1200],
  },
  {
    code: 'SCF',
    category: 'scarves',
    count: 10,
    nouns: ['Scarf', 'Shawl', 'Bandana'],
    materials: ['Silk', 'Cotton', 'Wool'],
    sizes: oneSize,
    colours: [...neutrals, ...brights],
    maxColours: 3,
    euros: [25, 119],
    grams: [60, 250],
  },
  {
    code: 'BLT',
    category: 'belts',
    count: 8,
    nouns: ['Belt', 'Braided Belt'],
    materials: ['Leather', 'Suede'],
    sizes: ['S', 'M', 'L'],
    colours: leathers,
    maxColours: 2,
    euros: [29, 89],
    grams: [120, 250],
  },
  {
    code: 'SUN',
    category: 'sunglasses',
    count: 6,
    nouns: ['Sunglasses', 'Aviators'],
    materials: ['Acetate', 'Metal'],
    sizes: oneSize,
    colours: [c('TRT', 'tortoiseshell'), c('BLK', 'black'), ...metals],
    maxColours: 2,
    euros: [79, 179],
    grams: [30, 60],
  },
  {
    code: 'JWL',
    category: 'jewellery',
    count: 8,
    nouns: ['Hoop Earrings', 'Pendant Necklace', 'Cuff', 'Ring'],
    materials: ['Sterling Silver', 'Gold-plated Brass'],
    sizes: oneSize,
    colours: metals,
    maxColours: 2,
    euros: [35, 159],
    grams: [10, 60],
  },
  {
    code: 'CER',
    category: 'home-ceramics',
    count: 6,
    nouns: ['Bowl', 'Vase', 'Plate Set', 'Mug'],
    materials: ['Stoneware', 'Terracotta', 'Glazed Ceramic'],
    sizes: oneSize,
    colours: [c('WHT', 'white'), c('AEG', 'aegean blue'), c('TER', 'terracotta')],
    maxColours: 2,
    euros: [19, 89],
    grams: [300, 1800],
  },
  {
    code: 'TEX',
    category: 'home-textiles',
    count: 6,
    nouns: ['Throw', 'Cushion Cover', 'Tablecloth', 'Hammam Towel'],
    materials: ['Linen', 'Cotton', 'Wool'],
    sizes: oneSize,
    colours: [...neutrals, ...brights],
    maxColours: 3,
    euros: [25, 129],
    grams: [300, 1500],
  },
  {
    code: 'CND',
    category: 'home-candles',
    count: 4,
    nouns: ['Candle', 'Travel Candle'],
    materials: ['Fig', 'Orange Blossom', 'Cypress', 'Rose'],
    sizes: oneSize,
    colours: [c('NAT', 'natural')],
    maxColours: 1,
    euros: [18, 49],
    grams: [150, 450],
  },
]

/** Places the collection is named after: Greek islands and villages, Persian cities and ranges. */
export const places = [
  'Hydra',
  'Naxos',
  'Paros',
  'Milos',
  'Syros',
  'Ithaca',
  'Patmos',
  'Kea',
  'Sifnos',
  'Folegandros',
  'Isfahan',
  'Shiraz',
  'Kashan',
  'Yazd',
  'Tabriz',
  'Rasht',
  'Kerman',
  'Alborz',
  'Zagros',
  'Masuleh',
  'Delphi',
  'Pelion',
  'Zagori',
  'Monemvasia',
  'Nafplio',
]

/** Which families go together, for complementary and accessory relations. */
export const complements: Record<string, string[]> = {
  WDR: ['SHO', 'BAG'],
  WTP: ['WTR'],
  WTR: ['WTP'],
  WKN: ['WTR'],
  MSH: ['MTR'],
  MTE: ['MTR'],
  MKN: ['MTR'],
  MTR: ['MSH', 'SHO'],
  OUT: ['MKN', 'WKN'],
  SHO: ['WTR', 'MTR'],
  CER: ['TEX'],
  TEX: ['CND'],
}

export const accessories: Record<string, string[]> = {
  WDR: ['JWL', 'SUN'],
  WTP: ['JWL', 'SCF'],
  MSH: ['BLT'],
  MTR: ['BLT'],
  OUT: ['SCF'],
  SHO: ['BAG'],
  BAG: ['SCF'],
  CER: ['CND'],
}
