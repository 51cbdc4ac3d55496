#!/usr/bin/env node
// The `omnia` command: runs the TypeScript entry point through tsx, in this process, so signals,
// standard streams and the exit code are the program's own.
import { register } from 'tsx/esm/api'

register()
await import(new URL('../src/main.ts', import.meta.url).href)
