import { userInfo } from 'node:os'
import type { Principal } from '../kernel/auth/index.js'

function osUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}

/**
 * Who the audit trail names for a command-line write: the operator at the machine, who has the
 * database itself and therefore every power an admin key has. `keyId` is `cli`, never a real key.
 */
export function operator(): Principal {
  return {
    kind: 'staff',
    keyId: 'cli',
    name: `cli (${osUser()})`,
    role: 'admin',
    location: null,
    scopes: new Set(),
  }
}
