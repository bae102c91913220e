/** A rewritten window: decoded text, and for each of its chars the offset in the window it came from. */
export interface Decoded {
  text: string;
  map: Int32Array;
}

export interface LayerContext {
  /** Offsets of the raw key prefixes (AKIA, ASIA, …) in the text, glued or not. */
  prefixOffsets: number[];
}

export interface Codec {
  name: string;
  /** Offsets around which this codec may reveal something; empty when it has nothing to do. */
  triggers(text: string, ctx: LayerContext): number[];
  /** Decode the encoded spans of a window, or null if nothing changed. */
  decode(window: string): Decoded | null;
}
