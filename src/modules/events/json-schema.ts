import type { FieldError } from '../../kernel/errors.js'

/**
 * The JSON Schema subset a tracking plan may use (draft 2020-12 keywords and meanings): `type`
 * (one or a list of string, number, integer, boolean, object, array, null), `properties`,
 * `required`, `additionalProperties` (a boolean), `items`, `enum`, `const`, `minimum`, `maximum`,
 * `exclusiveMinimum`, `exclusiveMaximum`, `minLength`, `maxLength`, `pattern`, `minItems`,
 * `maxItems`, plus the annotations `title`, `description` and `$comment`. Any other keyword is
 * refused when the plan is saved, so a schema never seems to enforce what it does not.
 */
export type JsonSchema = { readonly [keyword: string]: unknown }

/** Checks a value; returns the violations, each with the path of the offending value. */
export type Validator = (value: unknown, path: string) => FieldError[]

const types = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'] as const
type JsonType = (typeof types)[number]

const maxDepth = 12
const maxPatternLength = 500

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0
const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v)
const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key))

const keywordChecks: Record<string, (v: unknown) => string | null> = {
  type: (v) => {
    const list = Array.isArray(v) ? v : [v]
    return list.length > 0 && list.every((t) => (types as readonly unknown[]).includes(t)) ? null : `must be one of ${types.join(', ')} or a list of them`
  },
  properties: (v) => (isObject(v) ? null : 'must be an object of schemas'),
  required: (v) => (Array.isArray(v) && v.every((k) => typeof k === 'string') ? null : 'must be a list of property names'),
  additionalProperties: (v) => (typeof v === 'boolean' ? null : 'must be true or false'),
  items: (v) => (isObject(v) ? null : 'must be a schema'),
  enum: (v) => (Array.isArray(v) && v.length > 0 ? null : 'must be a non-empty list'),
  const: () => null,
  minimum: (v) => (isNumber(v) ? null : 'must be a number'),
  maximum: (v) => (isNumber(v) ? null : 'must be a number'),
  exclusiveMinimum: (v) => (isNumber(v) ? null : 'must be a number'),
  exclusiveMaximum: (v) => (isNumber(v) ? null : 'must be a number'),
  minLength: (v) => (isCount(v) ? null : 'must be a whole number ≥ 0'),
  maxLength: (v) => (isCount(v) ? null : 'must be a whole number ≥ 0'),
  minItems: (v) => (isCount(v) ? null : 'must be a whole number ≥ 0'),
  maxItems: (v) => (isCount(v) ? null : 'must be a whole number ≥ 0'),
  pattern: (v) => {
    if (typeof v !== 'string' || v.length > maxPatternLength) return `must be a regular expression of at most ${maxPatternLength} characters`
    try {
      new RegExp(v, 'u')
      return null
    } catch {
      return 'is not a valid regular expression'
    }
  },
  title: (v) => (typeof v === 'string' ? null : 'must be a string'),
  description: (v) => (typeof v === 'string' ? null : 'must be a string'),
  $comment: (v) => (typeof v === 'string' ? null : 'must be a string'),
}

/** Every reason `schema` is not a schema of the supported subset, with paths under `path`. */
export function schemaErrors(schema: unknown, path: string, depth = 0): FieldError[] {
  if (!isObject(schema)) return [{ path, message: 'must be a JSON Schema object' }]
  if (depth > maxDepth) return [{ path, message: `nests deeper than ${maxDepth} levels` }]
  const errors: FieldError[] = []
  for (const [keyword, value] of Object.entries(schema)) {
    const check = keywordChecks[keyword]
    const message = check ? check(value) : `is not a supported keyword (supported: ${Object.keys(keywordChecks).join(', ')})`
    if (message) errors.push({ path: join(path, keyword), message })
  }
  if (errors.length > 0) return errors
  for (const [name, sub] of Object.entries((schema.properties as Record<string, unknown>) ?? {})) {
    errors.push(...schemaErrors(sub, join(join(path, 'properties'), name), depth + 1))
  }
  if (schema.items !== undefined) errors.push(...schemaErrors(schema.items, join(path, 'items'), depth + 1))
  return errors
}

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value as JsonType
}

// Structural equality of JSON values, for enum and const.
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

type Rule = (value: unknown, path: string, out: FieldError[]) => void

/**
 * Turns a checked schema (see `schemaErrors`) into a validator once, so ingestion runs plain
 * closures per event instead of interpreting the schema (patterns are compiled here too).
 */
export function compileSchema(schema: JsonSchema): Validator {
  const rule = compile(schema)
  return (value, path) => {
    const out: FieldError[] = []
    rule(value, path, out)
    return out
  }
}

