/**
 * Decoded and cloned objects carry their own copy of every string: a
 * timestamp, a namespace, an image name is stored once per object version.
 * The pool hands out one copy of each string seen recently. It is bounded in
 * two generations, so strings that stop recurring (a deleted object's uid)
 * leave it again and it never grows with the store. Strings of up to ten
 * characters are left out: JSON.parse (V8) already hands out one shared copy
 * of each, and in-process writers pass them on by reference, so pooling them
 * saved nothing but cost half the pool's lookups.
 */
export class StringPool {
  private current = new Map<string, string>();
  private previous = new Map<string, string>();

  constructor(private readonly generationSize = 4096) {}

  intern(value: string): string {
    if (value.length <= SHARED_BY_JSON_PARSE) return value;
    const pooled = this.current.get(value);
    if (pooled !== undefined) return pooled;
    const kept = this.previous.get(value) ?? value;
    this.current.set(kept, kept);
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Map();
    }
    return kept;
  }
}

/** V8's JsonParser internalizes (shares) string values up to this length (kMaxInternalizedStringValueLength). */
const SHARED_BY_JSON_PARSE = 10;
