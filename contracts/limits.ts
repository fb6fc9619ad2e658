/**
 * Limits shared by every layer that takes JSON from outside (the REST surface's body parser,
 * config files, agent service definitions, the catalog's register endpoint), so that nothing one
 * layer accepts is refused by a later one.
 */

/**
 * The most levels of nested objects and arrays a JSON document (a request body, a config file)
 * or a free-form JSON value kept as sent (a service's `Proxy` and `Connect`, a catalog check's
 * `Definition`) may have: `{}` and `[]` are 1 level, `{"a": {"b": []}}` is 3, a scalar is 0.
 * Deeper input is refused with a 400 that says `nesting deeper than 64 levels`.
 *
 * Why 64: the catalog stores and sends values with msgpack, whose codec refuses anything nested
 * past depth 100 (`Too deep objects in depth 101`). The deepest envelope a free-form value travels
 * in (an RPC frame carrying a `/v1/txn` service op, a read reply, a snapshot) wraps it in fewer
 * than 36 levels, so 64 leaves room; and no real client nests anywhere near 64 (Consul's proxy
 * and connect configs nest a handful of levels). Consul's own decoder allows deeper nesting.
 */
export const MAX_JSON_DEPTH = 64;
