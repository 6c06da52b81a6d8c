/**
 * The global functions and constants chat templates expect from Python's Jinja plus the
 * transformers additions (raise_exception, strftime_now).
 *
 * @huggingface/jinja's Template.render() declares these itself and then refuses any caller variable
 * of the same name ("Variable already declared"). We run its Interpreter on our own Environment
 * instead, so that raise_exception can throw a distinguishable signal (a rule the conversation broke,
 * not an engine bug) and strftime_now reads a clock the caller controls (reproducible prompts and
 * tests; English month names whatever the browser's locale, as the models were trained on).
 */
import { Environment } from '@huggingface/jinja';

/** Thrown by the template's raise_exception(); the renderer turns it into TemplateError('raise'). */
export class TemplateRaise extends Error {
  override readonly name = 'TemplateRaise';
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
  'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Python's strftime for the directives templates use, in local time and the C locale. */
export function strftime(date: Date, format: string): string {
  return format.replace(/%([a-zA-Z%])/g, (whole, d: string) => {
    switch (d) {
      case 'Y': return String(date.getFullYear());
      case 'y': return pad2(date.getFullYear() % 100);
      case 'm': return pad2(date.getMonth() + 1);
      case 'd': return pad2(date.getDate());
      case 'B': return MONTHS[date.getMonth()];
      case 'b': return MONTHS[date.getMonth()].slice(0, 3);
      case 'A': return DAYS[date.getDay()];
      case 'a': return DAYS[date.getDay()].slice(0, 3);
      case 'H': return pad2(date.getHours());
      case 'I': return pad2(date.getHours() % 12 || 12);
      case 'p': return date.getHours() < 12 ? 'AM' : 'PM';
      case 'M': return pad2(date.getMinutes());
      case 'S': return pad2(date.getSeconds());
      case '%': return '%';
      default: return whole; // unknown directive: left as written rather than guessed
    }
  });
}

/** Python's range(stop) / range(start, stop[, step]). */
function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

/**
 * A fresh global scope for one render. Template variables go in a child scope (see ChatTemplate),
 * so a caller's `extra` may shadow any of these without a clash.
 */
export function templateGlobals(now: Date): Environment {
  const env = new Environment();
  const values: Record<string, unknown> = {
    true: true, false: false, none: null, True: true, False: false, None: null,
    range,
    strftime_now: (format: string) => strftime(now, format),
    raise_exception: (message: unknown) => {
      throw new TemplateRaise(String(message));
    },
  };
  for (const [name, value] of Object.entries(values)) env.set(name, value);
  return env;
}
