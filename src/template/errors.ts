/**
 * The one error type chat-template code throws, so the server can turn any of them into a 400 (bad
 * conversation for this model) or a load failure (broken template) without string matching.
 */

/**
 * - `syntax`: the template source does not parse (a broken model file, found at load time);
 * - `raise`: the template called raise_exception (the conversation breaks the model's rules,
 *   e.g. roles that do not alternate);
 * - `render`: the template failed while running (a feature our Jinja engine lacks, a missing variable);
 * - `input`: a message we could not turn into template input (e.g. an image content part).
 */
export type TemplateErrorKind = 'syntax' | 'raise' | 'render' | 'input';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';

  constructor(
    readonly kind: TemplateErrorKind,
    /** The template's (or the Jinja engine's) own words, without our prefix. */
    readonly detail: string,
    /** Index into the caller's `messages` of the first message that triggers the error, when known. */
    readonly messageIndex?: number,
    options?: { cause?: unknown },
  ) {
    super(describe(kind, detail, messageIndex), options);
  }
}

function describe(kind: TemplateErrorKind, detail: string, messageIndex: number | undefined): string {
  const what = {
    syntax: 'chat template does not parse',
    raise: 'chat template rejected the conversation',
    render: 'chat template failed to render',
    input: 'message cannot be passed to the chat template',
  }[kind];
  const where = messageIndex === undefined ? '' : ` (messages[${messageIndex}])`;
  return `${what}${where}: ${detail}`;
}
