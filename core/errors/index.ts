export * from './reply-codes.js';
export * from './gateway-error.js';
