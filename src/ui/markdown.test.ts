// Layer 1 of the markdown safety (marked with raw HTML escaped), in Node. Layer 2 (DOMPurify) needs a DOM:
// e2e/ui.spec.ts covers the whole renderMarkdown in Chromium.
import { describe, expect, it } from 'vitest';
import { escapeHtml, markdownToHtml } from './markdown.ts';

describe('markdownToHtml', () => {
  it('renders GFM with single newlines as breaks', () => {
    const html = markdownToHtml('# Title\n\n- one\n- two\n\n```ts\nconst a = 1 < 2;\n```\n\nline 1\nline 2\n\n| a | b |\n|---|---|\n| 1 | 2 |');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<li>one</li>');
    expect(html).toContain('<pre><code class="language-ts">const a = 1 &lt; 2;\n</code></pre>');
    expect(html).toContain('line 1<br>line 2');
    expect(html).toContain('<table>');
  });

  it('shows raw HTML, block and inline, as text', () => {
    const block = markdownToHtml('<script>window.__pwned=1</script>');
    expect(block).not.toContain('<script');
    expect(block).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    const inline = markdownToHtml('look <img src=x onerror="window.__pwned=1"> here');
    expect(inline).not.toContain('<img');
    expect(inline).toContain('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;');
    const multi = markdownToHtml('<div>\n<b>x</b>\n</div>');
    expect(multi).toBe('<p>&lt;div&gt;<br>&lt;b&gt;x&lt;/b&gt;<br>&lt;/div&gt;</p>\n');
  });

  it('turns images into links, so nothing loads without a click', () => {
    const html = markdownToHtml('![cat](https://example.com/c.png "t")');
    expect(html).not.toContain('<img');
    expect(html).toContain('<a href="https://example.com/c.png">cat</a>');
  });

  it('renders an unclosed code fence (mid-stream) as code to the end', () => {
    const html = markdownToHtml('Here:\n\n```js\nlet x = "<b>";\n');
    expect(html).toContain('<pre><code class="language-js">let x = &quot;&lt;b&gt;&quot;;\n</code></pre>');
  });

  it('escapes every HTML-significant character', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
