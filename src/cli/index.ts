/** CLI commands other than `serve`. */
export async function runCli(command: string, _args: string[]): Promise<void> {
  throw new Error(`omnia ${command} is not available yet`)
}
