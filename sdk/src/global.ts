import { omnia } from './index.js'

// The IIFE build: `<script src="/sdk/omnia.js">` then `omnia.load(...)`.
;(globalThis as unknown as { omnia: typeof omnia }).omnia = omnia
