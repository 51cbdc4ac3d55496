import { parseArgs, type ParseArgsConfig } from 'node:util'

/** The command line is wrong: exit code 2, with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message)
  }
}

/** The command ran and was refused or failed in a way the user can act on: exit code 1. */
export class CommandFailed extends Error {
  override readonly name: string = 'CommandFailed'
}

type Options = NonNullable<ParseArgsConfig['options']>

export type Parsed<O extends Options> = {
  values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string }
  positionals: string[]
}

/**
 * Parses one command's arguments strictly: an unknown option, a missing option value or a wrong
 * number of positionals is a UsageError. Answers null when `--help` was asked for (the caller
 * has printed nothing yet; the usage text goes to stdout).
 */
export function parseCommand<O extends Options>(
  args: readonly string[],
  usage: string,
  options: O,
  positionals: { min: number; max: number } = { min: 0, max: 0 },
): Parsed<O> | null {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${usage}\n`)
    return null
  }
  let parsed
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message.split('. ')[0] ?? 'invalid arguments', usage)
  }
  const count = parsed.positionals.length
  if (count < positionals.min) throw new UsageError('missing argument', usage)
  if (count > positionals.max)
    throw new UsageError(`unexpected argument ${parsed.positionals[positionals.max]}`, usage)
  return parsed as unknown as Parsed<O>
}

/** A positive integer option, or the default when absent. */
export function positiveInteger(
  raw: string | undefined,
  name: string,
  fallback: number,
  usage: string,
): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a positive integer, not ${raw}`, usage)
  return n
}