function compile(schema: JsonSchema): Rule {
  const rules: Rule[] = []
  if (schema.type !== undefined) {
    const allowed = new Set((Array.isArray(schema.type) ? schema.type : [schema.type]) as JsonType[])
    const label = [...allowed].join(' or ')
    rules.push((v, p, out) => {
      const t = typeOf(v)
      if (!allowed.has(t) && !(t === 'integer' && allowed.has('number'))) out.push({ path: p, message: `must be ${label}, not ${t}` })
    })
  }
  if (schema.enum !== undefined) {
    const options = schema.enum as unknown[]
    rules.push((v, p, out) => {
      if (!options.some((o) => sameJson(o, v))) out.push({ path: p, message: `must be one of ${JSON.stringify(options)}` })
    })
  }
  if ('const' in schema) {
    rules.push((v, p, out) => {
      if (!sameJson(schema.const, v)) out.push({ path: p, message: `must be ${JSON.stringify(schema.const)}` })
    })
  }
  rules.push(...numberRules(schema), ...stringRules(schema), ...arrayRules(schema), ...objectRules(schema))
  return (v, p, out) => {
    for (const r of rules) r(v, p, out)
  }
}

function numberRules(s: JsonSchema): Rule[] {
  const bounds: [unknown, (v: number, b: number) => boolean, string][] = [
    [s.minimum, (v, b) => v >= b, 'at least'],
    [s.maximum, (v, b) => v <= b, 'at most'],
    [s.exclusiveMinimum, (v, b) => v > b, 'more than'],
    [s.exclusiveMaximum, (v, b) => v < b, 'less than'],
  ]
  return bounds
    .filter(([b]) => b !== undefined)
    .map(([b, ok, words]): Rule => (v, p, out) => {
      if (typeof v === 'number' && !ok(v, b as number)) out.push({ path: p, message: `must be ${words} ${b as number}` })
    })
}

function stringRules(s: JsonSchema): Rule[] {
  const rules: Rule[] = []
  // Lengths count code points, as JSON Schema does, not UTF-16 units.
  const length = (v: string) => [...v].length
  if (s.minLength !== undefined) {
    const min = s.minLength as number
    rules.push((v, p, out) => {
      if (typeof v === 'string' && length(v) < min) out.push({ path: p, message: `must have at least ${min} characters` })
    })
  }
  if (s.maxLength !== undefined) {
    const max = s.maxLength as number
    rules.push((v, p, out) => {
      if (typeof v === 'string' && length(v) > max) out.push({ path: p, message: `must have at most ${max} characters` })
    })
  }
  if (s.pattern !== undefined) {
    const re = new RegExp(s.pattern as string, 'u')
    rules.push((v, p, out) => {
      if (typeof v === 'string' && !re.test(v)) out.push({ path: p, message: `must match ${s.pattern as string}` })
    })
  }
  return rules
}

function arrayRules(s: JsonSchema): Rule[] {
  const rules: Rule[] = []
  if (s.minItems !== undefined) {
    const min = s.minItems as number
    rules.push((v, p, out) => {
      if (Array.isArray(v) && v.length < min) out.push({ path: p, message: `must have at least ${min} items` })
    })
  }
  if (s.maxItems !== undefined) {
    const max = s.maxItems as number
    rules.push((v, p, out) => {
      if (Array.isArray(v) && v.length > max) out.push({ path: p, message: `must have at most ${max} items` })
    })
  }
  if (s.items !== undefined) {
    const item = compile(s.items as JsonSchema)
    rules.push((v, p, out) => {
      if (Array.isArray(v)) v.forEach((x, i) => item(x, join(p, i), out))
    })
  }
  return rules
}

function objectRules(s: JsonSchema): Rule[] {
  const rules: Rule[] = []
  const isObj = (v: unknown): v is Record<string, unknown> => isObject(v)
  if (s.required !== undefined) {
    const required = s.required as string[]
    rules.push((v, p, out) => {
      if (!isObj(v)) return
      for (const k of required) if (v[k] === undefined) out.push({ path: join(p, k), message: 'is required' })
    })
  }
  const properties = Object.entries((s.properties as Record<string, JsonSchema>) ?? {}).map(([k, sub]) => [k, compile(sub)] as const)
  if (properties.length > 0) {
    rules.push((v, p, out) => {
      if (!isObj(v)) return
      for (const [k, rule] of properties) if (v[k] !== undefined) rule(v[k], join(p, k), out)
    })
  }
  if (s.additionalProperties === false) {
    const known = new Set(properties.map(([k]) => k))
    rules.push((v, p, out) => {
      if (!isObj(v)) return
      for (const k of Object.keys(v)) if (!known.has(k)) out.push({ path: join(p, k), message: 'is not in the tracking plan' })
    })
  }
  return rules
}
