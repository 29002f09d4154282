import { Transform, type TransformCallback } from 'node:stream'
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { errors, PulseGateError } from '../../processors/errors.js'

const GZIP_MAGIC = [0x1f, 0x8b]
const EMPTY = Buffer.alloc(0)

/**
 * Inflates a gzip or deflate request body while it is read, stopping at `maxBytes` of output:
 * a small bomb never gets to fill memory, and fastify's body limit then applies to what was
 * decompressed (SPEC §4). A body labelled gzip that does not start with gzip's magic bytes is
 * read as it is: the statistics design's batch client (seed 002 §8.1) sets
 * `Content-Encoding: gzip` on a plain JSON body, and it must work unchanged.
 * `receivedEncodedLength` is what fastify compares with Content-Length.
 */
class BodyDecoder extends Transform {
  receivedEncodedLength = 0
  private produced = 0
  private inner: Gunzip | Inflate | null | undefined
  /** Bytes received before there were two to tell the encoding by. */
  private head: Buffer = EMPTY

  constructor (private readonly encoding: 'gzip' | 'deflate', private readonly maxBytes: number) { super() }

  override _transform (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.receivedEncodedLength += chunk.length
    if (this.inner === undefined) {
      chunk = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk])
      if (chunk.length < 2) { this.head = chunk; done(); return }
      this.head = EMPTY
      this.inner = this.decide(chunk)
    }
    if (this.inner === null) { this.emitOut(chunk); done(); return }
    this.inner.write(chunk, () => done())
  }

  override _flush (done: TransformCallback): void {
    if (this.inner === undefined) {
      this.inner = null
      if (this.head.length > 0) this.emitOut(this.head)
    }
    if (this.inner === null) { done(); return }
    this.inner.once('end', () => done())
    this.inner.end()
  }

  private decide (first: Buffer): Gunzip | Inflate | null {
    const gzip = first[0] === GZIP_MAGIC[0] && first[1] === GZIP_MAGIC[1]
    // zlib streams start with 0x78 (deflate, 32K window) and a header checksum divisible by 31.
    const zlib = first.length >= 2 && ((first[0] as number) & 0x0f) === 8 && (((first[0] as number) << 8) + (first[1] as number)) % 31 === 0
    if (this.encoding === 'gzip' ? !gzip : !zlib) return null
    const inner = this.encoding === 'gzip' ? createGunzip() : createInflate()
    inner.on('data', (out: Buffer) => this.emitOut(out))
    inner.on('error', (err) => this.destroy(new PulseGateError(errors.BODY_INVALID, `the ${this.encoding} body cannot be decompressed (${err.message})`)))
    return inner
  }

  private emitOut (out: Buffer): void {
    this.produced += out.length
    if (this.produced > this.maxBytes) {
      this.inner?.destroy()
      this.destroy(new PulseGateError(errors.BATCH_TOO_LARGE, `the body decompresses to more than max_batch_bytes (${this.maxBytes})`, { details: { limit: 'max_batch_bytes', max: this.maxBytes } }))
      return
    }
    this.push(out)
  }
}

/** Accepts `Content-Encoding: gzip | x-gzip | deflate | identity`; anything else is 415. */
export function registerDecompression(app: FastifyInstance, maxBytes: number): void {
  app.addHook('preParsing', async (req, _reply, payload) => {
    const encoding = req.headers['content-encoding']?.trim().toLowerCase()
    if (encoding === undefined || encoding === '' || encoding === 'identity') return payload
    if (encoding !== 'gzip' && encoding !== 'x-gzip' && encoding !== 'deflate') {
      throw new PulseGateError(errors.ENCODING, `${encoding}; send gzip, deflate or no encoding`)
    }
    const decoder = new BodyDecoder(encoding === 'deflate' ? 'deflate' : 'gzip', maxBytes)
    payload.on('error', (err) => decoder.destroy(err))
    return payload.pipe(decoder)
  })
}
