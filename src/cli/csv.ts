import { createReadStream } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'

/** One CSV record and the physical line it starts on (1-based, the header is line 1). */
export type CsvRecord = { line: number; fields: string[] }

/** The file cannot be read as CSV from this line on (an unclosed quote, text after a quote). */
export class CsvSyntaxError extends Error {
  override readonly name = 'CsvSyntaxError'
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`)
  }
}

/**
 * An incremental RFC 4180 parser: comma-separated, fields optionally quoted with `"`, a quote
 * inside a quoted field written `""`, records ended by CRLF or LF (a quoted field may span
 * lines). A leading UTF-8 byte order mark is dropped and blank lines are skipped. It is fed
 * chunks, so a large file never has to be in memory as one string.
 */
export class CsvParser {
  #fields: string[] = []
  #field = ''
  #quoted = false // inside a quoted field
  #afterQuote = false // a quoted field just closed: only a separator may follow
  #started = false // the current record has content
  #line = 1 // the physical line being read
  #recordLine = 1
  #pendingCr = false
  #first = true

  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = []
    let text = chunk
    if (this.#first && text.length > 0) {
      this.#first = false
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!
      if (this.#pendingCr) {
        this.#pendingCr = false
        if (c === '\n') continue // the LF of a CRLF already ended the record
      }
      if (this.#quoted) {
        if (c === '"') {
          if (i + 1 < text.length) {
            if (text[i + 1] === '"') {
              this.#field += '"'
              i++
            } else {
              this.#quoted = false
              this.#afterQuote = true
            }
          } else {
            // The chunk ends on a quote: whether it escapes a quote depends on the next chunk.
            this.#quoted = false
            this.#afterQuote = true
          }
        } else {
          if (c === '\n') this.#line++
          this.#field += c
        }
        continue
      }
      if (c === ',') {
        this.#endField()
      } else if (c === '\n' || c === '\r') {
        if (c === '\r') this.#pendingCr = true
        const record = this.#endRecord()
        if (record) out.push(record)
        this.#line++
        this.#recordLine = this.#line
      } else if (c === '"') {
        if (this.#afterQuote) {
          // `""` split across two chunks: an escaped quote inside the quoted field.
          this.#field += '"'
          this.#afterQuote = false
          this.#quoted = true
        } else if (this.#field.length === 0) {
          this.#quoted = true
          this.#started = true
        } else {
          throw new CsvSyntaxError(
            this.#line,
            'a quote inside an unquoted field (quote the whole field and double the quote)',
          )
        }
      } else {
        if (this.#afterQuote) {
          throw new CsvSyntaxError(
            this.#line,
            'text after a closing quote (a quote inside a quoted field is written "")',
          )
        }
        this.#field += c
        this.#started = true
      }
    }
    return out
  }

  /** Ends the input: returns the last record when the file does not end with a line break. */
  end(): CsvRecord[] {
    if (this.#quoted) throw new CsvSyntaxError(this.#recordLine, 'a quoted field is never closed')
    const record = this.#endRecord()
    return record ? [record] : []
  }

  #endField() {
    this.#fields.push(this.#field)
    this.#field = ''
    this.#afterQuote = false
    this.#started = true
  }

  #endRecord(): CsvRecord | null {
    if (!this.#started && this.#field === '' && this.#fields.length === 0) return null
    this.#endField()
    const record = { line: this.#recordLine, fields: this.#fields }
    this.#fields = []
    this.#started = false
    return record
  }
}

/** Parses a whole string (for tests and small inputs). */
export function parseCsv(text: string): CsvRecord[] {
  const parser = new CsvParser()
  return [...parser.push(text), ...parser.end()]
}

/** Reads a CSV file as UTF-8, record by record. */
export async function* readCsvFile(path: string): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser()
  const decoder = new StringDecoder('utf8')
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    yield* parser.push(decoder.write(chunk as Buffer))
  }
  yield* parser.push(decoder.end())
  yield* parser.end()
}
