// Worker entry of the threaded directory import: loads the TypeScript worker through tsx.
import { register } from 'tsx/esm/api';
register();
await import('./directory-import-thread.ts');
