export * from './network.js';
export * from './envelope.js';
export * from './content.js';
export * from './message.js';
export * from '../ports/adapter.js';
