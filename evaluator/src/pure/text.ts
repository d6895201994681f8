// Control (Cc), format (Cf: bidi controls, zero-width characters), line/paragraph separators and
// lone surrogates: characters that can hide, reorder or break what a one-line message shows.
const hidden = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/**
 * The first hidden character of `text` (control, format — bidi, zero-width —, separator or lone
 * surrogate) as `U+202E at character 4`, or undefined: for text that must be plain and one-line.
 */
export function hiddenCharacterIn(text: string): string | undefined {
  const found = hidden.exec(text);
  return found
    ? `${codePointName(found[0].codePointAt(0) as number)} at character ${found.index}`
    : undefined;
}

/** `U+202E`: a code point as Unicode writes it. */
export function codePointName(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Every hidden character (see `printable`) written as `\u{…}`; nothing is cut. */
export function escapeHidden(text: string): string {
  return printable(text, Number.POSITIVE_INFINITY);
}

/**
 * Untrusted text made safe for a one-line message: control, format (bidi, zero-width) and
 * separator characters and lone surrogates are shown as `\u{…}`, and the result is cut to at
 * most `max` characters, ending with `…` when cut. An escape is never split.
 */
export function printable(text: string, max = 80): string {
  const pieces = Array.from(text, (char) =>
    hidden.test(char) ? `\\u{${(char.codePointAt(0) as number).toString(16)}}` : char,
  );
  if (pieces.reduce((sum, piece) => sum + piece.length, 0) <= max) return pieces.join("");
  let out = "";
  for (const piece of pieces) {
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

const bidiNames: Record<number, string> = {
  8234: "left-to-right embedding",
  8235: "right-to-left embedding",
  8236: "pop directional formatting",
  8237: "left-to-right override",
  8238: "right-to-left override",
  8294: "left-to-right isolate",
  8295: "right-to-left isolate",
  8296: "first strong isolate",
  8297: "pop directional isolate",
};

/**
 * The first character that must not appear in configuration text: a bidirectional embedding,
 * override or isolate (U+202A–U+202E, U+2066–U+2069), which can make text read differently
 * from what it is, or a control character other than tab, line feed and carriage return.
 */
export function findForbiddenCharacter(
  text: string,
): { index: number; codePoint: number; description: string } | undefined {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const bidi = bidiNames[code];
    if (bidi) return { index, codePoint: code, description: `${codePointName(code)} (${bidi})` };
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    if (control && code !== 0x09 && code !== 0x0a && code !== 0x0d) {
      return {
        index,
        codePoint: code,
        description: `${codePointName(code)} (a control character)`,
      };
    }
  }
  return undefined;
}

/**
 * The offset where the first ill-formed UTF-8 sequence starts (overlong
 * forms, surrogates and code points past U+10FFFF included), or -1 when all of `bytes` is UTF-8.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) length = 3;
    else if (lead >= 0xf0 && lead <= 0xf4) length = 4;
    else return i;
    // The second byte's range excludes overlong forms, surrogates and values past U+10FFFF.
    if (lead === 0xe0) low = 0xa0;
    else if (lead === 0xed) high = 0x9f;
    else if (lead === 0xf0) low = 0x90;
    else if (lead === 0xf4) high = 0x8f;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) {
        return i;
      }
    }
    i += length;
  }
  return -1;
}
