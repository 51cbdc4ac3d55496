import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError'
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes `<dir>/omnia.lock` for this process. The embedded engine has no server to arbitrate
 * between processes, and two writers on one folder corrupt it, so a live owner means refusal.
 * A lock left by a process that died (SIGKILL, power loss) is taken over.
 */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, 'omnia.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(path, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = Number(readFileSync(path, 'utf8').trim())
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new DataDirInUseError(
          `The data folder ${dir} is in use by another Omnia process (pid ${owner}). ` +
            'Stop that process, or give this one its own OMNIA_DATA_DIR, or use DATABASE_URL ' +
            'to share one PostgreSQL server between several processes.',
        )
      }
      rmSync(path, { force: true })
    }
  }
  throw new DataDirInUseError(`Could not lock the data folder ${dir}`)
}
