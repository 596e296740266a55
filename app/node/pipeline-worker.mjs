// Worker entry of the pipeline pool: loads the TypeScript worker through tsx.
import { register } from 'tsx/esm/api';
register();
await import('./pipeline-thread.ts');
