import { describe, expect, it } from 'vitest'
import { cityOf, hmacId, maskIdNumber, maskPhone } from '../../../processors/privacy/mask.js'

describe('maskPhone: the last 4 digits stay', () => {
  it.each([
    ['13812345678', '*******5678'],
    ['+86 138-1234-5678', '+** ***-****-5678'],
    ['+44 20 7946 0958', '+** ** **** 0958'],
    ['(555) 123-4567', '(***) ***-4567'],
    ['010-12345', '***-*2345']
  ])('%s → %s', (input, masked) => {
    expect(maskPhone(input)).toBe(masked)
  })

  it('masks every digit when fewer than 5 would leave nothing hidden', () => {
    expect(maskPhone('1234')).toBe('****')
    expect(maskPhone('110')).toBe('***')
  })

  it('reads full-width digits as digits', () => {
    expect(maskPhone('１３８１２３４５６７８')).toBe('*******5678')
  })

  it('changes nothing when masking a masked number again', () => {
    for (const v of ['13812345678', '+86 138-1234-5678', '1234']) expect(maskPhone(maskPhone(v))).toBe(maskPhone(v))
  })

  it('masks letters and other characters rather than keep them', () => {
    expect(maskPhone('tel:13812345678')).toBe('****' + '*******5678')
    expect(maskPhone('张三13812345678')).toBe('**' + '*******5678')
  })
})

describe('maskIdNumber: the first 6 and last 4 characters stay', () => {
  it.each([
    ['110105199001011234', '110105********1234'],
    ['11010519900101123X', '110105********123X'],
    ['110105900101123', '110105*****1123'],
    ['AB1234567890', 'AB1234**7890'],
    ['G12345678X1', 'G12345*78X1']
  ])('%s → %s', (input, masked) => {
    expect(maskIdNumber(input)).toBe(masked)
  })

  it('masks 10 characters or fewer whole: keeping 6 + 4 would keep everything', () => {
    expect(maskIdNumber('1234567890')).toBe('**********')
    expect(maskIdNumber('E1234567')).toBe('********')
    expect(maskIdNumber('')).toBe('')
  })
})

describe('cityOf: Chinese addresses stop at the city', () => {
  it.each([
    ['上海市浦东新区世纪大道100号', '上海市'],
    ['北京市朝阳区', '北京市'],
    ['重庆渝中区解放碑', '重庆'],
    ['广东省深圳市南山区科技园', '广东省深圳市'],
    ['中国广东省 深圳市 南山区', '广东省深圳市'],
    ['新疆维吾尔自治区乌鲁木齐市天山区解放北路1号', '新疆维吾尔自治区乌鲁木齐市'],
    ['广西壮族自治区南宁市青秀区', '广西壮族自治区南宁市'],
    ['吉林省延边朝鲜族自治州延吉市局子街', '吉林省延边朝鲜族自治州'],
    ['新疆维吾尔自治区阿克苏地区阿克苏市', '新疆维吾尔自治区阿克苏地区'],
    ['内蒙古自治区锡林郭勒盟锡林浩特市', '内蒙古自治区锡林郭勒盟'],
    ['江苏省镇江市京口区', '江苏省镇江市'],
    ['香港特别行政区九龙城区', '香港特别行政区'],
    ['海南省陵水黎族自治县英州镇', '海南省'],
    ['深圳市南山区科技园', '深圳市']
  ])('%s → %s', (input, city) => {
    expect(cityOf(input)).toBe(city)
  })

  it('gives null when no city can be found, never the street', () => {
    expect(cityOf('南山区科技园科技中一路1号')).toBeNull()
    expect(cityOf('世纪大道100号')).toBeNull()
  })
})

describe('cityOf: Latin addresses keep the last two comma-separated parts', () => {
  it.each([
    ['221B Baker Street, London, UK', 'London, UK'],
    ['1600 Amphitheatre Pkwy, Mountain View, CA 94043, USA', 'CA, USA'],
    ['10 Downing St, Westminster, London SW1A 2AA, United Kingdom', 'London, United Kingdom'],
    ['221B Baker Street, London', 'London']
  ])('%s → %s', (input, city) => {
    expect(cityOf(input)).toBe(city)
  })

  it('gives null for text without parts or with nothing left once numbers go', () => {
    expect(cityOf('221B Baker Street')).toBeNull()
    expect(cityOf('Baker Street 221B, NW1 6XE')).toBeNull()
    expect(cityOf('')).toBeNull()
  })
})

describe('cityOf: structured addresses and other values', () => {
  it('keeps only province and city', () => {
    expect(cityOf({ province: '广东省', city: '深圳市', district: '南山区', street: '科技园路1号', zip: '518057' }))
      .toEqual({ province: '广东省', city: '深圳市' })
    expect(cityOf({ city: 'London', street: '221B Baker Street' })).toEqual({ city: 'London' })
  })

  it('gives null for an object without them and for values that are no address', () => {
    expect(cityOf({ street: '221B Baker Street', district: 5 })).toBeNull()
    expect(cityOf({ province: 44, city: ['深圳市'] })).toBeNull()
    expect(cityOf(42)).toBeNull()
    expect(cityOf(['上海市'])).toBeNull()
    expect(cityOf(null)).toBeNull()
  })
})

describe('hmacId', () => {
  const key = Buffer.from('key-one')

  it('is h: and 32 base64url characters', () => {
    expect(hmacId(key, 'user_123')).toMatch(/^h:[A-Za-z0-9_-]{32}$/)
  })

  it('is deterministic, so unique counts stay exact', () => {
    expect(hmacId(key, 'user_123')).toBe(hmacId(Buffer.from('key-one'), 'user_123'))
    expect(hmacId(key, '用户甲')).toBe(hmacId(key, '用户甲'))
  })

  it('depends on the value and on the key', () => {
    expect(hmacId(key, 'user_123')).not.toBe(hmacId(key, 'user_124'))
    expect(hmacId(key, 'user_123')).not.toBe(hmacId(Buffer.from('key-two'), 'user_123'))
  })
})
