import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../gateway/log.js'

function capture(): { log: ReturnType<typeof createLogger>; records: () => Array<Record<string, unknown>> } {
  const lines: string[] = []
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  return { log: createLogger('info', sink), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

describe('the gateway logger', () => {
  it('censors secrets and personal fields at the top level and one level down', () => {
    const { log, records } = capture()
    log.info({
      phone: '13812345678', key: 'pgw_secret', write_key: 'pgw_other', adminKey: 'admin-secret-value',
      event: { phone: '13812345678', id_number: '110105199001011234', address: '上海市浦东新区', real_name: '张三', page: '/home' },
      req: { headers: { authorization: 'Bearer pgw_secret' } }
    }, 'probe')
    const [record] = records()
    expect(record).toMatchObject({
      msg: 'probe', phone: '[redacted]', key: '[redacted]', write_key: '[redacted]', adminKey: '[redacted]',
      event: { phone: '[redacted]', id_number: '[redacted]', address: '[redacted]', real_name: '[redacted]', page: '/home' },
      req: { headers: { authorization: '[redacted]' } }
    })
  })
})
