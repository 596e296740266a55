// Worker entry of the translator pool: loads the TypeScript worker through tsx.
import { register } from 'tsx/esm/api';
register();
await import('./translator-thread.ts');
