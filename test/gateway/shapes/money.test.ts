import { describe, expect, it } from 'vitest'
import { yuanToMinor } from '../../../gateway/http/shapes/money.js'

describe('yuanToMinor', () => {
  it.each([
    [299, 29900], // seed 002 §4.2.2 line 242, "amount": 299
    [29.9, 2990], // 29.9 * 100 is 2989.9999999999995 in floating point
    [0.1, 10], [0.07, 7], [1.005, undefined], [4500, 450000], [0, 0], [-0, 0],
    ['12.34', 1234], ['12.3', 1230], ['007.50', 750], ['-5.5', -550], [-19.99, -1999], ['-0.00', 0],
    [90071992547409.9, 9007199254740990], ['90071992547409.91', 9007199254740991]
  ])('%j yuan is %j fen', (yuan, fen) => {
    const result = yuanToMinor(yuan)
    if (fen === undefined) expect(result.ok).toBe(false)
    else expect(result).toEqual({ ok: true, minor: fen })
  })

  it.each([
    [1e21, 'must be yuan with at most 2 decimals, not 1e+21'],
    [12.345, 'must be yuan with at most 2 decimals, not 12.345'],
    [1e-7, 'must be yuan with at most 2 decimals, not 1e-7'],
    ['12.345', 'must be yuan with at most 2 decimals, not "12.345"'],
    ['1e3', 'must be yuan with at most 2 decimals, not "1e3"'],
    [' 12', 'must be yuan with at most 2 decimals, not " 12"'],
    ['.5', 'must be yuan with at most 2 decimals, not ".5"'],
    ['5.', 'must be yuan with at most 2 decimals, not "5."'],
    ['+5', 'must be yuan with at most 2 decimals, not "+5"'],
    ['', 'must be yuan with at most 2 decimals, not ""'],
    ['90071992547409.92', '"90071992547409.92" yuan is too large to count in minor units exactly'],
    [true, 'must be a number or a decimal string of yuan, not boolean'],
    [null, 'must be a number or a decimal string of yuan, not null'],
    [[1], 'must be a number or a decimal string of yuan, not an array'],
    [{ yuan: 1 }, 'must be a number or a decimal string of yuan, not object']
  ])('refuses %j', (value, message) => {
    expect(yuanToMinor(value)).toEqual({ ok: false, message })
  })
})
