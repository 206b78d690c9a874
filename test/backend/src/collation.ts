/**
 * How Appwrite's database compares strings, for the local backend.
 *
 * Appwrite 1.6 keeps documents in MariaDB 10.11 tables that take the database's default
 * character set, utf8mb4, whose default collation is `utf8mb4_general_ci` (utopia-php/database
 * creates the schema with `DEFAULT CHARACTER SET utf8mb4` and no collation; appwrite/appwrite#6327
 * confirms it). That collation, for every string attribute and for `$id`:
 *  - gives each character one 16-bit weight: letters compare without case and without accents
 *    (`é` = `E`, `ß` = `S`), other characters by code point (`_` sorts after letters and digits);
 *  - gives every character outside the Basic Multilingual Plane (emoji…) the weight of U+FFFD,
 *    so they all compare equal to each other;
 *  - is PAD SPACE: trailing spaces do not count (`'a' = 'a  '`), comparisons behave as if the
 *    shorter string were padded with spaces;
 *  - LIKE (Appwrite's startsWith, endsWith and contains on strings) compares weight by weight,
 *    without the padding.
 *
 * The weights follow Unicode 3.0's case mappings and canonical decompositions: a character's
 * weight is the upper-case form of its base letter. Only the blocks the collation's tables cover
 * map anything (Latin, Greek, Cyrillic, Armenian, Latin/Greek Extended, Roman numerals, circled
 * letters, full-width forms); every other character weighs its own code point.
 *
 * SQLite knows none of this, and better-sqlite3 registers functions but not collations, so the
 * backend stores nothing extra: it compares, orders and indexes `mdb_key(column)`, a deterministic
 * SQL function returning a BLOB whose byte order is this collation's order (expression indexes
 * keep equality and ordering indexed, unique indexes collide as MariaDB's do).
 */

/** Pages (high bytes of BMP code points) in which the collation maps characters to other weights. */
const MAPPED_PAGES = new Set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x1e, 0x1f, 0x21, 0x24, 0xff]);

/**
 * Characters that weigh their own code point although the rule below would map them: letters and
 * case pairs that Unicode added after 3.0 (whose modern case mappings the collation does not know).
 */
const UNMAPPED: readonly (readonly [number, number])[] = [
  [0x180, 0x180], [0x19a, 0x19b], [0x19e, 0x19e], [0x234, 0x252], [0x25c, 0x25c], [0x261, 0x261],
  [0x264, 0x266], [0x26a, 0x26c], [0x271, 0x271], [0x27d, 0x27d], [0x282, 0x282], [0x287, 0x287],
  [0x289, 0x289], [0x28c, 0x28c], [0x29d, 0x29e], [0x370, 0x37f], [0x3d7, 0x3d7], [0x3d9, 0x3d9],
  [0x3f3, 0x3ff], [0x48b, 0x48b], [0x4c6, 0x4c6], [0x4ca, 0x4ca], [0x4ce, 0x4cf], [0x4f6, 0x4f7], [0x4fa, 0x4ff],
  [0x500, 0x52f], [0x1efa, 0x1eff], [0x214e, 0x214e], [0x2184, 0x2184],
];

/** Weights the rule cannot derive: Й and й are not decomposed; the lunate sigma weighs as Σ. */
const SPECIAL = new Map<number, number>([
  [0xdf, 0x53], // ß weighs as S
  [0x419, 0x419],
  [0x439, 0x419],
  [0x3f2, 0x3a3],
]);

const SPACE = 0x20;
const REPLACEMENT = 0xfffd;
const LETTER = /^\p{L}$/u;

function unmapped(cp: number): boolean {
  return UNMAPPED.some(([from, to]) => cp >= from && cp <= to);
}

/**
 * The upper-case form of the character's base letter: a letter with a canonical decomposition of
 * more than one character (é = e + ◌́) weighs as its first, itself a letter, upper-cased; a
 * singleton decomposition (Ω → Ω) is not followed; a multi-character upper case (ŉ → ʼN) maps nothing.
 */
