/** The event recorder (client-go's tools/record): recorders, their shared writer, and its parts. */
export * from './event-broadcaster';
export * from './event-correlator';
export * from './event-recorder';
export * from './event-sink';
export * from './object-reference';
