import { expect } from '@open-wc/testing';
import { formatBytes, formatDuration, formatPercent, formatRate } from '../../src/element/format.js';
import { loadTranslation, registerTranslation, resolveTranslation } from '../../src/element/localize.js';
import { en } from '../../src/element/translations/en.js';

describe('format', () => {
  it('writes sizes in decimal units without showing 1000 of a unit', () => {
    expect(formatBytes(0, 'en')).to.equal('0 bytes');
    expect(formatBytes(1500, 'en')).to.equal('1.5 kB');
    expect(formatBytes(999_960, 'en')).to.equal('1 MB');
    expect(formatBytes(12.6e6, 'zh-CN')).to.equal('12.6 MB');
  });

  it('writes rates, durations and percentages', () => {
    expect(formatRate(3_400_000, 'en')).to.equal('3.4 MB/s');
    expect(formatDuration(45, 'en')).to.equal('45 sec');
    expect(formatDuration(3720, 'en')).to.equal('1 hr 2 min');
    expect(formatDuration(120, 'en')).to.equal('2 min');
    expect(formatDuration(0.2, 'zh-CN')).to.equal('1秒');
    expect(formatPercent(0.999, 'en')).to.equal('99%');
    expect(formatPercent(1, 'en')).to.equal('100%');
  });
});

describe('resolveTranslation', () => {
  it('loads a bundled language only when a page asks for it, and English needs no loading', async () => {
    expect(resolveTranslation('zh-CN').$code, 'not loaded yet').to.equal('en');
    expect(loadTranslation('en')).to.equal(undefined);
    expect(loadTranslation('de')).to.equal(undefined);
    await loadTranslation('zh-Hans');
    expect(resolveTranslation('zh-CN').$code).to.equal('zh-CN');
    expect(loadTranslation('zh-CN')).to.equal(undefined);
  });

  it('matches the exact code, then the language, then falls back to English', async () => {
    await loadTranslation('zh-CN');
    expect(resolveTranslation('zh-CN').$code).to.equal('zh-CN');
    expect(resolveTranslation('zh-Hans').$code).to.equal('zh-CN');
    expect(resolveTranslation('de-AT').$code).to.equal('en');
    expect(resolveTranslation('').$code).to.equal('en');
  });

  it('takes languages registered by the page', () => {
    registerTranslation({ ...en, $code: 'x-test', $name: 'Test', browse: 'Test browse' });
    expect(resolveTranslation('X-Test').browse).to.equal('Test browse');
  });

  it('words every term of both built-in languages', async () => {
    await loadTranslation('zh-CN');
    const zh = resolveTranslation('zh-CN');
    expect(Object.keys(zh).sort()).to.deep.equal(Object.keys(en).sort());
    expect(zh.eta(90)).to.equal('剩余 1分钟 30秒');
    expect(en.eta(90)).to.equal('1 min 30 sec left');
  });
});
