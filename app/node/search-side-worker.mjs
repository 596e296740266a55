// Worker entry of the threaded search side build: loads the TypeScript worker through tsx.
import { register } from 'tsx/esm/api';
register();
await import('./search-side-thread.ts');
