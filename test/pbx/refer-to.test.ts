/** Refer-To as phones send it: plain targets, Replaces with escaped parameters, and malformed ones. */
import { describe, expect, it } from 'vitest';
import { parseReferTo } from '../../src/pbx/transfer.js';

describe('Refer-To', () => {
  it('reads a blind target in angle brackets or bare', () => {
    expect(parseReferTo('<sip:103@pbx.example.com>')).toEqual({ user: '103', replaces: null });
    expect(parseReferTo('sip:*85@pbx.example.com;transport=udp')).toEqual({ user: '*85', replaces: null });
    expect(parseReferTo('"Sales" <sips:600@pbx.example.com>')).toEqual({ user: '600', replaces: null });
  });

  it('reads Replaces with its escaped call id and tags (RFC 3891)', () => {
    const r = parseReferTo(
      '<sip:104@pbx.example.com?Replaces=abc%40host.example%3Bto-tag%3D111%3Bfrom-tag%3D222&Require=replaces>',
    );
    expect(r).toEqual({
      user: '104',
      replaces: { callId: 'abc@host.example', toTag: '111', fromTag: '222' },
    });
  });

  it('refuses what it cannot read, without throwing', () => {
    expect(parseReferTo('<mailto:someone@example.com>')).toBeNull();
    expect(parseReferTo('<sip:10%ZZ@pbx.example.com>')).toBeNull();
    expect(parseReferTo('<sip:104@pbx.example.com?Replaces=abc%E0%A4%A>')).toBeNull();
    expect(parseReferTo('')).toBeNull();
    // Replaces without both tags is not a Replaces: a blind transfer to the user.
    expect(parseReferTo('<sip:104@pbx.example.com?Replaces=abc%3Bto-tag%3D1>')).toEqual({
      user: '104',
      replaces: null,
    });
  });
});
