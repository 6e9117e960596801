// What the bench generators share to make text that compresses like real text: a vocabulary in
// order of frequency, built the same way for every database, and the seeded draws that order it.
import { makeRng } from '../test/support/rng';

/** mulberry32's 32-bit outputs (test/support/rng.ts), the generators' raw draws: the same on every machine. */
export function uint32Draws(seed: number): () => number {
  const rng = makeRng(seed);
  return () => rng.next() * 4294967296;
}

export const STOP_WORDS = `the of and to a in is for on that with as by at from this be are was it or an will not have has your our we
  you they their which can all more been if would one new also after before about into than other only its over some these when
  there any may such so most just through where very well while each both should must under between same per via`.trim().split(/\s+/);

export const SYLLABLES = ['ka', 'lo', 'ren', 'mi', 'sta', 'vor', 'dul', 'bex', 'tri', 'an', 'el', 'or', 'qui', 'zen', 'po', 'ra', 'nis', 'tal', 'fe', 'gor'];

/**
 * A vocabulary in order of frequency: stop words, then the application's `words`, their
 * inflections, then 4,000 rare coined words (names, jargon). `shuffle(items, list)` orders each
 * list in place (list 0: the words, 1: the inflections, 2: the coined words), in that order.
 */
export function vocabularyInOrder(words: readonly string[], shuffle: <T>(items: T[], list: number) => T[]): string[] {
  const inflected = words.flatMap(w => [`${w}s`, `${w}ed`, `${w}ing`, `re${w}`, `${w}er`]);
  const coined: string[] = [];
  for (const a of SYLLABLES) for (const b of SYLLABLES) for (const c of SYLLABLES) coined.push(a + b + c);
  return [...new Set([...STOP_WORDS, ...shuffle([...words], 0), ...shuffle(inflected, 1), ...shuffle(coined, 2).slice(0, 4000)])];
}
