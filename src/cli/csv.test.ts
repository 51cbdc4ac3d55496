import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CsvParser, CsvSyntaxError, parseCsv } from './csv.js'

const quote = (field: string) =>
  /^[^",\r\n]+$/.test(field) ? field : `"${field.replaceAll('"', '""')}"`

describe('CSV parser (RFC 4180)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, numbering records by their first line', () => {
    const text = 'a,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\r\nlines",z\r\n3,,\r\n'
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'x, y', 'say "hi"'] },
      { line: 3, fields: ['2', 'two\r\nlines', 'z'] },
      { line: 5, fields: ['3', '', ''] },
    ])
  })

  it('accepts LF endings, a missing final line break, a byte order mark, and skips blank lines', () => {
    expect(parseCsv('\uFEFFsku,qty\n\nA,1\nB,2')).toEqual([
      { line: 1, fields: ['sku', 'qty'] },
      { line: 3, fields: ['A', '1'] },
      { line: 4, fields: ['B', '2'] },
    ])
  })

  it('names the line of an unclosed quote or of text after a closing quote', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(
      new CsvSyntaxError(2, 'a quoted field is never closed'),
    )
    expect(() => parseCsv('a,b\n1,"x"y\n')).toThrow(/^line 2: text after a closing quote/)
    expect(() => parseCsv('a,b\n\n1,x"y\n')).toThrow(/^line 3: a quote inside an unquoted field/)
  })

  it('parses any written table back to itself, however the text is cut into chunks', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'Ω', ' ', ',', '"', '\n', '\r', '1') })
    const table = fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), {
      minLength: 1,
      maxLength: 8,
    })
    fc.assert(
      fc.property(
        table,
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 6 }),
        (records, crlf, cuts) => {
          // A record of one empty field would be a blank line, which readers skip: write it quoted.
          const text = records
            .map((r) => r.map((f) => (f === '' && r.length === 1 ? '""' : quote(f))).join(','))
            .join(crlf ? '\r\n' : '\n')
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
          const parser = new CsvParser()
          const out = []
          let from = 0
          for (const p of [...points, text.length]) {
            out.push(...parser.push(text.slice(from, p)))
            from = p
          }
          out.push(...parser.end())
          expect(out.map((r) => r.fields)).toEqual(records)
        },
      ),
      { numRuns: 300 },
    )
  })
})
