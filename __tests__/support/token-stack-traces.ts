/**
 * Jest setup: cdktf records a stack trace for every token it creates, by reading the `stack` of a
 * plain object. Under Jest each such read goes through source-map-support, which maps every frame
 * and makes building a lab about twice as slow. Those traces only decorate token errors, so plain
 * objects get an empty trace; real errors keep their source-mapped stacks.
 */
const mapped = Error.prepareStackTrace;
if (mapped) {
  Error.prepareStackTrace = (error, frames) => (error instanceof Error ? mapped(error, frames) : "");
}
