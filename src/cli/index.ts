import { loadConfig, type Config } from '../config.js'
import { DomainError } from '../kernel/errors.js'
import { CommandFailed, UsageError } from './args.js'
import { runDemo } from './demo.js'
import { runImport } from './import.js'
import { runKeys } from './keys.js'
import { runMigrate } from './migrate.js'

type Command = (config: Config, args: string[]) => Promise<void>

const commands: Record<string, Command> = {
  migrate: runMigrate,
  demo: runDemo,
  import: runImport,
  keys: runKeys,
}

// A validation problem's detail already joins its field errors: list them one a line instead.
function describe(err: DomainError): string {
  const errors = (err.members as { errors?: { path: string; message: string }[] }).errors
  if (!errors || errors.length === 0) return `${err.message}\n`
  return `refused:\n${errors.map((e) => `  ${e.path || '(input)'}: ${e.message}`).join('\n')}\n`
}

/**
 * Runs `omnia <command> …` for every command but `serve`, and sets the exit code: 0 done,
 * 1 refused or failed (a domain problem, rejected import rows), 2 the command line is wrong.
 * A data folder held by a running server surfaces as DataDirInUseError, which main.ts reports.
 */
export async function runCli(command: string, args: string[]): Promise<void> {
  const run = commands[command]
  if (!run) {
    process.stderr.write(`Unknown command ${command}\n`)
    process.exitCode = 2
    return
  }
  try {
    await run(loadConfig(), args)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`omnia ${command}: ${err.message}\n\n${err.usage}\n`)
      process.exitCode = 2
    } else if (err instanceof CommandFailed) {
      process.stderr.write(`${err.message}\n`)
      process.exitCode = 1
    } else if (err instanceof DomainError) {
      process.stderr.write(`omnia ${command}: ${describe(err)}`)
      process.exitCode = 1
    } else {
      throw err
    }
  }
}
