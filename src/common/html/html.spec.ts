import { escapeHtml, html, Html } from './html';

describe('HTML escaping', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['"><img src=x onerror=alert(1)>', '&quot;&gt;&lt;img src&#61;x onerror&#61;alert(1)&gt;'],
    ["' onmouseover='x", '&#39; onmouseover&#61;&#39;x'],
    ['a & b', 'a &amp; b'],
    ['&amp;', '&amp;amp;'],
    ['`x`', '&#96;x&#96;'],
    ['plain text', 'plain text'],
    ['', ''],
  ])('escapes %p', (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });

  it('escapes every interpolated value and nothing of the template', () => {
    const name = '<b>Evil & Co</b>';
    expect(html`<p class="x">${name}</p>`.value).toBe('<p class="x">&lt;b&gt;Evil &amp; Co&lt;/b&gt;</p>');
  });

  it('keeps nested Html, joins arrays, drops null, undefined and false', () => {
    const items = ['<a>', 'b'].map((s) => html`<li>${s}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.value).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>0');
  });

  it('a string that looks like HTML is still escaped; only Html instances pass', () => {
    const pretend = { value: '<x>' } as unknown as string;
    expect(html`${pretend}`.value).toBe('[object Object]');
    expect(html`${new Html('<x>')}`.value).toBe('<x>');
  });
});