function derivedWeight(cp: number): number {
  const special = SPECIAL.get(cp);
  if (special !== undefined) return special;
  if (unmapped(cp)) return cp;
  const ch = String.fromCharCode(cp);
  let base = ch;
  const decomposed = [...ch.normalize('NFD')];
  const singleton = ch.normalize('NFC') !== ch; // Ω → Ω, ά → ά: canonical equivalents, not a letter plus marks
  if (!singleton && decomposed.length > 1 && LETTER.test(ch) && LETTER.test(decomposed[0]!)) base = decomposed[0]!;
  const upper = base.toUpperCase();
  if ([...upper].length !== 1) return cp;
  const w = upper.codePointAt(0)!;
  return w > 0xffff ? cp : w;
}

const WEIGHTS: Uint16Array = (() => {
  const table = new Uint16Array(0x10000);
  for (let cp = 0; cp < 0x10000; cp++) {
    const page = cp >> 8;
    if (!MAPPED_PAGES.has(page) || (cp >= 0xd800 && cp <= 0xdfff)) {
      table[cp] = cp;
      continue;
    }
    table[cp] = derivedWeight(cp);
  }
  return table;
})();

/** The collation weight of one code point. */
export function weightOf(cp: number): number {
  return cp > 0xffff ? REPLACEMENT : WEIGHTS[cp]!;
}

/** The weights of a string, one per character (code point). */
export function weights(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(REPLACEMENT);
        i++;
        continue;
      }
    }
    out.push(WEIGHTS[c]!);
  }
  return out;
}

/*
 * Sort key. Comparing `s + spaces…` against `t + spaces…` position by position is what PAD SPACE
 * means; to make that a plain byte comparison, each run of k spaces and the character d after it
 * become one token, and the end of the string (spaces for ever) is a token of its own:
 *   d < space: 0x01, k (4 bytes), d (2 bytes)   — the string is smaller than one with more spaces there
 *   end:       0x02
 *   d > space: 0x03, 2^32-1-k (4 bytes), d (2 bytes) when k > 0, or 0x04, d (2 bytes) when k = 0
 * Tokens at the same position compare exactly as the padded strings do at the first difference.
 */
const TAG_LOW = 0x01;
const TAG_END = 0x02;
const TAG_HIGH_AFTER_SPACES = 0x03;
const TAG_HIGH = 0x04;

/** A byte string whose order (memcmp) is the collation's order and whose equality is the collation's equality. */
export function collationKey(s: string): Buffer {
  const w = weights(s);
  const out = Buffer.allocUnsafe(w.length * 7 + 1);
  let n = 0;
  let spaces = 0;
  for (const d of w) {
    if (d === SPACE) {
      spaces++;
      continue;
    }
    if (d > SPACE && spaces === 0) {
      out[n++] = TAG_HIGH;
    } else if (d > SPACE) {
      out[n++] = TAG_HIGH_AFTER_SPACES;
      n = out.writeUInt32BE(0xffffffff - spaces, n);
    } else {
      out[n++] = TAG_LOW;
      n = out.writeUInt32BE(spaces, n);
    }
    n = out.writeUInt16BE(d, n);
    spaces = 0;
  }
  out[n++] = TAG_END;
  return out.subarray(0, n);
}

/** Compares two strings as `utf8mb4_general_ci` does: negative, 0 or positive. */
export function compareCollated(a: string, b: string): number {
  return Buffer.compare(collationKey(a), collationKey(b));
}

/** Whether two strings are equal under the collation (case, accents and trailing spaces ignored). */
export function equalCollated(a: string, b: string): boolean {
  return compareCollated(a, b) === 0;
}

export type LikeMode = 'prefix' | 'suffix' | 'infix';

/** `value LIKE 'needle%'` (prefix), `'%needle'` (suffix) or `'%needle%'` (infix), the needle taken literally. */
export function likeCollated(value: string, needle: string, mode: LikeMode): boolean {
  const v = weights(value);
  const n = weights(needle);
  if (n.length > v.length) return false;
  const at = (offset: number) => n.every((w, i) => v[offset + i] === w);
  if (mode === 'prefix') return at(0);
  if (mode === 'suffix') return at(v.length - n.length);
  for (let offset = 0; offset + n.length <= v.length; offset++) if (at(offset)) return true;
  return false;
}
