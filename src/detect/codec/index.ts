import type { Codec } from "./types.js";
import { utf16 } from "./utf16.js";
import { base64 } from "./base64.js";
import { url } from "./url.js";
import { escape } from "./escape.js";
import { concat } from "./concat.js";
import { qp } from "./qp.js";

export type { Codec, Decoded, LayerContext } from "./types.js";

/** Decoders tried on candidate windows, in order; plain text is scanned by the engine itself. */
export const CODECS: readonly Codec[] = [utf16, base64, url, escape, concat, qp];
