// The pure layers (capture, decode, context, analysis) compile without Node or DOM types; these are
// the only host globals they may use, available in Node, Electron and browsers alike.
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
