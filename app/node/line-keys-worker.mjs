// Worker entry of the threaded line keys: loads the TypeScript worker through tsx.
import { register } from 'tsx/esm/api';
register();
await import('./line-keys-thread.ts');
