/**
 * The deepest nesting of JSON objects and arrays accepted anywhere (request bodies, config
 * files, service definitions). Consul's decoder allows deeper nesting, but what the agent
 * stores must also go through its msgpack codec (which refuses depth 100) inside a Raft command
 * a few levels deep; 64 leaves room for that wrapping and is far beyond any real client's
 * payload (Proxy.Config, Meta and check definitions are a handful of levels). Deeper input is
 * refused where it enters (400 on the HTTP API, a config error naming the file), so one
 * registration can never be accepted and then fail every later sync.
 */
export const MAX_JSON_DEPTH = 64;
